//! Deadlines on stored cases: feedback extension, deadline facts from escalation
//! decisions, the inbox and the reporter page.
//!
//! Each scenario runs on both backends with a manual clock: the feedback
//! deadline is extended once, with a reason the reporter never sees but whose
//! new date they do; a second or late extension is refused and changes
//! nothing; the audit log records who and when, never the reason; a
//! personal-data breach, a `kritisk` case and a Security-Act case show their
//! decision deadline first in the inbox, overdue once the clock passes it and
//! met only by a decision about the right authority; and reminders follow the
//! sub-type's duties.

use std::sync::Arc;

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use varsel::core::clock::{Clock, ManualClock};
use varsel::core::domain::deadline::add_calendar_months;
use varsel::core::domain::DeadlineKind;
use varsel::core::settings::SmtpTls;
use varsel::core::store::User;

use crate::app::{csrf_of, Backend, TestApp, PASSWORD, TEST_WORK_FACTOR};
use crate::for_each_backend;
use crate::privacy::{scan_dir, scan_postgres};
use crate::smtp::{Mode, SmtpServer};

for_each_backend!(
    the_feedback_deadline_is_extended_once_with_a_reason,
    an_extension_is_refused_late_answered_closed_or_without_a_reason,
    a_personal_data_breach_shows_its_72_hour_decision_first,
    a_kritisk_case_needs_an_escalation_decision_within_24_hours,
    a_security_act_case_shows_its_immediate_nsm_notice,
    reminders_follow_the_sub_type_duties,
);

const REASON: &str = "ExtensionReasonMarker: venter på ekstern gransking";

// ---- helpers ----------------------------------------------------------------

async fn spawn(backend: Backend, clock: &ManualClock) -> TestApp {
    TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |_| {}).await
}

fn api(app: &TestApp, path: &str) -> String {
    app.url(&format!("/api/v1{path}"))
}

/// A time as the staff pages show it: dd.mm.yyyy, with hh:mm unless midnight.
fn moment(t: OffsetDateTime) -> String {
    let day = day(t);
    if t.hour() == 0 && t.minute() == 0 {
        day
    } else {
        format!("{day} {:02}:{:02}", t.hour(), t.minute())
    }
}

/// A date as the pages show it: dd.mm.yyyy.
fn day(t: OffsetDateTime) -> String {
    format!("{:02}.{:02}.{}", t.day(), u8::from(t.month()), t.year())
}

