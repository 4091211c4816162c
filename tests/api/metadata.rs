//! Image metadata (SPEC §3.5): a JPEG, PNG and WebP photo carrying a GPS
//! position, an author (EXIF Artist, XMP dc:creator, PNG text) and a
//! comment, uploaded through the report form and through the API, downloads
//! without any of it and with exactly the same pixels. A file that cannot be
//! stripped is stored as it came and named on the receipt.
//! The fixtures are made by `tests/fixtures/metadata/generate.py`.

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::json;

use crate::app::{Backend, ReportForm, TestApp};
use crate::for_each_backend;

const IMAGES: &[(&str, &str, &[u8])] = &[
    (
        "foto.jpg",
        "image/jpeg",
        include_bytes!("../fixtures/metadata/gps.jpg"),
    ),
    (
        "foto.png",
        "image/png",
        include_bytes!("../fixtures/metadata/gps.png"),
    ),
    (
        "foto.webp",
        "image/webp",
        include_bytes!("../fixtures/metadata/gps.webp"),
    ),
];

/// What must not survive: the fixtures' marker strings and the containers
/// of EXIF and XMP in each format.
const TRACES: &[&[u8]] = &[
    b"SECRET",
    b"SecretPhone",
    b"Exif\0\0",
    b"http://ns.adobe.com/xap",
    b"xmpmeta",
    b"eXIf",
    b"EXIF",
    b"tEXt",
    b"iTXt",
];

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Asserts `downloaded` has none of `original`'s metadata and its pixels.
fn assert_stripped(name: &str, original: &[u8], downloaded: &[u8]) {
    for trace in TRACES {
        assert!(
            !contains(downloaded, trace),
            "{name}: {:?} is still in the download",
            String::from_utf8_lossy(trace)
        );
    }
    let before = image::load_from_memory(original).expect("the fixture decodes");
    let after = image::load_from_memory(downloaded).expect("the download decodes");
    assert_eq!(
        (after.width(), after.height()),
        (before.width(), before.height())
    );
    assert!(
        before.to_rgba8().as_raw() == after.to_rgba8().as_raw(),
        "{name}: the pixels changed"
    );
}

#[test]
fn the_fixtures_do_carry_the_metadata() {
    for (name, _, bytes) in IMAGES {
        assert!(contains(bytes, b"SECRET"), "{name}");
    }
}

async fn images_lose_their_metadata_but_not_their_pixels(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;

    // Through the form, all three at once, and a PDF that cannot be stripped.
    let pdf = b"%PDF-1.4\n/Author (Kari)\n".to_vec();
    let report = ReportForm {
        files: IMAGES
            .iter()
            .map(|(name, _, bytes)| (*name, bytes.to_vec()))
            .chain([("notat.pdf", pdf.clone())])
            .collect(),
        ..ReportForm::new("Bilder fra lageret")
    };
    let receipt = app.submit_report_form(&app.client(), &report).await;
    assert_eq!(receipt.status, StatusCode::OK, "{}", receipt.text);
    let kept = receipt
        .text
        .split("id=\"metadata-kept\"")
        .nth(1)
        .expect("the receipt names the files whose metadata stays");
    assert!(kept.contains("notat.pdf"), "{kept}");
    for (name, _, _) in IMAGES {
        assert!(!kept.contains(name), "{name} was stripped: {kept}");
    }

    // Through the API, one image per report.
    for (name, mime, bytes) in IMAGES {
        let form = Form::new()
            .text(
                "report",
                json!({"category": "avvik", "severity": "middels", "description": "Foto"})
                    .to_string(),
            )
            .part(
                "attachment",
                Part::bytes(bytes.to_vec())
                    .file_name(*name)
                    .mime_str(mime)
                    .unwrap(),
            );
        let body = app
            .api_upload("/reports", None, form)
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(body["metadata_kept"], json!([]), "{name}");
    }

    // The handler downloads every file.
    let staff = app.staff_token("hanne").await;
    let cases = app.api_case_ids(&staff).await;
    assert_eq!(cases.len(), 4);
    let mut seen = Vec::new();
    for case in cases {
        let view = app.api_case(&staff, case).await.expect(StatusCode::OK);
        for a in view["attachments"].as_array().expect("attachments") {
            let name = a["name"].as_str().unwrap().to_owned();
            let id = a["id"].as_str().unwrap();
            let (bytes, _) = app
                .api_download(&format!("/staff/cases/{case}/attachments/{id}"), &staff)
                .await;
            match IMAGES.iter().find(|(n, _, _)| *n == name) {
                Some((_, _, original)) => assert_stripped(&name, original, &bytes),
                None => assert_eq!(bytes, pdf, "other files are stored as they came"),
            }
            seen.push(name);
        }
    }
    // Reading a file does not leave the time of the read on it.
    for file in app.attachment_files() {
        let path = app.db.data_dir.path().join("attachments").join(&file);
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.accessed().unwrap(), std::time::UNIX_EPOCH, "{file}");
        assert_eq!(meta.modified().unwrap(), std::time::UNIX_EPOCH, "{file}");
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "foto.jpg",
            "foto.jpg",
            "foto.png",
            "foto.png",
            "foto.webp",
            "foto.webp",
            "notat.pdf"
        ]
    );
}

