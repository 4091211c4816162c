//! Post-quantum hybrid keys in the service (issue 13), on both backends:
//!
//! - new accounts, cases, code-derived keys and their wraps are hybrid
//!   (`age1pq1…`, `mlkem768x25519` stanzas), and the two-way flow works;
//! - a case and an account from before (X25519 alone) keep working: the
//!   reporter opens the old case with the old code, and the account is
//!   upgraded at its next login — new recipient, every case wrap of theirs
//!   made again with hybrid stanzas, audited once — and reads old and new
//!   cases alike;
//! - with `security.hybrid_keys = false` new keys are X25519 alone.

use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;
use varsel::core::casework::{self, PreparedCase, ReportDraft, ReportInput, ReportLimits};
use varsel::core::keys::KeyKind;
use varsel::core::store::Holder;

use crate::app::{Backend, TestApp, PASSWORD};
use crate::for_each_backend;
use crate::helpers::stanzas;

for_each_backend!(
    new_keys_are_hybrid_and_the_two_way_flow_works,
    an_old_case_and_account_keep_working_and_the_account_is_upgraded_at_login,
    with_hybrid_keys_off_new_keys_are_x25519,
    sessions_from_before_an_upgrade_end_and_a_second_login_gets_the_new_key,
);

const HYBRID_STANZA: &str = "mlkem768x25519";

fn report(text: &str) -> Value {
    json!({"category": "avvik", "severity": "middels", "description": text})
}

/// Every stanza type of `user`'s case wraps.
async fn wrap_kinds(app: &TestApp, user: Uuid) -> Vec<String> {
    let wraps = app.store.user_wraps(user).await.expect("wraps");
    assert!(!wraps.is_empty(), "the user holds cases");
    wraps.iter().flat_map(|(_, w)| stanzas(w)).collect()
}

async fn recipient_of(app: &TestApp, user: Uuid) -> String {
    app.store
        .user_by_id(user)
        .await
        .expect("user")
        .expect("exists")
        .recipient
}

async fn new_keys_are_hybrid_and_the_two_way_flow_works(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    assert!(recipient_of(&app, hanne).await.starts_with("age1pq1"));

    let code = app.report(&report("Nøkkelskapet står åpent.")).await;
    let token = app.staff_token("hanne").await;
    let id = app.api_case_ids(&token).await[0];
    let case = app.stored_case(id).await;
    assert!(
        case.recipient.starts_with("age1pq1"),
        "the case key is hybrid"
    );
    assert_eq!(wrap_kinds(&app, hanne).await, [HYBRID_STANZA]);
    let reporter_wrap = app
        .store
        .key_wrap(id, &Holder::Reporter)
        .await
        .expect("wrap")
        .expect("the reporter's wrap");
    assert_eq!(stanzas(&reporter_wrap), [HYBRID_STANZA]);

    let view = app.api_case(&token, id).await.expect(StatusCode::OK);
    assert_eq!(view["report"]["description"], "Nøkkelskapet står åpent.");
    let r = app.api_reply(&token, id, "Takk, vi ser på det.").await;
    assert!(r.status.is_success(), "{}", r.text);
    let reporter = app.reporter_token(&code).await;
    let mine = app
        .api_reporter_case(&reporter)
        .await
        .expect(StatusCode::OK);
    assert_eq!(mine["report"]["description"], "Nøkkelskapet står åpent.");
    assert_eq!(mine["messages"][0]["body"], "Takk, vi ser på det.");
    app.teardown().await;
}

/// A report filed through the core with X25519 keys, as before issue 13:
/// its case key, and the reporter's code-derived key, are X25519 alone.
async fn file_old_case(app: &TestApp, text: &str) -> String {
    let settings = &app.state.settings;
    let input: ReportInput = ReportDraft {
        category: "avvik",
        subtype: "",
        severity: "middels",
        description: text,
        when: "",
        place: "",
        exclude: Vec::new(),
    }
    .parse(
        &settings.taxonomy,
        ReportLimits {
            max_text_chars: settings.limits.max_text_chars,
            max_short_field_chars: settings.limits.max_short_field_chars,
        },
    )
    .unwrap_or_else(|_| panic!("a valid report"));
    let prepared = PreparedCase::new(KeyKind::X25519);
    casework::submit_report(&app.state, &prepared, &input, &[])
        .await
        .unwrap_or_else(|e| panic!("submit: {e}"));
    prepared.code.expose_grouped().as_str().to_owned()
}

