//! Single sign-on for staff with OpenID Connect (issue 11, part 3), through
//! a real provider (`oidc-provider` under Node.js, `tests/oidc`): the
//! provider only says who someone is; the case key opens only with the
//! passphrase, asked by Varsel after the provider's answer.

use reqwest::StatusCode;
use uuid::Uuid;

use crate::app::{Backend, SeededCase, Service, SsoApp, PASSWORD};
use crate::for_each_backend;

/// What the seeded case's report says.
const REPORT: &str = "Leverandøren fikk tilgang til lønnssystemet uten avtale.";

/// A handler `hanne`, linked to subject `hanne@idp`, holding one case.
async fn linked_handler_with_a_case(app: &SsoApp) -> Uuid {
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    app.link("hanne", "hanne@idp").await;
    let (case, _) = app
        .seed_case(SeededCase::new("avvik", "middels").held_by(&[hanne]))
        .await;
    case
}

/// Whether `client` has no staff session: the inbox sends it to the login page.
async fn assert_signed_out(service: &Service, client: &reqwest::Client) {
    service
        .get(client, "/staff/inbox")
        .await
        .assert_see_other("/staff/login");
}

async fn sso_and_the_right_passphrase_open_the_handlers_cases(backend: Backend) {
    let app = SsoApp::spawn(backend).await;
    let case = linked_handler_with_a_case(&app).await;
    let browser = app.client();

    let landed = app.sso_login(&browser, "hanne@idp").await;
    assert!(
        landed.url.ends_with("/staff/login/passphrase"),
        "{}",
        landed.url
    );
    assert_eq!(landed.page.status, StatusCode::OK, "{}", landed.page.text);
    assert!(landed.page.contains("name=\"passphrase\""));
    // Authenticated by the provider, but no session yet: the key is locked.
    assert_signed_out(&app, &browser).await;

    let unlocked = app.unlock_key(&browser, PASSWORD).await;
    unlocked.assert_see_other("/staff/inbox");
    assert!(unlocked.cookie("varsel_session").is_some());
    app.inbox_row(&browser, case).await;
    let case_page = app.page(&browser, &format!("/staff/cases/{case}")).await;
    assert!(case_page.contains(REPORT), "{case_page}");

    // The login's state was used up: the passphrase page is gone.
    app.get(&browser, "/staff/login/passphrase")
        .await
        .assert_see_other("/staff/login");
    let actions = app.audit_actions().await;
    for action in ["staff.sso_authenticated", "staff.sso_login", "case.read"] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
    app.app.teardown().await;
}

async fn a_wrong_passphrase_after_sso_opens_nothing(backend: Backend) {
    let app = SsoApp::spawn(backend).await;
    let case = linked_handler_with_a_case(&app).await;
    let browser = app.client();
    app.sso_login(&browser, "hanne@idp").await;

    let refused = app.unlock_key(&browser, "not the passphrase").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.text);
    assert!(
        refused.contains("id=\"passphrase-error\""),
        "{}",
        refused.text
    );
    assert!(refused.cookie("varsel_session").is_none());
    assert_signed_out(&app, &browser).await;
    app.get(&browser, &format!("/staff/cases/{case}"))
        .await
        .assert_see_other("/staff/login");
    let actions = app.audit_actions().await;
    assert!(actions.iter().any(|a| a == "staff.sso_passphrase_failed"));
    assert!(!actions.iter().any(|a| a == "staff.sso_login"));
    app.app.teardown().await;
}

