//! Follow-up with the case key in the browser (issue 13, docs/e2e.md
//! "Follow-up with the code in the browser"), with `varsel-crypto` as the
//! browser: the login by the lookup tag and a proof only the case key can
//! make, the case page as ciphertexts, attachments served as age files,
//! and replies sealed before they are sent. The same session still takes
//! the plain forms, sealed by the server with the case's recipient.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use time::OffsetDateTime;
use varsel::core::clock::ManualClock;
use varsel::core::keys;
use varsel_crypto::{AnyIdentity, AnyRecipient, CaseCode, Recipient};

use crate::app::{csrf_of, Backend, ReportForm, TestApp};
use crate::for_each_backend;

for_each_backend!(
    a_tag_and_a_proof_open_the_case_in_the_browser,
    a_login_without_the_case_key_opens_nothing,
    a_sealed_reply_that_is_not_what_it_claims_is_refused,
    a_reply_sealed_to_another_key_hides_only_itself
);

const SECRET: &str = "HEMMELIG-oppfolging-77";

/// What the browser holds after a login: its client and the case key.
struct InBrowser {
    client: Client,
    identity: AnyIdentity,
    tag: String,
}

/// The first step: the wrap and the challenge for `code`'s tag.
async fn offer(app: &TestApp, client: &Client, tag: &str) -> (StatusCode, Value) {
    let page = app.page(client, "/followup").await;
    let r = app
        .post_form_with_token(
            client,
            Some(&csrf_of(&page)),
            "/followup/browser",
            &[("lookup_tag", tag)],
        )
        .await;
    let body = serde_json::from_str(&r.text).unwrap_or(Value::Null);
    (r.status, body)
}

/// The second step, with `proof`.
async fn session(app: &TestApp, client: &Client, tag: &str, proof: &str) -> StatusCode {
    let page = app.page(client, "/followup").await;
    app.post_form_with_token(
        client,
        Some(&csrf_of(&page)),
        "/followup/browser/session",
        &[("lookup_tag", tag), ("proof", proof)],
    )
    .await
    .status
}

fn b64(value: &Value) -> Vec<u8> {
    STANDARD
        .decode(value.as_str().expect("base64"))
        .expect("base64")
}

/// The case key and the proof, opened as the browser opens them.
fn open_offer(code: &CaseCode, offer: &Value) -> (AnyIdentity, String) {
    let identity = keys::unwrap_case_identity(&b64(&offer["wrap"]), &keys::reporter_keys(code))
        .expect("the code's key opens the wrap");
    let proof = keys::open(&identity, &b64(&offer["challenge"])).expect("the case key opens it");
    (identity, String::from_utf8(proof.to_vec()).unwrap())
}

async fn log_in(app: &TestApp, code: &str) -> InBrowser {
    let code = CaseCode::parse(code).unwrap();
    let tag = hex::encode(code.lookup_tag().as_bytes());
    let client = app.client();
    let (status, body) = offer(app, &client, &tag).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (identity, proof) = open_offer(&code, &body);
    assert_eq!(
        session(app, &client, &tag, &proof).await,
        StatusCode::NO_CONTENT
    );
    InBrowser {
        client,
        identity,
        tag,
    }
}

fn stored_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    let dir = app.state.settings.storage.attachments_dir();
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

