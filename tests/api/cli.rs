//! `varsel keygen`, `encrypt` and `decrypt`, driven as a user would.

use std::io::{Read, Write};
use std::process::Stdio;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::helpers::{one_line_error, run, varsel, vectors_dir};

fn keygen(dir: &std::path::Path, name: &str) -> (std::path::PathBuf, String) {
    keygen_with(dir, name, &[])
}

fn keygen_with(dir: &std::path::Path, name: &str, extra: &[&str]) -> (std::path::PathBuf, String) {
    let path = dir.join(name);
    let mut args = vec!["keygen", "-o", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = run(&args, b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let recipient = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .expect("public key comment")
        .to_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim(), format!("Public key: {recipient}"));
    (path, recipient)
}

#[test]
fn keygen_writes_a_private_identity_file_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let (path, recipient) = keygen(dir.path(), "key.txt");
    assert!(recipient.starts_with("age1"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.lines().any(|l| l.starts_with("AGE-SECRET-KEY-1")));
    assert!(text.starts_with("# created: "));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = run(&["keygen", "-o", path.to_str().unwrap()], b"");
    let err = one_line_error(&again);
    assert!(err.contains("File exists"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text,
        "file untouched"
    );
}

#[test]
fn post_quantum_keys_round_trip_through_keygen_encrypt_and_decrypt() {
    let dir = tempfile::tempdir().unwrap();
    let (k1, r1) = keygen_with(dir.path(), "pq1.txt", &["--pq"]);
    let (k2, r2) = keygen_with(dir.path(), "pq2.txt", &["--pq"]);
    let (k3, _) = keygen_with(dir.path(), "pq3.txt", &["--pq"]);
    assert!(r1.starts_with("age1pq1"), "{r1}");
    let text = std::fs::read_to_string(&k1).unwrap();
    assert!(text.starts_with("# created: "));
    assert!(text.lines().any(|l| l.starts_with("AGE-SECRET-KEY-PQ-1")));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&k1).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Around the 64 KiB chunk edge, one recipient by -r and one by -R, binary and armored.
    let rfile = dir.path().join("recipients.txt");
    std::fs::write(&rfile, format!("# pq handler\n{r2}\n")).unwrap();
    for (len, armor) in [(0usize, false), (65_536, false), (65_537, true)] {
        let plain: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
        let mut args = vec!["encrypt", "-r", &r1, "-R", rfile.to_str().unwrap()];
        if armor {
            args.push("-a");
        }
        let enc = run(&args, &plain);
        assert!(
            enc.status.success(),
            "{}",
            String::from_utf8_lossy(&enc.stderr)
        );
        for key in [&k1, &k2] {
            let dec = run(&["decrypt", "-i", key.to_str().unwrap()], &enc.stdout);
            assert!(
                dec.status.success(),
                "{}",
                String::from_utf8_lossy(&dec.stderr)
            );
            assert!(dec.stdout == plain, "{len} bytes");
        }
        let wrong = run(&["decrypt", "-i", k3.to_str().unwrap()], &enc.stdout);
        assert!(one_line_error(&wrong).contains("no identity matched"));
    }

    // One identity file may hold both kinds of key.
    let (kx, rx) = keygen(dir.path(), "x.txt");
    let both = dir.path().join("both.txt");
    let joined = format!(
        "{}\n{}",
        std::fs::read_to_string(&kx).unwrap(),
        std::fs::read_to_string(&k2).unwrap()
    );
    std::fs::write(&both, joined).unwrap();
    for r in [&rx, &r2] {
        let enc = run(&["encrypt", "-r", r], b"either");
        assert!(enc.status.success());
        let dec = run(&["decrypt", "-i", both.to_str().unwrap()], &enc.stdout);
        assert_eq!(dec.stdout, b"either");
    }

    // Post-quantum and classic recipients are not mixed (age spec).
    let mixed = run(&["encrypt", "-r", &r1, "-r", &rx], b"x");
    let err = one_line_error(&mixed);
    assert!(err.contains("post-quantum"), "{err}");
    assert!(mixed.stdout.is_empty());

    // A mangled post-quantum recipient is named briefly, not printed whole.
    let mut bad = r1.clone();
    bad.pop();
    bad.push(if r1.ends_with('q') { 'p' } else { 'q' });
    let out = run(&["encrypt", "-r", &bad], b"x");
    let err = one_line_error(&out);
    assert!(err.contains("invalid recipient"), "{err}");
    assert!(err.len() < 200, "{err}");
}

#[test]
fn encrypt_to_several_recipients_and_decrypt_with_each() {
    let dir = tempfile::tempdir().unwrap();
    let (k1, r1) = keygen(dir.path(), "a.txt");
    let (k2, r2) = keygen(dir.path(), "b.txt");
    let (k3, _) = keygen(dir.path(), "c.txt");
    let rfile = dir.path().join("recipients.txt");
    std::fs::write(&rfile, format!("# the second handler\n\n{r2}\n")).unwrap();
    let plain = b"Rapport om avvik: \xc3\xa6\xc3\xb8\xc3\xa5".repeat(5000);
    let enc = run(
        &["encrypt", "-r", &r1, "-R", rfile.to_str().unwrap()],
        &plain,
    );
    assert!(enc.status.success());
    for key in [&k1, &k2] {
        let dec = run(&["decrypt", "-i", key.to_str().unwrap()], &enc.stdout);
        assert!(
            dec.status.success(),
            "{}",
            String::from_utf8_lossy(&dec.stderr)
        );
        assert_eq!(dec.stdout, plain);
    }
    let wrong = run(&["decrypt", "-i", k3.to_str().unwrap()], &enc.stdout);
    assert!(one_line_error(&wrong).contains("no identity matched"));
}

#[test]
fn armored_output_is_detected_on_decrypt_and_files_work_as_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let (key, recipient) = keygen(dir.path(), "k.txt");
    let input = dir.path().join("in.bin");
    let sealed = dir.path().join("in.age");
    let opened = dir.path().join("out.bin");
    let plain: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&input, &plain).unwrap();
    let enc = run(
        &[
            "encrypt",
            "-a",
            "-r",
            &recipient,
            "-o",
            sealed.to_str().unwrap(),
            input.to_str().unwrap(),
        ],
        b"",
    );
    assert!(enc.status.success());
    let text = std::fs::read_to_string(&sealed).unwrap();
    assert!(text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"));
    assert!(text.ends_with("-----END AGE ENCRYPTED FILE-----\n"));
    let dec = run(
        &[
            "decrypt",
            "-i",
            key.to_str().unwrap(),
            "-o",
            opened.to_str().unwrap(),
            sealed.to_str().unwrap(),
        ],
        b"",
    );
    assert!(dec.status.success());
    assert_eq!(std::fs::read(&opened).unwrap(), plain);
}

