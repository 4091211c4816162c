//! E-mail notifications on both backends. Mail that should arrive goes to a
//! real SMTP server program, aiosmtpd over STARTTLS with AUTH
//! (tests/api/real_smtp.rs); the hand-written server of tests/api/smtp.rs
//! only plays the faults aiosmtpd cannot: 451 answers, and a server without
//! STARTTLS. a new case mails its handlers once, with nothing about
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
use varsel::core::settings::{Settings, SmtpTls};
use varsel::core::store::{DeliveryState, NewNotification, NotificationKind};

use crate::app::{mail_through, rule, Backend, TestApp};
use crate::for_each_backend;
use crate::real_smtp::RealSmtp;
use crate::smtp::{decode_quoted_printable, Mode, SmtpServer};

const LOGIN_LINK: &str = "https://varsel.example.org/staff/login";
const REPORT_TEXT: &str = "Serverrommet i kjelleren står ulåst hver natt";
const REPORT_WHEN: &str = "Hver natt siden mars";
const REPORT_PLACE: &str = "Kjelleren i bygg B";

/// A service mailing through the server `mail` points it at, its scheduler
/// driven by `clock`.
async fn spawn(
    backend: Backend,
    mail: impl FnOnce(&mut Settings),
    clock: &ManualClock,
    max_attempts: u32,
    retry_base_seconds: u64,
) -> TestApp {
    TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), move |s| {
        mail(s);
        s.notifications.max_attempts = max_attempts;
        s.notifications.retry_base_seconds = retry_base_seconds;
    })
    .await
}

/// The report every test files.
fn report() -> Value {
    json!({
        "category": "avvik",
        "severity": "hoy",
        "description": REPORT_TEXT,
        "when": REPORT_WHEN,
        "place": REPORT_PLACE,
    })
}

