//! Every staff-side page (staff, contact point, custodian, administrator,
//! auditor) at 320 and at 1,280 CSS pixels wide: no horizontal scrolling
//! (WCAG 2.1 1.4.10 Reflow), no axe-core violation of WCAG 2.1 A and AA, and
//! a focus outline of at least 3:1 contrast on every control it can reach
//! (1.4.11, 2.4.7). The pages hold real content: long words, long names,
//! an escalation register with decisions, identity requests, groups, rules.
//!
//! Which pages: every GET route under [`PREFIXES`] that
//! `routes::registered_routes()` lists. The test fails if one is neither
//! visited nor named in [`NOT_PAGES`] (a redirect or a download), so a new
//! staff page is covered from the day it is registered.

use std::collections::BTreeSet;
use std::sync::Arc;

use reqwest::cookie::CookieStore;
use serde_json::{json, Value};
use uuid::Uuid;

use super::accessibility::{axe_script, problems_at};
use super::Browser;
use crate::app::{rule, Backend, SsoApp, PASSWORD};
use crate::for_each_backend;

/// The languages checked: bokmål first (the longest compounds), English.
const LANGUAGES: [&str; 2] = ["nb", "en"];
/// The widths checked: the narrowest WCAG 1.4.10 asks for, and a laptop's.
const WIDTHS: [u64; 2] = [320, 1280];
/// The paths of the staff side.
const PREFIXES: [&str; 5] = ["/staff", "/admin", "/contact", "/custodian", "/stats"];
/// GET routes under [`PREFIXES`] that draw no page of their own.
const NOT_PAGES: [(&str, &str); 31] = [
    ("/staff", "redirects to the inbox"),
    ("/staff/login/oidc", "redirects to the identity provider"),
    (
        "/staff/login/oidc/callback",
        "redirects to the passphrase page",
    ),
    (
        "/staff/account/two-factor/setup",
        "redirects back (a form's URL)",
    ),
    ("/staff/account/two-factor/confirm", "redirects back"),
    ("/staff/account/two-factor/recovery-codes", "redirects back"),
    ("/staff/cases/{id}/attachments/{attachment}", "a download"),
    ("/staff/cases/{id}/reply", "redirects to the case"),
    ("/staff/cases/{id}/acknowledge", "redirects to the case"),
    ("/staff/cases/{id}/status", "redirects to the case"),
    ("/staff/cases/{id}/triage", "redirects to the case"),
    ("/staff/cases/{id}/escalation", "redirects to the case"),
    ("/staff/cases/{id}/close", "redirects to the case"),
    ("/staff/cases/{id}/reopen", "redirects to the case"),
    (
        "/staff/cases/{id}/feedback-extension",
        "redirects to the case",
    ),
    ("/staff/cases/{id}/measures", "redirects to the case"),
    ("/staff/cases/{id}/notes", "redirects to the case"),
    ("/staff/cases/{id}/breach-decision", "redirects to the case"),
    ("/staff/cases/{id}/legal-hold", "redirects to the case"),
    ("/staff/cases/{id}/legal-hold/lift", "redirects to the case"),
    (
        "/staff/cases/{id}/identity/requests",
        "redirects to the case",
    ),
    ("/contact/register.csv", "a CSV download"),
    ("/stats.csv", "a CSV download"),
    ("/admin/groups/members", "redirects to the groups page"),
    (
        "/admin/groups/members/remove",
        "redirects to the groups page",
    ),
    ("/admin/groups/leads", "redirects to the groups page"),
    ("/admin/groups/leads/remove", "redirects to the groups page"),
    ("/admin/rules/{id}/delete", "redirects to the rules page"),
    ("/admin/sso/link", "redirects to the single sign-on page"),
    ("/admin/sso/unlink", "redirects to the single sign-on page"),
    (
        "/custodian/requests/{id}/decision",
        "redirects to the custodian page",
    ),
];

/// A word longer than the screen is wide.
const LONG_WORD: &str = "Personellsikkerhetshendelsesrapporteringsrutinegjennomgangsdokumentasjon";

/// Whether `path` is one of the paths the route `pattern` matches.
fn pattern_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    pattern.len() == path.len()
        && pattern
            .iter()
            .zip(&path)
            .all(|(p, s)| (p.starts_with('{') && p.ends_with('}') && !s.is_empty()) || p == s)
}

