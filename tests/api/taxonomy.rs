//! The configured taxonomy (SPEC §4): the reporter may name a sub-type of the
//! category, a Security-Act sub-type reaches the contact points at once, and
//! an organisation's own categories and sub-types shape the form and the API.

use reqwest::multipart::Form;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;
use varsel::core::domain::Taxonomy;
use varsel::core::routing::RoutingRule;
use varsel::core::settings::Settings;

use crate::app::{csrf_of, Backend, TestApp, PASSWORD};
use crate::for_each_backend;

for_each_backend!(
    a_security_act_subtype_from_the_form_reaches_the_contact_points_at_once,
    a_subtype_of_another_category_is_refused_and_nothing_is_stored,
    a_configured_taxonomy_shapes_the_form_and_the_api,
);

fn rules(s: &mut Settings) {
    s.routing.rules = ["avvik", "sikkerhet", "varsling"]
        .into_iter()
        .map(|category| RoutingRule {
            category: category.to_owned(),
            severities: vec![
                "lav".into(),
                "middels".into(),
                "hoy".into(),
                "kritisk".into(),
            ],
            groups: vec!["sikkerhet".to_owned()],
        })
        .collect();
}

/// Submits the HTML report form; returns the status and page.
async fn submit_form(
    app: &TestApp,
    category: &str,
    subtype: &str,
    severity: &str,
) -> (StatusCode, String) {
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
        .text("category", category.to_owned())
        .text("subtype", subtype.to_owned())
        .text("severity", severity.to_owned())
        .text(
            "description",
            "En ukjent person spurte om adgangskortet mitt.",
        )
        .text("when", "")
        .text("place", "");
    let r = client
        .post(app.url("/report"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.text().await.unwrap())
}

/// The case ids in `username`'s inbox, through the API.
async fn inbox(app: &TestApp, username: &str) -> Vec<Uuid> {
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/staff/session"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases: Value = reqwest::Client::new()
        .get(app.url("/api/v1/staff/cases"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    cases
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Uuid::parse_str(c["id"].as_str().unwrap()).unwrap())
        .collect()
}

async fn a_security_act_subtype_from_the_form_reaches_the_contact_points_at_once(backend: Backend) {
    let app = TestApp::spawn_with(backend, rules).await;
    app.add_user_in("hanne", "Hanne Handler", &["handler"], &["sikkerhet"])
        .await;
    app.add_user("kari", "Kari Kontakt", &["contact"]).await;

    // sikkerhet, lav, no sub-type: the group only.
    let (status, _) = submit_form(&app, "sikkerhet", "", "lav").await;
    assert_eq!(status, StatusCode::OK, "receipt");
    assert_eq!(inbox(&app, "hanne").await.len(), 1);
    assert!(inbox(&app, "kari").await.is_empty(), "lav without duty");

    // The same, as suspected espionage: the contact point too, at once.
    let (status, receipt) = submit_form(&app, "sikkerhet", "sikkerhet.spionasje", "lav").await;
    assert_eq!(status, StatusCode::OK, "receipt");
    assert!(!receipt.contains("class=\"error\""));
    let kari = inbox(&app, "kari").await;
    assert_eq!(
        kari.len(),
        1,
        "a Security-Act sub-type reaches the contact point"
    );
    assert_eq!(inbox(&app, "hanne").await.len(), 2);
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

    let (status, page) = submit_form(&app, "avvik", "sikkerhet.spionasje", "middels").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("Typen du valgte, hører ikke til kategorien du valgte"),
        "a clear error in Norwegian"
    );
    assert!(
        page.contains("En ukjent person spurte om adgangskortet mitt."),
        "what the reporter wrote is kept"
    );
    let (status, _) = submit_form(&app, "avvik", "avvik.finnes_ikke", "middels").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(inbox(&app, "hanne").await.is_empty(), "nothing stored");

    // The API says the same in its own words, in the caller's language.
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/reports"))
        .header("accept-language", "en")
        .json(&json!({
            "category": "varsling",
            "subtype": "personvernbrudd",
            "severity": "lav",
            "description": "Noe skjedde.",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unknown_subtype");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Nothing was stored"));
    assert!(inbox(&app, "hanne").await.is_empty(), "nothing stored");

    // A valid sub-type through the API is kept.
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/reports"))
        .json(&json!({
            "category": "avvik",
            "subtype": "personvernbrudd",
            "severity": "lav",
            "description": "Kundelisten ble sendt til feil mottaker.",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let cases = inbox(&app, "hanne").await;
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

    let page = app
        .client()
        .get(app.url("/report"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("value=\"avvik\""));
    assert!(
        !page.contains("value=\"sikkerhet\""),
        "sikkerhet is not offered"
    );
    assert!(page.contains("Feil i skytjeneste"), "the configured label");
    assert!(!page.contains("Mistanke om spionasje"));

    let catalog: Value = reqwest::Client::new()
        .get(app.url("/api/v1/categories"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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

    let (status, page) = submit_form(&app, "sikkerhet", "", "lav").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a category not configured");
    assert!(page.contains("Den valgte kategorien finnes ikke"));
    let (status, _) = submit_form(&app, "avvik", "avvik.skytjeneste", "lav").await;
    assert_eq!(status, StatusCode::OK);
    let cases = inbox(&app, "hanne").await;
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