#[test]
fn passphrase_files_round_trip_and_a_wrong_passphrase_fails() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("pw");
    let bad = dir.path().join("bad");
    std::fs::write(&good, "korrekt hest batteri stift\n").unwrap();
    std::fs::write(&bad, "feil\n").unwrap();
    let enc = run(
        &["encrypt", "--passphrase-file", good.to_str().unwrap()],
        b"hemmelig",
    );
    assert!(enc.status.success());
    let dec = run(
        &["decrypt", "--passphrase-file", good.to_str().unwrap()],
        &enc.stdout,
    );
    assert_eq!(dec.stdout, b"hemmelig");
    let wrong = run(
        &["decrypt", "--passphrase-file", bad.to_str().unwrap()],
        &enc.stdout,
    );
    assert!(one_line_error(&wrong).contains("no identity matched"));
}

#[test]
fn bad_invocations_fail_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let (key, recipient) = keygen(dir.path(), "k.txt");
    assert!(one_line_error(&run(&["encrypt"], b"x")).contains("missing recipients"));
    assert!(
        one_line_error(&run(&["encrypt", "-r", "age1nope"], b"x")).contains("invalid recipient")
    );
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "p\n").unwrap();
    let mixed = run(
        &[
            "encrypt",
            "-r",
            &recipient,
            "--passphrase-file",
            pw.to_str().unwrap(),
        ],
        b"x",
    );
    assert!(one_line_error(&mixed).contains("cannot be combined"));
    let garbage = run(
        &["decrypt", "-i", key.to_str().unwrap()],
        b"not an age file at all",
    );
    assert!(one_line_error(&garbage).contains("not an age file"));
    let missing = run(&["decrypt", "-i", "/nonexistent/key"], b"");
    assert!(one_line_error(&missing).contains("cannot read identity file"));
}

