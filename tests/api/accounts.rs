//! The staff account lifecycle (issue 11): deactivation, the refusal that
//! keeps a case readable, reactivation, roles, and the guardrails of groups
//! and routing rules. On both backends, through the admin pages, the API
//! and the CLI, each asserting what a user would notice.

use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;
use varsel::core::casework::RECOVERY_SETTING;

use crate::app::{api_report, rule, Backend, TestApp, PASSWORD};
use crate::for_each_backend;

for_each_backend!(
    a_deactivated_handler_loses_access_and_the_colleague_keeps_the_case,
    a_case_wrapped_to_the_recovery_key_does_not_stop_a_deactivation,
    the_last_holder_of_a_case_is_not_deactivated_and_nothing_changes,
    a_reactivated_account_logs_in_but_sees_no_old_case_until_routed_again,
    a_role_change_ends_sessions_and_guardrails_refuse_with_reasons,
    the_cli_lists_and_changes_accounts,
);

/// avvik → infosec.
async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |s| {
        s.routing.rules = vec![rule("avvik", "infosec")];
    })
    .await
}

/// The case's short reference, as the inbox shows it.
fn reference(case: Uuid) -> String {
    case.simple().to_string()[..8].to_uppercase()
}

/// Whether `username` can log in to the staff pages.
async fn logs_in(app: &TestApp, username: &str) -> bool {
    let client = app.client();
    let r = app.staff_login_attempt(&client, username, PASSWORD).await;
    r.status == StatusCode::SEE_OTHER
}

/// The audit actions, whose chain must verify.
async fn audit_actions(app: &TestApp) -> Vec<String> {
    let entries = app.store.audit_entries().await.unwrap();
    assert_eq!(
        varsel::core::audit::verify(&entries).unwrap(),
        entries.len()
    );
    entries.into_iter().map(|e| e.action).collect()
}

async fn a_deactivated_handler_loses_access_and_the_colleague_keeps_the_case(backend: Backend) {
    let app = spawn(backend).await;
    app.add_staff("ada", &["admin"], &[], None).await;
    let kari = app
        .add_staff("kari", &["handler"], &["infosec"], None)
        .await;
    let per = app.add_staff("per", &["handler"], &["infosec"], None).await;
    app.report(&api_report("avvik", "lav", &[])).await;
    let case = app.held_case_ids(kari).await[0];
    assert_eq!(app.held_case_ids(per).await, [case]);
    let kari_browser = app.staff_login("kari").await;
    app.page(&kari_browser, &format!("/staff/cases/{case}"))
        .await;

    let admin = app.staff_login("ada").await;
    let confirmation = app
        .page(&admin, "/admin/accounts/kari/deactivate?lang=en")
        .await;
    assert!(confirmation.contains("Every session of the account ends"));
    app.deactivate_account(&admin, "kari")
        .await
        .assert_see_other("/admin/accounts/kari?notice=deactivated");

    // The colleague still reads the case.
    let per_token = app.staff_token("per").await;
    app.api_case(&per_token, case).await.expect(StatusCode::OK);
    // Kari cannot log in, and her open browser gets the login page.
    assert!(!logs_in(&app, "kari").await);
    let r = app.get(&kari_browser, "/staff/inbox").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().unwrap_or("").starts_with("/staff/login"));
    // She holds no key and is in no group.
    assert!(app.held_case_ids(kari).await.is_empty());
    let stored = app.store.user_by_id(kari).await.unwrap().unwrap();
    assert!(!stored.active && stored.groups.is_empty());
    let groups = app.store.groups().await.unwrap();
    assert!(groups.iter().all(|g| !g.members.contains(&kari)));

    // The list says so, with the time.
    let list = app.page(&admin, "/admin/accounts?lang=en").await;
    let row = list.split("<tr>").find(|r| r.contains(">kari<")).unwrap();
    // Shown in Oslo time, with its zone.
    assert!(
        row.contains("Deactivated") && (row.contains(" CET") || row.contains(" CEST")),
        "{row}"
    );
    assert!(audit_actions(&app)
        .await
        .contains(&"user.deactivated".to_owned()));
    app.teardown().await;
}

async fn a_case_wrapped_to_the_recovery_key_does_not_stop_a_deactivation(backend: Backend) {
    let app = spawn(backend).await;
    app.add_staff("ada", &["admin"], &[], None).await;
    let kari = app
        .add_staff("kari", &["handler"], &["infosec"], None)
        .await;
    let recovery = varsel_crypto::X25519Identity::generate()
        .to_public()
        .to_string();
    app.store
        .set_setting(RECOVERY_SETTING, &recovery)
        .await
        .unwrap();
    app.report(&api_report("avvik", "lav", &[])).await;
    assert_eq!(app.held_case_ids(kari).await.len(), 1);

    let admin = app.staff_login("ada").await;
    let page = app.page(&admin, "/admin/recovery-key?lang=en").await;
    assert!(page.contains("A recovery key is set") && page.contains(&recovery));

    let token = app.staff_token("ada").await;
    let done = app
        .api_account_action(&token, "kari", "deactivate")
        .await
        .expect(StatusCode::OK);
    assert_eq!(done["case_keys_removed"], 1);
    assert_eq!(done["account"]["active"], false);
    assert!(done["account"]["deactivated_at"].is_string());
    assert!(app.held_case_ids(kari).await.is_empty());
    assert!(!logs_in(&app, "kari").await);
    app.teardown().await;
}

