//! Reports encrypted in the reporter's browser (issue 13, docs/e2e.md), on
//! both backends, with this test as the browser: it asks for the routing,
//! makes the code and the case key, encrypts with `varsel-crypto` and
//! sends only ciphertexts, wraps and the lookup tag.
//!
//! - the case is stored like a server-sealed one: the handler reads the
//!   report and the attachment, the reporter logs in with the code, and
//!   nothing the server stored or received holds the marker or the code;
//! - a routing that changed in between is refused (409), and the same
//!   ciphertexts wrapped for the new routing are accepted;
//! - a wrap of the wrong kind, a missing wrap, an extra one, a report that
//!   is not an age file, and an attachment that is not one are refused
//!   (422) with nothing stored and no file left behind.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};
use varsel_crypto::{
    AnyIdentity, AnyRecipient, CaseCode, HybridIdentity, Recipient, X25519Identity,
};

use crate::app::{Backend, TestApp};
use crate::for_each_backend;
use crate::forms::case_count;

for_each_backend!(
    a_browser_encrypted_report_is_stored_like_any_other,
    a_changed_routing_is_refused_and_the_same_ciphertexts_rewrapped_are_taken,
    parts_that_are_not_what_they_claim_are_refused_and_nothing_is_kept,
    an_identity_sealed_in_the_browser_reaches_the_custodians_only,
    a_case_sealed_wrongly_is_named_and_stops_neither_upgrade_nor_recovery,
);

const MARKER: &str = "MARKØR-7f3a-kryptert-i-nettleseren";

/// What the browser made for one report.
struct Sealed {
    code: CaseCode,
    identity: AnyIdentity,
    recipient: AnyRecipient,
    report: Vec<u8>,
    files: Vec<(Vec<u8>, Vec<u8>)>,
}

fn encrypt_to(recipient: &AnyRecipient, plain: &[u8]) -> Vec<u8> {
    varsel_crypto::encrypt(&[recipient as &dyn Recipient], plain).expect("encrypt")
}

/// The browser's side before sending: code, case key, report, attachments.
fn seal(kind: &str, text: &str, attachments: &[(&str, &[u8])]) -> Sealed {
    let code = CaseCode::generate();
    let identity = if kind == "hybrid" {
        AnyIdentity::Hybrid(HybridIdentity::generate())
    } else {
        AnyIdentity::X25519(X25519Identity::generate())
    };
    let recipient = identity.to_public();
    let report = json!({"description": text, "when": null, "place": "Lager 3"});
    let report = encrypt_to(&recipient, report.to_string().as_bytes());
    let files = attachments
        .iter()
        .map(|(name, bytes)| {
            let meta = json!({"name": name, "content_type": "text/plain"}).to_string();
            (
                encrypt_to(&recipient, meta.as_bytes()),
                encrypt_to(&recipient, bytes),
            )
        })
        .collect();
    Sealed {
        code,
        identity,
        recipient,
        report,
        files,
    }
}

/// The wraps for `routing`: every routed recipient and the reporter.
fn wraps(sealed: &Sealed, routing: &Value) -> BTreeMap<String, String> {
    let secret = sealed.identity.to_bech32();
    let mut wraps = BTreeMap::new();
    for r in routing["recipients"].as_array().expect("recipients") {
        let to: AnyRecipient = r["recipient"]
            .as_str()
            .unwrap()
            .parse()
            .expect("a recipient");
        let wrapped = encrypt_to(&to, secret.as_bytes());
        wraps.insert(
            r["holder"].as_str().unwrap().to_owned(),
            STANDARD.encode(wrapped),
        );
    }
    let reporter = if routing["key_kind"] == "hybrid" {
        AnyRecipient::Hybrid(sealed.code.reporter_hybrid_identity().to_public())
    } else {
        AnyRecipient::X25519(sealed.code.reporter_identity().to_public())
    };
    wraps.insert(
        "reporter".to_owned(),
        STANDARD.encode(encrypt_to(&reporter, secret.as_bytes())),
    );
    wraps
}

