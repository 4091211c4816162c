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

use reqwest::StatusCode;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};
use varsel::core::clock::{Clock, ManualClock};
use varsel::core::domain::deadline::add_calendar_months;
use varsel::core::domain::DeadlineKind;

use crate::app::{deadline, Backend, Decision, TestApp};
use crate::for_each_backend;
use crate::real_smtp::RealSmtp;

for_each_backend!(
    the_feedback_deadline_is_extended_once_with_a_reason,
    an_extension_is_refused_late_answered_closed_or_without_a_reason,
    a_personal_data_breach_shows_its_72_hour_decision_first,
    a_kritisk_case_needs_an_escalation_decision_within_24_hours,
    a_security_act_case_shows_its_immediate_nsm_notice,
    reminders_follow_the_sub_type_duties,
);

const REASON: &str = "ExtensionReasonMarker: venter på ekstern gransking";

/// A time as the staff pages show it: dd.mm.yyyy, with hh:mm unless midnight.
fn moment(t: OffsetDateTime) -> String {
    if t.hour() == 0 && t.minute() == 0 && t.offset().is_utc() {
        return day(t);
    }
    // Staff pages show Norwegian time, with its zone.
    let oslo = varsel::core::oslo::at(t.unix_timestamp()).unwrap();
    let local = oslo.local.assume_utc();
    format!(
        "{} {:02}:{:02} {}",
        day(local),
        local.hour(),
        local.minute(),
        oslo.zone
    )
}

/// A date as the pages show it: dd.mm.yyyy.
fn day(t: OffsetDateTime) -> String {
    format!("{:02}.{:02}.{}", t.day(), u8::from(t.month()), t.year())
}

/// A time as the decision form takes it.
fn form_moment(t: OffsetDateTime) -> String {
    // The page's form takes Norwegian time.
    let t = varsel::core::oslo::at(t.unix_timestamp())
        .unwrap()
        .local
        .assume_utc();
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

/// A report of `category` and `severity`, for the JSON API.
fn report(category: &str, severity: &str) -> Value {
    json!({
        "category": category,
        "severity": severity,
        "description": "Noe som må følges opp innen fristen.",
    })
}

/// A decision about `authority` by the contact point, aware of it and
/// deciding at `at`.
fn decision<'a>(authority: &'a str, decision: &'a str, at: &'a str) -> Decision<'a> {
    Decision {
        authority,
        decision,
        aware_at: at,
        decided_at: at,
        ..Decision::default()
    }
}

async fn the_feedback_deadline_is_extended_once_with_a_reason(backend: Backend) {
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |_| {}).await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    app.add_user("per", "Per Handler", &["handler"]).await;
    let code = app.report(&report("varsling", "middels")).await;
    let t = app.staff_token("hanne").await;
    let id = app.api_case_ids(&t).await[0];
    let r = app.api_acknowledge(&t, id).await;
    assert_eq!(r.status, StatusCode::OK);
    let case = app.stored_case(id).await;
    let acknowledged = OffsetDateTime::from_unix_timestamp(case.acknowledged_at.unwrap()).unwrap();
    let original = add_calendar_months(acknowledged, 3);
    let extended = add_calendar_months(acknowledged, 6);

    // Before: the reporter expects feedback by the original date.
    let reporter = app.reporter_login(&code).await;
    let page = app.get(&reporter, "/case").await.text;
    assert!(page.contains(&day(original)), "{page}");

    // Hanne extends the deadline on the case page, a month on.
    let hanne_page = app.staff_login("hanne").await;
    let case_path = format!("/staff/cases/{id}");
    let extension_form = format!("action=\"/staff/cases/{id}/feedback-extension\"");
    let page = app.get(&hanne_page, &case_path).await.text;
    assert!(page.contains(&extension_form));
    assert!(page.contains(&moment(original)), "{page}");
    clock.advance(Duration::days(30));
    let r = app.extend_feedback(&hanne_page, id, REASON).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);

    // The case page shows the new date, the reason and who extended it; the
    // form is gone.
    let page = app.get(&hanne_page, &case_path).await.text;
    assert!(page.contains(&moment(extended)), "{page}");
    assert!(page.contains(REASON));
    assert!(page.contains("Hanne Handler"));
    assert!(page.contains("(forlenget)"));
    assert!(!page.contains(&extension_form));
    let staff_case = app.api_case(&t, id).await.expect(StatusCode::OK);
    assert_eq!(staff_case["feedback_extension"]["reason"], REASON);
    assert_eq!(
        staff_case["feedback_extension"]["extended_by"],
        "Hanne Handler"
    );
    let staff_case = app.api_case(&t, id).await.expect(StatusCode::OK);
    let feedback = deadline(&staff_case, DeadlineKind::Feedback.key());
    assert_eq!(feedback["due"], rfc3339(extended));
    assert_eq!(feedback["state"], "open");

    // The reporter now expects feedback by the new date, and never sees why.
    let page = app.get(&reporter, "/case").await.text;
    assert!(page.contains(&day(extended)), "{page}");
    assert!(!page.contains(&day(original)));
    assert!(!page.contains("ExtensionReasonMarker"));

    // A second extension, by anyone and any way, is refused and changes nothing.
    let stored = app.store.feedback_extension(id).await.unwrap().unwrap();
    let per_page = app.staff_login("per").await;
    let r = app.extend_feedback(&per_page, id, "En gang til").await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text.contains("allerede forlenget"), "{}", r.text);
    let per = app.staff_token("per").await;
    let r = app.api_extend_feedback(&per, id, "En gang til").await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["error"]["code"], "feedback_already_extended");
    assert_eq!(
        app.store.feedback_extension(id).await.unwrap(),
        Some(stored)
    );
    let staff_case = app.api_case(&t, id).await.expect(StatusCode::OK);
    let feedback = deadline(&staff_case, DeadlineKind::Feedback.key());
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
    let hits = app.db.readable(&["ExtensionReasonMarker".to_owned()]).await;
    assert!(hits.is_empty(), "{hits:?}");
    app.teardown().await;
}

