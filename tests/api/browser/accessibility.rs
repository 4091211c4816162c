//! Every reporter page at 320 CSS pixels wide, with JavaScript on and off:
//! no horizontal scrolling (WCAG 2.1 1.4.10 Reflow) and no axe-core
//! violation of WCAG 2.1 A and AA (tags `wcag2a`, `wcag2aa`, `wcag21a`,
//! `wcag21aa`), in bokmål, nynorsk and English.
//!
//! axe-core is pinned in `tests/browser/package.json`; install it with
//! `npm ci --prefix tests/browser` (`.ci/run` and `scripts/test.sh` do).
//! Without it the test fails: it is never skipped.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use super::Browser;
use crate::app::{Backend, TestApp};
use crate::for_each_backend;

/// The narrowest width WCAG 1.4.10 asks content to reflow to.
pub(super) const WIDTH: u64 = 320;
/// The axe-core rule sets: WCAG 2.0 and 2.1, levels A and AA.
const TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
/// A word longer than the screen is wide, as in a real report.
pub(super) const LONG_WORD: &str =
    "Personellsikkerhetshendelsesrapporteringsrutinegjennomgangsdokumentasjon";

/// With the page's JavaScript off the browser runs no timers, and axe waits
/// on them between rules: for the run, a timer is a microtask, which the
/// DevTools evaluation still runs.
const NO_TIMERS: &str = "window.setTimeout = (f, _ms, ...args) => { Promise.resolve().then(() => f(...args)); return 0; };
   window.clearTimeout = () => {};
   window.requestAnimationFrame = f => { Promise.resolve().then(() => f(performance.now())); return 0; };
   window.requestIdleCallback = f => { Promise.resolve().then(() => f({ didTimeout: false, timeRemaining: () => 50 })); return 0; };";

/// The script that loads axe-core into a page, for [`problems_at`].
pub(super) fn axe_script() -> String {
    format!("{}\n;return typeof axe;", axe_source())
}

/// axe-core's browser build, from `tests/browser/node_modules`.
pub(super) fn axe_source() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is not installed ({}: {e}). Run `npm ci --prefix tests/browser` first.",
            path.display()
        )
    })
}

impl Browser {
    /// A Chrome DevTools command, through chromedriver.
    async fn devtools(&self, cmd: &str, params: Value) -> Value {
        self.call(
            Method::POST,
            "/goog/cdp/execute",
            json!({ "cmd": cmd, "params": params }),
        )
        .await
    }

    /// Runs `body` (a function body; `arguments` holds `args`) in the page.
    pub(super) async fn script(&self, body: &str, args: Value) -> Value {
        self.call(
            Method::POST,
            "/execute/sync",
            json!({ "script": body, "args": args }),
        )
        .await
    }

    /// Evaluates `expression`, waits for the promise it gives and returns
    /// its value. Through DevTools, so that it also runs where the page's own
    /// scripts are off.
    async fn evaluate_promise(&self, expression: &str) -> Value {
        let url = format!("{}/session/{}/goog/cdp/execute", self.base, self.session);
        let params =
            json!({ "expression": expression, "awaitPromise": true, "returnByValue": true });
        let answer: Value = self
            .http
            .post(url)
            .timeout(Duration::from_secs(180))
            .json(&json!({ "cmd": "Runtime.evaluate", "params": params }))
            .send()
            .await
            .expect("the page script finishes within three minutes")
            .json()
            .await
            .expect("a WebDriver answer");
        let answer = &answer["value"];
        if let Some(thrown) = answer.get("exceptionDetails") {
            panic!("the page script failed: {thrown}");
        }
        answer["result"]["value"].clone()
    }

    /// A viewport `WIDTH` CSS pixels wide (a desktop window cannot be made
    /// that narrow, so the page's metrics are overridden).
    pub(super) async fn narrow(&self) {
        self.viewport(WIDTH).await;
    }