/// `varsel notifications status` on the app's database.
fn cli_status(app: &TestApp) -> String {
    let out = app.command(&["notifications", "status"]);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The admin page, in English, as a fresh administrator sees it.
async fn admin_page(app: &TestApp, username: &str) -> String {
    let admin = app.staff_login(username).await;
    app.page(&admin, "/admin/notifications?lang=en").await
}

/// The one case `handler` holds.
async fn only_case(app: &TestApp, handler: Uuid) -> varsel::core::store::Case {
    let held = app.held_cases(handler).await;
    assert_eq!(held.len(), 1);
    held[0].clone()
}

async fn new_case_mails_each_handler_once_and_say_nothing_about_it(backend: Backend) {
    let smtp = RealSmtp::start();
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let client = smtp.client();
    let app = spawn(backend, |s| client.apply(s), &clock, 8, 60).await;
    let hanne = app
        .add_staff("hanne", &["handler"], &[], Some("hanne@example.org"))
        .await;
    app.add_staff("per", &["handler"], &[], Some("per@example.org"))
        .await;
    app.add_staff("ada", &["admin"], &[], Some("ada@example.org"))
        .await;
    let code = app.report(&report()).await;
    let case = only_case(&app, hanne).await;

    let report = app.tick().await;
    assert_eq!(report.delivery.sent, 2, "{report:?}");
    assert_eq!(app.tick().await, TickReport::default(), "nothing twice");

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
    assert!(app.store.notification_outbox().await.unwrap().is_empty());
    assert!(cli_status(&app).contains("sent: 2"));
    app.teardown().await;
}

async fn a_reminder_before_and_a_notice_after_the_acknowledgement_deadline(backend: Backend) {
    let smtp = RealSmtp::start();
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let client = smtp.client();
    let app = spawn(backend, |s| client.apply(s), &clock, 8, 60).await;
    let hanne = app
        .add_staff("hanne", &["handler"], &[], Some("hanne@example.org"))
        .await;
    app.add_staff("kari", &["contact"], &[], Some("kari@example.org"))
        .await;
    app.add_staff("ola", &["contact"], &[], None).await;
    app.add_staff("ada", &["admin"], &[], Some("ada@example.org"))
        .await;
    app.report(&report()).await;
    let case = only_case(&app, hanne).await;
    let received = OffsetDateTime::from_unix_timestamp(case.received_at).unwrap();
    assert_eq!(app.tick().await.delivery.sent, 1, "the new-case mail");

    // Acknowledgement is due 7 days after receipt; the reminder 24 hours before.
    clock.set(received + Duration::days(6) - Duration::minutes(1));
    assert_eq!(app.tick().await, TickReport::default(), "not yet");
    clock.set(received + Duration::days(6) + Duration::hours(1));
    let report = app.tick().await;
    assert_eq!((report.queued, report.delivery.sent), (1, 1), "{report:?}");
    assert_eq!(smtp.mails_to("hanne@example.org").len(), 2);
    clock.advance(Duration::minutes(1));
    assert_eq!(
        app.tick().await,
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
    let report = app.tick().await;
    assert_eq!(report.queued, 2, "kari and ola: {report:?}");
    assert_eq!((report.delivery.sent, report.delivery.failed), (1, 1));
    let to_kari = smtp.mails_to("kari@example.org");
    assert_eq!(to_kari.len(), 1);
    assert!(to_kari[0].data.contains(LOGIN_LINK));
    assert_eq!(smtp.mails_to("hanne@example.org").len(), 2);
    assert!(smtp.mails_to("ada@example.org").is_empty());
    clock.advance(Duration::hours(1));
    assert_eq!(
        app.tick().await,
        TickReport::default(),
        "no duplicate notice"
    );
    assert_eq!(smtp.mails().len(), 3);
    app.teardown().await;
}

async fn failed_deliveries_are_retried_with_backoff_and_shown(backend: Backend) {
    let smtp = SmtpServer::start(Mode::RejectRcpt).await;
    let port = smtp.port;
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = spawn(backend, |s| mail_through(s, port), &clock, 8, 60).await;
    let hanne = app
        .add_staff("hanne", &["handler"], &[], Some("hanne@example.org"))
        .await;
    app.add_staff("ada", &["admin"], &[], None).await;
    app.report(&report()).await;
    let case = only_case(&app, hanne).await;

    let start = clock.now().unix_timestamp();
    assert_eq!(app.tick().await.delivery.retrying, 1);
    let entries = app.store.notification_outbox().await.unwrap();
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
    assert_eq!(app.tick().await, TickReport::default());
    assert_eq!(smtp.refusals(), 1);
    clock.advance(Duration::seconds(1));
    assert_eq!(app.tick().await.delivery.retrying, 1);
    let entry = app.store.notification_outbox().await.unwrap().remove(0);
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
    assert_eq!(app.tick().await.delivery.sent, 1);
    assert_eq!(smtp.mails_to("hanne@example.org").len(), 1);
    assert!(app.store.notification_outbox().await.unwrap().is_empty());
    assert!(cli_status(&app).contains("sent: 1\nretrying: 0\n"));
    app.teardown().await;
}

async fn after_the_last_attempt_a_notification_is_failed_and_kept(backend: Backend) {
    let smtp = SmtpServer::start(Mode::RejectData).await;
    let port = smtp.port;
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = spawn(backend, |s| mail_through(s, port), &clock, 3, 10).await;
    app.add_staff("hanne", &["handler"], &[], Some("hanne@example.org"))
        .await;
    app.add_staff("ada", &["admin"], &[], None).await;
    app.report(&report()).await;

    assert_eq!(app.tick().await.delivery.retrying, 1);
    clock.advance(Duration::seconds(10));
    assert_eq!(app.tick().await.delivery.retrying, 1);
    clock.advance(Duration::seconds(20));
    assert_eq!(app.tick().await.delivery.failed, 1);
    assert_eq!(smtp.refusals(), 3);
    clock.advance(Duration::days(2));
    assert_eq!(app.tick().await, TickReport::default(), "never tried again");
    assert_eq!(smtp.refusals(), 3);

    let entry = app.store.notification_outbox().await.unwrap().remove(0);
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
    let smtp = RealSmtp::start();
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let client = smtp.client();
    let app = spawn(backend, |s| client.apply(s), &clock, 8, 60).await;
    app.add_staff("hanne", &["handler"], &[], Some("hanne@example.org"))
        .await;
    app.add_staff("nils", &["handler"], &[], None).await;
    app.add_staff("ada", &["admin"], &[], None).await;
    app.report(&report()).await;

    let report = app.tick().await;
    assert_eq!((report.delivery.sent, report.delivery.failed), (1, 1));
    let entries = app.store.notification_outbox().await.unwrap();
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
    let r = app.get(&app.client(), "/admin/notifications").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let handler = app.staff_login("hanne").await;
    let r = app.get(&handler, "/admin/notifications").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    app.teardown().await;
}

async fn starttls_is_required_when_configured(backend: Backend) {
    // The test server offers no STARTTLS: nothing may go out in plain text.
    let smtp = SmtpServer::start(Mode::Accept).await;
    let port = smtp.port;
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), move |s| {
        mail_through(s, port);
        s.notifications.tls = SmtpTls::Starttls;
    })
    .await;
    app.add_staff("hanne", &["handler"], &[], Some("hanne@example.org"))
        .await;
    app.report(&report()).await;
    assert_eq!(app.tick().await.delivery.retrying, 1);
    assert!(smtp.mails().is_empty());
    let entry = app.store.notification_outbox().await.unwrap().remove(0);
    assert_eq!(entry.state, DeliveryState::Retrying);
    assert!(
        entry.last_error.as_deref().unwrap().contains("STARTTLS"),
        "{entry:?}"
    );
    app.teardown().await;
}