async fn the_passphrase_tries_run_out(backend: Backend) {
    let app = SsoApp::spawn(backend).await;
    linked_handler_with_a_case(&app).await;
    let browser = app.client();
    app.sso_login(&browser, "hanne@idp").await;
    let tries = app.settings.oidc.passphrase_tries;
    for _ in 1..tries {
        let r = app.unlock_key(&browser, "wrong").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // The last try ends the login: the login page, and nothing left to try.
    let form = app.page(&browser, "/staff/login/passphrase").await;
    let last = app
        .post_form_with_token(
            &browser,
            Some(&crate::app::csrf_of(&form)),
            "/staff/login/passphrase",
            &[("passphrase", "wrong")],
        )
        .await;
    assert_eq!(last.status, StatusCode::UNAUTHORIZED);
    assert!(last.contains("id=\"login-error\""), "{}", last.text);
    let after = app
        .post_form_with_token(
            &browser,
            Some(&crate::app::csrf_of(&form)),
            "/staff/login/passphrase",
            &[("passphrase", PASSWORD)],
        )
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_signed_out(&app, &browser).await;
    app.app.teardown().await;
}

async fn an_unlinked_subject_is_refused(backend: Backend) {
    let app = SsoApp::spawn(backend).await;
    linked_handler_with_a_case(&app).await;
    let browser = app.client();

    let landed = app.sso_login(&browser, "stranger@idp").await;
    assert_eq!(landed.page.status, StatusCode::UNAUTHORIZED);
    assert!(
        landed.page.contains("id=\"login-error\""),
        "{}",
        landed.page.text
    );
    app.get(&browser, "/staff/login/passphrase")
        .await
        .assert_see_other("/staff/login");
    assert_signed_out(&app, &browser).await;
    let actions = app.audit_actions().await;
    assert!(actions.iter().any(|a| a == "staff.sso_failed"));
    assert!(!actions.iter().any(|a| a == "staff.sso_authenticated"));
    app.app.teardown().await;
}

async fn a_linked_accounts_password_login_is_refused(backend: Backend) {
    let app = SsoApp::spawn(backend).await;
    linked_handler_with_a_case(&app).await;
    app.add_user("kari", "Kari Handler", &["handler"]).await;

    let browser = app.client();
    let refused = app.staff_login_attempt(&browser, "hanne", PASSWORD).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.text);
    assert!(refused.contains("id=\"login-error\""));
    assert!(refused.cookie("varsel_session").is_none());
    assert_signed_out(&app, &browser).await;
    // Nor does the API's password login give it a token.
    let api = app
        .api_post(
            "/staff/session",
            None,
            &serde_json::json!({"username": "hanne", "password": PASSWORD}),
        )
        .await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    // An account that is not linked still logs in with its password.
    let other = app.client();
    let kari = app.staff_login_attempt(&other, "kari", PASSWORD).await;
    kari.assert_see_other("/staff/inbox");
    app.app.teardown().await;
}

async fn a_tampered_state_is_refused(backend: Backend) {
    let app = SsoApp::spawn(backend).await;
    linked_handler_with_a_case(&app).await;
    let browser = app.client();
    let callback = app.sign_in_at_provider(&browser, "hanne@idp").await;
    let mut url = reqwest::Url::parse(&callback).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                format!("{v}x")
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    assert!(pairs.iter().any(|(k, _)| k == "state"), "{callback}");
    url.query_pairs_mut().clear().extend_pairs(&pairs);

    let tampered = app.walk(&browser, url.to_string(), None).await;
    assert_eq!(tampered.page.status, StatusCode::UNAUTHORIZED);
    assert!(tampered.page.contains("id=\"login-error\""));
    // The login was used up by the refused answer: the genuine one fails too.
    let genuine = app.walk(&browser, callback, None).await;
    assert_eq!(genuine.page.status, StatusCode::UNAUTHORIZED);
    assert_signed_out(&app, &browser).await;
    app.get(&browser, "/staff/login/passphrase")
        .await
        .assert_see_other("/staff/login");
    app.app.teardown().await;
}

async fn a_callback_from_another_browser_is_refused(backend: Backend) {
    let app = SsoApp::spawn(backend).await;
    linked_handler_with_a_case(&app).await;
    let victim = app.client();
    let callback = app.sign_in_at_provider(&victim, "hanne@idp").await;
    // The answer carried to a browser that did not start the login (no
    // cookie of it) opens nothing.
    let attacker = app.client();
    let landed = app.walk(&attacker, callback, None).await;
    assert_eq!(landed.page.status, StatusCode::UNAUTHORIZED);
    assert_signed_out(&app, &attacker).await;
    app.app.teardown().await;
}

