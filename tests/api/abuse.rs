//! Abuse resistance that identifies no one: limits charged only after cheap
//! validation, a proof-of-work lane and a no-JavaScript lane, staff device
//! cookies, storage budgets, body timeouts, and budgets shared by every
//! instance on the database.

use std::sync::Arc;
use std::time::Duration;

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::json;
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use varsel::core::clock::{Clock, ManualClock};
use varsel::core::settings::Settings;
use varsel::startup::Application;

use crate::app::{
    api_report, code_on_receipt, non_solution, Backend, ReportForm, Service, TestApp, PASSWORD,
};

/// A clock that stands still, so no test straddles a rate-limit window.
/// A clock that moves only when a test moves it, set one second into a
/// rate-limit window (windows are whole minutes), so that a test's few
/// seconds of steps never cross into the next window by chance.
fn still_clock() -> ManualClock {
    let now = OffsetDateTime::now_utc();
    let into_minute = time::Duration::seconds(i64::from(now.second()))
        + time::Duration::nanoseconds(i64::from(now.nanosecond()));
    ManualClock::new(now - into_minute + time::Duration::seconds(1))
}

/// Low difficulty, so tests solve challenges quickly, and a load threshold
/// far away unless a test sets it.
fn quick_pow(s: &mut Settings) {
    s.rate_limits.pow_base_difficulty = 8;
    s.rate_limits.pow_max_difficulty = 16;
    s.rate_limits.pow_load_threshold = 100_000;
}

/// Starts a second instance of `app`'s service on the same database.
async fn second_instance(app: &TestApp, clock: Arc<dyn Clock>) -> Service {
    let other = Application::build_with_clock(app.settings.clone(), clock)
        .await
        .expect("a second instance builds");
    let address = format!("http://127.0.0.1:{}", other.port());
    tokio::spawn(other.run_until_stopped());
    Service::new(address)
}

async fn bad_requests_cost_nothing_and_a_flood_in_one_lane_spares_the_other(backend: Backend) {
    let clock = still_clock();
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock), |s| {
        quick_pow(s);
        s.rate_limits.submissions_per_minute = 4;
        s.rate_limits.code_logins_per_minute = 4;
        s.rate_limits.pow_submissions_per_minute = 40;
        s.rate_limits.pow_code_logins_per_minute = 40;
    })
    .await;
    let handler = app.add_user("h1", "Hanne Handler", &["handler"]).await;

    // A flood of bad requests: empty reports, malformed codes, failed CSRF
    // checks, on the pages and the API.
    let mut flood = tokio::task::JoinSet::new();
    for i in 0..15 {
        let s: Service = (*app).clone();
        flood.spawn(async move {
            let empty = s
                .submit_report_form(&s.client(), &ReportForm::new(""))
                .await;
            assert_eq!(empty.status, StatusCode::BAD_REQUEST, "{}", empty.text);
            let (_, malformed) = s.reporter_login_attempt("ABCD-EFGH").await;
            assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
            let forged = s
                .post_multipart(
                    &s.client(),
                    "/report",
                    ReportForm::new("Gyldig tekst").form(Some(&format!("forged{i}"))),
                )
                .await;
            assert_eq!(forged.status, StatusCode::FORBIDDEN);
            let r = s
                .submit_report(
                    &json!({"category": "varsling", "severity": "middels", "description": " "}),
                )
                .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
            let r = s
                .api_post("/reporter/session", None, &json!({"code": "0000"}))
                .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
        });
    }
    while let Some(done) = flood.join_next().await {
        done.expect("a bad request answered");
    }
    assert!(app.held_cases(handler).await.is_empty());

    // Genuine reporters without JavaScript still get through: the bad flood
    // cost their lane nothing.
    let first = app.file_report(&ReportForm::new("Første ekte sak")).await;
    let second = app.file_report(&ReportForm::new("Andre ekte sak")).await;
    app.reporter_login(&first).await;

    // Then a flood of good submissions without proof of work spends the
    // no-JavaScript lane, while another client's submissions and code
    // logins with proof of work pass at the same time.
    let flooder: Service = (*app).clone();
    let good_flood = tokio::spawn(async move {
        let mut refused = 0;
        for _ in 0..12 {
            let page = flooder
                .submit_report_form(&flooder.client(), &ReportForm::new("Masse-sak"))
                .await;
            match page.status {
                StatusCode::OK => {}
                StatusCode::TOO_MANY_REQUESTS => refused += 1,
                other => panic!("flood got {other}: {}", page.text),
            }
        }
        refused
    });
    let genuine: Service = (*app).clone();
    let genuine_code = second.clone();
    let with_pow = tokio::spawn(async move {
        for n in 0..3 {
            let pow = genuine.pow("submit").await;
            let description = format!("Sak med arbeidsbevis {n}");
            let receipt = genuine
                .submit_report_form_with_pow(
                    &genuine.client(),
                    &ReportForm::new(&description),
                    &pow,
                )
                .await;
            assert_eq!(receipt.status, StatusCode::OK, "{}", receipt.text);
            code_on_receipt(&receipt.text);
            let pow = genuine.pow("code").await;
            let login = genuine
                .reporter_login_attempt_with_pow(&genuine_code, &pow)
                .await;
            login.assert_see_other("/case");
        }
        let pow = genuine.api_pow("submit").await;
        genuine
            .api_post_with_pow("/reports", &api_report("avvik", "lav", &[]), &pow)
            .await
            .expect(StatusCode::CREATED);
        let pow = genuine.api_pow("code").await;
        genuine
            .api_code_login_with_pow(&genuine_code, &pow)
            .await
            .expect(StatusCode::CREATED);
    });
    with_pow
        .await
        .expect("genuine reporters with proof of work pass");
    let refused = good_flood.await.expect("the flood ran");
    assert!(
        refused >= 10,
        "the no-JavaScript lane is bounded: {refused} of 12 refused"
    );

    // The no-JavaScript lane is spent now; the proof-of-work lane is not.
    let page = app
        .submit_report_form(&app.client(), &ReportForm::new("Uten JavaScript"))
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.headers.contains_key("retry-after"));
    let pow = app.pow("submit").await;
    let receipt = app
        .submit_report_form_with_pow(&app.client(), &ReportForm::new("Med JavaScript"), &pow)
        .await;
    assert_eq!(receipt.status, StatusCode::OK);
    // 2 genuine, up to 2 of the flood, 3 + 1 + 1 with proof of work.
    let stored = app.held_cases(handler).await.len();
    assert_eq!(stored, 2 + (12 - refused) + 5, "{refused} refused");
    app.teardown().await;
}

