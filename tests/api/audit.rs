//! The audit log through the real binary, on both backends: a flow through the
//! JSON API is recorded (who and what, never content, a code or a username
//! that failed to log in), `varsel audit verify` passes, and after editing,
//! deleting or reordering rows directly in the database it names the first
//! broken entry.

use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;
use varsel::core::audit::AuditEntry;

use crate::app::{Backend, Bind, ServedBinary};
use crate::for_each_backend;

const DESCRIPTION: &str = "AUDIT-MARKER-DESCRIPTION: ulåst PC på møterom 4";
const WHEN: &str = "AUDIT-MARKER-WHEN";
const PLACE: &str = "AUDIT-MARKER-PLACE";
const REPORTER_REPLY: &str = "AUDIT-MARKER-REPORTER-REPLY";
const STAFF_REPLY: &str = "AUDIT-MARKER-STAFF-REPLY";

for_each_backend!(
    a_flow_is_recorded_without_content,
    audit_verify_names_the_first_broken_entry,
);

/// The served binary after a flow: the handler `hanne` was created with
/// `varsel user add`, a report was filed and read by staff and reporter.
struct Scenario {
    served: ServedBinary,
    code: String,
    case_id: String,
    hanne: Uuid,
}

async fn scenario(backend: Backend) -> Scenario {
    let served = ServedBinary::start(backend).await;
    served.add_user("hanne", Some("Hanne Handler"), "handler");
    let code = served
        .report(&json!({
            "category": "avvik",
            "severity": "middels",
            "description": DESCRIPTION,
            "when": WHEN,
            "place": PLACE,
        }))
        .await;

    let staff = served.staff_token("hanne").await;
    let inbox = served.api_inbox(&staff).await;
    let case_id = inbox[0]["id"].as_str().unwrap().to_owned();
    let case = served
        .api_case(&staff, &case_id)
        .await
        .expect(StatusCode::OK);
    assert_eq!(case["report"]["description"], DESCRIPTION);
    served
        .api_set_status(&staff, &case_id, "under_investigation")
        .await
        .expect(StatusCode::OK);
    served
        .api_reply(&staff, &case_id, STAFF_REPLY)
        .await
        .expect(StatusCode::CREATED);

    let reporter = served.reporter_token(&code).await;
    served
        .api_reporter_case(&reporter)
        .await
        .expect(StatusCode::OK);
    served
        .api_reporter_reply(&reporter, REPORTER_REPLY)
        .await
        .expect(StatusCode::CREATED);

    // Failed logins: a known and an unknown username, neither of which may be recorded.
    for username in ["hanne", "nobody-by-this-name"] {
        let body = json!({"username": username, "password": "wrong password, surely"});
        served
            .api_post("/staff/session", None, &body)
            .await
            .expect(StatusCode::UNAUTHORIZED);
    }
    let r = served.api_delete("/staff/session", Some(&staff)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);

    let store = served.db.store().await;
    // The reporter's entries join the chain once their day is over.
    let tomorrow = varsel::core::clock::system_now() + 86_400;
    varsel::core::audit_log::append_finished_days(&*store, tomorrow)
        .await
        .unwrap();
    let hanne = store.user_by_username("hanne").await.unwrap().unwrap().id;
    Scenario {
        served,
        code,
        case_id,
        hanne,
    }
}

impl Scenario {
    async fn entries(&self) -> Vec<AuditEntry> {
        self.served.db.store().await.audit_entries().await.unwrap()
    }

    /// `varsel audit verify`: Ok(stdout) on success, Err(stderr) on failure.
    fn verify(&self) -> Result<String, String> {
        let out = self.served.command(&["audit", "verify"]);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if out.status.success() {
            Ok(stdout)
        } else {
            assert_eq!(stderr.trim_end().lines().count(), 1, "stderr: {stderr}");
            Err(stderr)
        }
    }

