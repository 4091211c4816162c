//! The report form encrypted in the browser (issue 13, docs/e2e.md), in
//! headless Chromium with JavaScript on, behind a proxy of the test's own
//! that records every byte the browser sends: a report with a marker
//! string and an attachment holding it is filed, the page says it was
//! encrypted in the browser, and neither the marker nor the case code
//! appears in any request. The handler then reads the report and the
//! attachment, and the reporter logs in with the code like anyone else.
//! With JavaScript off the same form is sealed on the server, and the two
//! cases look alike to the handler.

use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::Browser;
use crate::app::{Backend, TestApp};
use crate::for_each_backend;

for_each_backend!(
    a_browser_encrypted_report_sends_neither_the_marker_nor_the_code,
    either_path_gives_the_handler_the_same_case,
    an_image_is_stripped_and_an_identity_sealed_in_the_browser
);

const MARKER: &str = "MARKER-e2e-4c1d-hemmelig";

/// A TCP proxy in front of the service that keeps everything clients send.
struct RecordingProxy {
    address: String,
    sent: Arc<Mutex<Vec<u8>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RecordingProxy {
    async fn start(target: &str) -> Self {
        let target = target
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let sent = Arc::new(Mutex::new(Vec::new()));
        let record = sent.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let upstream = TcpStream::connect(&target).await.unwrap();
                let record = record.clone();
                tokio::spawn(async move {
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut up_read, mut up_write) = upstream.into_split();
                    let outbound = async move {
                        let mut buf = vec![0u8; 64 * 1024];
                        loop {
                            let n = match client_read.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            record.lock().unwrap().extend_from_slice(&buf[..n]);
                            if up_write.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                        let _ = up_write.shutdown().await;
                    };
                    let inbound = async move {
                        let _ = tokio::io::copy(&mut up_read, &mut client_write).await;
                        let _ = client_write.shutdown().await;
                    };
                    tokio::join!(outbound, inbound);
                });
            }
        });
        RecordingProxy {
            address,
            sent,
            task,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Everything sent so far, as text (bytes that are not UTF-8 replaced).
    fn sent(&self) -> String {
        String::from_utf8_lossy(&self.sent.lock().unwrap()).into_owned()
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Fills in and sends the report form of the page `browser` is on.
async fn file_report(browser: &Browser, text: &str, attachment: &std::path::Path) {
    browser.click("#category-avvik").await;
    browser
        .type_into("textarea[name='description']", text)
        .await;
    browser
        .type_into(
            "input[type='file'][name='attachment']",
            &attachment.display().to_string(),
        )
        .await;
    browser.click("#report-form button[type='submit']").await;
}

async fn a_browser_encrypted_report_sends_neither_the_marker_nor_the_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let proxy = RecordingProxy::start(&app.url("")).await;
    let upload = tempfile::Builder::new().suffix(".txt").tempfile().unwrap();
    let content = format!("Vedlegg med {MARKER} i seg.\n").repeat(5_000);
    std::fs::write(upload.path(), &content).unwrap();

    let browser = Browser::start_with(true).await;
    browser.goto(&proxy.url("/report")).await;
    let form = browser.wait_for("data-e2e=\"on\"").await;
    assert!(
        form.contains("\">Varselet blir kryptert i nettleseren din"),
        "the form says where it encrypts"
    );
    file_report(&browser, &format!("Rapport: {MARKER}"), upload.path()).await;
    let (receipt, code) = browser.wait_for_code().await;
    assert!(
        receipt.contains(
            "<p class=\"notice\" data-slot=\"encrypted-where\">Saken ble kryptert i nettleseren din"
        ),
        "{receipt}"
    );

    // What the browser sent: the page, the script, the routing, the case.
    let sent = proxy.sent();
    assert!(
        sent.contains("POST /api/v1/e2e/routing"),
        "the routing was asked for"
    );
    assert!(
        sent.contains("POST /api/v1/e2e/reports"),
        "the case was sent"
    );
    assert!(!sent.contains("POST /report "), "not the plain form");
    let canonical: String = code.chars().filter(|c| *c != '-').collect();
    for secret in [MARKER, &code, &canonical, &code.to_lowercase()] {
        assert!(!sent.contains(secret), "{secret:?} was sent");
    }
    assert!(!sent.contains("hemmelig"), "no part of the marker was sent");

    // The handler reads the report and the attachment.
    let token = app.staff_token("hanne").await;
    let id = app.api_case_ids(&token).await[0];
    let case = app.api_case(&token, id).await.expect(StatusCode::OK);
    assert_eq!(case["report"]["description"], format!("Rapport: {MARKER}"));
    let listed = &case["attachments"][0];
    let name = upload.path().file_name().unwrap().to_str().unwrap();
    assert_eq!(listed["name"], name);
    let bytes = app.staff_attachment(&token, id, listed).await;
    assert!(bytes == content.as_bytes(), "the attachment, byte for byte");

    // The reporter comes back with the code.
    let reporter = app.reporter_token(&code).await;
    let mine = app
        .api_reporter_case(&reporter)
        .await
        .expect(StatusCode::OK);
    assert_eq!(mine["report"]["description"], format!("Rapport: {MARKER}"));

    // "Done" leaves the receipt for the start page.
    browser.click("[data-action='done']").await;
    browser.wait_for("href=\"/report\"").await;

    // The handler answers; the reporter comes back in the browser, where
    // the code stays: the case is decrypted there and the reply encrypted.
    app.api_reply(&token, id, "Svar fra behandleren: takk for varselet.")
        .await
        .expect(StatusCode::CREATED);
    let reply_upload = tempfile::Builder::new().suffix(".txt").tempfile().unwrap();
    let reply_content = format!("Nytt vedlegg: {MARKER}\n").repeat(3_000);
    std::fs::write(reply_upload.path(), &reply_content).unwrap();
    browser.goto(&proxy.url("/followup")).await;
    browser.wait_for("data-e2e=\"on\"").await;
    browser.type_into("#code", &code.to_lowercase()).await;
    browser.click("#followup-form button[type='submit']").await;
    let page = browser
        .wait_for(">Svar fra behandleren: takk for varselet.</p>")
        .await;
    assert!(
        page.contains(&format!(">Rapport: {MARKER}</p>")),
        "the report, decrypted in the browser: {page}"
    );
    // The attachments' names are decrypted after the texts.
    browser.wait_for(&format!(">{name}</a>")).await;
    assert!(page.contains("id=\"sealed-case\""), "{page}");
    browser
        .type_into("#message", &format!("Oppfølging: {MARKER}"))
        .await;
    browser
        .type_into("#attachment", &reply_upload.path().display().to_string())
        .await;
    browser.click("#reply-form button[type='submit']").await;
    browser
        .wait_for(&format!(">Oppfølging: {MARKER}</p>"))
        .await;
    let reply_name = reply_upload.path().file_name().unwrap().to_str().unwrap();
    browser.wait_for(&format!(">{reply_name}</a>")).await;

    // Nothing of the code, the marker or the reply left the browser: the
    // login sent the tag and the proof, the reply its ciphertexts.
    let sent = proxy.sent();
    for path in [
        "POST /followup/browser ",
        "POST /followup/browser/session ",
        "POST /case/reply/sealed ",
    ] {
        assert!(sent.contains(path), "{path} was not used");
    }
    assert!(!sent.contains("POST /followup "), "not the plain login");
    assert!(!sent.contains("POST /case/reply "), "not the plain reply");
    for secret in [MARKER, &code, &canonical, &code.to_lowercase()] {
        assert!(!sent.contains(secret), "{secret:?} was sent");
    }
    assert!(!sent.contains("hemmelig"), "no part of the marker was sent");
    assert!(!sent.contains("Oppf"), "no part of the reply was sent");

    // The handler reads the reply and its attachment.
    let case = app.api_case(&token, id).await.expect(StatusCode::OK);
    let messages = case["messages"].as_array().unwrap();
    assert_eq!(
        messages.last().unwrap()["body"],
        format!("Oppfølging: {MARKER}")
    );
    let listed = case["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == reply_name)
        .expect("the reply's attachment is listed");
    let bytes = app.staff_attachment(&token, id, listed).await;
    assert!(bytes == reply_content.as_bytes(), "byte for byte");

    // Logging out forgets the key: the tab no longer holds it.
    assert!(browser.session_item("varsel.case").await.is_some());
    browser.click("form[action='/case/logout'] button").await;
    browser.wait_for("href=\"/report\"").await;
    assert_eq!(browser.session_item("varsel.case").await, None);
    browser.quit().await;
    app.teardown().await;
}

async fn either_path_gives_the_handler_the_same_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let upload = tempfile::Builder::new().suffix(".txt").tempfile().unwrap();
    std::fs::write(upload.path(), b"samme vedlegg").unwrap();
    for javascript in [true, false] {
        let browser = Browser::start_with(javascript).await;
        browser.goto(&app.url("/report")).await;
        file_report(&browser, "Samme rapport", upload.path()).await;
        let (receipt, _) = browser.wait_for_code().await;
        let expected = if javascript {
            "Saken ble kryptert i nettleseren din"
        } else {
            "Saken ble kryptert på serveren ved mottak"
        };
        assert!(receipt.contains(expected), "{receipt}");
        browser.quit().await;
    }
    let token = app.staff_token("hanne").await;
    let inbox = app.api_inbox(&token).await;
    assert_eq!(inbox.len(), 2);
    let mut shapes = Vec::new();
    for row in &inbox {
        let id = row["id"].as_str().unwrap();
        let mut case = app.api_case(&token, id).await.expect(StatusCode::OK);
        let attachment = case["attachments"][0].clone();
        assert_eq!(
            attachment["name"],
            upload.path().file_name().unwrap().to_str().unwrap()
        );
        let bytes = app.staff_attachment(&token, id, &attachment).await;
        assert_eq!(bytes, b"samme vedlegg");
        // Everything but the ids is the same.
        let map = case.as_object_mut().unwrap();
        map.remove("id");
        map.remove("attachments");
        shapes.push(case);
    }
    assert_eq!(shapes[0], shapes[1], "the two cases differ");
    // The inbox rows too, but for their ids.
    let rows: Vec<_> = inbox
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.as_object_mut().unwrap().remove("id");
            r
        })
        .collect();
    assert_eq!(rows[0], rows[1]);
    app.teardown().await;
}