/// Every value of attribute `name` in `html`, in order.
fn attribute_values(html: &str, name: &str) -> Vec<String> {
    let needle = format!("{name}=\"");
    html.match_indices(&needle)
        .map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

fn decrypt(identity: &AnyIdentity, b64_file: &str) -> String {
    let file = STANDARD.decode(b64_file).unwrap();
    String::from_utf8(keys::open(identity, &file).unwrap().to_vec()).unwrap()
}

fn encrypt_to(recipient: &AnyRecipient, plain: &[u8]) -> Vec<u8> {
    varsel_crypto::encrypt(&[recipient as &dyn Recipient], plain).expect("encrypt")
}

/// A reply as the browser sends it: `message` and `files` sealed to `to`.
fn sealed_reply(csrf: &str, to: &AnyRecipient, message: &str, files: &[(&str, &[u8])]) -> Form {
    let names: Vec<String> = files
        .iter()
        .map(|(name, _)| {
            let json = json!({"name": name, "content_type": "text/plain"}).to_string();
            STANDARD.encode(encrypt_to(to, json.as_bytes()))
        })
        .collect();
    let mut form = Form::new()
        .text("csrf", csrf.to_owned())
        .text("envelope", json!({ "attachment_names": names }).to_string());
    if !message.is_empty() {
        form = form.part(
            "message",
            Part::bytes(encrypt_to(to, message.as_bytes())).file_name("blob"),
        );
    }
    for (_, bytes) in files {
        form = form.part(
            "attachment",
            Part::bytes(encrypt_to(to, bytes)).file_name("blob"),
        );
    }
    form
}

async fn a_tag_and_a_proof_open_the_case_in_the_browser(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let mut report = ReportForm::new(SECRET);
    report.place = "Lageret";
    report.files = vec![("bevis.pdf", b"%PDF bevis".to_vec())];
    let code = app.file_report(&report).await;
    let token = app.staff_token("hanne").await;
    let id = app.api_case_ids(&token).await[0];
    app.api_reply(&token, id, "Svar: takk for varselet.")
        .await
        .expect(StatusCode::CREATED);

    let browser = log_in(&app, &code).await;
    let page = app.page(&browser.client, "/case").await;
    assert!(page.contains("id=\"sealed-case\""), "{page}");
    assert!(!page.contains(SECRET), "no plaintext on the page");
    assert!(!page.contains("Svar: takk"), "no plaintext on the page");
    assert!(!page.contains("bevis.pdf"), "no plaintext on the page");
    // The report, the thread and the attachment's name decrypt with the
    // case key the browser unwrapped.
    let report_json: Value = serde_json::from_str(&decrypt(
        &browser.identity,
        &attribute_values(&page, "data-sealed-report")[0],
    ))
    .unwrap();
    assert_eq!(report_json["description"], SECRET);
    assert_eq!(report_json["place"], "Lageret");
    let texts: Vec<String> = attribute_values(&page, "data-sealed-text")
        .iter()
        .map(|t| decrypt(&browser.identity, t))
        .collect();
    assert_eq!(texts, ["Svar: takk for varselet."]);
    let name: Value = serde_json::from_str(&decrypt(
        &browser.identity,
        &attribute_values(&page, "data-sealed-name")[0],
    ))
    .unwrap();
    assert_eq!(name["name"], "bevis.pdf");
    // The attachment comes as its age file.
    let recipient = attribute_values(&page, "data-case-recipient")[0].clone();
    assert_eq!(recipient, browser.identity.to_public().to_string());
    let href = page
        .split("href=\"/case/attachments/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let file = browser
        .client
        .get(app.url(&format!("/case/attachments/{href}")))
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    let file = file.bytes().await.unwrap();
    assert!(file.starts_with(b"age-encryption.org/v1\n"));
    assert_eq!(
        keys::open(&browser.identity, &file).unwrap().as_slice(),
        b"%PDF bevis"
    );

    // A reply sealed in the browser, with a file; then one through the
    // plain form, which the server seals with the case's recipient.
    let csrf = csrf_of(&page);
    let to: AnyRecipient = recipient.parse().unwrap();
    let sent = app
        .post_multipart(
            &browser.client,
            "/case/reply/sealed",
            sealed_reply(
                &csrf,
                &to,
                &format!("Mer: {SECRET}"),
                &[("logg.txt", b"linje 1\n")],
            ),
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    assert_eq!(
        serde_json::from_str::<Value>(&sent.text).unwrap()["location"],
        "/case"
    );
    let plain = app
        .reporter_reply(&browser.client, Some(&csrf), "Uten skript.", &[])
        .await;
    assert_eq!(plain.status, StatusCode::SEE_OTHER, "{}", plain.text);

    // The handler reads both, and the file, as any others.
    let case = app.api_case(&token, id).await.expect(StatusCode::OK);
    let bodies: Vec<&str> = case["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            "Svar: takk for varselet.",
            &format!("Mer: {SECRET}"),
            "Uten skript."
        ]
    );
    let listed = case["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "logg.txt")
        .expect("the reply's file")
        .clone();
    assert_eq!(listed["content_type"], "text/plain");
    let bytes = app.staff_attachment(&token, id, &listed).await;
    assert_eq!(bytes, b"linje 1\n");
    // The code still opens the case the plain way, and shows it all.
    let with_code = app.reporter_case_page(&code).await;
    assert!(with_code.contains(&format!("Mer: {SECRET}")));
    assert!(with_code.contains("logg.txt"));
    assert!(!browser.tag.is_empty());
    app.teardown().await;
}

async fn a_login_without_the_case_key_opens_nothing(backend: Backend) {
    let clock = Arc::new(ManualClock::new(OffsetDateTime::now_utc()));
    let app = TestApp::spawn_with_clock(backend, clock.clone(), |_| {}).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let first = app.file_report(&ReportForm::new("Den første")).await;
    let second = app.file_report(&ReportForm::new("Den andre")).await;
    let first = CaseCode::parse(&first).unwrap();
    let second = CaseCode::parse(&second).unwrap();
    let tag = hex::encode(first.lookup_tag().as_bytes());
    let other_tag = hex::encode(second.lookup_tag().as_bytes());
    let client = app.client();

    // An unknown tag, and one that is not a tag.
    let (status, body) = offer(&app, &client, &"ab".repeat(32)).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::NOT_FOUND, &json!("not_found"))
    );
    let (status, body) = offer(&app, &client, "xyz").await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid"))
    );

    // The tag alone (as a copy of the database holds it) opens nothing:
    // no proof, a made-up one, another case's proof, an altered one.
    let (status, body) = offer(&app, &client, &tag).await;
    assert_eq!(status, StatusCode::OK);
    let (_, proof) = open_offer(&first, &body);
    let (_, other_body) = offer(&app, &client, &other_tag).await;
    let (_, other_proof) = open_offer(&second, &other_body);
    let mut altered = proof.clone();
    let last = altered.pop().unwrap();
    altered.push(if last == '0' { '1' } else { '0' });
    let made_up = format!("varsel.e2e.login.v1 {}", "00".repeat(32));
    for wrong in ["", &made_up, &other_proof, &altered] {
        assert_eq!(
            session(&app, &client, &tag, wrong).await,
            StatusCode::NOT_FOUND,
            "{wrong:?}"
        );
    }
    assert_eq!(
        app.get(&client, "/case").await.location(),
        Some("/followup"),
        "no session"
    );
    // A proof is good for five minutes.
    clock.advance(time::Duration::minutes(6));
    assert_eq!(
        session(&app, &client, &tag, &proof).await,
        StatusCode::NOT_FOUND
    );
    let (_, body) = offer(&app, &client, &tag).await;
    let (_, fresh) = open_offer(&first, &body);
    assert_eq!(
        session(&app, &client, &tag, &fresh).await,
        StatusCode::NO_CONTENT
    );
    let page = app.page(&client, "/case").await;
    assert!(page.contains("data-sealed-report"));
    // A proof works once: the same answer again opens nothing.
    assert_eq!(
        session(&app, &app.client(), &tag, &fresh).await,
        StatusCode::NOT_FOUND
    );
    // A form without its token is refused before anything is looked up.
    let r = app
        .post_form_with_token(&client, None, "/followup/browser", &[("lookup_tag", &tag)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    app.teardown().await;
}

async fn a_sealed_reply_that_is_not_what_it_claims_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let code = app.file_report(&ReportForm::new("Rapporten")).await;
    let browser = log_in(&app, &code).await;
    let page = app.page(&browser.client, "/case").await;
    let csrf = csrf_of(&page);
    let to = browser.identity.to_public();
    let stranger = AnyIdentity::X25519(varsel_crypto::X25519Identity::generate()).to_public();
    let two_recipients = {
        let kind = if to.is_hybrid() {
            keys::KeyKind::Hybrid
        } else {
            keys::KeyKind::X25519
        };
        let other = keys::new_case_identity(kind).to_public();
        varsel_crypto::encrypt(
            &[&to as &dyn Recipient, &other as &dyn Recipient],
            b"to two",
        )
        .unwrap()
    };
    let cases: Vec<(&str, Form)> = vec![
        (
            "not an age file",
            Form::new()
                .text("csrf", csrf.clone())
                .text("envelope", r#"{"attachment_names":[]}"#)
                .part(
                    "message",
                    Part::bytes(b"plain text".to_vec()).file_name("blob"),
                ),
        ),
        (
            "two stanzas",
            Form::new()
                .text("csrf", csrf.clone())
                .text("envelope", r#"{"attachment_names":[]}"#)
                .part("message", Part::bytes(two_recipients).file_name("blob")),
        ),
        (
            "a file without its name",
            Form::new()
                .text("csrf", csrf.clone())
                .text("envelope", r#"{"attachment_names":[]}"#)
                .part(
                    "attachment",
                    Part::bytes(encrypt_to(&to, b"x")).file_name("blob"),
                ),
        ),
        (
            "a file that is not an age file",
            sealed_reply(&csrf, &to, "", &[("a.txt", b"x")]).part(
                "attachment",
                Part::bytes(b"not sealed".to_vec()).file_name("blob"),
            ),
        ),
    ];
    let kind_mismatch = to.is_hybrid();
    let files_before = stored_files(&app);
    for (what, form) in cases {
        let r = app
            .post_multipart(&browser.client, "/case/reply/sealed", form)
            .await;
        assert!(
            r.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {} {}",
            r.status,
            r.text
        );
        assert_eq!(
            serde_json::from_str::<Value>(&r.text).unwrap()["error"],
            "invalid_ciphertext",
            "{what}"
        );
    }
    // A message to a key of the other kind than the case's.
    if kind_mismatch {
        let r = app
            .post_multipart(
                &browser.client,
                "/case/reply/sealed",
                sealed_reply(&csrf, &stranger, "feil nøkkel", &[]),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    }
    // Empty, and without a session.
    let r = app
        .post_multipart(
            &browser.client,
            "/case/reply/sealed",
            sealed_reply(&csrf, &to, "", &[]),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        serde_json::from_str::<Value>(&r.text).unwrap()["error"],
        "reply_empty"
    );
    let r = app
        .post_multipart(
            &app.client(),
            "/case/reply/sealed",
            sealed_reply(&csrf, &to, "uten økt", &[]),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Nothing was stored: no message, no file.
    let token = app.staff_token("hanne").await;
    let id = app.api_case_ids(&token).await[0];
    let case = app.api_case(&token, id).await.expect(StatusCode::OK);
    assert_eq!(case["messages"].as_array().unwrap().len(), 0, "{case}");
    assert_eq!(case["attachments"].as_array().unwrap().len(), 0);
    assert_eq!(stored_files(&app), files_before, "no file was kept");
    app.teardown().await;
}

async fn a_reply_sealed_to_another_key_hides_only_itself(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let code = app.file_report(&ReportForm::new("Rapporten står")).await;
    let browser = log_in(&app, &code).await;
    let page = app.page(&browser.client, "/case").await;
    let csrf = csrf_of(&page);
    // Well-formed, of the case key's kind, but to another key: the server
    // cannot tell (docs/e2e.md), so it is stored.
    let kind = if browser.identity.to_public().is_hybrid() {
        keys::KeyKind::Hybrid
    } else {
        keys::KeyKind::X25519
    };
    let other = keys::new_case_identity(kind).to_public();
    let sent = app
        .post_multipart(
            &browser.client,
            "/case/reply/sealed",
            sealed_reply(&csrf, &other, "feil nøkkel", &[("feil.txt", b"x")]),
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    let good = app
        .reporter_reply(&browser.client, Some(&csrf), "Riktig nøkkel.", &[])
        .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER);

    // The handler still reads the case: the one reply is marked unreadable.
    let token = app.staff_token("hanne").await;
    let id = app.api_case_ids(&token).await[0];
    let case = app.api_case(&token, id).await.expect(StatusCode::OK);
    assert_eq!(case["report"]["description"], "Rapporten står");
    let messages = case["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["unreadable"], true);
    assert_eq!(messages[0]["body"], "");
    assert_eq!(messages[1]["unreadable"], false);
    assert_eq!(messages[1]["body"], "Riktig nøkkel.");
    assert_eq!(case["attachments"][0]["unreadable"], true);
    let staff = app.staff_login("hanne").await;
    let staff_page = app.page(&staff.client, &format!("/staff/cases/{id}")).await;
    assert!(staff_page.contains("Denne meldingen kan ikke åpnes med saksnøkkelen"));
    assert!(staff_page.contains("Riktig nøkkel."));
    assert!(
        !staff_page.contains(&format!(
            "/staff/cases/{id}/attachments/{}",
            case["attachments"][0]["id"].as_str().unwrap()
        )),
        "no link to a file that would not open"
    );
    // So does the reporter, with the code.
    let with_code = app.reporter_case_page(&code).await;
    assert!(with_code.contains("Rapporten står"));
    assert!(with_code.contains("<span>(vedlegg som ikke kan åpnes med saksnøkkelen)</span>"));
    // And an export: the part is named as unreadable, and not in the archive.
    let keys_dir = tempfile::tempdir().unwrap();
    let opener = varsel_crypto::X25519Identity::generate();
    let key_file = crate::export::identity_file(keys_dir.path(), "export.key", &opener);
    let r = app
        .api_request(
            reqwest::Method::POST,
            &format!("/staff/cases/{id}/export"),
            Some(&token),
        )
        .json(&json!({ "recipients": [opener.to_public().to_string()] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let archive = r.bytes().await.unwrap().to_vec();
    let unpacked = crate::export::unpack(
        &crate::export::age(),
        &key_file,
        &archive,
        id,
        &["case.json", "thread.txt"],
    );
    assert!(
        !unpacked.listing.contains("/attachments/"),
        "{}",
        unpacked.listing
    );
    let json: Value = serde_json::from_str(&unpacked.text("case.json")).unwrap();
    assert_eq!(json["thread"][0]["unreadable"], true);
    assert_eq!(json["thread"][1]["body"], "Riktig nøkkel.");
    assert_eq!(json["attachments"][0]["unreadable"], true);
    assert_eq!(json["attachments"][0]["file"], Value::Null);
    assert!(unpacked
        .text("thread.txt")
        .contains("Denne meldingen kan ikke åpnes med saksnøkkelen"));
    app.teardown().await;
}
