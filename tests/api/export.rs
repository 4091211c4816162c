//! Case export (issue 12, docs/export.md): a case with a report, a thread and
//! a photo carrying EXIF is exported from the case page, through the API
//! and with `varsel export`; each archive is opened by the real `rage` and
//! Debian's `age` commands as separate processes and unpacked by `tar`, and
//! holds the report, the thread, the photo without its metadata and a
//! self-contained `index.html`. A staff member the case is not routed to
//! gets "not found"; a malformed recipient is a field error; every export
//! is in the audit log with its recipients.

use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;
use varsel_crypto::X25519Identity;

use crate::app::{api_report, Backend, TestApp, PASSWORD};
use crate::for_each_backend;

const PHOTO: &[u8] = include_bytes!("../fixtures/metadata/gps.jpg");
const MARKER: &str = "EKSPORTMARKØR-7731 <b>fet</b> & \"sitat\"";
const REPORTER_SAYS: &str = "Varsleren svarer: lageret var ulåst 4411";
const HANDLER_SAYS: &str = "Hanne spør: hvem hadde nøkkel? 2290";

/// `rage`: on `PATH`, or where `.ci/run` installs it (`cargo install --root
/// target/tools rage`). Missing, the test fails and says how to install it.
fn rage() -> PathBuf {
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tools/bin/rage");
    if local.is_file() {
        return local;
    }
    let on_path = Command::new("rage").arg("--version").output();
    assert!(
        on_path.is_ok_and(|o| o.status.success()),
        "the export test needs the rage command: install it with \
         `cargo install --locked --root target/tools rage --version 0.11.1` (as .ci/run does)"
    );
    PathBuf::from("rage")
}

/// Debian's `age`; missing, the test fails and says how to install it.
pub(crate) fn age() -> PathBuf {
    let on_path = Command::new("age").arg("--version").output();
    assert!(
        on_path.is_ok_and(|o| o.status.success()),
        "the export test needs the age command: install it with `apt-get install -y age` (as .ci/run does)"
    );
    PathBuf::from("age")
}

/// An identity file for `identity` in `dir`.
pub(crate) fn identity_file(dir: &Path, name: &str, identity: &X25519Identity) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{}\n", identity.to_bech32().as_str())).expect("identity file");
    path
}

/// What an unpacked archive holds.
pub(crate) struct Unpacked {
    _dir: tempfile::TempDir,
    /// `tar -t` of the archive.
    pub(crate) listing: String,
    root: PathBuf,
}