async fn a_known_device_logs_in_during_a_wrong_password_flood(backend: Backend) {
    let app = TestApp::spawn_with_clock(backend, Arc::new(still_clock()), |s| {
        s.rate_limits.staff_logins_per_minute = 1000;
        s.rate_limits.staff_logins_per_user_per_minute = 3;
        s.rate_limits.staff_logins_per_device_per_minute = 5;
    })
    .await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;

    // Hanne logs in once on her own browser, which keeps a device cookie.
    let browser = app.client();
    let r = app.staff_login_attempt(&browser, "hanne", PASSWORD).await;
    r.assert_see_other("/staff/inbox");
    let device = r.cookie("varsel_device").expect("a device cookie");
    let set = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("varsel_device="))
        .expect("set");
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Strict"), "{set}");
    assert!(set.contains("Max-Age="), "{set}");
    assert!(
        !device.to_lowercase().contains("hanne"),
        "the name is not in the cookie"
    );

    // Strangers flood her username with wrong passwords.
    let mut refused = 0;
    for n in 0..12 {
        let r = app
            .staff_login_attempt(&app.client(), "hanne", &format!("guess {n}"))
            .await;
        match r.status {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("{other}"),
        }
    }
    // Her own first login, from a then unknown device, counted too.
    assert_eq!(refused, 12 - 2);

    // An unknown device, even with the right password, is limited.
    let r = app
        .staff_login_attempt(&app.client(), "hanne", PASSWORD)
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // A forged or another user's device cookie is an unknown device.
    let forged = app.client_with_cookie(&format!("varsel_device={}x", &device[..device.len() - 1]));
    let r = app.staff_login_attempt(&forged, "hanne", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);

    // Her own browser, closed and opened again (only the device cookie left),
    // logs in on the page and through the API.
    let known = app.client_with_cookie(&format!("varsel_device={device}"));
    let r = app.staff_login_attempt(&known, "hanne", PASSWORD).await;
    r.assert_see_other("/staff/inbox");
    let r = app
        .api_send(
            app.api_request(reqwest::Method::POST, "/staff/session", None)
                .header("Cookie", format!("varsel_device={device}"))
                .json(&json!({"username": "hanne", "password": PASSWORD})),
        )
        .await;
    r.expect(StatusCode::CREATED);
    let r = app
        .api_post(
            "/staff/session",
            None,
            &json!({"username": "hanne", "password": PASSWORD}),
        )
        .await;
    r.expect_error(StatusCode::TOO_MANY_REQUESTS, "too_many_requests");

    // A stolen device cookie cannot brute-force: its own budget is bounded.
    let mut device_refused = 0;
    for n in 0..6 {
        let thief = app.client_with_cookie(&format!("varsel_device={device}"));
        let r = app
            .staff_login_attempt(&thief, "hanne", &format!("guess {n}"))
            .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            device_refused += 1;
        }
    }
    // Two of the device's five went on Hanne's own logins above.
    assert_eq!(device_refused, 3);
    app.teardown().await;
}