async fn an_extension_is_refused_late_answered_closed_or_without_a_reason(backend: Backend) {
    let start = OffsetDateTime::now_utc();
    let clock = ManualClock::new(start);
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |_| {}).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    app.report(&report("varsling", "middels")).await;
    app.report(&report("avvik", "lav")).await;
    let t = app.staff_token("hanne").await;
    let ids = app.api_case_ids(&t).await;
    let (late, answered) = (ids[0], ids[1]);
    let hanne = app.staff_login("hanne").await;

    // Without a reason, or with too long a one: explained, nothing changed.
    let r = app.extend_feedback(&hanne, late, "  ").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("Skriv en begrunnelse"), "{}", r.text);
    // The box links to the field, which carries the message.
    assert!(r.text.contains("href=\"#extension-reason-input\""));
    assert!(r.text.contains("id=\"extension-reason-error\""));
    let r = app.api_extend_feedback(&t, late, "").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"]["code"], "text_required");
    assert_eq!(r.body["error"]["field"], "reason");
    let r = app.api_extend_feedback(&t, late, &"x".repeat(2_001)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"]["code"], "text_too_long");

    // Once the original deadline (no acknowledgement: day 7 + 3 months) is
    // reached, it is too late.
    let received = app.stored_case(late).await.received_at;
    let received = OffsetDateTime::from_unix_timestamp(received).unwrap();
    let original = add_calendar_months(received + Duration::days(7), 3);
    clock.set(original);
    let r = app.extend_feedback(&hanne, late, REASON).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text.contains("opprinnelige fristen"), "{}", r.text);
    assert!(r.text.contains(&moment(original)));
    let r = app.api_extend_feedback(&t, late, REASON).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["error"]["code"], "feedback_deadline_passed");
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&rfc3339(original)));
    assert_eq!(app.store.feedback_extension(late).await.unwrap(), None);
    let case = app.api_case(&t, late).await.expect(StatusCode::OK);
    let feedback = deadline(&case, DeadlineKind::Feedback.key());
    assert_eq!(feedback["due"], rfc3339(original));
    assert_eq!(feedback["state"], "overdue");

    // Feedback given: nothing left to extend; closed: neither.
    clock.set(start);
    let r = app.api_set_status(&t, answered, "feedback_given").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app.api_extend_feedback(&t, answered, REASON).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["error"]["code"], "feedback_already_given");
    let r = app
        .close(&hanne, answered, "substantiated", "Fulgt opp.")
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = app.extend_feedback(&hanne, answered, REASON).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text.contains("Saken er lukket"), "{}", r.text);
    let r = app.api_extend_feedback(&t, answered, REASON).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["error"]["code"], "case_closed");

    assert_eq!(app.store.feedback_extension(answered).await.unwrap(), None);
    let actions = app.audit_actions().await;
    let extensions = actions
        .iter()
        .filter(|a| *a == "case.feedback_extended")
        .count();
    assert_eq!(extensions, 0);
    app.teardown().await;
}

