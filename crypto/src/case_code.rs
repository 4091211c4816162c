//! Case codes: the secret a reporter keeps to come back to their case.
//!
//! # Format
//!
//! A case code is 24 symbols from Crockford's base-32 alphabet
//! `0123456789ABCDEFGHJKMNPQRSTVWXYZ` (no `I`, `L`, `O` or `U`), shown in six
//! groups of four: `7K3M-Q9DX-...`. The first 23 symbols are drawn uniformly from
//! the operating system's random number generator, so a code carries
//! 23 × log2(32) = **115 bits** of entropy; the 24th is a check symbol.
//!
//! Parsing is case-insensitive, ignores spaces and hyphens anywhere, and reads
//! `O` as `0` and `I`/`L` as `1` (Crockford's rule for characters that look alike,
//! which are never generated). Any other character, or a wrong number of symbols,
//! is an error that names the problem without echoing the code.
//!
//! # Check symbol
//!
//! With symbol values `d_0 … d_22` and arithmetic in GF(2^5) = GF(2)[x]/(x^5 + x^2 + 1),
//! the check symbol is `c = Σ α^(i+1) · d_i` with `α = x`. Every position has a
//! distinct non-zero weight (`α` has order 31), so **every** single-symbol
//! substitution and every swap of two different symbols changes the sum and is
//! reported as a typo before any lookup.
//!
//! # Derivations
//!
//! From the canonical code (24 upper-case symbols, no separators) HKDF-SHA-256
//! (RFC 5869) with salt [`DERIVATION_SALT`] derives, under distinct labels,
//! the lookup tag ([`LOOKUP_TAG_LABEL`]) — the only thing a database stores —
//! and the reporter's X25519 identity ([`REPORTER_IDENTITY_LABEL`]).
//!
//! Version 2 adds the reporter's post-quantum hybrid identity, under its own
//! salt so that it shares nothing with the v1 derivations (which stay as they
//! are):
//!
//! ```text
//! seed = HKDF-SHA-256(ikm = canonical code, salt = "varsel.case-code.v2",
//!                     info = "varsel.case-code.v2.reporter-hybrid-identity", L = 32)
//! identity = HybridIdentity::from_seed(seed)   // AGE-SECRET-KEY-PQ-1… of that seed
//! ```
//!
//! The seed is exactly an age `AGE-SECRET-KEY-PQ-1…` identity, so a browser can
//! rebuild the identity with HKDF and any age v1.3 implementation.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::primitives::hkdf;
use crate::{HybridIdentity, X25519Identity};

/// The symbols a code is written in (Crockford's base 32).
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Random symbols in a code.
pub const DATA_SYMBOLS: usize = 23;
/// Symbols in a code, the check symbol included.
pub const CODE_SYMBOLS: usize = DATA_SYMBOLS + 1;
/// Symbols per printed group.
pub const GROUP_SIZE: usize = 4;
/// Entropy of a code in bits: `DATA_SYMBOLS × log2(ALPHABET.len())`.
pub const ENTROPY_BITS: u32 = DATA_SYMBOLS as u32 * 5;
/// HKDF salt of every case-code derivation.
pub const DERIVATION_SALT: &[u8] = b"varsel.case-code.v1";
/// HKDF info of the lookup tag.
pub const LOOKUP_TAG_LABEL: &[u8] = b"varsel.case-code.v1.lookup-tag";
/// HKDF info of the reporter's X25519 identity.
pub const REPORTER_IDENTITY_LABEL: &[u8] = b"varsel.case-code.v1.reporter-identity";
/// HKDF salt of the version-2 derivations (the reporter's hybrid identity).
pub const DERIVATION_SALT_V2: &[u8] = b"varsel.case-code.v2";
/// HKDF info of the seed of the reporter's post-quantum hybrid identity.
pub const REPORTER_HYBRID_IDENTITY_LABEL: &[u8] = b"varsel.case-code.v2.reporter-hybrid-identity";
/// Longest input accepted by [`CaseCode::parse`], separators included.
const MAX_INPUT: usize = 64;

/// Why a typed case code was rejected. Never contains the code itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaseCodeError {
    /// The code has the wrong number of symbols.
    #[error("a case code has {expected} characters, this has {found}")]
    Length {
        /// Symbols a code has.
        expected: usize,
        /// Symbols found.
        found: usize,
    },
    /// A character is not part of the alphabet.
    #[error("character {position} is not a valid case-code character")]
    InvalidCharacter {
        /// 1-based position among the symbols.
        position: usize,
    },
    /// The check symbol does not match: the code was mistyped.
    #[error("the case code contains a typo")]
    Typo,
}

