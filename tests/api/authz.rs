//! Authorisation matrix: every registered route × every kind of caller, each
//! cell expected to be allowed or denied. The table is checked against the
//! routes the service registers (`varsel::web::routes::registered_routes`):
//! a registered route with no row, or a row no route answers, fails the test.
//!
//! Principals: the reporter (their case's session), a handler in the group the
//! case is routed to, a handler outside it, a handler of that group the
//! reporter excluded, a contact point, an administrator, an auditor, and an
//! anonymous visitor. Pages are called with each principal's logged-in cookie
//! client, `/api/v1` with each principal's bearer token (none when anonymous).
//!
//! Convention for reading a response:
//! - **Deny**: 401, 403 or 404, or a 303 to a login page (`/staff/login`,
//!   `/followup`).
//! - **Allow**: 2xx, a 303 anywhere else, or 400 / 409 / 413 / 422: state
//!   changing requests (reply, status, triage, close, reopen, escalation,
//!   uploads, submissions, logins) are sent with an INVALID body, so a caller
//!   allowed through authorisation gets a validation error and nothing
//!   changes, while a denied caller must be refused (401/403/404) before the
//!   body is validated. Forms carry the valid CSRF token of the principal's
//!   own session, so a CSRF refusal never masks the outcome.
//! - Anything else (405, 415, 429, 5xx) matches neither and is a mismatch.
//!
//! The few requests that do change something are harmless for the matrix:
//! acknowledging (idempotent) and the logouts, which run last on fresh
//! sessions.
//!
//! Beside the matrix: credentials do not cross channels (a page cookie is no
//! API credential, an API token is no page cookie), and a contact point the
//! case is not routed to is an outsider like any other.

use std::fmt::Write as _;

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;
use varsel::core::settings::Settings;

use crate::app::{api_report, rule, Backend, Decision, PageSession, TestApp, PASSWORD};
use crate::for_each_backend;

for_each_backend!(
    every_route_allows_exactly_the_right_principals,
    credentials_do_not_cross_channels_and_unrouted_contact_points_are_outsiders,
);

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Reporter,
    HandlerIn,
    HandlerOut,
    HandlerExcluded,
    Contact,
    Admin,
    Auditor,
    Custodian,
    Anonymous,
}

use Who::*;

const EVERYONE: [Who; 9] = [
    Reporter,
    HandlerIn,
    HandlerOut,
    HandlerExcluded,
    Contact,
    Admin,
    Auditor,
    Custodian,
    Anonymous,
];

impl Who {
    fn username(self) -> Option<&'static str> {
        match self {
            HandlerIn => Some("h_in"),
            HandlerOut => Some("h_out"),
            HandlerExcluded => Some("h_excl"),
            Contact => Some("contact"),
            Admin => Some("admin"),
            Auditor => Some("auditor"),
            Custodian => Some("keeper"),
            Reporter | Anonymous => None,
        }
    }
}

/// Allowed through authorisation, or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Allow,
    Deny,
}

use Access::*;

/// How the outcome of one request reads; `None`: neither.
fn classify(status: StatusCode, location: Option<&str>) -> Option<Access> {
    match status.as_u16() {
        303 => match location {
            Some(l) if l.starts_with("/staff/login") || l.starts_with("/followup") => Some(Deny),
            _ => Some(Allow),
        },
        200..=299 | 400 | 409 | 413 | 422 => Some(Allow),
        401 | 403 | 404 => Some(Deny),
        _ => None,
    }
}

/// One principal's ways in.
struct Caller {
    who: Who,
    /// Cookie client, logged in (anonymous: has only a CSRF cookie), and
    /// the CSRF token of its session.
    page: PageSession,
    /// API bearer token.
    token: Option<String>,
}

/// What a request carries.
#[derive(Clone)]
enum Body {
    None,
    /// URL-encoded form; the caller's CSRF token is added first.
    Form(Vec<(&'static str, &'static str)>),
    /// Multipart form: `csrf` (the caller's) first, then these text parts.
    Multipart(Vec<(&'static str, &'static str)>),
    /// Multipart without CSRF (API uploads).
    ApiMultipart(Vec<(&'static str, &'static str)>),
    Json(Value),
}

/// One row of the matrix.
struct Route {
    method: Method,
    path: String,
    body: Body,
    allowed: Vec<Who>,
}

impl Route {
    fn api(&self) -> bool {
        self.path.starts_with("/api/")
    }

    fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

fn route(method: Method, path: impl Into<String>, body: Body, allowed: &[Who]) -> Route {
    Route {
        method,
        path: path.into(),
        body,
        allowed: allowed.to_vec(),
    }
}

fn get(path: impl Into<String>, allowed: &[Who]) -> Route {
    route(Method::GET, path, Body::None, allowed)
}

fn form(
    path: impl Into<String>,
    fields: &[(&'static str, &'static str)],
    allowed: &[Who],
) -> Route {
    route(Method::POST, path, Body::Form(fields.to_vec()), allowed)
}

fn json_post(path: impl Into<String>, body: Value, allowed: &[Who]) -> Route {
    route(Method::POST, path, Body::Json(body), allowed)
}

/// avvik → "infosec", varsling → "hr"; generous rate limits (the matrix logs
/// in many times).
fn settings(s: &mut Settings) {
    s.routing.rules = vec![rule("avvik", "infosec"), rule("varsling", "hr")];
    s.rate_limits.submissions_per_minute = 10_000;
    s.rate_limits.code_logins_per_minute = 10_000;
    s.rate_limits.staff_logins_per_minute = 10_000;
    s.rate_limits.staff_logins_per_user_per_minute = 10_000;
}

/// A logged-in cookie client for `who`, its CSRF token and API token.
async fn caller(app: &TestApp, who: Who, code: &str) -> Caller {
    match who {
        Anonymous => Caller {
            who,
            page: app.visit("/staff/login").await,
            token: None,
        },
        Reporter => Caller {
            who,
            page: app.reporter_login(code).await,
            token: Some(app.reporter_token(code).await),
        },
        staff => {
            let username = staff.username().unwrap();
            Caller {
                who,
                page: app.staff_login(username).await,
                token: Some(app.staff_token(username).await),
            }
        }
    }
}

async fn callers(app: &TestApp, code: &str) -> Vec<Caller> {
    let mut all = Vec::new();
    for who in EVERYONE {
        all.push(caller(app, who, code).await);
    }
    all
}

/// Sends `route` as `caller`: status and `Location`.
async fn send(app: &TestApp, route: &Route, caller: &Caller) -> (StatusCode, Option<String>) {
    let url = app.url(&route.path);
    let mut req = if route.api() {
        let req = app.cookieless_client().request(route.method.clone(), url);
        match &caller.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    } else {
        caller.page.request(route.method.clone(), url)
    };
    req = match &route.body {
        Body::None => req,
        Body::Form(fields) => {
            let mut all = vec![("csrf", caller.page.csrf.as_str())];
            all.extend(fields.iter().copied());
            req.form(&all)
        }
        Body::Multipart(fields) => {
            let mut f = Form::new().text("csrf", caller.page.csrf.clone());
            for (k, v) in fields {
                f = f.text(*k, *v);
            }
            req.multipart(f)
        }
        Body::ApiMultipart(fields) => {
            let mut f = Form::new();
            for (k, v) in fields {
                f = f.text(*k, *v);
            }
            req.multipart(f)
        }
        Body::Json(v) => req.json(v),
    };
    let r = req.send().await.unwrap();
    let location = r
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned);
    (r.status(), location)
}

/// Every staff role: what one's own account needs.
const ALL_STAFF: [Who; 7] = [
    HandlerIn,
    HandlerOut,
    HandlerExcluded,
    Contact,
    Admin,
    Auditor,
    Custodian,
];

