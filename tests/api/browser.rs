//! The whole two-way flow in headless Chromium with JavaScript disabled, as a
//! reporter on Tor Browser "Safest" would use it: driven through chromedriver's
//! WebDriver protocol (a few JSON calls, no extra client library).
//! `accessibility` checks every reporter page at 320 px with axe-core.

mod accessibility;
mod case_page;
mod e2e_form;
mod staff_pages;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::app::{find_case_code, Backend, TestApp, PASSWORD};
use crate::for_each_backend;

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process with one headless Chromium session.
struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Browser {
    /// A browser with JavaScript off, as Tor Browser "Safest".
    async fn start() -> Self {
        Self::start_with(false).await
    }

    /// A browser with JavaScript on or off.
    async fn start_with(javascript: bool) -> Self {
        let chromedriver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or_else(|| {
                panic!("chromedriver is not installed (apt-get install chromium chromium-driver)")
            });
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        // A page that asks before it is left (the browser-made receipt)
        // is left: tests navigate on as a reporter who confirmed would.
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "unhandledPromptBehavior": "accept",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                         "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync",
                         format!("--user-data-dir={}", profile.path().display())],
                "prefs": {"profile.managed_default_content_settings.javascript":
                          if javascript { 1 } else { 2 }}
            }
        }}});
        let resp: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .expect("create a browser session")
            .json()
            .await
            .unwrap();
        let session = resp["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {resp}"))
            .to_owned();
        Browser {
            driver,
            base,
            session,
            http,
            _profile: profile,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let request = self.http.request(method.clone(), &url);
        let request = if method == reqwest::Method::GET {
            request
        } else {
            request.json(&body)
        };
        let resp: Value = request.send().await.unwrap().json().await.unwrap();
        if resp["value"].get("error").is_some() {
            panic!("WebDriver {path}: {}", resp["value"]);
        }
        resp["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url }))
            .await;
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        v[ELEMENT_KEY].as_str().unwrap().to_owned()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{el}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{el}/click"),
            json!({}),
        )
        .await;
    }

    /// Renders the page as for print (Chrome DevTools, through chromedriver).
    async fn emulate_print(&self) {
        self.call(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            json!({"cmd": "Emulation.setEmulatedMedia", "params": {"media": "print"}}),
        )
        .await;
    }

    /// The text the page shows (`innerText`: nothing hidden); needs JavaScript.
    async fn visible_text(&self) -> String {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": "return document.body.innerText;", "args": []}),
        )
        .await
        .as_str()
        .unwrap()
        .to_owned()
    }

    /// The page's `sessionStorage` item `key`; needs JavaScript.
    async fn session_item(&self, key: &str) -> Option<String> {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": "return window.sessionStorage.getItem(arguments[0]);", "args": [key]}),
        )
        .await
        .as_str()
        .map(str::to_owned)
    }

    async fn refresh(&self) {
        self.call(reqwest::Method::POST, "/refresh", json!({}))
            .await;
    }

    async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Waits (up to ten seconds) for the page to contain `text`; returns the page.
    async fn wait_for(&self, text: &str) -> String {
        let mut page = String::new();
        for _ in 0..100 {
            page = self.source().await;
            if page.contains(text) {
                return page;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let console = self.console().await;
        panic!("the page never showed {text:?}: {page}\nconsole:\n{console}");
    }

    /// What the page wrote to its console since the last call (errors
    /// included), for the message of a failed test.
    async fn console(&self) -> String {
        let url = format!("{}/session/{}/se/log", self.base, self.session);
        let resp: Value = match self
            .http
            .post(&url)
            .json(&json!({"type": "browser"}))
            .send()
            .await
        {
            Ok(r) => r.json().await.unwrap_or(Value::Null),
            Err(_) => Value::Null,
        };
        resp["value"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| format!("{} {}", e["level"], e["message"]))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    }

    /// Waits (up to thirty seconds) for a receipt that shows a case code;
    /// returns the page and the code. (The receipt of a report encrypted in
    /// the browser comes from a `<template>` that is in the form's page from
    /// the start, so its markup alone proves nothing.)
    async fn wait_for_code(&self) -> (String, String) {
        for _ in 0..300 {
            let page = self.source().await;
            if let Some(code) = find_case_code(&page) {
                return (page, code);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let page = self.source().await;
        panic!(
            "no receipt with a code: {page}\nconsole:\n{}",
            self.console().await
        );
    }

    async fn quit(mut self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

async fn full_flow_in_a_browser_without_javascript(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let upload = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(upload.path(), b"vedlegg fra nettleseren").unwrap();
    let browser = Browser::start().await;

    // Reporter: landing page, report form, receipt.
    browser.goto(&app.url("/")).await;
    let landing = browser.source().await;
    assert!(landing.contains("lang=\"nb\""), "bokmål by default");
    assert!(!landing.contains("<script"), "the pages need no JavaScript");
    browser.goto(&app.url("/report")).await;
    browser
        .click("[name='category'][value='avvik'], select[name='category'] option[value='avvik']")
        .await;
    browser
        .click("[name='severity'][value='hoy'], select[name='severity'] option[value='hoy']")
        .await;
    browser
        .type_into(
            "textarea[name='description']",
            "Nettleserrapport uten JavaScript",
        )
        .await;
    browser
        .type_into(
            "input[type='file'][name='attachment']",
            &upload.path().display().to_string(),
        )
        .await;
    browser.click("main form button[type='submit']").await;
    let (_, code) = browser.wait_for_code().await;

    // Handler: login, inbox, case, reply.
    browser.goto(&app.url("/staff/login")).await;
    browser.type_into("input[name='username']", "hanne").await;
    browser.type_into("input[name='password']", PASSWORD).await;
    browser.click("main form button[type='submit']").await;
    browser.wait_for("/staff/cases/").await;
    browser.click("a[href^='/staff/cases/']").await;
    browser.wait_for("Nettleserrapport uten JavaScript").await;
    browser
        .type_into(
            "form[action$='/reply'] textarea[name='message']",
            "Takk, vi ser på saken.",
        )
        .await;
    browser
        .click("form[action$='/reply'] button[type='submit']")
        .await;
    browser.wait_for("Takk, vi ser på saken.").await;
    browser
        .click("form[action='/staff/logout'] button[type='submit']")
        .await;
    browser.wait_for("name=\"username\"").await;

    // Reporter again: follow up with the code, read the answer, reply.
    browser.goto(&app.url("/followup")).await;
    browser
        .type_into("input[name='code']", &code.to_lowercase())
        .await;
    browser.click("main form button[type='submit']").await;
    browser.wait_for("Takk, vi ser på saken.").await;
    browser
        .type_into(
            "form[action='/case/reply'] textarea[name='message']",
            "Jeg har mer informasjon.",
        )
        .await;
    browser
        .click("form[action='/case/reply'] button[type='submit']")
        .await;
    browser.wait_for("Jeg har mer informasjon.").await;
    browser.quit().await;
    app.teardown().await;
}

/// With JavaScript on, the service's own script solves a proof of work
/// before the report form and the code login form are sent, so they pass in
/// the proof-of-work lane even while the no-JavaScript lane is spent.
async fn proof_of_work_in_a_browser_with_javascript(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.rate_limits.submissions_per_minute = 1;
        s.rate_limits.code_logins_per_minute = 1;
        s.rate_limits.pow_base_difficulty = 12;
    })
    .await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    // Spend the no-JavaScript lanes.
    let code = app
        .report(&crate::app::api_report("varsling", "middels", &[]))
        .await;
    app.submit_report(&crate::app::api_report("varsling", "middels", &[]))
        .await
        .expect_error(reqwest::StatusCode::TOO_MANY_REQUESTS, "too_many_requests");
    app.reporter_token(&code).await;

    let browser = Browser::start_with(true).await;
    browser.goto(&app.url("/report")).await;
    browser
        .click("[name='category'][value='avvik'], select[name='category'] option[value='avvik']")
        .await;
    browser
        .type_into(
            "textarea[name='description']",
            "Nettleserrapport med JavaScript",
        )
        .await;
    browser.click("main form button[type='submit']").await;
    browser.wait_for_code().await;

    browser.goto(&app.url("/followup")).await;
    browser.type_into("input[name='code']", &code).await;
    browser.click("main form button[type='submit']").await;
    browser.wait_for("/case/reply").await;
    browser.quit().await;
    app.teardown().await;
}

/// Reloading the receipt shows it again and files nothing; after "I have
/// written down my code" a reload shows no code and files nothing.
async fn reloading_the_receipt_files_one_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let browser = Browser::start().await;
    browser.goto(&app.url("/report")).await;
    browser.click("#category-avvik").await;
    browser
        .type_into("textarea[name='description']", "Rapport som lastes på nytt")
        .await;
    browser.click("#report-form button[type='submit']").await;
    let (_, code) = browser.wait_for_code().await;
    browser.refresh().await;
    let (reloaded, _) = browser.wait_for_code().await;
    assert_eq!(find_case_code(&reloaded).as_deref(), Some(code.as_str()));
    assert_eq!(crate::forms::case_count(&app).await, 1);
    browser.click("#confirm-form button[type='submit']").await;
    browser.wait_for("id=\"receipt-gone\"").await;
    browser.refresh().await;
    let gone = browser.wait_for("id=\"receipt-gone\"").await;
    assert!(find_case_code(&gone).is_none(), "{gone}");
    assert_eq!(crate::forms::case_count(&app).await, 1);
    browser.quit().await;
    app.teardown().await;
}

/// Printed, the receipt shows the case code and the date to expect an
/// acknowledgement, and nothing else.
async fn the_printed_receipt_holds_the_code_and_the_date_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let browser = Browser::start_with(true).await;
    browser.goto(&app.url("/report")).await;
    browser.click("#category-avvik").await;
    browser
        .type_into("textarea[name='description']", "Utskrift av kvitteringen")
        .await;
    browser.click("#report-form button[type='submit']").await;
    let (_, code) = browser.wait_for_code().await;
    let on_screen = browser.visible_text().await;
    assert!(
        on_screen.contains(&code) && on_screen.lines().count() > 10,
        "{on_screen}"
    );
    browser.emulate_print().await;
    let printed = browser.visible_text().await;
    let lines: Vec<&str> = printed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), 3, "heading, code, date: {printed}");
    assert_eq!(lines[1], code);
    let date = lines[2];
    assert!(
        date.chars().filter(char::is_ascii_digit).count() == 8,
        "the acknowledgement date: {date}"
    );
    browser.quit().await;
    app.teardown().await;
}

