//! X25519 recipients and identities (age v1 "X25519" stanzas).
//!
//! Wrapping, per the age v1 spec:
//! `ephemeral share = X25519(e, basepoint)`,
//! `shared = X25519(e, recipient)` (rejected if all zero),
//! `wrap key = HKDF-SHA-256(ikm = shared, salt = share || recipient, info = "age-encryption.org/v1/X25519")`,
//! `body = ChaCha20-Poly1305(wrap key, nonce = 0, file key)`.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::error::{EncryptError, HeaderError, KeyError};
use crate::format::Stanza;
use crate::primitives::{aead_unwrap, aead_wrap, hkdf};
use crate::{bech32, FileKey, Identity, Recipient, UnwrapResult};

/// Domain-separation label of the X25519 wrap key.
const X25519_LABEL: &[u8] = b"age-encryption.org/v1/X25519";
/// Stanza type of X25519 recipients.
pub(crate) const STANZA_TAG: &str = "X25519";
/// Bech32 prefix of recipients.
const RECIPIENT_PREFIX: &str = "age";
/// Bech32 prefix of identities (encoded upper-case).
const IDENTITY_PREFIX: &str = "age-secret-key-";

/// An X25519 identity: the secret half of a key pair. Zeroized on drop, never printed.
#[derive(Clone)]
pub struct X25519Identity(StaticSecret);

impl X25519Identity {
    /// Generates a new identity from the operating system's random number generator.
    pub fn generate() -> Self {
        X25519Identity(StaticSecret::random_from_rng(OsRng))
    }

    /// Builds an identity from 32 secret bytes (clamped as X25519 requires).
    pub fn from_secret_bytes(bytes: [u8; 32]) -> Self {
        let bytes = Zeroizing::new(bytes);
        X25519Identity(StaticSecret::from(*bytes))
    }

    /// The 32 secret bytes, for sealing the identity whole.
    pub(crate) fn secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The recipient (public key) of this identity.
    pub fn to_public(&self) -> X25519Recipient {
        X25519Recipient(PublicKey::from(&self.0))
    }

    /// The standard `AGE-SECRET-KEY-1…` encoding. Handle with care: it is the secret.
    pub fn to_bech32(&self) -> Zeroizing<String> {
        let bytes = Zeroizing::new(self.0.to_bytes());
        let lower = bech32::encode(IDENTITY_PREFIX, bytes.as_ref());
        Zeroizing::new(lower.to_ascii_uppercase())
    }

    /// Parses the standard `AGE-SECRET-KEY-1…` encoding.
    pub fn from_bech32(s: &str) -> Result<Self, KeyError> {
        let (hrp, data) = bech32::decode(s).ok_or(KeyError::Encoding)?;
        if hrp != IDENTITY_PREFIX {
            return Err(KeyError::WrongType);
        }
        if !s.starts_with("AGE-") {
            // The identity encoding is upper case by definition.
            return Err(KeyError::Encoding);
        }
        let bytes: [u8; 32] = data.as_slice().try_into().map_err(|_| KeyError::Length)?;
        Ok(Self::from_secret_bytes(bytes))
    }
}

impl Identity for X25519Identity {
    fn unwrap_stanza(&self, stanza: &Stanza) -> UnwrapResult {
        if stanza.tag != STANZA_TAG {
            return UnwrapResult::NotMine;
        }
        let invalid = || UnwrapResult::Invalid(HeaderError::InvalidStanza(STANZA_TAG));
        let [share_b64] = stanza.args.as_slice() else {
            return invalid();
        };
        let Ok(share) = STANDARD_NO_PAD.decode(share_b64) else {
            return invalid();
        };
        let Ok(share): Result<[u8; 32], _> = share.try_into() else {
            return invalid();
        };
        if stanza.body.len() != 32 {
            return invalid();
        }
        let share_key = PublicKey::from(share);
        let shared = self.0.diffie_hellman(&share_key);
        if !shared.was_contributory() {
            return invalid();
        }
        let recipient = PublicKey::from(&self.0);
        let mut salt = [0u8; 64];
        salt[..32].copy_from_slice(&share);
        salt[32..].copy_from_slice(recipient.as_bytes());
        let wrap_key = hkdf(&salt, shared.as_bytes(), X25519_LABEL);
        match aead_unwrap(&wrap_key, &stanza.body) {
            Some(plain) => match FileKey::from_slice(&plain) {
                Some(key) => UnwrapResult::Key(key),
                None => invalid(),
            },
            None => UnwrapResult::NotMine,
        }
    }
}

