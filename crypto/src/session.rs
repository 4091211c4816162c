//! Session secrets: what a browser's cookie or an API client's bearer token
//! holds, and everything a server derives from it.
//!
//! A session token is 32 random bytes, written as 64 hex digits. The server
//! stores none of it; from it, it derives (HKDF-SHA-256, RFC 5869, with
//! salt [`SESSION_SALT`] and the secret as input key material):
//!
//! - the **lookup key** (`info =` [`SESSION_LOOKUP_LABEL`]), the only thing a
//!   database row is keyed by;
//! - the **seal key** (`info =` [`SESSION_SEAL_LABEL`]), under which the
//!   identity the session unlocked is sealed:
//!   `sealed = ChaCha20-Poly1305(seal key, nonce = 0, aad = context, identity)`
//!   (RFC 8439). The nonce may be fixed because a secret seals exactly one
//!   identity, once, when its session starts;
//! - the **CSRF token** (`info =` [`SESSION_CSRF_LABEL`]), which the
//!   session's forms echo, so it need not be stored either.
//!
//! A stolen database thus yields lookup keys and sealed identities, which
//! open nothing without the secrets; a stolen token without the database
//! names a row the thief cannot read.
//!
//! ```
//! use varsel_crypto::{SessionSecret, X25519Identity};
//!
//! let secret = SessionSecret::generate();
//! let identity = X25519Identity::generate();
//! let sealed = secret.seal_identity(&identity, b"staff:42");
//!
//! let token = secret.token(); // goes to the client, never to the database
//! let again = SessionSecret::from_token(&token).unwrap();
//! assert_eq!(again.lookup_key(), secret.lookup_key());
//! let opened = again.open_identity(&sealed, b"staff:42").unwrap();
//! assert_eq!(opened.to_public().to_string(), identity.to_public().to_string());
//! assert!(again.open_identity(&sealed, b"staff:43").is_none());
//! assert!(SessionSecret::generate().open_identity(&sealed, b"staff:42").is_none());
//! ```

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::rngs::OsRng;
use rand::RngCore;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::primitives::hkdf;
use crate::X25519Identity;

/// HKDF salt of every key derived from a session secret.
pub const SESSION_SALT: &[u8] = b"varsel.session.v1";
/// HKDF info of the lookup key a session row is keyed by.
pub const SESSION_LOOKUP_LABEL: &[u8] = b"varsel.session.v1.lookup";
/// HKDF info of the key the session's identity is sealed under.
pub const SESSION_SEAL_LABEL: &[u8] = b"varsel.session.v1.seal";
/// HKDF info of the session's CSRF token.
pub const SESSION_CSRF_LABEL: &[u8] = b"varsel.session.v1.csrf";

/// Length of a token in characters (32 bytes, hex).
pub const SESSION_TOKEN_CHARS: usize = 64;

/// The secret of one session. Zeroized on drop, never printed.
pub struct SessionSecret(Zeroizing<[u8; 32]>);

/// The key a session is found by: a one-way function of its secret.
pub type SessionLookupKey = [u8; 32];

