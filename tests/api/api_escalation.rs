//! Escalation, closing, reopening and the register through the JSON API:
//! the same rules as the pages (§ 196, a second contact point confirms,
//! contact points only, no rationale in the register), with clear errors and
//! nothing changed when refused.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;
use varsel::core::audit::ChainVerifier;
use varsel::core::routing::RoutingRule;
use varsel::core::settings::Settings;

use crate::app::{Backend, TestApp, PASSWORD};
use crate::for_each_backend;

for_each_backend!(a_196_case_is_escalated_confirmed_closed_and_reopened_through_the_api);

fn rules(s: &mut Settings) {
    s.routing.rules = vec![RoutingRule {
        category: "sikkerhet".to_owned(),
        severities: ["lav", "middels", "hoy", "kritisk"]
            .into_iter()
            .map(str::to_owned)
            .collect(),
        groups: vec!["sikkerhet".to_owned()],
    }];
}

fn api(app: &TestApp, path: &str) -> String {
    app.url(&format!("/api/v1{path}"))
}

async fn token(app: &TestApp, username: &str) -> String {
    let r = Client::new()
        .post(api(app, "/staff/session"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Sends `body` (or nothing) as `token`; the status and JSON body.
async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Client::new()
        .request(method, api(app, path))
        .bearer_auth(token)
        .header("accept-language", "en");
    if let Some(body) = body {
        req = req.json(&body);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    call(app, reqwest::Method::POST, path, token, Some(body)).await
}

async fn get(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value) {
    call(app, reqwest::Method::GET, path, token, None).await
}

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
    let app = TestApp::spawn_with(backend, rules).await;
    app.add_user_in("hanne", "Hanne Handler", &["handler"], &["sikkerhet"])
        .await;
    app.add_user("kari", "Kari Kontakt", &["contact"]).await;
    app.add_user("knut", "Knut Kontakt", &["contact"]).await;

    let r = Client::new()
        .post(api(&app, "/reports"))
        .json(&json!({
            "category": "sikkerhet",
            "subtype": "sabotasje",
            "severity": "hoy",
            "description": "Noen har kuttet kabler i serverrommet.",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let hanne = token(&app, "hanne").await;
    let kari = token(&app, "kari").await;
    let knut = token(&app, "knut").await;
    let (_, cases) = get(&app, "/staff/cases", &kari).await;
    let case = cases[0]["id"].as_str().unwrap().to_owned();
    let case_id = Uuid::parse_str(&case).unwrap();
    let esc = format!("/staff/cases/{case}/escalation");

    // Refused, nothing stored: a handler; an unknown authority; no rationale.
    let (status, _) = post(&app, &esc, &hanne, decision("nsm", "escalate", "Varslet.")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "handlers do not decide");
    let (status, body) = post(&app, &esc, &kari, decision("fbi", "escalate", "Varslet.")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_decision");
    let (status, body) = post(&app, &esc, &kari, decision("nsm", "escalate", " ")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "text_required");
    assert!(app.store.decisions(case_id).await.unwrap().is_empty());

    // NSM notified; a § 196 case still cannot close.
    let (status, body) = post(
        &app,
        &esc,
        &kari,
        decision("nsm", "escalate", "Varslet NSM."),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let nsm = body["id"].as_str().unwrap().to_owned();
    let close = format!("/staff/cases/{case}/close");
    let evaluation = json!({"outcome": "referred", "evaluation": "Overlatt til PST."});
    let (status, body) = post(&app, &close, &hanne, evaluation.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "needs_police_decision");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("straffeloven § 196"));

    // Only a second contact point confirms.
    let confirm = format!("{esc}/{nsm}/confirm");
    let (status, body) = post(&app, &confirm, &kari, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "cannot_confirm");
    let (status, _) = post(&app, &confirm, &knut, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = post(&app, &confirm, &knut, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "confirmed once");

    // PST decides not to take it further: now it closes, once.
    let (status, _) = post(
        &app,
        &esc,
        &knut,
        decision(
            "pst",
            "do_not_escalate",
            "PST ser ikke grunn til å gå videre.",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = post(
        &app,
        &close,
        &hanne,
        json!({"outcome": "unknown", "evaluation": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_outcome");
    let (status, body) = post(&app, &close, &hanne, evaluation.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "closed");
    let (status, body) = post(&app, &close, &hanne, evaluation).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "already_closed");

    // The contact point's view: decisions with rationale, the closure.
    let (status, view) = get(&app, &esc, &knut).await;
    assert_eq!(status, StatusCode::OK);
    let decisions = view["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), 2);
    assert_eq!(decisions[0]["rationale"], "Varslet NSM.");
    assert_eq!(decisions[0]["confirmed_by_name"], "Knut Kontakt");
    assert_eq!(view["closure"]["evaluation"], "Overlatt til PST.");
    assert_eq!(view["police_decision_missing"], false);
    let (status, _) = get(&app, &esc, &hanne).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "rationales are for contact points"
    );

    // The register: filtered, never a rationale; contact points only.
    let (status, register) = get(&app, "/contact/register?authority=pst", &kari).await;
    assert_eq!(status, StatusCode::OK);
    let rows = register.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["decision"], "do_not_escalate");
    assert_eq!(rows[0]["authority_reference"], "2026-4711");
    assert!(!register.to_string().contains("PST ser ikke grunn"));
    let (status, all) = get(&app, "/contact/register", &kari).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all.as_array().unwrap().len(), 2);
    let (status, body) = get(&app, "/contact/register?authority=fbi", &kari).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_filter");
    let (status, _) = get(&app, "/contact/register", &hanne).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Reopening needs a reason.
    let reopen = format!("/staff/cases/{case}/reopen");
    let (status, body) = post(&app, &reopen, &hanne, json!({"reason": ""})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "text_required");
    let (status, _) = post(
        &app,
        &reopen,
        &hanne,
        json!({"reason": "Nye opplysninger."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let stored = app.store.case_by_id(case_id).await.unwrap().unwrap();
    assert_ne!(stored.status.key(), "closed");
    let (status, body) = post(&app, &reopen, &hanne, json!({"reason": "Igjen."})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "not_closed");

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
