//! The interface languages: bokmål, nynorsk and English, chosen by link (a
//! cookie keeps the choice), by `Accept-Language` on staff pages and the API,
//! and by the server's default on the reporter's pages.

use reqwest::StatusCode;

use crate::app::{Backend, ReportForm, TestApp};
use crate::for_each_backend;

/// The language switch on `page`: `(code, name, is_the_current_language)`.
fn language_switch(page: &str) -> Vec<(String, String, bool)> {
    let start = page
        .find("<nav class=\"languages\"")
        .expect("a language switch");
    let nav = &page[start..start + page[start..].find("</nav>").expect("nav ends")];
    nav.split("<li>")
        .skip(1)
        .map(|item| {
            let code = item
                .split("lang=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .expect("a lang attribute")
                .to_owned();
            let name = item
                .split('>')
                .nth(1)
                .and_then(|rest| rest.split('<').next())
                .expect("a name")
                .to_owned();
            let current = item.contains("aria-current=\"true\"");
            if !current {
                assert!(
                    item.contains(&format!("href=\"?lang={code}\"")),
                    "a link to {code}: {item}"
                );
            }
            (code, name, current)
        })
        .collect()
}

async fn the_reporter_sees_the_configured_language_not_the_browsers(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.server.default_language = "nn".into()).await;
    // Tor Browser asks for English, whatever its user reads.
    let tor = app.with_language("en-US,en;q=0.5");
    let reporter = tor.client();

    let landing = tor.page(&reporter, "/").await;
    assert!(landing.contains("<html lang=\"nn\">"), "{landing}");
    assert!(landing.contains("Kva kan du seie frå om?"));
    assert!(landing.contains("arbeidsmiljølova § 2 A-4"));
    assert_eq!(
        language_switch(&landing),
        [
            ("nb".to_owned(), "Bokmål".to_owned(), false),
            ("nn".to_owned(), "Nynorsk".to_owned(), true),
            ("en".to_owned(), "English".to_owned(), false),
        ]
    );
    let form = tor.page(&reporter, "/report").await;
    assert!(form.contains("<html lang=\"nn\">"));
    assert!(form.contains("Personelltryggleikshending"));

    // A language the reporter picks wins, for the rest of the visit.
    let english = tor.page(&reporter, "/?lang=en").await;
    assert!(english.contains("<html lang=\"en\">"));
    assert!(english.contains("What can you report?"));
    assert!(tor
        .page(&reporter, "/followup")
        .await
        .contains("<html lang=\"en\">"));
    let bokmål = tor.page(&reporter, "/report?lang=nb").await;
    assert!(bokmål.contains("<html lang=\"nb\">"));
    assert!(bokmål.contains("Personellsikkerhetshendelse"));

    // An unknown address is a reporter's page too.
    let missing = tor.get(&tor.client(), "/no/such/page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.contains("<html lang=\"nn\">"), "{}", missing.text);
    assert!(missing.contains("Sida finst ikkje"));

    // Staff pages and the API follow the browser.
    let login = tor.page(&tor.client(), "/staff/login").await;
    assert!(login.contains("<html lang=\"en\">"), "{login}");
    let refused = tor
        .submit_report(&crate::app::api_report("nonsense", "middels", &[]))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "unknown_category");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .starts_with("Unknown category"),
        "{refused}"
    );
    app.teardown().await;
}

async fn nynorsk_is_chosen_by_link_or_by_the_staff_browser(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;

    // A reporter whose browser asks for nynorsk still gets the default…
    let nynorsk_browser = app.with_language("nn-NO,nn;q=0.9,en;q=0.5");
    let reporter = nynorsk_browser.client();
    let landing = nynorsk_browser.page(&reporter, "/").await;
    assert!(landing.contains("<html lang=\"nb\">"));
    assert!(landing.contains("Hva kan du si fra om?"));
    // …until they follow the nynorsk link; then every page is in nynorsk,
    // the refused form included.
    let landing = nynorsk_browser.page(&reporter, "/?lang=nn").await;
    assert!(landing.contains("<html lang=\"nn\">"));
    assert_eq!(
        language_switch(&landing)
            .iter()
            .filter(|(_, _, current)| *current)
            .map(|(code, _, _)| code.as_str())
            .collect::<Vec<_>>(),
        ["nn"]
    );
    let refused = nynorsk_browser
        .submit_report_form(&reporter, &ReportForm::new("   "))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    assert!(refused.contains("<html lang=\"nn\">"));
    assert!(
        refused.contains("Skildre kva som har skjedd."),
        "{}",
        refused.text
    );
    assert!(refused.contains("Det er noko som må rettast"));

    // Staff pages and the API follow Accept-Language, nynorsk included.
    let login = nynorsk_browser
        .page(&nynorsk_browser.client(), "/staff/login")
        .await;
    assert!(login.contains("<html lang=\"nn\">"));
    assert!(login.contains("Logg inn som saksbehandlar"));
    let refused = nynorsk_browser
        .submit_report(&crate::app::api_report("nonsense", "middels", &[]))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "unknown_category");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .starts_with("Ukjend kategori"),
        "{refused}"
    );
    let catalog = app.api_get("/categories?lang=nn", None).await.body;
    assert!(
        catalog.to_string().contains("Personelltryggleikshending"),
        "{catalog}"
    );
    app.teardown().await;
}

for_each_backend!(
    the_reporter_sees_the_configured_language_not_the_browsers,
    nynorsk_is_chosen_by_link_or_by_the_staff_browser
);