/// Every registered route but the logouts (see `logout_routes`).
fn routes(case: Uuid, attachment: Uuid, decision: Uuid) -> Vec<Route> {
    let request = Uuid::new_v4();
    let case_workers_in = [HandlerIn, Contact];
    let all_handlers = [HandlerIn, HandlerOut, HandlerExcluded, Contact];
    let all_staff = [
        HandlerIn,
        HandlerOut,
        HandlerExcluded,
        Contact,
        Admin,
        Auditor,
        Custodian,
    ];
    let c = format!("/staff/cases/{case}");
    let a = format!("/api/v1/staff/cases/{case}");
    let mut r = vec![
        // Public pages.
        get("/", &EVERYONE),
        get("/static/varsel.css", &EVERYONE),
        get("/static/pow.js", &EVERYONE),
        // The browser-encryption bundle: a 404 for everyone in a build
        // without it (no Node.js at build time).
        get(
            varsel::web::script::PATH,
            if varsel::web::script::bundle().is_some() {
                &EVERYONE
            } else {
                &[]
            },
        ),
        // Without `?purpose=` a 400, which the matrix reads as allowed.
        get("/pow/challenge", &EVERYONE),
        // Operations: health and readiness for anyone, metrics for
        // administrators (or the scrape token, tests/api/operations.rs).
        get("/healthz", &EVERYONE),
        get("/readyz", &EVERYONE),
        get("/metrics", &[Admin]),
        get("/report", &EVERYONE),
        route(
            Method::POST,
            "/report",
            Body::Multipart(vec![("category", "nonsense"), ("description", "")]),
            &EVERYONE,
        ),
        get("/report/receipt", &EVERYONE),
        form("/report/receipt", &[], &EVERYONE),
        get("/followup", &EVERYONE),
        form("/followup", &[("code", "x")], &EVERYONE),
        // The code login in the browser: a tag and a proof, no session needed.
        form("/followup/browser", &[("lookup_tag", "00")], &EVERYONE),
        form(
            "/followup/browser/session",
            &[("lookup_tag", "00"), ("proof", "x")],
            &EVERYONE,
        ),
        // The reporter's pages.
        get("/case", &[Reporter]),
        route(
            Method::POST,
            "/case/reply",
            Body::Multipart(vec![("message", "")]),
            &[Reporter],
        ),
        route(
            Method::POST,
            "/case/reply/sealed",
            Body::Multipart(vec![("envelope", "{}")]),
            &[Reporter],
        ),
        get(format!("/case/attachments/{attachment}"), &[Reporter]),
        form("/case/retaliation", &[("retaliation", "")], &[Reporter]),
        // Staff pages.
        get("/staff", &EVERYONE), // a bare 303 to /staff/inbox
        get("/staff/login", &EVERYONE),
        // Two-factor login: the code page needs a pending login (a right
        // password), which no caller has here, so it sends everyone back to
        // the login page; one's own two-factor page is any staff member's.
        get("/staff/login/code", &[]),
        form("/staff/login/code", &[("code", "x")], &[]),
        get("/staff/account/two-factor", &all_staff),
        // Not enrolled: a secret to set up (no proof needed), a wrong code
        // to confirm it, no recovery codes to renew (both a 422).
        form("/staff/account/two-factor/setup", &[], &all_staff),
        form(
            "/staff/account/two-factor/confirm",
            &[("code", "x")],
            &all_staff,
        ),
        form(
            "/staff/account/two-factor/recovery-codes",
            &[("proof", "")],
            &all_staff,
        ),
        get("/staff/account/two-factor/setup", &EVERYONE),
        get("/staff/account/two-factor/confirm", &EVERYONE),
        get("/staff/account/two-factor/recovery-codes", &EVERYONE),
        get("/staff/inbox", &all_handlers),
        // One's own account, for every staff role. An empty new password is
        // refused (422) after authorisation; a malformed session id is a 400.
        get("/staff/account", &ALL_STAFF),
        form(
            "/staff/account/password",
            &[("current_password", ""), ("new_password", "")],
            &ALL_STAFF,
        ),
        get("/staff/account/sessions", &ALL_STAFF),
        form("/staff/account/sessions/nonsense/end", &[], &ALL_STAFF),
        get(c.clone(), &case_workers_in),
        route(
            Method::POST,
            format!("{c}/reply"),
            Body::Multipart(vec![("message", "")]),
            &case_workers_in,
        ),
        form(format!("{c}/acknowledge"), &[], &case_workers_in),
        form(
            format!("{c}/status"),
            &[("status", "nonsense")],
            &case_workers_in,
        ),
        form(
            format!("{c}/triage"),
            &[("category", "nonsense"), ("severity", "kritisk")],
            &case_workers_in,
        ),
        form(
            format!("{c}/escalation"),
            &[("authority", "nonsense")],
            &[Contact],
        ),
        // An unknown choice: refused after authorisation (400).
        form(
            format!("{c}/breach-decision"),
            &[("decision", "nonsense")],
            &case_workers_in,
        ),
        // Confirming one's own decision is a 409: past authorisation.
        form(
            format!("{c}/escalation/{decision}/confirm"),
            &[],
            &[Contact],
        ),
        form(
            format!("{c}/close"),
            &[("outcome", "nonsense")],
            &case_workers_in,
        ),
        form(format!("{c}/reopen"), &[("reason", "")], &case_workers_in),
        form(
            format!("{c}/feedback-extension"),
            &[("reason", "")],
            &case_workers_in,
        ),
        form(
            format!("{c}/measures"),
            &[("measure", "")],
            &case_workers_in,
        ),
        form(format!("{c}/notes"), &[("body", "")], &case_workers_in),
        // Legal holds: contact points only (an empty reason is a 422; lifting
        // a hold the case does not have is a 409).
        form(format!("{c}/legal-hold"), &[("reason", "")], &[Contact]),
        form(format!("{c}/legal-hold/lift"), &[], &[Contact]),
        get(format!("{c}/attachments/{attachment}"), &case_workers_in),
        get(format!("{c}/export"), &case_workers_in),
        // No recipient: a field error, past authorisation.
        form(
            format!("{c}/export"),
            &[("recipients", "")],
            &case_workers_in,
        ),
        get("/contact/register", &[Contact]),
        get("/contact/register.csv", &[Contact]),
        // Administration and statistics.
        get("/admin/notifications", &[Admin]),
        get("/admin/groups", &[Admin]),
        get("/admin/rules", &[Admin]),
        form("/admin/groups", &[("name", "")], &[Admin]),
        form("/admin/rules", &[("category", "nonsense")], &[Admin]),
        form("/admin/rules/nonsense/delete", &[], &[Admin]),
        // Single sign-on: the accounts linked to the provider (an unknown
        // account: refused after authorisation).
        get("/admin/sso", &[Admin]),
        form(
            "/admin/sso/link",
            &[("username", "nobody"), ("subject", "x")],
            &[Admin],
        ),
        form("/admin/sso/unlink", &[("username", "nobody")], &[Admin]),
        get("/admin/sso/link", &EVERYONE),
        get("/admin/sso/unlink", &EVERYONE),
        // Single sign-on is off here: its login steps are "not found" for
        // everyone (tests/api/oidc.rs runs them against a real provider).
        get("/staff/login/oidc", &[]),
        get("/staff/login/oidc/callback", &[]),
        get("/staff/login/passphrase", &[]),
        form("/staff/login/passphrase", &[("passphrase", "x")], &[]),
        // Accounts (issue 11). Each change is one the service refuses after
        // authorisation: no roles (400), an administrator put in a handler
        // group (409), deactivating oneself (409), reactivating an active
        // account (409).
        get("/admin/accounts", &[Admin]),
        form("/admin/accounts", &[("username", "")], &[Admin]),
        get("/admin/accounts/admin", &[Admin]),
        form("/admin/accounts/admin/roles", &[], &[Admin]),
        form(
            "/admin/accounts/admin/groups",
            &[("group", "infosec")],
            &[Admin],
        ),
        get("/admin/accounts/admin/deactivate", &[Admin]),
        form(
            "/admin/accounts/admin/deactivate",
            &[("confirm", "yes")],
            &[Admin],
        ),
        form("/admin/accounts/admin/reactivate", &[], &[Admin]),
        get("/admin/recovery-key", &[Admin]),
        get("/api/v1/admin/accounts", &[Admin]),
        json_post(
            "/api/v1/admin/accounts",
            json!({"username": "", "roles": [], "password": ""}),
            &[Admin],
        ),
        json_post(
            "/api/v1/admin/accounts/admin/roles",
            json!({"roles": []}),
            &[Admin],
        ),
        json_post(
            "/api/v1/admin/accounts/admin/groups",
            json!({"groups": ["infosec"]}),
            &[Admin],
        ),
        json_post(
            "/api/v1/admin/accounts/admin/deactivate",
            json!({}),
            &[Admin],
        ),
        json_post(
            "/api/v1/admin/accounts/admin/reactivate",
            json!({}),
            &[Admin],
        ),
        get("/admin/security", &[Admin]),
        form("/admin/security", &[("required", "nonsense")], &[Admin]),
        get("/stats", &[Admin, Auditor]),
        get("/stats.csv", &[Admin, Auditor]),
        // The reporter's identity: the reporter gives it, a handler of the
        // case asks (an empty reason: refused after the case is checked), a
        // custodian decides (an unknown decision: refused before the request
        // is looked up).
        get("/case/identity", &[Reporter]),
        form("/case/identity", &[("identity_name", "")], &[Reporter]),
        form(
            format!("{c}/identity/requests"),
            &[("reason", "")],
            &case_workers_in,
        ),
        get("/custodian", &[Custodian]),
        form(
            format!("/custodian/requests/{request}/decision"),
            &[("decision", "nonsense")],
            &[Custodian],
        ),
        get(format!("/custodian/requests/{request}/decision"), &EVERYONE),
        get("/api/v1/reporter/case/identity", &[Reporter]),
        json_post(
            "/api/v1/reporter/case/identity",
            json!({"name": ""}),
            &[Reporter],
        ),
        get(format!("{a}/identity"), &case_workers_in),
        json_post(
            format!("{a}/identity/requests"),
            json!({"reason": ""}),
            &case_workers_in,
        ),
        get("/api/v1/custodian/requests", &[Custodian]),
        json_post(
            format!("/api/v1/custodian/requests/{request}/decision"),
            json!({"decision": "nonsense", "reason": ""}),
            &[Custodian],
        ),
        // The API.
        json_post("/api/v1/reporter/session", json!({"code": "x"}), &EVERYONE),
        json_post("/api/v1/staff/session", json!({"username": 1}), &EVERYONE),
        json_post(
            "/api/v1/account/password",
            json!({"current_password": "", "new_password": ""}),
            &ALL_STAFF,
        ),
        get("/api/v1/account/sessions", &ALL_STAFF),
        route(
            Method::DELETE,
            "/api/v1/account/sessions/nonsense",
            Body::None,
            &ALL_STAFF,
        ),
        get("/api/v1/pow/challenge", &EVERYONE),
        // One's own two-factor login: not enrolled, so a secret to set up
        // without proof, a malformed code (400), no codes to renew (409).
        get("/api/v1/account/two-factor", &all_staff),
        json_post("/api/v1/account/two-factor/setup", json!({}), &all_staff),
        json_post(
            "/api/v1/account/two-factor/confirm",
            json!({"code": "x"}),
            &all_staff,
        ),
        json_post(
            "/api/v1/account/two-factor/recovery-codes",
            json!({}),
            &all_staff,
        ),
        get("/api/v1/openapi.json", &EVERYONE),
        get("/api/v1/categories", &EVERYONE),
        get("/api/v1/handlers", &EVERYONE),
        json_post(
            "/api/v1/reports",
            json!({"category": "nonsense"}),
            &EVERYONE,
        ),
        json_post(
            "/api/v1/e2e/routing",
            json!({"category": "nonsense"}),
            &EVERYONE,
        ),
        route(
            Method::POST,
            "/api/v1/e2e/reports",
            Body::ApiMultipart(vec![("note", "no envelope part")]),
            &EVERYONE,
        ),
        get("/api/v1/reporter/case", &[Reporter]),
        json_post(
            "/api/v1/reporter/case/messages",
            json!({"body": ""}),
            &[Reporter],
        ),
        route(
            Method::POST,
            "/api/v1/reporter/case/attachments",
            Body::ApiMultipart(vec![("note", "no attachment part")]),
            &[Reporter],
        ),
        get(
            format!("/api/v1/reporter/case/attachments/{attachment}"),
            &[Reporter],
        ),
        json_post(
            "/api/v1/reporter/case/retaliation",
            json!({"body": ""}),
            &[Reporter],
        ),
        get("/api/v1/staff/cases", &all_handlers),
        get(a.clone(), &case_workers_in),
        // Invalid bodies: the case is checked before the body is validated.
        json_post(
            format!("{a}/messages"),
            json!({"body": ""}),
            &case_workers_in,
        ),
        route(
            Method::POST,
            format!("{a}/attachments"),
            Body::ApiMultipart(vec![("note", "no attachment part")]),
            &case_workers_in,
        ),
        get(format!("{a}/attachments/{attachment}"), &case_workers_in),
        route(
            Method::POST,
            format!("{a}/acknowledge"),
            Body::None,
            &case_workers_in,
        ),
        json_post(
            format!("{a}/status"),
            json!({"status": "ukjent"}),
            &case_workers_in,
        ),
        json_post(
            format!("{a}/triage"),
            json!({"category": "ukjent", "severity": "kritisk"}),
            &case_workers_in,
        ),
        get(format!("{a}/escalation"), &[Contact]),
        json_post(
            format!("{a}/escalation"),
            json!({
                "authority": "ukjent", "decision": "escalate", "legal_basis": "other",
                "rationale": "x", "aware_at": "2026-03-01", "decided_at": "2026-03-01",
            }),
            &[Contact],
        ),
        json_post(
            format!("{a}/breach-decision"),
            json!({"decision": "ukjent", "rationale": "x", "decided_at": "2026-03-01"}),
            &case_workers_in,
        ),
        // The contact point made it: "cannot confirm your own" (409).
        json_post(
            format!("{a}/escalation/{decision}/confirm"),
            json!({}),
            &[Contact],
        ),
        json_post(
            format!("{a}/close"),
            json!({"outcome": "ukjent", "evaluation": ""}),
            &case_workers_in,
        ),
        json_post(
            format!("{a}/reopen"),
            json!({"reason": ""}),
            &case_workers_in,
        ),
        get("/api/v1/contact/register", &[Contact]),
        json_post(
            format!("{a}/feedback-extension"),
            json!({"reason": ""}),
            &case_workers_in,
        ),
        json_post(
            format!("{a}/measures"),
            json!({"body": "", "visible_to_reporter": false}),
            &case_workers_in,
        ),
        json_post(
            format!("{a}/export"),
            json!({"recipients": []}),
            &case_workers_in,
        ),
        get(format!("{a}/notes"), &case_workers_in),
        json_post(format!("{a}/notes"), json!({"body": ""}), &case_workers_in),
        json_post(format!("{a}/legal-hold"), json!({"reason": ""}), &[Contact]),
        route(
            Method::DELETE,
            format!("{a}/legal-hold"),
            Body::None,
            &[Contact],
        ),
    ];
    // A refused action's URL asked for with GET (the language switch): a bare
    // 303 back to the case page, which does the checking. It names nothing
    // the caller did not send, so it is open to everyone.
    for action in [
        "reply",
        "acknowledge",
        "status",
        "triage",
        "escalation",
        "breach-decision",
        "close",
        "reopen",
        "feedback-extension",
        "measures",
        "notes",
        "identity/requests",
        "legal-hold",
        "legal-hold/lift",
    ] {
        r.push(get(format!("{c}/{action}"), &EVERYONE));
    }
    // The group forms (an unknown group: refused after authorisation), and
    // their URLs asked for with GET, like the case actions': a bare 303 back
    // to the page.
    for path in [
        "/admin/groups/members",
        "/admin/groups/members/remove",
        "/admin/groups/leads",
        "/admin/groups/leads/remove",
    ] {
        r.push(form(
            path,
            &[("group", "nonsense"), ("username", "x")],
            &[Admin],
        ));
        r.push(get(path, &EVERYONE));
    }
    r.push(get("/admin/rules/nonsense/delete", &EVERYONE));
    r
}

