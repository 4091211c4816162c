//! Passwords and one's own sessions (issue 11): changing a password (API and
//! `varsel user passwd`), recovering a lost one with the organisation's
//! recovery key (`varsel recovery grant`, the real binary), the work factor
//! raised at login, equal scrypt work for every failed login, and listing
//! and ending one's own sessions.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use reqwest::StatusCode;
use uuid::Uuid;
use varsel::core::keys::{scrypt_work, wrapped_work_factor};

use crate::app::{api_report, rule, Backend, TestApp, PASSWORD, TEST_WORK_FACTOR};
use crate::for_each_backend;

for_each_backend!(
    a_password_change_keeps_the_cases_and_ends_the_other_sessions,
    the_command_line_changes_a_password_and_ends_every_session,
    a_lost_password_is_recovered_with_the_recovery_key,
    a_stale_work_factor_is_raised_at_the_next_login,
    every_failed_login_spends_the_work_of_the_factor_in_force,
    own_sessions_are_listed_and_ended,
    the_account_pages_change_the_password_and_end_the_other_sessions,
);

const NEW_PASSWORD: &str = "a much longer new passphrase";

/// Runs `varsel` on `app`'s database with the test work factor.
fn command(app: &TestApp, args: &[&str]) -> Output {
    crate::helpers::varsel()
        .args(args)
        .env("VARSEL_DATABASE__URL", &app.settings.database.url)
        .env(
            "VARSEL_STORAGE__DATA_DIR",
            app.settings.storage.data_dir.display().to_string(),
        )
        .env(
            "VARSEL_SECURITY__PASSWORD_WORK_FACTOR",
            app.settings.security.password_work_factor.to_string(),
        )
        .env("VARSEL_LOG", "warn")
        .output()
        .expect("run varsel")
}

#[track_caller]
fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("{text}\n")).expect("write a file");
    path.display().to_string()
}

fn ids(list: Vec<Uuid>) -> BTreeSet<Uuid> {
    list.into_iter().collect()
}

/// Logins and password changes share a budget per account: room for a test's.
fn roomy(s: &mut varsel::core::settings::Settings) {
    s.rate_limits.staff_logins_per_user_per_minute = 30;
}

async fn a_password_change_keeps_the_cases_and_ends_the_other_sessions(backend: Backend) {
    let app = TestApp::spawn_with(backend, roomy).await;
    let hanne = app.add_staff("hanne", &["handler"], &[], None).await;
    app.report(&api_report("avvik", "middels", &[])).await;
    let recipient = app
        .store
        .user_by_id(hanne)
        .await
        .unwrap()
        .unwrap()
        .recipient;
    let token = app.staff_token("hanne").await;
    let other = app.staff_token("hanne").await;
    let browser = app.staff_login("hanne").await;
    let case = app.api_only_case(&token).await;

    app.api_change_password(&token, "not the password", NEW_PASSWORD)
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "wrong_current_password");
    app.api_change_password(&token, PASSWORD, "too short")
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "password_too_short");
    assert_eq!(app.api_own_sessions(&other).await.len(), 3, "nothing ended");

    let changed = app
        .api_change_password(&token, PASSWORD, NEW_PASSWORD)
        .await
        .expect(StatusCode::OK);
    assert_eq!(changed["sessions_ended"], 2);

    // The other sessions are over; the one the change came from stays.
    assert_eq!(
        app.api_get("/staff/cases", Some(&other)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let inbox = browser
        .client
        .get(app.url("/staff/inbox"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        inbox.status(),
        StatusCode::SEE_OTHER,
        "the browser is logged out"
    );
    app.api_case(&token, case).await.expect(StatusCode::OK);

    // The old password fails, the new one opens the same cases.
    app.api_staff_login_with("hanne", PASSWORD)
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "login_failed");
    let fresh = app.staff_token_with("hanne", NEW_PASSWORD).await;
    assert_eq!(app.api_only_case(&fresh).await, case);
    app.api_case(&fresh, case).await.expect(StatusCode::OK);

    // Same key pair: no case was re-encrypted.
    let user = app.store.user_by_id(hanne).await.unwrap().unwrap();
    assert_eq!(user.recipient, recipient);
    assert!(app
        .audit_actions()
        .await
        .contains(&"user.password_changed".to_owned()));

    // Guessing the current password through a stolen session is as limited
    // as guessing it at the login.
    let mut refused = 0;
    for _ in 0..31 {
        let r = app
            .api_change_password(&fresh, "a guess", NEW_PASSWORD)
            .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
        }
    }
    assert!(refused > 0, "the login budget applies");
    app.teardown().await;
}

