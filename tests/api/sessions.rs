//! Sessions in the database: several instances on one database serve every
//! flow alike and survive a restart; the session row holds neither the
//! client's secret nor a usable key; sessions expire as configured, by the
//! application clock; there is no cap to fill.

use std::sync::Arc;

use reqwest::header::COOKIE;
use reqwest::{Client, StatusCode};
use time::Duration;
use varsel::core::clock::ManualClock;
use varsel::core::sessions;
use varsel_crypto::{AnyRecipient, HybridIdentity, X25519Identity};

use crate::app::{
    code_on_receipt, csrf_of, Backend, Bind, ReportForm, ServedBinary, Service, TestApp, PASSWORD,
};
use crate::for_each_backend;

/// The name of the session cookie.
const SESSION_COOKIE: &str = "varsel_session";

/// `path` on `service` with nothing but the session cookie `token`.
async fn get_with_cookie(service: &Service, token: &str, path: &str) -> crate::app::Page {
    let request = service
        .cookieless_client()
        .get(service.url(path))
        .header(COOKIE, format!("{SESSION_COOKIE}={token}"));
    crate::app::Page::read(request.send().await.expect("GET")).await
}

/// Logs `username` in on the pages of `service` with `client`; the session
/// cookie's value.
async fn page_login(service: &Service, client: &Client, username: &str) -> String {
    let r = service
        .staff_login_attempt(client, username, PASSWORD)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{username} logs in");
    r.cookie(SESSION_COOKIE).expect("a session cookie")
}

