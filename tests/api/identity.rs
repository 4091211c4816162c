//! The reporter's identity and its custodians (SPEC §4): sealed to the
//! custodians only, never to the case; released to one handler after a
//! custodian's approval and a notice period, the reporter told first; every
//! step audited without the identity or a reason in the log.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;
use varsel::core::clock::ManualClock;
use varsel::core::keys::KeyRing;
use varsel::core::store::Holder;

use crate::app::{csrf_of, rule, Backend, ReportForm, TestApp, PASSWORD};
use crate::for_each_backend;
use crate::helpers::stanzas;

for_each_backend!(
    only_the_approved_handler_reads_the_identity_after_the_notice,
    a_denied_request_keeps_the_identity_closed,
    without_a_custodian_identity_is_neither_offered_nor_accepted,
    a_reporter_gives_their_identity_later_from_the_case_page,
    the_last_custodian_is_not_removed_while_identities_are_kept,
);

const NAME: &str = "Kari Nordmann";
const CONTACT: &str = "kari.nordmann@example.org";
const ROLE: &str = "Renholder, Bygg 4";
const REQUEST_REASON: &str = "Må avhøre varsleren om hendelsen 12. mars.";
const DECISION_REASON: &str = "Nødvendig for å undersøke saken forsvarlig.";

/// The identity of a test account, unlocked with the test password.
async fn identity_of(app: &TestApp, user: Uuid) -> KeyRing {
    let user = app.store.user_by_id(user).await.unwrap().unwrap();
    varsel::core::keys::unlock_user_identity(&user.wrapped_identity, PASSWORD.as_bytes())
        .expect("the test password unlocks the key")
}

fn opens(identity: &dyn varsel_crypto::Identity, age: &[u8]) -> bool {
    varsel::core::keys::open(identity, age).is_ok()
}

/// avvik → "infosec"; two handlers there, a custodian, on `clock`.
async fn spawn(backend: Backend, clock: Arc<ManualClock>) -> (TestApp, [Uuid; 3]) {
    let app = TestApp::spawn_with_clock(backend, clock, |s| {
        s.routing.rules = vec![rule("avvik", "infosec")];
    })
    .await;
    let one = app
        .add_user_in("h_one", "Hanne En", &["handler"], &["infosec"])
        .await;
    let two = app
        .add_user_in("h_two", "Hans To", &["handler"], &["infosec"])
        .await;
    let keeper = app
        .add_user("keeper", "Kim Forvalter", &["custodian"])
        .await;
    (app, [one, two, keeper])
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        OffsetDateTime::now_utc().replace_time(time::macros::time!(10:00)),
    ))
}

