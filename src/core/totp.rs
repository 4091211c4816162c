//! Time-based one-time passwords (TOTP, RFC 6238) as authenticator apps
//! make them: HMAC-SHA-1, 6 digits, 30-second steps from the UNIX epoch.
//!
//! `HOTP(K, C) = Truncate(HMAC-SHA-1(K, C)) mod 10^digits` (RFC 4226 §5.3),
//! and `TOTP(K, T) = HOTP(K, floor(T / 30))`. A code is accepted for the
//! step of the time it is checked and one step either side (clock drift);
//! the caller remembers the step it matched so the same code never works
//! twice. The time is always a parameter (the service's clock).

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Seconds per time step.
pub const STEP_SECONDS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Bytes of a new secret (160 bits, RFC 4226 §4's recommendation).
pub const SECRET_BYTES: usize = 20;
/// Steps accepted either side of the current one.
pub const DRIFT_STEPS: i64 = 1;

/// A TOTP secret. Zeroized on drop, never printed.
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl TotpSecret {
    /// A new random secret of [`SECRET_BYTES`].
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; SECRET_BYTES]);
        rand::rngs::OsRng.fill_bytes(bytes.as_mut_slice());
        TotpSecret(bytes)
    }

    /// A secret from its raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        TotpSecret(Zeroizing::new(bytes.to_vec()))
    }

    /// A secret from its base32 form (RFC 4648; case, spaces and padding
    /// ignored); `None` if it is not base32.
    pub fn from_base32(text: &str) -> Option<Self> {
        let mut bytes = Zeroizing::new(Vec::with_capacity(text.len() * 5 / 8));
        let mut buffer: u32 = 0;
        let mut bits = 0;
        for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
            let value = match c.to_ascii_uppercase() {
                c @ 'A'..='Z' => c as u32 - 'A' as u32,
                c @ '2'..='7' => c as u32 - '2' as u32 + 26,
                _ => return None,
            };
            buffer = (buffer << 5) | value;
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                bytes.push(((buffer >> bits) & 0xff) as u8);
            }
        }
        Some(TotpSecret(bytes))
    }

    /// The raw bytes (to seal them).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The secret as authenticator apps take it typed in: base32 (RFC 4648),
    /// upper case, without padding.
    pub fn to_base32(&self) -> Zeroizing<String> {
        base32(&self.0)
    }

    /// The `otpauth://totp/…` URI that a QR code carries (the Key URI format
    /// authenticator apps read), labelled `issuer:account`.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> Zeroizing<String> {
        let issuer = percent_encode(issuer);
        let account = percent_encode(account);
        Zeroizing::new(format!(
            "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            self.to_base32().as_str()
        ))
    }

    /// The code for time step `step`, [`DIGITS`] digits, zero-padded.
    pub fn code_at_step(&self, step: i64) -> Zeroizing<String> {
        let value = hotp(&self.0, step_counter(step), DIGITS);
        Zeroizing::new(format!("{value:0width$}", width = DIGITS as usize))
    }

    /// The code at `unix` seconds.
    pub fn code_at(&self, unix: i64) -> Zeroizing<String> {
        self.code_at_step(step_of(unix))
    }

    /// The step `code` belongs to, if it is the code of the step of `unix`
    /// or of one step either side (checked in constant time, all three
    /// always computed); `None` otherwise. Spaces in `code` are ignored.
    pub fn matching_step(&self, code: &str, unix: i64) -> Option<i64> {
        let submitted: Zeroizing<String> =
            Zeroizing::new(code.chars().filter(|c| !c.is_whitespace()).collect());
        let now = step_of(unix);
        let mut found = None;
        for step in now - DRIFT_STEPS..=now + DRIFT_STEPS {
            let expected = self.code_at_step(step);
            let same = expected.len() == submitted.len()
                && bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()));
            if same && found.is_none() {
                found = Some(step);
            }
        }
        found
    }
}

/// The time step of `unix` seconds: `floor(unix / 30)`.
pub fn step_of(unix: i64) -> i64 {
    unix.div_euclid(STEP_SECONDS)
}

fn step_counter(step: i64) -> u64 {
    u64::try_from(step).unwrap_or(0)
}

/// HOTP (RFC 4226 §5.3) with HMAC-SHA-1: dynamic truncation of the MAC of
/// the big-endian `counter`, modulo `10^digits`.
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    // Invariant: HMAC takes a key of any length (longer ones are hashed).
    #[allow(clippy::expect_used)]
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let binary = (u32::from(hash[offset] & 0x7f) << 24)
        | (u32::from(hash[offset + 1]) << 16)
        | (u32::from(hash[offset + 2]) << 8)
        | u32::from(hash[offset + 3]);
    binary % 10u32.pow(digits)
}

/// RFC 4648 base32, upper case, no padding.
fn base32(bytes: &[u8]) -> Zeroizing<String> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Zeroizing::new(String::with_capacity(bytes.len() * 8 / 5 + 1));
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Percent-encodes all but RFC 3986's unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_KEY: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_4226_hotp_vectors() {
        let expected = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (counter, want) in expected.into_iter().enumerate() {
            assert_eq!(hotp(RFC_KEY, counter as u64, 6), want, "counter {counter}");
        }
    }

    /// RFC 6238 appendix B, the SHA-1 column (8 digits).
    #[test]
    fn rfc_6238_totp_vectors() {
        let vectors: [(i64, u32); 6] = [
            (59, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ];
        for (time, want) in vectors {
            assert_eq!(
                hotp(RFC_KEY, step_counter(step_of(time)), 8),
                want,
                "T = {time}"
            );
            // The six-digit code is the last six digits of the eight.
            let secret = TotpSecret::from_bytes(RFC_KEY);
            assert_eq!(
                secret.code_at(time).as_str(),
                format!("{:06}", want % 1_000_000)
            );
        }
    }

    #[test]
    fn a_code_matches_its_step_and_one_either_side() {
        let secret = TotpSecret::from_bytes(RFC_KEY);
        let now = 1_111_111_111;
        let code = secret.code_at(now);
        assert_eq!(secret.matching_step(&code, now), Some(step_of(now)));
        assert_eq!(secret.matching_step(&code, now + 30), Some(step_of(now)));
        assert_eq!(secret.matching_step(&code, now - 30), Some(step_of(now)));
        assert_eq!(secret.matching_step(&code, now + 61), None);
        assert_eq!(secret.matching_step("12345", now), None);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(secret.matching_step(&spaced, now), Some(step_of(now)));
    }

    #[test]
    fn base32_and_the_uri_follow_rfc_4648_and_the_key_uri_format() {
        // RFC 4648 §10.
        assert_eq!(base32(b"foobar").as_str(), "MZXW6YTBOI");
        assert_eq!(base32(b"f").as_str(), "MY");
        let secret = TotpSecret::from_bytes(RFC_KEY);
        assert_eq!(
            secret.to_base32().as_str(),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        let again = TotpSecret::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").map(|s| s.0);
        assert_eq!(again.as_deref().map(Vec::as_slice), Some(RFC_KEY));
        assert!(TotpSecret::from_base32("not base32!").is_none());
        let uri = secret.otpauth_uri("Varsel", "ola nordmann");
        assert_eq!(
            uri.as_str(),
            "otpauth://totp/Varsel:ola%20nordmann?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Varsel&algorithm=SHA1&digits=6&period=30"
        );
    }
}
