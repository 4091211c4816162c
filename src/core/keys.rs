//! The key model of SPEC §3.3, on `varsel-crypto`:
//!
//! - each case has a key pair; content is encrypted to its recipient;
//! - the case identity is stored only wrapped (age-encrypted) to each member:
//!   routed staff, the reporter's code-derived key, the recovery recipient;
//! - each staff member's identity is wrapped under their password with an
//!   scrypt stanza, so the wrapped key is itself a standard age file.
//!
//! New keys are post-quantum hybrids (age's `mlkem768x25519`: ML-KEM-768 and
//! X25519 together) unless `security.hybrid_keys` is off; keys made before
//! are X25519 alone and keep working ([`AnyIdentity`], [`AnyRecipient`]).
//! A staff member's wrapped key is a [`KeyRing`]: the current identity and
//! the earlier ones, kept so that what was sealed to them still opens after
//! an upgrade (`docs/keys.md`).
//!
//! scrypt is slow on purpose: call the password functions from
//! `tokio::task::spawn_blocking`, never on the async executor.

use std::str::FromStr;

use anyhow::{anyhow, Context, Result};
use varsel_crypto::{
    decrypt, encrypt, encrypt_mixed, DecryptError, HybridIdentity, Identity, Recipient,
    ScryptIdentity, ScryptRecipient, SessionSecret, Stanza, UnwrapResult, X25519Identity,
};
pub use varsel_crypto::{AnyIdentity, AnyRecipient};
use zeroize::Zeroizing;

/// Which kind of key new keys are (`security.hybrid_keys`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// ML-KEM-768 + X25519 (`age1pq1…`).
    Hybrid,
    /// X25519 alone (`age1…`).
    X25519,
}

impl KeyKind {
    /// The kind `hybrid_keys` asks for.
    pub fn new_keys(hybrid_keys: bool) -> Self {
        if hybrid_keys {
            KeyKind::Hybrid
        } else {
            KeyKind::X25519
        }
    }

    /// A fresh identity of this kind.
    pub fn generate(self) -> AnyIdentity {
        match self {
            KeyKind::Hybrid => AnyIdentity::Hybrid(HybridIdentity::generate()),
            KeyKind::X25519 => AnyIdentity::X25519(X25519Identity::generate()),
        }
    }
}

/// A staff member's keys: the current identity, to which new wraps are made,
/// and the earlier ones (an X25519 key upgraded to a hybrid one), which
/// still open what was sealed to them before. Stored wrapped under the
/// password as one age file whose plaintext is the keys' Bech32 lines,
/// current first. No `Debug`; zeroized on drop.
#[derive(Clone)]
pub struct KeyRing {
    current: Box<AnyIdentity>,
    earlier: Vec<AnyIdentity>,
}

impl KeyRing {
    /// A ring of one key.
    pub fn new(current: AnyIdentity) -> Self {
        KeyRing {
            current: Box::new(current),
            earlier: Vec::new(),
        }
    }

    /// The ring with `next` as its current key and every key so far kept.
    pub fn upgraded(self, next: AnyIdentity) -> Self {
        let mut earlier = vec![*self.current];
        earlier.extend(self.earlier);
        KeyRing {
            current: Box::new(next),
            earlier,
        }
    }

    /// The key new wraps are made to.
    pub fn current(&self) -> &AnyIdentity {
        &self.current
    }

    /// Every key, current first.
    pub fn keys(&self) -> impl Iterator<Item = &AnyIdentity> {
        std::iter::once(self.current.as_ref()).chain(self.earlier.iter())
    }

    /// The current key's recipient.
    pub fn to_public(&self) -> AnyRecipient {
        self.current.to_public()
    }

    /// The keys as Bech32 lines, current first. It is the secret.
    pub fn to_text(&self) -> Zeroizing<String> {
        let lines: Vec<Zeroizing<String>> = self.keys().map(AnyIdentity::to_bech32).collect();
        // Sized up front: a growing string would free buffers holding keys
        // without zeroizing them.
        let mut text = Zeroizing::new(String::with_capacity(
            lines.iter().map(|l| l.len() + 1).sum(),
        ));
        for line in &lines {
            text.push_str(line.as_str());
            text.push('\n');
        }
        text
    }

    /// Parses [`KeyRing::to_text`] (one key alone, as stored before rings, too).
    pub fn parse(secret: &[u8]) -> Result<Self> {
        let text = std::str::from_utf8(secret).map_err(|_| anyhow!("not UTF-8"))?;
        let mut keys = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| AnyIdentity::from_bech32(l).map_err(|e| anyhow!("{e}")));
        let current = keys.next().ok_or_else(|| anyhow!("no key"))??;
        let earlier = keys.collect::<Result<Vec<_>>>()?;
        Ok(KeyRing {
            current: Box::new(current),
            earlier,
        })
    }
}