/// A time as the decision form takes it.
fn form_moment(t: OffsetDateTime) -> String {
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// Submits a report through the API; returns the case code.
async fn submit(app: &TestApp, category: &str, severity: &str) -> String {
    let r = Client::new()
        .post(api(app, "/reports"))
        .json(&json!({
            "category": category,
            "severity": severity,
            "description": "Noe som må følges opp innen fristen.",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    body["case_code"].as_str().unwrap().to_owned()
}

async fn token(app: &TestApp, username: &str) -> String {
    let r = Client::new()
        .post(api(app, "/staff/session"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

async fn api_get(app: &TestApp, token: &str, path: &str) -> Value {
    let r = Client::new()
        .get(api(app, path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "GET {path}");
    r.json().await.unwrap()
}

async fn api_post(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let r = Client::new()
        .post(api(app, path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

/// The inbox through the API.
async fn inbox(app: &TestApp, token: &str) -> Vec<Value> {
    api_get(app, token, "/staff/cases")
        .await
        .as_array()
        .unwrap()
        .clone()
}

/// The inbox line of `case` through the API.
async fn inbox_item(app: &TestApp, token: &str, case: Uuid) -> Value {
    inbox(app, token)
        .await
        .into_iter()
        .find(|i| i["id"] == case.to_string())
        .expect("case in the inbox")
}

/// The ids in the inbox, in its order.
async fn case_ids(app: &TestApp, token: &str) -> Vec<Uuid> {
    inbox(app, token)
        .await
        .iter()
        .map(|i| Uuid::parse_str(i["id"].as_str().unwrap()).unwrap())
        .collect()
}

async fn triage(
    app: &TestApp,
    token: &str,
    case: Uuid,
    category: &str,
    subtype: &str,
    severity: &str,
) {
    let (status, body) = api_post(
        app,
        token,
        &format!("/staff/cases/{case}/triage"),
        json!({"category": category, "subtype": subtype, "severity": severity}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn received_at(app: &TestApp, case: Uuid) -> OffsetDateTime {
    let case = app.store.case_by_id(case).await.unwrap().unwrap();
    OffsetDateTime::from_unix_timestamp(case.received_at).unwrap()
}

/// A page client logged in as `username`, and its CSRF token.
async fn login(app: &TestApp, username: &str) -> (Client, String) {
    let client = app.client();
    let (_, page) = get(&client, &app.url("/staff/login")).await;
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
    let (_, inbox) = get(&client, &app.url("/staff/inbox")).await;
    (client, csrf_of(&inbox))
}

/// A reporter page client logged in with `code`.
async fn reporter_login(app: &TestApp, code: &str) -> Client {
    let client = app.client();
    let (_, page) = get(&client, &app.url("/followup")).await;
    let r = client
        .post(app.url("/followup"))
        .form(&[("csrf", csrf_of(&page).as_str()), ("code", code)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    client
}

async fn get(client: &Client, url: &str) -> (StatusCode, String) {
    let r = client.get(url).send().await.unwrap();
    let status = r.status();
    (status, r.text().await.unwrap())
}

async fn post_form(
    app: &TestApp,
    client: &Client,
    path: &str,
    csrf: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut form = vec![("csrf", csrf)];
    form.extend_from_slice(fields);
    let r = client.post(app.url(path)).form(&form).send().await.unwrap();
    let status = r.status();
    (status, r.text().await.unwrap())
}

/// The inbox table row of `case` on the inbox page.
async fn inbox_row(app: &TestApp, client: &Client, case: Uuid) -> String {
    let (status, page) = get(client, &app.url("/staff/inbox")).await;
    assert_eq!(status, StatusCode::OK);
    let at = page
        .find(&format!("href=\"/staff/cases/{case}\""))
        .expect("case listed");
    let end = page[at..].find("</tr>").expect("row ends") + at;
    page[at..end].to_owned()
}

/// Records a decision through the case page's form.
async fn decide(
    app: &TestApp,
    client: &Client,
    csrf: &str,
    case: Uuid,
    authority: &str,
    decision: &str,
    at: OffsetDateTime,
) {
    let at = form_moment(at);
    let (status, page) = post_form(
        app,
        client,
        &format!("/staff/cases/{case}/escalation"),
        csrf,
        &[
            ("authority", authority),
            ("decision", decision),
            ("legal_basis", "other"),
            ("rationale", "Vurdert av kontaktpunktet."),
            ("aware_at", &at),
            ("decided_at", &at),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
}

/// The deadline of `kind` in the staff case JSON.
async fn deadline(app: &TestApp, token: &str, case: Uuid, kind: DeadlineKind) -> Value {
    let case = api_get(app, token, &format!("/staff/cases/{case}")).await;
    case["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == kind.key())
        .cloned()
        .unwrap_or(Value::Null)
}

fn extension_path(case: Uuid) -> String {
    format!("/staff/cases/{case}/feedback-extension")
}

async fn extension_audits(app: &TestApp) -> usize {
    app.store
        .audit_entries()
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == "case.feedback_extended")
        .count()
}

// ---- scenarios ----------------------------------------------------------------

async fn the_feedback_deadline_is_extended_once_with_a_reason(backend: Backend) {
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = spawn(backend, &clock).await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    app.add_user("per", "Per Handler", &["handler"]).await;
    let code = submit(&app, "varsling", "middels").await;
    let t = token(&app, "hanne").await;
    let id = case_ids(&app, &t).await[0];
    let (status, _) = api_post(
        &app,
        &t,
        &format!("/staff/cases/{id}/acknowledge"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let case = app.store.case_by_id(id).await.unwrap().unwrap();
    let acknowledged = OffsetDateTime::from_unix_timestamp(case.acknowledged_at.unwrap()).unwrap();
    let original = add_calendar_months(acknowledged, 3);
    let extended = add_calendar_months(acknowledged, 6);

    // Before: the reporter expects feedback by the original date.
    let reporter = reporter_login(&app, &code).await;
    let (_, page) = get(&reporter, &app.url("/case")).await;
    assert!(page.contains(&day(original)), "{page}");

    // Hanne extends the deadline on the case page, a month on.
    let (hanne_client, csrf) = login(&app, "hanne").await;
    let case_url = app.url(&format!("/staff/cases/{id}"));
    let (_, page) = get(&hanne_client, &case_url).await;
    assert!(page.contains(&format!("action=\"{}\"", extension_path(id))));
    assert!(page.contains(&moment(original)), "{page}");
    clock.advance(Duration::days(30));
    let (status, body) = post_form(
        &app,
        &hanne_client,
        &extension_path(id),
        &csrf,
        &[("reason", REASON)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");

    // The case page shows the new date, the reason and who extended it; the
    // form is gone.
    let (_, page) = get(&hanne_client, &case_url).await;
    assert!(page.contains(&moment(extended)), "{page}");
    assert!(page.contains(REASON));
    assert!(page.contains("Hanne Handler"));
    assert!(page.contains("(forlenget)"));
    assert!(!page.contains(&format!("action=\"{}\"", extension_path(id))));
    let staff_case = api_get(&app, &t, &format!("/staff/cases/{id}")).await;
    assert_eq!(staff_case["feedback_extension"]["reason"], REASON);
    assert_eq!(
        staff_case["feedback_extension"]["extended_by"],
        "Hanne Handler"
    );
    let feedback = deadline(&app, &t, id, DeadlineKind::Feedback).await;
    assert_eq!(feedback["due"], rfc3339(extended));
    assert_eq!(feedback["state"], "open");

    // The reporter now expects feedback by the new date, and never sees why.
    let (_, page) = get(&reporter, &app.url("/case")).await;
    assert!(page.contains(&day(extended)), "{page}");
    assert!(!page.contains(&day(original)));
    assert!(!page.contains("ExtensionReasonMarker"));

    // A second extension, by anyone and any way, is refused and changes nothing.
    let stored = app.store.feedback_extension(id).await.unwrap().unwrap();
    let (per_client, per_csrf) = login(&app, "per").await;
    let (status, page) = post_form(
        &app,
        &per_client,
        &extension_path(id),
        &per_csrf,
        &[("reason", "En gang til")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("allerede forlenget"), "{page}");
    let per = token(&app, "per").await;
    let (status, body) = api_post(
        &app,
        &per,
        &format!("/staff/cases/{id}/feedback-extension"),
        json!({"reason": "En gang til"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "feedback_already_extended");
    assert_eq!(
        app.store.feedback_extension(id).await.unwrap(),
        Some(stored)
    );
    let feedback = deadline(&app, &t, id, DeadlineKind::Feedback).await;
    assert_eq!(feedback["due"], rfc3339(extended));

    // The audit log says who extended it and when, never why.
    let entries = app.store.audit_entries().await.unwrap();
    let extensions: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "case.feedback_extended")
        .collect();
    assert_eq!(extensions.len(), 1);
    assert_eq!(extensions[0].actor, format!("user:{hanne}"));
    assert_eq!(extensions[0].case_id, Some(id.to_string()));
    assert!(extensions[0].at > 0);
    assert!(entries
        .iter()
        .all(|e| !e.detail.contains("ExtensionReasonMarker")));
    assert_eq!(varsel::core::audit::verify(&entries), Ok(entries.len()));

    // And the reason is nowhere stored readable.
    let needles = vec!["ExtensionReasonMarker".to_owned()];
    let mut hits = Vec::new();
    scan_dir(app.db.data_dir.path(), &needles, &mut hits);
    if backend == Backend::Postgres {
        scan_postgres(&app.db.url, &needles, &mut hits).await;
    }
    assert!(hits.is_empty(), "{hits:?}");
    app.teardown().await;
}

async fn an_extension_is_refused_late_answered_closed_or_without_a_reason(backend: Backend) {
    let start = OffsetDateTime::now_utc();
    let clock = ManualClock::new(start);
    let app = spawn(backend, &clock).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    submit(&app, "varsling", "middels").await;
    submit(&app, "avvik", "lav").await;
    let t = token(&app, "hanne").await;
    let ids = case_ids(&app, &t).await;
    let (late, answered) = (ids[0], ids[1]);
    let (client, csrf) = login(&app, "hanne").await;

    // Without a reason, or with too long a one: explained, nothing changed.
    let (status, page) = post_form(
        &app,
        &client,
        &extension_path(late),
        &csrf,
        &[("reason", "  ")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Skriv en begrunnelse"), "{page}");
    assert!(page.contains("href=\"#feedback-extension\""));
    let path = format!("/staff/cases/{late}/feedback-extension");
    let (status, body) = api_post(&app, &t, &path, json!({"reason": ""})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "text_required");
    assert_eq!(body["error"]["field"], "reason");
    let (status, body) = api_post(&app, &t, &path, json!({"reason": "x".repeat(2_001)})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "text_too_long");

    // Once the original deadline (no acknowledgement: day 7 + 3 months) is
    // reached, it is too late.
    let original = add_calendar_months(received_at(&app, late).await + Duration::days(7), 3);
    clock.set(original);
    let (status, page) = post_form(
        &app,
        &client,
        &extension_path(late),
        &csrf,
        &[("reason", REASON)],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("opprinnelige fristen"), "{page}");
    assert!(page.contains(&moment(original)));
    let (status, body) = api_post(&app, &t, &path, json!({"reason": REASON})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "feedback_deadline_passed");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&rfc3339(original)));
    assert_eq!(app.store.feedback_extension(late).await.unwrap(), None);
    let feedback = deadline(&app, &t, late, DeadlineKind::Feedback).await;
    assert_eq!(feedback["due"], rfc3339(original));
    assert_eq!(feedback["state"], "overdue");

    // Feedback given: nothing left to extend; closed: neither.
    clock.set(start);
    let (status, _) = api_post(
        &app,
        &t,
        &format!("/staff/cases/{answered}/status"),
        json!({"status": "feedback_given"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let path = format!("/staff/cases/{answered}/feedback-extension");
    let (status, body) = api_post(&app, &t, &path, json!({"reason": REASON})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "feedback_already_given");
    let (status, page) = post_form(
        &app,
        &client,
        &format!("/staff/cases/{answered}/close"),
        &csrf,
        &[("outcome", "substantiated"), ("evaluation", "Fulgt opp.")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (status, page) = post_form(
        &app,
        &client,
        &extension_path(answered),
        &csrf,
        &[("reason", REASON)],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("Saken er lukket"), "{page}");
    let (status, body) = api_post(&app, &t, &path, json!({"reason": REASON})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "case_closed");

    assert_eq!(app.store.feedback_extension(answered).await.unwrap(), None);
    assert_eq!(extension_audits(&app).await, 0);
    app.teardown().await;
}

async fn a_personal_data_breach_shows_its_72_hour_decision_first(backend: Backend) {
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = spawn(backend, &clock).await;
    // Both a handler and a contact point: the case reaches her as a handler.
    app.add_user("kari", "Kari Kontakt", &["handler", "contact"])
        .await;
    submit(&app, "avvik", "middels").await;
    let t = token(&app, "kari").await;
    let id = case_ids(&app, &t).await[0];
    let received = received_at(&app, id).await;
    let item = inbox_item(&app, &t, id).await;
    assert_eq!(item["next_deadline_kind"], "acknowledge");

    // Triaged as a personal-data breach: the 72-hour decision comes first.
    triage(&app, &t, id, "avvik", "personvernbrudd", "middels").await;
    let due = received + Duration::hours(72);
    let item = inbox_item(&app, &t, id).await;
    assert_eq!(item["next_deadline_kind"], "breach_decision");
    assert_eq!(item["next_deadline_due"], rfc3339(due));
    let (client, csrf) = login(&app, "kari").await;
    let row = inbox_row(&app, &client, id).await;
    assert!(
        row.contains("Beslutte om Datatilsynet skal varsles"),
        "{row}"
    );
    assert!(row.contains(&moment(due)));
    assert!(!row.contains("class=\"overdue\""), "{row}");

    // After 72 hours it is overdue.
    clock.set(due + Duration::minutes(1));
    let row = inbox_row(&app, &client, id).await;
    assert!(
        row.contains("Beslutte om Datatilsynet skal varsles"),
        "{row}"
    );
    assert!(row.contains("class=\"overdue\""), "{row}");
    assert_eq!(
        inbox_item(&app, &t, id).await["next_deadline_state"],
        "overdue"
    );
    let (_, page) = get(&client, &app.url(&format!("/staff/cases/{id}"))).await;
    assert!(page.contains("forfalt"));

    // A decision about the police does not answer it; one about Datatilsynet does.
    decide(&app, &client, &csrf, id, "politi", "escalate", clock.now()).await;
    assert_eq!(
        inbox_item(&app, &t, id).await["next_deadline_kind"],
        "breach_decision"
    );
    decide(
        &app,
        &client,
        &csrf,
        id,
        "datatilsynet",
        "defer",
        clock.now(),
    )
    .await;
    assert_eq!(
        inbox_item(&app, &t, id).await["next_deadline_kind"],
        "breach_decision"
    );
    decide(
        &app,
        &client,
        &csrf,
        id,
        "datatilsynet",
        "do_not_escalate",
        clock.now(),
    )
    .await;
    let breach = deadline(&app, &t, id, DeadlineKind::BreachDecision).await;
    assert_eq!(breach["state"], "met");
    assert_eq!(breach["met_in_time"], false);
    let item = inbox_item(&app, &t, id).await;
    assert_eq!(item["next_deadline_kind"], "acknowledge");
    let row = inbox_row(&app, &client, id).await;
    assert!(row.contains("Bekrefte mottak"), "{row}");
    assert!(!row.contains("class=\"overdue\""));
    let (_, page) = get(&client, &app.url(&format!("/staff/cases/{id}"))).await;
    assert!(page.contains("oppfylt for sent"), "{page}");
    app.teardown().await;
}

async fn a_kritisk_case_needs_an_escalation_decision_within_24_hours(backend: Backend) {
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = spawn(backend, &clock).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    app.add_user("kari", "Kari Kontakt", &["contact"]).await;
    submit(&app, "varsling", "kritisk").await;
    let t = token(&app, "hanne").await;
    let id = case_ids(&app, &t).await[0];
    let due = received_at(&app, id).await + Duration::hours(24);
    let item = inbox_item(&app, &t, id).await;
    assert_eq!(item["next_deadline_kind"], "critical_escalation_decision");
    assert_eq!(item["next_deadline_due"], rfc3339(due));

    clock.set(due + Duration::minutes(1));
    let (hanne, _) = login(&app, "hanne").await;
    let row = inbox_row(&app, &hanne, id).await;
    assert!(row.contains("Beslutte eskalering"), "{row}");
    assert!(row.contains("class=\"overdue\""), "{row}");

    // Deferring decides nothing; a decision about any authority meets it.
    let (kari, kari_csrf) = login(&app, "kari").await;
    decide(&app, &kari, &kari_csrf, id, "politi", "defer", clock.now()).await;
    assert_eq!(
        inbox_item(&app, &t, id).await["next_deadline_kind"],
        "critical_escalation_decision"
    );
    decide(
        &app,
        &kari,
        &kari_csrf,
        id,
        "arbeidstilsynet",
        "escalate",
        clock.now(),
    )
    .await;
    let critical = deadline(&app, &t, id, DeadlineKind::CriticalEscalationDecision).await;
    assert_eq!(critical["state"], "met");
    let item = inbox_item(&app, &t, id).await;
    assert_eq!(item["next_deadline_kind"], "acknowledge");
    assert_eq!(item["next_deadline_state"], "open");
    let row = inbox_row(&app, &hanne, id).await;
    assert!(!row.contains("class=\"overdue\""), "{row}");
    app.teardown().await;
}

async fn a_security_act_case_shows_its_immediate_nsm_notice(backend: Backend) {
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = spawn(backend, &clock).await;
    app.add_user("kari", "Kari Kontakt", &["handler", "contact"])
        .await;
    submit(&app, "sikkerhet", "hoy").await;
    let t = token(&app, "kari").await;
    let id = case_ids(&app, &t).await[0];
    triage(&app, &t, id, "sikkerhet", "spionasje", "hoy").await;
    let item = inbox_item(&app, &t, id).await;
    assert_eq!(item["next_deadline_kind"], "security_act_notice");
    assert_eq!(item["next_deadline_state"], "overdue", "due at receipt");
    let (client, csrf) = login(&app, "kari").await;
    let row = inbox_row(&app, &client, id).await;
    assert!(row.contains("Beslutte om NSM skal varsles"), "{row}");

    // The police do not answer whether NSM is to be notified.
    decide(&app, &client, &csrf, id, "pst", "escalate", clock.now()).await;
    assert_eq!(
        inbox_item(&app, &t, id).await["next_deadline_kind"],
        "security_act_notice"
    );
    decide(&app, &client, &csrf, id, "nsm", "escalate", clock.now()).await;
    assert_eq!(
        inbox_item(&app, &t, id).await["next_deadline_kind"],
        "acknowledge"
    );
    let notice = deadline(&app, &t, id, DeadlineKind::SecurityActNotice).await;
    assert_eq!(notice["state"], "met");
    app.teardown().await;
}

async fn reminders_follow_the_sub_type_duties(backend: Backend) {
    let smtp = SmtpServer::start(Mode::Accept).await;
    let port = smtp.port;
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), move |s| {
        let n = &mut s.notifications;
        n.enabled = true;
        n.smtp_host = "127.0.0.1".into();
        n.smtp_port = port;
        n.tls = SmtpTls::None;
        n.from = "Varsel <varsel@example.org>".into();
        n.public_url = "https://varsel.example.org".into();
        n.interval_seconds = 3600;
    })
    .await;
    let (recipient, wrapped_identity) =
        varsel::core::keys::new_user_keys(PASSWORD.as_bytes(), TEST_WORK_FACTOR).unwrap();
    app.store
        .create_user(&User {
            id: Uuid::new_v4(),
            username: "hanne".to_owned(),
            display_name: "Hanne Handler".to_owned(),
            roles: vec![varsel::core::domain::Role::Handler],
            recipient,
            wrapped_identity,
            email: Some("hanne@example.org".to_owned()),
            active: true,
            groups: Vec::new(),
            created_at: varsel::core::clock::system_now(),
        })
        .await
        .unwrap();
    submit(&app, "avvik", "middels").await;
    let t = token(&app, "hanne").await;
    let id = case_ids(&app, &t).await[0];
    triage(&app, &t, id, "avvik", "personvernbrudd", "middels").await;
    let tick = || async {
        let clock = app.state.clock.clone();
        varsel::core::notifications::tick(&app.state, &*clock)
            .await
            .unwrap()
    };
    assert_eq!(tick().await.delivery.sent, 1, "the new-case mail");
    let notices = || async { app.store.deadline_notices().await.unwrap() };

    // The breach decision is due 72 hours after receipt; its reminder 24 hours
    // before. An ordinary case would hear nothing for six days.
    let due = received_at(&app, id).await + Duration::hours(72);
    clock.set(due - Duration::hours(24) - Duration::minutes(1));
    assert_eq!(tick().await.queued, 0, "not yet");
    clock.set(due - Duration::hours(24) + Duration::minutes(1));
    let report = tick().await;
    assert_eq!((report.queued, report.delivery.sent), (1, 1), "{report:?}");
    let sent = notices().await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].case_id, sent[0].deadline),
        (id, DeadlineKind::BreachDecision)
    );
    assert_eq!(smtp.mails_to("hanne@example.org").len(), 2);
    clock.advance(Duration::hours(1));
    assert_eq!(tick().await.queued, 0, "once");
    app.teardown().await;
}