/// The logouts and the staff login: each ends or replaces the caller's
/// session, so each runs on fresh ones.
fn logout_routes() -> Vec<Route> {
    let staff = [
        HandlerIn,
        HandlerOut,
        HandlerExcluded,
        Contact,
        Admin,
        Auditor,
        Custodian,
    ];
    vec![
        // Anyone may log in (a failed login would be a 401, so these are
        // real credentials: the caller's session is replaced).
        form(
            "/staff/login",
            &[("username", "h_out"), ("password", PASSWORD)],
            &EVERYONE,
        ),
        // Ending one's own session (or none) is open to anyone with a CSRF token.
        form("/staff/logout", &[], &EVERYONE),
        // Ends the caller's other sessions (their API token too).
        form("/staff/account/sessions/end-others", &[], &staff),
        form("/case/logout", &[], &EVERYONE),
        route(Method::DELETE, "/api/v1/staff/session", Body::None, &staff),
        route(
            Method::DELETE,
            "/api/v1/reporter/session",
            Body::None,
            &[Reporter],
        ),
    ]
}

/// One cell that did not come out as expected.
struct Mismatch {
    route: String,
    who: Who,
    expected: Access,
    got: String,
}

async fn check(app: &TestApp, route: &Route, caller: &Caller, mismatches: &mut Vec<Mismatch>) {
    let expected = if route.allowed.contains(&caller.who) {
        Allow
    } else {
        Deny
    };
    let (status, location) = send(app, route, caller).await;
    // Logging out of the staff pages lands on their login page.
    let got = match (route.path.as_str(), location.as_deref()) {
        ("/staff/logout", Some("/staff/login")) if status == StatusCode::SEE_OTHER => Some(Allow),
        _ => classify(status, location.as_deref()),
    };
    if got != Some(expected) {
        let got = match location {
            Some(l) => format!("{} → {l}", status.as_u16()),
            None => status.as_u16().to_string(),
        };
        mismatches.push(Mismatch {
            route: route.label(),
            who: caller.who,
            expected,
            got,
        });
    }
}

