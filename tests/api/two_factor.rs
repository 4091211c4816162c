//! Two-factor login for staff (issue 11): TOTP codes computed here from the
//! secret the set-up page shows, at the test clock's time; recovery codes;
//! the code page after the password, the account page, the administrators'
//! setting, and the API login.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::json;
use time::macros::datetime;
use time::Duration;
use varsel::core::clock::{Clock, ManualClock};
use varsel::core::settings::Settings;
use varsel::core::totp::TotpSecret;

use crate::app::{recovery_codes_on, totp_secret_on, Backend, PageSession, TestApp, PASSWORD};
use crate::for_each_backend;

for_each_backend!(
    required_two_factor_enrols_at_login_then_asks_for_a_code_used_once,
    recovery_codes_work_once_each_on_the_page_and_in_the_api,
    an_upgraded_key_keeps_the_second_factor_and_its_recovery_codes,
    the_api_login_needs_a_second_factor_only_after_the_right_password,
    the_account_page_sets_up_two_factor_and_re_enrolment_needs_proof,
    the_api_sets_up_two_factor_for_the_caller,
    a_pending_login_ends_after_five_wrong_codes_or_five_minutes,
    an_operator_resets_a_lost_second_factor,
);

/// Many logins of one account within a minute of a clock that stands still.
fn generous_limits(s: &mut Settings) {
    s.rate_limits.staff_logins_per_minute = 10_000;
    s.rate_limits.staff_logins_per_user_per_minute = 10_000;
    s.rate_limits.staff_logins_per_device_per_minute = 10_000;
}

async fn app_with_clock(backend: Backend) -> (TestApp, ManualClock) {
    let clock = ManualClock::new(datetime!(2026-09-01 10:00:10 UTC));
    let app = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), generous_limits).await;
    app.add_staff("admin", &["admin"], &[], None).await;
    app.add_staff("h1", &["handler"], &["hr"], None).await;
    (app, clock)
}

/// The code of `secret` at the clock's time.
fn code_now(secret: &TotpSecret, clock: &ManualClock) -> String {
    secret
        .code_at(clock.now().unix_timestamp())
        .as_str()
        .to_owned()
}

/// A six-digit code that is not `code`.
fn wrong(code: &str) -> String {
    let first = if code.starts_with('0') { '1' } else { '0' };
    format!("{first}{}", &code[1..])
}