    /// Puts the log back exactly as `entries`.
    async fn restore(&self, entries: &[AuditEntry]) {
        const INSERT: &str = "INSERT INTO audit_log \
            (seq, at, actor, action, case_id, detail, prev_hash, hash) \
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        let mut statements = vec![("DELETE FROM audit_log", Vec::new())];
        for e in entries {
            let values = vec![
                Bind::Int(e.seq),
                Bind::Int(e.at),
                Bind::Text(Some(e.actor.clone())),
                Bind::Text(Some(e.action.clone())),
                Bind::Text(e.case_id.clone()),
                Bind::Text(Some(e.detail.clone())),
                Bind::Bytes(e.prev_hash.clone()),
                Bind::Bytes(e.hash.clone()),
            ];
            statements.push((INSERT, values));
        }
        self.served.db.execute_bound(&statements).await;
        assert_eq!(self.entries().await, entries, "log restored");
    }
}

/// The seq of the first entry with `action`.
fn seq_of(entries: &[AuditEntry], action: &str) -> i64 {
    entries
        .iter()
        .find(|e| e.action == action)
        .unwrap_or_else(|| panic!("no {action} entry"))
        .seq
}

async fn a_flow_is_recorded_without_content(backend: Backend) {
    let s = scenario(backend).await;
    let stdout = s.verify().unwrap_or_else(|e| panic!("verify failed: {e}"));
    let entries = s.entries().await;
    assert!(!entries.is_empty());
    assert!(
        stdout.contains(&format!("audit log intact: {} entries", entries.len())),
        "{stdout}"
    );

    let hanne = format!("user:{}", s.hanne);
    let has = |actor: &str, action: &str, case: bool| {
        entries.iter().any(|e| {
            e.actor == actor
                && e.action == action
                && (e.case_id.as_deref() == Some(s.case_id.as_str())) == case
        })
    };
    assert!(has("cli", "user.created", false));
    assert!(has("reporter", "case.created", true));
    assert!(has(&hanne, "staff.login", false));
    assert!(has(&hanne, "case.read", true));
    assert!(has(&hanne, "case.status_changed", true));
    assert!(has(&hanne, "case.message_added", true));
    assert!(has("reporter", "case.read", true));
    assert!(has("reporter", "case.message_added", true));
    assert!(has(&hanne, "staff.logout", false));
    let failed: Vec<&AuditEntry> = entries
        .iter()
        .filter(|e| e.action == "staff.login_failed")
        .collect();
    assert_eq!(failed.len(), 2);
    assert!(failed
        .iter()
        .all(|e| e.actor == "system" && e.detail == "{}"));

    let created = &entries[usize::try_from(seq_of(&entries, "user.created") - 1).unwrap()];
    let detail: Value = serde_json::from_str(&created.detail).unwrap();
    assert_eq!(detail["user_id"], s.hanne.to_string());
    assert_eq!(detail["roles"], json!(["handler"]));
    let changed = &entries[usize::try_from(seq_of(&entries, "case.status_changed") - 1).unwrap()];
    let detail: Value = serde_json::from_str(&changed.detail).unwrap();
    assert_eq!(detail["to"], "under_investigation");
    assert!(detail["from"].is_string());

    // Reporter entries are stamped with the day only.
    for e in entries.iter().filter(|e| e.actor == "reporter") {
        assert_eq!(e.at % 86_400, 0, "{e:?}");
    }

    // Who and what, never content, a code or a name typed at the login form.
    let canonical = s.code.replace('-', "");
    let needles = [
        DESCRIPTION,
        "ulåst",
        WHEN,
        PLACE,
        REPORTER_REPLY,
        STAFF_REPLY,
        s.code.as_str(),
        canonical.as_str(),
        "nobody-by-this-name",
        "hanne",
        "wrong password",
    ];
    for e in &entries {
        let text = format!(
            "{} {} {} {:?} {}",
            e.at, e.actor, e.action, e.case_id, e.detail
        );
        assert!(
            serde_json::from_str::<Value>(&e.detail)
                .unwrap()
                .is_object(),
            "{text}"
        );
        for n in needles {
            assert!(!text.contains(n), "audit entry {} contains {n:?}", e.seq);
        }
    }
    s.served.stop().await;
}