fn envelope(sealed: &Sealed, routing: &Value, wraps: &BTreeMap<String, String>) -> Value {
    json!({
        "routing_id": routing["routing_id"],
        "category": "avvik",
        "subtype": null,
        "severity": "middels",
        "exclude": [],
        "case_recipient": sealed.recipient.to_string(),
        "lookup_tag": hex::encode(sealed.code.lookup_tag().as_bytes()),
        "wraps": wraps,
        "attachment_names": sealed.files.iter().map(|(n, _)| STANDARD.encode(n)).collect::<Vec<_>>(),
    })
}

/// `{name, contact, role}` sealed to the routing's custodians, base64.
fn sealed_identity(routing: &Value, name: &str) -> String {
    let custodians: Vec<AnyRecipient> = routing["custodians"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().parse().unwrap())
        .collect();
    let refs: Vec<&dyn Recipient> = custodians.iter().map(|r| r as &dyn Recipient).collect();
    let plain = json!({"name": name, "contact": "", "role": "Lagerarbeider"}).to_string();
    STANDARD.encode(varsel_crypto::encrypt(&refs, plain.as_bytes()).unwrap())
}

/// The multipart body as the browser sends it (Blob parts are named "blob").
fn form(envelope: &Value, report: &[u8], files: &[Vec<u8>]) -> Form {
    let mut form = Form::new()
        .text("envelope", envelope.to_string())
        .part("report", Part::bytes(report.to_vec()).file_name("blob"));
    for file in files {
        form = form.part("attachment", Part::bytes(file.clone()).file_name("blob"));
    }
    form
}

async fn routing(app: &TestApp) -> Value {
    app.api_post(
        "/e2e/routing",
        None,
        &json!({"category": "avvik", "severity": "middels"}),
    )
    .await
    .expect(StatusCode::OK)
}

async fn send(app: &TestApp, form: Form) -> crate::app::ApiResponse {
    app.api_upload("/e2e/reports", None, form).await
}

