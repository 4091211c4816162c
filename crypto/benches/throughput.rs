//! Encryption and decryption throughput of varsel-crypto, side by side with the
//! `age` crate and with raw ChaCha20-Poly1305 over 64 KiB chunks (a lower
//! bound: no header, no key wrapping, no output allocation), on the same
//! buffers, plus the fixed per-file cost of a small multi-recipient message.
//!
//! Run with `cargo bench -p varsel-crypto --bench throughput`; add
//! `-- --quick` for a fast, rough pass, or a filter such as `-- encrypt/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::io::{Read, Write};
use std::iter;
use std::time::Duration;

use chacha20poly1305::aead::AeadInPlace;
use chacha20poly1305::{ChaCha20Poly1305, Key, KeyInit, Nonce, Tag};
use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkGroup, BenchmarkId, Criterion,
    SamplingMode, Throughput,
};
use varsel_crypto::{Decryptor, Encryptor, Identity, Recipient, X25519Identity, X25519Recipient};

/// The STREAM chunk size of age v1.
const CHUNK: usize = 64 * 1024;
const TAG_SIZE: usize = 16;

const SIZES: &[(&str, usize)] = &[
    ("1KiB", 1024),
    ("1MiB", 1024 * 1024),
    ("64MiB", 64 * 1024 * 1024),
];

/// Deterministic, incompressible-looking input (SplitMix64).
fn input(len: usize) -> Vec<u8> {
    let mut state = 0x5EED_u64;
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

/// Room for the ciphertext of `len` plaintext bytes (header, nonce, tags).
fn ciphertext_capacity(len: usize) -> usize {
    len + (len / CHUNK + 1) * TAG_SIZE + 1024
}

/// Large inputs get few, flat samples so that the whole run stays short.
fn configure(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, len: usize) {
    if len >= 16 * 1024 * 1024 {
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5));
    } else {
        group
            .sampling_mode(SamplingMode::Auto)
            .sample_size(50)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
    }
    group.throughput(Throughput::Bytes(len as u64));
}

// --- varsel-crypto ---------------------------------------------------------