#[test]
fn a_failed_decryption_leaves_no_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let (key, recipient) = keygen(dir.path(), "k.txt");
    let enc = run(&["encrypt", "-r", &recipient], &vec![1u8; 300_000]);
    let mut tampered = enc.stdout.clone();
    let at = tampered.len() - 100;
    tampered[at] ^= 1;
    let out = dir.path().join("plain");
    let dec = run(
        &[
            "decrypt",
            "-i",
            key.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        &tampered,
    );
    assert!(one_line_error(&dec).contains("failed authentication"));
    assert!(!out.exists(), "partial plaintext must not remain");
}

/// Parses a C2SP vector into (header fields, age file).
fn vector(path: &std::path::Path) -> (Vec<(String, String)>, Vec<u8>) {
    let raw = std::fs::read(path).unwrap();
    let split = raw.windows(2).position(|w| w == b"\n\n").unwrap();
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let fields: Vec<(String, String)> = head
        .lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let mut body = raw[split + 2..].to_vec();
    if fields.iter().any(|(k, v)| k == "compressed" && v == "zlib") {
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(body.as_slice())
            .read_to_end(&mut out)
            .unwrap();
        body = out;
    }
    (fields, body)
}

#[test]
fn decrypt_command_gives_the_expected_result_for_every_c2sp_vector() {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir(vectors_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_none())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (fields, file) = vector(&path);
        let get = |k: &str| -> std::vec::IntoIter<String> {
            fields
                .iter()
                .filter(|(fk, _)| fk == k)
                .map(|(_, v)| v.clone())
                .collect::<Vec<_>>()
                .into_iter()
        };
        let expect = get("expect").next().unwrap();
        let mut args: Vec<String> = vec!["decrypt".into()];
        let identities: Vec<String> = get("identity").collect();
        let has_identities = !identities.is_empty();
        if has_identities {
            let id = dir.path().join(format!("{name}.key"));
            std::fs::write(&id, identities.join("\n")).unwrap();
            args.extend(["-i".into(), id.to_string_lossy().into_owned()]);
        }
        if let Some(p) = get("passphrase").next() {
            let pw = dir.path().join(format!("{name}.pw"));
            std::fs::write(&pw, format!("{p}\n")).unwrap();
            args.extend([
                "--passphrase-file".into(),
                pw.to_string_lossy().into_owned(),
            ]);
        }
        let args_ref: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args_ref, &file);
        if expect == "success" {
            assert!(
                out.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let hash = hex::encode(Sha256::digest(&out.stdout));
            assert_eq!(Some(hash), get("payload").next(), "{name}");
        } else {
            let line = one_line_error(&out);
            // With identities given, "no match" is said as such (without any,
            // as for a passphrase vector whose stanza is not recognised, the
            // command stops earlier for want of an identity).
            if expect == "no match" && has_identities {
                assert!(line.contains("no identity matched"), "{name}: {line}");
            }
        }
        checked += 1;
    }
    assert!(checked >= 140, "only {checked} vectors");
}