/// Files in the attachment directory (committed or not).
fn stored_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    let dir = app.state.settings.storage.attachments_dir();
    match std::fs::read_dir(&dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

async fn a_browser_encrypted_report_is_stored_like_any_other(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let recovery = HybridIdentity::generate().to_public().to_string();
    app.store
        .set_setting(varsel::core::casework::RECOVERY_SETTING, &recovery)
        .await
        .unwrap();

    let routing = routing(&app).await;
    assert_eq!(routing["key_kind"], "hybrid");
    let holders: Vec<&str> = routing["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["holder"].as_str().unwrap())
        .collect();
    assert_eq!(holders, [format!("user:{hanne}").as_str(), "recovery"]);
    assert_eq!(routing["recipients"][1]["recipient"], recovery);
    assert_eq!(routing["routing_id"].as_str().unwrap().len(), 64);
    assert_eq!(
        routing,
        self::routing(&app).await,
        "the same routing, the same id"
    );

    let attachment = format!("vedlegg: {MARKER}").into_bytes();
    let sealed = seal(
        "hybrid",
        &format!("Rapport: {MARKER}"),
        &[("bevis.txt", &attachment)],
    );
    let wraps = wraps(&sealed, &routing);
    let envelope = envelope(&sealed, &routing, &wraps);
    let files: Vec<Vec<u8>> = sealed.files.iter().map(|(_, f)| f.clone()).collect();
    let body = form(&envelope, &sealed.report, &files);
    let r = send(&app, body).await;
    let created = r.expect(StatusCode::CREATED);
    assert!(created["acknowledge_by"].as_str().unwrap().len() == 10);
    assert!(
        created.get("case_code").is_none(),
        "the server never had a code"
    );

    // Nothing sent held the marker or the code.
    let code = sealed.code.expose_grouped().as_str().to_owned();
    let sent = format!("{envelope}");
    for bytes in [sent.as_bytes(), &sealed.report[..], &files[0][..]] {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains(MARKER) && !text.contains(&code));
    }

    // The handler reads it like any case.
    let token = app.staff_token("hanne").await;
    let ids = app.api_case_ids(&token).await;
    assert_eq!(ids.len(), 1);
    let case = app.api_case(&token, ids[0]).await.expect(StatusCode::OK);
    assert_eq!(case["report"]["description"], format!("Rapport: {MARKER}"));
    assert_eq!(case["report"]["place"], "Lager 3");
    assert_eq!(case["category"], "avvik");
    let listed = &case["attachments"][0];
    assert_eq!(listed["name"], "bevis.txt");
    let bytes = app.staff_attachment(&token, ids[0], listed).await;
    assert_eq!(bytes, attachment);
    // The stored case key is the browser's.
    assert_eq!(
        app.stored_case(ids[0]).await.recipient,
        sealed.recipient.to_string()
    );

    // The reporter comes back with the code, as with any case.
    let reporter = app.reporter_token(&code).await;
    let mine = app
        .api_reporter_case(&reporter)
        .await
        .expect(StatusCode::OK);
    assert_eq!(mine["report"]["description"], format!("Rapport: {MARKER}"));
    app.teardown().await;
}

async fn a_changed_routing_is_refused_and_the_same_ciphertexts_rewrapped_are_taken(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let before = routing(&app).await;
    let sealed = seal("hybrid", "Døren til serverrommet står åpen.", &[]);
    let old = envelope(&sealed, &before, &wraps(&sealed, &before));
    // A handler joins between the routing and the submission.
    app.add_user("ola", "Ola Handler", &["handler"]).await;
    let r = send(&app, form(&old, &sealed.report, &[])).await;
    r.expect_error(StatusCode::CONFLICT, "routing_changed");
    assert_eq!(case_count(&app).await, 0);

    let after = routing(&app).await;
    assert_ne!(after["routing_id"], before["routing_id"]);
    assert_eq!(after["recipients"].as_array().unwrap().len(), 2);
    let new = envelope(&sealed, &after, &wraps(&sealed, &after));
    send(&app, form(&new, &sealed.report, &[]))
        .await
        .expect(StatusCode::CREATED);
    for user in ["hanne", "ola"] {
        let token = app.staff_token(user).await;
        let id = app.api_case_ids(&token).await[0];
        let case = app.api_case(&token, id).await.expect(StatusCode::OK);
        assert_eq!(
            case["report"]["description"],
            "Døren til serverrommet står åpen."
        );
    }
    app.teardown().await;
}

async fn parts_that_are_not_what_they_claim_are_refused_and_nothing_is_kept(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let routing = routing(&app).await;
    let sealed = seal("hybrid", "Noe skjedde.", &[("a.txt", b"innhold")]);
    let good_wraps = wraps(&sealed, &routing);
    let files: Vec<Vec<u8>> = sealed.files.iter().map(|(_, f)| f.clone()).collect();
    let hanne_holder = routing["recipients"][0]["holder"]
        .as_str()
        .unwrap()
        .to_owned();

    // A classic wrap where the routed key is hybrid.
    let mut classic = good_wraps.clone();
    let x25519 = X25519Identity::generate().to_public();
    classic.insert(
        hanne_holder.clone(),
        STANDARD.encode(encrypt_to(
            &AnyRecipient::X25519(x25519),
            b"AGE-SECRET-KEY-PQ-1X",
        )),
    );
    // A wrap missing, and one too many.
    let mut missing = good_wraps.clone();
    missing.remove(&hanne_holder);
    let mut extra = good_wraps.clone();
    extra.insert("recovery".to_owned(), good_wraps["reporter"].clone());
    // Not base64.
    let mut garbled = good_wraps.clone();
    garbled.insert(hanne_holder.clone(), "***".to_owned());

    // (envelope, report, attachments, status, error code)
    type Attempt<'a> = (Value, Vec<u8>, Vec<Vec<u8>>, StatusCode, &'a str);
    let cases: Vec<Attempt> = vec![
        (
            envelope(&sealed, &routing, &classic),
            sealed.report.clone(),
            files.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_ciphertext",
        ),
        (
            envelope(&sealed, &routing, &missing),
            sealed.report.clone(),
            files.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_ciphertext",
        ),
        (
            envelope(&sealed, &routing, &extra),
            sealed.report.clone(),
            files.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_ciphertext",
        ),
        (
            envelope(&sealed, &routing, &garbled),
            sealed.report.clone(),
            files.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_ciphertext",
        ),
        // The report in plaintext.
        (
            envelope(&sealed, &routing, &good_wraps),
            b"{\"description\":\"x\"}".to_vec(),
            files.clone(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_ciphertext",
        ),
        // An attachment in plaintext.
        (
            envelope(&sealed, &routing, &good_wraps),
            sealed.report.clone(),
            vec![b"hemmelig innhold".to_vec()],
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_ciphertext",
        ),
        // An attachment cut short of its one chunk's tag (a cut within a
        // chunk leaves a valid length: only the key can tell).
        (
            envelope(&sealed, &routing, &good_wraps),
            sealed.report.clone(),
            vec![files[0][..files[0].len() - 20].to_vec()],
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_ciphertext",
        ),
        // A name for a file that was not sent.
        (
            envelope(&sealed, &routing, &good_wraps),
            sealed.report.clone(),
            vec![],
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_ciphertext",
        ),
    ];
    for (i, (envelope, report, files, status, code)) in cases.into_iter().enumerate() {
        let r = send(&app, form(&envelope, &report, &files)).await;
        assert_eq!(r.status, status, "case {i}: {}", r.text);
        r.expect_error(status, code);
        assert_eq!(case_count(&app).await, 0);
        assert_eq!(
            stored_files(&app),
            Vec::<std::path::PathBuf>::new(),
            "no file left behind"
        );
    }
    // No envelope, and no report.
    let r = send(
        &app,
        Form::new().part("report", Part::bytes(sealed.report.clone())),
    )
    .await;
    r.expect_error(StatusCode::BAD_REQUEST, "envelope_required");
    let good = envelope(&sealed, &routing, &good_wraps);
    let r = send(&app, Form::new().text("envelope", good.to_string())).await;
    r.expect_error(StatusCode::BAD_REQUEST, "report_required");
    // The same, whole, is taken.
    send(&app, form(&good, &sealed.report, &files))
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(case_count(&app).await, 1);
    app.teardown().await;
}

async fn an_identity_sealed_in_the_browser_reaches_the_custodians_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let routing = routing(&app).await;
    assert_eq!(routing["custodians"], json!([]), "no custodian yet");
    // Without a custodian an identity is refused, and nothing is stored.
    let sealed = seal("hybrid", "Med identitet.", &[]);
    let mut refused = envelope(&sealed, &routing, &wraps(&sealed, &routing));
    let anyone = HybridIdentity::generate().to_public();
    refused["identity"] = STANDARD
        .encode(encrypt_to(&AnyRecipient::Hybrid(anyone), b"{}"))
        .into();
    send(&app, form(&refused, &sealed.report, &[]))
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "identity_unavailable");
    assert_eq!(case_count(&app).await, 0);

    let kim = app.add_user("kim", "Kim Keeper", &["custodian"]).await;
    let routing = self::routing(&app).await;
    let keeper_key = app.store.user_by_id(kim).await.unwrap().unwrap().recipient;
    assert_eq!(routing["custodians"], json!([keeper_key]));
    // An identity sealed to someone else as well is refused.
    let mut two = envelope(&sealed, &routing, &wraps(&sealed, &routing));
    let keeper: AnyRecipient = keeper_key.parse().unwrap();
    let stranger = AnyRecipient::Hybrid(HybridIdentity::generate().to_public());
    two["identity"] = STANDARD
        .encode(varsel_crypto::encrypt(&[&keeper as &dyn Recipient, &stranger], b"{}").unwrap())
        .into();
    send(&app, form(&two, &sealed.report, &[]))
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_ciphertext");
    assert_eq!(case_count(&app).await, 0);

    let mut given = envelope(&sealed, &routing, &wraps(&sealed, &routing));
    given["identity"] = sealed_identity(&routing, "Kari Nordmann").into();
    send(&app, form(&given, &sealed.report, &[]))
        .await
        .expect(StatusCode::CREATED);
    let token = app.staff_token("hanne").await;
    let case = app.api_case_ids(&token).await[0];
    let stored = app
        .store
        .identity_of(case)
        .await
        .unwrap()
        .expect("an identity");
    // Sealed to the custodian alone: the handler's key does not open it.
    assert_eq!(crate::helpers::stanzas(&stored.sealed), ["mlkem768x25519"]);
    let handler = app
        .api_case_identity(&token, case)
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        handler["state"], "hidden",
        "given, and closed to the handler: {handler}"
    );
    app.teardown().await;
}

