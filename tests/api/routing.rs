//! Routing (SPEC §4): rules send a report to the handlers of the groups they
//! name, `kritisk` and `sikkerhet` above `lav` also reach the contact points,
//! exclusions hold through every re-routing, and triage moves the key wraps.

use reqwest::multipart::Form;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;
use varsel::core::routing::RoutingRule;
use varsel::core::settings::Settings;

use crate::app::{csrf_of, Backend, TestApp, PASSWORD};
use crate::for_each_backend;

const ALL: [&str; 4] = ["lav", "middels", "hoy", "kritisk"];

fn rule(category: &str, group: &str) -> RoutingRule {
    RoutingRule {
        category: category.to_owned(),
        severities: ALL.iter().map(|s| (*s).to_owned()).collect(),
        groups: vec![group.to_owned()],
    }
}

/// avvik and sikkerhet → "infosec", varsling → "hr".
fn rules(s: &mut Settings) {
    s.routing.rules = vec![
        rule("avvik", "infosec"),
        rule("sikkerhet", "infosec"),
        rule("varsling", "hr"),
    ];
}

fn api(app: &TestApp, path: &str) -> String {
    app.url(&format!("/api/v1{path}"))
}

/// Submits a report through the JSON API; returns the status and body.
async fn submit(
    app: &TestApp,
    category: &str,
    severity: &str,
    exclude: &[Uuid],
) -> (StatusCode, Value) {
    let body = json!({
        "category": category,
        "severity": severity,
        "description": "Noen har delt passord på en lapp ved skriveren.",
        "exclude": exclude,
    });
    let r = reqwest::Client::new()
        .post(api(app, "/reports"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

async fn token(app: &TestApp, username: &str) -> String {
    let r = reqwest::Client::new()
        .post(api(app, "/staff/session"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

/// The case ids in `username`'s inbox, through the API.
async fn inbox(app: &TestApp, username: &str) -> Vec<String> {
    let t = token(app, username).await;
    let r = reqwest::Client::new()
        .get(api(app, "/staff/cases"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    body.as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The status of `username` opening the case through the API.
async fn open_case(app: &TestApp, username: &str, case: &str) -> StatusCode {
    let t = token(app, username).await;
    reqwest::Client::new()
        .get(api(app, &format!("/staff/cases/{case}")))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .status()
}

/// The only case in `username`'s inbox.
async fn only_case(app: &TestApp, username: &str) -> String {
    let cases = inbox(app, username).await;
    assert_eq!(cases.len(), 1, "{username}: {cases:?}");
    cases[0].clone()
}

/// A page client logged in as `username`, and its CSRF token.
async fn login(app: &TestApp, username: &str) -> (Client, String) {
    let client = app.client();
    let page = client
        .get(app.url("/staff/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
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
    let inbox = client
        .get(app.url("/staff/inbox"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (client, csrf_of(&inbox))
}

/// Posts the triage form of the case page.
async fn triage_form(
    app: &TestApp,
    client: &Client,
    csrf: &str,
    case: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![("csrf", csrf)];
    form.extend_from_slice(fields);
    client
        .post(app.url(&format!("/staff/cases/{case}/triage")))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn rules_send_a_report_to_its_groups_only(backend: Backend) {
    let app = TestApp::spawn_with(backend, rules).await;
    app.add_user_in("inge", "Inge Infosec", &["handler"], &["infosec"])
        .await;
    app.add_user_in("hanne", "Hanne HR", &["handler"], &["hr"])
        .await;
    app.add_user("kari", "Kari Kontakt", &["contact"]).await;

    let (status, body) = submit(&app, "avvik", "middels", &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let avvik = only_case(&app, "inge").await;
    assert!(inbox(&app, "hanne").await.is_empty());
    assert!(inbox(&app, "kari").await.is_empty(), "not kritisk");
    assert_eq!(
        open_case(&app, "hanne", &avvik).await,
        StatusCode::NOT_FOUND
    );

    let (status, _) = submit(&app, "varsling", "lav", &[]).await;
    assert_eq!(status, StatusCode::CREATED);
    let varsling = only_case(&app, "hanne").await;
    assert_ne!(varsling, avvik);
    assert_eq!(inbox(&app, "inge").await, [avvik]);
    app.teardown().await;
}

async fn kritisk_sikkerhet_reaches_group_and_contact_points_not_the_excluded(backend: Backend) {
    let app = TestApp::spawn_with(backend, rules).await;
    app.add_user_in("inge", "Inge Infosec", &["handler"], &["infosec"])
        .await;
    let ivar = app
        .add_user_in("ivar", "Ivar Infosec", &["handler"], &["infosec"])
        .await;
    app.add_user_in("hanne", "Hanne HR", &["handler"], &["hr"])
        .await;
    let kari = app.add_user("kari", "Kari Kontakt", &["contact"]).await;

    // Contact points are on the reporter's exclusion list too.
    let form = app
        .client()
        .get(app.url("/report"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains(&format!("value=\"{ivar}\"")));
    assert!(form.contains(&format!("value=\"{kari}\"")));

    let (status, body) = submit(&app, "sikkerhet", "kritisk", &[ivar]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let case = only_case(&app, "inge").await;
    assert_eq!(only_case(&app, "kari").await, case);
    assert!(inbox(&app, "ivar").await.is_empty(), "excluded");
    assert!(inbox(&app, "hanne").await.is_empty(), "another group");
    assert_eq!(open_case(&app, "ivar", &case).await, StatusCode::NOT_FOUND);
    assert_eq!(open_case(&app, "kari", &case).await, StatusCode::OK);

    // sikkerhet at lav: the group, no contact points.
    let (status, _) = submit(&app, "sikkerhet", "lav", &[]).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(inbox(&app, "kari").await.len(), 1);
    assert_eq!(inbox(&app, "ivar").await.len(), 1);
    app.teardown().await;
}

async fn triage_moves_the_wraps_and_exclusions_hold(backend: Backend) {
    let app = TestApp::spawn_with(backend, rules).await;
    app.add_user_in("inge", "Inge Infosec", &["handler"], &["infosec"])
        .await;
    app.add_user_in("ivar", "Ivar Infosec", &["handler"], &["infosec"])
        .await;
    app.add_user_in("hanne", "Hanne HR", &["handler"], &["hr"])
        .await;
    let hilde = app
        .add_user_in("hilde", "Hilde HR", &["handler"], &["hr"])
        .await;

    let (status, body) = submit(&app, "avvik", "middels", &[hilde]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let code = body["case_code"].as_str().unwrap().to_owned();
    let case = only_case(&app, "inge").await;
    assert_eq!(only_case(&app, "ivar").await, case);

    // An invalid classification changes nothing.
    let (client, csrf) = login(&app, "inge").await;
    let r = triage_form(
        &app,
        &client,
        &csrf,
        &case,
        &[
            ("category", "varsling"),
            ("subtype", "personvernbrudd"),
            ("severity", "hoy"),
            ("probability", ""),
            ("consequence", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("Ugyldig klassifisering"));
    assert_eq!(open_case(&app, "inge", &case).await, StatusCode::OK);

    // avvik → varsling: the infosec members lose it, hr gets it, the
    // excluded hr member still does not; the triager goes to the inbox.
    let r = triage_form(
        &app,
        &client,
        &csrf,
        &case,
        &[
            ("category", "varsling"),
            ("subtype", "trakassering"),
            ("severity", "hoy"),
            ("probability", "4"),
            ("consequence", "3"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(to, "/staff/inbox?notice=rerouted");
    let notice = client.get(app.url(&to)).send().await.unwrap();
    assert!(notice
        .text()
        .await
        .unwrap()
        .contains("Du har ikke lenger tilgang til den."));
    assert_eq!(open_case(&app, "inge", &case).await, StatusCode::NOT_FOUND);
    assert_eq!(open_case(&app, "ivar", &case).await, StatusCode::NOT_FOUND);
    assert_eq!(open_case(&app, "hilde", &case).await, StatusCode::NOT_FOUND);
    assert_eq!(only_case(&app, "hanne").await, case);
    let page = client
        .get(app.url(&format!("/staff/cases/{case}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);

    // The new member sees the classification and the risk above the threshold.
    let (hanne, _) = login(&app, "hanne").await;
    let page = hanne
        .get(app.url(&format!("/staff/cases/{case}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Trakassering"), "sub-type shown");
    assert!(page.contains("sannsynlighet 4 × konsekvens 3 = 12"));
    assert!(page.contains("Over akseptert risiko (8)"));

    // Through the API, within the threshold; hanne stays a member.
    let t = token(&app, "hanne").await;
    let r = reqwest::Client::new()
        .post(api(&app, &format!("/staff/cases/{case}/triage")))
        .bearer_auth(&t)
        .json(
            &json!({"category": "varsling", "subtype": null, "severity": "middels",
                      "probability": 2, "consequence": 3}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["still_member"], true);
    assert_eq!(body["risk"]["score"], 6);
    assert_eq!(body["risk"]["above_accepted"], false);
    let page = hanne
        .get(app.url(&format!("/staff/cases/{case}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Innenfor akseptert risiko (8)"));
    let r = reqwest::Client::new()
        .post(api(&app, &format!("/staff/cases/{case}/triage")))
        .bearer_auth(&t)
        .json(&json!({"category": "varsling", "severity": "middels", "probability": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // The reporter's wrap was never touched.
    let r = reqwest::Client::new()
        .post(api(&app, "/reporter/session"))
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    let actions: Vec<String> = app
        .store
        .audit_entries()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions.iter().filter(|a| *a == "case.triaged").count(), 2);
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "case.routing_changed")
            .count(),
        1
    );
    app.teardown().await;
}

async fn routing_to_nobody_is_refused_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, rules).await;
    let inge = app
        .add_user_in("inge", "Inge Infosec", &["handler"], &["infosec"])
        .await;
    let hanne = app
        .add_user_in("hanne", "Hanne HR", &["handler"], &["hr"])
        .await;

    // The report form: excluding the only infosec member of an avvik report.
    let client = app.client();
    let page = client
        .get(app.url("/report"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = Form::new()
        .text("csrf", csrf_of(&page))
        .text("category", "avvik")
        .text("severity", "middels")
        .text("description", "Skjermen viser kundedata i resepsjonen.")
        .text("when", "")
        .text("place", "")
        .text("exclude", inge.to_string());
    let r = client
        .post(app.url("/report"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.unwrap();
    assert!(page.contains("Med disse avkryssingene er det ingen som kan motta saken."));
    assert!(!page.contains("id=\"case-code\""));
    assert!(app.store.inbox(inge).await.unwrap().is_empty());
    assert!(app.store.inbox(hanne).await.unwrap().is_empty());
    let (status, body) = submit(&app, "avvik", "middels", &[inge]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // Triage to varsling, whose only member the reporter excluded: refused.
    let (status, _) = submit(&app, "avvik", "lav", &[hanne]).await;
    assert_eq!(status, StatusCode::CREATED);
    let case = only_case(&app, "inge").await;
    let (client, csrf) = login(&app, "inge").await;
    let r = triage_form(
        &app,
        &client,
        &csrf,
        &case,
        &[
            ("category", "varsling"),
            ("subtype", ""),
            ("severity", "lav"),
            ("probability", ""),
            ("consequence", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Ingen saksbehandler kan få saken med denne klassifiseringen"));
    assert_eq!(only_case(&app, "inge").await, case);
    assert!(inbox(&app, "hanne").await.is_empty());
    let stored = app
        .store
        .case_by_id(Uuid::parse_str(&case).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.category.key(), "avvik");
    app.teardown().await;
}

#[test]
fn unknown_rule_categories_and_severities_are_rejected() {
    let mut s = Settings::default();
    s.routing.rules = vec![rule("avvik", "infosec")];
    assert!(s.routing.validate(&s.taxonomy).is_ok());
    s.routing.rules[0].category = "okonomi".to_owned();
    assert!(s.routing.validate(&s.taxonomy).is_err());
    s.routing.rules[0].category = "avvik".to_owned();
    s.routing.rules[0].severities = vec!["høy".to_owned()];
    assert!(s.routing.validate(&s.taxonomy).is_err());
}

for_each_backend!(
    rules_send_a_report_to_its_groups_only,
    kritisk_sikkerhet_reaches_group_and_contact_points_not_the_excluded,
    triage_moves_the_wraps_and_exclusions_hold,
    routing_to_nobody_is_refused_and_changes_nothing,
);
