//! The scripted scenario of issue 4, on both backends, with a controllable
//! clock and a real SMTP server: a `kritisk` `sikkerhet` report with one
//! handler excluded reaches the right group and the contact points and not
//! the excluded handler; re-classification re-routes; deadlines fall on the
//! right dates; reminder and overdue mails arrive with no content in them; a
//! § 196 case refuses to close without a police/PST decision; the register
//! and its CSV show the decisions; `varsel audit verify` passes, and fails
//! naming the entry after one row is edited.

use std::sync::Arc;

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use time::macros::datetime;
use uuid::Uuid;
use varsel::core::clock::ManualClock;
use varsel::core::routing::RoutingRule;
use varsel::core::settings::SmtpTls;

use crate::app::{Backend, TestApp, PASSWORD};
use crate::for_each_backend;
use crate::smtp::{Mode, SmtpServer};

for_each_backend!(issue_4_scenario);

const DESCRIPTION: &str = "ScenarioMarker: en ansatt fotograferer tegninger av anlegget";
const PUBLIC_URL: &str = "https://varsel.example.org";

fn api(app: &TestApp, path: &str) -> String {
    app.url(&format!("/api/v1{path}"))
}

async fn token(app: &TestApp, username: &str) -> String {
    let r = Client::new()
        .post(api(app, "/staff/session"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{username} logs in");
    r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    who: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Client::new()
        .request(method, api(app, path))
        .bearer_auth(token(app, who).await);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, path: &str, who: &str) -> (StatusCode, Value) {
    call(app, reqwest::Method::GET, path, who, None).await
}

async fn post(app: &TestApp, path: &str, who: &str, body: Value) -> (StatusCode, Value) {
    call(app, reqwest::Method::POST, path, who, Some(body)).await
}

/// The case ids in `who`'s inbox.
async fn inbox(app: &TestApp, who: &str) -> Vec<Value> {
    let (status, body) = get(app, "/staff/cases", who).await;
    assert_eq!(status, StatusCode::OK);
    body.as_array().unwrap().clone()
}

/// Who of `names` has the case in their inbox.
async fn reached(app: &TestApp, names: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for name in names {
        if !inbox(app, name).await.is_empty() {
            out.push((*name).to_owned());
        }
    }
    out
}

async fn tick(app: &TestApp) {
    let clock = app.state.clock.clone();
    varsel::core::notifications::tick(&app.state, &*clock)
        .await
        .unwrap();
}

/// Every notification sent: (recipient, kind, deadline key or "").
async fn sent(app: &TestApp) -> Vec<(Uuid, String, String)> {
    use sqlx::Connection;
    const SQL: &str = "SELECT user_id, kind, COALESCE(deadline, '') FROM notifications \
                       WHERE sent_at IS NOT NULL";
    let url = &app.settings.database.url;
    let rows: Vec<(String, String, String)> = if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_as(SQL).fetch_all(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_as(SQL).fetch_all(&mut conn).await.unwrap()
    };
    rows.into_iter()
        .map(|(u, k, d)| (Uuid::parse_str(&u).unwrap(), k, d))
        .collect()
}

/// The deadline keys of the `kind` notifications sent to `user`.
fn rows_to(sent: &[(Uuid, String, String)], user: Uuid, kind: &str) -> Vec<String> {
    sent.iter()
        .filter(|(u, k, _)| *u == user && k == kind)
        .map(|(_, _, d)| d.clone())
        .collect()
}

fn deadline<'a>(case: &'a Value, kind: &str) -> &'a Value {
    case["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} deadline in {case}"))
}

