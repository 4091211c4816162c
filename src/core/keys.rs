//! The key model of SPEC §3.3, on `varsel-crypto`:
//!
//! - each case has an X25519 key pair; content is encrypted to its recipient;
//! - the case identity is stored only wrapped (age-encrypted) to each member:
//!   routed staff, the reporter's code-derived key, the recovery recipient;
//! - each staff member's identity is wrapped under their password with an
//!   scrypt stanza, so the wrapped key is itself a standard age file.
//!
//! scrypt is slow on purpose: call the password functions from
//! `tokio::task::spawn_blocking`, never on the async executor.

use std::str::FromStr;

use anyhow::{anyhow, Context, Result};
use varsel_crypto::{
    decrypt, encrypt, DecryptError, ScryptIdentity, ScryptRecipient, X25519Identity,
    X25519Recipient,
};
use zeroize::Zeroizing;

/// Why a password did not unlock a key.
#[derive(Debug, thiserror::Error)]
pub enum UnlockError {
    /// Wrong password (or a key wrapped for someone else).
    #[error("wrong password")]
    WrongPassword,
    /// The stored key is damaged.
    #[error("the stored key is damaged")]
    Damaged,
}

/// A new staff key pair: the recipient and the identity wrapped under `password`.
pub fn new_user_keys(password: &[u8], work_factor: u8) -> Result<(String, Vec<u8>)> {
    let identity = X25519Identity::generate();
    let recipient = identity.to_public().to_string();
    let wrapped = wrap_identity_with_password(&identity, password, work_factor)?;
    Ok((recipient, wrapped))
}

/// Wraps `identity` under `password` (age scrypt stanza).
pub fn wrap_identity_with_password(
    identity: &X25519Identity,
    password: &[u8],
    work_factor: u8,
) -> Result<Vec<u8>> {
    let secret = identity.to_bech32();
    let recipient = ScryptRecipient::new(password).with_work_factor(work_factor);
    encrypt(&[&recipient], secret.as_bytes()).context("cannot wrap the key")
}

/// Unwraps a staff identity with their password.
pub fn unlock_user_identity(
    wrapped: &[u8],
    password: &[u8],
) -> Result<X25519Identity, UnlockError> {
    let identity = ScryptIdentity::new(password);
    let secret = decrypt(&[&identity], wrapped).map_err(|e| match e {
        DecryptError::NoMatch => UnlockError::WrongPassword,
        _ => UnlockError::Damaged,
    })?;
    parse_identity(&secret).map_err(|_| UnlockError::Damaged)
}

fn parse_identity(secret: &[u8]) -> Result<X25519Identity> {
    let text = std::str::from_utf8(secret).map_err(|_| anyhow!("not UTF-8"))?;
    X25519Identity::from_bech32(text.trim()).map_err(|e| anyhow!("{e}"))
}

/// A fresh case key pair.
pub fn new_case_identity() -> X25519Identity {
    X25519Identity::generate()
}

/// Parses a stored `age1…` recipient.
pub fn recipient(s: &str) -> Result<X25519Recipient> {
    X25519Recipient::from_str(s).map_err(|e| anyhow!("invalid stored recipient: {e}"))
}

/// Wraps a case identity to one member's recipient.
pub fn wrap_case_identity(case: &X25519Identity, to: &X25519Recipient) -> Result<Vec<u8>> {
    let secret = case.to_bech32();
    encrypt(&[to], secret.as_bytes()).context("cannot wrap the case key")
}

/// Unwraps a case identity with a member's identity.
pub fn unwrap_case_identity(wrapped: &[u8], member: &X25519Identity) -> Result<X25519Identity> {
    let secret =
        decrypt(&[member], wrapped).map_err(|e| anyhow!("cannot unwrap the case key: {e}"))?;
    parse_identity(&secret)
}

/// Encrypts case content to the case recipient.
pub fn seal(case_recipient: &X25519Recipient, plaintext: &[u8]) -> Result<Vec<u8>> {
    encrypt(&[case_recipient], plaintext).context("cannot encrypt case content")
}

/// Decrypts case content with the case identity.
pub fn open(case_identity: &X25519Identity, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    decrypt(&[case_identity], ciphertext).map_err(|e| anyhow!("cannot decrypt case content: {e}"))
}

/// A password check for unknown usernames, so that login takes the same time
/// whether or not the account exists.
pub struct DummyKey(Vec<u8>);

impl DummyKey {
    /// A wrapped key nobody can open, at the configured work factor.
    pub fn new(work_factor: u8) -> anyhow::Result<Self> {
        let mut password = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut password);
        let (_, wrapped) = new_user_keys(&password, work_factor)?;
        Ok(DummyKey(wrapped))
    }

    /// The wrapped key, to be tried like a real user's.
    pub fn wrapped(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_unlocks_only_its_own_key() {
        let (recipient, wrapped) = new_user_keys(b"correct horse", 10).expect("keys");
        let identity = unlock_user_identity(&wrapped, b"correct horse").expect("unlocks");
        assert_eq!(identity.to_public().to_string(), recipient);
        assert!(matches!(
            unlock_user_identity(&wrapped, b"wrong horse"),
            Err(UnlockError::WrongPassword)
        ));
        assert!(matches!(
            unlock_user_identity(b"garbage", b"x"),
            Err(UnlockError::Damaged)
        ));
    }

    #[test]
    fn case_keys_wrap_to_members_and_open_content() {
        let case = new_case_identity();
        let handler = X25519Identity::generate();
        let stranger = X25519Identity::generate();
        let wrapped = wrap_case_identity(&case, &handler.to_public()).expect("wraps");
        let sealed = seal(&case.to_public(), b"rapport").expect("seals");
        let unwrapped = unwrap_case_identity(&wrapped, &handler).expect("member unwraps");
        assert_eq!(
            open(&unwrapped, &sealed).expect("opens").as_slice(),
            b"rapport"
        );
        assert!(unwrap_case_identity(&wrapped, &stranger).is_err());
    }
}