fn report_with_file(description: &str, bytes: usize) -> ReportForm<'_> {
    let mut form = ReportForm::new(description);
    form.files = vec![("bilde.pdf", vec![7u8; bytes])];
    form
}

fn api_multipart(bytes: usize) -> Form {
    Form::new()
        .text("report", api_report("varsling", "middels", &[]).to_string())
        .part(
            "attachment",
            Part::bytes(vec![9u8; bytes])
                .file_name("logg.txt")
                .mime_str("text/plain")
                .expect("a MIME type"),
        )
}

fn part_files(app: &TestApp) -> Vec<String> {
    app.attachment_files()
        .into_iter()
        .filter(|f| f.ends_with(".part"))
        .collect()
}

async fn the_storage_quota_refuses_uploads_and_keeps_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.limits.storage_quota_bytes = 60_000;
    })
    .await;
    let handler = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    app.file_report(&report_with_file("Med vedlegg", 40_000))
        .await;
    assert_eq!(app.attachment_files().len(), 1);

    let page = app
        .submit_report_form(
            &app.client(),
            &report_with_file("Ett vedlegg for mye", 30_000),
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::INSUFFICIENT_STORAGE,
        "{}",
        page.text
    );
    assert!(page.contains("lagringsplassen er full"), "{}", page.text);
    assert!(page.contains("Ett vedlegg for mye"), "the text is kept");
    // A reporter who picked English (the language link sets a cookie).
    let english = app.client();
    app.get(&english, "/?lang=en").await;
    let page = app
        .submit_report_form(&english, &report_with_file("Too much", 30_000))
        .await;
    assert_eq!(page.status, StatusCode::INSUFFICIENT_STORAGE);
    assert!(page.contains("its storage is full"), "{}", page.text);
    let r = app
        .api_upload("/reports", None, api_multipart(30_000))
        .await;
    r.expect_error(StatusCode::INSUFFICIENT_STORAGE, "storage_full");

    assert_eq!(app.held_cases(handler).await.len(), 1, "nothing stored");
    assert_eq!(app.attachment_files().len(), 1, "no new or partial files");
    // Without attachments the report still goes through.
    app.file_report(&ReportForm::new("Uten vedlegg")).await;
    app.teardown().await;
}

async fn the_hourly_upload_budget_refuses_anonymous_uploads(backend: Backend) {
    let app = TestApp::spawn_with_clock(backend, Arc::new(still_clock()), |s| {
        s.limits.anonymous_upload_bytes_per_hour = 50_000;
    })
    .await;
    let handler = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    // Refused forms give their bytes back: a flood of them with files does
    // not spend the budget.
    for _ in 0..3 {
        let page = app
            .submit_report_form(&app.client(), &report_with_file("", 30_000))
            .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
        let invalid = Form::new()
            .text(
                "report",
                r#"{"category": "ukjent", "severity": "lav", "description": "x"}"#,
            )
            .part(
                "attachment",
                Part::bytes(vec![3u8; 30_000]).file_name("a.txt"),
            );
        let r = app.api_upload("/reports", None, invalid).await;
        r.expect_error(StatusCode::BAD_REQUEST, "unknown_category");
    }
    assert!(app.attachment_files().is_empty());
    let code = app
        .file_report(&report_with_file("Første vedlegg", 30_000))
        .await;

    let page = app
        .submit_report_form(&app.client(), &report_with_file("Andre vedlegg", 30_000))
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.text);
    assert!(
        page.contains("for mange vedlegg den siste timen"),
        "{}",
        page.text
    );
    let r = app
        .api_upload("/reports", None, api_multipart(30_000))
        .await;
    r.expect_error(StatusCode::TOO_MANY_REQUESTS, "upload_budget_spent");
    // A reporter's follow-up upload is anonymous too.
    let token = app.reporter_token(&code).await;
    let form = Form::new().part(
        "attachment",
        Part::bytes(vec![1u8; 30_000]).file_name("mer.txt"),
    );
    let r = app
        .api_upload("/reporter/case/attachments", Some(&token), form)
        .await;
    r.expect_error(StatusCode::TOO_MANY_REQUESTS, "upload_budget_spent");

    assert_eq!(app.held_cases(handler).await.len(), 1);
    assert_eq!(app.attachment_files().len(), 1, "only the first file");
    assert!(part_files(&app).is_empty());
    // Staff uploads are not charged to the anonymous budget.
    let staff = app.staff_token("h1").await;
    let case = app.api_case_ids(&staff).await[0];
    let form = Form::new().part(
        "attachment",
        Part::bytes(vec![2u8; 30_000]).file_name("svar.txt"),
    );
    app.api_upload(
        &format!("/staff/cases/{case}/attachments"),
        Some(&staff),
        form,
    )
    .await
    .expect(StatusCode::CREATED);
    app.teardown().await;
}