impl KeyRing {
    /// The current key, the ring dropped.
    pub fn into_current(self) -> AnyIdentity {
        *self.current
    }

    /// Seals the ring under a session's secret, bound to `context` (the
    /// session row holds only this).
    pub fn seal_for_session(&self, secret: &SessionSecret, context: &[u8]) -> Vec<u8> {
        secret.seal_bytes(self.to_text().as_bytes(), context)
    }

    /// Opens [`KeyRing::seal_for_session`]; also a session sealed before
    /// rings existed (the 32 bytes of an X25519 key). `None` for another
    /// secret, another context or altered bytes.
    pub fn open_from_session(
        secret: &SessionSecret,
        sealed: &[u8],
        context: &[u8],
    ) -> Option<Self> {
        let plain = secret.open_bytes(sealed, context)?;
        if let Ok(bytes) = <[u8; 32]>::try_from(plain.as_slice()) {
            return Some(KeyRing::new(AnyIdentity::X25519(
                X25519Identity::from_secret_bytes(bytes),
            )));
        }
        KeyRing::parse(&plain).ok()
    }
}

impl From<AnyIdentity> for KeyRing {
    fn from(current: AnyIdentity) -> Self {
        KeyRing::new(current)
    }
}

impl Identity for KeyRing {
    fn unwrap_stanza(&self, stanza: &Stanza) -> UnwrapResult {
        for key in self.keys() {
            match key.unwrap_stanza(stanza) {
                UnwrapResult::NotMine => continue,
                found => return found,
            }
        }
        UnwrapResult::NotMine
    }
}

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

/// A new staff key pair of `kind`: the recipient and the identity wrapped
/// under `password`.
pub fn new_user_keys(password: &[u8], work_factor: u8, kind: KeyKind) -> Result<(String, Vec<u8>)> {
    let ring = KeyRing::new(kind.generate());
    let recipient = ring.to_public().to_string();
    let wrapped = wrap_identity_with_password(&ring, password, work_factor)?;
    Ok((recipient, wrapped))
}

/// Wraps a staff member's keys under `password` (age scrypt stanza).
pub fn wrap_identity_with_password(
    identity: &KeyRing,
    password: &[u8],
    work_factor: u8,
) -> Result<Vec<u8>> {
    let secret = identity.to_text();
    let recipient = ScryptRecipient::new(password).with_work_factor(work_factor);
    encrypt(&[&recipient], secret.as_bytes()).context("cannot wrap the key")
}