async fn audit_verify_names_the_first_broken_entry(backend: Backend) {
    let s = scenario(backend).await;
    let original = s.entries().await;
    assert!(original.len() >= 8, "{original:?}");
    s.verify().unwrap_or_else(|e| panic!("verify failed: {e}"));
    let created = seq_of(&original, "case.created");
    let read = seq_of(&original, "case.read");
    let login = seq_of(&original, "staff.login");

    let broken_at = |seq: i64, why: &'static str| {
        move |result: Result<String, String>| {
            let stderr = result.expect_err("verify should fail");
            assert!(
                stderr.contains(&format!("audit log broken at entry {seq}: "))
                    && stderr.contains(why),
                "expected entry {seq} ({why}): {stderr}"
            );
        }
    };

    // An edited detail.
    s.served
        .db
        .execute(&[format!(
            "UPDATE audit_log SET detail = '{{\"category\":\"varsling\"}}' WHERE seq = {created}"
        )])
        .await;
    broken_at(created, "do not match its hash")(s.verify());
    s.restore(&original).await;
    s.verify().unwrap();

    // An edited action (hiding a read as something harmless).
    s.served
        .db
        .execute(&[format!(
            "UPDATE audit_log SET action = 'staff.login' WHERE seq = {read}"
        )])
        .await;
    broken_at(read, "do not match its hash")(s.verify());
    s.restore(&original).await;

    // An edited actor.
    s.served
        .db
        .execute(&[format!(
            "UPDATE audit_log SET actor = 'system' WHERE seq = {login}"
        )])
        .await;
    broken_at(login, "do not match its hash")(s.verify());
    s.restore(&original).await;

    // A deleted middle row.
    s.served
        .db
        .execute(&[format!("DELETE FROM audit_log WHERE seq = {read}")])
        .await;
    broken_at(read, "missing")(s.verify());
    s.restore(&original).await;

    // A deleted row with the later ones renumbered to close the gap.
    let mut renumber = vec![format!("DELETE FROM audit_log WHERE seq = {read}")];
    for seq in read + 1..=original.len() as i64 {
        renumber.push(format!(
            "UPDATE audit_log SET seq = {} WHERE seq = {seq}",
            seq - 1
        ));
    }
    s.served.db.execute(&renumber).await;
    broken_at(read, "does not link")(s.verify());
    s.restore(&original).await;

    // Two rows reordered by swapping their seq values.
    let (a, b) = (login, login + 1);
    s.served
        .db
        .execute(&[
            format!("UPDATE audit_log SET seq = -1 WHERE seq = {a}"),
            format!("UPDATE audit_log SET seq = {a} WHERE seq = {b}"),
            format!("UPDATE audit_log SET seq = {b} WHERE seq = -1"),
        ])
        .await;
    broken_at(a, "does not link")(s.verify());
    s.restore(&original).await;

    // A changed hash.
    let hash = &original[usize::try_from(created - 1).unwrap()].hash;
    let mut flipped = hash.clone();
    flipped[0] ^= 0xff;
    let literal = |bytes: &[u8]| match backend {
        Backend::Sqlite => format!("X'{}'", hex::encode(bytes)),
        Backend::Postgres => format!("'\\x{}'::bytea", hex::encode(bytes)),
    };
    s.served
        .db
        .execute(&[format!(
            "UPDATE audit_log SET hash = {} WHERE seq = {created}",
            literal(&flipped)
        )])
        .await;
    broken_at(created, "do not match its hash")(s.verify());
    s.restore(&original).await;

    // The first row removed.
    s.served
        .db
        .execute(&["DELETE FROM audit_log WHERE seq = 1".to_owned()])
        .await;
    broken_at(1, "missing")(s.verify());
    s.restore(&original).await;

    let stdout = s
        .verify()
        .unwrap_or_else(|e| panic!("restored log fails: {e}"));
    assert!(stdout.contains(&format!("audit log intact: {} entries", original.len())));
    s.served.stop().await;
}