async fn an_old_case_and_account_keep_working_and_the_account_is_upgraded_at_login(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let hanne = app
        .add_x25519_user("hanne", "Hanne Handler", &["handler"])
        .await;
    let old_recipient = recipient_of(&app, hanne).await;
    assert!(old_recipient.starts_with("age1") && !old_recipient.starts_with("age1pq1"));

    // One case from before the change, one after it; both reach Hanne's
    // X25519 key, so both wraps are X25519.
    let old_code = file_old_case(&app, "Gammel sak: døra til arkivet.").await;
    app.report(&report("Ny sak: kortleseren er i stykker."))
        .await;
    assert_eq!(wrap_kinds(&app, hanne).await, ["X25519", "X25519"]);

    // The reporter of the old case opens it with the old code.
    let reporter = app.reporter_token(&old_code).await;
    let mine = app
        .api_reporter_case(&reporter)
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        mine["report"]["description"],
        "Gammel sak: døra til arkivet."
    );

    // Hanne logs in: her key is upgraded and every wrap of hers made again.
    let token = app.staff_token("hanne").await;
    let new_recipient = recipient_of(&app, hanne).await;
    assert!(new_recipient.starts_with("age1pq1"), "{new_recipient}");
    assert_eq!(
        wrap_kinds(&app, hanne).await,
        [HYBRID_STANZA, HYBRID_STANZA]
    );
    let upgrades = |actions: Vec<String>| {
        actions
            .into_iter()
            .filter(|a| a == "user.key_upgraded")
            .count()
    };
    assert_eq!(upgrades(app.audit_actions().await), 1);

    // She reads both cases, in this session and in the next.
    for token in [token, app.staff_token("hanne").await] {
        let mut texts = Vec::new();
        for id in app.api_case_ids(&token).await {
            let view = app.api_case(&token, id).await.expect(StatusCode::OK);
            texts.push(view["report"]["description"].as_str().unwrap().to_owned());
        }
        texts.sort();
        assert_eq!(
            texts,
            [
                "Gammel sak: døra til arkivet.",
                "Ny sak: kortleseren er i stykker."
            ]
        );
    }
    assert_eq!(upgrades(app.audit_actions().await), 1, "upgraded once");
    assert_eq!(recipient_of(&app, hanne).await, new_recipient);

    // A case filed now is wrapped to her new key, and the old code still works.
    app.report(&report("Tredje sak.")).await;
    assert!(wrap_kinds(&app, hanne)
        .await
        .iter()
        .all(|k| k == HYBRID_STANZA));
    let again = app.reporter_token(&old_code).await;
    app.api_reporter_case(&again).await.expect(StatusCode::OK);
    app.teardown().await;
}

async fn with_hybrid_keys_off_new_keys_are_x25519(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.security.hybrid_keys = false).await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let code = app.report(&report("Uten hybridnøkler.")).await;
    let token = app.staff_token("hanne").await;
    let id = app.api_case_ids(&token).await[0];
    assert!(!recipient_of(&app, hanne).await.starts_with("age1pq1"));
    assert!(!app.stored_case(id).await.recipient.starts_with("age1pq1"));
    assert_eq!(wrap_kinds(&app, hanne).await, ["X25519"]);
    assert_eq!(
        app.audit_actions()
            .await
            .iter()
            .filter(|a| *a == "user.key_upgraded")
            .count(),
        0,
        "no upgrade while hybrid keys are off"
    );
    let reporter = app.reporter_token(&code).await;
    let mine = app
        .api_reporter_case(&reporter)
        .await
        .expect(StatusCode::OK);
    assert_eq!(mine["report"]["description"], "Uten hybridnøkler.");
    app.teardown().await;
}

/// Sessions started before an upgrade hold the old key, which no longer
/// opens the new wraps: the upgrade ends them (401, never a 500), while the
/// session of the login that upgraded works. A login that raced with the
/// upgrade (it unlocked the old key before the new one was stored) gets the
/// new key, not the stale one.
async fn sessions_from_before_an_upgrade_end_and_a_second_login_gets_the_new_key(backend: Backend) {
    let before = TestApp::spawn_with(backend, |s| s.security.hybrid_keys = false).await;
    let hanne = before
        .add_user("hanne", "Hanne Handler", &["handler"])
        .await;
    before.report(&report("Før oppgraderingen.")).await;
    let old_session = before.staff_token("hanne").await;
    let old_user = before.store.user_by_id(hanne).await.unwrap().unwrap();

    let app = TestApp::spawn_on(before.into_database(), |_| {}).await;
    let id = app.api_case_ids(&old_session).await[0];
    let token = app.staff_token("hanne").await;
    assert!(recipient_of(&app, hanne).await.starts_with("age1pq1"));
    app.api_case(&old_session, id)
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let view = app.api_case(&token, id).await.expect(StatusCode::OK);
    assert_eq!(view["report"]["description"], "Før oppgraderingen.");

    // A login that unlocked the old key while another upgraded it.
    let stale =
        varsel::core::keys::unlock_user_identity(&old_user.wrapped_identity, PASSWORD.as_bytes())
            .unwrap_or_else(|_| panic!("the old key unlocks"));
    let password = zeroize::Zeroizing::new(PASSWORD.to_owned());
    let ring = varsel::core::passwords::after_login(&app.state, &old_user, stale, &password)
        .await
        .unwrap_or_else(|e| panic!("the login stands: {e}"));
    assert!(ring.current().is_hybrid(), "the new key, not the stale one");
    let wrap = app.store.user_wraps(hanne).await.unwrap().remove(0).1;
    assert!(varsel::core::keys::unwrap_case_identity(&wrap, &ring).is_ok());
    app.teardown().await;
}