#[test]
fn cli_interoperates_with_the_age_crate_both_ways_on_a_large_payload() {
    let plain: Vec<u8> = (0..24 * 1024 * 1024 + 7u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    // age encrypts, varsel decrypts.
    let age_id = age::x25519::Identity::generate();
    let dir = tempfile::tempdir().unwrap();
    let keyfile = dir.path().join("age.key");
    {
        use age::secrecy::ExposeSecret;
        std::fs::write(&keyfile, age_id.to_string().expose_secret()).unwrap();
    }
    let mut sealed = Vec::new();
    {
        let recipient = age_id.to_public();
        let enc =
            age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
                .unwrap();
        let mut w = enc.wrap_output(&mut sealed).unwrap();
        w.write_all(&plain).unwrap();
        w.finish().unwrap();
    }
    let dec = run(&["decrypt", "-i", keyfile.to_str().unwrap()], &sealed);
    assert!(dec.status.success());
    assert!(dec.stdout == plain, "varsel decrypts age's output");

    // varsel encrypts (armored), age decrypts.
    let enc = run(
        &["encrypt", "-a", "-r", &age_id.to_public().to_string()],
        &plain,
    );
    assert!(enc.status.success());
    let reader = age::armor::ArmoredReader::new(enc.stdout.as_slice());
    let decryptor = age::Decryptor::new(reader).unwrap();
    let mut out = Vec::new();
    decryptor
        .decrypt(std::iter::once(&age_id as &dyn age::Identity))
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    assert!(out == plain, "age decrypts varsel's output");
    let _ = age::x25519::Recipient::from_str(&age_id.to_public().to_string()).unwrap();
}

/// Peak resident memory of a running process, from its high-water mark.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Streams 1 GiB through `varsel encrypt | varsel decrypt` and checks that the
/// peak resident memory of each process stays under 32 MiB. The high-water mark
/// is sampled while the data flows; memory use is flat after start-up, so the
/// last samples, taken as the final bytes arrive, are the peak of the run.
#[test]
fn a_gigabyte_streams_through_encrypt_and_decrypt_in_constant_memory() {
    const MIB: usize = 1 << 20;
    let dir = tempfile::tempdir().unwrap();
    let (key, recipient) = keygen(dir.path(), "k.txt");
    let mut enc = varsel()
        .args(["encrypt", "-r", &recipient])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut dec = varsel()
        .args(["decrypt", "-i", key.to_str().unwrap()])
        .stdin(enc.stdout.take().unwrap())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = enc.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let block = vec![0x5au8; MIB];
        for _ in 0..1024 {
            input.write_all(&block).unwrap();
        }
    });
    let mut output = dec.stdout.take().unwrap();
    let mut hasher = Sha256::new();
    let mut total = 0usize;
    let mut peaks = (0u64, 0u64);
    let sample = |peaks: &mut (u64, u64)| {
        peaks.0 = peaks.0.max(peak_rss_kib(enc.id()).unwrap_or(0));
        peaks.1 = peaks.1.max(peak_rss_kib(dec.id()).unwrap_or(0));
    };
    let mut buf = vec![0u8; 1 << 16];
    let mut next_sample = 0usize;
    loop {
        let n = output.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        total += n;
        hasher.update(&buf[..n]);
        if total >= next_sample {
            sample(&mut peaks);
            next_sample += 16 * MIB;
        }
    }
    feeder.join().unwrap();
    assert!(enc.wait().unwrap().success());
    assert!(dec.wait().unwrap().success());
    assert_eq!(total, 1 << 30);
    let mut expected = Sha256::new();
    let block = vec![0x5au8; MIB];
    for _ in 0..1024 {
        expected.update(&block);
    }
    assert_eq!(hasher.finalize(), expected.finalize());
    assert!(peaks.0 > 0 && peaks.1 > 0, "memory was sampled");
    assert!(peaks.0 < 32 * 1024, "encrypt peak RSS {} KiB", peaks.0);
    assert!(peaks.1 < 32 * 1024, "decrypt peak RSS {} KiB", peaks.1);
}