/// The registered GET routes of the staff side.
fn staff_page_routes() -> Vec<String> {
    varsel::web::routes::registered_routes()
        .into_iter()
        .filter(|(method, _)| method == actix_web::http::Method::GET)
        .map(|(_, pattern)| pattern)
        .filter(|p| {
            PREFIXES.iter().any(|prefix| {
                p == prefix
                    || p.starts_with(&format!("{prefix}/"))
                    || p.starts_with(&format!("{prefix}."))
            })
        })
        .collect()
}

/// What the checks found and which routes they saw.
struct Checker {
    browser: Browser,
    /// The service's address.
    base: String,
    /// The language the pages are asked for.
    lang: &'static str,
    axe: String,
    problems: Vec<String>,
    visited: BTreeSet<String>,
    routes: Vec<String>,
}

impl Checker {
    async fn start(base: String) -> Self {
        Checker {
            browser: Browser::start_with(true).await,
            base,
            lang: LANGUAGES[0],
            axe: axe_script(),
            problems: Vec::new(),
            visited: BTreeSet::new(),
            routes: staff_page_routes(),
        }
    }

    /// Opens `path` in the checker's language.
    async fn open(&self, path: &str) {
        let url = format!("{}{path}?lang={}", self.base, self.lang);
        self.browser.goto(&url).await;
    }

    /// Checks the page the browser shows (reached at `path`).
    async fn check_here(&mut self, who: &str, path: &str, marker: &str) {
        let here = self
            .browser
            .script(
                "return [location.pathname, !!document.querySelector(arguments[0]), document.title,
                         document.documentElement.lang];",
                json!([marker]),
            )
            .await;
        let landed = here[0].as_str().unwrap_or_default().to_owned();
        let label = format!("{}, {who}, {path}", self.lang);
        assert_eq!(here[3], self.lang, "{label}: the page's language");
        assert!(
            here[1].as_bool() == Some(true),
            "{label}: the page (at {landed}, {}) lacks {marker}",
            here[2]
        );
        for route in &self.routes {
            if pattern_matches(route, &landed) {
                self.visited.insert(route.clone());
            }
        }
        for width in WIDTHS {
            self.browser.viewport(width).await;
            let found = problems_at(&self.browser, &self.axe, width, label.clone()).await;
            self.problems.extend(found);
        }
        let focus = focus_problems(&self.browser).await;
        self.problems
            .extend(focus.into_iter().map(|p| format!("{label}: {p}")));
    }

    /// Logs `username` in through the login page (a fresh session).
    async fn log_in(&self, username: &str) {
        self.log_out().await;
        self.open("/staff/login").await;
        self.browser
            .type_into("input[name='username']", username)
            .await;
        self.browser
            .type_into("input[name='password']", PASSWORD)
            .await;
        self.browser.click("main form button[type='submit']").await;
        self.browser.wait_for("action=\"/staff/logout\"").await;
    }

    /// Forgets every cookie: no session.
    async fn log_out(&self) {
        self.open("/staff/login").await;
        self.browser
            .call(reqwest::Method::DELETE, "/cookie", json!({}))
            .await;
    }
}

/// Every control in the page's header, navigation and main part that takes
/// focus: an outline at least 2 px wide with at least 3:1 contrast against
/// the background behind the element.
async fn focus_problems(browser: &Browser) -> Vec<String> {
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
             const all = document.querySelectorAll(
               'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex=\"-1\"])');
             for (const el of all) {
               if (el.disabled || el.getClientRects().length === 0) continue;
               el.focus();
               if (document.activeElement !== el) continue;
               const s = getComputedStyle(el);
               const what = el.outerHTML.slice(0, 80);
               if (s.outlineStyle === 'none' || parseFloat(s.outlineWidth) < 2) {
                 out.push(what + ': no focus outline');
               } else {
                 const r = ratio(rgb(s.outlineColor), around(el));
                 if (r < 3) out.push(what + ': focus outline ' + s.outlineColor + ' is only ' + r.toFixed(2) + ':1 against its background');
               }
               el.blur();
             }
             return out.slice(0, 8);",
            json!([]),
        )
        .await;
    found
        .as_array()
        .expect("a list")
        .iter()
        .map(|p| p.as_str().unwrap_or_default().to_owned())
        .collect()
}

