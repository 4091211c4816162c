//! Deadlines that can be met (issue 12, item 4), on both backends:
//!
//! - the handler who receives a personal-data-breach case records whether
//!   Datatilsynet is to be notified, through the case page and through the
//!   API, and the 72-hour deadline then reads as met (case page, API, inbox);
//!   a decision in the future, before receipt, or on a case that is no
//!   breach is refused and stores nothing;
//! - an escalation decision made before `aware_at` or dated in the future is
//!   refused with an error tied to `decided_at`, on the page and in the API.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};
use varsel::core::clock::{Clock, ManualClock};

use crate::app::{deadline, Backend, Decision, TestApp};
use crate::for_each_backend;

for_each_backend!(
    the_handler_who_receives_a_breach_records_the_datatilsynet_decision,
    a_breach_decision_in_the_future_before_receipt_or_on_no_breach_is_refused,
    an_escalation_decision_before_awareness_or_in_the_future_is_refused,
);

/// A report filed straight as a personal-data breach.
fn breach_report() -> Value {
    json!({
        "category": "avvik",
        "subtype": "personvernbrudd",
        "severity": "middels",
        "description": "Lønnslista ble sendt til feil mottaker.",
    })
}

/// A time as the forms take it.
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

async fn the_handler_who_receives_a_breach_records_the_datatilsynet_decision(backend: Backend) {
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |_| {}).await;
    // A handler only: no contact point, no escalation rights.
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    app.report(&breach_report()).await;
    app.report(&breach_report()).await;
    let token = app.staff_token("hanne").await;
    let ids = app.api_case_ids(&token).await;
    assert_eq!(ids.len(), 2);
    let (by_page, by_api) = (ids[0], ids[1]);
    for id in [by_page, by_api] {
        let line = app.api_inbox_line(&token, id).await;
        assert_eq!(line["next_deadline_kind"], "breach_decision");
    }

    // Through the page: the form is there for her, and the decision meets
    // the deadline.
    let hanne = app.staff_login("hanne").await;
    let page = app.get(&hanne, &format!("/staff/cases/{by_page}")).await;
    assert!(
        page.text.contains("id=\"breach-decision\""),
        "{}",
        page.text
    );
    assert!(page.text.contains("Ingen beslutning er registrert ennå."));
    let now = form_moment(clock.now());
    let r = app
        .breach_decision(
            &hanne,
            by_page,
            "do_not_notify",
            "Lista var kryptert; ingen risiko for de registrerte.",
            &now,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = app.get(&hanne, &format!("/staff/cases/{by_page}")).await;
    assert!(page.text.contains("Ikke meld til Datatilsynet"));
    assert!(page
        .text
        .contains("Lista var kryptert; ingen risiko for de registrerte."));
    let case = app.api_case(&token, by_page).await.expect(StatusCode::OK);
    let breach = deadline(&case, "breach_decision");
    assert_eq!(breach["state"], "met", "{case}");
    assert_eq!(breach["met_in_time"], true);
    let line = app.api_inbox_line(&token, by_page).await;
    assert_eq!(line["next_deadline_kind"], "acknowledge");
    let row = app.inbox_row(&hanne, by_page).await;
    assert!(!row.contains("Datatilsynet"), "{row}");

    // Through the API, after the 72 hours: met, but late.
    clock.advance(Duration::hours(80));
    let line = app.api_inbox_line(&token, by_api).await;
    assert_eq!(line["next_deadline_state"], "overdue");
    let now = form_moment(clock.now());
    let r = app
        .api_breach_decision(
            &token,
            by_api,
            &json!({
                "decision": "notify",
                "rationale": "Helseopplysninger kom på avveie.",
                "decided_at": now,
            }),
        )
        .await;
    let recorded = r.expect(StatusCode::CREATED);
    assert!(recorded["id"].is_string());
    let case = app.api_case(&token, by_api).await.expect(StatusCode::OK);
    let breach = deadline(&case, "breach_decision");
    assert_eq!(breach["state"], "met");
    assert_eq!(breach["met_in_time"], false);
    assert_eq!(
        app.api_inbox_line(&token, by_api).await["next_deadline_kind"],
        "acknowledge"
    );
    // The rationale is sealed to the case: the audit log names the decision
    // and never its text.
    let actions = app.audit_actions().await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "escalation.decided")
            .count(),
        2,
        "{actions:?}"
    );
    app.teardown().await;
}

