//! Escalation decisions and closing (SPEC §4): a § 196 case cannot be closed
//! without a police or PST decision, a second contact point confirms, the
//! register lists decisions without their rationale, handlers neither record
//! decisions nor see the register, reopening takes a reason, the generic
//! status change refuses "closed", the audit chain still verifies, and no
//! rationale, evaluation or reason is stored readable.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;
use varsel::core::routing::RoutingRule;
use varsel::core::settings::Settings;

use crate::app::{csrf_of, Backend, TestApp, PASSWORD};
use crate::for_each_backend;
use crate::privacy::{scan_dir, scan_postgres};

for_each_backend!(
    a_196_case_is_closed_only_after_a_police_or_pst_decision,
    closing_is_not_a_status_change_and_reopening_takes_a_reason,
);

const RATIONALE_NSM: &str = "RationaleNsmMarker: informert NSM om mistanken";
const RATIONALE_POLITI: &str = "RationalePolitiMarker: anmeldt etter samtale";
const EVALUATION: &str = "EvaluationMarker: tiltak gjennomført";
const REASON: &str = "ReopenReasonMarker: nye opplysninger";

fn rules(s: &mut Settings) {
    s.routing.rules = ["avvik", "sikkerhet", "varsling"]
        .into_iter()
        .map(|category| RoutingRule {
            category: category.to_owned(),
            severities: ["lav", "middels", "hoy", "kritisk"]
                .into_iter()
                .map(str::to_owned)
                .collect(),
            groups: vec!["infosec".to_owned()],
        })
        .collect();
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
    let body: Value = r.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
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

/// A kritisk sikkerhet report, triaged by `handler` to `spionasje`; the case id.
async fn spionasje_case(app: &TestApp, handler: &str) -> Uuid {
    let r = Client::new()
        .post(api(app, "/reports"))
        .json(&json!({
            "category": "sikkerhet",
            "severity": "kritisk",
            "description": "En kollega fotograferer graderte dokumenter.",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let t = token(app, handler).await;
    let cases: Value = Client::new()
        .get(api(app, "/staff/cases"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = cases[0]["id"].as_str().unwrap().to_owned();
    let r = Client::new()
        .post(api(app, &format!("/staff/cases/{id}/triage")))
        .bearer_auth(&t)
        .json(&json!({"category": "sikkerhet", "subtype": "spionasje", "severity": "kritisk"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    Uuid::parse_str(&id).unwrap()
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

async fn status_of(app: &TestApp, case: Uuid) -> String {
    let status = app.store.case_by_id(case).await.unwrap().unwrap().status;
    status.key().to_owned()
}

async fn decide(
    app: &TestApp,
    client: &Client,
    csrf: &str,
    case: Uuid,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    post_form(
        app,
        client,
        &format!("/staff/cases/{case}/escalation"),
        csrf,
        fields,
    )
    .await
}

async fn close(app: &TestApp, client: &Client, csrf: &str, case: Uuid) -> (StatusCode, String) {
    post_form(
        app,
        client,
        &format!("/staff/cases/{case}/close"),
        csrf,
        &[("outcome", "substantiated"), ("evaluation", EVALUATION)],
    )
    .await
}

async fn get(client: &Client, url: &str) -> (StatusCode, String) {
    let r = client.get(url).send().await.unwrap();
    let status = r.status();
    (status, r.text().await.unwrap())
}

async fn a_196_case_is_closed_only_after_a_police_or_pst_decision(backend: Backend) {
    let app = TestApp::spawn_with(backend, rules).await;
    app.add_user_in("inge", "Inge Infosec", &["handler"], &["infosec"])
        .await;
    app.add_user("kari", "Kari Kontakt", &["contact"]).await;
    let kjell = app.add_user("kjell", "Kjell Kontakt", &["contact"]).await;
    let case = spionasje_case(&app, "inge").await;
    let (inge, inge_csrf) = login(&app, "inge").await;
    let (kari, kari_csrf) = login(&app, "kari").await;
    let (kjell_client, kjell_csrf) = login(&app, "kjell").await;

    // No decision at all: refused, with the reason, status unchanged.
    let before = status_of(&app, case).await;
    let (status, page) = close(&app, &inge, &inge_csrf, case).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("straffeloven § 196"), "{page}");
    assert!(page.contains("politiet eller PST"));
    assert_eq!(status_of(&app, case).await, before);

    // A handler records no decisions and sees no register.
    let nsm = [
        ("authority", "nsm"),
        ("decision", "escalate"),
        ("legal_basis", "sikkerhetsloven_4_5"),
        ("rationale", RATIONALE_NSM),
        ("aware_at", "2026-03-01"),
        ("decided_at", "2026-03-02T10:15"),
        ("notified_at", "2026-03-02T10:45"),
        ("authority_reference", "NSM-42"),
    ];
    let (status, _) = decide(&app, &inge, &inge_csrf, case, &nsm).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(app.store.decisions(case).await.unwrap().is_empty());
    let (status, _) = get(&inge, &app.url("/contact/register")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get(&inge, &app.url("/contact/register.csv")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, page) = get(&inge, &app.url(&format!("/staff/cases/{case}"))).await;
    assert!(!page.contains("/contact/register"), "no register link");
    assert!(!page.contains("id=\"escalation\""), "no escalation section");

    // An invalid decision is explained and stores nothing.
    let mut bad = nsm.to_vec();
    bad[4] = ("aware_at", "01.03.2026");
    let (status, page) = decide(&app, &kari, &kari_csrf, case, &bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Beslutningen er ufullstendig"));
    let long = "x".repeat(65);
    let mut bad = nsm.to_vec();
    bad[7] = ("authority_reference", long.as_str());
    let (status, page) = decide(&app, &kari, &kari_csrf, case, &bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("høyst 64 tegn"));
    assert!(app.store.decisions(case).await.unwrap().is_empty());

    // NSM alone does not do.
    let (status, _) = decide(&app, &kari, &kari_csrf, case, &nsm).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = close(&app, &inge, &inge_csrf, case).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(status_of(&app, case).await, before);

    // The police decision does.
    let politi = [
        ("authority", "politi"),
        ("decision", "escalate"),
        ("legal_basis", "straffeloven_196"),
        ("rationale", RATIONALE_POLITI),
        ("aware_at", "2026-03-01"),
        ("decided_at", "2026-03-02T11:00"),
        ("notified_at", "2026-03-02T12:00"),
        ("authority_reference", "POL-2026-1234"),
    ];
    let (status, _) = decide(&app, &kari, &kari_csrf, case, &politi).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let decisions = app.store.decisions(case).await.unwrap();
    assert_eq!(decisions.len(), 2);
    let police = decisions
        .iter()
        .find(|d| d.authority.key() == "politi")
        .unwrap();
    assert_eq!(police.decision.key(), "escalate");
    assert_eq!(police.legal_basis.key(), "straffeloven_196");
    assert_eq!(police.authority_reference.as_deref(), Some("POL-2026-1234"));
    assert!(police.notified_at.is_some());

    // The contact point reads the rationale on the case page; no
    // confirm button for their own decisions.
    let (_, page) = get(&kari, &app.url(&format!("/staff/cases/{case}"))).await;
    assert!(page.contains(RATIONALE_POLITI));
    assert!(page.contains("/contact/register"), "register link");
    assert!(!page.contains("/confirm\""));

    // Confirming: not one's own, yes by a second contact point, only once.
    let confirm = format!("/staff/cases/{case}/escalation/{}/confirm", police.id);
    let (status, _) = post_form(&app, &kari, &confirm, &kari_csrf, &[]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, page) = get(&kjell_client, &app.url(&format!("/staff/cases/{case}"))).await;
    assert!(page.contains(&confirm));
    let (status, _) = post_form(&app, &kjell_client, &confirm, &kjell_csrf, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = post_form(&app, &kjell_client, &confirm, &kjell_csrf, &[]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let decisions = app.store.decisions(case).await.unwrap();
    let police = decisions
        .iter()
        .find(|d| d.authority.key() == "politi")
        .unwrap();
    assert_eq!(police.confirmed_by, Some(kjell));
    // A handler cannot confirm either.
    let nsm_id = decisions
        .iter()
        .find(|d| d.authority.key() == "nsm")
        .unwrap()
        .id;
    let confirm_nsm = format!("/staff/cases/{case}/escalation/{nsm_id}/confirm");
    let (status, _) = post_form(&app, &inge, &confirm_nsm, &inge_csrf, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Now closing works, and the page shows outcome and evaluation.
    let (status, _) = close(&app, &inge, &inge_csrf, case).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, case).await, "closed");
    let (_, page) = get(&inge, &app.url(&format!("/staff/cases/{case}"))).await;
    assert!(page.contains(EVALUATION));
    assert!(page.contains("Forholdet er bekreftet"));
    assert!(page.contains("Gjenåpne"));
    assert!(
        !page.contains("id=\"new-status\""),
        "no status form when closed"
    );

    // The register: every field but the rationale.
    let reference = case.simple().to_string()[..8].to_uppercase();
    let (status, page) = get(&kari, &app.url("/contact/register")).await;
    assert_eq!(status, StatusCode::OK);
    for expected in [
        reference.as_str(),
        "Politiet",
        "NSM",
        "Eskaler",
        "Straffeloven § 196",
        "Sikkerhetsloven § 4-5",
        "01.03.2026",
        "02.03.2026 11:00",
        "02.03.2026 12:00",
        "Kari Kontakt",
        "Kjell Kontakt",
        "POL-2026-1234",
        "NSM-42",
    ] {
        assert!(page.contains(expected), "register lacks {expected}");
    }
    assert!(!page.contains("RationaleNsmMarker") && !page.contains("RationalePolitiMarker"));
    let (_, page) = get(&kari, &app.url("/contact/register?authority=nsm")).await;
    assert!(page.contains("NSM-42") && !page.contains("POL-2026-1234"));
    let (_, page) = get(&kari, &app.url("/contact/register?year=2025")).await;
    assert!(!page.contains("NSM-42") && !page.contains("POL-2026-1234"));
    let (status, _) = get(&kari, &app.url("/contact/register?decision=maybe")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let r = kari
        .get(app.url("/contact/register.csv?legal_basis=straffeloven_196"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "case,authority,decision,legal_basis,aware_at,decided_at,notified_at,\
         decided_by,confirmed_by,authority_reference"
    );
    assert_eq!(
        lines[1],
        format!(
            "{reference},politi,escalate,straffeloven_196,2026-03-01T00:00:00Z,\
             2026-03-02T11:00:00Z,2026-03-02T12:00:00Z,Kari Kontakt,Kjell Kontakt,POL-2026-1234"
        )
    );
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(!csv.contains("Marker"));

    // The audit log has the decisions and the closing, never the texts,
    // and still verifies.
    let entries = app.store.audit_entries().await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "escalation.decided")
            .count(),
        2
    );
    assert!(actions.contains(&"escalation.confirmed"));
    assert!(actions.contains(&"case.closed"));
    let decided = entries
        .iter()
        .find(|e| e.action == "escalation.decided")
        .unwrap();
    let detail = format!("{:?}", decided);
    assert!(detail.contains("nsm") && detail.contains("sikkerhetsloven_4_5"));
    assert!(!format!("{entries:?}").contains("Marker"));
    varsel::core::audit::verify(&entries).unwrap();

    app.teardown().await;
}

async fn closing_is_not_a_status_change_and_reopening_takes_a_reason(backend: Backend) {
    let app = TestApp::spawn_with(backend, rules).await;
    app.add_user_in("inge", "Inge Infosec", &["handler"], &["infosec"])
        .await;
    app.add_user("kari", "Kari Kontakt", &["contact"]).await;
    let case = spionasje_case(&app, "inge").await;
    let (inge, csrf) = login(&app, "inge").await;
    let (kari, kari_csrf) = login(&app, "kari").await;
    let status_path = format!("/staff/cases/{case}/status");

    // The status form and the API refuse "closed".
    let (status, page) = post_form(&app, &inge, &status_path, &csrf, &[("status", "closed")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Lukk saken"), "points to the close form");
    assert!(!page.contains("<option value=\"closed\""));
    assert_ne!(status_of(&app, case).await, "closed");
    let t = token(&app, "inge").await;
    let r = Client::new()
        .post(api(&app, &format!("/staff/cases/{case}/status")))
        .bearer_auth(&t)
        .json(&json!({"status": "closed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "use_close", "{body}");
    assert_ne!(status_of(&app, case).await, "closed");

    // A police decision not to escalate lets the case be closed; "defer"
    // alone would not.
    let pst = [
        ("authority", "pst"),
        ("decision", "defer"),
        ("legal_basis", "straffeloven_196"),
        ("rationale", RATIONALE_POLITI),
        ("aware_at", "2026-04-01"),
        ("decided_at", "2026-04-01"),
        ("notified_at", ""),
        ("authority_reference", ""),
    ];
    let (status, _) = decide(&app, &kari, &kari_csrf, case, &pst).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = close(&app, &inge, &csrf, case).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let mut pst = pst.to_vec();
    pst[1] = ("decision", "do_not_escalate");
    let (status, _) = decide(&app, &kari, &kari_csrf, case, &pst).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, page) = post_form(
        &app,
        &inge,
        &format!("/staff/cases/{case}/close"),
        &csrf,
        &[("outcome", "nonsense"), ("evaluation", EVALUATION)],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Velg et utfall"));
    let (status, _) = close(&app, &inge, &csrf, case).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, case).await, "closed");

    // A closed case does not change status through the generic form.
    let (status, _) = post_form(
        &app,
        &inge,
        &status_path,
        &csrf,
        &[("status", "feedback_given")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(status_of(&app, case).await, "closed");
    let (status, _) = close(&app, &inge, &csrf, case).await;
    assert_eq!(status, StatusCode::CONFLICT, "already closed");

    // Reopening needs a reason.
    let reopen = format!("/staff/cases/{case}/reopen");
    let (status, page) = post_form(&app, &inge, &reopen, &csrf, &[("reason", "  ")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Skriv en begrunnelse"));
    assert_eq!(status_of(&app, case).await, "closed");
    let (status, _) = post_form(&app, &inge, &reopen, &csrf, &[("reason", REASON)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, case).await, "under_investigation");
    let closures = app.store.closures(case).await.unwrap();
    assert_eq!(closures.len(), 1);
    assert!(closures[0].reopened_at.is_some() && closures[0].reopen_reason.is_some());
    let (status, _) = post_form(&app, &inge, &reopen, &csrf, &[("reason", REASON)]).await;
    assert_eq!(status, StatusCode::CONFLICT, "not closed");

    let entries = app.store.audit_entries().await.unwrap();
    assert!(entries.iter().any(|e| e.action == "case.reopened"));
    assert!(!format!("{entries:?}").contains("Marker"));
    varsel::core::audit::verify(&entries).unwrap();

    // Nothing written is stored readable.
    let needles: Vec<String> = [RATIONALE_POLITI, EVALUATION, REASON, "Marker"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let mut hits = Vec::new();
    scan_dir(app.db.data_dir.path(), &needles, &mut hits);
    if backend == Backend::Postgres {
        scan_postgres(&app.db.url, &needles, &mut hits).await;
    }
    assert!(hits.is_empty(), "{hits:?}");
    app.teardown().await;
}