/// Sends `head` and no body on a raw connection; what comes back before the
/// server closes it.
async fn stalled(app: &TestApp, head: &str) -> String {
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream
        .write_all(head.as_bytes())
        .await
        .expect("send the head");
    let mut answer = Vec::new();
    // Generous: the point is that the server ends it, not how fast.
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes a stalled request")
        .expect("read");
    String::from_utf8_lossy(&answer).into_owned()
}

async fn a_stalled_body_is_cut_off(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.server.body_idle_timeout_seconds = 1;
        s.server.body_deadline_seconds = 2;
    })
    .await;
    let answer = stalled(
        &app,
        "POST /api/v1/reports HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"categ",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    let answer = stalled(
        &app,
        "POST /followup?lang=en HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 300\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("took too long"), "{answer}");
    // The service still answers.
    app.page(&app.client(), "/report").await;
    app.teardown().await;
}

async fn proofs_of_work_are_single_use_expire_and_resist_tampering(backend: Backend) {
    let clock = still_clock();
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |s| {
        quick_pow(s);
        s.rate_limits.pow_challenge_seconds = 120;
    })
    .await;
    let handler = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let report = api_report("varsling", "middels", &[]);

    let pow = app.api_pow("submit").await;
    assert_eq!(pow.difficulty, 8);
    app.api_post_with_pow("/reports", &report, &pow)
        .await
        .expect(StatusCode::CREATED);
    // Accepted once.
    let r = app.api_post_with_pow("/reports", &report, &pow).await;
    r.expect_error(StatusCode::BAD_REQUEST, "pow_refused");
    // A changed challenge (its difficulty lowered) breaks the signature.
    let fresh = app.api_pow("submit").await;
    let parts: Vec<&str> = fresh.challenge.split('.').collect();
    let mut payload = base64_decode(parts[1]);
    payload[24] = 0;
    let mut tampered = fresh.clone();
    tampered.challenge = format!("v1.{}.{}", base64_encode(&payload), parts[2]);
    tampered.solution = "0".into();
    let r = app.api_post_with_pow("/reports", &report, &tampered).await;
    r.expect_error(StatusCode::BAD_REQUEST, "pow_refused");
    // A counter that does not do the work.
    let mut lazy = fresh.clone();
    lazy.solution = non_solution(&fresh.challenge, fresh.difficulty);
    let r = app.api_post_with_pow("/reports", &report, &lazy).await;
    r.expect_error(StatusCode::BAD_REQUEST, "pow_refused");
    // A challenge for code logins does not admit a report.
    let code_pow = app.api_pow("code").await;
    let r = app.api_post_with_pow("/reports", &report, &code_pow).await;
    r.expect_error(StatusCode::BAD_REQUEST, "pow_refused");
    // An expired one.
    clock.advance(time::Duration::seconds(121));
    let r = app.api_post_with_pow("/reports", &report, &fresh).await;
    r.expect_error(StatusCode::BAD_REQUEST, "pow_refused");
    assert_eq!(app.held_cases(handler).await.len(), 1);

    // On the page, a refused proof shows the form again with what was written.
    let page = app
        .submit_report_form_with_pow(&app.client(), &ReportForm::new("Teksten min"), &pow)
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Sikkerhetssjekken"), "{}", page.text);
    assert!(page.contains("Teksten min"));
    assert_eq!(app.held_cases(handler).await.len(), 1);
    app.teardown().await;
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .expect("base64url")
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