async fn the_command_line_changes_a_password_and_ends_every_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_staff("hanne", &["handler"], &[], None).await;
    app.report(&api_report("avvik", "middels", &[])).await;
    let token = app.staff_token("hanne").await;
    let case = app.api_only_case(&token).await;
    let dir = tempfile::tempdir().unwrap();
    let old = write(dir.path(), "old", PASSWORD);
    let wrong = write(dir.path(), "wrong", "not the password at all");
    let new = write(dir.path(), "new", NEW_PASSWORD);

    let refused = command(
        &app,
        &[
            "user",
            "passwd",
            "--username",
            "hanne",
            "--password-file",
            &wrong,
            "--new-password-file",
            &new,
        ],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("current password is wrong"));
    app.api_case(&token, case).await.expect(StatusCode::OK);

    succeeded(&command(
        &app,
        &[
            "user",
            "passwd",
            "--username",
            "hanne",
            "--password-file",
            &old,
            "--new-password-file",
            &new,
        ],
    ));
    assert_eq!(
        app.api_get("/staff/cases", Some(&token)).await.status,
        StatusCode::UNAUTHORIZED,
        "every session ends"
    );
    app.api_staff_login_with("hanne", PASSWORD)
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "login_failed");
    let fresh = app.staff_token_with("hanne", NEW_PASSWORD).await;
    app.api_case(&fresh, case).await.expect(StatusCode::OK);
    app.teardown().await;
}

async fn a_lost_password_is_recovered_with_the_recovery_key(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.routing.rules = vec![rule("varsling", "hr")];
    })
    .await;
    let hanne = app.add_staff("hanne", &["handler"], &["hr"], None).await;
    let ivar = app.add_staff("ivar", &["handler"], &["hr"], None).await;
    app.add_staff("olga", &["handler"], &["it"], None).await;
    // Before the recovery key: it cannot be recovered.
    app.report(&api_report("varsling", "middels", &[])).await;
    let before = ids(app.held_case_ids(hanne).await);
    assert_eq!(before.len(), 1);

    let dir = tempfile::tempdir().unwrap();
    let init = command(&app, &["recovery-key", "init"]);
    let identity = write(dir.path(), "recovery.key", &succeeded(&init));

    app.report(&api_report("varsling", "middels", &[])).await; // hanne and ivar
    app.report(&api_report("avvik", "middels", &[])).await; // no rule: every handler
    app.report(&api_report("varsling", "hoy", &[hanne])).await; // hanne excluded
    let all_of_hanne = ids(app.held_case_ids(hanne).await);
    assert_eq!(all_of_hanne.len(), 3);
    let recoverable: BTreeSet<Uuid> = all_of_hanne.difference(&before).copied().collect();
    let excluded: BTreeSet<Uuid> = ids(app.held_case_ids(ivar).await)
        .difference(&all_of_hanne)
        .copied()
        .collect();
    assert_eq!(excluded.len(), 1);
    let old_token = app.staff_token("hanne").await;

    let new = write(dir.path(), "new", NEW_PASSWORD);
    let summary = succeeded(&command(
        &app,
        &[
            "recovery",
            "grant",
            "--identity-file",
            &identity,
            "--username",
            "hanne",
            "--new-password-file",
            &new,
        ],
    ));
    assert!(summary.contains("2 of 3 recoverable"), "{summary}");

    // Her sessions are over; the old password fails; the new one opens the
    // recoverable cases routed to her, not the excluded one, not the old one.
    assert_eq!(
        app.api_get("/staff/cases", Some(&old_token)).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.api_staff_login_with("hanne", PASSWORD)
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "login_failed");
    let token = app.staff_token_with("hanne", NEW_PASSWORD).await;
    assert_eq!(ids(app.api_case_ids(&token).await), recoverable);
    for case in &recoverable {
        app.api_case(&token, case).await.expect(StatusCode::OK);
    }
    for case in before.iter().chain(&excluded) {
        assert_eq!(
            app.api_case(&token, case).await.status,
            StatusCode::NOT_FOUND
        );
    }
    // Nobody else lost anything.
    assert_eq!(app.api_case_ids_of("ivar").await.len(), 4);

    // A wrong identity changes nothing.
    let stranger = write(
        dir.path(),
        "stranger.key",
        &varsel_crypto::X25519Identity::generate().to_bech32(),
    );
    let refused = command(
        &app,
        &[
            "recovery",
            "grant",
            "--identity-file",
            &stranger,
            "--username",
            "hanne",
            "--new-password-file",
            &new,
        ],
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not the organisation's recovery key")
    );
    app.api_case_ids(&token).await;

    let entries = app.audit_entries_after_the_day().await;
    let recovered = entries
        .iter()
        .find(|e| e.action == "user.key_recovered")
        .expect("audited");
    let detail = recovered.detail.to_string();
    assert!(detail.contains("\"granted\":2"), "{detail}");
    app.teardown().await;
}

