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

/// The scrypt work factor (log2 of N) a stored wrapped identity was wrapped
/// at; `None` if it is damaged.
pub fn wrapped_work_factor(wrapped: &[u8]) -> Option<u8> {
    varsel_crypto::scrypt_work_factor(wrapped).ok().flatten()
}

/// scrypt work, in units of one block mix over N = 2 (so one derivation at
/// work factor `f` costs `2^f` units, and memory in proportion).
pub fn scrypt_work(work_factor: u8) -> u64 {
    1u64.checked_shl(u32::from(work_factor)).unwrap_or(u64::MAX)
}

/// A password check whose scrypt work does not depend on the stored key:
/// the identity (or why not), and the work units spent.
pub struct EqualWorkUnlock {
    /// The unlocked identity, or why not.
    pub result: Result<X25519Identity, UnlockError>,
    /// scrypt work spent, in [`scrypt_work`] units.
    pub work: u64,
}

/// Unwraps `wrapped` with `password`, then pads the scrypt work to exactly
/// `scrypt_work(work_factor)` whatever the stored key's own factor `s`: a key
/// wrapped at `s < work_factor` costs `2^s`, and the padding derives once at
/// each of `s, s+1, …, work_factor-1` (`2^s + Σ 2^k = 2^work_factor`); a
/// damaged key costs nothing, and the padding is one derivation at
/// `work_factor`. Success or failure is decided before the padding and does
/// not change it, so an unknown user (the dummy key, wrapped at
/// `work_factor`), a wrong password and a key wrapped at a stale factor all
/// spend the same. A key wrapped at a higher factor than `work_factor`
/// spends its own (it is re-wrapped at the next login).
pub fn unlock_with_equal_work(wrapped: &[u8], password: &[u8], work_factor: u8) -> EqualWorkUnlock {
    let stored = wrapped_work_factor(wrapped).filter(|f| *f <= varsel_crypto::MAX_WORK_FACTOR);
    let (result, mut work, padding) = match stored {
        Some(f) => (
            unlock_user_identity(wrapped, password),
            scrypt_work(f),
            (f..work_factor).collect::<Vec<u8>>(),
        ),
        // No derivation ran: pad with one at the factor in force.
        None => (Err(UnlockError::Damaged), 0, vec![work_factor]),
    };
    for f in padding {
        work = work.saturating_add(spend_scrypt(password, f));
    }
    EqualWorkUnlock { result, work }
}

/// One scrypt derivation at `work_factor` whose result is thrown away (the
/// same parameters as a stanza's: r = 8, p = 1, 32 bytes); the work spent.
fn spend_scrypt(password: &[u8], work_factor: u8) -> u64 {
    let mut salt = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut salt);
    let Ok(params) = scrypt::Params::new(work_factor, 8, 1, 32) else {
        return 0;
    };
    let mut out = Zeroizing::new([0u8; 32]);
    match scrypt::scrypt(password, &salt, &params, out.as_mut()) {
        Ok(()) => scrypt_work(work_factor),
        Err(_) => 0,
    }
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
    fn every_failed_or_stale_check_spends_the_work_in_force() {
        let in_force = 10;
        let (_, current) = new_user_keys(b"correct horse", in_force).expect("keys");
        let (recipient, stale) = new_user_keys(b"correct horse", 7).expect("keys");
        assert_eq!(wrapped_work_factor(&current), Some(in_force));
        assert_eq!(wrapped_work_factor(&stale), Some(7));
        let dummy = DummyKey::new(in_force).expect("dummy");
        let cases: [(&[u8], &[u8], bool); 5] = [
            (dummy.wrapped(), b"anything", false),
            (&current, b"wrong horse", false),
            (&stale, b"wrong horse", false),
            (&stale, b"correct horse", true),
            (b"damaged", b"correct horse", false),
        ];
        for (wrapped, password, opens) in cases {
            let checked = unlock_with_equal_work(wrapped, password, in_force);
            assert_eq!(checked.work, scrypt_work(in_force));
            assert_eq!(checked.result.is_ok(), opens);
        }
        let opened = unlock_with_equal_work(&stale, b"correct horse", in_force)
            .result
            .expect("opens");
        assert_eq!(opened.to_public().to_string(), recipient);
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