async fn the_background_scheduler_delivers_on_its_own(backend: Backend) {
    let smtp = RealSmtp::start();
    let client = smtp.client();
    let app = TestApp::spawn_with(backend, move |s| {
        client.apply(s);
        s.notifications.interval_seconds = 1;
    })
    .await;
    app.add_staff("hanne", &["handler"], &[], Some("hanne@example.org"))
        .await;
    app.report(&report()).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while smtp.mails().is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(smtp.mails_to("hanne@example.org").len(), 1);
    assert!(smtp.mails()[0].data.contains(LOGIN_LINK));
    app.teardown().await;
}

async fn nothing_is_queued_while_notifications_are_disabled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_staff("hanne", &["handler"], &[], Some("hanne@example.org"))
        .await;
    app.report(&report()).await;
    assert_eq!(app.tick().await, TickReport::default());
    assert_eq!(
        app.store.notification_counts().await.unwrap(),
        Default::default()
    );
    // The page says notifications are off, not that all were delivered.
    app.add_user("ada", "Ada Admin", &["admin"]).await;
    let page = admin_page(&app, "ada").await;
    assert!(
        page.contains("E-mail notifications are switched off"),
        "{page}"
    );
    assert!(!page.contains("Every notification has been delivered"));
    app.teardown().await;
}

/// A case re-routed by triage reaches new people: they are told like those
/// it reached at receipt, and nobody is told twice.
async fn a_rerouted_case_notifies_the_members_it_now_reaches(backend: Backend) {
    let smtp = RealSmtp::start();
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let client = smtp.client();
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), move |s| {
        client.apply(s);
        s.routing.rules = vec![rule("avvik", "infosec"), rule("varsling", "hr")];
    })
    .await;
    let ines = Some("ines@example.org");
    app.add_staff("ines", &["handler"], &["infosec"], ines)
        .await;
    let hege = Some("hege@example.org");
    app.add_staff("hege", &["handler"], &["hr"], hege).await;
    app.report(&report()).await;
    assert_eq!(app.tick().await.delivery.sent, 1);
    assert_eq!(smtp.mails_to("ines@example.org").len(), 1);
    assert!(
        smtp.mails_to("hege@example.org").is_empty(),
        "not routed to hr yet"
    );

    // Ines re-classifies the report as varsling: it moves to hr.
    let token = app.staff_token("ines").await;
    let id = app.api_case_ids(&token).await[0];
    let r = app
        .api_triage(
            &token,
            id,
            &json!({"category": "varsling", "severity": "hoy"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(app.tick().await.delivery.sent, 1);
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
