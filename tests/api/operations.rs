//! Operations: `/healthz`, `/readyz`, `/metrics`, and `varsel backup` /
//! `varsel restore` on both backends.

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::app::{Backend, ServedBinary, TestApp, TestDatabase};
use crate::for_each_backend;

for_each_backend!(
    health_and_readiness_follow_the_database,
    metrics_are_aggregate_and_need_the_token_or_an_administrator,
    a_restored_backup_opens_the_same_cases_with_the_same_keys,
    restore_refuses_a_target_holding_data_and_a_newer_schema,
    the_served_log_is_plain_or_json_and_reporter_lines_keep_the_day,
);

/// A scrape token of the tests.
const SCRAPE_TOKEN: &str = "scrape-token-of-the-tests-0123456789abcdef";

/// What the reports of these tests say: it must never be readable in a backup.
const MARKER: &str = "Kassereren tar penger fra kassa hver fredag";

async fn status_and_body(app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = app
        .cookieless_client()
        .get(app.url(path))
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn health_and_readiness_follow_the_database(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(
        status_and_body(&app, "/healthz").await,
        (StatusCode::OK, "ok".to_owned())
    );
    assert_eq!(status_and_body(&app, "/readyz").await.0, StatusCode::OK);

    // A migration this binary knows is missing from the database: not ready.
    let newest = app
        .db
        .text_rows("SELECT CAST(MAX(version) AS TEXT) FROM _sqlx_migrations")
        .await[0][0]
        .clone();
    app.db
        .execute(&[format!(
            "UPDATE _sqlx_migrations SET version = -1 WHERE version = {newest}"
        )])
        .await;
    let (status, body) = status_and_body(&app, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, format!("migrations pending: {newest}"));
    assert_eq!(status_and_body(&app, "/healthz").await.0, StatusCode::OK);
    app.db
        .execute(&[format!(
            "UPDATE _sqlx_migrations SET version = {newest} WHERE version = -1"
        )])
        .await;
    assert_eq!(status_and_body(&app, "/readyz").await.0, StatusCode::OK);

    // The database no longer answers: not ready; the process is still up.
    app.state.store.close().await;
    let (status, body) = status_and_body(&app, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, "database unreachable");
    assert_eq!(
        status_and_body(&app, "/healthz").await,
        (StatusCode::OK, "ok".to_owned())
    );
    app.teardown().await;
}

/// Checks that every line of an exposition is a comment or
/// `name{labels} value`, and returns the samples (name with labels, value).
fn parse_exposition(text: &str) -> Vec<(String, f64)> {
    let mut samples = Vec::new();
    for line in text.lines() {
        if line.starts_with("# HELP ") || line.starts_with("# TYPE ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line}"));
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "{line}"
        );
        if name_end < series.len() {
            let labels = &series[name_end..];
            assert!(labels.starts_with('{') && labels.ends_with('}'), "{line}");
            for pair in labels[1..labels.len() - 1].split("\",") {
                let (key, value) = pair.split_once("=\"").unwrap_or_else(|| panic!("{line}"));
                assert!(
                    key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "{line}"
                );
                assert!(!value.trim_end_matches('"').contains('"'), "{line}");
            }
        }
        samples.push((series.to_owned(), value));
    }
    samples
}

fn sample(samples: &[(String, f64)], series: &str) -> Option<f64> {
    samples.iter().find(|(s, _)| s == series).map(|(_, v)| *v)
}

