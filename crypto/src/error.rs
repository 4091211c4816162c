//! Typed errors. Every authentication failure of the payload is the single
//! opaque [`DecryptError::Payload`]: it says nothing an attacker could probe.

use std::io;

/// Why a header could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The input does not start with an age header.
    #[error("the input is not an age file")]
    NotAge,
    /// The file is for an age version this crate does not know.
    #[error("unsupported age format version")]
    UnsupportedVersion,
    /// The header ends before its MAC line.
    #[error("the age header is truncated")]
    Truncated,
    /// A header line does not follow the age grammar.
    #[error("the age header is malformed")]
    Malformed,
    /// The header is larger than this implementation accepts.
    #[error("the age header is too large")]
    TooLarge,
    /// The MAC line is malformed.
    #[error("the age header MAC line is malformed")]
    Mac,
    /// A recognised stanza is malformed (bad argument, share or body).
    #[error("a {0} recipient stanza is malformed")]
    InvalidStanza(&'static str),
    /// A passphrase stanza shares the header with other stanzas.
    #[error("a passphrase-encrypted file must have exactly one recipient stanza")]
    ScryptNotAlone,
    /// A passphrase stanza asks for more work than allowed.
    #[error("the passphrase work factor {found} exceeds the maximum {max}")]
    WorkFactorTooHigh {
        /// The file's scrypt log2(N).
        found: u8,
        /// The largest log2(N) accepted.
        max: u8,
    },
    /// The header is followed by fewer than 16 bytes of payload nonce.
    #[error("the payload nonce is missing")]
    MissingNonce,
}

/// Why a file could not be decrypted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecryptError {
    /// The header could not be parsed.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// No identity could unwrap the file key.
    #[error("no identity matched any of the file's recipients")]
    NoMatch,
    /// The header MAC does not verify: the header was altered.
    #[error("the age header failed authentication")]
    HeaderMac,
    /// The payload does not authenticate (altered, truncated or extended).
    #[error("the encrypted payload failed authentication")]
    Payload,
    /// The ASCII armor is malformed.
    #[error(transparent)]
    Armor(#[from] ArmorError),
    /// Reading the input failed.
    #[error("read failed: {0}")]
    Io(io::Error),
}

impl DecryptError {
    /// Recovers a `DecryptError` carried inside an `io::Error` by the streaming reader.
    pub fn from_io(err: io::Error) -> Self {
        if err
            .get_ref()
            .is_some_and(|inner| inner.is::<DecryptError>())
        {
            match err
                .into_inner()
                .map(|inner| inner.downcast::<DecryptError>())
            {
                Some(Ok(inner)) => *inner,
                Some(Err(other)) => DecryptError::Io(io::Error::other(other)),
                None => DecryptError::Io(io::Error::other("unknown read error")),
            }
        } else {
            DecryptError::Io(err)
        }
    }

    pub(crate) fn into_io(self) -> io::Error {
        match self {
            DecryptError::Io(e) => e,
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}

/// Why ASCII armor could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArmorError {
    /// The begin line is missing or wrong.
    #[error("the armor begin line is missing or malformed")]
    BadBegin,
    /// The end line is missing or wrong.
    #[error("the armor end line is missing or malformed")]
    BadEnd,
    /// A line is longer than 64 columns.
    #[error("an armor line is longer than 64 columns")]
    LongLine,
    /// A short line is followed by more data.
    #[error("a short armor line is not the last line")]
    ShortLine,
    /// A line is not canonical padded base64.
    #[error("an armor line is not valid base64")]
    InvalidBase64,
    /// Data that is not whitespace follows the end line.
    #[error("unexpected data after the armor end line")]
    TrailingData,
}

/// Why a file could not be encrypted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncryptError {
    /// No recipient was given.
    #[error("at least one recipient is required")]
    NoRecipients,
    /// A passphrase recipient was mixed with other recipients.
    #[error("a passphrase cannot be combined with other recipients")]
    MixedPassphrase,
    /// Deriving a passphrase key failed.
    #[error("the passphrase key could not be derived")]
    KeyDerivation,
    /// A post-quantum recipient was mixed with recipients that are not
    /// post-quantum, which would defeat its protection (age spec: the same file
    /// should not be encrypted to both kinds).
    #[error("post-quantum recipients cannot be combined with other recipient types")]
    MixedPostQuantum,
    /// A recipient's public key cannot be used (for example a low-order X25519 point).
    #[error("a recipient public key is invalid")]
    InvalidRecipient,
    /// Writing the output failed.
    #[error("write failed: {0}")]
    Io(#[from] io::Error),
}

/// Why a key string could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The string is not valid Bech32.
    #[error("not a valid Bech32 key encoding")]
    Encoding,
    /// The human-readable prefix is not the expected one.
    #[error("unexpected key type")]
    WrongType,
    /// The key has the wrong length.
    #[error("the key has the wrong length")]
    Length,
    /// The key has the right length but is not a valid key of its type
    /// (an ML-KEM-768 encapsulation key failing the FIPS 203 input check).
    #[error("the key is not a valid key of its type")]
    Invalid,
}
