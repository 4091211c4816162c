//! Submissions under load and failure: one transaction per submission (the
//! audit entry with the case), group commit, the caches shared across
//! instances through the version row, the sweep of attachment files without
//! a row, a crash (`kill -9`) under concurrent load, and a database outage.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::StatusCode;
use uuid::Uuid;
use varsel::core::audit::verify;
use varsel::core::domain::{CaseStatus, Category, Role, Severity};
use varsel::core::store::{
    Attachment, AuditRecord, Author, Case, Holder, KeyWrap, NewCase, Store, StoreError, StoredRule,
    User,
};

use crate::app::{api_report, Backend, ReportForm, ServedBinary, TestApp, TestDatabase};
use crate::for_each_backend;

for_each_backend!(
    group_committed_batch_with_one_bad_case_stores_the_others,
    a_refused_case_leaves_no_audit_entry,
    changes_through_one_store_are_seen_by_another,
    attachment_files_without_a_row_are_swept,
    a_crash_under_load_loses_no_acknowledged_case,
);

// ---- fixtures -------------------------------------------------------------

fn user(username: &str, groups: &[&str]) -> User {
    User {
        id: Uuid::new_v4(),
        username: username.to_owned(),
        display_name: format!("Display {username}"),
        roles: vec![Role::Handler],
        recipient: format!("age1{username}"),
        wrapped_identity: b"wrapped".to_vec(),
        email: None,
        active: true,
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        created_at: 1_700_000_000,
    }
}

fn new_case(tag: [u8; 32], attachments: &[Uuid]) -> NewCase {
    let case = Case {
        id: Uuid::new_v4(),
        recipient: "age1case".to_owned(),
        category: Category::Avvik,
        severity: Severity::Middels,
        suggested_severity: Severity::Middels,
        status: CaseStatus::Received,
        received_at: 1_700_000_000,
        acknowledged_at: None,
        updated_at: 1_700_000_000,
        reporter_seq: 1,
        report: b"age-encryption.org/v1 report".to_vec(),
    };
    NewCase {
        attachments: attachments
            .iter()
            .map(|id| Attachment {
                id: *id,
                case_id: case.id,
                author: Author::Reporter,
                name: b"sealed name".to_vec(),
                size: 10,
                created_at: 1_700_000_000,
            })
            .collect(),
        case,
        subtype: None,
        lookup_tag: tag,
        wraps: vec![KeyWrap {
            holder: Holder::Reporter,
            wrapped: b"wrap".to_vec(),
        }],
        sealed_exclusions: None,
        next_deadline: None,
        deadline_rules: None,
        submission: None,
    }
}

fn created(case_id: Uuid) -> AuditRecord {
    AuditRecord {
        at: 1_700_000_000,
        actor: "reporter".to_owned(),
        action: "case.created",
        case_id: Some(case_id),
        detail: "{}".to_owned(),
    }
}

fn random_tag() -> [u8; 32] {
    *Uuid::new_v4()
        .as_bytes()
        .repeat(2)
        .first_chunk()
        .expect("32 bytes")
}

/// The case ids of the `case.created` entries in the audit log.
async fn created_entries(store: &Arc<dyn Store>) -> Vec<String> {
    // A reporter's entries wait for their day's batch; join them now.
    store.append_queued_audit(i64::MAX).await.unwrap();
    store
        .audit_entries()
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "case.created")
        .filter_map(|e| e.case_id)
        .collect()
}

/// Sets a file's modification time `ago` into the past.
fn age_file(path: &std::path::Path, ago: Duration) {
    let file = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open");
    file.set_modified(SystemTime::now() - ago)
        .expect("set mtime");
}

// ---- one transaction per submission, group commit ---------------------------

