//! E-mail notifications against a real SMTP exchange over TCP (tests/api/smtp.rs),
//! on both backends: a new case mails its handlers once, with nothing about
//! the case; a deadline reminder and an overdue notice come once each as a
//! manual clock moves; failed deliveries are retried with backoff, shown to
//! administrators, and after the last attempt marked failed, never dropped.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use varsel::core::clock::{Clock, ManualClock};
use varsel::core::domain::DeadlineKind;
use varsel::core::i18n::{Lang, Translator};
use varsel::core::notifications::TickReport;
use varsel::core::settings::SmtpTls;
use varsel::core::store::{DeliveryState, NewNotification, NotificationKind, OutboxEntry, User};

use crate::app::{csrf_of, Backend, TestApp, PASSWORD, TEST_WORK_FACTOR};
use crate::for_each_backend;
use crate::smtp::{decode_quoted_printable, Mode, SmtpServer};

const PUBLIC_URL: &str = "https://varsel.example.org";
const LOGIN_LINK: &str = "https://varsel.example.org/staff/login";
const REPORT_TEXT: &str = "Serverrommet i kjelleren står ulåst hver natt";
const REPORT_WHEN: &str = "Hver natt siden mars";
const REPORT_PLACE: &str = "Kjelleren i bygg B";

/// A service mailing through `smtp`, its scheduler driven by `clock`.
async fn spawn(
    backend: Backend,
    smtp: &SmtpServer,
    clock: &ManualClock,
    max_attempts: u32,
    retry_base_seconds: u64,
) -> TestApp {
    let port = smtp.port;
    TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), move |s| {
        let n = &mut s.notifications;
        n.enabled = true;
        n.smtp_host = "127.0.0.1".into();
        n.smtp_port = port;
        n.tls = SmtpTls::None;
        n.from = "Varsel <varsel@example.org>".into();
        n.public_url = PUBLIC_URL.into();
        n.max_attempts = max_attempts;
        n.retry_base_seconds = retry_base_seconds;
        // The tests run every pass themselves.
        n.interval_seconds = 3600;
        n.timeout_seconds = 10;
    })
    .await
}

/// Creates a staff account with `roles` and, if given, an e-mail address.
async fn add_staff(app: &TestApp, username: &str, roles: &[&str], email: Option<&str>) -> Uuid {
    add_staff_in(app, username, roles, &[], email).await
}

/// Like [`add_staff`], in the handler `groups`.
async fn add_staff_in(
    app: &TestApp,
    username: &str,
    roles: &[&str],
    groups: &[&str],
    email: Option<&str>,
) -> Uuid {
    let (recipient, wrapped_identity) =
        varsel::core::keys::new_user_keys(PASSWORD.as_bytes(), TEST_WORK_FACTOR).unwrap();
    let user = User {
        id: Uuid::new_v4(),
        username: username.to_owned(),
        display_name: format!("{username} (display)"),
        roles: roles
            .iter()
            .map(|r| varsel::core::domain::Role::parse(r).expect("role"))
            .collect(),
        recipient,
        wrapped_identity,
        email: email.map(str::to_owned),
        active: true,
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        created_at: varsel::core::clock::system_now(),
    };
    app.store.create_user(&user).await.unwrap();
    user.id
}