async fn only_the_approved_handler_reads_the_identity_after_the_notice(backend: Backend) {
    let clock = clock();
    let (app, [one, two, keeper]) = spawn(backend, clock.clone()).await;

    // The reporter files through the form, identity included.
    let browser = app.client();
    let csrf = csrf_of(&app.page(&browser, "/report").await);
    let report = ReportForm {
        category: "avvik",
        ..ReportForm::new("Noen har delt passord på en lapp ved skriveren.")
    };
    let form = report
        .form(Some(&csrf))
        .text("identity_name", NAME)
        .text("identity_contact", CONTACT)
        .text("identity_role", ROLE);
    let sent = app.post_multipart(&browser, "/report", form).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
    let receipt = app.page(&browser, "/report/receipt").await;
    let code = crate::app::code_on_receipt(&receipt);
    let h_one = app.staff_token("h_one").await;
    let case = app.api_only_case(&h_one).await;

    // Stored sealed to the one custodian, in no wrap a case holder has.
    let stored = app.store.identity_of(case).await.unwrap().expect("stored");
    assert_eq!(stanzas(&stored.sealed), ["mlkem768x25519"], "one recipient");
    let keeper_key = identity_of(&app, keeper).await;
    let one_key = identity_of(&app, one).await;
    let two_key = identity_of(&app, two).await;
    assert!(opens(&keeper_key, &stored.sealed));
    for holder in app.store.key_holders(case).await.unwrap() {
        let Holder::User(user) = holder else { continue };
        let wrap = app
            .store
            .key_wrap(case, &Holder::User(user))
            .await
            .unwrap()
            .unwrap();
        let member = identity_of(&app, user).await;
        let case_key = varsel::core::keys::unwrap_case_identity(&wrap, &member).unwrap();
        assert!(!opens(&case_key, &stored.sealed), "the case key opens it");
        assert!(!opens(&member, &stored.sealed), "a handler's key opens it");
    }
    assert!(
        app.db
            .readable(&[NAME.into(), CONTACT.into()])
            .await
            .is_empty(),
        "the identity is stored readable"
    );

    // The handler sees that it exists, not what it is.
    let one_page = app.staff_login("h_one").await;
    let page = app.page(&one_page, &format!("/staff/cases/{case}")).await;
    assert!(
        page.contains("Varsleren har oppgitt identiteten sin"),
        "{page}"
    );
    assert!(!page.contains(NAME));
    let view = app
        .api_case_identity(&h_one, case)
        .await
        .expect(StatusCode::OK);
    assert_eq!(view["state"], "hidden");
    assert_eq!(view["identity"], Value::Null);

    // A request without a reason is refused on the page, nothing filed.
    let refused = app.request_identity(&one_page, case, "  ").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.text.contains("Skriv begrunnelsen"),
        "{}",
        refused.text
    );
    let filed = app.request_identity(&one_page, case, REQUEST_REASON).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.text);
    let view = app
        .api_case_identity(&h_one, case)
        .await
        .expect(StatusCode::OK);
    assert_eq!(view["state"], "pending");
    app.api_request_identity(&h_one, case, REQUEST_REASON)
        .await
        .expect_error(StatusCode::CONFLICT, "identity_request_open");

    // The custodian reads the reason and approves.
    let keeper_page = app.staff_login("keeper").await;
    let list = app.page(&keeper_page, "/custodian").await;
    assert!(list.contains(REQUEST_REASON), "{list}");
    assert!(list.contains("Hanne En"));
    let keeper_token = app.staff_token("keeper").await;
    let requests = app
        .api_identity_requests(&keeper_token)
        .await
        .expect(StatusCode::OK);
    assert_eq!(requests[0]["state"], "pending");
    assert_eq!(requests[0]["reason"], REQUEST_REASON);
    let request = requests[0]["id"].as_str().unwrap().to_owned();
    // Handlers cannot decide; custodians cannot read cases.
    app.api_decide_identity(&h_one, &request, "approve", DECISION_REASON)
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(
        app.api_case(&keeper_token, case).await.status,
        StatusCode::FORBIDDEN
    );
    let decided = app
        .api_decide_identity(&keeper_token, &request, "approve", DECISION_REASON)
        .await
        .expect(StatusCode::OK);
    assert_eq!(decided["state"], "approved");

    // The reporter is told in their thread at once.
    let reporter = app.reporter_token(&code).await;
    let thread = app
        .api_reporter_case(&reporter)
        .await
        .expect(StatusCode::OK);
    let notice = thread["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["body"].as_str().unwrap().contains("identitetsforvalter"))
        .expect("the notice is in the reporter's thread");
    assert_eq!(notice["author"], "staff");

    // Before the notice period ends: "available from", not the identity.
    let view = app
        .api_case_identity(&h_one, case)
        .await
        .expect(StatusCode::OK);
    assert_eq!(view["state"], "waiting");
    assert_eq!(view["readable_from"], decided["readable_from"]);
    assert_eq!(view["identity"], Value::Null);
    let page = app.page(&one_page, &format!("/staff/cases/{case}")).await;
    assert!(page.contains("tilgjengelig fra"), "{page}");
    assert!(!page.contains(NAME));

    // The released copy is sealed to that one handler.
    let row = app.store.identity_requests_of_case(case).await.unwrap();
    let released = row[0].released.clone().expect("released");
    assert_eq!(stanzas(&released), ["mlkem768x25519"]);
    assert!(opens(&one_key, &released));
    assert!(!opens(&two_key, &released));
    assert!(!opens(&keeper_key, &released));

    // After the notice period exactly that handler reads it.
    clock.advance(Duration::hours(24) + Duration::minutes(1));
    let view = app
        .api_case_identity(&h_one, case)
        .await
        .expect(StatusCode::OK);
    assert_eq!(view["state"], "readable");
    assert_eq!(
        view["identity"],
        json!({ "name": NAME, "contact": CONTACT, "role": ROLE })
    );
    let page = app.page(&one_page, &format!("/staff/cases/{case}")).await;
    assert!(page.contains(NAME) && page.contains(CONTACT) && page.contains(ROLE));
    let h_two = app.staff_token("h_two").await;
    let other = app
        .api_case_identity(&h_two, case)
        .await
        .expect(StatusCode::OK);
    assert_eq!(other["state"], "hidden");
    assert_eq!(other["identity"], Value::Null);
    let two_page = app.staff_login("h_two").await;
    let page = app.page(&two_page, &format!("/staff/cases/{case}")).await;
    assert!(!page.contains(NAME));

    // Every step is in the audit log, in order, and nothing of it in clear.
    let actions = app.audit_actions().await;
    let at = |a: &str| {
        actions
            .iter()
            .position(|x| x == a)
            .unwrap_or_else(|| panic!("{a} is not in the audit log: {actions:?}"))
    };
    // The reporter's entry waits for the end of its day and then joins the
    // chain after the staff entries of that day (docs/architecture.md).
    assert!(at("identity.added") > at("identity.requested"));
    assert!(at("identity.requested") < at("identity.requests_read"));
    assert!(at("identity.requests_read") < at("identity.approved"));
    assert!(at("identity.approved") < at("identity.notice_sent"));
    assert!(at("identity.notice_sent") < at("identity.read"));
    for entry in app.audit_entries_after_the_day().await {
        for secret in [NAME, CONTACT, ROLE, REQUEST_REASON, DECISION_REASON] {
            assert!(
                !entry.detail.contains(secret),
                "{}: {}",
                entry.action,
                secret
            );
        }
    }
    app.teardown().await;
}