async fn a_stale_work_factor_is_raised_at_the_next_login(backend: Backend) {
    let in_force = TEST_WORK_FACTOR + 1;
    let app = TestApp::spawn_with(backend, |s| s.security.password_work_factor = in_force).await;
    let hanne = app.add_staff("hanne", &["handler"], &[], None).await; // at TEST_WORK_FACTOR
    app.report(&api_report("avvik", "middels", &[])).await;
    let stored = app.store.user_by_id(hanne).await.unwrap().unwrap();
    assert_eq!(
        wrapped_work_factor(&stored.wrapped_identity),
        Some(TEST_WORK_FACTOR)
    );

    let token = app.staff_token("hanne").await;
    let raised = app.store.user_by_id(hanne).await.unwrap().unwrap();
    assert_eq!(
        wrapped_work_factor(&raised.wrapped_identity),
        Some(in_force)
    );
    assert_eq!(raised.recipient, stored.recipient, "the same key pair");
    let case = app.api_only_case(&token).await;
    app.api_case(&token, case).await.expect(StatusCode::OK);
    let again = app.staff_token("hanne").await;
    app.api_case(&again, case).await.expect(StatusCode::OK);
    let actions = app.audit_actions().await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "user.key_rewrapped")
            .count(),
        1,
        "re-wrapped once"
    );
    app.teardown().await;
}

async fn every_failed_login_spends_the_work_of_the_factor_in_force(backend: Backend) {
    let in_force = TEST_WORK_FACTOR + 1;
    let app = TestApp::spawn_with(backend, |s| s.security.password_work_factor = in_force).await;
    // Wrapped at the factor in force by a first login.
    app.add_staff("current", &["handler"], &[], None).await;
    app.staff_token("current").await;
    // Still at the older, lower factor.
    let stale = app.add_staff("stale", &["handler"], &[], None).await;

    let checks = &app.state.password_checks;
    for (username, password) in [
        ("nobody", PASSWORD),
        ("current", "wrong password!"),
        ("stale", "wrong password!"),
    ] {
        let before = checks.work_spent();
        app.api_staff_login_with(username, password)
            .await
            .expect_error(StatusCode::UNAUTHORIZED, "login_failed");
        assert_eq!(
            checks.work_spent() - before,
            scrypt_work(in_force),
            "{username} spends 2^{in_force}"
        );
    }
    let key = app
        .store
        .user_by_id(stale)
        .await
        .unwrap()
        .unwrap()
        .wrapped_identity;
    assert_eq!(
        wrapped_work_factor(&key),
        Some(TEST_WORK_FACTOR),
        "no re-wrap on failure"
    );
    app.teardown().await;
}