async fn every_route_allows_exactly_the_right_principals(backend: Backend) {
    let app = TestApp::spawn_with(backend, settings).await;
    app.add_user_in("h_in", "Hilde Inne", &["handler"], &["infosec"])
        .await;
    app.add_user_in("h_out", "Hans Ute", &["handler"], &["hr"])
        .await;
    let h_excl = app
        .add_user_in("h_excl", "Heidi Utelatt", &["handler"], &["infosec"])
        .await;
    app.add_user("contact", "Kari Kontakt", &["contact"]).await;
    app.add_user("admin", "Ada Admin", &["admin"]).await;
    app.add_user("auditor", "Aud Revisor", &["auditor"]).await;
    app.add_user("keeper", "Kim Forvalter", &["custodian"])
        .await;

    // One kritisk avvik report, h_excl excluded: it reaches h_in and the
    // contact point, not h_out, not h_excl.
    let code = app.report(&api_report("avvik", "kritisk", &[h_excl])).await;

    // The case id, and who holds it.
    let mut inboxes = Vec::new();
    for who in [HandlerIn, HandlerOut, HandlerExcluded, Contact] {
        let ids = app.api_case_ids_of(who.username().unwrap()).await;
        inboxes.push((who, ids));
    }
    let case = inboxes[0].1[0];
    for (who, ids) in &inboxes {
        let reaches = matches!(who, HandlerIn | Contact);
        let expected = if reaches { vec![case] } else { vec![] };
        assert_eq!(ids, &expected, "routing of the case to {who:?}");
    }

    // An attachment, uploaded by the reporter.
    let reporter = app.reporter_token(&code).await;
    let uploaded = app
        .api_upload(
            "/reporter/case/attachments",
            Some(&reporter),
            Form::new().part(
                "attachment",
                Part::bytes(b"bevis".to_vec()).file_name("bevis.txt"),
            ),
        )
        .await
        .expect(StatusCode::CREATED);
    let attachment = Uuid::parse_str(uploaded[0]["id"].as_str().unwrap()).unwrap();

    // An escalation decision by the contact point, through the page form.
    let contact = caller(&app, Contact, &code).await;
    let decision = Decision {
        legal_basis: "sikkerhetsloven_4_5",
        rationale: "Informert NSM.",
        ..Decision::default()
    };
    let r = app.decide(&contact.page, case, &decision).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "decision recorded");
    let decisions = app.store.decisions(case).await.unwrap();
    assert_eq!(decisions.len(), 1);
    let decision = decisions[0].id;

    // The table covers every registered route, and every row is one.
    let table = routes(case, attachment, decision);
    let logouts = logout_routes();
    let rows: Vec<&Route> = table.iter().chain(&logouts).collect();
    let registered = varsel::web::routes::registered_routes();
    for (method, pattern) in &registered {
        assert!(
            rows.iter()
                .any(|r| r.method.as_str() == method.as_str() && pattern_matches(pattern, &r.path)),
            "{method} {pattern} is registered, but the matrix has no row for it"
        );
    }
    for row in &rows {
        assert!(
            registered
                .iter()
                .any(|(m, p)| m.as_str() == row.method.as_str() && pattern_matches(p, &row.path)),
            "{} is in the matrix, but no route is registered for it",
            row.label()
        );
    }

    // The matrix.
    let callers = callers(&app, &code).await;
    let mut mismatches = Vec::new();
    for route in &table {
        for caller in &callers {
            check(&app, route, caller, &mut mismatches).await;
        }
    }
    for route in &logouts {
        for who in EVERYONE {
            let fresh = caller(&app, who, &code).await;
            check(&app, route, &fresh, &mut mismatches).await;
        }
    }

    // No existence oracle: a case not routed to the caller is the same 404
    // as a case that does not exist.
    let outsider = caller(&app, HandlerOut, &code).await;
    let unknown = Uuid::new_v4();
    for (path, missing) in [
        (
            format!("/staff/cases/{case}"),
            format!("/staff/cases/{unknown}"),
        ),
        (
            format!("/api/v1/staff/cases/{case}"),
            format!("/api/v1/staff/cases/{unknown}"),
        ),
        (
            format!("/api/v1/staff/cases/{case}/attachments/{attachment}"),
            format!("/api/v1/staff/cases/{unknown}/attachments/{attachment}"),
        ),
    ] {
        let fetch = |p: String| {
            let get = route(Method::GET, p, Body::None, &[]);
            let outsider = &outsider;
            let app = &app;
            async move {
                let url = app.url(&get.path);
                let req = if get.api() {
                    app.cookieless_client()
                        .get(url)
                        .bearer_auth(outsider.token.as_ref().unwrap())
                } else {
                    outsider.page.get(url)
                };
                let r = req.send().await.unwrap();
                (r.status(), r.text().await.unwrap())
            }
        };
        let (routed_status, routed_body) = fetch(path.clone()).await;
        let (missing_status, missing_body) = fetch(missing).await;
        assert_eq!(routed_status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(missing_status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            routed_body, missing_body,
            "existence oracle: {path} answers h_out differently from an unknown case"
        );
    }

    let cells = (table.len() + logouts.len()) * EVERYONE.len();
    if !mismatches.is_empty() {
        let mut report = format!(
            "{} of {cells} cells wrong ({backend:?}):\n{:<60} {:<16} {:<8} got\n",
            mismatches.len(),
            "route",
            "principal",
            "expected"
        );
        for m in &mismatches {
            let _ = writeln!(
                report,
                "{:<60} {:<16} {:<8} {}",
                m.route,
                format!("{:?}", m.who),
                format!("{:?}", m.expected),
                m.got
            );
        }
        panic!("{report}");
    }
    app.teardown().await;
}

