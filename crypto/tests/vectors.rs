//! The C2SP age test vectors (tests/testdata/age, see its SOURCE.md), each run
//! as its own test case: the outcome must be exactly the one the vector expects.
#![allow(clippy::panic, clippy::expect_used)]

use std::io::Read;
use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use sha2::{Digest, Sha256};
use varsel_crypto::{AnyIdentity, DecryptError, Decryptor, Identity, ScryptIdentity};

/// Decompressed vectors are a few MiB at most; anything larger is a broken vector.
const MAX_DECOMPRESSED: u64 = 64 * 1024 * 1024;

struct Vector {
    expect: String,
    payload: Option<String>,
    identities: Vec<String>,
    passphrases: Vec<String>,
    armored: bool,
    file: Vec<u8>,
}

fn parse_vector(path: &Path) -> Result<Vector, Failed> {
    let raw = std::fs::read(path).map_err(|e| format!("read {}: {e}", path.display()))?;
    let split = raw
        .windows(2)
        .position(|w| w == b"\n\n")
        .ok_or("vector has no blank line after its header")?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| "vector header is not UTF-8")?;
    let mut body = raw[split + 2..].to_vec();
    let mut v = Vector {
        expect: String::new(),
        payload: None,
        identities: Vec::new(),
        passphrases: Vec::new(),
        armored: false,
        file: Vec::new(),
    };
    let mut compressed = false;
    for line in head.lines() {
        let (key, value) = line
            .split_once(": ")
            .ok_or("malformed vector header line")?;
        match key {
            "expect" => v.expect = value.to_owned(),
            "payload" => v.payload = Some(value.to_owned()),
            "identity" => v.identities.push(value.to_owned()),
            "passphrase" => v.passphrases.push(value.to_owned()),
            "armored" => v.armored = value == "yes",
            "compressed" => compressed = value == "zlib",
            _ => {}
        }
    }
    if compressed {
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(body.as_slice())
            .take(MAX_DECOMPRESSED)
            .read_to_end(&mut out)
            .map_err(|e| format!("zlib: {e}"))?;
        body = out;
    }
    v.file = body;
    Ok(v)
}

fn category(err: &DecryptError) -> &'static str {
    match err {
        DecryptError::Header(_) => "header failure",
        DecryptError::NoMatch => "no match",
        DecryptError::HeaderMac => "HMAC failure",
        DecryptError::Payload => "payload failure",
        DecryptError::Armor(_) => "armor failure",
        _ => "other failure",
    }
}

/// Decrypts the vector; returns the outcome category and the plaintext released.
fn outcome(v: &Vector, identities: &[Box<dyn Identity>]) -> (String, Vec<u8>) {
    let parsed = if v.armored {
        Decryptor::new_armored(v.file.as_slice())
    } else {
        Decryptor::new(v.file.as_slice())
    };
    let decryptor = match parsed {
        Ok(d) => d,
        Err(e) => return (category(&e).to_owned(), Vec::new()),
    };
    let mut reader = match decryptor.decrypt(identities.iter().map(|i| i.as_ref())) {
        Ok(r) => r,
        Err(e) => return (category(&e).to_owned(), Vec::new()),
    };
    let mut plain = Vec::new();
    match reader.read_to_end(&mut plain) {
        Ok(_) => ("success".to_owned(), plain),
        Err(e) => (category(&DecryptError::from_io(e)).to_owned(), plain),
    }
}

fn run(path: &Path) -> Result<(), Failed> {
    let v = parse_vector(path)?;
    let mut identities: Vec<Box<dyn Identity>> = Vec::new();
    for s in &v.identities {
        let id = AnyIdentity::from_bech32(s).map_err(|e| format!("identity {s} rejected: {e}"))?;
        identities.push(Box::new(id));
    }
    for p in &v.passphrases {
        identities.push(Box::new(ScryptIdentity::new(p.as_bytes())));
    }

    let (got, plain) = outcome(&v, &identities);
    let hash = hex::encode(Sha256::digest(&plain));

    if got != v.expect {
        return Err(format!("expected {:?}, got {got:?}", v.expect).into());
    }
    if let Some(expected) = &v.payload {
        if &hash != expected {
            return Err(format!("released plaintext hash {hash}, expected {expected}").into());
        }
    } else if !plain.is_empty() {
        return Err("plaintext released although the vector expects none".into());
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/age");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_none_or(|x| x != "md"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 140,
        "the vector set is incomplete: {}",
        paths.len()
    );
    let trials = paths
        .into_iter()
        .map(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Trial::test(format!("c2sp::{name}"), move || run(&path))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
