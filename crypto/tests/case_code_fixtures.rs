//! Case-code fixtures shared with the browser script (`src/web/script/`):
//! `testdata/case-codes.json` holds typed codes (mixed case, spaces, `O`/`I`/`L`
//! for digits) with their canonical and grouped forms, lookup tag, X25519 and
//! post-quantum hybrid identities and recipients, and typed inputs that must
//! fail with a given error.
//! This test checks every entry against [`CaseCode`]; the script's Node tests
//! check the same file against `casecode.js`, so the two implementations
//! cannot drift apart.
//!
//! `UPDATE_FIXTURES=1` rewrites the computed fields instead of comparing them
//! (the hand-written `typed` and `why` are kept). Without it, a difference
//! fails the test with the entry, the field, and both values.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use serde_json::{json, Map, Value};
use varsel_crypto::{CaseCode, CaseCodeError};

fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/case-codes.json")
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the crate computes for a valid typed code.
fn computed_valid(typed: &str) -> Result<Map<String, Value>, CaseCodeError> {
    let code = CaseCode::parse(typed)?;
    let grouped = code.expose_grouped().to_string();
    let identity = code.reporter_identity();
    let mut out = Map::new();
    out.insert("canonical".into(), json!(grouped.replace('-', "")));
    out.insert("grouped".into(), json!(grouped));
    out.insert(
        "lookup_tag".into(),
        json!(hex_of(code.lookup_tag().as_bytes())),
    );
    out.insert(
        "x25519_identity".into(),
        json!(identity.to_bech32().as_str()),
    );
    out.insert(
        "x25519_recipient".into(),
        json!(identity.to_public().to_string()),
    );
    let hybrid = code.reporter_hybrid_identity();
    out.insert("hybrid_identity".into(), json!(hybrid.to_bech32().as_str()));
    out.insert(
        "hybrid_recipient".into(),
        json!(hybrid.to_public().to_string()),
    );
    Ok(out)
}

/// The error the crate gives for an invalid typed code, as the fixture writes it.
fn computed_invalid(typed: &str) -> Map<String, Value> {
    let mut out = Map::new();
    match CaseCode::parse(typed) {
        Ok(_) => {
            out.insert("error".into(), json!("none: the code parsed"));
        }
        Err(CaseCodeError::Length { expected, found }) => {
            out.insert("error".into(), json!("length"));
            out.insert("expected".into(), json!(expected));
            out.insert("found".into(), json!(found));
        }
        Err(CaseCodeError::InvalidCharacter { position }) => {
            out.insert("error".into(), json!("invalid-character"));
            out.insert("position".into(), json!(position));
        }
        Err(CaseCodeError::Typo) => {
            out.insert("error".into(), json!("typo"));
        }
        Err(other) => {
            out.insert("error".into(), json!(format!("unknown: {other}")));
        }
    }
    out
}

/// Compares (or, when updating, overwrites) the computed fields of one entry.
fn settle(
    entry: &mut Value,
    computed: Map<String, Value>,
    keep: &[&str],
    label: &str,
    update: bool,
    problems: &mut Vec<String>,
) {
    let object = entry.as_object_mut().expect("each entry is an object");
    if update {
        object.retain(|k, _| keep.contains(&k.as_str()));
        object.extend(computed);
        return;
    }
    for (field, want) in &computed {
        match object.get(field) {
            Some(got) if got == want => {}
            Some(got) => problems.push(format!(
                "{label}: {field}\n    file:  {got}\n    crate: {want}"
            )),
            None => problems.push(format!("{label}: {field} missing\n    crate: {want}")),
        }
    }
    for field in object.keys() {
        if !keep.contains(&field.as_str()) && !computed.contains_key(field) {
            problems.push(format!(
                "{label}: {field} is in the file, the crate has no such field"
            ));
        }
    }
}

#[test]
fn case_codes_match_the_shared_fixtures() {
    let path = fixture_path();
    let text = std::fs::read_to_string(&path).expect("read case-codes.json");
    let mut doc: Value = serde_json::from_str(&text).expect("case-codes.json is JSON");
    let update = std::env::var_os("UPDATE_FIXTURES").is_some_and(|v| v == "1");
    let mut problems = Vec::new();

    let valid = doc["valid"].as_array_mut().expect("a `valid` array");
    assert!(valid.len() >= 5, "several valid codes");
    for (i, entry) in valid.iter_mut().enumerate() {
        let typed = entry["typed"]
            .as_str()
            .expect("`typed` is a string")
            .to_owned();
        let label = format!("valid[{i}] ({})", entry["why"].as_str().unwrap_or(""));
        match computed_valid(&typed) {
            Ok(computed) => settle(
                entry,
                computed,
                &["why", "typed"],
                &label,
                update,
                &mut problems,
            ),
            Err(e) => problems.push(format!("{label}: does not parse: {e}")),
        }
    }

    let invalid = doc["invalid"].as_array_mut().expect("an `invalid` array");
    let mut kinds = std::collections::BTreeSet::new();
    for (i, entry) in invalid.iter_mut().enumerate() {
        let typed = entry["typed"]
            .as_str()
            .expect("`typed` is a string")
            .to_owned();
        let label = format!("invalid[{i}] ({})", entry["why"].as_str().unwrap_or(""));
        let computed = computed_invalid(&typed);
        kinds.insert(computed["error"].as_str().unwrap_or("").to_owned());
        settle(
            entry,
            computed,
            &["why", "typed"],
            &label,
            update,
            &mut problems,
        );
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["invalid-character", "length", "typo"],
        "the invalid inputs cover each error kind, and every one fails"
    );

    if update {
        let mut out = serde_json::to_string_pretty(&doc).expect("serialises");
        out.push('\n');
        std::fs::write(&path, out).expect("write case-codes.json");
        return;
    }
    assert!(
        problems.is_empty(),
        "{} does not match varsel_crypto::CaseCode (regenerate with UPDATE_FIXTURES=1 \
         only if the change is intended: it orphans every stored case):\n  {}",
        path.display(),
        problems.join("\n  ")
    );
}

#[test]
fn the_fixture_identities_are_age_keys_that_open_what_is_sealed_to_them() {
    use varsel_crypto::{
        decrypt, encrypt, HybridIdentity, HybridRecipient, Identity, Recipient, X25519Identity,
        X25519Recipient,
    };
    let text = std::fs::read_to_string(fixture_path()).expect("read case-codes.json");
    let doc: Value = serde_json::from_str(&text).expect("JSON");
    for entry in doc["valid"].as_array().expect("valid") {
        let field = |name: &str| entry[name].as_str().expect(name).to_owned();
        let x_identity = X25519Identity::from_bech32(&field("x25519_identity")).expect("X25519");
        let x_recipient: X25519Recipient = field("x25519_recipient").parse().expect("age1…");
        let pq_identity = HybridIdentity::from_bech32(&field("hybrid_identity")).expect("hybrid");
        let pq_recipient: HybridRecipient = field("hybrid_recipient").parse().expect("age1pq1…");
        // One file per kind: the crate refuses to mix post-quantum and classical recipients.
        let pairs: [(&dyn Recipient, &dyn Identity); 2] =
            [(&x_recipient, &x_identity), (&pq_recipient, &pq_identity)];
        for (recipient, identity) in pairs {
            let file = encrypt(&[recipient], b"svar").expect("encrypts");
            let plain = decrypt(&[identity], &file).expect("decrypts");
            assert_eq!(plain.as_slice(), b"svar");
        }
    }
}