/// A reporter whose session ends while they write finds their reply on
/// the page, enters the code, and the reply is posted.
async fn a_reply_survives_an_expired_session_in_a_browser(backend: Backend) {
    let clock =
        varsel::core::clock::ManualClock::new(time::macros::datetime!(2026-03-02 09:00 UTC));
    let app = TestApp::spawn_with_clock(backend, std::sync::Arc::new(clock.clone()), |s| {
        s.sessions.reporter_idle_minutes = 30;
    })
    .await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let code = app
        .report(&crate::app::api_report("avvik", "middels", &[]))
        .await;
    let browser = Browser::start().await;
    browser.goto(&app.url("/followup")).await;
    browser.type_into("input[name='code']", &code).await;
    browser.click("main form button[type='submit']").await;
    browser.wait_for("/case/reply").await;
    browser
        .type_into(
            "#reply-form textarea[name='message']",
            "Et langt svar skrevet i ro og mak",
        )
        .await;
    clock.advance(time::Duration::minutes(31));
    browser.click("#reply-form button[type='submit']").await;
    let page = browser.wait_for("Et langt svar skrevet i ro og mak").await;
    assert!(page.contains("name=\"code\""), "{page}");
    browser.type_into("input[name='code']", &code).await;
    browser.click("#followup-form button[type='submit']").await;
    browser.wait_for("class=\"reporter\"").await;
    let case = browser.source().await;
    assert!(case.contains("Et langt svar skrevet i ro og mak"), "{case}");
    browser.quit().await;
    app.teardown().await;
}

