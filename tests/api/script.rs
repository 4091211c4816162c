//! The browser-encryption script (`src/web/script/`, bundled by `build.rs`):
//! served from this origin with the integrity string the pages will name,
//! nothing a `script-src 'self'` policy would refuse, and its own Node tests
//! (case codes against the fixtures the crypto crate checks, age round trips).

use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use reqwest::StatusCode;
use sha2::Digest as _;

use crate::app::{Backend, TestApp};

/// The bundle, which the test build must have: the tests need Node.js and npm
/// at build time, as the README says.
fn built_bundle() -> varsel::web::script::Bundle {
    varsel::web::script::bundle().expect(
        "this build has no browser script: build.rs needs Node.js and npm (and the network for \
         the first `npm ci`), and VARSEL_NO_SCRIPT must be unset; see the cargo warning",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_script_is_served_with_its_integrity_under_a_self_only_csp() {
    let bundle = built_bundle();
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = app
        .client()
        .get(app.url(varsel::web::script::PATH))
        .send()
        .await
        .expect("GET the script");
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-type"), "text/javascript; charset=utf-8");
    assert_eq!(header("cache-control"), "public, max-age=3600");
    assert_eq!(header("x-content-type-options"), "nosniff");
    let csp = header("content-security-policy");
    assert!(csp.contains("script-src 'self';"), "{csp}");
    for loose in ["unsafe-inline", "unsafe-eval", "http:", "https:", "*"] {
        assert!(!csp.contains(loose), "{loose} in {csp}");
    }

    let body = response.bytes().await.expect("the script");
    assert_eq!(
        body.as_ref(),
        bundle.bytes,
        "the embedded bundle is what is served"
    );
    let digest = sha2::Sha384::digest(&body);
    let integrity = format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    );
    assert_eq!(
        integrity, bundle.integrity,
        "the integrity string matches the bytes"
    );
    let tag = varsel::web::script::script_tag().expect("a tag");
    assert_eq!(
        tag,
        format!(
            "<script src=\"/static/varsel-e2e.js\" integrity=\"{integrity}\" crossorigin=\"anonymous\" defer></script>"
        )
    );

    let text = String::from_utf8_lossy(&body);
    for forbidden in [
        "eval(",
        "new Function",
        "Function(\"",
        "document.write",
        "://",
    ] {
        assert!(
            !text.contains(forbidden),
            "the bundle contains {forbidden:?}, which `script-src 'self'` or the no-third-party rule forbids"
        );
    }
    assert!(text.contains("VarselE2E"), "it exposes its global");
    app.teardown().await;
}

#[test]
fn the_browser_script_passes_its_node_tests() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web/script");
    assert!(
        dir.join("node_modules/age-encryption/package.json").exists(),
        "the browser script's tests need its packages: run `npm ci --prefix src/web/script --no-audit --no-fund`"
    );
    let mut files: Vec<_> = std::fs::read_dir(dir.join("test"))
        .expect("src/web/script/test")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "the script's test files: {files:?}");
    let output = Command::new("node")
        .arg("--test")
        .args(&files)
        .current_dir(&dir)
        .env_remove("UPDATE_FIXTURES")
        .output()
        .expect("the browser script's tests need Node.js (`node`) on the PATH");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "node --test failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains("# fail 0"), "{stdout}");
    assert!(!stdout.contains("# pass 0\n"), "no test ran: {stdout}");
}
