//! Interoperability with the TypeScript reference implementation of age, the
//! `age-encryption` npm package pinned in tests/age-interop (run through its
//! small `age.mjs` front with Node): varsel-crypto encrypts and it decrypts,
//! it encrypts and varsel-crypto decrypts, for post-quantum hybrid and X25519
//! recipients, one and several, at payload sizes around the 64 KiB chunk edges;
//! and keys generated on either side work on the other.
//!
//! Needs `node` and `npm ci --prefix tests/age-interop` (run from the
//! repository root); without them the tests fail, they are never skipped.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use varsel_crypto::{
    decrypt, encrypt, AnyIdentity, AnyRecipient, HybridIdentity, HybridRecipient, Identity,
    Recipient, X25519Identity,
};

const CHUNK: usize = 64 * 1024;
/// Plaintext sizes around the STREAM chunk edges.
const SIZES: [usize; 7] = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 1];

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/age-interop")
}

/// Runs `node age.mjs ARGS` with `stdin`; returns stdout, failing on any error.
fn node(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let dir = interop_dir();
    assert!(
        dir.join("node_modules/age-encryption").is_dir(),
        "tests/age-interop/node_modules is missing: run `npm ci --prefix tests/age-interop` \
         from the repository root"
    );
    let mut child = Command::new("node")
        .arg(dir.join("age.mjs"))
        .args(args)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run node (is Node.js installed?): {e}"));
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    // Written from a thread so a large input cannot deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || input.write_all(&data));
    let out = child.wait_with_output().expect("node runs");
    writer.join().expect("writer thread").expect("write stdin");
    assert!(
        out.status.success(),
        "node age.mjs {}: {}",
        args.first().copied().unwrap_or_default(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Deterministic, non-repeating-looking bytes.
fn payload(len: usize, salt: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| ((i ^ salt).wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect()
}

/// An identity file holding `identities`, in a fresh temporary directory.
fn identity_file(identities: &[&AnyIdentity]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("identities.txt");
    let mut text = String::from("# written by node_interop.rs\n");
    for id in identities {
        text.push_str(&id.to_bech32());
        text.push('\n');
    }
    std::fs::write(&path, text).expect("write identity file");
    (dir, path)
}

fn generate(hybrid: bool) -> AnyIdentity {
    if hybrid {
        AnyIdentity::Hybrid(HybridIdentity::generate())
    } else {
        AnyIdentity::X25519(X25519Identity::generate())
    }
}

fn kind(hybrid: bool) -> &'static str {
    if hybrid {
        "hybrid"
    } else {
        "X25519"
    }
}

#[test]
fn varsel_encrypts_and_age_encryption_decrypts() {
    for hybrid in [true, false] {
        for count in [1usize, 3] {
            let ids: Vec<AnyIdentity> = (0..count).map(|_| generate(hybrid)).collect();
            let recipients: Vec<AnyRecipient> = ids.iter().map(AnyIdentity::to_public).collect();
            let refs: Vec<&dyn Recipient> =
                recipients.iter().map(|r| r as &dyn Recipient).collect();
            // Each recipient's identity alone must decrypt.
            let files: Vec<_> = ids.iter().map(|id| identity_file(&[id])).collect();
            for (n, &len) in SIZES.iter().enumerate() {
                let plain = payload(len, n as u32);
                let sealed = encrypt(&refs, &plain).expect("varsel encrypts");
                let (_, path) = &files[n % count];
                let out = node(&["decrypt", path.to_str().expect("utf-8 path")], &sealed);
                assert!(
                    out == plain,
                    "{} to {count}: {len} bytes differ after age-encryption decrypts",
                    kind(hybrid)
                );
            }
        }
    }
}

#[test]
fn age_encryption_encrypts_and_varsel_decrypts() {
    for hybrid in [true, false] {
        for count in [1usize, 3] {
            let ids: Vec<AnyIdentity> = (0..count).map(|_| generate(hybrid)).collect();
            let recipients: Vec<String> = ids.iter().map(|i| i.to_public().to_string()).collect();
            let mut args = vec!["encrypt"];
            args.extend(recipients.iter().map(String::as_str));
            for (n, &len) in SIZES.iter().enumerate() {
                let plain = payload(len, 1000 + n as u32);
                let sealed = node(&args, &plain);
                let id: &dyn Identity = &ids[n % count];
                let out = decrypt(&[id], &sealed).expect("varsel decrypts");
                assert!(
                    out.as_slice() == plain.as_slice(),
                    "{} to {count}: {len} bytes differ after varsel decrypts",
                    kind(hybrid)
                );
                let stranger = generate(hybrid);
                assert!(decrypt(&[&stranger], &sealed).is_err());
            }
        }
    }
}

/// `(identity, recipient)` printed by `node age.mjs keygen…`.
fn node_keygen(command: &str) -> (String, String) {
    let out = String::from_utf8(node(&[command], b"")).expect("utf-8");
    let mut lines = out.lines();
    let identity = lines.next().expect("identity line").to_owned();
    let recipient = lines.next().expect("recipient line").to_owned();
    (identity, recipient)
}

#[test]
fn keys_generated_on_either_side_work_on_the_other() {
    for (command, prefix) in [
        ("keygen-pq", "AGE-SECRET-KEY-PQ-1"),
        ("keygen", "AGE-SECRET-KEY-1"),
    ] {
        // age-encryption's keys in varsel.
        let (identity, recipient) = node_keygen(command);
        assert!(identity.starts_with(prefix), "{command}");
        let ours = AnyIdentity::from_bech32(&identity).expect("varsel parses the identity");
        assert_eq!(ours.to_public().to_string(), recipient, "{command}");
        assert_eq!(ours.to_bech32().as_str(), identity, "{command}");
        let parsed: AnyRecipient = recipient.parse().expect("varsel parses the recipient");
        let sealed = encrypt(&[&parsed], b"from varsel").expect("encrypts");
        let (_dir, path) = identity_file(&[&ours]);
        assert_eq!(
            node(&["decrypt", path.to_str().expect("utf-8 path")], &sealed),
            b"from varsel"
        );

        // varsel's keys in age-encryption.
        let ours = generate(command == "keygen-pq");
        let theirs = node(&["recipient"], ours.to_bech32().as_bytes());
        assert_eq!(
            String::from_utf8(theirs).expect("utf-8").trim(),
            ours.to_public().to_string(),
            "{command}"
        );
        let sealed = node(&["encrypt", &ours.to_public().to_string()], b"from node");
        assert_eq!(
            decrypt(&[&ours], &sealed).expect("decrypts").as_slice(),
            b"from node"
        );
    }
}

#[test]
fn a_file_age_encryption_encrypts_to_both_kinds_decrypts_with_either() {
    // age-encryption does not refuse the mix varsel refuses when encrypting; such
    // files must still decrypt here, with the identity of either stanza.
    let hybrid = HybridIdentity::generate();
    let classic = X25519Identity::generate();
    let hybrid_recipient: HybridRecipient = hybrid.to_public();
    let sealed = node(
        &[
            "encrypt",
            &classic.to_public().to_string(),
            &hybrid_recipient.to_string(),
        ],
        &payload(CHUNK + 1, 7),
    );
    for id in [&hybrid as &dyn Identity, &classic] {
        assert!(decrypt(&[id], &sealed).expect("decrypts").as_slice() == payload(CHUNK + 1, 7));
    }
}