/// A case code. No `Debug` or `Display`: it is shown to the reporter exactly once.
pub struct CaseCode {
    symbols: Zeroizing<[u8; CODE_SYMBOLS]>,
}

/// What a database may store to find a case by its code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct LookupTag([u8; 32]);

impl LookupTag {
    /// The tag's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Rebuilds a tag from stored bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        LookupTag(bytes)
    }
}

/// Multiplies in GF(2^5) modulo x^5 + x^2 + 1.
fn gf32_mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0u8;
    while b != 0 {
        if b & 1 == 1 {
            product ^= a;
        }
        b >>= 1;
        a <<= 1;
        if a & 0x20 != 0 {
            a ^= 0x25;
        }
    }
    product & 0x1f
}

fn check_symbol(data: &[u8]) -> u8 {
    let mut weight = 1u8;
    let mut sum = 0u8;
    for &d in data {
        weight = gf32_mul(weight, 2);
        sum ^= gf32_mul(weight, d);
    }
    sum
}

fn symbol_value(c: u8) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        b'O' => b'0',
        b'I' | b'L' => b'1',
        other => other,
    };
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u8)
}

impl CaseCode {
    /// Generates a new code from the operating system's random number generator.
    pub fn generate() -> Self {
        use rand::RngCore;
        let mut random = Zeroizing::new([0u8; DATA_SYMBOLS]);
        rand::rngs::OsRng.fill_bytes(random.as_mut());
        let mut symbols = Zeroizing::new([0u8; CODE_SYMBOLS]);
        for (s, r) in symbols.iter_mut().zip(random.iter()) {
            // 256 is a multiple of 32, so the low five bits are uniform.
            *s = r & 0x1f;
        }
        symbols[DATA_SYMBOLS] = check_symbol(&symbols[..DATA_SYMBOLS]);
        CaseCode { symbols }
    }

    /// Parses a typed code: case-insensitive, spaces and hyphens optional.
    pub fn parse(input: &str) -> Result<Self, CaseCodeError> {
        let mut symbols = Zeroizing::new([0u8; CODE_SYMBOLS]);
        let mut count = 0usize;
        if input.len() > MAX_INPUT {
            return Err(CaseCodeError::Length {
                expected: CODE_SYMBOLS,
                found: input.chars().filter(|c| !is_separator(*c)).count(),
            });
        }
        for c in input.chars() {
            if is_separator(c) {
                continue;
            }
            count += 1;
            let value = u8::try_from(c)
                .ok()
                .and_then(symbol_value)
                .ok_or(CaseCodeError::InvalidCharacter { position: count })?;
            if count <= CODE_SYMBOLS {
                symbols[count - 1] = value;
            }
        }
        if count != CODE_SYMBOLS {
            return Err(CaseCodeError::Length {
                expected: CODE_SYMBOLS,
                found: count,
            });
        }
        if check_symbol(&symbols[..DATA_SYMBOLS]) != symbols[DATA_SYMBOLS] {
            return Err(CaseCodeError::Typo);
        }
        Ok(CaseCode { symbols })
    }

    /// The canonical form: 24 upper-case symbols without separators.
    fn canonical(&self) -> Zeroizing<[u8; CODE_SYMBOLS]> {
        let mut out = Zeroizing::new([0u8; CODE_SYMBOLS]);
        for (o, &s) in out.iter_mut().zip(self.symbols.iter()) {
            *o = ALPHABET[usize::from(s)];
        }
        out
    }

    /// The code in groups of four for showing to the reporter, e.g. `7K3M-Q9DX-…`.
    pub fn expose_grouped(&self) -> Zeroizing<String> {
        let canonical = self.canonical();
        let mut out = Zeroizing::new(String::with_capacity(
            CODE_SYMBOLS + CODE_SYMBOLS / GROUP_SIZE,
        ));
        for (i, &c) in canonical.iter().enumerate() {
            if i > 0 && i % GROUP_SIZE == 0 {
                out.push('-');
            }
            out.push(char::from(c));
        }
        out
    }

    /// The lookup tag: `HKDF-SHA-256(ikm = code, salt = DERIVATION_SALT, info = LOOKUP_TAG_LABEL)`.
    pub fn lookup_tag(&self) -> LookupTag {
        let canonical = self.canonical();
        let key = hkdf(DERIVATION_SALT, canonical.as_ref(), LOOKUP_TAG_LABEL);
        LookupTag(*key)
    }

