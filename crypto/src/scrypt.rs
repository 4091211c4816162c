//! Passphrase recipients and identities (age v1 "scrypt" stanzas).
//!
//! `wrap key = scrypt(passphrase, salt = "age-encryption.org/v1/scrypt" || 16 random bytes,
//! N = 2^log_n, r = 8, p = 1, dkLen = 32)` (RFC 7914);
//! `body = ChaCha20-Poly1305(wrap key, nonce = 0, file key)`.
//! A scrypt stanza must be the only stanza of its file.

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use zeroize::Zeroizing;

use crate::error::{EncryptError, HeaderError};
use crate::format::Stanza;
use crate::primitives::{aead_unwrap, aead_wrap};
use crate::{FileKey, Identity, Recipient, UnwrapResult};

/// Domain-separation label prefixed to the scrypt salt.
const SCRYPT_SALT_LABEL: &[u8] = b"age-encryption.org/v1/scrypt";
/// Stanza type of passphrase recipients.
pub(crate) const STANZA_TAG: &str = "scrypt";
/// The work factor used when encrypting, as age uses (about a second on a laptop).
pub const DEFAULT_WORK_FACTOR: u8 = 18;
/// The largest work factor accepted when decrypting, as age accepts.
pub const MAX_WORK_FACTOR: u8 = 22;

fn derive_wrap_key(passphrase: &[u8], salt: &[u8; 16], log_n: u8) -> Option<Zeroizing<[u8; 32]>> {
    let mut full_salt = Vec::with_capacity(SCRYPT_SALT_LABEL.len() + 16);
    full_salt.extend_from_slice(SCRYPT_SALT_LABEL);
    full_salt.extend_from_slice(salt);
    let params = scrypt::Params::new(log_n, 8, 1, 32).ok()?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(passphrase, &full_salt, &params, key.as_mut()).ok()?;
    Some(key)
}

/// Encrypts to a passphrase. The passphrase is zeroized on drop.
pub struct ScryptRecipient {
    passphrase: Zeroizing<Vec<u8>>,
    log_n: u8,
}

impl ScryptRecipient {
    /// A recipient for `passphrase` with the default work factor.
    pub fn new(passphrase: &[u8]) -> Self {
        ScryptRecipient {
            passphrase: Zeroizing::new(passphrase.to_vec()),
            log_n: DEFAULT_WORK_FACTOR,
        }
    }

    /// Sets log2 of the scrypt cost N (clamped to 1..=[`MAX_WORK_FACTOR`] so that
    /// every file written here can be read back here).
    pub fn with_work_factor(mut self, log_n: u8) -> Self {
        self.log_n = log_n.clamp(1, MAX_WORK_FACTOR);
        self
    }
}

impl Recipient for ScryptRecipient {
    fn wrap_file_key(&self, file_key: &FileKey) -> Result<Vec<Stanza>, EncryptError> {
        let mut salt = [0u8; 16];
        OsRng.fill_bytes(&mut salt);
        let key = derive_wrap_key(&self.passphrase, &salt, self.log_n)
            .ok_or(EncryptError::KeyDerivation)?;
        Ok(vec![Stanza {
            tag: STANZA_TAG.to_owned(),
            args: vec![STANDARD_NO_PAD.encode(salt), self.log_n.to_string()],
            body: aead_wrap(&key, file_key.as_bytes()),
        }])
    }

    fn is_passphrase(&self) -> bool {
        true
    }
}

/// Decrypts files encrypted to a passphrase. The passphrase is zeroized on drop.
pub struct ScryptIdentity {
    passphrase: Zeroizing<Vec<u8>>,
    max_log_n: u8,
}

impl ScryptIdentity {
    /// An identity for `passphrase`, accepting work factors up to [`MAX_WORK_FACTOR`].
    pub fn new(passphrase: &[u8]) -> Self {
        ScryptIdentity {
            passphrase: Zeroizing::new(passphrase.to_vec()),
            max_log_n: MAX_WORK_FACTOR,
        }
    }