/// THE acceptance test of issue 9, item 1: two `varsel serve` processes on
/// one database; every flow alternates between them, survives a restart of
/// one of them, and a logout on one ends the session on the other.
async fn every_flow_works_across_two_instances_and_a_restart(backend: Backend) {
    let a = ServedBinary::start(backend).await;
    a.add_user("hanne", Some("Hanne Handler"), "handler");
    let b = a.another().await;

    // An anonymous report form fetched on A is accepted by B.
    let reporter_browser = a.client();
    let form = a.page(&reporter_browser, "/report").await;
    let posted = b
        .post_multipart(
            &reporter_browser,
            "/report",
            ReportForm::new("Skjermen var ulåst hele natten.").form(Some(&csrf_of(&form))),
        )
        .await;
    // The receipt it leads to is shown by A.
    let receipt = a.follow_to_receipt(&reporter_browser, posted).await;
    assert_eq!(receipt.status, StatusCode::OK, "{}", receipt.text);
    let code = code_on_receipt(&receipt);

    // An API token from A works on B.
    let staff_token = a.staff_token("hanne").await;
    let case = b.api_only_case(&staff_token).await;

    // Staff login on A, then the inbox and the case on B.
    let hanne = a.client();
    let hanne_cookie = page_login(&a, &hanne, "hanne").await;
    let inbox = b.page(&hanne, "/staff/inbox").await;
    assert!(inbox.contains(&case.to_string()), "{inbox}");
    let case_path = format!("/staff/cases/{case}");
    let page = b.page(&hanne, &case_path).await;
    assert!(page.contains("Skjermen var ulåst hele natten."));

    // A staff form fetched on A is accepted by B.
    let csrf = csrf_of(&a.page(&hanne, &case_path).await);
    let r = b
        .reply_with_token(&hanne, Some(&csrf), case, "Takk, vi ser på det.", &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);

    // Reporter code login on A, then reading and replying on B.
    let reporter = a.reporter_login(&code).await;
    let mine = b.page(&reporter, "/case").await;
    assert!(mine.contains("Takk, vi ser på det."), "{mine}");
    let r = b
        .reporter_reply(&reporter, Some(&reporter.csrf), "Det gjelder rom 4.", &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let reporter_token = a.reporter_token(&code).await;
    let thread = b
        .api_reporter_case(&reporter_token)
        .await
        .expect(StatusCode::OK);
    assert_eq!(thread["messages"][1]["body"], "Det gjelder rom 4.");

    // Forms opened on B before B restarts: a staff reply and a new report.
    let staff_form = csrf_of(&b.page(&hanne, &case_path).await);
    let anonymous = a.client();
    let report_form = csrf_of(&b.page(&anonymous, "/report").await);
    let reporter_form = csrf_of(&b.page(&reporter, "/case").await);

    let log = b.stop();
    assert!(!log.contains(&code) && !log.contains(&hanne_cookie));
    let b = a.another().await;

    let page = b.page(&hanne, &case_path).await;
    assert!(
        page.contains("Det gjelder rom 4."),
        "the staff session survives"
    );
    let r = b
        .reply_with_token(&hanne, Some(&staff_form), case, "Skrevet før omstart.", &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "the open staff form posts");
    let r = b
        .reporter_reply(&reporter, Some(&reporter_form), "Også før omstart.", &[])
        .await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "the open reporter form posts"
    );
    let r = b
        .post_multipart(
            &anonymous,
            "/report",
            ReportForm::new("Meldt fra et skjema hentet før omstart.").form(Some(&report_form)),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "the open report form posts"
    );
    b.api_case(&staff_token, case).await.expect(StatusCode::OK);

    // Logout on A ends the session on B (the old cookie, sent again, is dead).
    assert_eq!(
        get_with_cookie(&b, &hanne_cookie, "/staff/inbox")
            .await
            .status,
        StatusCode::OK
    );
    let csrf = csrf_of(&a.page(&hanne, "/staff/inbox").await);
    let r = a
        .post_form_with_token(&hanne, Some(&csrf), "/staff/logout", &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = get_with_cookie(&b, &hanne_cookie, "/staff/inbox").await;
    assert_eq!(r.location(), Some("/staff/login"), "ended on B too");
    let r = a.api_delete("/staff/session", Some(&staff_token)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    b.api_get("/staff/cases", Some(&staff_token))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    drop(b);
    a.stop().await;
}

/// Whether `bytes` hold the identity of `recipient` in plain: its secret-key
/// text, or any 32-byte window that, taken as an X25519 secret or a hybrid
/// seed, is that identity.
fn holds_key_of(bytes: &[u8], recipient: &AnyRecipient) -> bool {
    if bytes
        .windows(b"AGE-SECRET-KEY".len())
        .any(|w| w.eq_ignore_ascii_case(b"AGE-SECRET-KEY"))
    {
        return true;
    }
    bytes.windows(32).any(|w| {
        let secret: [u8; 32] = w.try_into().expect("32 bytes");
        let public = match recipient {
            AnyRecipient::X25519(_) => X25519Identity::from_secret_bytes(secret)
                .to_public()
                .to_string(),
            AnyRecipient::Hybrid(_) => HybridIdentity::from_seed(secret).to_public().to_string(),
        };
        public == recipient.to_string()
    })
}

/// Every session row, every column as raw bytes.
async fn session_rows(app: &TestApp) -> Vec<Vec<Vec<u8>>> {
    app.db.raw_rows("SELECT * FROM sessions").await
}

/// A stolen database yields no session secret and no key; a forged or
/// guessed token, or the stored lookup key presented as a token, opens nothing.
async fn the_session_row_holds_no_secret_and_no_key(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let user = app.store.user_by_id(hanne).await.unwrap().unwrap();
    let staff_key = varsel::core::keys::recipient(&user.recipient).expect("a recipient");
    let code = app
        .report(&crate::app::api_report("avvik", "middels", &[]))
        .await;
    let api_token = app.staff_token("hanne").await;
    let case = app.api_only_case(&api_token).await;
    let case_key =
        varsel::core::keys::recipient(&app.stored_case(case).await.recipient).expect("recipient");
    let browser = app.client();
    let cookie_token = page_login(&app, &browser, "hanne").await;
    let reporter_token = app.reporter_token(&code).await;

    let rows = session_rows(&app).await;
    assert_eq!(rows.len(), 3);
    for token in [&api_token, &cookie_token, &reporter_token] {
        let secret = hex::decode(token).expect("a hex token");
        assert_eq!(secret.len(), 32);
        for column in rows.iter().flatten() {
            assert!(!column.windows(32).any(|w| w == secret.as_slice()));
            assert!(!column.windows(token.len()).any(|w| w == token.as_bytes()));
        }
    }
    for column in rows.iter().flatten() {
        assert!(!holds_key_of(column, &staff_key), "the staff key is sealed");
        assert!(!holds_key_of(column, &case_key), "the case key is sealed");
    }

    // The stored lookup keys, presented as tokens, are nobody's session.
    for row in &rows {
        let stolen = hex::encode(&row[0]);
        assert_eq!(stolen.len(), 64, "the first column is the lookup key");
        app.api_get("/staff/cases", Some(&stolen))
            .await
            .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
        let r = get_with_cookie(&app, &stolen, "/staff/inbox").await;
        assert_eq!(r.location(), Some("/staff/login"));
    }
    // A forged token of the right form, and a real one with a digit changed.
    let mut altered = api_token.clone().into_bytes();
    altered[10] = if altered[10] == b'0' { b'1' } else { b'0' };
    let altered = String::from_utf8(altered).unwrap();
    for forged in ["ab".repeat(32), altered, "not a token".to_owned()] {
        app.api_get("/staff/cases", Some(&forged))
            .await
            .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
        let r = get_with_cookie(&app, &forged, "/staff/inbox").await;
        assert_eq!(r.location(), Some("/staff/login"));
    }
    // A cookie session's token is no bearer token, and the reverse.
    app.api_get("/staff/cases", Some(&cookie_token))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let r = get_with_cookie(&app, &api_token, "/staff/inbox").await;
    assert_eq!(r.location(), Some("/staff/login"));
    // The genuine ones work.
    app.api_get("/staff/cases", Some(&api_token))
        .await
        .expect(StatusCode::OK);
    let r = get_with_cookie(&app, &cookie_token, "/staff/inbox").await;
    assert_eq!(r.status, StatusCode::OK);
    app.teardown().await;
}

/// The staff member's roles and status are read with the session: a
/// deactivation or role change takes effect at the next request; ending a
/// user's or a case's sessions ends them everywhere.
async fn accounts_are_reread_and_sessions_end_by_user_or_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let kari = app.add_user("kari", "Kari", &["handler"]).await;
    let code = app
        .report(&crate::app::api_report("avvik", "middels", &[]))
        .await;
    let hanne_token = app.staff_token("hanne").await;
    let kari_tokens = [app.staff_token("kari").await, app.staff_token("kari").await];
    let reporter_tokens = [
        app.reporter_token(&code).await,
        app.reporter_token(&code).await,
    ];
    app.api_get("/staff/cases", Some(&hanne_token))
        .await
        .expect(StatusCode::OK);

    app.db
        .execute_bound(&[(
            "UPDATE users SET roles = $1 WHERE id = $2",
            vec![
                Bind::Text(Some("auditor".into())),
                Bind::Text(Some(hanne.to_string())),
            ],
        )])
        .await;
    app.api_get("/staff/cases", Some(&hanne_token))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    app.db
        .execute_bound(&[(
            "UPDATE users SET roles = $1, active = FALSE WHERE id = $2",
            vec![
                Bind::Text(Some("handler".into())),
                Bind::Text(Some(hanne.to_string())),
            ],
        )])
        .await;
    app.api_get("/staff/cases", Some(&hanne_token))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");

    assert_eq!(sessions::end_for_user(&app.state, kari).await.unwrap(), 2);
    for token in &kari_tokens {
        app.api_get("/staff/cases", Some(token))
            .await
            .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let case = app.held_case_ids(kari).await[0];
    app.api_reporter_case(&reporter_tokens[0])
        .await
        .expect(StatusCode::OK);
    assert_eq!(sessions::end_for_case(&app.state, case).await.unwrap(), 2);
    for token in &reporter_tokens {
        app.api_reporter_case(token)
            .await
            .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    assert!(session_rows(&app).await.is_empty());
    app.teardown().await;
}

/// The application clock, standing at a fixed time.
fn clock() -> ManualClock {
    ManualClock::new(time::macros::datetime!(2026-03-02 09:00 UTC))
}

/// Sessions end after their idle timeout, whatever instance serves them;
/// use keeps them alive; ended rows are deleted when met and by the sweep.
async fn sessions_end_when_idle(backend: Backend) {
    let clock = clock();
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |s| {
        s.sessions.reporter_idle_minutes = 30;
        s.sessions.staff_idle_minutes = 60;
        s.sessions.staff_max_hours = 12;
    })
    .await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let code = app
        .report(&crate::app::api_report("avvik", "middels", &[]))
        .await;
    let reporter = app.reporter_token(&code).await;
    let staff = app.staff_token("hanne").await;
    let idle_reporter = app.reporter_token(&code).await;

    // 29 minutes on, both are alive; using them keeps them so.
    clock.advance(Duration::minutes(29));
    app.api_reporter_case(&reporter)
        .await
        .expect(StatusCode::OK);
    app.api_get("/staff/cases", Some(&staff))
        .await
        .expect(StatusCode::OK);
    // The reporter left alone for its full idle timeout has ended…
    clock.advance(Duration::minutes(1));
    app.api_reporter_case(&idle_reporter)
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    // …while the one used a minute ago goes on for another half hour.
    clock.advance(Duration::minutes(28));
    app.api_reporter_case(&reporter)
        .await
        .expect(StatusCode::OK);
    clock.advance(Duration::minutes(30));
    app.api_reporter_case(&reporter)
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    // Staff idle for 59 minutes is alive; a full hour, not.
    app.api_get("/staff/cases", Some(&staff))
        .await
        .expect(StatusCode::OK);
    let other = app.staff_token("hanne").await;
    clock.advance(Duration::minutes(60));
    app.api_get("/staff/cases", Some(&staff))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    // Met ended sessions were deleted; the sweep (which the housekeeping
    // timer may also have run meanwhile) deletes the rest.
    assert!(session_rows(&app).await.len() <= 1);
    sessions::purge_expired(&app.state).await.unwrap();
    assert!(session_rows(&app).await.is_empty());
    app.api_get("/staff/cases", Some(&other))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    app.teardown().await;
}

/// A staff session ends `staff_max_hours` after login however active it is
/// (its key is held no longer); reporter sessions have no such limit.
async fn staff_sessions_end_after_their_absolute_lifetime(backend: Backend) {
    let clock = clock();
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |s| {
        s.sessions.reporter_idle_minutes = 30;
        s.sessions.staff_idle_minutes = 60;
        s.sessions.staff_max_hours = 2;
    })
    .await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let code = app
        .report(&crate::app::api_report("avvik", "middels", &[]))
        .await;
    let staff = app.staff_token("hanne").await;
    let browser = app.client();
    page_login(&app, &browser, "hanne").await;
    let reporter = app.reporter_token(&code).await;
    for _ in 0..5 {
        clock.advance(Duration::minutes(23));
        app.api_get("/staff/cases", Some(&staff))
            .await
            .expect(StatusCode::OK);
        assert_eq!(
            app.get(&browser, "/staff/inbox").await.status,
            StatusCode::OK
        );
        app.api_reporter_case(&reporter)
            .await
            .expect(StatusCode::OK);
    }
    clock.advance(Duration::minutes(5));
    app.api_get("/staff/cases", Some(&staff))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let r = app.get(&browser, "/staff/inbox").await;
    assert_eq!(r.location(), Some("/staff/login"), "ended however active");
    app.api_reporter_case(&reporter)
        .await
        .expect(StatusCode::OK);
    app.teardown().await;
}

/// There is no cap on sessions to fill: far more code logins than the old
/// small caps all succeed, and every one of their sessions stays alive.
async fn many_code_logins_all_keep_their_sessions(backend: Backend) {
    const LOGINS: usize = 150;
    let app = TestApp::spawn_with(backend, |s| {
        s.rate_limits.code_logins_per_minute = 10_000;
    })
    .await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let code = app
        .report(&crate::app::api_report("avvik", "middels", &[]))
        .await;
    let mut tokens = Vec::new();
    for _ in 0..LOGINS {
        tokens.push(app.reporter_token(&code).await);
    }
    for token in &tokens {
        app.api_reporter_case(token).await.expect(StatusCode::OK);
    }
    assert_eq!(session_rows(&app).await.len(), LOGINS);
    app.teardown().await;
}

for_each_backend!(
    every_flow_works_across_two_instances_and_a_restart,
    the_session_row_holds_no_secret_and_no_key,
    accounts_are_reread_and_sessions_end_by_user_or_case,
    sessions_end_when_idle,
    staff_sessions_end_after_their_absolute_lifetime,
    many_code_logins_all_keep_their_sessions,
);