async fn the_last_holder_of_a_case_is_not_deactivated_and_nothing_changes(backend: Backend) {
    let app = spawn(backend).await;
    app.add_staff("ada", &["admin"], &[], None).await;
    let kari = app
        .add_staff("kari", &["handler"], &["infosec"], None)
        .await;
    app.report(&api_report("avvik", "lav", &[])).await;
    let case = app.held_case_ids(kari).await[0];
    let wraps_before = app.store.key_holders(case).await.unwrap();
    let kari_browser = app.staff_login("kari").await;

    // The page: refused, naming the case.
    let admin = app.staff_login("ada").await;
    let refused = app.deactivate_account(&admin, "kari").await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.contains(&reference(case)), "{}", refused.text);
    assert!(refused.contains("Ingenting ble endret"));
    // The API: the same rule, the same case.
    let token = app.staff_token("ada").await;
    let error = app
        .api_account_action(&token, "kari", "deactivate")
        .await
        .expect_error(StatusCode::CONFLICT, "last_key_holder");
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains(&reference(case)));
    // The CLI too.
    let out = app.command(&["user", "deactivate", "--username", "kari"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(&reference(case)));

    // Nothing changed: she logs in, reads the case, is in her group, holds the key.
    assert!(logs_in(&app, "kari").await);
    app.page(&kari_browser, &format!("/staff/cases/{case}"))
        .await;
    let stored = app.store.user_by_id(kari).await.unwrap().unwrap();
    assert!(stored.active);
    assert_eq!(stored.groups, ["infosec"]);
    assert_eq!(app.store.key_holders(case).await.unwrap(), wraps_before);
    assert!(!audit_actions(&app)
        .await
        .contains(&"user.deactivated".to_owned()));
    app.teardown().await;
}

async fn a_reactivated_account_logs_in_but_sees_no_old_case_until_routed_again(backend: Backend) {
    let app = spawn(backend).await;
    app.add_staff("ada", &["admin"], &[], None).await;
    let kari = app
        .add_staff("kari", &["handler"], &["infosec"], None)
        .await;
    app.add_staff("per", &["handler"], &["infosec"], None).await;
    app.report(&api_report("avvik", "lav", &[])).await;
    let old = app.held_case_ids(kari).await[0];
    let admin = app.staff_login("ada").await;
    app.deactivate_account(&admin, "kari")
        .await
        .assert_see_other("/admin/accounts/kari");
    assert!(!logs_in(&app, "kari").await);

    let page = app.page(&admin, "/admin/accounts/kari?lang=en").await;
    assert!(page.contains("no case: access comes back only through the routing rules"));
    app.reactivate_account(&admin, "kari")
        .await
        .assert_see_other("/admin/accounts/kari?notice=reactivated");
    assert!(logs_in(&app, "kari").await);
    let token = app.staff_token("kari").await;
    assert!(app.api_case_ids(&token).await.is_empty());
    assert_eq!(
        app.api_case(&token, old).await.status,
        StatusCode::NOT_FOUND
    );

    // Put in the group again, new cases reach her; the old one does not.
    app.set_account_groups(&admin, "kari", &["infosec"])
        .await
        .assert_see_other("/admin/accounts/kari?notice=groups_set");
    app.report(&api_report("avvik", "lav", &[])).await;
    let ids = app.api_case_ids(&token).await;
    assert_eq!(ids.len(), 1);
    assert_ne!(ids[0], old);
    let actions = audit_actions(&app).await;
    for action in [
        "user.deactivated",
        "user.reactivated",
        "user.groups_changed",
    ] {
        assert!(actions.contains(&action.to_owned()), "{action}");
    }
    app.teardown().await;
}