async fn a_personal_data_breach_shows_its_72_hour_decision_first(backend: Backend) {
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |_| {}).await;
    // Both a handler and a contact point: the case reaches her as a handler.
    app.add_user("kari", "Kari Kontakt", &["handler", "contact"])
        .await;
    app.report(&report("avvik", "middels")).await;
    let t = app.staff_token("kari").await;
    let id = app.api_case_ids(&t).await[0];
    let received = app.stored_case(id).await.received_at;
    let received = OffsetDateTime::from_unix_timestamp(received).unwrap();
    let item = app.api_inbox_line(&t, id).await;
    assert_eq!(item["next_deadline_kind"], "acknowledge");

    // Triaged as a personal-data breach: the 72-hour decision comes first.
    let breach = json!({"category": "avvik", "subtype": "personvernbrudd", "severity": "middels"});
    let r = app.api_triage(&t, id, &breach).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let due = received + Duration::hours(72);
    let item = app.api_inbox_line(&t, id).await;
    assert_eq!(item["next_deadline_kind"], "breach_decision");
    assert_eq!(item["next_deadline_due"], rfc3339(due));
    let kari = app.staff_login("kari").await;
    let row = app.inbox_row(&kari, id).await;
    assert!(
        row.contains("Beslutte om Datatilsynet skal varsles"),
        "{row}"
    );
    assert!(row.contains(&moment(due)));
    assert!(!row.contains("class=\"overdue\""), "{row}");

    // After 72 hours it is overdue.
    clock.set(due + Duration::minutes(1));
    let row = app.inbox_row(&kari, id).await;
    assert!(
        row.contains("Beslutte om Datatilsynet skal varsles"),
        "{row}"
    );
    assert!(row.contains("class=\"overdue\""), "{row}");
    assert_eq!(
        app.api_inbox_line(&t, id).await["next_deadline_state"],
        "overdue"
    );
    let page = app.get(&kari, &format!("/staff/cases/{id}")).await.text;
    assert!(page.contains("forfalt"));

    // A decision about the police does not answer it; one about Datatilsynet does.
    let now = form_moment(clock.now());
    for (authority, decided) in [
        ("politi", "escalate"),
        ("datatilsynet", "defer"),
        ("datatilsynet", "do_not_escalate"),
    ] {
        let r = app
            .decide(&kari, id, &decision(authority, decided, &now))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        if decided != "do_not_escalate" {
            assert_eq!(
                app.api_inbox_line(&t, id).await["next_deadline_kind"],
                "breach_decision"
            );
        }
    }
    let case = app.api_case(&t, id).await.expect(StatusCode::OK);
    let breach = deadline(&case, DeadlineKind::BreachDecision.key());
    assert_eq!(breach["state"], "met");
    assert_eq!(breach["met_in_time"], false);
    let item = app.api_inbox_line(&t, id).await;
    assert_eq!(item["next_deadline_kind"], "acknowledge");
    let row = app.inbox_row(&kari, id).await;
    assert!(row.contains("Bekrefte mottak"), "{row}");
    assert!(!row.contains("class=\"overdue\""));
    let page = app.get(&kari, &format!("/staff/cases/{id}")).await.text;
    assert!(page.contains("oppfylt for sent"), "{page}");
    app.teardown().await;
}

async fn a_kritisk_case_needs_an_escalation_decision_within_24_hours(backend: Backend) {
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |_| {}).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    app.add_user("kari", "Kari Kontakt", &["contact"]).await;
    app.report(&report("varsling", "kritisk")).await;
    let t = app.staff_token("hanne").await;
    let id = app.api_case_ids(&t).await[0];
    let received = app.stored_case(id).await.received_at;
    let due = OffsetDateTime::from_unix_timestamp(received).unwrap() + Duration::hours(24);
    let item = app.api_inbox_line(&t, id).await;
    assert_eq!(item["next_deadline_kind"], "critical_escalation_decision");
    assert_eq!(item["next_deadline_due"], rfc3339(due));

    clock.set(due + Duration::minutes(1));
    let hanne = app.staff_login("hanne").await;
    let row = app.inbox_row(&hanne, id).await;
    assert!(row.contains("Beslutte eskalering"), "{row}");
    assert!(row.contains("class=\"overdue\""), "{row}");

    // Deferring decides nothing; a decision about any authority meets it.
    let kari = app.staff_login("kari").await;
    let now = form_moment(clock.now());
    let r = app
        .decide(&kari, id, &decision("politi", "defer", &now))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(
        app.api_inbox_line(&t, id).await["next_deadline_kind"],
        "critical_escalation_decision"
    );
    let r = app
        .decide(&kari, id, &decision("arbeidstilsynet", "escalate", &now))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let case = app.api_case(&t, id).await.expect(StatusCode::OK);
    let critical = deadline(&case, DeadlineKind::CriticalEscalationDecision.key());
    assert_eq!(critical["state"], "met");
    let item = app.api_inbox_line(&t, id).await;
    assert_eq!(item["next_deadline_kind"], "acknowledge");
    assert_eq!(item["next_deadline_state"], "open");
    let row = app.inbox_row(&hanne, id).await;
    assert!(!row.contains("class=\"overdue\""), "{row}");
    app.teardown().await;
}

