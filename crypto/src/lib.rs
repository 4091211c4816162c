//! `varsel-crypto`: the [age v1](https://age-encryption.org/v1) file format,
//! keys, and the case codes of Varsel.
//!
//! Every piece of case content Varsel stores is an age v1 file: X25519,
//! post-quantum hybrid (`mlkem768x25519`, ML-KEM-768 + X25519 through HPKE, as
//! age v1.3 defines it) or scrypt passphrase recipient stanzas, an HMAC-SHA-256
//! header MAC, and a ChaCha20-Poly1305 STREAM payload in 64 KiB chunks,
//! optionally ASCII-armored. Files written here decrypt with the standard `age`
//! and `rage` tools and the TypeScript `age-encryption` package, and the other
//! way round. A file encrypted to hybrid recipients may not also be encrypted to
//! X25519 ones ([`EncryptError::MixedPostQuantum`]): that would throw the
//! post-quantum protection away. [`AnyRecipient`] and [`AnyIdentity`] hold
//! either kind of key, parsed from its standard string.
//!
//! The crate does no I/O beyond `Read`/`Write`, has no async and no server
//! types. Secrets have no `Debug`, are zeroized on drop, and no input makes it panic.
//!
//! # Encrypting to keys
//!
//! ```
//! use varsel_crypto::{decrypt, encrypt, Identity, Recipient, X25519Identity};
//!
//! let handler = X25519Identity::generate();
//! let reporter = X25519Identity::generate();
//! let file = encrypt(&[&handler.to_public(), &reporter.to_public()], b"report").unwrap();
//! let plain = decrypt(&[&reporter], &file).unwrap();
//! assert_eq!(plain.as_slice(), b"report");
//! ```
//!
//! # Post-quantum hybrid keys
//!
//! ```
//! use varsel_crypto::{decrypt, encrypt, AnyIdentity, AnyRecipient, HybridIdentity};
//!
//! let handler = HybridIdentity::generate();
//! let stored: String = handler.to_public().to_string(); // "age1pq1…"
//! let recipient: AnyRecipient = stored.parse().unwrap();
//! assert!(recipient.is_hybrid());
//! let file = encrypt(&[&recipient], b"report").unwrap();
//!
//! let secret = handler.to_bech32(); // "AGE-SECRET-KEY-PQ-1…"
//! let identity = AnyIdentity::from_bech32(&secret).unwrap();
//! assert_eq!(decrypt(&[&identity], &file).unwrap().as_slice(), b"report");
//! ```
//!
//! # Encrypting to a passphrase, armored
//!
//! ```
//! use varsel_crypto::{decrypt, encrypt_armored, ScryptIdentity, ScryptRecipient};
//!
//! let recipient = ScryptRecipient::new(b"correct horse").with_work_factor(10);
//! let armored = encrypt_armored(&[&recipient], b"wrapped key").unwrap();
//! assert!(armored.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
//! let plain = decrypt(&[&ScryptIdentity::new(b"correct horse")], armored.as_bytes()).unwrap();
//! assert_eq!(plain.as_slice(), b"wrapped key");
//! ```
//!
//! # Streaming in constant memory
//!
//! ```
//! use std::io::{Read, Write};
//! use varsel_crypto::{Decryptor, Encryptor, Recipient, X25519Identity};
//!
//! let id = X25519Identity::generate();
//! let recipient = id.to_public();
//! let mut writer = Encryptor::with_recipients([&recipient as &dyn Recipient])
//!     .unwrap()
//!     .wrap_output(Vec::new())
//!     .unwrap();
//! for _ in 0..3 {
//!     writer.write_all(&[7u8; 50_000]).unwrap();
//! }
//! let file = writer.finish().unwrap();
//!
//! let mut reader = Decryptor::new(file.as_slice()).unwrap().decrypt([&id as _]).unwrap();
//! let mut plain = Vec::new();
//! reader.read_to_end(&mut plain).unwrap();
//! assert_eq!(plain.len(), 150_000);
//! ```
//!
//! # Case codes
//!
//! ```
//! use varsel_crypto::{decrypt, encrypt, CaseCode, CaseCodeError};
//!
//! let code = CaseCode::generate();
//! let shown = code.expose_grouped(); // e.g. "7K3M-Q9DX-…", shown once
//! let typed = CaseCode::parse(&shown.to_lowercase().replace('-', " ")).unwrap();
//! assert_eq!(typed.lookup_tag(), code.lookup_tag());
//!
//! let file = encrypt(&[&code.reporter_identity().to_public()], b"answer").unwrap();
//! assert_eq!(decrypt(&[&typed.reporter_identity()], &file).unwrap().as_slice(), b"answer");
//!
//! let mut typo = shown.to_string();
//! let last = typo.pop().unwrap();
//! typo.push(if last == '0' { '1' } else { '0' });
//! assert_eq!(CaseCode::parse(&typo).err(), Some(CaseCodeError::Typo));
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod armor;
mod bech32;
mod case_code;
mod envelope;
mod error;
mod format;
mod hybrid;
mod inspect;
mod keys;
mod primitives;
mod scrypt;
mod session;
mod stream;
mod x25519;