async fn difficulty_rises_under_load_seen_by_every_instance(backend: Backend) {
    let clock = still_clock();
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |s| {
        s.rate_limits.pow_base_difficulty = 6;
        s.rate_limits.pow_max_difficulty = 20;
        s.rate_limits.pow_load_threshold = 4;
        s.rate_limits.submissions_per_minute = 100;
    })
    .await;
    app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let other = second_instance(&app, Arc::new(clock.clone())).await;
    assert_eq!(app.api_pow("submit").await.difficulty, 6);
    assert_eq!(other.api_pow("submit").await.difficulty, 6);
    for n in 0..8 {
        app.report(&api_report("varsling", "middels", &[])).await;
        let _ = n;
    }
    clock.advance(time::Duration::seconds(3));
    let here = app.api_pow("submit").await.difficulty;
    let there = other.api_pow("submit").await.difficulty;
    assert_eq!(here, 10, "load 8 at threshold 4: two doublings, four bits");
    assert_eq!(there, here, "the other instance sees the shared load");
    // Into the next window: the load of the last one still counts, on the
    // instance that saw it and on the one that only shares the counters.
    clock.advance(time::Duration::seconds(60));
    assert_eq!(app.api_pow("submit").await.difficulty, 10);
    assert_eq!(other.api_pow("submit").await.difficulty, 10);
    // A load the other instance never read before its window turned is
    // still seen there, from the shared counter of the last window.
    for _ in 0..8 {
        app.report(&api_report("varsling", "middels", &[])).await;
    }
    clock.advance(time::Duration::seconds(61));
    assert_eq!(other.api_pow("submit").await.difficulty, 10);
    // A code login's difficulty follows its own load.
    assert_eq!(app.api_pow("code").await.difficulty, 6);
    app.teardown().await;
}

async fn two_instances_share_one_budget(backend: Backend) {
    let clock = still_clock();
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |s| {
        s.rate_limits.submissions_per_minute = 4;
    })
    .await;
    let handler = app.add_user("h1", "Hanne Handler", &["handler"]).await;
    let other = second_instance(&app, Arc::new(clock.clone())).await;
    let mut accepted = 0;
    for n in 0..6 {
        let service: &Service = if n % 2 == 0 { &app } else { &other };
        let r = service
            .submit_report(&api_report("varsling", "middels", &[]))
            .await;
        match r.status {
            StatusCode::CREATED => accepted += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            s => panic!("{s}: {}", r.text),
        }
    }
    assert_eq!(accepted, 4, "one limit for both instances, not one each");
    assert_eq!(app.held_cases(handler).await.len(), 4);

    // At the store: two connections to one database add to one counter.
    let a = app.db.store().await;
    let b = app.db.store().await;
    let (ra, rb) = tokio::join!(
        async {
            let mut seen = Vec::new();
            for _ in 0..20 {
                seen.push(a.add_to_counter("test.shared", 60, 1).await.expect("add"));
            }
            seen
        },
        async {
            let mut seen = Vec::new();
            for _ in 0..20 {
                seen.push(b.add_to_counter("test.shared", 60, 1).await.expect("add"));
            }
            seen
        }
    );
    let mut all: Vec<i64> = ra.into_iter().chain(rb).collect();
    all.sort_unstable();
    assert_eq!(
        all,
        (1..=40).collect::<Vec<i64>>(),
        "every addition counted once"
    );
    assert_eq!(a.counter("test.shared", 60).await.expect("read"), 40);
    assert_eq!(b.counter("test.shared", 0).await.expect("read"), 0);
    app.teardown().await;
}

async fn the_proof_of_work_script_is_served_from_the_service(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app.get(&app.client(), "/static/pow.js").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/javascript"));
    assert!(r.contains("/pow/challenge"));
    let csp = app.get(&app.client(), "/report").await.headers["content-security-policy"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let r = app
        .cookieless_client()
        .get(app.url("/pow/challenge?purpose=nothing"))
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    app.teardown().await;
}

crate::for_each_backend!(
    bad_requests_cost_nothing_and_a_flood_in_one_lane_spares_the_other,
    a_known_device_logs_in_during_a_wrong_password_flood,
    the_storage_quota_refuses_uploads_and_keeps_nothing,
    the_hourly_upload_budget_refuses_anonymous_uploads,
    a_stalled_body_is_cut_off,
    proofs_of_work_are_single_use_expire_and_resist_tampering,
    difficulty_rises_under_load_seen_by_every_instance,
    two_instances_share_one_budget,
    the_proof_of_work_script_is_served_from_the_service,
);