    /// A viewport `width` CSS pixels wide.
    pub(super) async fn viewport(&self, width: u64) {
        self.devtools(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": 640, "deviceScaleFactor": 1, "mobile": false }),
        )
        .await;
    }
}

/// Everything wrong with the page the browser shows, one line each.
pub(super) async fn problems_of(browser: &Browser, axe: &str, page: String) -> Vec<String> {
    problems_at(browser, axe, WIDTH, page).await
}

/// Everything wrong with the page the browser shows in a viewport `width`
/// CSS pixels wide (set by [`Browser::viewport`]), one line each: sideways
/// scrolling and axe-core's violations. `axe` is [`axe_script`].
pub(super) async fn problems_at(
    browser: &Browser,
    axe: &str,
    width: u64,
    page: String,
) -> Vec<String> {
    let mut problems = Vec::new();
    let layout = browser
        .script(
            "const d = document.documentElement;
             const wide = [];
             for (const el of document.body.querySelectorAll('*')) {
               const r = el.getBoundingClientRect();
               const spills = el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0
                 && getComputedStyle(el).overflowX === 'visible';
               if ((r.width > 0 && r.right > d.clientWidth + 0.5) || spills) {
                 wide.push(el.outerHTML.slice(0, 80) + ' ends at ' + Math.round(r.right)
                   + 'px, content ' + el.scrollWidth + 'px wide');
               }
             }
             return { innerWidth: window.innerWidth, scrollWidth: d.scrollWidth,
                      clientWidth: d.clientWidth, lang: d.lang, wide: wide.slice(0, 8) };",
            json!([]),
        )
        .await;
    assert_eq!(
        layout["innerWidth"].as_u64(),
        Some(width),
        "{page}: the viewport is {width} px wide"
    );
    let (scroll, client) = (
        layout["scrollWidth"].as_u64().unwrap_or(u64::MAX),
        layout["clientWidth"].as_u64().unwrap_or(0),
    );
    if scroll > client {
        problems.push(format!(
            "{page}: scrolls sideways at {width} px (scrollWidth {scroll} > clientWidth {client}); too wide: {}",
            layout["wide"]
        ));
    }
    browser.script(axe, json!([])).await;
    let violations = browser
        .evaluate_promise(&format!(
            "{NO_TIMERS} axe.run(document, {{ runOnly: {{ type: 'tag', values: {tags} }}, resultTypes: ['violations'] }})
               .then(r => r.violations.map(v => ({{ id: v.id, impact: v.impact, help: v.help,
                 nodes: v.nodes.slice(0, 5).map(n => ({{ target: n.target, html: n.html.slice(0, 200), why: n.failureSummary }})) }})))",
            tags = json!(TAGS)
        ))
        .await;
    for v in violations.as_array().expect("axe answers with a list") {
        problems.push(format!(
            "{page}: axe {} ({}): {} — {}",
            v["id"], v["impact"], v["help"], v["nodes"]
        ));
    }
    problems
}

/// The focus indicator of each of `selectors` on the page (WCAG 1.4.11): an
/// outline at least 2 px wide with at least 3:1 contrast against the
/// background around the element, where the outline is drawn.
async fn focus_problems(browser: &Browser, page: &str, selectors: &[&str]) -> Vec<String> {
    let found = browser
        .script(
            "const rgb = c => c.match(/[\\d.]+/g).map(Number);
             const lum = ([r, g, b]) => {
               const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
               return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
             };
             const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
             const around = el => {
               for (let e = el.parentElement; e; e = e.parentElement) {
                 const c = rgb(getComputedStyle(e).backgroundColor);
                 if (c.length < 4 || c[3] > 0) return c;
               }
               return [255, 255, 255];
             };
             const out = [];
             for (const selector of arguments[0]) {
               const el = document.querySelector(selector);
               if (!el) { out.push(selector + ': not on the page'); continue; }
               el.focus();
               if (document.activeElement !== el) { out.push(selector + ': cannot take focus'); continue; }
               const s = getComputedStyle(el);
               if (s.outlineStyle === 'none' || parseFloat(s.outlineWidth) < 2) {
                 out.push(selector + ': no focus outline'); continue;
               }
               const r = ratio(rgb(s.outlineColor), around(el));
               if (r < 3) out.push(selector + ': focus outline ' + s.outlineColor + ' is only ' + r.toFixed(2) + ':1 against its background');
               el.blur();
             }
             return out;",
            json!([selectors]),
        )
        .await;
    found
        .as_array()
        .expect("a list")
        .iter()
        .map(|p| format!("{page}: {}", p.as_str().unwrap_or_default()))
        .collect()
}

