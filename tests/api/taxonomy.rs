//! The configured taxonomy (SPEC §4): the reporter may name a sub-type of the
//! category, a Security-Act sub-type reaches the contact points at once, and
//! an organisation's own categories and sub-types shape the form and the API.

use reqwest::StatusCode;
use serde_json::json;
use varsel::core::domain::Taxonomy;
use varsel::core::settings::Settings;

use crate::app::{rule, Backend, ReportForm, TestApp};
use crate::for_each_backend;

for_each_backend!(
    a_security_act_subtype_from_the_form_reaches_the_contact_points_at_once,
    a_subtype_of_another_category_is_refused_and_nothing_is_stored,
    a_configured_taxonomy_shapes_the_form_and_the_api,
);

fn rules(s: &mut Settings) {
    s.routing.rules = ["avvik", "sikkerhet", "varsling"]
        .into_iter()
        .map(|category| rule(category, "sikkerhet"))
        .collect();
}

/// The report form with `category`, `subtype` and `severity`.
fn form<'a>(category: &'a str, subtype: &'a str, severity: &'a str) -> ReportForm<'a> {
    ReportForm {
        category,
        subtype: Some(subtype),
        severity,
        when: "",
        ..ReportForm::new("En ukjent person spurte om adgangskortet mitt.")
    }
}