impl Unpacked {
    pub(crate) fn text(&self, name: &str) -> String {
        std::fs::read_to_string(self.root.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn bytes(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.root.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }
}

/// Decrypts `archive` with `tool -d -i identity` and unpacks it with `tar`,
/// both as separate processes; the listing must name every part.
pub(crate) fn open_with(tool: &Path, identity: &Path, archive: &[u8], case: Uuid) -> Unpacked {
    unpack(
        tool,
        identity,
        archive,
        case,
        &[
            "index.html",
            "report.txt",
            "thread.txt",
            "case.json",
            "attachments/01-foto.jpg",
        ],
    )
}

/// Decrypts `archive` as [`open_with`] does, checking that it holds `parts`.
pub(crate) fn unpack(
    tool: &Path,
    identity: &Path,
    archive: &[u8],
    case: Uuid,
    parts: &[&str],
) -> Unpacked {
    let dir = tempfile::tempdir().expect("temporary directory");
    let encrypted = dir.path().join("case.tar.age");
    let tar = dir.path().join("case.tar");
    std::fs::write(&encrypted, archive).expect("write the archive");
    let out = Command::new(tool)
        .arg("-d")
        .arg("-i")
        .arg(identity)
        .arg("-o")
        .arg(&tar)
        .arg(&encrypted)
        .output()
        .expect("run the age tool");
    assert!(
        out.status.success(),
        "{} -d failed: {}",
        tool.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let listing = Command::new("tar")
        .arg("-tf")
        .arg(&tar)
        .output()
        .expect("run tar -t");
    assert!(listing.status.success(), "tar -t failed");
    let listing = String::from_utf8_lossy(&listing.stdout).into_owned();
    let root = format!("varsel-case-{case}");
    for part in parts {
        assert!(
            listing.lines().any(|l| l == format!("{root}/{part}")),
            "{part} is not in the archive: {listing}"
        );
    }
    let unpacked = dir.path().join("out");
    std::fs::create_dir(&unpacked).expect("directory");
    let status = Command::new("tar")
        .arg("-xf")
        .arg(&tar)
        .arg("-C")
        .arg(&unpacked)
        .status()
        .expect("run tar -x");
    assert!(status.success(), "tar -x failed");
    Unpacked {
        root: unpacked.join(root),
        listing,
        _dir: dir,
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The archive holds the report, the thread, the stripped photo and an
/// escaped, self-contained page.
fn assert_complete(unpacked: &Unpacked, stripped_photo: &[u8]) {
    let report = unpacked.text("report.txt");
    assert!(report.contains(MARKER), "{report}");
    let thread = unpacked.text("thread.txt");
    assert!(thread.contains(REPORTER_SAYS), "{thread}");
    assert!(thread.contains(HANDLER_SAYS), "{thread}");
    assert!(thread.contains("Hanne Handler"), "who wrote it: {thread}");
    let facts: serde_json::Value =
        serde_json::from_str(&unpacked.text("case.json")).expect("case.json is JSON");
    assert_eq!(facts["report"]["description"], MARKER);
    assert_eq!(facts["thread"].as_array().map(Vec::len), Some(2));
    assert_eq!(facts["attachments"][0]["name"], "foto.jpg");
    assert_eq!(facts["attachments"][0]["file"], "attachments/01-foto.jpg");
    let photo = unpacked.bytes("attachments/01-foto.jpg");
    assert_eq!(photo, stripped_photo, "the photo as stored");
    for trace in [&b"SECRET"[..], b"Exif\0\0", b"xmpmeta"] {
        assert!(!contains(&photo, trace), "metadata left in the photo");
    }
    let html = unpacked.text("index.html");
    assert!(
        html.contains("EKSPORTMARKØR-7731 &lt;b&gt;fet&lt;/b&gt; &amp; &quot;sitat&quot;"),
        "the report, escaped: {html}"
    );
    assert!(!html.contains("<b>fet"), "nothing unescaped");
    assert!(html.contains(REPORTER_SAYS) && html.contains("Hanne spør"));
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
    assert!(html.contains("default-src 'none'"), "no resource may load");
}

async fn a_case_is_exported_from_the_page_the_api_and_the_cli(backend: Backend) {
    let (rage, age) = (rage(), age());
    let app = TestApp::spawn(backend).await;
    let hanne = app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let other = app.add_user("ola", "Ola Annen", &["handler"]).await;
    let _ = hanne;

    // A report with a marker and a photo carrying EXIF; Ola is excluded.
    let mut report = api_report("avvik", "middels", &[other]);
    report["description"] = json!(MARKER);
    let form = Form::new().text("report", report.to_string()).part(
        "attachment",
        Part::bytes(PHOTO.to_vec())
            .file_name("foto.jpg")
            .mime_str("image/jpeg")
            .unwrap(),
    );
    let filed = app
        .api_upload("/reports", None, form)
        .await
        .expect(StatusCode::CREATED);
    let code = filed["case_code"].as_str().expect("a code").to_owned();
    let staff = app.staff_token("hanne").await;
    let case = app.api_only_case(&staff).await;
    app.api_reply(&staff, case, HANDLER_SAYS)
        .await
        .expect(StatusCode::CREATED);
    let reporter = app.reporter_token(&code).await;
    app.api_reporter_reply(&reporter, REPORTER_SAYS)
        .await
        .expect(StatusCode::CREATED);
    let view = app.api_case(&staff, case).await.expect(StatusCode::OK);
    let attachment = view["attachments"][0]["id"]
        .as_str()
        .expect("an attachment");
    let (stripped, _) = app
        .api_download(
            &format!("/staff/cases/{case}/attachments/{attachment}"),
            &staff,
        )
        .await;

    let keys = tempfile::tempdir().expect("temporary directory");
    let first = X25519Identity::generate();
    let second = X25519Identity::generate();
    let first_file = identity_file(keys.path(), "first.txt", &first);
    let second_file = identity_file(keys.path(), "second.txt", &second);
    let (first_key, second_key) = (
        first.to_public().to_string(),
        second.to_public().to_string(),
    );

    // From the case page: the form is there, and answers with the file.
    let session = app.staff_login("hanne").await;
    let page = app
        .page(&session.client, &format!("/staff/cases/{case}"))
        .await;
    assert!(page.contains(&format!("action=\"/staff/cases/{case}/export\"")));
    assert!(page.contains("id=\"export-recipients\""));
    let r = session
        .client
        .post(app.url(&format!("/staff/cases/{case}/export")))
        .form(&[("csrf", session.csrf.as_str()), ("recipients", &first_key)])
        .send()
        .await
        .expect("POST the export form");
    assert_eq!(r.status(), StatusCode::OK);
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains(&format!("varsel-case-{case}.tar.age")),
        "{disposition}"
    );
    let from_page = r.bytes().await.expect("the archive").to_vec();
    assert!(from_page.starts_with(b"age-encryption.org/v1\n"));
    assert!(!contains(&from_page, b"EKSPORTMARK"), "only ciphertext");
    assert_complete(&open_with(&rage, &first_file, &from_page, case), &stripped);
    assert_complete(&open_with(&age, &first_file, &from_page, case), &stripped);

    // Through the API, to two recipients: each opens it.
    let r = app
        .api_request(
            reqwest::Method::POST,
            &format!("/staff/cases/{case}/export"),
            Some(&staff),
        )
        .json(&json!({ "recipients": [first_key, second_key] }))
        .send()
        .await
        .expect("POST the export");
    assert_eq!(r.status(), StatusCode::OK);
    let from_api = r.bytes().await.expect("the archive").to_vec();
    assert_complete(&open_with(&rage, &second_file, &from_api, case), &stripped);
    assert_complete(&open_with(&age, &first_file, &from_api, case), &stripped);

    // With `varsel export` and the handler's passphrase.
    let passphrase = keys.path().join("passphrase");
    std::fs::write(&passphrase, format!("{PASSWORD}\n")).unwrap();
    let output = keys.path().join("from-cli.tar.age");
    let case_arg = case.to_string();
    let out = app.command(&[
        "export",
        "--case",
        &case_arg,
        "--user",
        "hanne",
        "--recipient",
        &second_key,
        "--passphrase-file",
        passphrase.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "varsel export: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_cli = std::fs::read(&output).expect("the archive");
    assert_complete(&open_with(&rage, &second_file, &from_cli, case), &stripped);
    assert_complete(&open_with(&age, &second_file, &from_cli, case), &stripped);

    // A wrong passphrase exports nothing.
    std::fs::write(&passphrase, "not the password\n").unwrap();
    let refused = keys.path().join("refused.tar.age");
    let out = app.command(&[
        "export",
        "--case",
        &case_arg,
        "--user",
        "hanne",
        "--recipient",
        &second_key,
        "--passphrase-file",
        passphrase.to_str().unwrap(),
        "--output",
        refused.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(!refused.exists());

    // Three exports, each audited with its recipients.
    let exports: Vec<_> = app
        .audit_entries_after_the_day()
        .await
        .into_iter()
        .filter(|e| e.action == "case.exported")
        .collect();
    assert_eq!(exports.len(), 3, "one entry per export");
    for e in &exports {
        assert_eq!(e.case_id.as_deref(), Some(case_arg.as_str()));
        assert!(!e.detail.contains("EKSPORT"), "no content in the log");
    }
    assert!(exports[0].detail.contains(&first_key));
    assert!(exports[1].detail.contains(&first_key) && exports[1].detail.contains(&second_key));
    assert!(exports[2].detail.contains(&second_key));
    app.teardown().await;
}

for_each_backend!(a_case_is_exported_from_the_page_the_api_and_the_cli);

async fn an_export_is_refused_to_others_and_without_a_valid_recipient(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let other = app.add_user("ola", "Ola Annen", &["handler"]).await;
    let code = app.report(&api_report("avvik", "middels", &[other])).await;
    drop(code);
    let hanne = app.staff_token("hanne").await;
    let case = app.api_only_case(&hanne).await;
    let key = X25519Identity::generate().to_public().to_string();

    // Ola, whom the reporter excluded: "not found", as for reading it.
    let ola = app.staff_token("ola").await;
    app.api_case(&ola, case).await.expect(StatusCode::NOT_FOUND);
    let r = app
        .api_post(
            &format!("/staff/cases/{case}/export"),
            Some(&ola),
            &json!({ "recipients": [key] }),
        )
        .await;
    r.expect_error(StatusCode::NOT_FOUND, "not_found");
    let session = app.staff_login("ola").await;
    let page = app
        .post_form(
            &session,
            &format!("/staff/cases/{case}/export"),
            &[("recipients", &key)],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);

    // A malformed recipient: the field is named, nothing is exported.
    let r = app
        .api_post(
            &format!("/staff/cases/{case}/export"),
            Some(&hanne),
            &json!({ "recipients": ["age1notakey"] }),
        )
        .await;
    let body = r.expect_error(StatusCode::BAD_REQUEST, "invalid_recipient");
    assert_eq!(body["field"], "recipients");
    let r = app
        .api_post(
            &format!("/staff/cases/{case}/export"),
            Some(&hanne),
            &json!({ "recipients": [] }),
        )
        .await;
    let body = r.expect_error(StatusCode::BAD_REQUEST, "text_required");
    assert_eq!(body["field"], "recipients");
    let session = app.staff_login("hanne").await;
    let page = app
        .post_form(
            &session,
            &format!("/staff/cases/{case}/export"),
            &[("recipients", "ssh-ed25519 AAAA")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.text.contains("id=\"export-recipients-error\""),
        "{}",
        page.text
    );
    assert!(page.text.contains("aria-invalid=\"true\""));
    assert!(
        page.text.contains("ssh-ed25519 AAAA"),
        "what was typed stays in the field"
    );
    let actions = app.audit_actions().await;
    assert!(!actions.iter().any(|a| a == "case.exported"), "{actions:?}");
    app.teardown().await;
}

for_each_backend!(an_export_is_refused_to_others_and_without_a_valid_recipient);
