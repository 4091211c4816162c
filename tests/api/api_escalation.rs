//! Escalation, closing, reopening and the register through the JSON API:
//! the same rules as the pages (§ 196, a second contact point confirms,
//! contact points only, no rationale in the register), with clear errors and
//! nothing changed when refused.

use reqwest::StatusCode;
use serde_json::{json, Value};
use varsel::core::audit::ChainVerifier;

use crate::app::{rule, Backend, TestApp};
use crate::for_each_backend;

for_each_backend!(a_196_case_is_escalated_confirmed_closed_and_reopened_through_the_api);

/// A decision; PST's is decided a day after the others, so the order of
/// decisions is fixed.
fn decision(authority: &str, decision: &str, rationale: &str) -> Value {
    let day = if authority == "pst" { "03" } else { "02" };
    json!({
        "authority": authority,
        "decision": decision,
        "legal_basis": "straffeloven_196",
        "rationale": rationale,
        "aware_at": "2026-03-01",
        "decided_at": format!("2026-03-{day}T09:30"),
        "authority_reference": "2026-4711",
    })
}

async fn a_196_case_is_escalated_confirmed_closed_and_reopened_through_the_api(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.routing.rules = vec![rule("sikkerhet", "sikkerhet")];
    })
    .await;
    app.add_user_in("hanne", "Hanne Handler", &["handler"], &["sikkerhet"])
        .await;
    app.add_user("kari", "Kari Kontakt", &["contact"]).await;
    app.add_user("knut", "Knut Kontakt", &["contact"]).await;
    // Every call asks for English.
    let api = app.with_language("en");

    api.report(&json!({
        "category": "sikkerhet",
        "subtype": "sabotasje",
        "severity": "hoy",
        "description": "Noen har kuttet kabler i serverrommet.",
    }))
    .await;
    let hanne = api.staff_token("hanne").await;
    let kari = api.staff_token("kari").await;
    let knut = api.staff_token("knut").await;
    let case_id = api.api_case_ids(&kari).await[0];

    // Refused, nothing stored: a handler; an unknown authority; no rationale.
    let r = api
        .api_decide(&hanne, case_id, &decision("nsm", "escalate", "Varslet."))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "handlers do not decide");
    let r = api
        .api_decide(&kari, case_id, &decision("fbi", "escalate", "Varslet."))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"]["code"], "invalid_decision");
    let r = api
        .api_decide(&kari, case_id, &decision("nsm", "escalate", " "))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"]["code"], "text_required");
    assert!(app.store.decisions(case_id).await.unwrap().is_empty());

    // NSM notified; a § 196 case still cannot close.
    let r = api
        .api_decide(&kari, case_id, &decision("nsm", "escalate", "Varslet NSM."))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let nsm = r.body["id"].as_str().unwrap().to_owned();
    let evaluation = json!({"outcome": "referred", "evaluation": "Overlatt til PST."});
    let r = api.api_close(&hanne, case_id, &evaluation).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["error"]["code"], "needs_police_decision");
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("straffeloven § 196"));

    // Only a second contact point confirms.
    let r = api.api_confirm(&kari, case_id, &nsm).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["error"]["code"], "cannot_confirm");
    let r = api.api_confirm(&knut, case_id, &nsm).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = api.api_confirm(&knut, case_id, &nsm).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "confirmed once");

    // PST decides not to take it further: now it closes, once.
    let pst = decision(
        "pst",
        "do_not_escalate",
        "PST ser ikke grunn til å gå videre.",
    );
    let r = api.api_decide(&knut, case_id, &pst).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = api
        .api_close(
            &hanne,
            case_id,
            &json!({"outcome": "unknown", "evaluation": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"]["code"], "invalid_outcome");
    let r = api.api_close(&hanne, case_id, &evaluation).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "closed");
    let r = api.api_close(&hanne, case_id, &evaluation).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["error"]["code"], "already_closed");

    // The contact point's view: decisions with rationale, the closure.
    let r = api.api_escalation(&knut, case_id).await;
    assert_eq!(r.status, StatusCode::OK);
    let view = r.body;
    let decisions = view["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), 2);
    assert_eq!(decisions[0]["rationale"], "Varslet NSM.");
    assert_eq!(decisions[0]["confirmed_by_name"], "Knut Kontakt");
    assert_eq!(view["closure"]["evaluation"], "Overlatt til PST.");
    assert_eq!(view["police_decision_missing"], false);
    let r = api.api_escalation(&hanne, case_id).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "rationales are for contact points"
    );

    // The register: filtered, never a rationale; contact points only.
    let r = api.api_register(&kari, "?authority=pst").await;
    assert_eq!(r.status, StatusCode::OK);
    let register = r.body;
    let rows = register.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["decision"], "do_not_escalate");
    assert_eq!(rows[0]["authority_reference"], "2026-4711");
    assert!(!register.to_string().contains("PST ser ikke grunn"));
    let r = api.api_register(&kari, "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.as_array().unwrap().len(), 2);
    let r = api.api_register(&kari, "?authority=fbi").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"]["code"], "invalid_filter");
    let r = api.api_register(&hanne, "").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Reopening needs a reason.
    let r = api.api_reopen(&hanne, case_id, "").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"]["code"], "text_required");
    let r = api.api_reopen(&hanne, case_id, "Nye opplysninger.").await;
    assert_eq!(r.status, StatusCode::OK);
    let stored = app.stored_case(case_id).await;
    assert_ne!(stored.status.key(), "closed");
    let r = api.api_reopen(&hanne, case_id, "Igjen.").await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["error"]["code"], "not_closed");

    // Every step is on the intact audit chain.
    let entries = app.store.audit_entries().await.unwrap();
    let mut verifier = ChainVerifier::new();
    for entry in &entries {
        verifier.push(entry).unwrap();
    }
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    for expected in [
        "escalation.decided",
        "escalation.confirmed",
        "case.closed",
        "case.reopened",
        "escalation.register_read",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    app.teardown().await;
}