async fn a_role_change_ends_sessions_and_guardrails_refuse_with_reasons(backend: Backend) {
    let app = spawn(backend).await;
    app.add_staff("ada", &["admin"], &[], None).await;
    let kari = app
        .add_staff("kari", &["handler"], &["infosec"], None)
        .await;
    app.add_staff("revisor", &["auditor"], &[], None).await;
    let token = app.staff_token("ada").await;
    let kari_browser = app.staff_login("kari").await;

    // Setting the same roles again changes nothing and keeps the session.
    app.api_set_roles(&token, "kari", &["handler"])
        .await
        .expect(StatusCode::OK);
    app.page(&kari_browser, "/staff/inbox").await;
    // Adding a role ends it too (the new role may fall under the two-factor
    // requirement her login did not meet).
    let set = app
        .api_set_roles(&token, "kari", &["handler", "auditor"])
        .await
        .expect(StatusCode::OK);
    assert_eq!(set["roles"], json!(["handler", "auditor"]));
    let r = app.get(&kari_browser, "/staff/inbox").await;
    assert!(r.location().unwrap_or("").starts_with("/staff/login"));
    // Taking one away ends a new session as well, and without the handler
    // role she leaves her group.
    let kari_browser = app.staff_login("kari").await;
    app.page(&kari_browser, "/staff/inbox").await;
    app.api_set_roles(&token, "kari", &["auditor"])
        .await
        .expect(StatusCode::OK);
    let r = app.get(&kari_browser, "/staff/inbox").await;
    assert!(r.location().unwrap_or("").starts_with("/staff/login"));
    let stored = app.store.user_by_id(kari).await.unwrap().unwrap();
    assert!(stored.groups.is_empty());

    // An auditor cannot be put in a handler group: page and API, with the reason.
    let admin = app.staff_login("ada").await;
    let refused = app
        .post_form(
            &admin,
            "/admin/groups/members",
            &[("group", "infosec"), ("username", "revisor")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.contains("Bare en konto med rollen saksbehandler"));
    app.api_set_groups(&token, "revisor", &["infosec"])
        .await
        .expect_error(StatusCode::CONFLICT, "not_case_worker");
    let refused = app
        .set_account_groups(&admin, "revisor", &["infosec"])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    app.api_create_account(
        &token,
        &json!({"username": "nils", "roles": ["auditor"], "groups": ["infosec"], "password": PASSWORD}),
    )
    .await
    .expect_error(StatusCode::CONFLICT, "not_case_worker");

    // A rule to a group without an active handler is refused; infosec is
    // empty now that kari is an auditor.
    let mut fields = vec![("category", "sikkerhet"), ("group", "infosec")];
    fields.push(("severity", "lav"));
    let refused = app.post_form(&admin, "/admin/rules", &fields).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.contains("ingen aktiv saksbehandler"),
        "{}",
        refused.text
    );
    assert!(app.store.routing_rules().await.unwrap().is_empty());

    // A new handler, made on the page with a group, logs in; the rule is
    // then accepted.
    app.post_form(
        &admin,
        "/admin/accounts",
        &[
            ("username", "nina"),
            ("display_name", "Nina Nilsen"),
            ("role", "handler"),
            ("group", "infosec"),
            ("password", PASSWORD),
        ],
    )
    .await
    .assert_see_other("/admin/accounts?notice=created");
    assert!(logs_in(&app, "nina").await);
    app.post_form(&admin, "/admin/rules", &fields)
        .await
        .assert_see_other("/admin/rules");
    let short = app
        .api_create_account(
            &token,
            &json!({"username": "ole", "roles": ["handler"], "password": "kort"}),
        )
        .await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    let list = app.api_get("/admin/accounts", Some(&token)).await;
    let list = list.expect(StatusCode::OK);
    let nina = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "nina")
        .unwrap();
    assert_eq!(nina["groups"], json!(["infosec"]));
    let actions = audit_actions(&app).await;
    assert!(actions.contains(&"user.roles_changed".to_owned()));
    assert!(actions.contains(&"user.created".to_owned()));
    app.teardown().await;
}

async fn the_cli_lists_and_changes_accounts(backend: Backend) {
    let app = spawn(backend).await;
    let kari = app
        .add_staff("kari", &["handler"], &["infosec"], None)
        .await;
    app.add_staff("per", &["handler"], &["infosec"], None).await;
    app.report(&api_report("avvik", "lav", &[])).await;

    let out = app.command(&["user", "deactivate", "--username", "kari"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!logs_in(&app, "kari").await);
    let list = app.command(&["user", "list"]);
    let list = String::from_utf8(list.stdout).unwrap();
    let line = list.lines().find(|l| l.starts_with("kari\t")).unwrap();
    assert!(line.contains("deactivated"), "{line}");
    let again = app.command(&["user", "deactivate", "--username", "kari"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("deactivated"));

    let out = app.command(&["user", "reactivate", "--username", "kari"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(logs_in(&app, "kari").await);
    let out = app.command(&["user", "roles", "--username", "kari", "--role", "contact"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stored = app.store.user_by_id(kari).await.unwrap().unwrap();
    assert_eq!(stored.roles, [varsel::core::domain::Role::Contact]);
    // `recovery-key init` records when, which the recovery page shows.
    let init = app.command(&["recovery-key", "init"]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let set_at = app.store.setting("recovery_key_set_at").await.unwrap();
    assert!(set_at.is_some_and(|v| v.parse::<i64>().is_ok()));
    app.add_staff("ada", &["admin"], &[], None).await;
    let admin = app.staff_login("ada").await;
    let page = app.page(&admin, "/admin/recovery-key?lang=en").await;
    assert!(
        page.contains("A recovery key is set") && (page.contains(" CET") || page.contains(" CEST")),
        "{page}"
    );
    assert!(!page.contains("<dd>unknown</dd>"));
    let unknown = app.command(&["user", "reactivate", "--username", "ingen"]);
    assert!(!unknown.status.success());
    let entries = app.store.audit_entries().await.unwrap();
    assert!(entries
        .iter()
        .any(|e| e.action == "user.deactivated" && e.actor == "cli"));
    app.teardown().await;
}
