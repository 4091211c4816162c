//! The scripted scenario of issue 4, on both backends, with a controllable
//! clock and a real SMTP server: a `kritisk` `sikkerhet` report with one
//! handler excluded reaches the right group and the contact points and not
//! the excluded handler; re-classification re-routes; deadlines fall on the
//! right dates; reminder and overdue mails arrive with no content in them; a
//! § 196 case refuses to close without a police/PST decision; the register
//! and its CSV show the decisions; `varsel audit verify` passes, and fails
//! naming the entry after one row is edited.

use std::collections::HashMap;
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::json;
use time::macros::datetime;
use uuid::Uuid;
use varsel::core::clock::ManualClock;

use crate::app::{deadline, rule, Backend, TestApp, PUBLIC_URL};
use crate::for_each_backend;
use crate::real_smtp::RealSmtp;

for_each_backend!(issue_4_scenario);

const DESCRIPTION: &str = "ScenarioMarker: en ansatt fotograferer tegninger av anlegget";

/// The deadline keys of the `kind` notifications sent to `user`.
fn rows_to(sent: &[Vec<String>], user: Uuid, kind: &str) -> Vec<String> {
    sent.iter()
        .filter(|row| Uuid::parse_str(&row[0]).unwrap() == user && row[1] == kind)
        .map(|row| row[2].clone())
        .collect()
}

/// Every notification sent: recipient, kind, deadline key or "".
const SENT: &str = "SELECT user_id, kind, COALESCE(deadline, '') FROM notifications \
                    WHERE sent_at IS NOT NULL";

