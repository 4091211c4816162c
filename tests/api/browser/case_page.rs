//! The staff case page at 320 CSS pixels (issue 12, the handler's
//! workspace): no horizontal scrolling (WCAG 2.1 1.4.10) and no axe-core
//! violation of WCAG 2.1 A and AA, with every action section opened, for a
//! contact point (who sees every form), in bokmål and English, as drawn and
//! with a refused form explained.

use super::accessibility::{axe_source, problems_of, LONG_WORD, WIDTH};
use super::Browser;
use crate::app::{Backend, SeededCase, TestApp, PASSWORD};
use crate::for_each_backend;

for_each_backend!(the_case_page_reflows_at_320_px_and_passes_axe);

/// Opens every `<details>` of the page, so that the check covers them.
async fn open_all(browser: &Browser) {
    browser
        .script(
            "document.querySelectorAll('details').forEach(d => { d.open = true; }); return 0;",
            serde_json::json!([]),
        )
        .await;
}

async fn the_case_page_reflows_at_320_px_and_passes_axe(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let kari = app
        .add_user("kari", "Kari Kontaktpunkt", &["contact"])
        .await;
    let description = format!("Det gjelder {LONG_WORD} i avdelingen.");
    let (case, recipient) = app
        .seed_case(SeededCase::new("avvik", "hoy").held_by(&[kari]).report(
            description,
            "i mars",
            LONG_WORD,
        ))
        .await;
    app.seed_reporter_message(case, &recipient, &format!("Mer: {LONG_WORD}"))
        .await;
    let axe = format!("{}\n;return typeof axe;", axe_source());
    let browser = Browser::start().await;
    browser.narrow().await;
    browser.goto(&app.url("/staff/login")).await;
    browser.type_into("input[name='username']", "kari").await;
    browser.type_into("input[name='password']", PASSWORD).await;
    browser.click("main form button[type='submit']").await;
    browser.wait_for("/staff/cases/").await;

    let mut problems = Vec::new();
    let path = format!("/staff/cases/{case}");
    for lang in ["nb", "en"] {
        browser.goto(&app.url(&format!("{path}?lang={lang}"))).await;
        browser.wait_for("id=\"actions-heading\"").await;
        open_all(&browser).await;
        problems.extend(problems_of(&browser, &axe, format!("{lang}, case page")).await);
    }
    // An internal note through the form, confirmed; then the page again.
    browser
        .type_into("#note-body", &format!("Notat: {LONG_WORD}"))
        .await;
    browser.click("#notes form button[type='submit']").await;
    browser.wait_for("role=\"status\"").await;
    open_all(&browser).await;
    problems.extend(problems_of(&browser, &axe, "en, case page after a note".to_owned()).await);
    // A refused extension: the error next to its field.
    open_all(&browser).await;
    browser.type_into("#extension-reason-input", "   ").await;
    browser
        .click("#feedback-extension form button[type='submit']")
        .await;
    browser.wait_for("id=\"extension-reason-error\"").await;
    open_all(&browser).await;
    problems.extend(
        problems_of(
            &browser,
            &axe,
            "en, case page with a refused extension".to_owned(),
        )
        .await,
    );
    browser.quit().await;
    assert!(
        problems.is_empty(),
        "{} problems at {WIDTH} px:\n{}",
        problems.len(),
        problems.join("\n")
    );
    app.teardown().await;
}