async fn issue_4_scenario(backend: Backend) {
    let smtp = SmtpServer::start(Mode::Accept).await;
    // Monday 2 March 2026, 08:00 UTC.
    let clock = ManualClock::new(datetime!(2026-03-02 08:00 UTC));
    let port = smtp.port;
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), move |s| {
        let rule = |category: &str, group: &str| RoutingRule {
            category: category.to_owned(),
            severities: ["lav", "middels", "hoy", "kritisk"]
                .into_iter()
                .map(str::to_owned)
                .collect(),
            groups: vec![group.to_owned()],
        };
        s.routing.rules = vec![rule("sikkerhet", "sikkerhet"), rule("avvik", "infosec")];
        // The scenario logs in often; the login limits are not under test.
        s.rate_limits.staff_logins_per_minute = 10_000;
        s.rate_limits.staff_logins_per_user_per_minute = 10_000;
        let n = &mut s.notifications;
        n.enabled = true;
        n.smtp_host = "127.0.0.1".into();
        n.smtp_port = port;
        n.tls = SmtpTls::None;
        n.from = "Varsel <varsel@example.org>".into();
        n.public_url = PUBLIC_URL.into();
        n.interval_seconds = 3600;
        n.timeout_seconds = 10;
    })
    .await;
    let mut ids = std::collections::HashMap::new();
    for (name, roles, groups) in [
        ("hilde", &["handler"][..], &["sikkerhet"][..]),
        ("harald", &["handler"], &["sikkerhet"]),
        ("leif", &["handler"], &["sikkerhet"]),
        ("ingrid", &["handler"], &["infosec"]),
        ("kari", &["contact"], &[]),
        ("knut", &["contact"], &[]),
    ] {
        let id = app.add_user_in(name, name, roles, groups).await;
        ids.insert(name, id);
    }
    for (name, id) in &ids {
        set_email(&app, *id, &format!("{name}@example.org")).await;
    }
    // Leif leads the security group.
    app.store
        .add_group_lead("sikkerhet", ids["leif"])
        .await
        .unwrap();
    let everyone = ["hilde", "harald", "leif", "ingrid", "kari", "knut"];

    // 1. A kritisk sikkerhet report (suspected espionage), Harald excluded.
    let r = Client::new()
        .post(api(&app, "/reports"))
        .json(&json!({
            "category": "sikkerhet",
            "subtype": "spionasje",
            "severity": "kritisk",
            "description": DESCRIPTION,
            "exclude": [ids["harald"]],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["acknowledge_by"], "2026-03-09", "ack in 7 days");
    assert_eq!(
        reached(&app, &everyone).await,
        ["hilde", "leif", "kari", "knut"],
        "the group and the contact points, not Harald, not infosec"
    );
    let case = inbox(&app, "kari").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = get(&app, &format!("/staff/cases/{case}"), "harald").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the excluded handler");

    // 2. Deadlines on the right dates (receipt is kept to the day).
    let (_, view) = get(&app, &format!("/staff/cases/{case}"), "hilde").await;
    assert_eq!(view["received_on"], "2026-03-02");
    assert_eq!(
        deadline(&view, "acknowledge")["due"],
        "2026-03-09T00:00:00Z"
    );
    assert_eq!(deadline(&view, "feedback")["due"], "2026-06-09T00:00:00Z");
    assert_eq!(
        deadline(&view, "critical_escalation_decision")["due"],
        "2026-03-03T00:00:00Z"
    );
    assert_eq!(
        deadline(&view, "security_act_notice")["due"],
        "2026-03-02T00:00:00Z"
    );
    let line = &inbox(&app, "hilde").await[0];
    assert_eq!(line["next_deadline_kind"], "security_act_notice");
    assert_eq!(line["next_deadline_state"], "overdue");

    // 3. Re-classification re-routes: to avvik, hoy (no longer kritisk) ...
    let triage = format!("/staff/cases/{case}/triage");
    let (status, body) = post(
        &app,
        &triage,
        "hilde",
        json!({"category": "avvik", "subtype": "sikkerhetsbrudd", "severity": "hoy"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["still_member"], false);
    assert_eq!(reached(&app, &everyone).await, ["ingrid"]);
    // ... and back, by Ingrid: Harald stays excluded.
    let (status, _) = post(
        &app,
        &triage,
        "ingrid",
        json!({"category": "sikkerhet", "subtype": "spionasje", "severity": "kritisk"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        reached(&app, &everyone).await,
        ["hilde", "leif", "kari", "knut"]
    );

    // 4. Mails: new-case mails, then the reminder and the overdue notice.
    tick(&app).await;
    let outbox = sent(&app).await;
    for name in ["hilde", "leif", "kari", "knut", "ingrid"] {
        assert!(
            !rows_to(&outbox, ids[name], "case_routed").is_empty(),
            "{name} hears of the case"
        );
    }
    assert!(smtp.mails_to("harald@example.org").is_empty());
    // The immediate Security-Act notice is overdue at once: the lead hears.
    assert!(
        rows_to(&outbox, ids["leif"], "deadline_overdue")
            .contains(&"security_act_notice".to_owned()),
        "{outbox:?}"
    );
    // A day before acknowledgement is due: a reminder to those on the case.
    clock.set(datetime!(2026-03-08 06:00 UTC));
    tick(&app).await;
    let outbox = sent(&app).await;
    assert!(rows_to(&outbox, ids["hilde"], "deadline_reminder").contains(&"acknowledge".to_owned()));
    assert!(rows_to(&outbox, ids["leif"], "deadline_overdue")
        .iter()
        .all(|d| d != "acknowledge"));
    // Past it: the overdue notice goes to the lead, not to Hilde.
    clock.set(datetime!(2026-03-09 01:00 UTC));
    tick(&app).await;
    let outbox = sent(&app).await;
    assert!(rows_to(&outbox, ids["leif"], "deadline_overdue").contains(&"acknowledge".to_owned()));
    assert!(rows_to(&outbox, ids["hilde"], "deadline_overdue").is_empty());
    let mails = smtp.mails();
    assert!(mails.len() >= 7, "{} mails", mails.len());
    for mail in &mails {
        for secret in [
            "ScenarioMarker",
            "sikkerhet",
            "spionasje",
            "kritisk",
            "avvik",
            case.as_str(),
        ] {
            assert!(!mail.data.contains(secret), "{secret} in a mail");
        }
        assert!(mail.data.contains(PUBLIC_URL), "the login link");
    }

    // 5. § 196: no closing without a police or PST decision.
    let close = format!("/staff/cases/{case}/close");
    let evaluation = json!({"outcome": "referred", "evaluation": "Overlatt til PST."});
    let (status, body) = post(&app, &close, "hilde", evaluation.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "needs_police_decision");
    let esc = format!("/staff/cases/{case}/escalation");
    for (authority, basis) in [("nsm", "sikkerhetsloven_4_5"), ("pst", "straffeloven_196")] {
        let (status, _) = post(
            &app,
            &esc,
            "kari",
            json!({
                "authority": authority,
                "decision": "escalate",
                "legal_basis": basis,
                "rationale": "RationaleMarker: melding sendt",
                "aware_at": "2026-03-02",
                "decided_at": "2026-03-09T02:00",
                "notified_at": "2026-03-09T03:00",
                "authority_reference": format!("{authority}-2026-17"),
            }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (_, view) = get(&app, &format!("/staff/cases/{case}"), "hilde").await;
    assert!(
        deadline(&view, "security_act_notice")["met"].is_string(),
        "the NSM decision meets the Security-Act notice: {view}"
    );
    assert!(deadline(&view, "critical_escalation_decision")["met"].is_string());
    let (status, body) = post(&app, &close, "hilde", evaluation).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // 6. The register and its CSV show the decisions, never the rationale.
    let (status, register) = get(&app, "/contact/register?authority=pst", "knut").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(register.as_array().unwrap().len(), 1);
    assert_eq!(register[0]["authority_reference"], "pst-2026-17");
    let page = logged_in(&app, "knut").await;
    let csv = page
        .get(app.url("/contact/register.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("pst-2026-17") && csv.contains("nsm-2026-17"),
        "{csv}"
    );
    assert!(!csv.contains("RationaleMarker"));

    // 7. The audit chain verifies, and names the entry edited afterwards.
    let verify = || {
        crate::helpers::varsel()
            .args(["audit", "verify"])
            .env("VARSEL_DATABASE__URL", &app.settings.database.url)
            .env(
                "VARSEL_STORAGE__DATA_DIR",
                app.settings.storage.data_dir.display().to_string(),
            )
            .env("VARSEL_LOG", "warn")
            .output()
            .unwrap()
    };
    let out = verify();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("audit log intact"));
    let entries = app.store.audit_entries().await.unwrap();
    let triaged = entries
        .iter()
        .find(|e| e.action == "case.triaged" && e.case_id.as_deref() == Some(case.as_str()))
        .unwrap()
        .seq;
    execute(
        &app,
        &format!("UPDATE audit_log SET detail = '{{}}' WHERE seq = {triaged}"),
    )
    .await;
    let out = verify();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("audit log broken at entry {triaged}")),
        "{stderr}"
    );
    app.teardown().await;
}

/// A page client logged in as `username`.
async fn logged_in(app: &TestApp, username: &str) -> Client {
    let client = app.client();
    let page = client
        .get(app.url("/staff/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = client
        .post(app.url("/staff/login"))
        .form(&[
            ("csrf", crate::app::csrf_of(&page).as_str()),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    client
}

/// Runs one SQL statement on the app's database (same text on both backends).
async fn execute(app: &TestApp, sql: &str) {
    use sqlx::Connection;
    let url = &app.settings.database.url;
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }
}

async fn set_email(app: &TestApp, user: Uuid, email: &str) {
    execute(
        app,
        &format!("UPDATE users SET email = '{email}' WHERE id = '{user}'"),
    )
    .await;
}
