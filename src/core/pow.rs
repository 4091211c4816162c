//! Stateless proof of work. The server issues a challenge — a random nonce,
//! the time of issue, a difficulty and a purpose — signed with HMAC-SHA-256
//! under a key every instance shares through the database, and stores
//! nothing. The client finds a counter such that
//! `SHA-256(challenge || counter)` (the challenge as sent, then the counter
//! in decimal, both as ASCII) starts with at least `difficulty` zero bits,
//! and sends both with its submission or code login. The server checks the
//! signature, the purpose, the age and the work, then records the
//! challenge's hash as spent (see [`crate::core::limits`]) so that each
//! solution is accepted once.
//!
//! Wire format of a challenge: `v1.<payload>.<mac>`, both base64url without
//! padding; the payload is `nonce (16) || issued_at (8, big-endian) ||
//! difficulty (1) || purpose (1)`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Domain-separation label of challenge signatures.
const CHALLENGE_LABEL: &[u8] = b"varsel pow challenge v1";
/// Version prefix of the wire format.
const VERSION: &str = "v1";
/// Bytes of a challenge's payload.
const PAYLOAD_LEN: usize = 16 + 8 + 1 + 1;
/// Longest accepted solution (a `u64` in decimal).
const MAX_SOLUTION_LEN: usize = 20;
/// How far in the future a challenge's time of issue may lie (clock skew
/// between instances).
const MAX_SKEW_SECONDS: i64 = 30;

/// What a challenge may be redeemed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Submitting a report.
    Submit,
    /// Logging in with a case code.
    CodeLogin,
}

impl Purpose {
    /// The name used in URLs and budget keys (`submit`, `code`).
    pub fn key(self) -> &'static str {
        match self {
            Purpose::Submit => "submit",
            Purpose::CodeLogin => "code",
        }
    }

    /// Parses [`Purpose::key`].
    pub fn parse(s: &str) -> Option<Purpose> {
        match s {
            "submit" => Some(Purpose::Submit),
            "code" => Some(Purpose::CodeLogin),
            _ => None,
        }
    }

    fn byte(self) -> u8 {
        match self {
            Purpose::Submit => 1,
            Purpose::CodeLogin => 2,
        }
    }

    fn from_byte(b: u8) -> Option<Purpose> {
        match b {
            1 => Some(Purpose::Submit),
            2 => Some(Purpose::CodeLogin),
            _ => None,
        }
    }
}

/// Why a proof of work was not accepted. Deliberately coarse towards clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PowError {
    /// Not a challenge this server issued, or altered.
    #[error("invalid challenge")]
    Invalid,
    /// Issued for another purpose.
    #[error("challenge for another purpose")]
    WrongPurpose,
    /// Too old.
    #[error("challenge expired")]
    Expired,
    /// The counter does not solve the challenge.
    #[error("insufficient work")]
    Insufficient,
    /// Accepted before.
    #[error("challenge already used")]
    Spent,
}

/// A checked proof of work, not yet recorded as spent.
#[derive(Debug, Clone, Copy)]
pub struct VerifiedPow {
    /// SHA-256 of the challenge: its key in the spent table.
    pub challenge_hash: [u8; 32],
    /// When the challenge expires (UNIX seconds): until then it stays spent.
    pub expires_at: i64,
    /// The difficulty it was solved at.
    pub difficulty: u8,
}

/// HMAC-SHA-256 under a 32-byte key. HMAC pads a key shorter than the hash's
/// block with zeros, so the padded block is the same key, and the
/// constructor is total.
pub(crate) fn keyed(key: &[u8; 32]) -> Hmac<Sha256> {
    use hmac::digest::KeyInit;
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    <Hmac<Sha256> as KeyInit>::new(&block.into())
}

fn mac(key: &[u8; 32], payload: &[u8]) -> Hmac<Sha256> {
    let mut mac = keyed(key);
    mac.update(CHALLENGE_LABEL);
    mac.update(payload);
    mac
}