async fn a_security_act_subtype_from_the_form_reaches_the_contact_points_at_once(backend: Backend) {
    let app = TestApp::spawn_with(backend, rules).await;
    app.add_user_in("hanne", "Hanne Handler", &["handler"], &["sikkerhet"])
        .await;
    app.add_user("kari", "Kari Kontakt", &["contact"]).await;

    // sikkerhet, lav, no sub-type: the group only.
    let r = app
        .submit_report_form(&app.client(), &form("sikkerhet", "", "lav"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "receipt");
    assert_eq!(app.api_case_ids_of("hanne").await.len(), 1);
    assert!(
        app.api_case_ids_of("kari").await.is_empty(),
        "lav without duty"
    );

    // The same, as suspected espionage: the contact point too, at once.
    let receipt = app
        .submit_report_form(
            &app.client(),
            &form("sikkerhet", "sikkerhet.spionasje", "lav"),
        )
        .await;
    assert_eq!(receipt.status, StatusCode::OK, "receipt");
    assert!(!receipt.contains("class=\"error\""));
    let kari = app.api_case_ids_of("kari").await;
    assert_eq!(
        kari.len(),
        1,
        "a Security-Act sub-type reaches the contact point"
    );
    assert_eq!(app.api_case_ids_of("hanne").await.len(), 2);
    let facts = app.store.triage_facts(kari[0]).await.unwrap().unwrap();
    assert_eq!(
        facts.subtype.as_ref().map(|s| s.as_str()),
        Some("spionasje")
    );
    let case = app.store.case_by_id(kari[0]).await.unwrap().unwrap();
    assert_eq!(
        (case.category.key(), case.severity.key()),
        ("sikkerhet", "lav")
    );
    app.teardown().await;
}

async fn a_subtype_of_another_category_is_refused_and_nothing_is_stored(backend: Backend) {
    let app = TestApp::spawn_with(backend, rules).await;
    app.add_user_in("hanne", "Hanne Handler", &["handler"], &["sikkerhet"])
        .await;

    let page = app
        .submit_report_form(
            &app.client(),
            &form("avvik", "sikkerhet.spionasje", "middels"),
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("Typen du valgte, hører ikke til kategorien du valgte"),
        "a clear error in Norwegian"
    );
    assert!(
        page.contains("En ukjent person spurte om adgangskortet mitt."),
        "what the reporter wrote is kept"
    );
    let r = app
        .submit_report_form(
            &app.client(),
            &form("avvik", "avvik.finnes_ikke", "middels"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        app.api_case_ids_of("hanne").await.is_empty(),
        "nothing stored"
    );

    // The API says the same in its own words, in the caller's language.
    let r = app
        .with_language("en")
        .submit_report(&json!({
            "category": "varsling",
            "subtype": "personvernbrudd",
            "severity": "lav",
            "description": "Noe skjedde.",
        }))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"]["code"], "unknown_subtype");
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Nothing was stored"));
    assert!(
        app.api_case_ids_of("hanne").await.is_empty(),
        "nothing stored"
    );

    // A valid sub-type through the API is kept.
    let r = app
        .submit_report(&json!({
            "category": "avvik",
            "subtype": "personvernbrudd",
            "severity": "lav",
            "description": "Kundelisten ble sendt til feil mottaker.",
        }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let cases = app.api_case_ids_of("hanne").await;
    let facts = app.store.triage_facts(cases[0]).await.unwrap().unwrap();
    assert_eq!(
        facts.subtype.as_ref().map(|s| s.as_str()),
        Some("personvernbrudd")
    );
    app.teardown().await;
}

/// Without `sikkerhet`, and with an `avvik` sub-type of the organisation's own.
const OWN_TAXONOMY: &str = r#"
[[categories]]
key = "varsling"
[[categories.subtypes]]
key = "trakassering"

[[categories]]
key = "avvik"
[[categories.subtypes]]
key = "personvernbrudd"
flags = { personal_data_breach = true }
[[categories.subtypes]]
key = "skytjeneste"
labels = { nb = "Feil i skytjeneste", en = "Cloud service fault" }
"#;

async fn a_configured_taxonomy_shapes_the_form_and_the_api(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        rules(s);
        s.routing.rules.retain(|r| r.category != "sikkerhet");
        s.taxonomy = toml::from_str::<Taxonomy>(OWN_TAXONOMY).unwrap();
    })
    .await;
    app.add_user_in("hanne", "Hanne Handler", &["handler"], &["sikkerhet"])
        .await;

    let page = app.get(&app.client(), "/report").await;
    assert!(page.contains("value=\"avvik\""));
    assert!(
        !page.contains("value=\"sikkerhet\""),
        "sikkerhet is not offered"
    );
    assert!(page.contains("Feil i skytjeneste"), "the configured label");
    assert!(!page.contains("Mistanke om spionasje"));

    let catalog = app
        .with_language("en")
        .api_get("/categories", None)
        .await
        .body;
    let keys: Vec<&str> = catalog["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["varsling", "avvik"]);
    assert_eq!(
        catalog["categories"][1]["subtypes"][1],
        json!({"key": "skytjeneste", "label": "Cloud service fault"})
    );

    let page = app
        .submit_report_form(&app.client(), &form("sikkerhet", "", "lav"))
        .await;
    assert_eq!(
        page.status,
        StatusCode::BAD_REQUEST,
        "a category not configured"
    );
    assert!(page.contains("Den valgte kategorien finnes ikke"));
    let r = app
        .submit_report_form(&app.client(), &form("avvik", "avvik.skytjeneste", "lav"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let cases = app.api_case_ids_of("hanne").await;
    assert_eq!(cases.len(), 1);
    let facts = app.store.triage_facts(cases[0]).await.unwrap().unwrap();
    assert_eq!(
        facts.subtype.as_ref().map(|s| s.as_str()),
        Some("skytjeneste")
    );
    app.teardown().await;
}

/// Loads settings from a configuration file with `text`.
fn load(text: &str) -> anyhow::Result<Settings> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("varsel.toml");
    std::fs::write(&path, text).unwrap();
    Settings::load(Some(&path))
}

#[test]
fn the_taxonomy_is_read_from_the_configuration_file_and_checked() {
    let own = OWN_TAXONOMY.replace("[[categories", "[[taxonomy.categories");
    let settings = load(&own).ok().unwrap();
    let keys: Vec<&str> = settings
        .taxonomy
        .categories()
        .iter()
        .map(|c| c.key.as_str())
        .collect();
    assert_eq!(keys, ["varsling", "avvik"]);

    let unknown_category = own.replace("key = \"varsling\"", "key = \"okonomi\"");
    let e = load(&unknown_category).err().unwrap().to_string();
    assert!(e.contains("unknown category \"okonomi\""), "{e}");

    let unlabelled = own.replace(
        "labels = { nb = \"Feil i skytjeneste\", en = \"Cloud service fault\" }",
        "labels = { nb = \"Feil i skytjeneste\" }",
    );
    let e = load(&unlabelled).err().unwrap().to_string();
    assert!(e.contains("avvik.skytjeneste needs labels"), "{e}");

    let no_subtypes = "[[taxonomy.categories]]\nkey = \"avvik\"\nsubtypes = []\n";
    assert!(load(no_subtypes).is_err());

    // A routing rule for a category the taxonomy no longer has.
    let rule = format!(
        "{own}\n[[routing.rules]]\ncategory = \"sikkerhet\"\nseverities = [\"lav\"]\ngroups = [\"x\"]\n"
    );
    let e = load(&rule).err().unwrap().to_string();
    assert!(e.contains("unknown category \"sikkerhet\""), "{e}");
}