/// Requires two factors of handlers; h1 enrols at their login. The secret.
async fn enrol_h1_at_login(app: &TestApp, clock: &ManualClock) -> TotpSecret {
    let admin = app.staff_login("admin").await;
    app.require_two_factor(&admin, "roles", &["handler"])
        .await
        .assert_see_other("/admin/security");
    let client = app.client();
    app.staff_login_attempt(&client, "h1", PASSWORD)
        .await
        .assert_see_other("/staff/login/code");
    let page = app.get(&client, "/staff/login/code").await;
    let secret = totp_secret_on(&page.text);
    let answer = app.login_code(&client, &code_now(&secret, clock)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(recovery_codes_on(&answer.text).len(), 10);
    secret
}

async fn required_two_factor_enrols_at_login_then_asks_for_a_code_used_once(backend: Backend) {
    let (app, clock) = app_with_clock(backend).await;
    let admin = app.staff_login("admin").await;
    // Nobody is required at first: h1 logs in with the password alone.
    app.staff_login("h1").await;
    let r = app.require_two_factor(&admin, "roles", &["handler"]).await;
    r.assert_see_other("/admin/security");
    let security = app.page(&admin, "/admin/security").await;
    assert!(security.contains("<td>h1</td>"), "{security}");

    // Required but not enrolled: the password leads to set-up, not to a session.
    let client = app.client();
    let r = app.staff_login_attempt(&client, "h1", PASSWORD).await;
    r.assert_see_other("/staff/login/code");
    app.get(&client, "/staff/inbox")
        .await
        .assert_see_other("/staff/login");
    let page = app.get(&client, "/staff/login/code").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("<svg"), "a QR code drawn on the page");
    assert!(!page.text.contains("http://") && !page.text.contains("https://"));
    assert!(page.text.contains("otpauth://totp/Varsel:h1?secret="));
    let secret = totp_secret_on(&page.text);

    // A wrong code is refused; the right one completes enrolment and login.
    let code = code_now(&secret, &clock);
    let r = app.login_code(&client, &wrong(&code)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app.login_code(&client, &code).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(recovery_codes_on(&r.text).len(), 10);
    assert_eq!(
        app.get(&client, "/staff/inbox").await.status,
        StatusCode::OK
    );

    // Next login: the code page asks for a code (no set-up). The code used
    // at enrolment is not accepted again, even within its 30 seconds.
    let (r, _) = app.staff_login_with_code("h1", &code).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Without a code there is no session; the next step's code works, once.
    clock.advance(Duration::seconds(30));
    let next = code_now(&secret, &clock);
    let (r, browser) = app.staff_login_with_code("h1", &next).await;
    r.assert_see_other("/staff/inbox");
    assert_eq!(
        app.get(&browser, "/staff/inbox").await.status,
        StatusCode::OK
    );
    let (r, _) = app.staff_login_with_code("h1", &next).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let actions = app.audit_actions().await;
    for expected in [
        "two_factor.requirement_set",
        "two_factor.enrolled",
        "two_factor.failed",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected}: {actions:?}"
        );
    }
    let entries = app.audit_entries_after_the_day().await;
    assert!(entries
        .iter()
        .any(|e| e.action == "staff.login" && e.detail.contains("\"totp\"")));
}

async fn recovery_codes_work_once_each_on_the_page_and_in_the_api(backend: Backend) {
    let (app, clock) = app_with_clock(backend).await;
    let admin = app.staff_login("admin").await;
    app.require_two_factor(&admin, "roles", &["handler"]).await;
    let client = app.client();
    app.staff_login_attempt(&client, "h1", PASSWORD).await;
    let secret = totp_secret_on(&app.page(&client, "/staff/login/code").await);
    let r = app.login_code(&client, &code_now(&secret, &clock)).await;
    let codes = recovery_codes_on(&r.text);

    // On the page: a recovery code logs in, once.
    let (r, _) = app.staff_login_with_code("h1", &codes[0]).await;
    r.assert_see_other("/staff/inbox");
    let (r, _) = app.staff_login_with_code("h1", &codes[0]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Typed without dashes and in capitals, another one works.
    let typed = codes[1].replace('-', "").to_uppercase();
    let (r, _) = app.staff_login_with_code("h1", &typed).await;
    r.assert_see_other("/staff/inbox");

    // In the API: once.
    let r = app
        .api_staff_login_extra("h1", json!({"recovery_code": codes[2]}))
        .await;
    r.expect(StatusCode::CREATED);
    let r = app
        .api_staff_login_extra("h1", json!({"recovery_code": codes[2]}))
        .await;
    r.expect_error(StatusCode::UNAUTHORIZED, "second_factor_failed");

    let entries = app.audit_entries_after_the_day().await;
    assert!(entries
        .iter()
        .any(|e| e.action == "staff.login" && e.detail.contains("recovery_code")));
}

async fn the_api_login_needs_a_second_factor_only_after_the_right_password(backend: Backend) {
    let (app, clock) = app_with_clock(backend).await;
    // Required but not set up: the API says so (after the password).
    let admin = app.staff_login("admin").await;
    app.require_two_factor(&admin, "all", &[]).await;
    app.api_staff_login_extra("h1", json!({}))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "second_factor_enrolment_required");
    app.require_two_factor(&admin, "none", &[]).await;

    let secret = enrol_h1_at_login(&app, &clock).await;
    // The wrong password is the plain login failure, code or not.
    let r = app
        .api_post(
            "/staff/session",
            None,
            &json!({"username": "h1", "password": "wrong", "totp": "123456"}),
        )
        .await;
    r.expect_error(StatusCode::UNAUTHORIZED, "login_failed");
    // The right password without a code: a second factor is needed.
    app.api_staff_login_extra("h1", json!({}))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "second_factor_required");
    clock.advance(Duration::seconds(30));
    let code = code_now(&secret, &clock);
    app.api_staff_login_extra("h1", json!({"totp": wrong(&code)}))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "second_factor_failed");
    let body = app
        .api_staff_login_extra("h1", json!({"totp": code}))
        .await
        .expect(StatusCode::CREATED);
    let token = body["token"].as_str().expect("a token").to_owned();
    app.api_get("/staff/cases", Some(&token))
        .await
        .expect(StatusCode::OK);
    // Not twice.
    app.api_staff_login_extra("h1", json!({"totp": code}))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "second_factor_failed");
    // Still required for h1 though the requirement is lifted: h1 is enrolled.
    app.require_two_factor(&admin, "none", &[]).await;
    app.api_staff_login_extra("h1", json!({}))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "second_factor_required");
}