/// One JPEG segment: marker, length, payload.
fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
    s.extend_from_slice(payload);
    s
}

/// A small JPEG whose EXIF, comment and trailer hold `secret`, and the same
/// JPEG as the server's stripper leaves it.
fn jpeg_with(secret: &str) -> (Vec<u8>, Vec<u8>) {
    let jfif = segment(0xE0, b"JFIF\0\x01\x02\0\0\x01\0\x01\0\0");
    let exif = segment(0xE1, format!("Exif\0\0{secret}").as_bytes());
    let comment = segment(0xFE, secret.as_bytes());
    let dqt = segment(0xDB, &[0; 65]);
    let sos = segment(0xDA, &[1, 1, 0, 0, 63, 0]);
    let scan = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD9];
    let mut input = vec![0xFF, 0xD8];
    let mut want = vec![0xFF, 0xD8];
    for (seg, kept) in [
        (&jfif, true),
        (&exif, false),
        (&comment, false),
        (&dqt, true),
        (&sos, true),
    ] {
        input.extend_from_slice(seg);
        if kept {
            want.extend_from_slice(seg);
        }
    }
    input.extend_from_slice(&scan);
    want.extend_from_slice(&scan);
    input.extend_from_slice(secret.as_bytes());
    (input, want)
}

async fn an_image_is_stripped_and_an_identity_sealed_in_the_browser(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let kim = app.add_user("kim", "Kim Keeper", &["custodian"]).await;
    let proxy = RecordingProxy::start(&app.url("")).await;
    let photo = tempfile::Builder::new().suffix(".jpg").tempfile().unwrap();
    let (jpeg, stripped) = jpeg_with(MARKER);
    std::fs::write(photo.path(), &jpeg).unwrap();

    let browser = Browser::start_with(true).await;
    browser.goto(&proxy.url("/report")).await;
    browser.wait_for("data-e2e=\"on\"").await;
    browser.type_into("#identity_name", "Navn Navnesen").await;
    browser.type_into("#identity_role", "Lagerarbeider").await;
    file_report(&browser, "Se bildet.", photo.path()).await;
    let (receipt, _) = browser.wait_for_code().await;
    assert!(receipt.contains("kryptert i nettleseren din"), "{receipt}");
    let sent = proxy.sent();
    assert!(
        sent.contains("POST /api/v1/e2e/reports"),
        "encrypted in the browser"
    );
    for secret in [MARKER, "Navn Navnesen", "Lagerarbeider"] {
        assert!(!sent.contains(secret), "{secret:?} was sent");
    }

    // The handler gets the image without its metadata, byte for byte as
    // the server's stripper would have left it.
    let token = app.staff_token("hanne").await;
    let id = app.api_case_ids(&token).await[0];
    let case = app.api_case(&token, id).await.expect(StatusCode::OK);
    let listed = &case["attachments"][0];
    let bytes = app.staff_attachment(&token, id, listed).await;
    assert!(bytes == stripped, "stripped as the server strips");
    // The identity is sealed to the custodian alone.
    let stored = app
        .store
        .identity_of(id)
        .await
        .unwrap()
        .expect("an identity");
    assert_eq!(crate::helpers::stanzas(&stored.sealed), ["mlkem768x25519"]);
    let keeper = app.store.user_by_id(kim).await.unwrap().unwrap();
    let key = varsel::core::keys::unlock_user_identity(
        &keeper.wrapped_identity,
        crate::app::PASSWORD.as_bytes(),
    )
    .unwrap();
    let plain = varsel::core::keys::open(&key, &stored.sealed).unwrap();
    let identity: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(identity["name"], "Navn Navnesen");
    assert_eq!(identity["role"], "Lagerarbeider");
    assert_eq!(identity["contact"], "");
    browser.quit().await;
    app.teardown().await;
}