/// Issues a signed challenge (`nonce` must be random).
pub fn issue(
    key: &[u8; 32],
    purpose: Purpose,
    difficulty: u8,
    now: i64,
    nonce: [u8; 16],
) -> String {
    let mut payload = [0u8; PAYLOAD_LEN];
    payload[..16].copy_from_slice(&nonce);
    payload[16..24].copy_from_slice(&now.to_be_bytes());
    payload[24] = difficulty;
    payload[25] = purpose.byte();
    let tag = mac(key, &payload).finalize().into_bytes();
    format!(
        "{VERSION}.{}.{}",
        URL_SAFE_NO_PAD.encode(payload),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

/// Number of leading zero bits of `hash`.
pub fn leading_zero_bits(hash: &[u8]) -> u32 {
    let mut bits = 0;
    for byte in hash {
        if *byte == 0 {
            bits += 8;
        } else {
            return bits + byte.leading_zeros();
        }
    }
    bits
}

/// `SHA-256(challenge || counter)`, the counter in decimal.
pub fn work_hash(challenge: &str, counter: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(challenge.as_bytes());
    h.update(counter.as_bytes());
    h.finalize().into()
}

/// Finds the smallest counter solving `challenge` at `difficulty` (for
/// clients without JavaScript of their own, and tests).
pub fn solve(challenge: &str, difficulty: u8) -> u64 {
    (0u64..)
        .find(|n| leading_zero_bits(&work_hash(challenge, &n.to_string())) >= u32::from(difficulty))
        .unwrap_or(0)
}

/// The difficulty a challenge claims, if it is well formed (not checked).
pub fn claimed_difficulty(challenge: &str) -> Option<u8> {
    decode(challenge).map(|(payload, _)| payload[24])
}

fn decode(challenge: &str) -> Option<([u8; PAYLOAD_LEN], Vec<u8>)> {
    if challenge.len() > 128 {
        return None;
    }
    let mut parts = challenge.split('.');
    let (Some(VERSION), Some(payload), Some(tag), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let payload: [u8; PAYLOAD_LEN] = URL_SAFE_NO_PAD.decode(payload).ok()?.try_into().ok()?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    Some((payload, tag))
}

/// Checks a solved challenge: signature, purpose, age (`ttl` seconds) and
/// work. Does not record it as spent.
pub fn verify(
    key: &[u8; 32],
    challenge: &str,
    solution: &str,
    purpose: Purpose,
    now: i64,
    ttl: i64,
) -> Result<VerifiedPow, PowError> {
    let (payload, tag) = decode(challenge).ok_or(PowError::Invalid)?;
    mac(key, &payload)
        .verify_slice(&tag)
        .map_err(|_| PowError::Invalid)?;
    let mut issued = [0u8; 8];
    issued.copy_from_slice(&payload[16..24]);
    let issued_at = i64::from_be_bytes(issued);
    let difficulty = payload[24];
    if Purpose::from_byte(payload[25]) != Some(purpose) {
        return Err(PowError::WrongPurpose);
    }
    let expires_at = issued_at.saturating_add(ttl);
    if now >= expires_at || issued_at > now + MAX_SKEW_SECONDS {
        return Err(PowError::Expired);
    }
    if solution.is_empty()
        || solution.len() > MAX_SOLUTION_LEN
        || !solution.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(PowError::Insufficient);
    }
    if leading_zero_bits(&work_hash(challenge, solution)) < u32::from(difficulty) {
        return Err(PowError::Insufficient);
    }
    Ok(VerifiedPow {
        challenge_hash: Sha256::digest(challenge.as_bytes()).into(),
        expires_at,
        difficulty,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8; 32] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_solved_challenge_verifies_once_issued() {
        let c = issue(KEY, Purpose::Submit, 8, 1000, [7; 16]);
        let n = solve(&c, 8).to_string();
        let v = verify(KEY, &c, &n, Purpose::Submit, 1010, 300).expect("valid");
        assert_eq!(v.difficulty, 8);
        assert_eq!(v.expires_at, 1300);
        assert_eq!(claimed_difficulty(&c), Some(8));
    }

    #[test]
    fn tampering_purpose_age_and_work_are_refused() {
        let c = issue(KEY, Purpose::Submit, 8, 1000, [7; 16]);
        let n = solve(&c, 8).to_string();
        assert_eq!(
            verify(&[1; 32], &c, &n, Purpose::Submit, 1010, 300).err(),
            Some(PowError::Invalid)
        );
        assert_eq!(
            verify(KEY, &c, &n, Purpose::CodeLogin, 1010, 300).err(),
            Some(PowError::WrongPurpose)
        );
        assert_eq!(
            verify(KEY, &c, &n, Purpose::Submit, 1300, 300).err(),
            Some(PowError::Expired)
        );
        // A lower difficulty written into the payload breaks the signature.
        let (mut payload, tag) = decode(&c).expect("decodes");
        payload[24] = 0;
        let forged = format!(
            "v1.{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag)
        );
        assert_eq!(
            verify(KEY, &forged, "0", Purpose::Submit, 1010, 300).err(),
            Some(PowError::Invalid)
        );
        let wrong = (0u64..)
            .find(|k| leading_zero_bits(&work_hash(&c, &k.to_string())) < 8)
            .expect("some counter fails");
        assert_eq!(
            verify(KEY, &c, &wrong.to_string(), Purpose::Submit, 1010, 300).err(),
            Some(PowError::Insufficient)
        );
        assert_eq!(
            verify(KEY, &c, "-1", Purpose::Submit, 1010, 300).err(),
            Some(PowError::Insufficient)
        );
        assert_eq!(
            verify(KEY, "v1.x.y", "1", Purpose::Submit, 1010, 300).err(),
            Some(PowError::Invalid)
        );
    }

    #[test]
    fn zero_bits_are_counted_from_the_top() {
        assert_eq!(leading_zero_bits(&[0, 0, 0x10]), 19);
        assert_eq!(leading_zero_bits(&[0x80]), 0);
        assert_eq!(leading_zero_bits(&[0, 0]), 16);
    }
}