    /// Lowers the largest work factor accepted, to bound the time one file can cost.
    pub fn with_max_work_factor(mut self, max_log_n: u8) -> Self {
        self.max_log_n = max_log_n.min(MAX_WORK_FACTOR);
        self
    }
}

/// Parses a work factor: a decimal without sign or leading zeros.
fn parse_work_factor(arg: &str) -> Option<u8> {
    let bytes = arg.as_bytes();
    if bytes.is_empty() || bytes.len() > 2 || bytes[0] == b'0' {
        return None;
    }
    if !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    arg.parse().ok()
}

/// The work factor a scrypt stanza names, if it is well formed.
pub(crate) fn stanza_work_factor(stanza: &Stanza) -> Option<u8> {
    match stanza.args.as_slice() {
        [_, log_n] if stanza.tag == STANZA_TAG => parse_work_factor(log_n),
        _ => None,
    }
}

impl Identity for ScryptIdentity {
    fn unwrap_stanza(&self, stanza: &Stanza) -> UnwrapResult {
        if stanza.tag != STANZA_TAG {
            return UnwrapResult::NotMine;
        }
        let invalid = || UnwrapResult::Invalid(HeaderError::InvalidStanza(STANZA_TAG));
        let [salt_b64, log_n] = stanza.args.as_slice() else {
            return invalid();
        };
        let Ok(salt) = STANDARD_NO_PAD.decode(salt_b64) else {
            return invalid();
        };
        let Ok(salt): Result<[u8; 16], _> = salt.try_into() else {
            return invalid();
        };
        let Some(log_n) = parse_work_factor(log_n) else {
            return invalid();
        };
        if stanza.body.len() != 32 {
            return invalid();
        }
        if log_n > self.max_log_n {
            return UnwrapResult::Invalid(HeaderError::WorkFactorTooHigh {
                found: log_n,
                max: self.max_log_n,
            });
        }
        let Some(key) = derive_wrap_key(&self.passphrase, &salt, log_n) else {
            return invalid();
        };
        match aead_unwrap(&key, &stanza.body) {
            Some(plain) => match FileKey::from_slice(&plain) {
                Some(k) => UnwrapResult::Key(k),
                None => invalid(),
            },
            None => UnwrapResult::NotMine,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_factor_grammar() {
        assert_eq!(parse_work_factor("18"), Some(18));
        assert_eq!(parse_work_factor("1"), Some(1));
        for bad in ["", "0", "018", "+18", "-1", "0x12", "18a", " 18", "999"] {
            assert_eq!(parse_work_factor(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_work_factor_of_a_file_is_read_from_its_header() {
        for log_n in [4, 10] {
            let recipient = ScryptRecipient::new(b"hunter2").with_work_factor(log_n);
            let file = crate::encrypt(&[&recipient], b"key").expect("encrypts");
            assert_eq!(
                crate::scrypt_work_factor(&file).expect("parses"),
                Some(log_n)
            );
            let armored = crate::encrypt_armored(&[&recipient], b"key").expect("encrypts");
            assert_eq!(
                crate::scrypt_work_factor(armored.as_bytes()).expect("parses"),
                Some(log_n)
            );
        }
        let x25519 = crate::X25519Identity::generate().to_public();
        let file = crate::encrypt(&[&x25519], b"key").expect("encrypts");
        assert_eq!(crate::scrypt_work_factor(&file).expect("parses"), None);
        assert!(crate::scrypt_work_factor(b"not age").is_err());
    }

    #[test]
    fn wrap_and_unwrap_with_low_work_factor() {
        let key = FileKey::generate();
        let stanzas = ScryptRecipient::new(b"hunter2")
            .with_work_factor(4)
            .wrap_file_key(&key)
            .expect("wraps");
        assert_eq!(stanzas.len(), 1);
        match ScryptIdentity::new(b"hunter2").unwrap_stanza(&stanzas[0]) {
            UnwrapResult::Key(k) => assert_eq!(k.as_bytes(), key.as_bytes()),
            _ => panic!("did not unwrap"),
        }
        assert!(matches!(
            ScryptIdentity::new(b"hunter3").unwrap_stanza(&stanzas[0]),
            UnwrapResult::NotMine
        ));
    }
}
