//! Routing (SPEC §4): rules send a report to the handlers of the groups they
//! name, `kritisk` and `sikkerhet` above `lav` also reach the contact points,
//! exclusions hold through every re-routing, and triage moves the key wraps.

use reqwest::StatusCode;
use serde_json::json;
use varsel::core::settings::Settings;

use crate::app::{api_report, rule, Backend, ReportForm, TestApp};
use crate::for_each_backend;

/// avvik and sikkerhet → "infosec", varsling → "hr".
fn rules(s: &mut Settings) {
    s.routing.rules = vec![
        rule("avvik", "infosec"),
        rule("sikkerhet", "infosec"),
        rule("varsling", "hr"),
    ];
}

async fn rules_send_a_report_to_its_groups_only(backend: Backend) {
    let app = TestApp::spawn_with(backend, rules).await;
    app.add_user_in("inge", "Inge Infosec", &["handler"], &["infosec"])
        .await;
    app.add_user_in("hanne", "Hanne HR", &["handler"], &["hr"])
        .await;
    app.add_user("kari", "Kari Kontakt", &["contact"]).await;
    let inge = app.staff_token("inge").await;
    let hanne = app.staff_token("hanne").await;
    let kari = app.staff_token("kari").await;

    let r = app
        .submit_report(&api_report("avvik", "middels", &[]))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let avvik = app.api_only_case(&inge).await;
    assert!(app.api_case_ids(&hanne).await.is_empty());
    assert!(app.api_case_ids(&kari).await.is_empty(), "not kritisk");
    assert_eq!(
        app.api_case(&hanne, avvik).await.status,
        StatusCode::NOT_FOUND
    );

    let r = app.submit_report(&api_report("varsling", "lav", &[])).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let varsling = app.api_only_case(&hanne).await;
    assert_ne!(varsling, avvik);
    assert_eq!(app.api_case_ids(&inge).await, [avvik]);
    app.teardown().await;
}

