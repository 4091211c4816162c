//! The symmetric primitives age v1 is built from, each with the formula it computes.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// `HKDF-SHA-256(ikm, salt, info)` expanded to 32 bytes (RFC 5869).
pub(crate) fn hkdf(salt: &[u8], ikm: &[u8], info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    // Invariant: 32 bytes is far below HKDF's limit of 255 * 32 bytes.
    #[allow(clippy::expect_used)]
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, out.as_mut())
        .expect("32 bytes is a valid HKDF-SHA-256 output length");
    out
}

/// `HMAC-SHA-256(key, message)` (RFC 2104) as a streaming MAC.
pub(crate) fn hmac(key: &[u8]) -> Hmac<Sha256> {
    // Invariant: HMAC accepts keys of any length.
    #[allow(clippy::expect_used)]
    <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length")
}

/// ChaCha20-Poly1305 (RFC 8439) with an all-zero nonce, used to wrap file keys
/// under a key that is used exactly once.
pub(crate) fn aead_wrap(key: &[u8; 32], plaintext: &[u8]) -> Vec<u8> {
    aead_seal(key, &[0u8; 12], plaintext)
}

/// Opens a value sealed by [`aead_wrap`]; `None` when the tag does not verify.
pub(crate) fn aead_unwrap(key: &[u8; 32], ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    aead_open(key, &[0u8; 12], ciphertext)
}

/// ChaCha20-Poly1305 (RFC 8439) under `key` and `nonce`, with empty associated data.
pub(crate) fn aead_seal(key: &[u8; 32], nonce: &[u8; 12], plaintext: &[u8]) -> Vec<u8> {
    let cipher = ChaCha20Poly1305::new(Key::from_slice(key));
    // Invariant: encryption fails only for inputs longer than 2^38 bytes; file keys are 16.
    #[allow(clippy::expect_used)]
    cipher
        .encrypt(Nonce::from_slice(nonce), plaintext)
        .expect("a file key is far below the ChaCha20-Poly1305 length limit")
}

/// Opens a value sealed by [`aead_seal`]; `None` when the tag does not verify.
pub(crate) fn aead_open(
    key: &[u8; 32],
    nonce: &[u8; 12],
    ciphertext: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let cipher = ChaCha20Poly1305::new(Key::from_slice(key));
    cipher
        .decrypt(Nonce::from_slice(nonce), ciphertext)
        .ok()
        .map(Zeroizing::new)
}
