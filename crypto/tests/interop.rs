//! Interoperability with the reference `age` crate (0.11), used as an oracle,
//! in both directions:
//!
//! * A: encrypt with varsel-crypto, decrypt with `age`;
//! * B: encrypt with `age`, decrypt with varsel-crypto.
//!
//! Payload sizes straddle the 64 KiB STREAM chunk boundary, files go to one
//! or several X25519 recipients, armored and binary, plus passphrase (scrypt)
//! files and the Bech32 key encodings. Every check compares the full
//! plaintext (or the exact key string) produced by the other implementation.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};

use age::secrecy::{ExposeSecret, SecretString};
use proptest::prelude::*;
use varsel_crypto::{
    ArmoredWriter, DecryptError, Decryptor, Encryptor, HeaderError, Identity, Recipient,
    ScryptIdentity, ScryptRecipient, X25519Identity, X25519Recipient,
};

/// The STREAM chunk size of age v1.
const CHUNK: usize = 64 * 1024;
const BINARY_PREFIX: &[u8] = b"age-encryption.org/v1\n";
const ARMOR_BEGIN: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";
const ARMOR_END: &str = "-----END AGE ENCRYPTED FILE-----";
/// Low scrypt work factor (N = 2^10) to keep the passphrase tests fast.
const LOW_WORK_FACTOR: u8 = 10;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Deterministic pseudo-random plaintext of `len` bytes (SplitMix64 from `seed`).
fn plaintext(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        out.extend_from_slice(&z.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Writes `data` in pieces of at most `piece` bytes, to exercise the writers' buffering.
fn write_in_pieces<W: Write>(w: &mut W, data: &[u8], piece: usize) {
    for part in data.chunks(piece.max(1)) {
        w.write_all(part).unwrap();
    }
}

/// Compares without dumping megabytes into the failure message.
#[track_caller]
fn assert_same_plaintext(got: &[u8], want: &[u8], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: plaintext length differs");
    if let Some(i) = got.iter().zip(want).position(|(a, b)| a != b) {
        panic!("{what}: plaintext differs first at byte {i}");
    }
}

#[track_caller]
fn assert_format(file: &[u8], armored: bool) {
    if armored {
        assert!(
            file.starts_with(ARMOR_BEGIN),
            "armored file lacks BEGIN line"
        );
        let text = std::str::from_utf8(file).expect("armored file is ASCII");
        assert!(
            text.trim_end().ends_with(ARMOR_END),
            "armored file lacks END line"
        );
    } else {
        assert!(
            file.starts_with(BINARY_PREFIX),
            "binary file lacks age header"
        );
    }
}

/// `n` identities made by `age`, and their recipients as varsel-crypto parses
/// them from the `age1…` strings.
fn age_keys(n: usize) -> (Vec<age::x25519::Identity>, Vec<X25519Recipient>) {
    let ids: Vec<_> = (0..n).map(|_| age::x25519::Identity::generate()).collect();
    let recipients = ids
        .iter()
        .map(|id| {
            id.to_public()
                .to_string()
                .parse::<X25519Recipient>()
                .unwrap()
        })
        .collect();
    (ids, recipients)
}

/// `n` identities made by varsel-crypto, and their recipients as `age` parses them.
fn varsel_keys(n: usize) -> (Vec<X25519Identity>, Vec<age::x25519::Recipient>) {
    let ids: Vec<_> = (0..n).map(|_| X25519Identity::generate()).collect();
    let recipients = ids
        .iter()
        .map(|id| {
            id.to_public()
                .to_string()
                .parse::<age::x25519::Recipient>()
                .unwrap()
        })
        .collect();
    (ids, recipients)
}

/// Streams `plaintext` through varsel-crypto's `Encryptor`.
fn varsel_encrypt(
    recipients: &[&dyn Recipient],
    plaintext: &[u8],
    armored: bool,
    piece: usize,
) -> Vec<u8> {
    let encryptor = Encryptor::with_recipients(recipients.iter().copied()).unwrap();
    let file = if armored {
        let mut w = encryptor
            .wrap_output(ArmoredWriter::new(Vec::new()))
            .unwrap();
        write_in_pieces(&mut w, plaintext, piece);
        w.finish().unwrap().finish().unwrap()
    } else {
        let mut w = encryptor.wrap_output(Vec::new()).unwrap();
        write_in_pieces(&mut w, plaintext, piece);
        w.finish().unwrap()
    };
    assert_format(&file, armored);
    file
}

/// Streams `plaintext` through the `age` crate's `Encryptor` (and `ArmoredWriter`).
fn age_encrypt(
    recipients: &[&dyn age::Recipient],
    plaintext: &[u8],
    armored: bool,
    piece: usize,
) -> Vec<u8> {
    let encryptor = age::Encryptor::with_recipients(recipients.iter().copied()).unwrap();
    let format = if armored {
        age::armor::Format::AsciiArmor
    } else {
        age::armor::Format::Binary
    };
    let output = age::armor::ArmoredWriter::wrap_output(Vec::new(), format).unwrap();
    let mut w = encryptor.wrap_output(output).unwrap();
    write_in_pieces(&mut w, plaintext, piece);
    let file = w.finish().unwrap().finish().unwrap();
    assert_format(&file, armored);
    file
}

/// Decrypts with the `age` crate. Armored files go through `age::armor::ArmoredReader`;
/// binary ones are fed to `age::Decryptor` directly.
fn age_decrypt(
    identities: &[&dyn age::Identity],
    file: &[u8],
    armored: bool,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    if armored {
        let decryptor = age::Decryptor::new_buffered(age::armor::ArmoredReader::new(file))
            .map_err(|e| e.to_string())?;
        let mut r = decryptor
            .decrypt(identities.iter().copied())
            .map_err(|e| e.to_string())?;
        r.read_to_end(&mut out).map_err(|e| e.to_string())?;
    } else {
        let decryptor = age::Decryptor::new_buffered(file).map_err(|e| e.to_string())?;
        let mut r = decryptor
            .decrypt(identities.iter().copied())
            .map_err(|e| e.to_string())?;
        r.read_to_end(&mut out).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// Decrypts with varsel-crypto's streaming `Decryptor` (armor autodetected).
fn varsel_decrypt(identities: &[&dyn Identity], file: &[u8]) -> Result<Vec<u8>, DecryptError> {
    let mut reader = Decryptor::new(file)?.decrypt(identities.iter().copied())?;
    let mut out = Vec::new();
    reader
        .read_to_end(&mut out)
        .map_err(DecryptError::from_io)?;
    Ok(out)
}

/// Direction A: varsel-crypto encrypts to `n` recipients (keys made by `age`),
/// `age` decrypts with the identity `who`, given after an unrelated identity.
fn check_varsel_to_age(len: usize, seed: u64, n: usize, who: usize, armored: bool, piece: usize) {
    let what = format!("varsel->age len={len} n={n} who={who} armored={armored} piece={piece}");
    let plain = plaintext(len, seed);
    let (ids, recipients) = age_keys(n);
    let recipients: Vec<&dyn Recipient> = recipients.iter().map(|r| r as _).collect();
    let file = varsel_encrypt(&recipients, &plain, armored, piece);

    let stranger = age::x25519::Identity::generate();
    let got = age_decrypt(&[&stranger, &ids[who]], &file, armored)
        .unwrap_or_else(|e| panic!("{what}: age failed to decrypt: {e}"));
    assert_same_plaintext(&got, &plain, &what);
}

/// Direction B: `age` encrypts to `n` recipients (keys made by varsel-crypto),
/// varsel-crypto decrypts with the identity `who`, given after an unrelated identity.
fn check_age_to_varsel(len: usize, seed: u64, n: usize, who: usize, armored: bool, piece: usize) {
    let what = format!("age->varsel len={len} n={n} who={who} armored={armored} piece={piece}");
    let plain = plaintext(len, seed);
    let (ids, recipients) = varsel_keys(n);
    let recipients: Vec<&dyn age::Recipient> = recipients.iter().map(|r| r as _).collect();
    let file = age_encrypt(&recipients, &plain, armored, piece);

    let stranger = X25519Identity::generate();
    let got = varsel_decrypt(&[&stranger, &ids[who]], &file)
        .unwrap_or_else(|e| panic!("{what}: varsel-crypto failed to decrypt: {e}"));
    assert_same_plaintext(&got, &plain, &what);
}

// ---------------------------------------------------------------------------
// Explicit sizes around the 64 KiB chunk boundary
// ---------------------------------------------------------------------------

/// 0 (a single empty final chunk), 1, one byte short of / exactly / one past a
/// chunk, and the same around two chunks.
const BOUNDARY_SIZES: &[usize] = &[
    0,
    1,
    CHUNK - 1,
    CHUNK,
    CHUNK + 1,
    2 * CHUNK - 1,
    2 * CHUNK,
    2 * CHUNK + 1,
];

#[test]
fn boundary_sizes_varsel_to_age() {
    for &len in BOUNDARY_SIZES {
        for armored in [false, true] {
            for n in [1, 3] {
                check_varsel_to_age(len, len as u64, n, n - 1, armored, usize::MAX);
            }
        }
    }
}

#[test]
fn boundary_sizes_age_to_varsel() {
    for &len in BOUNDARY_SIZES {
        for armored in [false, true] {
            for n in [1, 3] {
                check_age_to_varsel(len, len as u64, n, n - 1, armored, usize::MAX);
            }
        }
    }
}

/// Armored age files also decrypt through the explicit `Decryptor::new_armored`.
#[test]
fn boundary_sizes_age_armored_to_varsel_new_armored() {
    let (ids, recipients) = varsel_keys(2);
    let recipients: Vec<&dyn age::Recipient> = recipients.iter().map(|r| r as _).collect();
    for &len in BOUNDARY_SIZES {
        let plain = plaintext(len, 7);
        let file = age_encrypt(&recipients, &plain, true, usize::MAX);
        let mut reader = Decryptor::new_armored(file.as_slice())
            .unwrap()
            .decrypt([&ids[1] as &dyn Identity])
            .unwrap();
        let mut got = Vec::new();
        reader.read_to_end(&mut got).unwrap();
        assert_same_plaintext(&got, &plain, &format!("new_armored len={len}"));
    }
}

// Several MiB: plain tests, not proptest, to keep the run time bounded.

const MULTI_MIB: usize = 3 * 1024 * 1024 + 17;

#[test]
fn multi_mib_varsel_to_age_binary() {
    check_varsel_to_age(MULTI_MIB, 1, 1, 0, false, 100_000);
    // An exact multiple of the chunk size: the last chunk is full.
    check_varsel_to_age(3 * 1024 * 1024, 2, 4, 2, false, usize::MAX);
}

#[test]
fn multi_mib_varsel_to_age_armored() {
    check_varsel_to_age(MULTI_MIB, 3, 5, 4, true, 65_537);
}

#[test]
fn multi_mib_age_to_varsel_binary() {
    check_age_to_varsel(MULTI_MIB, 4, 1, 0, false, 100_000);
    check_age_to_varsel(3 * 1024 * 1024, 5, 4, 2, false, usize::MAX);
}

#[test]
fn multi_mib_age_to_varsel_armored() {
    check_age_to_varsel(MULTI_MIB, 6, 5, 4, true, 65_537);
}

// ---------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------

/// Sizes in 0..=200_000, biased towards the chunk boundaries.
fn payload_size() -> impl Strategy<Value = usize> {
    prop_oneof![
        3 => 0usize..=200_000,
        1 => prop::sample::select(BOUNDARY_SIZES.to_vec()),
        1 => (0usize..3, -40i64..=40).prop_map(|(k, d)| {
            usize::try_from((k as i64 + 1) * CHUNK as i64 + d).unwrap()
        }),
    ]
}

/// Sizes of the individual `write` calls made while encrypting.
fn write_piece() -> impl Strategy<Value = usize> {
    prop_oneof![Just(usize::MAX), 1usize..=64, 1usize..=(3 * CHUNK),]
}

/// One recipient half the time, otherwise 2 to 5.
fn recipient_count() -> impl Strategy<Value = usize> {
    prop_oneof![Just(1usize), 2usize..=5]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn prop_varsel_to_age(
        len in payload_size(),
        seed in any::<u64>(),
        n in recipient_count(),
        who in any::<prop::sample::Index>(),
        armored in any::<bool>(),
        piece in write_piece(),
    ) {
        check_varsel_to_age(len, seed, n, who.index(n), armored, piece);
    }

    #[test]
    fn prop_age_to_varsel(
        len in payload_size(),
        seed in any::<u64>(),
        n in recipient_count(),
        who in any::<prop::sample::Index>(),
        armored in any::<bool>(),
        piece in write_piece(),
    ) {
        check_age_to_varsel(len, seed, n, who.index(n), armored, piece);
    }

    /// Any 32 secret bytes encode to the same `AGE-SECRET-KEY-1…` string on both
    /// sides, each side parses the other's, and the `age1…` recipients agree.
    #[test]
    fn prop_key_encodings_agree(secret in any::<[u8; 32]>()) {
        let ours = X25519Identity::from_secret_bytes(secret);
        let ours_str = ours.to_bech32();
        let theirs: age::x25519::Identity = ours_str.parse().unwrap();
        let theirs_str = theirs.to_string();
        prop_assert_eq!(theirs_str.expose_secret(), ours_str.as_str());
        prop_assert_eq!(theirs.to_public().to_string(), ours.to_public().to_string());

        let back = X25519Identity::from_bech32(theirs_str.expose_secret()).unwrap();
        prop_assert_eq!(back.to_public(), ours.to_public());

        let r: X25519Recipient = theirs.to_public().to_string().parse().unwrap();
        prop_assert_eq!(&r, &ours.to_public());
        prop_assert_eq!(r.to_string(), theirs.to_public().to_string());
    }
}

// ---------------------------------------------------------------------------
// Key encodings
// ---------------------------------------------------------------------------

#[test]
fn age_generated_identity_parses_in_varsel() {
    for _ in 0..16 {
        let theirs = age::x25519::Identity::generate();
        let theirs_str = theirs.to_string();
        let ours = X25519Identity::from_bech32(theirs_str.expose_secret()).unwrap();
        assert_eq!(ours.to_bech32().as_str(), theirs_str.expose_secret());
        assert_eq!(ours.to_public().to_string(), theirs.to_public().to_string());

        let recipient: X25519Recipient = theirs.to_public().to_string().parse().unwrap();
        assert_eq!(recipient, ours.to_public());
    }
}

#[test]
fn varsel_generated_identity_parses_in_age() {
    for _ in 0..16 {
        let ours = X25519Identity::generate();
        let theirs: age::x25519::Identity = ours.to_bech32().parse().unwrap();
        assert_eq!(
            theirs.to_string().expose_secret(),
            ours.to_bech32().as_str()
        );
        assert_eq!(theirs.to_public().to_string(), ours.to_public().to_string());

        let recipient: age::x25519::Recipient = ours.to_public().to_string().parse().unwrap();
        assert_eq!(recipient.to_string(), ours.to_public().to_string());
    }
}

/// A key pair made entirely by one side works for files made by the other,
/// with the keys crossing only as strings.
#[test]
fn keys_cross_as_strings_only() {
    let plain = plaintext(70_000, 99);

    let age_id = age::x25519::Identity::generate();
    let recipient: X25519Recipient = age_id.to_public().to_string().parse().unwrap();
    let file = varsel_crypto::encrypt(&[&recipient], &plain).unwrap();
    let got = age_decrypt(&[&age_id], &file, false).unwrap();
    assert_same_plaintext(&got, &plain, "age key, varsel file");

    let our_id = X25519Identity::generate();
    let id_string = our_id.to_bech32();
    let their_id: age::x25519::Identity = id_string.parse().unwrap();
    let file = age::encrypt(&their_id.to_public(), &plain).unwrap();
    let got = varsel_crypto::decrypt(&[&our_id], &file).unwrap();
    assert_same_plaintext(&got, &plain, "varsel key, age file");
}

// ---------------------------------------------------------------------------
// Passphrases (scrypt)
// ---------------------------------------------------------------------------

const PASSPHRASES: &[&str] = &[
    "correct horse battery staple",
    "blåbærsyltetøy – ÆØÅ æøå",
    "x",
];

fn age_scrypt_identity(passphrase: &str) -> age::scrypt::Identity {
    let mut id = age::scrypt::Identity::new(SecretString::from(passphrase.to_owned()));
    id.set_max_work_factor(LOW_WORK_FACTOR);
    id
}

#[test]
fn passphrase_varsel_to_age() {
    for (i, &passphrase) in PASSPHRASES.iter().enumerate() {
        for armored in [false, true] {
            for len in [0, CHUNK, CHUNK + 3] {
                let what = format!("scrypt varsel->age pass#{i} armored={armored} len={len}");
                let plain = plaintext(len, i as u64);
                let recipient =
                    ScryptRecipient::new(passphrase.as_bytes()).with_work_factor(LOW_WORK_FACTOR);
                let file = varsel_encrypt(&[&recipient], &plain, armored, usize::MAX);
                let got = age_decrypt(&[&age_scrypt_identity(passphrase)], &file, armored)
                    .unwrap_or_else(|e| panic!("{what}: age failed to decrypt: {e}"));
                assert_same_plaintext(&got, &plain, &what);
            }
        }
    }
}

#[test]
fn passphrase_age_to_varsel() {
    for (i, &passphrase) in PASSPHRASES.iter().enumerate() {
        for armored in [false, true] {
            for len in [0, CHUNK, CHUNK + 3] {
                let what = format!("scrypt age->varsel pass#{i} armored={armored} len={len}");
                let plain = plaintext(len, i as u64);
                let mut recipient =
                    age::scrypt::Recipient::new(SecretString::from(passphrase.to_owned()));
                recipient.set_work_factor(LOW_WORK_FACTOR);
                let file = age_encrypt(&[&recipient], &plain, armored, usize::MAX);
                assert!(Decryptor::new(file.as_slice()).unwrap().is_passphrase());
                let identity = ScryptIdentity::new(passphrase.as_bytes());
                let got = varsel_decrypt(&[&identity], &file)
                    .unwrap_or_else(|e| panic!("{what}: varsel-crypto failed to decrypt: {e}"));
                assert_same_plaintext(&got, &plain, &what);
            }
        }
    }
}

#[test]
fn wrong_passphrase_is_rejected_both_ways() {
    let plain = plaintext(1000, 5);

    let recipient = ScryptRecipient::new(b"right").with_work_factor(LOW_WORK_FACTOR);
    let file = varsel_encrypt(&[&recipient], &plain, false, usize::MAX);
    assert!(age_decrypt(&[&age_scrypt_identity("wrong")], &file, false).is_err());

    let mut recipient = age::scrypt::Recipient::new(SecretString::from("right".to_owned()));
    recipient.set_work_factor(LOW_WORK_FACTOR);
    let file = age_encrypt(&[&recipient], &plain, false, usize::MAX);
    let err = varsel_decrypt(&[&ScryptIdentity::new(b"wrong")], &file).unwrap_err();
    assert!(matches!(err, DecryptError::NoMatch), "{err}");
}

/// An age file whose work factor exceeds the identity's bound is refused before
/// any scrypt work is done.
#[test]
fn age_work_factor_above_bound_is_refused() {
    let mut recipient = age::scrypt::Recipient::new(SecretString::from("pw".to_owned()));
    recipient.set_work_factor(LOW_WORK_FACTOR + 1);
    let file = age_encrypt(&[&recipient], b"x", false, usize::MAX);
    let identity = ScryptIdentity::new(b"pw").with_max_work_factor(LOW_WORK_FACTOR);
    let err = varsel_decrypt(&[&identity], &file).unwrap_err();
    assert!(
        matches!(
            err,
            DecryptError::Header(HeaderError::WorkFactorTooHigh { found, max })
                if found == LOW_WORK_FACTOR + 1 && max == LOW_WORK_FACTOR
        ),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// Tampering and truncation are detected by the other side
// ---------------------------------------------------------------------------

#[test]
fn tampered_varsel_file_is_rejected_by_age() {
    let plain = plaintext(2 * CHUNK + 5, 11);
    let (ids, recipients) = age_keys(1);
    let file = varsel_encrypt(&[&recipients[0]], &plain, false, usize::MAX);
    assert!(age_decrypt(&[&ids[0]], &file, false).is_ok());

    let mut flipped = file.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    assert!(age_decrypt(&[&ids[0]], &flipped, false).is_err());

    // Dropping the last (short, final) chunk leaves a non-final chunk at the end.
    let truncated = &file[..file.len() - (5 + 16)];
    assert!(age_decrypt(&[&ids[0]], truncated, false).is_err());
}

#[test]
fn tampered_age_file_is_rejected_by_varsel() {
    let plain = plaintext(2 * CHUNK + 5, 12);
    let (ids, recipients) = varsel_keys(1);
    let file = age_encrypt(&[&recipients[0]], &plain, false, usize::MAX);
    assert!(varsel_decrypt(&[&ids[0]], &file).is_ok());

    let mut flipped = file.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    assert!(matches!(
        varsel_decrypt(&[&ids[0]], &flipped),
        Err(DecryptError::Payload)
    ));

    let truncated = &file[..file.len() - (5 + 16)];
    assert!(varsel_decrypt(&[&ids[0]], truncated).is_err());
}

/// Files to a stranger are "no match" on both sides, not an error of format.
#[test]
fn foreign_recipient_is_no_match_both_ways() {
    let plain = plaintext(100, 13);

    let (_, recipients) = age_keys(2);
    let file = varsel_encrypt(&[&recipients[0], &recipients[1]], &plain, false, usize::MAX);
    let stranger = age::x25519::Identity::generate();
    assert!(age_decrypt(&[&stranger], &file, false).is_err());

    let (_, recipients) = varsel_keys(2);
    let file = age_encrypt(&[&recipients[0], &recipients[1]], &plain, true, usize::MAX);
    let err = varsel_decrypt(&[&X25519Identity::generate()], &file).unwrap_err();
    assert!(matches!(err, DecryptError::NoMatch), "{err}");
}

/// Sanity check of the helper itself: different seeds, different content.
#[test]
fn plaintext_is_seeded() {
    assert_eq!(plaintext(33, 1), plaintext(33, 1));
    assert_ne!(plaintext(33, 1), plaintext(33, 2));
    assert_eq!(plaintext(0, 1).len(), 0);
}