async fn group_committed_batch_with_one_bad_case_stores_the_others(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let store = db.store().await;
    store.migrate().await.unwrap();
    let taken = random_tag();
    let first = new_case(taken, &[]);
    store
        .submit_case(&first, created(first.case.id), &[])
        .await
        .unwrap();

    // Forty submissions at once (they queue for the one writer and share
    // transactions); one of them reuses a taken lookup tag.
    let cases: Vec<NewCase> = (0..40)
        .map(|n| new_case(if n == 17 { taken } else { random_tag() }, &[]))
        .collect();
    let results = futures_util::future::join_all(cases.iter().map(|c| {
        let store = store.clone();
        async move { store.submit_case(c, created(c.case.id), &[]).await }
    }))
    .await;

    for (n, (case, result)) in cases.iter().zip(&results).enumerate() {
        if n == 17 {
            assert!(
                matches!(result, Err(StoreError::Conflict)),
                "the collision is refused: {result:?}"
            );
            assert!(store.case_by_id(case.case.id).await.unwrap().is_none());
        } else {
            assert!(result.is_ok(), "case {n}: {result:?}");
            let stored = store.case_by_id(case.case.id).await.unwrap();
            assert!(stored.is_some(), "case {n} is stored");
            assert_eq!(
                store.key_holders(case.case.id).await.unwrap(),
                vec![Holder::Reporter]
            );
        }
    }
    let mut logged = created_entries(&store).await;
    logged.sort();
    let mut expected: Vec<String> = std::iter::once(&first)
        .chain(
            cases
                .iter()
                .enumerate()
                .filter(|(n, _)| *n != 17)
                .map(|(_, c)| c),
        )
        .map(|c| c.case.id.to_string())
        .collect();
    expected.sort();
    assert_eq!(
        logged, expected,
        "one entry per stored case, none for the refused one"
    );
    let entries = store.audit_entries().await.unwrap();
    assert_eq!(
        verify(&entries).unwrap(),
        entries.len(),
        "the chain verifies"
    );
    drop(store);
    db.destroy().await;
}

async fn a_refused_case_leaves_no_audit_entry(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let store = db.store().await;
    store.migrate().await.unwrap();
    let tag = random_tag();
    let first = new_case(tag, &[]);
    store
        .submit_case(&first, created(first.case.id), &[])
        .await
        .unwrap();
    // Alone (no batch to share), with group commit off: the same outcome.
    for group_commit in [true, false] {
        store.set_group_commit(group_commit);
        let clash = new_case(tag, &[]);
        let err = store
            .submit_case(&clash, created(clash.case.id), &[])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict), "got {err:?}");
        assert!(!created_entries(&store)
            .await
            .contains(&clash.case.id.to_string()));
    }
    assert_eq!(
        created_entries(&store).await,
        vec![first.case.id.to_string()]
    );
    drop(store);
    db.destroy().await;
}

// ---- caches across instances -------------------------------------------------

async fn changes_through_one_store_are_seen_by_another(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let one = db.store().await;
    one.migrate().await.unwrap();
    let other = db.store().await;

    // The other instance has everything cached…
    assert!(other.list_users().await.unwrap().is_empty());
    assert!(other.routing_rules().await.unwrap().is_empty());
    assert_eq!(other.setting("recovery_recipient").await.unwrap(), None);

    // …and sees each change made through the first one.
    let anne = user("anne", &["infosec"]);
    one.create_user(&anne).await.unwrap();
    let seen = other.list_users().await.unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].groups, vec!["infosec".to_owned()]);

    one.create_group("hr", "", 1_700_000_000).await.unwrap();
    one.add_group_member("hr", anne.id).await.unwrap();
    let seen = other.list_users().await.unwrap();
    assert_eq!(seen[0].groups, vec!["hr".to_owned(), "infosec".to_owned()]);

    one.set_setting("recovery_recipient", "age1recovery")
        .await
        .unwrap();
    assert_eq!(
        other
            .setting("recovery_recipient")
            .await
            .unwrap()
            .as_deref(),
        Some("age1recovery")
    );

    let rule = StoredRule {
        id: Uuid::new_v4(),
        position: 0,
        category: Category::Avvik,
        severities: vec![Severity::Hoy],
        groups: vec!["hr".to_owned()],
        created_at: 1_700_000_000,
    };
    one.add_routing_rule(&rule).await.unwrap();
    let snapshot = other.snapshot("recovery_recipient").await.unwrap();
    assert_eq!(snapshot.rules.len(), 1);
    assert_eq!(snapshot.rules[0].groups, vec!["hr".to_owned()]);
    assert_eq!(snapshot.users.len(), 1);
    assert_eq!(snapshot.setting.as_deref(), Some("age1recovery"));

    // A write no store made (another version, an operator's SQL) too.
    db.execute(&["UPDATE users SET display_name = 'Anne Again'"])
        .await;
    assert_eq!(
        other.list_users().await.unwrap()[0].display_name,
        "Anne Again"
    );

    // With a check interval, a change is seen once the interval has passed.
    other.set_cache_check_interval(Duration::from_millis(100));
    let _ = other.list_users().await.unwrap();
    one.create_user(&user("bjorn", &[])).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while other.list_users().await.unwrap().len() < 2 {
        assert!(Instant::now() < deadline, "the change is never seen");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop((one, other));
    db.destroy().await;
}