async fn an_administrator_links_and_unlinks_on_the_sso_page(backend: Backend) {
    let app = SsoApp::spawn(backend).await;
    app.add_user("ada", "Ada Admin", &["admin"]).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let admin = app.staff_login("ada").await;
    let page = app.page(&admin.client, "/admin/sso").await;
    assert!(page.contains(&crate::app::csrf_of(&page)));

    let linked = app
        .post_form(
            &admin,
            "/admin/sso/link",
            &[("username", "hanne"), ("subject", "hanne@idp")],
        )
        .await;
    linked.assert_see_other("/admin/sso?notice=linked");
    let page = app.page(&admin.client, "/admin/sso").await;
    assert!(page.contains("hanne@idp"), "{page}");
    // The same subject for another account is refused.
    let again = app
        .post_form(
            &admin,
            "/admin/sso/link",
            &[("username", "ada"), ("subject", "hanne@idp")],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Linked: the password no longer works.
    let r = app
        .staff_login_attempt(&app.client(), "hanne", PASSWORD)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let unlinked = app
        .post_form(&admin, "/admin/sso/unlink", &[("username", "hanne")])
        .await;
    unlinked.assert_see_other("/admin/sso?notice=unlinked");
    let r = app
        .staff_login_attempt(&app.client(), "hanne", PASSWORD)
        .await;
    r.assert_see_other("/staff/inbox");
    let actions = app.audit_actions().await;
    assert!(actions.iter().any(|a| a == "user.oidc_linked"));
    assert!(actions.iter().any(|a| a == "user.oidc_unlinked"));
    app.app.teardown().await;
}

async fn the_cli_links_and_unlinks(backend: Backend) {
    let app = SsoApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let issuer = app.provider.issuer.clone();
    let out = app.command(&[
        "user",
        "link-oidc",
        "--username",
        "hanne",
        "--subject",
        "hanne@idp",
        "--issuer",
        &issuer,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let links = app.store.oidc_links().await.unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].subject, "hanne@idp");
    assert_eq!(links[0].issuer, issuer);

    // Now the provider's login reaches the passphrase page.
    let browser = app.client();
    let landed = app.sso_login(&browser, "hanne@idp").await;
    assert!(landed.url.ends_with("/staff/login/passphrase"));

    let unknown = app.command(&["user", "unlink-oidc", "--username", "nobody"]);
    assert!(!unknown.status.success());
    let out = app.command(&["user", "unlink-oidc", "--username", "hanne"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(app.store.oidc_links().await.unwrap().is_empty());
    app.app.teardown().await;
}

async fn starting_single_sign_on_is_rate_limited(backend: Backend) {
    let app = SsoApp::spawn_with(backend, |s| s.rate_limits.staff_logins_per_minute = 2).await;
    let browser = app.client();
    for _ in 0..2 {
        let r = app.get(&browser, "/staff/login/oidc").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        assert!(r.location().unwrap().starts_with(&app.provider.issuer));
    }
    let r = app.get(&browser, "/staff/login/oidc").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    app.app.teardown().await;
}

/// The administrators' two-factor requirement holds for single sign-on too:
/// after the provider and the passphrase, still no session until the second
/// factor (here: its enrolment) is done.
async fn single_sign_on_meets_the_two_factor_requirement(backend: Backend) {
    let app = SsoApp::spawn(backend).await;
    linked_handler_with_a_case(&app).await;
    app.add_user("root", "Root Admin", &["admin"]).await;
    let admin = app.staff_login("root").await;
    app.require_two_factor(&admin, "all", &[])
        .await
        .assert_see_other("/admin/security");

    let browser = app.client();
    app.sso_login(&browser, "hanne@idp").await;
    let unlocked = app.unlock_key(&browser, PASSWORD).await;
    unlocked.assert_see_other("/staff/login/code");
    assert!(unlocked.cookie("varsel_session").is_none());
    assert_signed_out(&app, &browser).await;
    let page = app.get(&browser, "/staff/login/code").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("<svg"), "the set-up of a second factor");
    app.app.teardown().await;
}

for_each_backend!(
    single_sign_on_meets_the_two_factor_requirement,
    starting_single_sign_on_is_rate_limited,
    sso_and_the_right_passphrase_open_the_handlers_cases,
    a_wrong_passphrase_after_sso_opens_nothing,
    the_passphrase_tries_run_out,
    an_unlinked_subject_is_refused,
    a_linked_accounts_password_login_is_refused,
    a_tampered_state_is_refused,
    a_callback_from_another_browser_is_refused,
    an_administrator_links_and_unlinks_on_the_sso_page,
    the_cli_links_and_unlinks,
);