/// Submits a report through the JSON API; returns the case code.
async fn submit(app: &TestApp) -> String {
    let resp = reqwest::Client::new()
        .post(app.url("/api/v1/reports"))
        .json(&json!({
            "category": "avvik",
            "severity": "hoy",
            "description": REPORT_TEXT,
            "when": REPORT_WHEN,
            "place": REPORT_PLACE,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.unwrap();
    body["case_code"].as_str().unwrap().to_owned()
}

/// One scheduler pass at the clock's time.
async fn tick(app: &TestApp) -> TickReport {
    let clock = app.state.clock.clone();
    varsel::core::notifications::tick(&app.state, &*clock)
        .await
        .unwrap()
}

/// The undelivered notifications.
async fn outbox(app: &TestApp) -> Vec<OutboxEntry> {
    app.store.notification_outbox().await.unwrap()
}

/// `varsel notifications status` on the app's database.
fn cli_status(app: &TestApp) -> String {
    let out = crate::helpers::varsel()
        .args(["notifications", "status"])
        .env("VARSEL_DATABASE__URL", &app.settings.database.url)
        .env(
            "VARSEL_STORAGE__DATA_DIR",
            app.settings.storage.data_dir.display().to_string(),
        )
        .env("VARSEL_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The admin page, in English, as a fresh administrator sees it.
async fn admin_page(app: &TestApp, username: &str) -> String {
    let client = app.client();
    let login = client.get(app.url("/staff/login")).send().await.unwrap();
    let page = login.text().await.unwrap();
    let r = client
        .post(app.url("/staff/login"))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = client
        .get(app.url("/admin/notifications?lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

/// The one case in the store, through a handler's inbox.
async fn only_case(app: &TestApp, handler: Uuid) -> varsel::core::store::Case {
    let inbox = app.store.inbox(handler).await.unwrap();
    assert_eq!(inbox.len(), 1);
    inbox[0].case.clone()
}

async fn new_case_mails_each_handler_once_and_say_nothing_about_it(backend: Backend) {
    let smtp = SmtpServer::start(Mode::Accept).await;
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = spawn(backend, &smtp, &clock, 8, 60).await;
    let hanne = add_staff(&app, "hanne", &["handler"], Some("hanne@example.org")).await;
    add_staff(&app, "per", &["handler"], Some("per@example.org")).await;
    add_staff(&app, "ada", &["admin"], Some("ada@example.org")).await;
    let code = submit(&app).await;
    let case = only_case(&app, hanne).await;

    let report = tick(&app).await;
    assert_eq!(report.delivery.sent, 2, "{report:?}");
    assert_eq!(tick(&app).await, TickReport::default(), "nothing twice");

    let mails = smtp.mails();
    assert_eq!(mails.len(), 2);
    for address in ["hanne@example.org", "per@example.org"] {
        let to_them = smtp.mails_to(address);
        assert_eq!(to_them.len(), 1, "one mail to {address}");
        assert_eq!(to_them[0].to, vec![address.to_owned()]);
        assert_eq!(to_them[0].from, "varsel@example.org");
        assert!(to_them[0].data.contains(&format!("To: {address}")));
    }
    let nb = Translator::new(Lang::Nb);
    let en = Translator::new(Lang::En);
    let reference = case.id.simple().to_string()[..8].to_uppercase();
    let forbidden = [
        REPORT_TEXT.to_owned(),
        REPORT_WHEN.to_owned(),
        REPORT_PLACE.to_owned(),
        "avvik".to_owned(),
        nb.t("category.avvik"),
        en.t("category.avvik"),
        "hoy".to_owned(),
        nb.t("severity.hoy"),
        en.t("severity.hoy"),
        case.id.to_string(),
        case.id.simple().to_string(),
        reference,
        code.clone(),
        code.replace('-', ""),
    ];
    for mail in &mails {
        let decoded = decode_quoted_printable(&mail.data);
        assert!(mail.data.contains(LOGIN_LINK), "{}", mail.data);
        assert!(decoded.contains(LOGIN_LINK));
        assert!(mail
            .data
            .contains("Subject: Varsel: en sak trenger oppmerksomhet / a case needs attention"));
        for text in [&mail.data, &decoded] {
            let lower = text.to_lowercase();
            for word in &forbidden {
                assert!(
                    !lower.contains(&word.to_lowercase()),
                    "the mail contains {word:?}:\n{text}"
                );
            }
        }
    }
    assert!(outbox(&app).await.is_empty());
    assert!(cli_status(&app).contains("sent: 2"));
    app.teardown().await;
}

async fn a_reminder_before_and_a_notice_after_the_acknowledgement_deadline(backend: Backend) {
    let smtp = SmtpServer::start(Mode::Accept).await;
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = spawn(backend, &smtp, &clock, 8, 60).await;
    let hanne = add_staff(&app, "hanne", &["handler"], Some("hanne@example.org")).await;
    add_staff(&app, "kari", &["contact"], Some("kari@example.org")).await;
    add_staff(&app, "ola", &["contact"], None).await;
    add_staff(&app, "ada", &["admin"], Some("ada@example.org")).await;
    submit(&app).await;
    let case = only_case(&app, hanne).await;
    let received = OffsetDateTime::from_unix_timestamp(case.received_at).unwrap();
    assert_eq!(tick(&app).await.delivery.sent, 1, "the new-case mail");

    // Acknowledgement is due 7 days after receipt; the reminder 24 hours before.
    clock.set(received + Duration::days(6) - Duration::minutes(1));
    assert_eq!(tick(&app).await, TickReport::default(), "not yet");
    clock.set(received + Duration::days(6) + Duration::hours(1));
    let report = tick(&app).await;
    assert_eq!((report.queued, report.delivery.sent), (1, 1), "{report:?}");
    assert_eq!(smtp.mails_to("hanne@example.org").len(), 2);
    clock.advance(Duration::minutes(1));
    assert_eq!(
        tick(&app).await,
        TickReport::default(),
        "no duplicate reminder"
    );
    // The outbox itself refuses a repeated reminder (several instances).
    let repeat = NewNotification {
        id: Uuid::new_v4(),
        user_id: hanne,
        kind: NotificationKind::DeadlineReminder,
        case_id: Some(case.id),
        deadline: Some(DeadlineKind::Acknowledge),
        due_at: Some((received + Duration::days(7)).unix_timestamp()),
        created_at: clock.now().unix_timestamp(),
        next_attempt_at: clock.now().unix_timestamp(),
    };
    assert_eq!(app.store.enqueue_notifications(&[repeat]).await.unwrap(), 0);
    assert!(smtp.mails_to("kari@example.org").is_empty());

    // Overdue: the leads (interim rule: every active contact point, as none
    // holds the case) are told; the handler is not told again.
    clock.set(received + Duration::days(7) + Duration::minutes(1));
    let report = tick(&app).await;
    assert_eq!(report.queued, 2, "kari and ola: {report:?}");
    assert_eq!((report.delivery.sent, report.delivery.failed), (1, 1));
    let to_kari = smtp.mails_to("kari@example.org");
    assert_eq!(to_kari.len(), 1);
    assert!(to_kari[0].data.contains(LOGIN_LINK));
    assert_eq!(smtp.mails_to("hanne@example.org").len(), 2);
    assert!(smtp.mails_to("ada@example.org").is_empty());
    clock.advance(Duration::hours(1));
    assert_eq!(
        tick(&app).await,
        TickReport::default(),
        "no duplicate notice"
    );
    assert_eq!(smtp.mails().len(), 3);
    app.teardown().await;
}

async fn failed_deliveries_are_retried_with_backoff_and_shown(backend: Backend) {
    let smtp = SmtpServer::start(Mode::RejectRcpt).await;
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = spawn(backend, &smtp, &clock, 8, 60).await;
    let hanne = add_staff(&app, "hanne", &["handler"], Some("hanne@example.org")).await;
    add_staff(&app, "ada", &["admin"], None).await;
    submit(&app).await;
    let case = only_case(&app, hanne).await;

    let start = clock.now().unix_timestamp();
    assert_eq!(tick(&app).await.delivery.retrying, 1);
    let entries = outbox(&app).await;
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.state, DeliveryState::Retrying);
    assert_eq!(entry.attempts, 1);
    assert_eq!(entry.next_attempt_at, start + 60);
    let error = entry.last_error.clone().unwrap();
    assert_eq!(error, "temporary SMTP failure 451");
    assert_eq!(smtp.refusals(), 1);

    // Not due again before the backoff has passed.
    clock.advance(Duration::seconds(59));
    assert_eq!(tick(&app).await, TickReport::default());
    assert_eq!(smtp.refusals(), 1);
    clock.advance(Duration::seconds(1));
    assert_eq!(tick(&app).await.delivery.retrying, 1);
    let entry = outbox(&app).await.remove(0);
    assert_eq!(entry.attempts, 2);
    assert_eq!(entry.next_attempt_at, start + 60 + 120, "the wait doubles");

    let page = admin_page(&app, "ada").await;
    assert!(page.contains("hanne (display)"), "{page}");
    assert!(page.contains("retrying"));
    assert!(page.contains("New case"));
    assert!(page.contains(&error));
    assert!(page.contains("<dd id=\"count-retrying\">1</dd>"), "{page}");
    assert!(!page.contains("hanne@example.org"));
    assert!(!page.contains(&case.id.to_string()));
    assert!(!page.contains(&case.id.simple().to_string()[..8].to_uppercase()));
    let status = cli_status(&app);
    assert_eq!(
        status, "pending: 0\nsent: 0\nretrying: 1\nfailed: 0\n",
        "{status}"
    );

    // The server recovers: the next attempt delivers.
    smtp.set_mode(Mode::Accept);
    clock.advance(Duration::seconds(120));
    assert_eq!(tick(&app).await.delivery.sent, 1);
    assert_eq!(smtp.mails_to("hanne@example.org").len(), 1);
    assert!(outbox(&app).await.is_empty());
    assert!(cli_status(&app).contains("sent: 1\nretrying: 0\n"));
    app.teardown().await;
}

async fn after_the_last_attempt_a_notification_is_failed_and_kept(backend: Backend) {
    let smtp = SmtpServer::start(Mode::RejectData).await;
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = spawn(backend, &smtp, &clock, 3, 10).await;
    add_staff(&app, "hanne", &["handler"], Some("hanne@example.org")).await;
    add_staff(&app, "ada", &["admin"], None).await;
    submit(&app).await;

    assert_eq!(tick(&app).await.delivery.retrying, 1);
    clock.advance(Duration::seconds(10));
    assert_eq!(tick(&app).await.delivery.retrying, 1);
    clock.advance(Duration::seconds(20));
    assert_eq!(tick(&app).await.delivery.failed, 1);
    assert_eq!(smtp.refusals(), 3);
    clock.advance(Duration::days(2));
    assert_eq!(tick(&app).await, TickReport::default(), "never tried again");
    assert_eq!(smtp.refusals(), 3);

    let entry = outbox(&app).await.remove(0);
    assert_eq!(entry.state, DeliveryState::Failed);
    assert_eq!(entry.attempts, 3);
    assert!(entry.failed_at.is_some());
    let page = admin_page(&app, "ada").await;
    assert!(page.contains("failed"), "{page}");
    assert!(page.contains("temporary SMTP failure 451"));
    assert!(cli_status(&app).contains("failed: 1"));
    assert!(smtp.mails().is_empty());
    app.teardown().await;
}

async fn a_handler_without_an_address_is_shown_as_failed(backend: Backend) {
    let smtp = SmtpServer::start(Mode::Accept).await;
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = spawn(backend, &smtp, &clock, 8, 60).await;
    add_staff(&app, "hanne", &["handler"], Some("hanne@example.org")).await;
    add_staff(&app, "nils", &["handler"], None).await;
    add_staff(&app, "ada", &["admin"], None).await;
    submit(&app).await;

    let report = tick(&app).await;
    assert_eq!((report.delivery.sent, report.delivery.failed), (1, 1));
    let entries = outbox(&app).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].display_name, "nils (display)");
    assert_eq!(entries[0].state, DeliveryState::Failed);
    assert_eq!(entries[0].last_error.as_deref(), Some("no e-mail address"));
    let page = admin_page(&app, "ada").await;
    assert!(page.contains("nils (display)"));
    assert!(page.contains("no e-mail address"));
    assert_eq!(
        cli_status(&app),
        "pending: 0\nsent: 1\nretrying: 0\nfailed: 1\n"
    );

    // Only administrators see the page; without a session, the login page.
    let anonymous = app.client();
    let r = anonymous
        .get(app.url("/admin/notifications"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let handler = app.client();
    let login = handler.get(app.url("/staff/login")).send().await.unwrap();
    let page = login.text().await.unwrap();
    handler
        .post(app.url("/staff/login"))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("username", "hanne"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let r = handler
        .get(app.url("/admin/notifications"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.teardown().await;
}

async fn starttls_is_required_when_configured(backend: Backend) {
    // The test server offers no STARTTLS: nothing may go out in plain text.
    let smtp = SmtpServer::start(Mode::Accept).await;
    let port = smtp.port;
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), move |s| {
        let n = &mut s.notifications;
        n.enabled = true;
        n.smtp_host = "127.0.0.1".into();
        n.smtp_port = port;
        n.tls = SmtpTls::Starttls;
        n.interval_seconds = 3600;
    })
    .await;
    add_staff(&app, "hanne", &["handler"], Some("hanne@example.org")).await;
    submit(&app).await;
    assert_eq!(tick(&app).await.delivery.retrying, 1);
    assert!(smtp.mails().is_empty());
    let entry = outbox(&app).await.remove(0);
    assert_eq!(entry.state, DeliveryState::Retrying);
    assert!(
        entry.last_error.as_deref().unwrap().contains("STARTTLS"),
        "{entry:?}"
    );
    app.teardown().await;
}

async fn the_background_scheduler_delivers_on_its_own(backend: Backend) {
    let smtp = SmtpServer::start(Mode::Accept).await;
    let port = smtp.port;
    let app = TestApp::spawn_with(backend, move |s| {
        let n = &mut s.notifications;
        n.enabled = true;
        n.smtp_host = "127.0.0.1".into();
        n.smtp_port = port;
        n.tls = SmtpTls::None;
        n.interval_seconds = 1;
    })
    .await;
    add_staff(&app, "hanne", &["handler"], Some("hanne@example.org")).await;
    submit(&app).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while smtp.mails().is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(smtp.mails_to("hanne@example.org").len(), 1);
    assert!(smtp.mails()[0]
        .data
        .contains("http://127.0.0.1:8080/staff/login"));
    app.teardown().await;
}

async fn nothing_is_queued_while_notifications_are_disabled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_staff(&app, "hanne", &["handler"], Some("hanne@example.org")).await;
    submit(&app).await;
    assert_eq!(tick(&app).await, TickReport::default());
    assert_eq!(
        app.store.notification_counts().await.unwrap(),
        Default::default()
    );
    app.teardown().await;
}

/// A case re-routed by triage reaches new people: they are told like those
/// it reached at receipt, and nobody is told twice.
async fn a_rerouted_case_notifies_the_members_it_now_reaches(backend: Backend) {
    use varsel::core::routing::RoutingRule;
    let smtp = SmtpServer::start(Mode::Accept).await;
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let port = smtp.port;
    let rule = |category: &str, group: &str| RoutingRule {
        category: category.to_owned(),
        severities: ["lav", "middels", "hoy", "kritisk"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        groups: vec![group.to_owned()],
    };
    let rules = vec![rule("avvik", "infosec"), rule("varsling", "hr")];
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), move |s| {
        let n = &mut s.notifications;
        n.enabled = true;
        n.smtp_host = "127.0.0.1".into();
        n.smtp_port = port;
        n.tls = SmtpTls::None;
        n.from = "Varsel <varsel@example.org>".into();
        n.public_url = PUBLIC_URL.into();
        n.interval_seconds = 3600;
        s.routing.rules = rules;
    })
    .await;
    add_staff_in(
        &app,
        "ines",
        &["handler"],
        &["infosec"],
        Some("ines@example.org"),
    )
    .await;
    add_staff_in(
        &app,
        "hege",
        &["handler"],
        &["hr"],
        Some("hege@example.org"),
    )
    .await;
    submit(&app).await;
    assert_eq!(tick(&app).await.delivery.sent, 1);
    assert_eq!(smtp.mails_to("ines@example.org").len(), 1);
    assert!(
        smtp.mails_to("hege@example.org").is_empty(),
        "not routed to hr yet"
    );

    // Ines re-classifies the report as varsling: it moves to hr.
    let client = reqwest::Client::new();
    let token: Value = client
        .post(app.url("/api/v1/staff/session"))
        .json(&json!({"username": "ines", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["token"].as_str().unwrap().to_owned();
    let inbox: Value = client
        .get(app.url("/api/v1/staff/cases"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = inbox[0]["id"].as_str().unwrap().to_owned();
    let resp = client
        .post(app.url(&format!("/api/v1/staff/cases/{id}/triage")))
        .bearer_auth(&token)
        .json(&json!({"category": "varsling", "severity": "hoy"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(tick(&app).await.delivery.sent, 1);
    assert_eq!(
        smtp.mails_to("hege@example.org").len(),
        1,
        "hr is told of the case"
    );
    assert_eq!(
        smtp.mails_to("ines@example.org").len(),
        1,
        "no second mail to infosec"
    );
    app.teardown().await;
}

for_each_backend!(
    a_rerouted_case_notifies_the_members_it_now_reaches,
    new_case_mails_each_handler_once_and_say_nothing_about_it,
    a_reminder_before_and_a_notice_after_the_acknowledgement_deadline,
    failed_deliveries_are_retried_with_backoff_and_shown,
    after_the_last_attempt_a_notification_is_failed_and_kept,
    a_handler_without_an_address_is_shown_as_failed,
    starttls_is_required_when_configured,
    the_background_scheduler_delivers_on_its_own,
    nothing_is_queued_while_notifications_are_disabled,
);