for_each_backend!(images_lose_their_metadata_but_not_their_pixels);

async fn a_reporter_upload_to_the_case_is_stripped_too(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let code = app
        .report(&json!({"category": "avvik", "severity": "middels", "description": "Tekst"}))
        .await;
    let reporter = app.reporter_token(&code).await;
    let (name, mime, original) = IMAGES[0];
    let form = Form::new().part(
        "attachment",
        Part::bytes(original.to_vec())
            .file_name(name)
            .mime_str(mime)
            .unwrap(),
    );
    let uploaded = app
        .api_upload("/reporter/case/attachments", Some(&reporter), form)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(uploaded[0]["metadata_kept"], false);
    let id = uploaded[0]["id"].as_str().unwrap().to_owned();
    let (bytes, _) = app
        .api_download(&format!("/reporter/case/attachments/{id}"), &reporter)
        .await;
    assert_stripped(name, original, &bytes);
}

for_each_backend!(a_reporter_upload_to_the_case_is_stripped_too);

async fn a_reply_names_the_files_that_keep_their_metadata(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.add_user("hanne", "Hanne Handler", &["handler"]).await;
    let code = app.file_report(&ReportForm::new("Første melding")).await;
    let reporter = app.reporter_login(&code).await;
    let (image, _, original) = IMAGES[0];
    let r = app
        .reporter_reply(
            &reporter,
            Some(&reporter.csrf),
            "Her er to filer",
            &[
                (image, original.to_vec()),
                ("kontrakt.pdf", b"%PDF-1.4 Author (Ola)".to_vec()),
            ],
        )
        .await;
    r.assert_see_other("/case");
    let location = r.location().unwrap().to_owned();
    assert!(!location.contains('?'), "no ids in the address: {location}");
    let page = app.page(&reporter, &location).await;
    let notice = page
        .split("id=\"metadata-kept\"")
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .unwrap_or_else(|| panic!("no notice of kept metadata: {page}"));
    assert!(notice.contains("kontrakt.pdf"), "{notice}");
    assert!(!notice.contains(image), "the stripped image is not named");
    // Named once: the case page shown again names nothing.
    let page = app.page(&reporter, "/case").await;
    assert!(!page.contains("id=\"metadata-kept\""));
    // Only stripped files: no notice at all.
    let r = app
        .reporter_reply(
            &reporter,
            Some(&reporter.csrf),
            "Et bilde til",
            &[(image, original.to_vec())],
        )
        .await;
    r.assert_see_other("/case");
    assert_eq!(r.location(), Some("/case"));
    let page = app.page(&reporter, "/case").await;
    assert!(!page.contains("id=\"metadata-kept\""));
}

for_each_backend!(a_reply_names_the_files_that_keep_their_metadata);