async fn the_account_page_sets_up_two_factor_and_re_enrolment_needs_proof(backend: Backend) {
    let (app, clock) = app_with_clock(backend).await;
    let h1: PageSession = app.staff_login("h1").await;
    let page = app.page(&h1, "/staff/inbox").await;
    assert!(page.contains("href=\"/staff/account\""));
    let page = app.page(&h1, "/staff/account").await;
    assert!(page.contains("href=\"/staff/account/two-factor\""));
    let page = app.page(&h1, "/staff/account/two-factor").await;
    assert!(!page.contains("<svg"));
    app.post_form(&h1, "/staff/account/two-factor/setup", &[])
        .await
        .assert_see_other("/staff/account/two-factor");
    let page = app.page(&h1, "/staff/account/two-factor").await;
    assert!(page.contains("<svg"));
    assert!(!page.contains("http://") && !page.contains("https://"));
    let secret = totp_secret_on(&page);
    // Not in effect before it is confirmed: the password alone still logs in.
    app.staff_login("h1").await;
    let r = app
        .post_form(
            &h1,
            "/staff/account/two-factor/confirm",
            &[("code", &code_now(&secret, &clock))],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let first_codes = recovery_codes_on(&r.text);
    // Now in effect.
    app.api_staff_login_extra("h1", json!({}))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "second_factor_required");

    // Re-enrolment needs a current code or the password.
    let r = app
        .post_form(&h1, "/staff/account/two-factor/setup", &[("proof", "nope")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    app.post_form(
        &h1,
        "/staff/account/two-factor/setup",
        &[("proof", PASSWORD)],
    )
    .await
    .assert_see_other("/staff/account/two-factor");
    let new_secret = totp_secret_on(&app.page(&h1, "/staff/account/two-factor").await);
    clock.advance(Duration::seconds(30));
    // Until confirmed, the old secret is the one that works.
    let old_code = code_now(&secret, &clock);
    let r = app
        .post_form(
            &h1,
            "/staff/account/two-factor/recovery-codes",
            &[("proof", &old_code)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let renewed = recovery_codes_on(&r.text);
    assert_eq!(renewed.len(), 10);
    // The old recovery codes stopped working.
    app.api_staff_login_extra("h1", json!({"recovery_code": first_codes[0]}))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "second_factor_failed");
    clock.advance(Duration::seconds(30));
    let r = app
        .post_form(
            &h1,
            "/staff/account/two-factor/confirm",
            &[("code", &code_now(&new_secret, &clock))],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    clock.advance(Duration::seconds(30));
    app.api_staff_login_extra("h1", json!({"totp": code_now(&secret, &clock)}))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "second_factor_failed");
    app.api_staff_login_extra("h1", json!({"totp": code_now(&new_secret, &clock)}))
        .await
        .expect(StatusCode::CREATED);
}

async fn the_api_sets_up_two_factor_for_the_caller(backend: Backend) {
    let (app, clock) = app_with_clock(backend).await;
    let token = app.staff_token("h1").await;
    let state = app
        .api_get("/account/two-factor", Some(&token))
        .await
        .expect(StatusCode::OK);
    assert_eq!(state["enrolled"], false);
    assert!(state["setup"].is_null());
    let setup = app
        .api_post("/account/two-factor/setup", Some(&token), &json!({}))
        .await
        .expect(StatusCode::CREATED);
    let uri = setup["otpauth_uri"].as_str().expect("a URI");
    assert!(uri.starts_with("otpauth://totp/Varsel:h1?secret="));
    let secret =
        TotpSecret::from_base32(setup["secret"].as_str().expect("a secret")).expect("base32");
    app.api_post(
        "/account/two-factor/confirm",
        Some(&token),
        &json!({"code": "12"}),
    )
    .await
    .expect(StatusCode::BAD_REQUEST);
    let code = code_now(&secret, &clock);
    let codes = app
        .api_post(
            "/account/two-factor/confirm",
            Some(&token),
            &json!({"code": code}),
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(codes["recovery_codes"].as_array().map(Vec::len), Some(10));
    let state = app
        .api_get("/account/two-factor", Some(&token))
        .await
        .expect(StatusCode::OK);
    assert_eq!(state["enrolled"], true);
    assert_eq!(state["recovery_codes_left"], 10);
    // Once enrolled, a new secret or new codes need proof.
    app.api_post("/account/two-factor/setup", Some(&token), &json!({}))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "second_factor_failed");
    app.api_post(
        "/account/two-factor/recovery-codes",
        Some(&token),
        &json!({"proof": PASSWORD}),
    )
    .await
    .expect(StatusCode::OK);
    app.api_staff_login_extra("h1", json!({}))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "second_factor_required");
}

async fn a_pending_login_ends_after_five_wrong_codes_or_five_minutes(backend: Backend) {
    let (app, clock) = app_with_clock(backend).await;
    let secret = enrol_h1_at_login(&app, &clock).await;
    clock.advance(Duration::seconds(30));
    let code = code_now(&secret, &clock);

    // Five wrong codes, then the pending login is gone, right code or not.
    let client = app.client();
    app.staff_login_attempt(&client, "h1", PASSWORD)
        .await
        .assert_see_other("/staff/login/code");
    for _ in 0..4 {
        let r = app.login_code(&client, &wrong(&code)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // The fifth wrong code uses up the last attempt: back to the password.
    app.login_code(&client, &wrong(&code))
        .await
        .assert_see_other("/staff/login");
    app.get(&client, "/staff/login/code")
        .await
        .assert_see_other("/staff/login");
    let r = app
        .post_form_with_token(
            &client,
            Some(&app.get(&client, "/staff/login").await.csrf()),
            "/staff/login/code",
            &[("code", &code)],
        )
        .await;
    r.assert_see_other("/staff/login");
    app.get(&client, "/staff/inbox")
        .await
        .assert_see_other("/staff/login");

    // A pending login waits five minutes, no longer.
    let client = app.client();
    app.staff_login_attempt(&client, "h1", PASSWORD)
        .await
        .assert_see_other("/staff/login/code");
    clock.advance(Duration::minutes(5));
    app.get(&client, "/staff/login/code")
        .await
        .assert_see_other("/staff/login");
    // The code was never used: a new login takes it.
    let (r, _) = app
        .staff_login_with_code("h1", &code_now(&secret, &clock))
        .await;
    r.assert_see_other("/staff/inbox");
}

/// Someone who lost both the authenticator and the recovery codes: the
/// operator deletes the second factor at the command line; their sessions
/// end and the next login sets one up again.
async fn an_operator_resets_a_lost_second_factor(backend: Backend) {
    let (app, clock) = app_with_clock(backend).await;
    let secret = enrol_h1_at_login(&app, &clock).await;
    let admin = app.staff_login("admin").await;
    app.require_two_factor(&admin, "none", &[]).await;
    clock.advance(Duration::seconds(30));
    let code = code_now(&secret, &clock);
    let body = app
        .api_staff_login_extra("h1", json!({"totp": code}))
        .await
        .expect(StatusCode::CREATED);
    let h1_token = body["token"].as_str().expect("a token").to_owned();
    app.api_staff_login_extra("h1", json!({}))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "second_factor_required");

    let out = app.command(&["user", "reset-two-factor", "--username", "h1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The old session is gone; with no requirement the password alone works.
    app.api_get("/staff/cases", Some(&h1_token))
        .await
        .expect(StatusCode::UNAUTHORIZED);
    app.api_staff_login_extra("h1", json!({}))
        .await
        .expect(StatusCode::CREATED);
    let actions = app.audit_actions().await;
    assert!(
        actions.iter().any(|a| a == "two_factor.forgotten"),
        "{actions:?}"
    );
    app.teardown().await;
}

/// An account enrolled while its key was X25519 keeps its second factor
/// when the key is upgraded to a hybrid one at login: the TOTP secret is
/// sealed again to the new key, and recovery codes made before still work.
async fn an_upgraded_key_keeps_the_second_factor_and_its_recovery_codes(backend: Backend) {
    let clock = ManualClock::new(datetime!(2026-09-01 10:00:10 UTC));
    let before = TestApp::spawn_with_clock(backend, Arc::new(clock.clone()), |s| {
        generous_limits(s);
        s.security.hybrid_keys = false;
    })
    .await;
    before.add_staff("admin", &["admin"], &[], None).await;
    let h1 = before.add_staff("h1", &["handler"], &["hr"], None).await;
    let admin = before.staff_login("admin").await;
    before
        .require_two_factor(&admin, "roles", &["handler"])
        .await;
    let client = before.client();
    before.staff_login_attempt(&client, "h1", PASSWORD).await;
    let secret = totp_secret_on(&before.page(&client, "/staff/login/code").await);
    let r = before.login_code(&client, &code_now(&secret, &clock)).await;
    let codes = recovery_codes_on(&r.text);
    let user = before.store.user_by_id(h1).await.unwrap().unwrap();
    assert!(!user.recipient.starts_with("age1pq1"), "an X25519 key");

    // The same database, now with hybrid keys: the next login upgrades.
    let app = TestApp::spawn_on_with_clock(before.into_database(), Arc::new(clock.clone()), |s| {
        generous_limits(s);
    })
    .await;
    clock.advance(Duration::seconds(30));
    app.api_staff_login_extra("h1", json!({"totp": code_now(&secret, &clock)}))
        .await
        .expect(StatusCode::CREATED);
    let user = app.store.user_by_id(h1).await.unwrap().unwrap();
    assert!(user.recipient.starts_with("age1pq1"), "upgraded");
    let sealed = app
        .store
        .two_factor(h1)
        .await
        .unwrap()
        .and_then(|t| t.sealed_secret)
        .expect("a confirmed secret");
    let header = String::from_utf8_lossy(&sealed[..sealed.len().min(64)]).into_owned();
    assert!(header.contains("-> mlkem768x25519 "), "{header}");

    // The authenticator goes on working, and so does a recovery code.
    clock.advance(Duration::seconds(30));
    app.api_staff_login_extra("h1", json!({"totp": code_now(&secret, &clock)}))
        .await
        .expect(StatusCode::CREATED);
    app.api_staff_login_extra("h1", json!({"recovery_code": codes[0]}))
        .await
        .expect(StatusCode::CREATED);
    app.api_staff_login_extra("h1", json!({"recovery_code": codes[0]}))
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "second_factor_failed");
    let upgrades = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|a| a == "user.key_upgraded")
        .count();
    assert_eq!(upgrades, 1);
}
