//! Escalation decisions and closing (SPEC §4): a § 196 case cannot be closed
//! without a police or PST decision, a second contact point confirms, the
//! register lists decisions without their rationale, handlers neither record
//! decisions nor see the register, reopening takes a reason, the generic
//! status change refuses "closed", the audit chain still verifies, and no
//! rationale, evaluation or reason is stored readable.

use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;
use varsel::core::settings::Settings;

use crate::app::{rule, Backend, Decision, TestApp};
use crate::for_each_backend;

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
        .map(|category| rule(category, "infosec"))
        .collect();
}

/// A kritisk sikkerhet report, triaged by `handler` to `spionasje`; the case id.
async fn spionasje_case(app: &TestApp, handler: &str) -> Uuid {
    app.report(&json!({
        "category": "sikkerhet",
        "severity": "kritisk",
        "description": "En kollega fotograferer graderte dokumenter.",
    }))
    .await;
    let t = app.staff_token(handler).await;
    let id = app.api_case_ids(&t).await[0];
    let espionage = json!({"category": "sikkerhet", "subtype": "spionasje", "severity": "kritisk"});
    let r = app.api_triage(&t, id, &espionage).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    id
}

async fn a_196_case_is_closed_only_after_a_police_or_pst_decision(backend: Backend) {
    let app = TestApp::spawn_with(backend, rules).await;
    app.add_user_in("inge", "Inge Infosec", &["handler"], &["infosec"])
        .await;
    app.add_user("kari", "Kari Kontakt", &["contact"]).await;
    let kjell_id = app.add_user("kjell", "Kjell Kontakt", &["contact"]).await;
    let case = spionasje_case(&app, "inge").await;
    let inge = app.staff_login("inge").await;
    let kari = app.staff_login("kari").await;
    let kjell = app.staff_login("kjell").await;

    // No decision at all: refused, with the reason, status unchanged.
    let before = app.stored_case(case).await.status;
    let r = app.close(&inge, case, "substantiated", EVALUATION).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text.contains("straffeloven § 196"), "{}", r.text);
    assert!(r.text.contains("politiet eller PST"));
    assert_eq!(app.stored_case(case).await.status, before);

    // A handler records no decisions and sees no register.
    let nsm = Decision {
        authority: "nsm",
        decision: "escalate",
        legal_basis: "sikkerhetsloven_4_5",
        rationale: RATIONALE_NSM,
        aware_at: "2026-03-01",
        decided_at: "2026-03-02T10:15",
        notified_at: Some("2026-03-02T10:45"),
        authority_reference: Some("NSM-42"),
    };
    let r = app.decide(&inge, case, &nsm).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(app.store.decisions(case).await.unwrap().is_empty());
    let r = app.get(&inge, "/contact/register").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.get(&inge, "/contact/register.csv").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let page = app.get(&inge, &format!("/staff/cases/{case}")).await.text;
    assert!(!page.contains("/contact/register"), "no register link");
    assert!(!page.contains("id=\"escalation\""), "no escalation section");

    // An invalid decision is explained and stores nothing.
    let bad = Decision {
        aware_at: "01.03.2026",
        ..nsm
    };
    let r = app.decide(&kari, case, &bad).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Named at the field it is about.
    assert!(r
        .text
        .contains("<p class=\"error\" id=\"esc-aware-error\">Oppgi en gyldig dato"));
    assert!(r
        .text
        .contains("aria-describedby=\"moment-hint esc-aware-error\""));
    let long = "x".repeat(65);
    let bad = Decision {
        authority_reference: Some(&long),
        ..nsm
    };
    let r = app.decide(&kari, case, &bad).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("høyst 64 tegn"));
    assert!(app.store.decisions(case).await.unwrap().is_empty());

    // NSM alone does not do.
    let r = app.decide(&kari, case, &nsm).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.close(&inge, case, "substantiated", EVALUATION).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(app.stored_case(case).await.status, before);

    // The police decision does.
    let politi = Decision {
        authority: "politi",
        decision: "escalate",
        legal_basis: "straffeloven_196",
        rationale: RATIONALE_POLITI,
        aware_at: "2026-03-01",
        decided_at: "2026-03-02T11:00",
        notified_at: Some("2026-03-02T12:00"),
        authority_reference: Some("POL-2026-1234"),
    };
    let r = app.decide(&kari, case, &politi).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
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
    let page = app.get(&kari, &format!("/staff/cases/{case}")).await.text;
    assert!(page.contains(RATIONALE_POLITI));
    assert!(page.contains("/contact/register"), "register link");
    assert!(!page.contains("/confirm\""));

    // Confirming: not one's own, yes by a second contact point, only once.
    let confirm = format!("/staff/cases/{case}/escalation/{}/confirm", police.id);
    let r = app.confirm_decision(&kari, case, police.id).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let page = app.get(&kjell, &format!("/staff/cases/{case}")).await.text;
    assert!(page.contains(&confirm));
    let r = app.confirm_decision(&kjell, case, police.id).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.confirm_decision(&kjell, case, police.id).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let decisions = app.store.decisions(case).await.unwrap();
    let police = decisions
        .iter()
        .find(|d| d.authority.key() == "politi")
        .unwrap();
    assert_eq!(police.confirmed_by, Some(kjell_id));
    // A handler cannot confirm either.
    let nsm_id = decisions
        .iter()
        .find(|d| d.authority.key() == "nsm")
        .unwrap()
        .id;
    let r = app.confirm_decision(&inge, case, nsm_id).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Now closing works, and the page shows outcome and evaluation.
    let r = app.close(&inge, case, "substantiated", EVALUATION).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.stored_case(case).await.status.key(), "closed");
    let page = app.get(&inge, &format!("/staff/cases/{case}")).await.text;
    assert!(page.contains(EVALUATION));
    assert!(page.contains("Forholdet er bekreftet"));
    assert!(page.contains("Gjenåpne"));
    assert!(
        !page.contains("id=\"new-status\""),
        "no status form when closed"
    );

    // The register: every field but the rationale.
    let reference = case.simple().to_string()[..8].to_uppercase();
    let r = app.get(&kari, "/contact/register").await;
    assert_eq!(r.status, StatusCode::OK);
    let page = r.text;
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
    let page = app.get(&kari, "/contact/register?authority=nsm").await.text;
    assert!(page.contains("NSM-42") && !page.contains("POL-2026-1234"));
    let page = app.get(&kari, "/contact/register?year=2025").await.text;
    assert!(!page.contains("NSM-42") && !page.contains("POL-2026-1234"));
    let r = app.get(&kari, "/contact/register?decision=maybe").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    let r = app
        .get(&kari, "/contact/register.csv?legal_basis=straffeloven_196")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(r.headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let csv = r.text;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "case,authority,decision,legal_basis,aware_at,decided_at,notified_at,\
         decided_by,confirmed_by,authority_reference"
    );
    // The page's form took 11:00 and 12:00 Norwegian time (CET, UTC+1).
    assert_eq!(
        lines[1],
        format!(
            "{reference},politi,escalate,straffeloven_196,2026-03-01T00:00:00Z,\
             2026-03-02T10:00:00Z,2026-03-02T11:00:00Z,Kari Kontakt,Kjell Kontakt,POL-2026-1234"
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
    let inge = app.staff_login("inge").await;
    let kari = app.staff_login("kari").await;

    // The status form and the API refuse "closed".
    let r = app.set_status(&inge, case, "closed").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("Lukk saken"), "points to the close form");
    assert!(!r.text.contains("<option value=\"closed\""));
    assert_ne!(app.stored_case(case).await.status.key(), "closed");
    let t = app.staff_token("inge").await;
    let r = app.api_set_status(&t, case, "closed").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"]["code"], "use_close", "{}", r.body);
    assert_ne!(app.stored_case(case).await.status.key(), "closed");

    // A police decision not to escalate lets the case be closed; "defer"
    // alone would not.
    let pst = Decision {
        authority: "pst",
        decision: "defer",
        legal_basis: "straffeloven_196",
        rationale: RATIONALE_POLITI,
        aware_at: "2026-04-01",
        decided_at: "2026-04-01",
        notified_at: Some(""),
        authority_reference: Some(""),
    };
    let r = app.decide(&kari, case, &pst).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.close(&inge, case, "substantiated", EVALUATION).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let pst = Decision {
        decision: "do_not_escalate",
        ..pst
    };
    let r = app.decide(&kari, case, &pst).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.close(&inge, case, "nonsense", EVALUATION).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("Velg et utfall"));
    let r = app.close(&inge, case, "substantiated", EVALUATION).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.stored_case(case).await.status.key(), "closed");

    // A closed case does not change status through the generic form.
    let r = app.set_status(&inge, case, "feedback_given").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.stored_case(case).await.status.key(), "closed");
    let r = app.close(&inge, case, "substantiated", EVALUATION).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "already closed");

    // Reopening needs a reason.
    let r = app.reopen(&inge, case, "  ").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text.contains("Skriv en begrunnelse"));
    assert_eq!(app.stored_case(case).await.status.key(), "closed");
    let r = app.reopen(&inge, case, REASON).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.stored_case(case).await.status.key(),
        "under_investigation"
    );
    let closures = app.store.closures(case).await.unwrap();
    assert_eq!(closures.len(), 1);
    assert!(closures[0].reopened_at.is_some() && closures[0].reopen_reason.is_some());
    let r = app.reopen(&inge, case, REASON).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "not closed");

    let entries = app.store.audit_entries().await.unwrap();
    assert!(entries.iter().any(|e| e.action == "case.reopened"));
    assert!(!format!("{entries:?}").contains("Marker"));
    varsel::core::audit::verify(&entries).unwrap();

    // Nothing written is stored readable.
    let needles: Vec<String> = [RATIONALE_POLITI, EVALUATION, REASON, "Marker"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let hits = app.db.readable(&needles).await;
    assert!(hits.is_empty(), "{hits:?}");
    app.teardown().await;
}