async fn a_denied_request_keeps_the_identity_closed(backend: Backend) {
    let (app, _) = spawn(backend, clock()).await;
    let filed = app
        .submit_report(&json!({
            "category": "avvik",
            "severity": "middels",
            "description": "Adgangskortet til serverrommet er borte.",
            "identity": { "name": NAME, "contact": "", "role": "" },
        }))
        .await
        .expect(StatusCode::CREATED);
    assert!(filed["case_code"].is_string());
    let h_one = app.staff_token("h_one").await;
    let case = app.api_only_case(&h_one).await;
    let request = app
        .api_request_identity(&h_one, case, REQUEST_REASON)
        .await
        .expect(StatusCode::CREATED);
    let keeper = app.staff_login("keeper").await;
    let refused = app
        .decide_identity(&keeper, request["id"].as_str().unwrap(), "maybe", "x")
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let denied = app
        .decide_identity(
            &keeper,
            request["id"].as_str().unwrap(),
            "deny",
            "Ikke nødvendig.",
        )
        .await;
    assert_eq!(denied.status, StatusCode::SEE_OTHER, "{}", denied.text);
    assert_eq!(denied.location(), Some("/custodian"));

    let view = app
        .api_case_identity(&h_one, case)
        .await
        .expect(StatusCode::OK);
    assert_eq!(view["state"], "hidden");
    assert_eq!(view["denial_reason"], "Ikke nødvendig.");
    assert_eq!(view["identity"], Value::Null);
    let stored = app.store.identity_requests_of_case(case).await.unwrap();
    assert!(stored[0].released.is_none(), "nothing was released");
    // Decided once; the handler may ask again.
    let keeper_token = app.staff_token("keeper").await;
    app.api_decide_identity(
        &keeper_token,
        request["id"].as_str().unwrap(),
        "approve",
        "x",
    )
    .await
    .expect_error(StatusCode::CONFLICT, "identity_request_decided");
    app.api_request_identity(&h_one, case, REQUEST_REASON)
        .await
        .expect(StatusCode::CREATED);
    assert!(app
        .audit_actions()
        .await
        .contains(&"identity.denied".to_owned()));
    app.teardown().await;
}

async fn without_a_custodian_identity_is_neither_offered_nor_accepted(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.routing.rules = vec![rule("avvik", "infosec")];
    })
    .await;
    app.add_user_in("h_one", "Hanne En", &["handler"], &["infosec"])
        .await;
    let form = app.page(&app.client(), "/report").await;
    assert!(!form.contains("name=\"identity_name\""));
    assert!(
        form.contains("har ikke utnevnt en identitetsforvalter"),
        "{form}"
    );
    let form = app.page(&app.client(), "/report?lang=en").await;
    assert!(
        form.contains("has not appointed an identity custodian"),
        "{form}"
    );

    let refused = app
        .submit_report(&json!({
            "category": "avvik",
            "severity": "middels",
            "description": "Adgangskortet til serverrommet er borte.",
            "identity": { "name": NAME },
        }))
        .await;
    refused.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "identity_unavailable");
    let cases = app.db.text_rows("SELECT id FROM cases").await;
    assert!(cases.is_empty(), "nothing was stored");

    // Without identity the report goes through; the reporter is told why
    // they cannot add it, and the API refuses it.
    let code = app
        .report(&json!({
            "category": "avvik",
            "severity": "middels",
            "description": "Adgangskortet til serverrommet er borte.",
        }))
        .await;
    let reporter = app.reporter_token(&code).await;
    let status = app
        .api_reporter_identity(&reporter)
        .await
        .expect(StatusCode::OK);
    assert_eq!(status, json!({ "offered": false, "given": false }));
    app.api_give_identity(&reporter, &json!({ "name": NAME }))
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "identity_unavailable");
    let page = app.reporter_case_page(&code).await;
    assert!(page.contains("har ikke utnevnt en identitetsforvalter"));
    app.teardown().await;
}