/// Visits every reporter page in `lang` and returns what is wrong on each.
async fn check_reporter_pages(app: &TestApp, javascript: bool, lang: &str) -> Vec<String> {
    let axe = format!("{}\n;return typeof axe;", axe_source());
    let browser = Browser::start_with(javascript).await;
    browser.narrow().await;
    let mode = if javascript {
        "JavaScript on"
    } else {
        "JavaScript off"
    };
    let check = |page: String| problems_of(&browser, &axe, page);

    // The landing page, in the language the link picks (a cookie keeps it).
    browser.goto(&app.url(&format!("/?lang={lang}"))).await;
    let landing = browser.source().await;
    assert!(
        landing.contains(&format!("<html lang=\"{lang}\"")),
        "{mode}: the landing page says it is in {lang}"
    );
    let mut problems = check(format!("{mode}, {lang}, landing page")).await;
    problems.extend(
        focus_problems(
            &browser,
            &format!("{mode}, {lang}, landing page"),
            &[
                "header .brand a",
                "nav.languages a[href]",
                "main a.button",
                "main a[rel=noreferrer]",
            ],
        )
        .await,
    );

    // The report form, then the same form refused: a description of only
    // spaces (the browser's `required` lets it through) and a too long time.
    browser.goto(&app.url("/report")).await;
    problems.extend(check(format!("{mode}, {lang}, report form")).await);
    problems.extend(
        focus_problems(
            &browser,
            &format!("{mode}, {lang}, report form"),
            &[
                "#category-avvik",
                "#subtype",
                "#description",
                "#when",
                "#attachment",
                "#report-form button[type=submit]",
            ],
        )
        .await,
    );
    browser.click("#category-sikkerhet").await;
    browser.type_into("#description", "   ").await;
    browser.type_into("#when", &"lenge siden ".repeat(30)).await;
    browser.click("#report-form button[type='submit']").await;
    browser.wait_for("aria-invalid=\"true\"").await;
    problems.extend(check(format!("{mode}, {lang}, report form with errors")).await);

    // A report with a long word; the receipt.
    browser.goto(&app.url("/report")).await;
    browser.click("#category-sikkerhet").await;
    browser
        .type_into(
            "#description",
            &format!("{LONG_WORD} i avdelingen {LONG_WORD}."),
        )
        .await;
    browser.type_into("#place", LONG_WORD).await;
    browser.click("#report-form button[type='submit']").await;
    let (_, code) = browser.wait_for_code().await;
    problems.extend(check(format!("{mode}, {lang}, receipt")).await);
    if javascript {
        // Encrypted in the browser, whose receipt is its own: "I have
        // written down my code" wipes it and goes to the start page.
        browser.click("[data-action='done']").await;
        browser.wait_for("href=\"/report\"").await;
    } else {
        // "I have written down my code": the receipt no longer shows it.
        browser.click("#confirm-form button[type='submit']").await;
        browser.wait_for("id=\"receipt-gone\"").await;
        problems.extend(check(format!("{mode}, {lang}, receipt after confirmation")).await);
    }

    // The code login, refused once, then the case page.
    browser.goto(&app.url("/followup")).await;
    problems.extend(check(format!("{mode}, {lang}, follow-up (code login)")).await);
    browser.type_into("input[name='code']", "ABCD-1234").await;
    browser.click("main form button[type='submit']").await;
    browser.wait_for("aria-invalid=\"true\"").await;
    problems.extend(check(format!("{mode}, {lang}, follow-up with a wrong code")).await);
    browser.goto(&app.url("/followup")).await;
    browser.type_into("input[name='code']", &code).await;
    browser.click("main form button[type='submit']").await;
    browser.wait_for("/case/reply").await;
    // With JavaScript the code stays in the browser, which decrypts the
    // page: checked once the report shows.
    browser.wait_for(" i avdelingen ").await;
    if javascript {
        assert!(browser.source().await.contains("id=\"sealed-case\""));
    }
    problems.extend(check(format!("{mode}, {lang}, case page")).await);
    // A retaliation report refused (only spaces): the case page with the
    // error tied to its field.
    browser.type_into("#retaliation", "   ").await;
    browser
        .click("#protection form button[type='submit']")
        .await;
    browser.wait_for("id=\"retaliation-error\"").await;
    problems.extend(
        check(format!(
            "{mode}, {lang}, case page with a refused retaliation report"
        ))
        .await,
    );
    // Giving one's identity to the custodians, later.
    browser.goto(&app.url("/case/identity")).await;
    browser.wait_for("name=\"identity_name\"").await;
    problems.extend(check(format!("{mode}, {lang}, identity page")).await);

    // An error page.
    browser.goto(&app.url("/no/such/page")).await;
    problems.extend(check(format!("{mode}, {lang}, error page (not found)")).await);

    browser.quit().await;
    problems
}

