//! Keys of either native type, for storing and reading them as strings.

use std::fmt;
use std::str::FromStr;

use zeroize::Zeroizing;

use crate::error::{EncryptError, KeyError};
use crate::format::Stanza;
use crate::{
    FileKey, HybridIdentity, HybridRecipient, Identity, Recipient, UnwrapResult, X25519Identity,
    X25519Recipient,
};

/// An X25519 (`age1…`) or post-quantum hybrid (`age1pq1…`) recipient.
#[derive(Clone, PartialEq, Eq)]
pub enum AnyRecipient {
    /// An X25519 recipient.
    X25519(X25519Recipient),
    /// A post-quantum hybrid recipient.
    Hybrid(HybridRecipient),
}

impl AnyRecipient {
    /// True for a post-quantum hybrid recipient.
    pub fn is_hybrid(&self) -> bool {
        matches!(self, AnyRecipient::Hybrid(_))
    }
}

impl From<X25519Recipient> for AnyRecipient {
    fn from(r: X25519Recipient) -> Self {
        AnyRecipient::X25519(r)
    }
}

impl From<HybridRecipient> for AnyRecipient {
    fn from(r: HybridRecipient) -> Self {
        AnyRecipient::Hybrid(r)
    }
}

impl FromStr for AnyRecipient {
    type Err = KeyError;

    /// Parses `age1pq1…` as a hybrid recipient and any other string as X25519.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("age1pq1") {
            s.parse().map(AnyRecipient::Hybrid)
        } else {
            s.parse().map(AnyRecipient::X25519)
        }
    }
}

impl fmt::Display for AnyRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnyRecipient::X25519(r) => r.fmt(f),
            AnyRecipient::Hybrid(r) => r.fmt(f),
        }
    }
}

impl fmt::Debug for AnyRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnyRecipient::X25519(r) => r.fmt(f),
            AnyRecipient::Hybrid(r) => r.fmt(f),
        }
    }
}

impl Recipient for AnyRecipient {
    fn wrap_file_key(&self, file_key: &FileKey) -> Result<Vec<Stanza>, EncryptError> {
        match self {
            AnyRecipient::X25519(r) => r.wrap_file_key(file_key),
            AnyRecipient::Hybrid(r) => r.wrap_file_key(file_key),
        }
    }

    fn is_post_quantum(&self) -> bool {
        self.is_hybrid()
    }
}

/// An X25519 (`AGE-SECRET-KEY-1…`) or post-quantum hybrid
/// (`AGE-SECRET-KEY-PQ-1…`) identity. No `Debug`; zeroized on drop.
#[derive(Clone)]
pub enum AnyIdentity {
    /// An X25519 identity.
    X25519(X25519Identity),
    /// A post-quantum hybrid identity.
    Hybrid(HybridIdentity),
}

impl AnyIdentity {
    /// Parses either standard secret-key encoding.
    pub fn from_bech32(s: &str) -> Result<Self, KeyError> {
        if s.starts_with("AGE-SECRET-KEY-PQ-1") {
            HybridIdentity::from_bech32(s).map(AnyIdentity::Hybrid)
        } else {
            X25519Identity::from_bech32(s).map(AnyIdentity::X25519)
        }
    }

    /// The standard encoding. Handle with care: it is the secret.
    pub fn to_bech32(&self) -> Zeroizing<String> {
        match self {
            AnyIdentity::X25519(i) => i.to_bech32(),
            AnyIdentity::Hybrid(i) => i.to_bech32(),
        }
    }

    /// The recipient (public key) of this identity.
    pub fn to_public(&self) -> AnyRecipient {
        match self {
            AnyIdentity::X25519(i) => AnyRecipient::X25519(i.to_public()),
            AnyIdentity::Hybrid(i) => AnyRecipient::Hybrid(i.to_public()),
        }
    }

    /// True for a post-quantum hybrid identity.
    pub fn is_hybrid(&self) -> bool {
        matches!(self, AnyIdentity::Hybrid(_))
    }
}

impl From<X25519Identity> for AnyIdentity {
    fn from(i: X25519Identity) -> Self {
        AnyIdentity::X25519(i)
    }
}

impl From<HybridIdentity> for AnyIdentity {
    fn from(i: HybridIdentity) -> Self {
        AnyIdentity::Hybrid(i)
    }
}

impl Identity for AnyIdentity {
    fn unwrap_stanza(&self, stanza: &Stanza) -> UnwrapResult {
        match self {
            AnyIdentity::X25519(i) => i.unwrap_stanza(stanza),
            AnyIdentity::Hybrid(i) => i.unwrap_stanza(stanza),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decrypt, encrypt};

    #[test]
    fn both_kinds_round_trip_through_strings() {
        for identity in [
            AnyIdentity::from(X25519Identity::generate()),
            AnyIdentity::from(HybridIdentity::generate()),
        ] {
            let secret = identity.to_bech32();
            let back = AnyIdentity::from_bech32(&secret).expect("parses");
            assert_eq!(back.is_hybrid(), identity.is_hybrid());
            let recipient = identity.to_public();
            assert_eq!(recipient.is_hybrid(), identity.is_hybrid());
            let parsed: AnyRecipient = recipient.to_string().parse().expect("parses");
            assert_eq!(parsed, back.to_public());
            assert!(format!("{parsed:?}").contains(&parsed.to_string()));
            let file = encrypt(&[&parsed], b"case").expect("encrypts");
            assert_eq!(
                decrypt(&[&back], &file).expect("decrypts").as_slice(),
                b"case"
            );
        }
    }

    #[test]
    fn junk_is_rejected() {
        assert!("age1pq1qqqq".parse::<AnyRecipient>().is_err());
        assert!("nope".parse::<AnyRecipient>().is_err());
        assert!(AnyIdentity::from_bech32("AGE-SECRET-KEY-PQ-1QQQQ").is_err());
        assert!(AnyIdentity::from_bech32("").is_err());
    }

    #[test]
    fn mixing_kinds_is_refused() {
        let classic = AnyIdentity::from(X25519Identity::generate()).to_public();
        let hybrid = AnyIdentity::from(HybridIdentity::generate()).to_public();
        assert!(matches!(
            encrypt(&[&classic, &hybrid], b"x"),
            Err(EncryptError::MixedPostQuantum)
        ));
    }

    #[test]
    fn a_migration_may_mix_kinds_and_each_key_opens_the_file() {
        let classic = AnyIdentity::from(X25519Identity::generate());
        let hybrid = AnyIdentity::from(HybridIdentity::generate());
        let copy = hybrid.clone();
        let file = crate::encrypt_mixed(&[&classic.to_public(), &hybrid.to_public()], b"both")
            .expect("encrypts");
        for identity in [&classic, &copy] {
            assert_eq!(
                decrypt(&[identity], &file).expect("decrypts").as_slice(),
                b"both"
            );
        }
    }
}