/// Unwraps a staff identity with their password.
pub fn unlock_user_identity(wrapped: &[u8], password: &[u8]) -> Result<KeyRing, UnlockError> {
    let identity = ScryptIdentity::new(password);
    let secret = decrypt(&[&identity], wrapped).map_err(|e| match e {
        DecryptError::NoMatch => UnlockError::WrongPassword,
        _ => UnlockError::Damaged,
    })?;
    KeyRing::parse(&secret).map_err(|_| UnlockError::Damaged)
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
    pub result: Result<KeyRing, UnlockError>,
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

fn parse_identity(secret: &[u8]) -> Result<AnyIdentity> {
    let text = std::str::from_utf8(secret).map_err(|_| anyhow!("not UTF-8"))?;
    AnyIdentity::from_bech32(text.trim()).map_err(|e| anyhow!("{e}"))
}

/// A fresh case key pair of `kind`.
pub fn new_case_identity(kind: KeyKind) -> AnyIdentity {
    kind.generate()
}

/// The keys a case code derives for its reporter: the hybrid one of cases
/// made with hybrid keys, and the X25519 one of cases made before.
pub fn reporter_keys(code: &varsel_crypto::CaseCode) -> KeyRing {
    KeyRing::new(AnyIdentity::Hybrid(code.reporter_hybrid_identity()))
        .upgraded(AnyIdentity::X25519(code.reporter_identity()))
}

/// Recipients kept parsed by [`recipient`] at most; the cache is emptied
/// when it would grow beyond (accounts' and the recovery key's recipients
/// are few, and a hybrid one costs about 35 µs to parse and check).
const PARSED_RECIPIENTS: usize = 4096;

/// Parses a stored `age1…` or `age1pq1…` recipient, once per process for
/// the same string (recipients are public; nothing secret is kept).
pub fn recipient(s: &str) -> Result<AnyRecipient> {
    static PARSED: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, AnyRecipient>>,
    > = std::sync::OnceLock::new();
    let cache = PARSED.get_or_init(Default::default);
    // A panic while holding the lock leaves plain data behind; go on with it.
    if let Some(found) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(s) {
        return Ok(found.clone());
    }
    let parsed = AnyRecipient::from_str(s).map_err(|e| anyhow!("invalid stored recipient: {e}"))?;
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= PARSED_RECIPIENTS {
        cache.clear();
    }
    cache.insert(s.to_owned(), parsed.clone());
    Ok(parsed)
}

/// Wraps a case identity to one member's recipient.
pub fn wrap_case_identity(case: &AnyIdentity, to: &AnyRecipient) -> Result<Vec<u8>> {
    let secret = case.to_bech32();
    encrypt(&[to], secret.as_bytes()).context("cannot wrap the case key")
}

/// Unwraps a case identity with a member's identity (or key ring).
pub fn unwrap_case_identity(wrapped: &[u8], member: &dyn Identity) -> Result<AnyIdentity> {
    let secret =
        decrypt(&[member], wrapped).map_err(|e| anyhow!("cannot unwrap the case key: {e}"))?;
    parse_identity(&secret)
}

/// Encrypts case content to the case recipient.
pub fn seal(case_recipient: &AnyRecipient, plaintext: &[u8]) -> Result<Vec<u8>> {
    encrypt(&[case_recipient], plaintext).context("cannot encrypt case content")
}

/// Encrypts `plaintext` to several staff members' recipients, which may
/// mix hybrid and X25519 keys while accounts are being upgraded (such a file
/// is then only as strong as X25519; once all hold hybrid keys it is
/// post-quantum).
pub fn seal_to_all(recipients: &[&AnyRecipient], plaintext: &[u8]) -> Result<Vec<u8>> {
    let recipients: Vec<&dyn Recipient> = recipients.iter().map(|r| *r as &dyn Recipient).collect();
    encrypt_mixed(&recipients, plaintext).context("cannot encrypt to the recipients")
}

/// Decrypts case content with the case identity (or any identity, key ring).
pub fn open(case_identity: &dyn Identity, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
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
        let (_, wrapped) = new_user_keys(&password, work_factor, KeyKind::Hybrid)?;
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
        let (recipient, wrapped) =
            new_user_keys(b"correct horse", 10, KeyKind::Hybrid).expect("keys");
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
        let (_, current) =
            new_user_keys(b"correct horse", in_force, KeyKind::Hybrid).expect("keys");
        let (recipient, stale) = new_user_keys(b"correct horse", 7, KeyKind::Hybrid).expect("keys");
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
        for kind in [KeyKind::Hybrid, KeyKind::X25519] {
            let case = new_case_identity(kind);
            let handler = KeyKind::Hybrid.generate();
            let stranger = KeyKind::Hybrid.generate();
            let wrapped = wrap_case_identity(&case, &handler.to_public()).expect("wraps");
            let sealed = seal(&case.to_public(), b"rapport").expect("seals");
            let unwrapped = unwrap_case_identity(&wrapped, &handler).expect("member unwraps");
            assert_eq!(unwrapped.is_hybrid(), kind == KeyKind::Hybrid);
            assert_eq!(
                open(&unwrapped, &sealed).expect("opens").as_slice(),
                b"rapport"
            );
            assert!(unwrap_case_identity(&wrapped, &stranger).is_err());
        }
    }

    #[test]
    fn a_code_opens_cases_wrapped_to_either_of_its_keys() {
        let code = varsel_crypto::CaseCode::generate();
        let ring = reporter_keys(&code);
        for to in [
            AnyRecipient::Hybrid(code.reporter_hybrid_identity().to_public()),
            AnyRecipient::X25519(code.reporter_identity().to_public()),
        ] {
            let case = new_case_identity(KeyKind::Hybrid);
            let wrapped = wrap_case_identity(&case, &to).expect("wraps");
            let back = unwrap_case_identity(&wrapped, &ring).expect("opens");
            assert_eq!(back.to_public(), case.to_public());
        }
    }

    #[test]
    fn an_upgraded_ring_opens_what_was_sealed_to_its_earlier_key() {
        let old = KeyRing::new(KeyKind::X25519.generate());
        let before = seal(&old.to_public(), b"sealed before").expect("seals");
        let ring = old.upgraded(KeyKind::Hybrid.generate());
        assert!(ring.current().is_hybrid());
        let after = seal(&ring.to_public(), b"sealed after").expect("seals");
        let stored = wrap_identity_with_password(&ring, b"pw", 10).expect("wraps");
        let back = unlock_user_identity(&stored, b"pw").expect("unlocks");
        assert_eq!(back.keys().count(), 2);
        assert_eq!(back.to_public(), ring.to_public());
        assert_eq!(
            open(&back, &before).expect("opens").as_slice(),
            b"sealed before"
        );
        assert_eq!(
            open(&back, &after).expect("opens").as_slice(),
            b"sealed after"
        );
        // A key wrapped before rings existed (one line) still parses.
        let single = KeyKind::X25519.generate();
        let parsed = KeyRing::parse(single.to_bech32().as_bytes()).expect("parses");
        assert_eq!(parsed.to_public(), single.to_public());
        assert!(KeyRing::parse(b"").is_err());
        assert!(KeyRing::parse(b"AGE-SECRET-KEY-1QQQ").is_err());
    }
}