async fn a_case_sealed_wrongly_is_named_and_stops_neither_upgrade_nor_recovery(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // A member still on X25519 (not logged in since hybrid keys came), and
    // an X25519 recovery key: the routing mixes kinds, each wrap its own.
    let hanne = app
        .add_x25519_user("hanne", "Hanne Handler", &["handler"])
        .await;
    let recovery = X25519Identity::generate();
    app.store
        .set_setting(
            varsel::core::casework::RECOVERY_SETTING,
            &recovery.to_public().to_string(),
        )
        .await
        .unwrap();
    let routing = routing(&app).await;
    assert_eq!(routing["key_kind"], "hybrid");

    // A good case, and one whose wraps are well formed but made out to
    // other keys: the server cannot tell them apart.
    let good = seal("hybrid", "Riktig forseglet.", &[]);
    let good_envelope = envelope(&good, &routing, &wraps(&good, &routing));
    send(&app, form(&good_envelope, &good.report, &[]))
        .await
        .expect(StatusCode::CREATED);
    let bad = seal("hybrid", "Feil forseglet.", &[]);
    let mut bad_wraps = wraps(&bad, &routing);
    for r in routing["recipients"].as_array().unwrap() {
        let other = AnyRecipient::X25519(X25519Identity::generate().to_public());
        let wrapped = encrypt_to(&other, bad.identity.to_bech32().as_bytes());
        bad_wraps.insert(
            r["holder"].as_str().unwrap().to_owned(),
            STANDARD.encode(wrapped),
        );
    }
    send(
        &app,
        form(&envelope(&bad, &routing, &bad_wraps), &bad.report, &[]),
    )
    .await
    .expect(StatusCode::CREATED);
    let good_id = app
        .store
        .case_by_tag(good.code.lookup_tag().as_bytes())
        .await
        .unwrap()
        .unwrap()
        .id;
    let bad_id = app
        .store
        .case_by_tag(bad.code.lookup_tag().as_bytes())
        .await
        .unwrap()
        .unwrap()
        .id;

    // The login upgrades Hanne's key past the case it cannot open.
    let token = app.staff_token("hanne").await;
    let user = app.store.user_by_id(hanne).await.unwrap().unwrap();
    assert!(user.recipient.starts_with("age1pq1"), "upgraded");
    let wraps_now: std::collections::HashMap<_, _> = app
        .store
        .user_wraps(hanne)
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(
        crate::helpers::stanzas(&wraps_now[&good_id]),
        ["mlkem768x25519"]
    );
    assert_eq!(
        crate::helpers::stanzas(&wraps_now[&bad_id]),
        ["X25519"],
        "left as it was"
    );

    // The good case opens; the bad one is named, not a server error.
    let opened = app.api_case(&token, good_id).await.expect(StatusCode::OK);
    assert_eq!(opened["report"]["description"], "Riktig forseglet.");
    app.api_case(&token, bad_id)
        .await
        .expect_error(StatusCode::CONFLICT, "case_unreadable");
    let page = app.staff_login("hanne").await;
    let shown = app.get(&page, &format!("/staff/cases/{bad_id}")).await;
    assert_eq!(shown.status, StatusCode::CONFLICT);
    assert!(shown.text.contains("kan ikke åpnes"), "{}", shown.text);

    // Recovery grants the good case and names the bad one.
    let granted = varsel::core::recovery::grant(
        &*app.store,
        &app.state.settings,
        time::OffsetDateTime::now_utc().unix_timestamp(),
        &varsel_crypto::AnyIdentity::X25519(recovery),
        "hanne",
        &zeroize::Zeroizing::new("et nytt og langt passord 42".to_owned()),
    )
    .await
    .expect("recovery");
    assert_eq!(granted.granted, 1);
    assert_eq!(granted.unreadable, [bad_id]);
    app.teardown().await;
}