// ---- attachment files without a row -------------------------------------------

async fn attachment_files_without_a_row_are_swept(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let store = db.store().await;
    store.migrate().await.unwrap();
    let dir = db.data_dir.path().join("attachments");
    std::fs::create_dir_all(&dir).unwrap();
    let kept = Uuid::new_v4();
    store
        .create_case(&new_case(random_tag(), &[kept]))
        .await
        .unwrap();
    let orphan = Uuid::new_v4();
    let young_orphan = Uuid::new_v4();
    let files = [
        (format!("{kept}.age"), true),
        (format!("{orphan}.age"), true),
        (format!("{young_orphan}.age"), false),
        (format!("{}.part", Uuid::new_v4()), true),
        ("notes.txt".to_owned(), true),
    ];
    for (name, old) in &files {
        let path = dir.join(name);
        std::fs::write(&path, b"x").unwrap();
        if *old {
            age_file(&path, Duration::from_secs(86_400));
        }
    }
    let swept = varsel::core::attachments::sweep_orphans(
        &*store,
        &dir,
        varsel::core::attachments::ORPHAN_MIN_AGE,
    )
    .await
    .unwrap();
    assert_eq!(swept.orphans, 1);
    assert_eq!(swept.parts, 1);
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let mut want = vec![
        format!("{kept}.age"),
        format!("{young_orphan}.age"),
        "notes.txt".to_owned(),
    ];
    want.sort();
    assert_eq!(left, want, "the file with a row and the young one stay");
    drop(store);
    db.destroy().await;
}

// ---- a crash under load --------------------------------------------------------

/// Submits reports (every fourth with an attachment) until the service
/// stops answering; returns the acknowledged case codes.
async fn submit_until_gone(service: crate::app::Service, n: usize) -> Vec<String> {
    let client = service.cookieless_client();
    let mut codes = Vec::new();
    for i in 0.. {
        let sent = if (i + n).is_multiple_of(4) {
            let report = api_report("avvik", "middels", &[]).to_string();
            let form = reqwest::multipart::Form::new().text("report", report).part(
                "attachment",
                reqwest::multipart::Part::bytes(vec![7u8; 4096])
                    .file_name("bevis.pdf")
                    .mime_str("application/pdf")
                    .unwrap(),
            );
            client
                .post(service.url("/api/v1/reports"))
                .multipart(form)
                .send()
                .await
        } else {
            client
                .post(service.url("/api/v1/reports"))
                .json(&api_report("avvik", "middels", &[]))
                .send()
                .await
        };
        let Ok(response) = sent else { break };
        if !response.status().is_success() {
            continue;
        }
        let Ok(body) = response.json::<serde_json::Value>().await else {
            // Acknowledged only when the whole answer arrived.
            break;
        };
        if let Some(code) = body["case_code"].as_str() {
            codes.push(code.to_owned());
        }
    }
    codes
}