impl SessionSecret {
    /// A new secret from the operating system's random number generator.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(bytes.as_mut());
        SessionSecret(bytes)
    }

    /// Parses a token (64 hex digits, either case); `None` for anything else.
    pub fn from_token(token: &str) -> Option<Self> {
        let token = token.as_bytes();
        if token.len() != SESSION_TOKEN_CHARS {
            return None;
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        for (byte, pair) in bytes.iter_mut().zip(token.chunks_exact(2)) {
            *byte = (hex_value(pair[0])? << 4) | hex_value(pair[1])?;
        }
        Some(SessionSecret(bytes))
    }

    /// The token the client holds: 64 lower-case hex digits. It is the secret.
    pub fn token(&self) -> Zeroizing<String> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = Zeroizing::new(String::with_capacity(SESSION_TOKEN_CHARS));
        for byte in self.0.iter() {
            out.push(char::from(DIGITS[usize::from(byte >> 4)]));
            out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
        }
        out
    }

    /// The lookup key: `HKDF-SHA-256(ikm = secret, salt = SESSION_SALT, info = SESSION_LOOKUP_LABEL)`.
    pub fn lookup_key(&self) -> SessionLookupKey {
        *hkdf(SESSION_SALT, self.0.as_ref(), SESSION_LOOKUP_LABEL)
    }

    /// The CSRF token (64 hex digits):
    /// `HKDF-SHA-256(ikm = secret, salt = SESSION_SALT, info = SESSION_CSRF_LABEL)`.
    pub fn csrf_token(&self) -> Zeroizing<String> {
        let key = hkdf(SESSION_SALT, self.0.as_ref(), SESSION_CSRF_LABEL);
        SessionSecret(key).token()
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        let key = hkdf(SESSION_SALT, self.0.as_ref(), SESSION_SEAL_LABEL);
        ChaCha20Poly1305::new(Key::from_slice(key.as_ref()))
    }

    /// Seals `identity` under the seal key, bound to `context` (what the
    /// session is for, so a sealed identity cannot be moved to another row's
    /// meaning). 48 bytes.
    pub fn seal_identity(&self, identity: &X25519Identity, context: &[u8]) -> Vec<u8> {
        let secret = identity.secret_bytes();
        let payload = Payload {
            msg: secret.as_ref(),
            aad: context,
        };
        // Invariant: encryption fails only for inputs longer than 2^38 bytes; this is 32.
        #[allow(clippy::expect_used)]
        self.cipher()
            .encrypt(Nonce::from_slice(&[0u8; 12]), payload)
            .expect("32 bytes are far below the ChaCha20-Poly1305 length limit")
    }

    /// Opens what [`SessionSecret::seal_identity`] sealed with the same
    /// `context`; `None` for another secret, another context or altered bytes.
    pub fn open_identity(&self, sealed: &[u8], context: &[u8]) -> Option<X25519Identity> {
        let payload = Payload {
            msg: sealed,
            aad: context,
        };
        let plain = Zeroizing::new(
            self.cipher()
                .decrypt(Nonce::from_slice(&[0u8; 12]), payload)
                .ok()?,
        );
        let bytes: [u8; 32] = plain.as_slice().try_into().ok()?;
        Some(X25519Identity::from_secret_bytes(bytes))
    }

    /// Seals `message` under the seal key, bound to `context`, as
    /// [`SessionSecret::seal_identity`] does for an identity; for a secret
    /// that seals one message once (a one-time receipt, say). 16 bytes
    /// longer than `message`.
    pub fn seal_bytes(&self, message: &[u8], context: &[u8]) -> Vec<u8> {
        let payload = Payload {
            msg: message,
            aad: context,
        };
        // Invariant: encryption fails only for inputs longer than 2^38 bytes;
        // callers seal a few hundred.
        #[allow(clippy::expect_used)]
        self.cipher()
            .encrypt(Nonce::from_slice(&[0u8; 12]), payload)
            .expect("a short message is far below the ChaCha20-Poly1305 length limit")
    }

    /// Opens what [`SessionSecret::seal_bytes`] sealed with the same
    /// `context`; `None` for another secret, another context or altered bytes.
    pub fn open_bytes(&self, sealed: &[u8], context: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let payload = Payload {
            msg: sealed,
            aad: context,
        };
        self.cipher()
            .decrypt(Nonce::from_slice(&[0u8; 12]), payload)
            .ok()
            .map(Zeroizing::new)
    }

    /// Compares two secrets in constant time.
    pub fn ct_eq(&self, other: &SessionSecret) -> bool {
        self.0.as_ref().ct_eq(other.0.as_ref()).into()
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_anything_else() {
        let secret = SessionSecret::generate();
        let token = secret.token();
        assert_eq!(token.len(), SESSION_TOKEN_CHARS);
        let parsed = SessionSecret::from_token(&token).expect("parses");
        assert!(parsed.ct_eq(&secret));
        let upper = SessionSecret::from_token(&token.to_ascii_uppercase()).expect("parses");
        assert!(upper.ct_eq(&secret));
        assert!(SessionSecret::from_token(&token[1..]).is_none());
        assert!(SessionSecret::from_token(&format!("{}0", &*token)).is_none());
        assert!(SessionSecret::from_token(&format!("g{}", &token[1..])).is_none());
        assert!(SessionSecret::from_token("").is_none());
    }

    #[test]
    fn derived_values_are_distinct_and_reveal_no_secret() {
        let secret = SessionSecret::generate();
        let token = secret.token();
        let lookup = secret.lookup_key();
        let csrf = secret.csrf_token();
        let seal = hkdf(SESSION_SALT, secret.0.as_ref(), SESSION_SEAL_LABEL);
        assert_ne!(lookup, *secret.0);
        assert_ne!(lookup, *seal);
        assert_ne!(csrf.as_str(), token.as_str());
        assert_eq!(csrf.len(), SESSION_TOKEN_CHARS);
        let other = SessionSecret::generate();
        assert_ne!(other.lookup_key(), lookup);
        assert_ne!(other.csrf_token().as_str(), csrf.as_str());
    }

    #[test]
    fn a_sealed_identity_opens_only_with_its_secret_and_context() {
        let secret = SessionSecret::generate();
        let identity = X25519Identity::generate();
        let sealed = secret.seal_identity(&identity, b"reporter:1");
        assert_eq!(sealed.len(), 48);
        let raw = identity.secret_bytes();
        assert!(!sealed.windows(32).any(|w| w == raw.as_ref()));
        let opened = secret.open_identity(&sealed, b"reporter:1").expect("opens");
        assert_eq!(
            opened.to_public().to_string(),
            identity.to_public().to_string()
        );
        assert!(secret.open_identity(&sealed, b"reporter:2").is_none());
        assert!(SessionSecret::generate()
            .open_identity(&sealed, b"reporter:1")
            .is_none());
        let mut altered = sealed.clone();
        altered[0] ^= 1;
        assert!(secret.open_identity(&altered, b"reporter:1").is_none());
        assert!(secret.open_identity(&sealed[..47], b"reporter:1").is_none());
    }

    #[test]
    fn sealed_bytes_open_only_with_their_secret_and_context() {
        let secret = SessionSecret::generate();
        let sealed = secret.seal_bytes(b"ABCD-EFGH", b"receipt");
        assert_eq!(sealed.len(), 9 + 16);
        assert!(!sealed.windows(9).any(|w| w == b"ABCD-EFGH"));
        let opened = secret.open_bytes(&sealed, b"receipt").expect("opens");
        assert_eq!(opened.as_slice(), b"ABCD-EFGH");
        assert!(secret.open_bytes(&sealed, b"session").is_none());
        assert!(SessionSecret::generate()
            .open_bytes(&sealed, b"receipt")
            .is_none());
    }
}