/// An X25519 recipient: the public half of a key pair, encoded `age1…`.
#[derive(Clone, PartialEq, Eq)]
pub struct X25519Recipient(PublicKey);

impl X25519Recipient {
    /// The 32 public-key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// Builds a recipient from 32 public-key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        X25519Recipient(PublicKey::from(bytes))
    }
}

impl Recipient for X25519Recipient {
    fn wrap_file_key(&self, file_key: &FileKey) -> Result<Vec<Stanza>, EncryptError> {
        let ephemeral = StaticSecret::random_from_rng(OsRng);
        let share = PublicKey::from(&ephemeral);
        let shared = ephemeral.diffie_hellman(&self.0);
        let mut salt = [0u8; 64];
        salt[..32].copy_from_slice(share.as_bytes());
        salt[32..].copy_from_slice(self.0.as_bytes());
        let wrap_key = hkdf(&salt, shared.as_bytes(), X25519_LABEL);
        let body = aead_wrap(&wrap_key, file_key.as_bytes());
        Ok(vec![Stanza {
            tag: STANZA_TAG.to_owned(),
            args: vec![STANDARD_NO_PAD.encode(share.as_bytes())],
            body,
        }])
    }
}

impl fmt::Display for X25519Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bech32::encode(RECIPIENT_PREFIX, self.0.as_bytes()))
    }
}

impl fmt::Debug for X25519Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "X25519Recipient({self})")
    }
}

impl FromStr for X25519Recipient {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(KeyError::Encoding);
        }
        let (hrp, data) = bech32::decode(s).ok_or(KeyError::Encoding)?;
        if hrp != RECIPIENT_PREFIX {
            return Err(KeyError::WrongType);
        }
        let bytes: [u8; 32] = data.as_slice().try_into().map_err(|_| KeyError::Length)?;
        Ok(X25519Recipient(PublicKey::from(bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_round_trips_through_bech32() {
        let id = X25519Identity::generate();
        let encoded = id.to_bech32();
        assert!(encoded.starts_with("AGE-SECRET-KEY-1"));
        let back = X25519Identity::from_bech32(&encoded).expect("parses");
        assert_eq!(back.to_public(), id.to_public());
    }

    #[test]
    fn recipient_round_trips_and_rejects_upper_case() {
        let r = X25519Identity::generate().to_public();
        let s = r.to_string();
        assert!(s.starts_with("age1"));
        assert_eq!(s.parse::<X25519Recipient>().expect("parses"), r);
        assert_eq!(
            s.to_ascii_uppercase().parse::<X25519Recipient>(),
            Err(KeyError::Encoding)
        );
    }

    #[test]
    fn encodings_match_the_age_crate() {
        let ours = X25519Identity::generate();
        let theirs: age::x25519::Identity = ours.to_bech32().parse().expect("age parses ours");
        assert_eq!(theirs.to_public().to_string(), ours.to_public().to_string());
    }

    #[test]
    fn a_hybrid_identity_is_another_type() {
        let err = X25519Identity::from_bech32(
            "AGE-SECRET-KEY-PQ-1HZLGZUPT4ETPKDEV8HSGFDCYZ4E522W0A7PU2LHT8EH9W6YLNC3SW78XKG",
        );
        assert!(matches!(err, Err(KeyError::WrongType)));
    }
}