use rand::rngs::OsRng;
use rand::RngCore;
use zeroize::Zeroizing;

pub use crate::armor::{ArmoredReader, ArmoredWriter};
pub use crate::case_code::{
    CaseCode, CaseCodeError, LookupTag, ALPHABET as CASE_CODE_ALPHABET, CODE_SYMBOLS, DATA_SYMBOLS,
    DERIVATION_SALT, DERIVATION_SALT_V2, ENTROPY_BITS, GROUP_SIZE, LOOKUP_TAG_LABEL,
    REPORTER_HYBRID_IDENTITY_LABEL, REPORTER_IDENTITY_LABEL,
};
pub use crate::envelope::{
    decrypt, encrypt, encrypt_armored, encrypt_mixed, scrypt_work_factor, Decryptor, Encryptor,
    Input,
};
pub use crate::error::{ArmorError, DecryptError, EncryptError, HeaderError, KeyError};
pub use crate::format::Stanza;
pub use crate::hybrid::{HybridIdentity, HybridRecipient};
pub use crate::inspect::{
    file_plaintext_len, inspect_header, plaintext_len, Inspected, StanzaKind,
};
pub use crate::keys::{AnyIdentity, AnyRecipient};
pub use crate::scrypt::{ScryptIdentity, ScryptRecipient, DEFAULT_WORK_FACTOR, MAX_WORK_FACTOR};
pub use crate::session::{
    SessionLookupKey, SessionSecret, SESSION_CSRF_LABEL, SESSION_LOOKUP_LABEL, SESSION_SALT,
    SESSION_SEAL_LABEL, SESSION_TOKEN_CHARS,
};
pub use crate::stream::{StreamReader, StreamWriter};
pub use crate::x25519::{X25519Identity, X25519Recipient};

/// The 16-byte key of one file. Zeroized on drop, never printed.
pub struct FileKey(Zeroizing<[u8; 16]>);

impl FileKey {
    fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 16]);
        OsRng.fill_bytes(key.as_mut());
        FileKey(key)
    }

    #[cfg(test)]
    fn from_bytes(bytes: [u8; 16]) -> Self {
        FileKey(Zeroizing::new(bytes))
    }

    fn from_slice(bytes: &[u8]) -> Option<Self> {
        let array: [u8; 16] = bytes.try_into().ok()?;
        Some(FileKey(Zeroizing::new(array)))
    }

    /// The key bytes, for a recipient to wrap.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

/// What an identity made of one stanza.
pub enum UnwrapResult {
    /// The stanza is not for this identity (another type, or another key).
    NotMine,
    /// The stanza is of this identity's type but malformed: the file is invalid.
    Invalid(HeaderError),
    /// The file key.
    Key(FileKey),
}

/// Something a file key can be wrapped to.
pub trait Recipient {
    /// Wraps `file_key` into one or more stanzas.
    fn wrap_file_key(&self, file_key: &FileKey) -> Result<Vec<Stanza>, EncryptError>;

    /// True for passphrase recipients, which must be a file's only recipient.
    fn is_passphrase(&self) -> bool {
        false
    }

    /// True for post-quantum recipients, which must not share a file with
    /// recipients that are not.
    fn is_post_quantum(&self) -> bool {
        false
    }
}

/// Something that can unwrap a file key from a stanza.
pub trait Identity {
    /// Tries to unwrap the file key from `stanza`.
    fn unwrap_stanza(&self, stanza: &Stanza) -> UnwrapResult;
}