/// A page cookie is no API credential and an API token is no page cookie;
/// a contact point a case is not routed to cannot open it by any way in.
async fn credentials_do_not_cross_channels_and_unrouted_contact_points_are_outsiders(
    backend: Backend,
) {
    let app = TestApp::spawn_with(backend, settings).await;
    app.add_user_in("h_in", "Hilde Inne", &["handler"], &["infosec"])
        .await;
    app.add_user("contact", "Kari Kontakt", &["contact"]).await;

    // An avvik of severity lav reaches infosec only: not the contact point.
    let code = app
        .report(&json!({
            "category": "avvik",
            "severity": "lav",
            "description": "En skriver står ulåst i et åpent rom.",
        }))
        .await;
    let handler_token = app.staff_token("h_in").await;
    let case = app.api_case_ids(&handler_token).await[0];

    // The page session's cookie value, sent as a bearer token: 401.
    let page = app.cookieless_client();
    let login_page = app.get(&page, "/staff/login").await;
    let anon_cookie = login_page
        .set_cookies()
        .iter()
        .map(|v| v.split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ");
    let r = page
        .post(app.url("/staff/login"))
        .header("cookie", &anon_cookie)
        .form(&[
            ("csrf", login_page.csrf().as_str()),
            ("username", "h_in"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let login = crate::app::Page::read(r).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "page login");
    let session_id = login.cookie("varsel_session").expect("a session cookie");
    let session_cookie = format!("varsel_session={session_id}");
    let r = page
        .get(app.url("/staff/inbox"))
        .header("cookie", &session_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the cookie works on pages");
    for path in ["/staff/cases".to_owned(), format!("/staff/cases/{case}")] {
        let with_cookie = app
            .api_request(Method::GET, &path, None)
            .header("cookie", &session_cookie);
        assert_eq!(
            app.api_send(with_cookie).await.status,
            StatusCode::UNAUTHORIZED,
            "cookie on {path}"
        );
        let as_bearer = app.api_get(&path, Some(&session_id)).await;
        assert_eq!(
            as_bearer.status,
            StatusCode::UNAUTHORIZED,
            "cookie id as token on {path}"
        );
    }

    // The API token, sent as the page cookie: no session, so the login page.
    for path in ["/staff/inbox".to_owned(), format!("/staff/cases/{case}")] {
        let r = app
            .cookieless_client()
            .get(app.url(&path))
            .header("cookie", format!("varsel_session={handler_token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "token as cookie on {path}"
        );
        assert_eq!(
            r.headers().get("location").unwrap().to_str().unwrap(),
            "/staff/login"
        );
    }
    // A reporter's API token is no reporter page session either.
    let reporter = app.reporter_token(&code).await;
    let r = app
        .cookieless_client()
        .get(app.url("/case"))
        .header("cookie", format!("varsel_session={reporter}"))
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), StatusCode::OK, "reporter token as cookie");

    // The contact point, not routed to: the page, the escalation form and
    // the API all answer as for a case that does not exist.
    let contact = caller(&app, Contact, &code).await;
    let r = app
        .get(&contact.page, &format!("/staff/cases/{case}"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let decision = Decision {
        legal_basis: "sikkerhetsloven_4_5",
        rationale: "Forsøk uten tilgang.",
        ..Decision::default()
    };
    let r = app.decide(&contact.page, case, &decision).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(app.store.decisions(case).await.unwrap().is_empty());
    let token = contact.token.as_ref().unwrap();
    for (path, body) in [
        (format!("/staff/cases/{case}/messages"), json!({"body": ""})),
        (
            format!("/staff/cases/{case}/status"),
            json!({"status": "ukjent"}),
        ),
    ] {
        let r = app.api_post(&path, Some(token), &body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: case before body");
    }
    app.teardown().await;
}

/// Whether `path` is one of the paths the route `pattern` (with `{…}`
/// segments) matches.
fn pattern_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    pattern.len() == path.len()
        && pattern
            .iter()
            .zip(&path)
            .all(|(p, s)| (p.starts_with('{') && p.ends_with('}') && !s.is_empty()) || p == s)
}