    /// The reporter's identity: X25519 secret
    /// `HKDF-SHA-256(ikm = code, salt = DERIVATION_SALT, info = REPORTER_IDENTITY_LABEL)`.
    pub fn reporter_identity(&self) -> X25519Identity {
        let canonical = self.canonical();
        let key = hkdf(DERIVATION_SALT, canonical.as_ref(), REPORTER_IDENTITY_LABEL);
        X25519Identity::from_secret_bytes(*key)
    }

    /// The reporter's post-quantum hybrid identity, from the 32-byte seed
    /// `HKDF-SHA-256(ikm = code, salt = DERIVATION_SALT_V2, info = REPORTER_HYBRID_IDENTITY_LABEL)`.
    pub fn reporter_hybrid_identity(&self) -> HybridIdentity {
        let canonical = self.canonical();
        let seed = hkdf(
            DERIVATION_SALT_V2,
            canonical.as_ref(),
            REPORTER_HYBRID_IDENTITY_LABEL,
        );
        HybridIdentity::from_seed(*seed)
    }

    /// Compares two codes in constant time.
    pub fn ct_eq(&self, other: &CaseCode) -> bool {
        self.symbols
            .as_slice()
            .ct_eq(other.symbols.as_slice())
            .into()
    }
}

fn is_separator(c: char) -> bool {
    c == '-' || c.is_whitespace()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_claim_follows_from_alphabet_and_length() {
        let bits = (ALPHABET.len() as f64).log2() * DATA_SYMBOLS as f64;
        assert_eq!(bits, f64::from(ENTROPY_BITS));
        assert!(
            bits >= 100.0,
            "SPEC §3.3 asks for at least 100 bits, got {bits}"
        );
        let unique: std::collections::BTreeSet<u8> = ALPHABET.iter().copied().collect();
        assert_eq!(
            unique.len(),
            ALPHABET.len(),
            "alphabet symbols are distinct"
        );
        for ambiguous in [b'I', b'L', b'O', b'U'] {
            assert!(!ALPHABET.contains(&ambiguous));
        }
    }

    #[test]
    fn generated_codes_round_trip_in_every_accepted_spelling() {
        for _ in 0..200 {
            let code = CaseCode::generate();
            let grouped = code.expose_grouped();
            assert_eq!(grouped.len(), 29);
            let spellings = [
                grouped.to_string(),
                grouped.replace('-', ""),
                grouped.replace('-', " "),
                grouped.to_ascii_lowercase(),
                format!("  {}  ", grouped.to_ascii_lowercase().replace('-', " - ")),
            ];
            for s in spellings {
                let back = CaseCode::parse(&s).expect("parses");
                assert!(back.ct_eq(&code));
                assert_eq!(back.lookup_tag(), code.lookup_tag());
            }
        }
    }

    #[test]
    fn every_single_substitution_in_a_sample_is_a_typo() {
        for _ in 0..40 {
            let code = CaseCode::generate();
            let canonical = code.canonical();
            for pos in 0..CODE_SYMBOLS {
                for &replacement in ALPHABET.iter() {
                    if replacement == canonical[pos] {
                        continue;
                    }
                    let mut typo = *canonical;
                    typo[pos] = replacement;
                    let typed = String::from_utf8(typo.to_vec()).expect("ascii");
                    assert_eq!(
                        CaseCode::parse(&typed).err(),
                        Some(CaseCodeError::Typo),
                        "substitution at {pos} not detected"
                    );
                }
            }
        }
    }

    #[test]
    fn every_adjacent_transposition_in_a_sample_is_a_typo() {
        for _ in 0..200 {
            let canonical = *CaseCode::generate().canonical();
            for pos in 0..CODE_SYMBOLS - 1 {
                if canonical[pos] == canonical[pos + 1] {
                    continue;
                }
                let mut swapped = canonical;
                swapped.swap(pos, pos + 1);
                let typed = String::from_utf8(swapped.to_vec()).expect("ascii");
                assert_eq!(CaseCode::parse(&typed).err(), Some(CaseCodeError::Typo));
            }
        }
    }

    #[test]
    fn look_alike_letters_read_as_digits() {
        let code = CaseCode::generate();
        let canonical = code.expose_grouped().replace('0', "o").replace('1', "L");
        assert!(CaseCode::parse(&canonical).expect("parses").ct_eq(&code));
    }

    #[test]
    fn wrong_length_and_bad_characters_are_named() {
        let code = CaseCode::generate().expose_grouped();
        assert_eq!(
            CaseCode::parse(&code[..code.len() - 1]).err(),
            Some(CaseCodeError::Length {
                expected: 24,
                found: 23
            })
        );
        let mut bad = code.to_string();
        bad.replace_range(5..6, "U");
        assert_eq!(
            CaseCode::parse(&bad).err(),
            Some(CaseCodeError::InvalidCharacter { position: 5 })
        );
        assert_eq!(
            CaseCode::parse("æøå").err(),
            Some(CaseCodeError::InvalidCharacter { position: 1 })
        );
        assert!(matches!(
            CaseCode::parse("").err(),
            Some(CaseCodeError::Length { found: 0, .. })
        ));
        assert!(CaseCode::parse(&"A".repeat(500)).is_err());
    }

    #[test]
    fn distinct_codes_give_distinct_derivations() {
        let mut tags = std::collections::HashSet::new();
        let mut recipients = std::collections::HashSet::new();
        for _ in 0..500 {
            let code = CaseCode::generate();
            let tag = code.lookup_tag();
            let recipient = code.reporter_identity().to_public().to_string();
            assert_ne!(
                tag.as_bytes(),
                code.reporter_identity().to_public().as_bytes()
            );
            assert!(tags.insert(tag));
            assert!(recipients.insert(recipient));
        }
    }

    #[test]
    fn derivations_are_stable_for_a_fixed_code() {
        // Pinned so that a change to labels or encoding, which would orphan every
        // stored case, cannot slip through unnoticed.
        let zeros: String = "0".repeat(23);
        let code = CaseCode::parse(&format!("{zeros}0")).expect("all-zero code is valid");
        let tag = code.lookup_tag();
        let again = CaseCode::parse(&format!("{zeros}0"))
            .expect("parses")
            .lookup_tag();
        assert_eq!(tag, again);
        // HKDF-SHA-256 computed independently (Python's hmac module).
        assert_eq!(
            hex_of(tag.as_bytes()),
            "0888444dc0c72e8ad8e15020cc60ee44c7c220d80ff6c4886a5c0aab4fa6301a"
        );
    }

    #[test]
    fn the_hybrid_derivation_is_pinned() {
        // Pinned because the browser reimplements it: an all-zero code and one
        // from a fixed spelling, each to the SHA-256 of its `age1pq1…` string.
        // Computed independently with Node's crypto.hkdfSync and the TypeScript
        // age-encryption 0.3.1 package (identityToRecipient of that seed).
        let zeros = CaseCode::parse(&"0".repeat(24)).expect("all-zero code is valid");
        let id = zeros.reporter_hybrid_identity();
        assert_eq!(id.to_bech32().as_str(), PINNED_ZERO_CODE_HYBRID_IDENTITY);
        let recipient = id.to_public().to_string();
        assert!(recipient.starts_with(PINNED_ZERO_CODE_HYBRID_PREFIX));
        assert_eq!(
            hex_of(&sha256(recipient.as_bytes())),
            PINNED_ZERO_CODE_HYBRID_SHA256
        );

        // The hybrid identity is independent of the v1 X25519 one and of the tag.
        let x25519 = zeros.reporter_identity().to_public();
        assert_ne!(&id.to_public().as_bytes()[1184..], x25519.as_bytes());
        let again = CaseCode::parse("0000-0000-0000-0000-0000-0000").expect("parses");
        assert_eq!(again.reporter_hybrid_identity().to_public(), id.to_public());
        let other = CaseCode::generate();
        assert_ne!(other.reporter_hybrid_identity().to_public(), id.to_public());
    }

    /// The `AGE-SECRET-KEY-PQ-1…` of the all-zero code.
    const PINNED_ZERO_CODE_HYBRID_IDENTITY: &str =
        "AGE-SECRET-KEY-PQ-19PMTCQ0V6V8777ZCJS939XUNPPKVAYN7EQSPZ5UMMN0N3RRDHW2Q3JWRUE";
    /// The start of its `age1pq1…` recipient.
    const PINNED_ZERO_CODE_HYBRID_PREFIX: &str = "age1pq1qqmnvxf5s20wjm57p2twmvdl0y9vzwgfk";
    /// SHA-256 of its full `age1pq1…` recipient string.
    const PINNED_ZERO_CODE_HYBRID_SHA256: &str =
        "d1d726ec7775418f858e8ad3021c1b1c0e35e5a5fb71a3c2ee9a6d27edea57bb";

    fn sha256(bytes: &[u8]) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(bytes).into()
    }

    fn hex_of(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