/// The language switch on a filled report form keeps the text, with
/// JavaScript off and on (the proof-of-work script leaves the language
/// buttons alone).
async fn switching_language_keeps_the_typed_report(backend: Backend) {
    for javascript in [false, true] {
        switch_language_on_a_filled_form(backend, javascript).await;
    }
}

async fn switch_language_on_a_filled_form(backend: Backend, javascript: bool) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let browser = Browser::start_with(javascript).await;
    browser.goto(&app.url("/report")).await;
    browser.click("#category-varsling").await;
    browser
        .type_into(
            "textarea[name='description']",
            "Tekst som overlever språkbyttet",
        )
        .await;
    browser.type_into("#place", "Kantina").await;
    // Whichever language the browser asked for, switch to another.
    let before = browser.source().await;
    let other = ["nb", "en"]
        .into_iter()
        .find(|l| !before.contains(&format!("<html lang=\"{l}\"")))
        .unwrap();
    browser
        .click(&format!("button[formaction^='/report?lang={other}']"))
        .await;
    let switched = browser.wait_for(&format!("<html lang=\"{other}\"")).await;
    assert!(
        switched.contains("Tekst som overlever språkbyttet"),
        "{switched}"
    );
    assert!(switched.contains("value=\"Kantina\""), "{switched}");
    assert_eq!(crate::forms::case_count(&app).await, 0);
    // Sent from the form in the other language: one case.
    browser.click("#report-form button[type='submit']").await;
    browser.wait_for_code().await;
    assert_eq!(crate::forms::case_count(&app).await, 1);
    browser.quit().await;
    app.teardown().await;
}

for_each_backend!(
    full_flow_in_a_browser_without_javascript,
    proof_of_work_in_a_browser_with_javascript,
    reloading_the_receipt_files_one_case,
    the_printed_receipt_holds_the_code_and_the_date_only,
    a_reply_survives_an_expired_session_in_a_browser,
    switching_language_keeps_the_typed_report
);