async fn a_reporter_gives_their_identity_later_from_the_case_page(backend: Backend) {
    let (app, [_, _, keeper]) = spawn(backend, clock()).await;
    let code = app
        .report(&json!({
            "category": "avvik",
            "severity": "middels",
            "description": "Adgangskortet til serverrommet er borte.",
        }))
        .await;
    let h_one = app.staff_token("h_one").await;
    let case = app.api_only_case(&h_one).await;
    let view = app
        .api_case_identity(&h_one, case)
        .await
        .expect(StatusCode::OK);
    assert_eq!(view["state"], "not_given");
    app.api_request_identity(&h_one, case, REQUEST_REASON)
        .await
        .expect_error(StatusCode::CONFLICT, "identity_not_given");

    let reporter = app.reporter_login(&code).await;
    let page = app.page(&reporter, "/case").await;
    assert!(
        page.contains("Du har ikke oppgitt identiteten din"),
        "{page}"
    );
    assert!(page.contains("href=\"/case/identity\""));
    let form = app.page(&reporter, "/case/identity").await;
    assert!(form.contains("name=\"identity_name\""));
    let too_long = "x".repeat(app.settings.identity.max_name_chars + 1);
    let refused = app
        .post_form(&reporter, "/case/identity", &[("identity_name", &too_long)])
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.text.contains("For langt"));
    let saved = app
        .post_form(
            &reporter,
            "/case/identity",
            &[("identity_name", NAME), ("identity_role", ROLE)],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let page = app.page(&reporter, "/case").await;
    assert!(page.contains("Du har oppgitt identiteten din"), "{page}");
    assert!(!page.contains(NAME), "the identity is never shown back");

    let stored = app.store.identity_of(case).await.unwrap().expect("stored");
    assert!(opens(&identity_of(&app, keeper).await, &stored.sealed));
    let view = app
        .api_case_identity(&h_one, case)
        .await
        .expect(StatusCode::OK);
    assert_eq!(view["state"], "hidden");
    assert!(app
        .audit_actions()
        .await
        .contains(&"identity.added".to_owned()));
    app.teardown().await;
}

/// Identities are sealed to the custodians alone: the last active custodian
/// is neither deactivated nor stripped of the role while one is stored, and
/// once another custodian is appointed the change goes through.
async fn the_last_custodian_is_not_removed_while_identities_are_kept(backend: Backend) {
    let (app, [_, _, keeper]) = spawn(backend, clock()).await;
    app.add_user("root", "Root Admin", &["admin"]).await;
    let admin = app.staff_token("root").await;
    // No identity stored yet: the custodian role could go.
    let browser = app.client();
    let csrf = csrf_of(&app.page(&browser, "/report").await);
    let report = ReportForm {
        category: "avvik",
        ..ReportForm::new("Noen har delt passord på en lapp ved skriveren.")
    };
    let form = report.form(Some(&csrf)).text("identity_name", NAME);
    let sent = app.post_multipart(&browser, "/report", form).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
    let h_one = app.staff_token("h_one").await;
    let case = app.api_only_case(&h_one).await;
    let reference = case.simple().to_string()[..8].to_uppercase();

    let refused = app
        .api_account_action(&admin, "keeper", "deactivate")
        .await
        .expect_error(StatusCode::CONFLICT, "last_custodian");
    assert!(refused.to_string().contains(&reference), "{refused}");
    app.api_set_roles(&admin, "keeper", &["handler"])
        .await
        .expect_error(StatusCode::CONFLICT, "last_custodian");
    let stored = app.store.user_by_id(keeper).await.unwrap().unwrap();
    assert!(stored.active && stored.roles == [varsel::core::domain::Role::Custodian]);

    // With a second custodian, the first may go.
    app.add_user("keeper2", "Kai Forvalter", &["custodian"])
        .await;
    app.api_account_action(&admin, "keeper", "deactivate")
        .await
        .expect(StatusCode::OK);
    app.teardown().await;
}