/// An escalation decision made yesterday, with a long reference.
fn decision(authority: &str) -> Value {
    let now = time::OffsetDateTime::from_unix_timestamp(varsel::core::clock::system_now())
        .expect("a time");
    let yesterday = now.date() - time::Duration::days(1);
    json!({
        "authority": authority,
        "decision": "escalate",
        "legal_basis": "straffeloven_196",
        "rationale": format!("Varslet {authority}. {LONG_WORD}"),
        "aware_at": yesterday.to_string(),
        "decided_at": format!("{yesterday}T09:30"),
        "authority_reference": format!("2026-{}", &LONG_WORD[..40]),
    })
}

/// The service with single sign-on, five roles, and content on every page:
/// two security cases with replies, decisions and identity requests, a
/// group, a rule, a linked account. The first case's id.
async fn arrange(app: &SsoApp) -> Uuid {
    let long_name = format!("Hanne {LONG_WORD} Handler");
    app.add_user_in("hanne", &long_name, &["handler"], &["sikkerhet"])
        .await;
    app.add_user("kari", &format!("Kari {LONG_WORD}"), &["contact"])
        .await;
    app.add_user("knut", "Knut Kontaktpunkt", &["contact"])
        .await;
    app.add_user("ada", "Ada Administrator", &["admin"]).await;
    app.add_user("aud", "Aud Revisor", &["auditor"]).await;
    app.add_user("kim", &format!("Kim {LONG_WORD}"), &["custodian"])
        .await;
    // Accounts linked to single sign-on log in there only.
    app.add_user("sven", "Sven Innlogget", &["handler"]).await;
    app.add_user("lars", &format!("Lars {LONG_WORD}"), &["handler"])
        .await;
    app.link("sven", "sven@idp").await;
    app.link("lars", &format!("{LONG_WORD}@idp.example.org"))
        .await;
    app.add_user("tove", "Tove To-faktor", &["handler"]).await;

    let mut cases = Vec::new();
    for severity in ["hoy", "kritisk"] {
        let code = app
            .report(&json!({
                "category": "sikkerhet",
                "subtype": "sabotasje",
                "severity": severity,
                "description": format!("{LONG_WORD} i serverrommet. {LONG_WORD}."),
                "when": LONG_WORD,
                "place": LONG_WORD,
                "identity": { "name": LONG_WORD, "contact": LONG_WORD, "role": LONG_WORD },
            }))
            .await;
        let reporter = app.reporter_token(&code).await;
        app.api_reporter_reply(&reporter, &format!("Mer om {LONG_WORD}"))
            .await;
        cases.push(code);
    }
    let hanne = app.staff_token("hanne").await;
    let kari = app.staff_token("kari").await;
    let knut = app.staff_token("knut").await;
    let kim = app.staff_token("kim").await;
    let ids = app.api_case_ids(&hanne).await;
    assert_eq!(ids.len(), 2, "both cases reach the handler");
    for id in &ids {
        app.api_acknowledge(&hanne, id).await;
        app.api_reply(&hanne, id, &format!("Takk. {LONG_WORD}"))
            .await;
        app.api_request_identity(&hanne, id, &format!("Trenger navnet: {LONG_WORD}"))
            .await
            .expect(reqwest::StatusCode::CREATED);
        for authority in ["nsm", "pst"] {
            let made = app
                .api_decide(&kari, id, &decision(authority))
                .await
                .expect(reqwest::StatusCode::CREATED);
            let made = made["id"].as_str().unwrap_or_default().to_owned();
            app.api_confirm(&knut, id, &made).await;
        }
    }
    // One request approved, one left pending.
    let requests = app
        .api_identity_requests(&kim)
        .await
        .expect(reqwest::StatusCode::OK);
    let first = requests[0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an identity request: {requests}"))
        .to_owned();
    app.api_decide_identity(&kim, &first, "approve", &format!("Godkjent. {LONG_WORD}"))
        .await
        .expect(reqwest::StatusCode::OK);

    // A group with a long description, a rule.
    let admin = app.staff_login("ada").await;
    let page = app
        .post_form(
            &admin,
            "/admin/groups",
            &[("name", "personell"), ("description", LONG_WORD)],
        )
        .await;
    assert!(page.status.is_redirection(), "{}", page.text);
    ids[0]
}

/// Visits every staff page as the role that sees it, in `c.lang`.
async fn visit_every_page(c: &mut Checker, app: &SsoApp, case: Uuid) {
    // Nobody logged in: the login page (with the single sign-on button).
    c.log_out().await;
    c.open("/staff/login").await;
    c.check_here("anonymous", "/staff/login", "input[name=password]")
        .await;

    // Back from the identity provider: the passphrase page. The provider
    // is walked with a plain client; its cookies go to the browser.
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_provider(jar.clone())
        .build()
        .expect("a client");
    let landed = app.sso_login(&client, "sven@idp").await;
    assert!(
        landed.url.ends_with("/staff/login/passphrase"),
        "{}",
        landed.url
    );
    let passphrase = app.url("/staff/login/passphrase");
    let cookies = jar
        .cookies(&passphrase.parse().expect("a URL"))
        .expect("cookies");
    for cookie in cookies.to_str().expect("text").split("; ") {
        let (name, value) = cookie.split_once('=').expect("name=value");
        c.browser
            .call(
                reqwest::Method::POST,
                "/cookie",
                json!({"cookie": {"name": name, "value": value, "path": "/"}}),
            )
            .await;
    }
    c.open("/staff/login/passphrase").await;
    c.check_here(
        "single sign-on",
        "/staff/login/passphrase",
        "input[name=passphrase]",
    )
    .await;

    let case = format!("/staff/cases/{case}");
    let export = format!("{case}/export");
    let visits: [(&str, &str, Vec<&str>); 5] = [
        (
            "handler",
            "hanne",
            vec![
                "/staff/inbox",
                &case,
                &export,
                "/staff/account",
                "/staff/account/sessions",
                "/staff/account/two-factor",
            ],
        ),
        (
            "contact point",
            "kari",
            vec!["/contact/register", &case, "/staff/inbox"],
        ),
        ("custodian", "kim", vec!["/custodian"]),
        ("auditor", "aud", vec!["/stats"]),
        (
            "administrator",
            "ada",
            vec![
                "/admin/groups",
                "/admin/rules",
                "/admin/notifications",
                "/admin/accounts",
                "/admin/accounts/hanne",
                "/admin/accounts/hanne/deactivate",
                "/admin/recovery-key",
                "/admin/sso",
                "/admin/security",
            ],
        ),
    ];
    for (who, username, paths) in visits {
        c.log_in(username).await;
        for path in paths {
            c.open(path).await;
            c.check_here(who, path, "nav.staff-bar").await;
        }
    }
}

async fn every_staff_page_reflows_and_passes_axe(backend: Backend) {
    let app = SsoApp::spawn_with(backend, |s| {
        s.routing.rules = vec![rule("sikkerhet", "sikkerhet")];
        s.rate_limits.submissions_per_minute = 10_000;
        s.rate_limits.code_logins_per_minute = 10_000;
        s.rate_limits.staff_logins_per_minute = 10_000;
        s.rate_limits.staff_logins_per_user_per_minute = 10_000;
        s.rate_limits.staff_logins_per_device_per_minute = 10_000;
    })
    .await;
    let case = arrange(&app).await;
    let mut c = Checker::start(app.url("")).await;
    for lang in LANGUAGES {
        c.lang = lang;
        visit_every_page(&mut c, &app, case).await;
    }

    // Two factors required of everyone: a handler's login leads to the code
    // page, which sets up the second factor.
    let admin = app.staff_login("ada").await;
    app.require_two_factor(&admin, "all", &[])
        .await
        .assert_see_other("/admin/security");
    for lang in LANGUAGES {
        c.lang = lang;
        c.log_out().await;
        c.open("/staff/login").await;
        c.browser.type_into("input[name='username']", "tove").await;
        c.browser
            .type_into("input[name='password']", PASSWORD)
            .await;
        c.browser.click("main form button[type='submit']").await;
        c.browser.wait_for("name=\"code\"").await;
        c.check_here("two-factor login", "/staff/login/code", "input[name=code]")
            .await;
    }

    // Every staff page was seen, and the list of exceptions is current.
    let missing: Vec<&String> = c
        .routes
        .iter()
        .filter(|r| !c.visited.contains(*r) && !NOT_PAGES.iter().any(|(p, _)| p == r))
        .collect();
    assert!(
        missing.is_empty(),
        "registered staff pages this test does not visit: {missing:?}"
    );
    for (path, why) in NOT_PAGES {
        assert!(
            c.routes.iter().any(|r| r == path),
            "{path} ({why}) is no longer a registered GET route"
        );
    }
    c.browser.quit().await;
    assert!(
        c.problems.is_empty(),
        "{} problems:\n{}",
        c.problems.len(),
        c.problems.join("\n")
    );
    app.app.teardown().await;
}

for_each_backend!(every_staff_page_reflows_and_passes_axe);