async fn kritisk_sikkerhet_reaches_group_and_contact_points_not_the_excluded(backend: Backend) {
    let app = TestApp::spawn_with(backend, rules).await;
    app.add_user_in("inge", "Inge Infosec", &["handler"], &["infosec"])
        .await;
    let ivar_id = app
        .add_user_in("ivar", "Ivar Infosec", &["handler"], &["infosec"])
        .await;
    app.add_user_in("hanne", "Hanne HR", &["handler"], &["hr"])
        .await;
    let kari_id = app.add_user("kari", "Kari Kontakt", &["contact"]).await;
    let inge = app.staff_token("inge").await;
    let ivar = app.staff_token("ivar").await;
    let hanne = app.staff_token("hanne").await;
    let kari = app.staff_token("kari").await;

    // Contact points are on the reporter's exclusion list too.
    let form = app.page(&app.client(), "/report").await;
    assert!(form.contains(&format!("value=\"{ivar_id}\"")));
    assert!(form.contains(&format!("value=\"{kari_id}\"")));

    let r = app
        .submit_report(&api_report("sikkerhet", "kritisk", &[ivar_id]))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let case = app.api_only_case(&inge).await;
    assert_eq!(app.api_only_case(&kari).await, case);
    assert!(app.api_case_ids(&ivar).await.is_empty(), "excluded");
    assert!(app.api_case_ids(&hanne).await.is_empty(), "another group");
    assert_eq!(
        app.api_case(&ivar, case).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.api_case(&kari, case).await.status, StatusCode::OK);

    // sikkerhet at lav: the group, no contact points.
    let r = app
        .submit_report(&api_report("sikkerhet", "lav", &[]))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(app.api_case_ids(&kari).await.len(), 1);
    assert_eq!(app.api_case_ids(&ivar).await.len(), 1);
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
    let hilde_id = app
        .add_user_in("hilde", "Hilde HR", &["handler"], &["hr"])
        .await;
    let inge = app.staff_token("inge").await;
    let ivar = app.staff_token("ivar").await;
    let hanne = app.staff_token("hanne").await;
    let hilde = app.staff_token("hilde").await;

    let r = app
        .submit_report(&api_report("avvik", "middels", &[hilde_id]))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let code = r.body["case_code"].as_str().unwrap().to_owned();
    let case = app.api_only_case(&inge).await;
    assert_eq!(app.api_only_case(&ivar).await, case);

    // An invalid classification changes nothing.
    let inge_page = app.staff_login("inge").await;
    let r = app
        .triage(
            &inge_page,
            case,
            &[
                ("category", "varsling"),
                ("subtype", "personvernbrudd"),
                ("severity", "hoy"),
                ("probability", ""),
                ("consequence", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("Ugyldig klassifisering"));
    assert_eq!(app.api_case(&inge, case).await.status, StatusCode::OK);

    // avvik → varsling: the infosec members lose it, hr gets it, the
    // excluded hr member still does not; the triager goes to the inbox.
    let r = app
        .triage(
            &inge_page,
            case,
            &[
                ("category", "varsling"),
                ("subtype", "trakassering"),
                ("severity", "hoy"),
                ("probability", "4"),
                ("consequence", "3"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let to = r.location().unwrap().to_owned();
    assert_eq!(to, "/staff/inbox?notice=rerouted");
    let notice = app.get(&inge_page, &to).await;
    assert!(notice.contains("Du har ikke lenger tilgang til den."));
    assert_eq!(
        app.api_case(&inge, case).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api_case(&ivar, case).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api_case(&hilde, case).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.api_only_case(&hanne).await, case);
    let page = app.get(&inge_page, &format!("/staff/cases/{case}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);

    // The new member sees the classification and the risk above the threshold.
    let hanne_page = app.staff_login("hanne").await;
    let page = app.get(&hanne_page, &format!("/staff/cases/{case}")).await;
    assert!(page.contains("Trakassering"), "sub-type shown");
    assert!(page.contains("sannsynlighet 4 × konsekvens 3 = 12"));
    assert!(page.contains("Over akseptert risiko (8)"));

    // Through the API, within the threshold; hanne stays a member.
    let r = app
        .api_triage(
            &hanne,
            case,
            &json!({"category": "varsling", "subtype": null, "severity": "middels",
                      "probability": 2, "consequence": 3}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["still_member"], true);
    assert_eq!(r.body["risk"]["score"], 6);
    assert_eq!(r.body["risk"]["above_accepted"], false);
    let page = app.get(&hanne_page, &format!("/staff/cases/{case}")).await;
    assert!(page.contains("Innenfor akseptert risiko (8)"));
    let r = app
        .api_triage(
            &hanne,
            case,
            &json!({"category": "varsling", "severity": "middels", "probability": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // The reporter's wrap was never touched.
    app.reporter_token(&code).await;

    let actions = app.audit_actions().await;
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
    let inge_id = app
        .add_user_in("inge", "Inge Infosec", &["handler"], &["infosec"])
        .await;
    let hanne_id = app
        .add_user_in("hanne", "Hanne HR", &["handler"], &["hr"])
        .await;

    // The report form: excluding the only infosec member of an avvik report.
    let form = ReportForm {
        category: "avvik",
        severity: "middels",
        when: "",
        exclude: vec![inge_id],
        ..ReportForm::new("Skjermen viser kundedata i resepsjonen.")
    };
    let page = app.submit_report_form(&app.client(), &form).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Med disse avkryssingene er det ingen som kan motta saken."));
    assert!(!page.contains("id=\"case-code\""));
    assert!(app.held_cases(inge_id).await.is_empty());
    assert!(app.held_cases(hanne_id).await.is_empty());
    let r = app
        .submit_report(&api_report("avvik", "middels", &[inge_id]))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);

    // Triage to varsling, whose only member the reporter excluded: refused.
    let r = app
        .submit_report(&api_report("avvik", "lav", &[hanne_id]))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let inge = app.staff_token("inge").await;
    let hanne = app.staff_token("hanne").await;
    let case = app.api_only_case(&inge).await;
    let inge_page = app.staff_login("inge").await;
    let r = app
        .triage(
            &inge_page,
            case,
            &[
                ("category", "varsling"),
                ("subtype", ""),
                ("severity", "lav"),
                ("probability", ""),
                ("consequence", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.contains("Ingen saksbehandler kan få saken med denne klassifiseringen"));
    assert_eq!(app.api_only_case(&inge).await, case);
    assert!(app.api_case_ids(&hanne).await.is_empty());
    let stored = app.stored_case(case).await;
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