async fn a_security_act_case_shows_its_immediate_nsm_notice(backend: Backend) {
    // Receipt is kept to the day (SPEC §3.5): the grace runs from its start.
    let midnight = OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT);
    let clock = ManualClock::new(midnight + Duration::minutes(10));
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |_| {}).await;
    app.add_user("kari", "Kari Kontakt", &["handler", "contact"])
        .await;
    app.report(&report("sikkerhet", "hoy")).await;
    let t = app.staff_token("kari").await;
    let id = app.api_case_ids(&t).await[0];
    let espionage = json!({"category": "sikkerhet", "subtype": "spionasje", "severity": "hoy"});
    let r = app.api_triage(&t, id, &espionage).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let item = app.api_inbox_line(&t, id).await;
    assert_eq!(item["next_deadline_kind"], "security_act_notice");
    assert_eq!(
        item["next_deadline_due"],
        rfc3339(midnight + Duration::days(1) + Duration::hours(1)),
        "the end of the day of receipt and a grace of an hour"
    );
    assert_eq!(
        item["next_deadline_state"], "due_soon",
        "a grace of an hour"
    );
    // The grace ends 60 minutes after the day of receipt, to the second.
    let grace_end = midnight + Duration::days(1) + Duration::hours(1);
    clock.set(grace_end - Duration::seconds(1));
    let item = app.api_inbox_line(&t, id).await;
    assert_eq!(item["next_deadline_state"], "due_soon");
    clock.set(grace_end);
    let item = app.api_inbox_line(&t, id).await;
    assert_eq!(item["next_deadline_state"], "overdue", "after the grace");
    let kari = app.staff_login("kari").await;
    let row = app.inbox_row(&kari, id).await;
    assert!(row.contains("Beslutte om NSM skal varsles"), "{row}");

    // The police do not answer whether NSM is to be notified.
    let now = form_moment(clock.now());
    let r = app
        .decide(&kari, id, &decision("pst", "escalate", &now))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(
        app.api_inbox_line(&t, id).await["next_deadline_kind"],
        "security_act_notice"
    );
    let r = app
        .decide(&kari, id, &decision("nsm", "escalate", &now))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(
        app.api_inbox_line(&t, id).await["next_deadline_kind"],
        "acknowledge"
    );
    let case = app.api_case(&t, id).await.expect(StatusCode::OK);
    let notice = deadline(&case, DeadlineKind::SecurityActNotice.key());
    assert_eq!(notice["state"], "met");
    app.teardown().await;
}

async fn reminders_follow_the_sub_type_duties(backend: Backend) {
    let smtp = RealSmtp::start();
    let client = smtp.client();
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), move |s| {
        client.apply(s);
    })
    .await;
    let hanne = Some("hanne@example.org");
    app.add_user_with("hanne", "Hanne Handler", &["handler"], &[], hanne)
        .await;
    app.report(&report("avvik", "middels")).await;
    let t = app.staff_token("hanne").await;
    let id = app.api_case_ids(&t).await[0];
    let breach = json!({"category": "avvik", "subtype": "personvernbrudd", "severity": "middels"});
    let r = app.api_triage(&t, id, &breach).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(app.tick().await.delivery.sent, 1, "the new-case mail");

    // The breach decision is due 72 hours after receipt; its reminder 24 hours
    // before. An ordinary case would hear nothing for six days.
    let received = app.stored_case(id).await.received_at;
    let due = OffsetDateTime::from_unix_timestamp(received).unwrap() + Duration::hours(72);
    clock.set(due - Duration::hours(24) - Duration::minutes(1));
    assert_eq!(app.tick().await.queued, 0, "not yet");
    clock.set(due - Duration::hours(24) + Duration::minutes(1));
    let pass = app.tick().await;
    assert_eq!((pass.queued, pass.delivery.sent), (1, 1), "{pass:?}");
    let sent = app.store.deadline_notices().await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].case_id, sent[0].deadline),
        (id, DeadlineKind::BreachDecision)
    );
    assert_eq!(smtp.mails_to("hanne@example.org").len(), 2);
    clock.advance(Duration::hours(1));
    assert_eq!(app.tick().await.queued, 0, "once");
    app.teardown().await;
}