fn varsel_encrypt(recipients: &[&dyn Recipient], data: &[u8]) -> Vec<u8> {
    let mut w = Encryptor::with_recipients(recipients.iter().copied())
        .unwrap()
        .wrap_output(Vec::with_capacity(ciphertext_capacity(data.len())))
        .unwrap();
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

fn varsel_decrypt(identity: &dyn Identity, file: &[u8], len: usize) -> Vec<u8> {
    let mut r = Decryptor::new(file).unwrap().decrypt([identity]).unwrap();
    let mut out = Vec::with_capacity(len);
    r.read_to_end(&mut out).unwrap();
    out
}

// --- age -------------------------------------------------------------------

fn age_encrypt(recipients: &[&dyn age::Recipient], data: &[u8]) -> Vec<u8> {
    let mut w = age::Encryptor::with_recipients(recipients.iter().copied())
        .unwrap()
        .wrap_output(Vec::with_capacity(ciphertext_capacity(data.len())))
        .unwrap();
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

fn age_decrypt(identity: &dyn age::Identity, file: &[u8], len: usize) -> Vec<u8> {
    let mut r = age::Decryptor::new_buffered(file)
        .unwrap()
        .decrypt(iter::once(identity))
        .unwrap();
    let mut out = Vec::with_capacity(len);
    r.read_to_end(&mut out).unwrap();
    out
}

// --- raw ChaCha20-Poly1305, STREAM-style nonces ------------------------------

fn stream_nonce(counter: usize, last: bool) -> Nonce {
    let mut nonce = Nonce::default();
    nonce[3..11].copy_from_slice(&(counter as u64).to_be_bytes());
    nonce[11] = u8::from(last);
    nonce
}

fn chunk_count(len: usize) -> usize {
    len.div_ceil(CHUNK).max(1)
}

/// Encrypts `buf` in place, chunk by chunk, writing one tag per chunk.
fn raw_encrypt(cipher: &ChaCha20Poly1305, buf: &mut [u8], tags: &mut [Tag]) {
    let n = chunk_count(buf.len());
    for (i, (chunk, tag)) in buf.chunks_mut(CHUNK).zip(tags.iter_mut()).enumerate() {
        *tag = cipher
            .encrypt_in_place_detached(&stream_nonce(i, i + 1 == n), b"", chunk)
            .unwrap();
    }
}

/// Decrypts `buf` in place, chunk by chunk, checking each tag.
fn raw_decrypt(cipher: &ChaCha20Poly1305, buf: &mut [u8], tags: &[Tag]) {
    let n = chunk_count(buf.len());
    for (i, (chunk, tag)) in buf.chunks_mut(CHUNK).zip(tags).enumerate() {
        cipher
            .decrypt_in_place_detached(&stream_nonce(i, i + 1 == n), b"", chunk, tag)
            .unwrap();
    }
}

// --- benchmarks --------------------------------------------------------------

fn encrypt(c: &mut Criterion) {
    let our_recipient = X25519Identity::generate().to_public();
    let their_recipient = age::x25519::Identity::generate().to_public();
    let cipher = ChaCha20Poly1305::new(&Key::from([0x42; 32]));

    let mut group = c.benchmark_group("encrypt");
    for &(label, len) in SIZES {
        let data = input(len);
        configure(&mut group, len);

        group.bench_with_input(BenchmarkId::new("varsel", label), &data, |b, data| {
            b.iter(|| varsel_encrypt(&[&our_recipient], black_box(data)));
        });
        group.bench_with_input(BenchmarkId::new("age", label), &data, |b, data| {
            b.iter(|| age_encrypt(&[&their_recipient], black_box(data)));
        });

        let mut buf = data.clone();
        let mut tags = vec![Tag::default(); chunk_count(len)];
        group.bench_function(BenchmarkId::new("chacha20poly1305-raw", label), |b| {
            b.iter(|| raw_encrypt(&cipher, black_box(&mut buf), &mut tags));
        });
    }
    group.finish();
}

fn decrypt(c: &mut Criterion) {
    let our_identity = X25519Identity::generate();
    let our_recipient = our_identity.to_public();
    let their_identity = age::x25519::Identity::generate();
    let their_recipient = their_identity.to_public();
    let cipher = ChaCha20Poly1305::new(&Key::from([0x42; 32]));

    let mut group = c.benchmark_group("decrypt");
    for &(label, len) in SIZES {
        let data = input(len);
        configure(&mut group, len);

        let ours = varsel_encrypt(&[&our_recipient], &data);
        assert_eq!(varsel_decrypt(&our_identity, &ours, len), data);
        group.bench_with_input(BenchmarkId::new("varsel", label), &ours, |b, file| {
            b.iter(|| varsel_decrypt(&our_identity, black_box(file), len));
        });
        drop(ours);

        let theirs = age_encrypt(&[&their_recipient], &data);
        assert_eq!(age_decrypt(&their_identity, &theirs, len), data);
        group.bench_with_input(BenchmarkId::new("age", label), &theirs, |b, file| {
            b.iter(|| age_decrypt(&their_identity, black_box(file), len));
        });
        drop(theirs);

        let mut raw = data.clone();
        let mut tags = vec![Tag::default(); chunk_count(len)];
        raw_encrypt(&cipher, &mut raw, &mut tags);
        group.bench_function(BenchmarkId::new("chacha20poly1305-raw", label), |b| {
            b.iter_batched_ref(
                || raw.clone(),
                |buf| raw_decrypt(&cipher, black_box(buf), &tags),
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

/// The fixed cost of one small file to three X25519 recipients, split into
/// encryption (three key wraps, the header MAC, one chunk), decryption with the
/// identity of the first and of the last stanza, and the round trip; plus the
/// floor under all of it: one X25519 key generation and one Diffie-Hellman
/// with `x25519-dalek`, which a wrap needs once each and an unwrap once per
/// stanza tried.
fn per_file_overhead(c: &mut Criterion) {
    const LABEL: &str = "1KiB-3-recipients";
    let data = input(1024);

    let mut group = c.benchmark_group("per-file-overhead");
    group
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(1));

    let our_ids: Vec<X25519Identity> = (0..3).map(|_| X25519Identity::generate()).collect();
    let our_recipients: Vec<X25519Recipient> = our_ids.iter().map(|id| id.to_public()).collect();
    let our_recipients: Vec<&dyn Recipient> = our_recipients.iter().map(|r| r as _).collect();
    let our_file = varsel_crypto::encrypt(&our_recipients, &data).unwrap();
    group.bench_function(BenchmarkId::new("varsel/encrypt", LABEL), |b| {
        b.iter(|| varsel_crypto::encrypt(&our_recipients, black_box(&data)).unwrap());
    });
    for (which, id) in [("first", &our_ids[0]), ("last", &our_ids[2])] {
        group.bench_function(
            BenchmarkId::new(format!("varsel/decrypt-{which}-stanza"), LABEL),
            |b| {
                b.iter(|| varsel_crypto::decrypt(&[id], black_box(&our_file)).unwrap());
            },
        );
    }
    group.bench_function(BenchmarkId::new("varsel/round-trip", LABEL), |b| {
        b.iter(|| {
            let file = varsel_crypto::encrypt(&our_recipients, black_box(&data)).unwrap();
            let plain = varsel_crypto::decrypt(&[&our_ids[2]], &file).unwrap();
            assert_eq!(plain.len(), data.len());
            plain
        });
    });

    let their_ids: Vec<age::x25519::Identity> =
        (0..3).map(|_| age::x25519::Identity::generate()).collect();
    let their_recipients: Vec<age::x25519::Recipient> =
        their_ids.iter().map(|id| id.to_public()).collect();
    let their_recipients: Vec<&dyn age::Recipient> =
        their_recipients.iter().map(|r| r as _).collect();
    let their_file = age_encrypt(&their_recipients, &data);
    group.bench_function(BenchmarkId::new("age/encrypt", LABEL), |b| {
        b.iter(|| age_encrypt(&their_recipients, black_box(&data)));
    });
    for (which, id) in [("first", &their_ids[0]), ("last", &their_ids[2])] {
        group.bench_function(
            BenchmarkId::new(format!("age/decrypt-{which}-stanza"), LABEL),
            |b| {
                b.iter(|| age_decrypt(id, black_box(&their_file), data.len()));
            },
        );
    }
    group.bench_function(BenchmarkId::new("age/round-trip", LABEL), |b| {
        b.iter(|| {
            let file = age_encrypt(&their_recipients, black_box(&data));
            let plain = age_decrypt(&their_ids[2], &file, data.len());
            assert_eq!(plain.len(), data.len());
            plain
        });
    });

    let peer = x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::random_from_rng(
        rand::rngs::OsRng,
    ));
    group.bench_function("x25519-dalek/keygen", |b| {
        b.iter(|| {
            let secret = x25519_dalek::StaticSecret::random_from_rng(rand::rngs::OsRng);
            x25519_dalek::PublicKey::from(&secret)
        });
    });
    let secret = x25519_dalek::StaticSecret::random_from_rng(rand::rngs::OsRng);
    group.bench_function("x25519-dalek/diffie-hellman", |b| {
        b.iter(|| secret.diffie_hellman(black_box(&peer)));
    });
    group.finish();
}

criterion_group!(benches, encrypt, decrypt, per_file_overhead);
criterion_main!(benches);