async fn issue_4_scenario(backend: Backend) {
    let smtp = RealSmtp::start();
    // Monday 2 March 2026, 08:00 UTC.
    let clock = ManualClock::new(datetime!(2026-03-02 08:00 UTC));
    let client = smtp.client();
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), move |s| {
        s.routing.rules = vec![rule("sikkerhet", "sikkerhet"), rule("avvik", "infosec")];
        // The scenario logs in often; the login limits are not under test.
        s.rate_limits.staff_logins_per_minute = 10_000;
        s.rate_limits.staff_logins_per_user_per_minute = 10_000;
        client.apply(s);
    })
    .await;
    let mut ids = HashMap::new();
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
        app.db
            .execute(&[format!(
                "UPDATE users SET email = '{name}@example.org' WHERE id = '{id}'"
            )])
            .await;
    }
    // Leif leads the security group.
    app.store
        .add_group_lead("sikkerhet", ids["leif"])
        .await
        .unwrap();
    let everyone = ["hilde", "harald", "leif", "ingrid", "kari", "knut"];
    let mut tokens = HashMap::new();
    for name in everyone {
        tokens.insert(name, app.staff_token(name).await);
    }
    // Who of everyone has the case in their inbox.
    let reached = || async {
        let mut out = Vec::new();
        for name in everyone {
            if !app.api_inbox(&tokens[name]).await.is_empty() {
                out.push(name);
            }
        }
        out
    };

    // 1. A kritisk sikkerhet report (suspected espionage), Harald excluded.
    let receipt = app
        .submit_report(&json!({
            "category": "sikkerhet",
            "subtype": "spionasje",
            "severity": "kritisk",
            "description": DESCRIPTION,
            "exclude": [ids["harald"]],
        }))
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(receipt["acknowledge_by"], "2026-03-09", "ack in 7 days");
    assert_eq!(
        reached().await,
        ["hilde", "leif", "kari", "knut"],
        "the group and the contact points, not Harald, not infosec"
    );
    let case = app.api_case_ids(&tokens["kari"]).await[0].to_string();
    let r = app.api_case(&tokens["harald"], &case).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "the excluded handler");

    // 2. Deadlines on the right dates (receipt is kept to the day).
    let view = app.api_case(&tokens["hilde"], &case).await.body;
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
        "2026-03-03T01:00:00Z",
        "the end of the day of receipt and a grace of an hour"
    );
    let line = &app.api_inbox(&tokens["hilde"]).await[0];
    // Not overdue on the day it arrived: the NSM notice's grace runs from
    // the end of the day of receipt, the kritisk decision's from receipt.
    assert_eq!(line["next_deadline_kind"], "critical_escalation_decision");
    assert_eq!(line["next_deadline_state"], "due_soon");

    // 3. Re-classification re-routes: to avvik, hoy (no longer kritisk) ...
    let r = app
        .api_triage(
            &tokens["hilde"],
            &case,
            &json!({"category": "avvik", "subtype": "sikkerhetsbrudd", "severity": "hoy"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["still_member"], false);
    assert_eq!(reached().await, ["ingrid"]);
    // ... and back, by Ingrid: Harald stays excluded.
    let r = app
        .api_triage(
            &tokens["ingrid"],
            &case,
            &json!({"category": "sikkerhet", "subtype": "spionasje", "severity": "kritisk"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(reached().await, ["hilde", "leif", "kari", "knut"]);

    // 4. Mails: new-case mails, then the reminder and the overdue notice.
    app.tick().await;
    let outbox = app.db.text_rows(SENT).await;
    for name in ["hilde", "leif", "kari", "knut", "ingrid"] {
        assert!(
            !rows_to(&outbox, ids[name], "case_routed").is_empty(),
            "{name} hears of the case"
        );
    }
    assert!(smtp.mails_to("harald@example.org").is_empty());
    // The immediate Security-Act notice is not overdue on the day it came
    // (its grace runs from the end of the day of receipt) ...
    assert!(
        !rows_to(&outbox, ids["leif"], "deadline_overdue")
            .contains(&"security_act_notice".to_owned()),
        "{outbox:?}"
    );
    // A day before acknowledgement is due: a reminder to those on the case.
    clock.set(datetime!(2026-03-08 06:00 UTC));
    app.tick().await;
    let outbox = app.db.text_rows(SENT).await;
    // ... and once it is, the lead hears.
    assert!(
        rows_to(&outbox, ids["leif"], "deadline_overdue")
            .contains(&"security_act_notice".to_owned()),
        "{outbox:?}"
    );
    assert!(rows_to(&outbox, ids["hilde"], "deadline_reminder").contains(&"acknowledge".to_owned()));
    assert!(rows_to(&outbox, ids["leif"], "deadline_overdue")
        .iter()
        .all(|d| d != "acknowledge"));
    // Past it: the overdue notice goes to the lead, not to Hilde.
    clock.set(datetime!(2026-03-09 01:00 UTC));
    app.tick().await;
    let outbox = app.db.text_rows(SENT).await;
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
    let evaluation = json!({"outcome": "referred", "evaluation": "Overlatt til PST."});
    let r = app.api_close(&tokens["hilde"], &case, &evaluation).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["error"]["code"], "needs_police_decision");
    for (authority, basis) in [("nsm", "sikkerhetsloven_4_5"), ("pst", "straffeloven_196")] {
        let r = app
            .api_decide(
                &tokens["kari"],
                &case,
                &json!({
                "authority": authority,
                "decision": "escalate",
                "legal_basis": basis,
                "rationale": "RationaleMarker: melding sendt",
                "aware_at": "2026-03-02",
                "decided_at": "2026-03-09T00:40",
                "notified_at": "2026-03-09T00:55",
                "authority_reference": format!("{authority}-2026-17"),
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let view = app.api_case(&tokens["hilde"], &case).await.body;
    assert!(
        deadline(&view, "security_act_notice")["met"].is_string(),
        "the NSM decision meets the Security-Act notice: {view}"
    );
    assert!(deadline(&view, "critical_escalation_decision")["met"].is_string());
    let r = app.api_close(&tokens["hilde"], &case, &evaluation).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // 6. The register and its CSV show the decisions, never the rationale.
    let r = app.api_register(&tokens["knut"], "?authority=pst").await;
    assert_eq!(r.status, StatusCode::OK);
    let register = r.body;
    assert_eq!(register.as_array().unwrap().len(), 1);
    assert_eq!(register[0]["authority_reference"], "pst-2026-17");
    let knut = app.staff_login("knut").await;
    let csv = app.get(&knut, "/contact/register.csv").await.text;
    assert!(
        csv.contains("pst-2026-17") && csv.contains("nsm-2026-17"),
        "{csv}"
    );
    assert!(!csv.contains("RationaleMarker"));

    // 7. The audit chain verifies, and names the entry edited afterwards.
    let verify = || app.command(&["audit", "verify"]);
    let out = verify();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("audit log intact"));
    let entries = app.store.audit_entries().await.unwrap();
    let triaged = entries
        .iter()
        .find(|e| e.action == "case.triaged" && e.case_id.as_deref() == Some(case.as_str()))
        .unwrap()
        .seq;
    app.db
        .execute(&[format!(
            "UPDATE audit_log SET detail = '{{}}' WHERE seq = {triaged}"
        )])
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