async fn a_crash_under_load_loses_no_acknowledged_case(backend: Backend) {
    let mut served = ServedBinary::start_with_env(
        backend,
        &[("VARSEL_RATE_LIMITS__SUBMISSIONS_PER_MINUTE", "1000000")],
    )
    .await;
    served.add_user("handler", Some("Handler"), "handler");
    let clients: Vec<_> = (0..12)
        .map(|n| tokio::spawn(submit_until_gone((*served).clone(), n)))
        .collect();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    served.kill();
    let mut acknowledged = Vec::new();
    for c in clients {
        acknowledged.extend(c.await.unwrap());
    }
    assert!(
        acknowledged.len() > 10,
        "the load ran ({} acknowledged)",
        acknowledged.len()
    );

    // Every acknowledged submission is stored.
    let store = served.db.store().await;
    for code in &acknowledged {
        let tag = varsel_crypto::CaseCode::parse(code).unwrap().lookup_tag();
        assert!(
            store.case_by_tag(tag.as_bytes()).await.unwrap().is_some(),
            "an acknowledged case is missing"
        );
    }
    // No `case.created` entry without its case, and the chain is whole.
    let orphaned = served
        .db
        .text_rows(
            "SELECT a.case_id FROM audit_log a WHERE a.action = 'case.created' \
             AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = a.case_id)",
        )
        .await;
    assert!(
        orphaned.is_empty(),
        "audit entries without a case: {orphaned:?}"
    );
    let verified = served.command(&["audit", "verify"]);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );

    // Files renamed into place by requests the crash cut short have no row:
    // the sweep (the service's own after 15 minutes; here at once, as no
    // instance runs) removes them, and then every file has its row and
    // every row its file. An orphan planted by an older version goes too.
    let dir = served.db.data_dir.path().join("attachments");
    std::fs::create_dir_all(&dir).unwrap();
    let planted = dir.join(format!("{}.age", Uuid::new_v4()));
    std::fs::write(&planted, b"old orphan").unwrap();
    let swept = served.command(&["attachments", "sweep", "--min-age", "0"]);
    assert!(
        swept.status.success(),
        "{}",
        String::from_utf8_lossy(&swept.stderr)
    );
    assert!(!planted.exists(), "the planted orphan is swept");
    let rows: Vec<String> = served
        .db
        .text_rows("SELECT id FROM attachments")
        .await
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut want: Vec<String> = rows.iter().map(|id| format!("{id}.age")).collect();
    want.sort();
    assert_eq!(files, want, "exactly one file per attachment row");
    drop(store);
    served.stop().await;
}

// ---- a database outage (PostgreSQL) --------------------------------------------

/// Runs `sql` on the test server's maintenance connection.
async fn admin(sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&crate::helpers::postgres_admin_url())
        .await
        .expect("admin connection");
    sqlx::query(sql)
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = conn.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_a_quick_503_and_the_form_stays() {
    let app = TestApp::spawn_with(Backend::Postgres, |s| {
        s.rate_limits.submissions_per_minute = 1000;
    })
    .await;
    app.add_user("handler", "Handler", &["handler"]).await;
    let name = app
        .db
        .url
        .rsplit('/')
        .next()
        .expect("a database name")
        .to_owned();
    // The form, once, while the database is up (what the cache is made of).
    let client = app.client();
    let form = app.page(&client, "/report").await;
    assert!(form.contains("Display") || form.contains("Handler"));

    admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await;
    admin(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .await;

    // The API: a 503 with Retry-After, soon (loose bound: not the old 10 s).
    let started = Instant::now();
    let response = app
        .cookieless_client()
        .post(app.url("/api/v1/reports"))
        .json(&api_report("avvik", "middels", &[]))
        .send()
        .await
        .unwrap();
    let waited = started.elapsed();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().get("retry-after").is_some());
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");
    assert!(waited < Duration::from_secs(5), "answered after {waited:?}");

    // The form page still loads, from the cache.
    let form = app.get(&client, "/report").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text);
    assert!(form.text.contains("Handler"), "the handlers are listed");

    // A report posted now comes back as typed, asking to try again.
    let typed = "Skrevet mens databasen var borte";
    let page = app
        .submit_report_form(&client, &ReportForm::new(typed))
        .await;
    assert_eq!(
        page.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        page.text
    );
    assert!(page.text.contains(typed), "what the reporter typed is kept");
    assert!(
        page.text.contains("Send skjemaet igjen") || page.text.contains("Send the form again"),
        "the page asks to try again shortly: {}",
        page.text
    );

    // The database returns; the service recovers by itself.
    admin(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let response = app
            .cookieless_client()
            .post(app.url("/api/v1/reports"))
            .json(&api_report("avvik", "middels", &[]))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::CREATED {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no recovery: {}",
            response.status()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.teardown().await;
}