async fn metrics_are_aggregate_and_need_the_token_or_an_administrator(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.metrics.scrape_token = SCRAPE_TOKEN.into();
    })
    .await;
    app.add_user("hanne", "Hanne", &["handler"]).await;
    app.add_user("ada", "Ada", &["admin"]).await;
    let code = app
        .report(&json!({"category": "avvik", "severity": "hoy", "description": MARKER}))
        .await;
    let case = app.stored_case(app.api_case_ids_of("hanne").await[0]).await;

    // The scraper's token.
    let scrape = |token: Option<&'static str>| {
        let mut request = app.cookieless_client().get(app.url("/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move {
            let r = request.send().await.unwrap();
            let status = r.status();
            let content_type = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned());
            (status, content_type, r.text().await.unwrap())
        }
    };
    let (status, content_type, text) = scrape(Some(SCRAPE_TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        content_type.as_deref(),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let samples = parse_exposition(&text);
    assert_eq!(
        sample(
            &samples,
            "varsel_cases{status=\"mottatt\",category=\"avvik\"}"
        )
        .or_else(|| {
            samples
                .iter()
                .find(|(s, _)| s.starts_with("varsel_cases{") && s.contains("avvik"))
                .map(|(_, v)| *v)
        }),
        Some(1.0),
        "{text}"
    );
    assert_eq!(sample(&samples, "varsel_db_up"), Some(1.0));
    assert!(sample(&samples, "varsel_uptime_seconds").is_some());
    assert!(sample(
        &samples,
        &format!(
            "varsel_build_info{{version=\"{}\"}}",
            env!("CARGO_PKG_VERSION")
        )
    )
    .is_some());
    assert_eq!(
        sample(&samples, "varsel_audit_queue_length"),
        Some(1.0),
        "{text}"
    );
    assert!(sample(&samples, "varsel_outbox_pending").is_some());
    assert!(sample(&samples, "varsel_outbox_failed").is_some());
    assert!(sample(&samples, "varsel_outbox_oldest_pending_age_seconds").is_some());
    assert!(sample(&samples, "varsel_db_pool_max_connections").is_some());
    assert!(sample(
        &samples,
        "varsel_rate_limit_refusals_total{lane=\"reporter\"}"
    )
    .is_some());
    // Requests by route template, never by path.
    assert_eq!(
        sample(
            &samples,
            "varsel_http_requests_total{route=\"/api/v1/reports\",method=\"POST\",status=\"2xx\"}"
        ),
        Some(1.0),
        "{text}"
    );
    assert!(
        samples
            .iter()
            .any(|(s, _)| s.contains("route=\"/api/v1/staff/cases\"")),
        "{text}"
    );
    // Nothing of a case or a person.
    for secret in [
        case.id.to_string(),
        code.clone(),
        MARKER.to_owned(),
        "hanne".to_owned(),
        "127.0.0.1".to_owned(),
    ] {
        assert!(!text.contains(&secret), "{secret} in the metrics");
    }

    // A wrong token, or none: refused.
    let (status, _, body) = scrape(Some("scrape-token-of-the-tests-0123456789abcdeX")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!body.contains("varsel_"));
    let (status, _, body) = scrape(None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.contains("varsel_"));

    // An administrator's session; a handler's is refused.
    let admin = app.staff_login("ada").await;
    let page = app.get(&admin, "/metrics").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("varsel_cases{"));
    let handler = app.staff_login("hanne").await;
    let page = app.get(&handler, "/metrics").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!page.text.contains("varsel_"));
    app.teardown().await;
}