async fn a_breach_decision_in_the_future_before_receipt_or_on_no_breach_is_refused(
    backend: Backend,
) {
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |_| {}).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    app.report(&breach_report()).await;
    let token = app.staff_token("hanne").await;
    let id = app.api_case_ids(&token).await[0];
    let hanne = app.staff_login("hanne").await;
    let tomorrow = form_moment(clock.now() + Duration::days(1));
    let last_year = form_moment(clock.now() - Duration::days(400));

    // The API: each refusal names decided_at.
    let body = |at: &str| json!({"decision": "notify", "rationale": "Vurdert.", "decided_at": at});
    let r = app.api_breach_decision(&token, id, &body(&tomorrow)).await;
    let error = r.expect_error(StatusCode::BAD_REQUEST, "decided_in_future");
    assert_eq!(error["field"], "decided_at", "{error}");
    let r = app.api_breach_decision(&token, id, &body(&last_year)).await;
    let error = r.expect_error(StatusCode::BAD_REQUEST, "decided_before_aware");
    assert_eq!(error["field"], "decided_at", "{error}");
    let r = app
        .api_breach_decision(
            &token,
            id,
            &json!({"decision": "escalate", "rationale": "x", "decided_at": tomorrow}),
        )
        .await;
    r.expect_error(StatusCode::BAD_REQUEST, "invalid_breach_decision");

    // The page: the message sits by the field, in the visitor's language.
    let r = app
        .breach_decision(&hanne, id, "notify", "Vurdert.", &tomorrow)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("id=\"breach-decided-error\""), "{}", r.text);
    assert!(r.text.contains("Beslutningstidspunktet er fram i tid."));
    assert!(r
        .text
        .contains("aria-describedby=\"breach-decided-hint breach-decided-error\""));
    let r = app
        .breach_decision(&hanne, id, "notify", "Vurdert.", &last_year)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r
        .text
        .contains("Beslutningstidspunktet er før saken ble mottatt."));
    let case = app.api_case(&token, id).await.expect(StatusCode::OK);
    assert_eq!(deadline(&case, "breach_decision")["state"], "open");

    // A case that is no breach has no such decision to record.
    let r = app
        .api_triage(
            &token,
            id,
            &json!({"category": "avvik", "subtype": "rutinebrudd", "severity": "middels"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let now = form_moment(clock.now());
    let r = app.api_breach_decision(&token, id, &body(&now)).await;
    r.expect_error(StatusCode::CONFLICT, "conflict");
    let page = app.get(&hanne, &format!("/staff/cases/{id}")).await;
    assert!(!page.text.contains("id=\"breach-decision\""));
    app.teardown().await;
}

async fn an_escalation_decision_before_awareness_or_in_the_future_is_refused(backend: Backend) {
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |_| {}).await;
    app.add_user("kari", "Kari Kontakt", &["handler", "contact"])
        .await;
    app.report(&breach_report()).await;
    let token = app.staff_token("kari").await;
    let id = app.api_case_ids(&token).await[0];
    let now = clock.now();
    let (earlier, later) = (form_moment(now - Duration::hours(2)), form_moment(now));
    let tomorrow = form_moment(now + Duration::days(1));
    let decision = |aware_at: &str, decided_at: &str| {
        json!({
            "authority": "datatilsynet", "decision": "escalate", "legal_basis": "gdpr_33_34",
            "rationale": "Meldt.", "aware_at": aware_at, "decided_at": decided_at,
        })
    };

    let r = app
        .api_decide(&token, id, &decision(&later, &earlier))
        .await;
    let body = r.expect_error(StatusCode::BAD_REQUEST, "decided_before_aware");
    assert_eq!(body["field"], "decided_at");
    let r = app
        .api_decide(&token, id, &decision(&earlier, &tomorrow))
        .await;
    let body = r.expect_error(StatusCode::BAD_REQUEST, "decided_in_future");
    assert_eq!(body["field"], "decided_at");

    // The page, in English and in nynorsk: the error is tied to decided_at.
    let kari = app.staff_login("kari").await;
    for (lang, before, future) in [
        (
            "en",
            "The decision time is before the time you became aware",
            "The decision time is in the future.",
        ),
        (
            "nn",
            "Tidspunktet for avgjerda er før tidspunktet de vart kjende med forholdet.",
            "Tidspunktet for avgjerda er fram i tid.",
        ),
    ] {
        let path = format!("/staff/cases/{id}?lang={lang}");
        assert_eq!(app.get(&kari, &path).await.status, StatusCode::OK);
        for (aware_at, decided_at, message) in
            [(&later, &earlier, before), (&earlier, &tomorrow, future)]
        {
            let form = Decision {
                authority: "datatilsynet",
                decision: "escalate",
                legal_basis: "gdpr_33_34",
                aware_at,
                decided_at,
                ..Decision::default()
            };
            let r = app.decide(&kari, id, &form).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST);
            assert!(r.text.contains(message), "{lang}: {}", r.text);
            assert!(r.text.contains("id=\"esc-decided-error\""));
            assert!(r
                .text
                .contains("aria-describedby=\"moment-hint esc-decided-error\""));
        }
    }
    // Nothing was stored: the breach deadline is still open.
    let case = app.api_case(&token, id).await.expect(StatusCode::OK);
    assert_eq!(deadline(&case, "breach_decision")["state"], "open");
    let r = app
        .api_decide(&token, id, &decision(&earlier, &later))
        .await;
    r.expect(StatusCode::CREATED);
    app.teardown().await;
}