async fn reporter_pages_reflow_at_320_px_and_pass_axe(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.rate_limits.submissions_per_minute = 1_000;
        s.rate_limits.code_logins_per_minute = 1_000;
        s.rate_limits.pow_base_difficulty = 4;
    })
    .await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    app.add_user("kari", "Kari Kontaktpunkt", &["contact"])
        .await;
    // With a custodian, the report form and the case offer identity fields.
    app.add_user("kim", "Kim Forvalter", &["custodian"]).await;
    axe_source();

    let mut problems = Vec::new();
    for (javascript, lang) in [(false, "nb"), (true, "nb"), (false, "nn"), (true, "en")] {
        problems.extend(check_reporter_pages(&app, javascript, lang).await);
    }
    // The landing page in the languages the passes above did not cover.
    for (javascript, lang) in [(false, "en"), (true, "nn")] {
        let browser = Browser::start_with(javascript).await;
        browser.narrow().await;
        browser.goto(&app.url(&format!("/?lang={lang}"))).await;
        assert!(browser
            .source()
            .await
            .contains(&format!("<html lang=\"{lang}\"")));
        let axe = format!("{}\n;return typeof axe;", axe_source());
        problems.extend(
            problems_of(
                &browser,
                &axe,
                format!("JavaScript {javascript}, {lang}, landing page"),
            )
            .await,
        );
        browser.quit().await;
    }
    // The checks do see problems: a picture without a text alternative and a
    // box wider than the screen, added to a page that passed.
    let browser = Browser::start().await;
    browser.narrow().await;
    browser.goto(&app.url("/")).await;
    browser
        .script(
            "const img = document.createElement('img'); img.src = '/static/varsel.css';
             const wide = document.createElement('div'); wide.style.width = '400px'; wide.style.height = '1em';
             document.querySelector('main').append(img, wide);",
            json!([]),
        )
        .await;
    let axe = format!("{}\n;return typeof axe;", axe_source());
    let seen = problems_of(&browser, &axe, "a broken page".to_owned()).await;
    assert!(
        seen.iter().any(|p| p.contains("scrolls sideways")),
        "{seen:?}"
    );
    assert!(seen.iter().any(|p| p.contains("\"image-alt\"")), "{seen:?}");
    browser.quit().await;

    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    app.teardown().await;
}

for_each_backend!(reporter_pages_reflow_at_320_px_and_pass_axe);