/// A report with an attachment; the case code.
async fn report_with_attachment(app: &TestApp, description: &str, file: &[u8]) -> String {
    let form = Form::new()
        .part(
            "report",
            Part::text(
                json!({"category": "varsling", "severity": "middels", "description": description})
                    .to_string(),
            )
            .mime_str("application/json")
            .unwrap(),
        )
        .part(
            "attachment",
            Part::bytes(file.to_vec()).file_name("bevis.txt"),
        );
    app.api_upload("/reports", None, form)
        .await
        .expect(StatusCode::CREATED)["case_code"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// What a staff member and the reporter see of one case: the report, the
/// thread and the attachments' bytes.
async fn both_views(app: &TestApp, staff: &str, case: Uuid, code: &str) -> serde_json::Value {
    let token = app.staff_token(staff).await;
    let seen = app.api_case(&token, case).await.expect(StatusCode::OK);
    let mut files = Vec::new();
    for attachment in seen["attachments"].as_array().unwrap() {
        let id = attachment["id"].as_str().unwrap();
        let (bytes, _) = app
            .api_download(&format!("/staff/cases/{case}/attachments/{id}"), &token)
            .await;
        files.push(json!({"name": attachment["name"], "bytes": hex::encode(bytes)}));
    }
    let reporter = app.reporter_token(code).await;
    let mine = app
        .api_reporter_case(&reporter)
        .await
        .expect(StatusCode::OK);
    json!({
        "report": seen["report"],
        "messages": seen["messages"].as_array().unwrap().iter()
            .map(|m| json!([m["author"], m["body"]])).collect::<Vec<_>>(),
        "files": files,
        "reporter_report": mine["report"],
        "reporter_messages": mine["messages"].as_array().unwrap().iter()
            .map(|m| m["body"].clone()).collect::<Vec<_>>(),
        "reporter_files": mine["attachments"].as_array().unwrap().len(),
    })
}

/// Runs `varsel` with the database and data directory of `db`.
fn varsel_on(db: &TestDatabase, args: &[&str]) -> std::process::Output {
    crate::helpers::varsel()
        .args(args)
        .env("VARSEL_DATABASE__URL", &db.url)
        .env(
            "VARSEL_STORAGE__DATA_DIR",
            db.data_dir.path().display().to_string(),
        )
        .env("VARSEL_LOG", "warn")
        .output()
        .expect("run varsel")
}

async fn a_restored_backup_opens_the_same_cases_with_the_same_keys(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne", &["handler"]).await;
    let first_file = format!("{MARKER} (vedlegg)").into_bytes();
    let first = report_with_attachment(&app, &format!("{MARKER}, sier de."), &first_file).await;
    let second = report_with_attachment(&app, &format!("{MARKER} igjen."), b"andre bevis").await;
    let staff = app.staff_token("hanne").await;
    let cases = app.api_case_ids(&staff).await;
    assert_eq!(cases.len(), 2);
    // Which code opens which case: by the report each side reads.
    let mut codes = Vec::new();
    for code in [&first, &second] {
        let reporter = app.reporter_token(code).await;
        let mine = app
            .api_reporter_case(&reporter)
            .await
            .expect(StatusCode::OK);
        let mut case = None;
        for id in &cases {
            let seen = app.api_case(&staff, id).await.expect(StatusCode::OK);
            if seen["report"]["description"] == mine["report"]["description"] {
                case = Some(*id);
            }
        }
        let case = case.expect("the reporter's case is in the inbox");
        app.api_reporter_reply(&reporter, &format!("{MARKER}: mer om saken."))
            .await
            .expect(StatusCode::CREATED);
        app.api_reply(&staff, case, &format!("{MARKER}? Takk, vi ser på det."))
            .await
            .expect(StatusCode::CREATED);
        codes.push((case, code.clone()));
    }
    let mut before = Vec::new();
    for (case, code) in &codes {
        before.push(both_views(&app, "hanne", *case, code).await);
    }
    // The reporter's entries join the chain, so the chain is all there is.
    let entries_before = app.audit_entries_after_the_day().await.len();

    let out_dir = tempfile::tempdir().unwrap();
    let archive = out_dir.path().join("varsel.backup");
    let archive_arg = archive.display().to_string();
    let out = app.command(&["backup", "--output", &archive_arg]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&archive).unwrap();
    for needle in [
        MARKER.as_bytes(),
        "Kassereren".as_bytes(),
        b"mer om saken",
        b"andre bevis",
    ] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "plaintext {} in the backup",
            String::from_utf8_lossy(needle)
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&archive).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the backup is private");
    }
    // A second backup to the same file is refused rather than overwriting.
    let again = app.command(&["backup", "--output", &archive_arg]);
    assert!(!again.status.success());

    // Into a fresh database and data directory.
    let fresh = TestDatabase::create(backend).await;
    let out = varsel_on(&fresh, &["restore", "--input", &archive_arg]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verify = varsel_on(&fresh, &["audit", "verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(
        String::from_utf8_lossy(&verify.stdout)
            .contains(&format!("audit log intact: {entries_before} entries")),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let restored = TestApp::spawn_on(fresh, |_| {}).await;
    assert_eq!(restored.attachment_files().len(), 2);
    for ((case, code), seen) in codes.iter().zip(&before) {
        let after = both_views(&restored, "hanne", *case, code).await;
        assert_eq!(&after, seen);
    }
    assert!(before[0].to_string().contains(MARKER));
    // The restored service goes on: a new report, a new reply.
    let third = restored
        .report(&json!({"category": "avvik", "severity": "lav", "description": "Ny sak."}))
        .await;
    let token = restored.reporter_token(&third).await;
    restored
        .api_reporter_reply(&token, "Etter gjenopprettingen.")
        .await
        .expect(StatusCode::CREATED);
    let chain = restored.audit_entries_after_the_day().await;
    let mut verifier = varsel::core::audit::ChainVerifier::new();
    for entry in &chain {
        verifier.push(entry).unwrap();
    }
    assert!(chain.len() > entries_before);
    restored.teardown().await;
    app.teardown().await;
}

async fn restore_refuses_a_target_holding_data_and_a_newer_schema(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne", &["handler"]).await;
    app.report(&json!({"category": "avvik", "severity": "lav", "description": MARKER}))
        .await;
    let out_dir = tempfile::tempdir().unwrap();
    let archive = out_dir.path().join("varsel.backup");
    let archive_arg = archive.display().to_string();
    let out = app.command(&["backup", "--output", &archive_arg]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The source itself holds data: refused, then replaced when told.
    let out = app.command(&["restore", "--input", &archive_arg]);
    let error = crate::helpers::one_line_error(&out);
    assert!(error.contains("--force"), "{error}");

    // A backup whose schema is newer than this binary's.
    let newer = out_dir.path().join("newer.backup");
    let mut reader = varsel::core::backup::TarReader::new(std::fs::File::open(&archive).unwrap());
    let mut writer = varsel::core::backup::TarWriter::new(std::fs::File::create(&newer).unwrap());
    while let Some((name, _)) = reader.next_entry().unwrap() {
        let mut data = reader.read_entry(u64::MAX).unwrap();
        if name == varsel::core::backup::MANIFEST {
            let mut manifest: serde_json::Value = serde_json::from_slice(&data).unwrap();
            manifest["migrations"]
                .as_array_mut()
                .unwrap()
                .push(json!(99_999));
            data = serde_json::to_vec(&manifest).unwrap();
        }
        writer.append_bytes(&name, &data).unwrap();
    }
    writer.finish().unwrap();
    let fresh = TestDatabase::create(backend).await;
    let newer_arg = newer.display().to_string();
    let out = varsel_on(&fresh, &["restore", "--input", &newer_arg]);
    let error = crate::helpers::one_line_error(&out);
    assert!(error.contains("99999"), "{error}");
    assert!(
        std::fs::read_dir(fresh.settings().storage.attachments_dir())
            .map(|d| d.count() == 0)
            .unwrap_or(true),
        "nothing restored"
    );
    fresh.destroy().await;
    app.teardown().await;
}

/// Whether `text` holds a time of day (`HH:MM`).
fn has_time_of_day(text: &str) -> bool {
    text.as_bytes().windows(5).any(|w| {
        w[0].is_ascii_digit()
            && w[1].is_ascii_digit()
            && w[2] == b':'
            && w[3].is_ascii_digit()
            && w[4].is_ascii_digit()
    })
}

async fn the_served_log_is_plain_or_json_and_reporter_lines_keep_the_day(backend: Backend) {
    // Text, to a pipe, with NO_COLOR unset: no colour codes.
    let server = ServedBinary::start_with_env(backend, &[("NO_COLOR", "")]).await;
    server.add_user("hanne", None, "handler");
    server
        .report(&json!({"category": "avvik", "severity": "lav", "description": MARKER}))
        .await;
    let _ = server.get(&server.client(), "/staff/login").await;
    let log = server.stop().await;
    assert!(!log.contains('\u{1b}'), "colour codes in a piped log");
    assert!(
        log.contains("route=/staff/login") || log.contains("route=\"/staff/login\""),
        "{log}"
    );

    // JSON lines: every log line an object; a staff request's line has its
    // time, every line of a reporter request the day alone.
    let server = ServedBinary::start_with_env(backend, &[("VARSEL_LOG__FORMAT", "json")]).await;
    server.add_user("hanne", None, "handler");
    server
        .report(&json!({"category": "avvik", "severity": "lav", "description": MARKER}))
        .await;
    let _ = server.get(&server.client(), "/staff/login").await;
    let log = server.stop().await;
    let mut reporter_lines = 0;
    let mut staff_request = false;
    for line in log.lines().filter(|l| l.starts_with('{')) {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(value["level"].is_string(), "{line}");
        let in_reporter = value["spans"]
            .as_array()
            .is_some_and(|spans| spans.iter().any(|s| s == "reporter"));
        if in_reporter {
            reporter_lines += 1;
            assert!(value.get("timestamp").is_none(), "{line}");
            assert!(value["date"].is_string(), "{line}");
            assert!(!has_time_of_day(line), "{line}");
        } else {
            assert!(
                has_time_of_day(value["timestamp"].as_str().unwrap_or("")),
                "{line}"
            );
        }
        if value["message"] == "request" && value["fields"]["route"] == "/staff/login" {
            staff_request = true;
        }
        assert!(!line.contains(MARKER), "{line}");
    }
    assert!(
        reporter_lines > 0,
        "the submission logged nothing at debug: {log}"
    );
    assert!(staff_request, "{log}");
}