async fn own_sessions_are_listed_and_ended(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_staff("hanne", &["handler"], &[], None).await;
    app.add_staff("ivar", &["handler"], &[], None).await;
    let token = app.staff_token("hanne").await;
    let second = app.staff_token("hanne").await;
    let browser = app.staff_login("hanne").await;
    let ivars = app.staff_token("ivar").await;

    let listed = app.api_own_sessions(&token).await;
    assert_eq!(listed.len(), 3);
    let text = serde_json::to_string(&listed).unwrap();
    assert!(!text.contains(&token) && !text.contains(&second));
    for s in &listed {
        let keys: BTreeSet<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            BTreeSet::from(["id", "channel", "started", "last_seen", "current"]),
            "no address, no user agent"
        );
        assert_eq!(s["id"].as_str().unwrap().len(), 32);
    }
    let current: Vec<&serde_json::Value> = listed.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(
        listed.iter().filter(|s| s["channel"] == "pages").count(),
        1,
        "the browser's"
    );

    // Someone else's session is not one's own to end.
    let ivar_session = app.api_own_sessions(&ivars).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.api_end_own_session(&token, &ivar_session).await.status,
        StatusCode::NOT_FOUND
    );
    app.api_case_ids(&ivars).await;

    // End the other API session: it stops working, the rest go on.
    let second_id = app
        .api_own_sessions(&second)
        .await
        .into_iter()
        .find(|s| s["current"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.api_end_own_session(&token, &second_id).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.api_get("/staff/cases", Some(&second)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let inbox = browser
        .client
        .get(app.url("/staff/inbox"))
        .send()
        .await
        .unwrap();
    assert_eq!(inbox.status(), StatusCode::OK);
    assert_eq!(app.api_own_sessions(&token).await.len(), 2);

    // And one's own: this token ends.
    let own = current[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.api_end_own_session(&token, &own).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.api_get("/account/sessions", Some(&token)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(app
        .audit_actions()
        .await
        .contains(&"user.sessions_ended".to_owned()));
    app.teardown().await;
}

async fn the_account_pages_change_the_password_and_end_the_other_sessions(backend: Backend) {
    let app = TestApp::spawn_with(backend, roomy).await;
    app.add_staff("hanne", &["auditor"], &[], None).await;
    let browser = app.staff_login("hanne").await;
    let token = app.staff_token("hanne").await;
    let account = app.page(&browser.client, "/staff/account").await;
    assert!(account.contains("action=\"/staff/account/password\""));

    let refused = app
        .post_form(
            &browser,
            "/staff/account/password",
            &[
                ("current_password", "wrong"),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("password-error"));
    app.api_own_sessions(&token).await;

    // The sessions page names both, and ends the other.
    let sessions = app.page(&browser.client, "/staff/account/sessions").await;
    assert_eq!(sessions.matches("id=\"session-").count(), 2);
    assert!(!sessions.contains(&token));
    let ended = app
        .post_form(&browser, "/staff/account/sessions/end-others", &[])
        .await;
    ended.assert_see_other("/staff/account/sessions");
    assert_eq!(
        app.api_get("/account/sessions", Some(&token)).await.status,
        StatusCode::UNAUTHORIZED
    );

    let changed = app
        .post_form(
            &browser,
            "/staff/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    assert!(changed.text.contains("password-changed"));
    app.staff_token_with("hanne", NEW_PASSWORD).await;
    app.teardown().await;
}
