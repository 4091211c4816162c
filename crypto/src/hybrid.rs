//! Post-quantum hybrid recipients and identities (age v1.3 "mlkem768x25519"
//! stanzas, C2SP age §"The MLKEM768-X25519 hybrid post-quantum recipient type").
//!
//! # Keys
//!
//! An identity is a 32-byte seed, encoded in Bech32 as `AGE-SECRET-KEY-PQ-1…`.
//! It expands as the MLKEM768-X25519 KEM of draft-ietf-hpke-pq (X-Wing) does:
//! `SHAKE256(seed)` gives 96 bytes, the first 64 are the ML-KEM-768 seed
//! `d || z` (FIPS 203 `ML-KEM.KeyGen_internal`), the next 32 the X25519 secret.
//! The recipient is `ek_ML-KEM (1184 bytes) || X25519(secret, basepoint) (32 bytes)`,
//! encoded in Bech32 (no length limit) as `age1pq1…`.
//!
//! # Stanza
//!
//! `-> mlkem768x25519 base64(enc)` with `body = ct`, where `(enc, ct)` is HPKE
//! `SealBase` (RFC 9180 §6.1) with KEM MLKEM768-X25519 (id `0x647a`), KDF
//! HKDF-SHA256 (`0x0001`), AEAD ChaCha20Poly1305 (`0x0003`),
//! `info = "age-encryption.org/mlkem768x25519"`, empty `aad`, and the file key
//! as plaintext. The KEM:
//!
//! ```text
//! (ct_M, ss_M) = ML-KEM-768.Encaps(ek_M)        ct_X = X25519(e, basepoint)
//! ss_X = X25519(e, pk_X)  (rejected if all zero)  enc = ct_M || ct_X (1120 bytes)
//! shared_secret = SHA3-256(ss_M || ss_X || ct_X || pk_X || "\.//^\")
//! ```
//!
//! A stanza of this type with other than one argument, an `enc` that is not
//! the canonical base64 of 1120 bytes, a body other than 32 bytes, or an all-zero
//! X25519 share is invalid; a body that does not authenticate is "not mine"
//! (ML-KEM rejects implicitly, so a wrong key looks like a wrong tag).
//!
//! The spec says a file should not be encrypted both to these recipients and to
//! recipients that are not post-quantum: [`crate::Encryptor`] refuses the mix.
//! Decrypting a file with mixed stanzas is allowed.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use hkdf::Hkdf;
use ml_kem::ml_kem_768::{Ciphertext, DecapsulationKey, EncapsulationKey};
use ml_kem::{Decapsulate, KeyExport, B32};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::Sha256;
use sha3::{Digest, Sha3_256};
use shake::{ExtendableOutput, Shake256, Update, XofReader};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{EncryptError, HeaderError, KeyError};
use crate::format::Stanza;
use crate::primitives::{aead_open, aead_seal};
use crate::{bech32, FileKey, Identity, Recipient, UnwrapResult};

/// Stanza type of hybrid recipients.
pub(crate) const STANZA_TAG: &str = "mlkem768x25519";
/// HPKE `info` of the stanza.
const HPKE_INFO: &[u8] = b"age-encryption.org/mlkem768x25519";
/// Bech32 prefix of recipients.
const RECIPIENT_PREFIX: &str = "age1pq";
/// Bech32 prefix of identities (encoded upper-case).
const IDENTITY_PREFIX: &str = "age-secret-key-pq-";
/// The X-Wing combiner label, `\./` followed by `/^\`.
const XWING_LABEL: &[u8] = b"\\.//^\\";
/// HPKE suite: `"HPKE" || kem_id 0x647a || kdf_id 0x0001 || aead_id 0x0003`.
const SUITE_ID: &[u8] = b"HPKE\x64\x7a\x00\x01\x00\x03";
/// HPKE version label of every labeled KDF call (RFC 9180 §4).
const HPKE_VERSION: &[u8] = b"HPKE-v1";

/// Bytes of an identity seed.
const SEED_SIZE: usize = 32;
/// Bytes of an ML-KEM-768 encapsulation key.
const MLKEM_KEY_SIZE: usize = 1184;
/// Bytes of an ML-KEM-768 ciphertext.
const MLKEM_CT_SIZE: usize = 1088;
/// Bytes of an X25519 point.
const X25519_SIZE: usize = 32;
/// Bytes of a recipient (public key).
const PUBLIC_KEY_SIZE: usize = MLKEM_KEY_SIZE + X25519_SIZE;
/// Bytes of the encapsulated key `enc`.
pub(crate) const ENC_SIZE: usize = MLKEM_CT_SIZE + X25519_SIZE;
/// Bytes of a stanza body: a 16-byte file key and a 16-byte tag.
pub(crate) const BODY_SIZE: usize = 32;

/// A hybrid ML-KEM-768 + X25519 identity. The seed and the keys expanded from it
/// once are zeroized on drop; it has no `Debug`.
pub struct HybridIdentity {
    seed: Zeroizing<[u8; SEED_SIZE]>,
    mlkem: Box<DecapsulationKey>,
    x25519: StaticSecret,
    public: HybridRecipient,
}

impl Clone for HybridIdentity {
    /// A copy, expanded again from the seed (both copies are zeroized on drop).
    fn clone(&self) -> Self {
        Self::from_seed(*self.seed)
    }
}

impl HybridIdentity {
    /// Generates a new identity from the operating system's random number generator.
    pub fn generate() -> Self {
        let mut seed = Zeroizing::new([0u8; SEED_SIZE]);
        OsRng.fill_bytes(seed.as_mut());
        Self::from_seed(*seed)
    }

    /// Builds an identity from its 32-byte seed, expanding the keys once.
    pub fn from_seed(seed: [u8; SEED_SIZE]) -> Self {
        let seed = Zeroizing::new(seed);
        let mut expanded = Zeroizing::new([0u8; 96]);
        let mut xof = Shake256::default();
        xof.update(seed.as_ref());
        xof.finalize_xof().read(expanded.as_mut());

        let mut mlkem_seed = ml_kem::Seed::default();
        mlkem_seed.copy_from_slice(&expanded[..64]);
        let mlkem = Box::new(DecapsulationKey::from_seed(mlkem_seed));
        mlkem_seed.as_mut_slice().zeroize();

        let mut x25519_bytes = Zeroizing::new([0u8; X25519_SIZE]);
        x25519_bytes.copy_from_slice(&expanded[64..]);
        let x25519 = StaticSecret::from(*x25519_bytes);

        let public = HybridRecipient::from_parts(
            mlkem.encapsulation_key().clone(),
            PublicKey::from(&x25519),
        );
        HybridIdentity {
            seed,
            mlkem,
            x25519,
            public,
        }
    }

    /// The recipient (public key) of this identity.
    pub fn to_public(&self) -> HybridRecipient {
        self.public.clone()
    }

    /// The standard `AGE-SECRET-KEY-PQ-1…` encoding. Handle with care: it is the secret.
    pub fn to_bech32(&self) -> Zeroizing<String> {
        let lower = bech32::encode(IDENTITY_PREFIX, self.seed.as_ref());
        Zeroizing::new(lower.to_ascii_uppercase())
    }

    /// Parses the standard `AGE-SECRET-KEY-PQ-1…` encoding.
    pub fn from_bech32(s: &str) -> Result<Self, KeyError> {
        let (hrp, data) = bech32::decode(s).ok_or(KeyError::Encoding)?;
        if hrp != IDENTITY_PREFIX {
            return Err(KeyError::WrongType);
        }
        if !s.starts_with("AGE-") {
            // The identity encoding is upper case by definition.
            return Err(KeyError::Encoding);
        }
        let seed: [u8; SEED_SIZE] = data.as_slice().try_into().map_err(|_| KeyError::Length)?;
        Ok(Self::from_seed(seed))
    }

    /// The KEM shared secret for `enc`; `None` if the X25519 share is low order.
    fn decapsulate(&self, enc: &[u8; ENC_SIZE]) -> Option<Zeroizing<[u8; 32]>> {
        let (ct_m, ct_x) = enc.split_at(MLKEM_CT_SIZE);
        let ct_m = Ciphertext::try_from(ct_m).ok()?;
        let mut ss_m = self.mlkem.decapsulate(&ct_m);
        let ct_x: [u8; X25519_SIZE] = ct_x.try_into().ok()?;
        let ss_x = self.x25519.diffie_hellman(&PublicKey::from(ct_x));
        let shared = if ss_x.was_contributory() {
            Some(combine(
                ss_m.as_slice(),
                ss_x.as_bytes(),
                &ct_x,
                self.public.x25519.as_bytes(),
            ))
        } else {
            None
        };
        ss_m.as_mut_slice().zeroize();
        shared
    }
}

impl Identity for HybridIdentity {
    fn unwrap_stanza(&self, stanza: &Stanza) -> UnwrapResult {
        if stanza.tag != STANZA_TAG {
            return UnwrapResult::NotMine;
        }
        let invalid = || UnwrapResult::Invalid(HeaderError::InvalidStanza(STANZA_TAG));
        let [enc_b64] = stanza.args.as_slice() else {
            return invalid();
        };
        let Ok(enc) = STANDARD_NO_PAD.decode(enc_b64) else {
            return invalid();
        };
        let Ok(enc): Result<[u8; ENC_SIZE], _> = enc.try_into() else {
            return invalid();
        };
        // Checked before any decryption, against partitioning oracles.
        if stanza.body.len() != BODY_SIZE {
            return invalid();
        }
        let Some(shared) = self.decapsulate(&enc) else {
            return invalid();
        };
        let (key, nonce) = key_schedule(&shared);
        match aead_open(&key, &nonce, &stanza.body) {
            Some(plain) => match FileKey::from_slice(&plain) {
                Some(key) => UnwrapResult::Key(key),
                None => invalid(),
            },
            None => UnwrapResult::NotMine,
        }
    }
}

/// A hybrid ML-KEM-768 + X25519 recipient, encoded `age1pq1…`.
#[derive(Clone)]
pub struct HybridRecipient {
    mlkem: Box<EncapsulationKey>,
    x25519: PublicKey,
    bytes: Box<[u8; PUBLIC_KEY_SIZE]>,
}

impl HybridRecipient {
    fn from_parts(mlkem: EncapsulationKey, x25519: PublicKey) -> Self {
        let mut bytes = Box::new([0u8; PUBLIC_KEY_SIZE]);
        bytes[..MLKEM_KEY_SIZE].copy_from_slice(mlkem.to_bytes().as_slice());
        bytes[MLKEM_KEY_SIZE..].copy_from_slice(x25519.as_bytes());
        HybridRecipient {
            mlkem: Box::new(mlkem),
            x25519,
            bytes,
        }
    }

    /// The 1216 public-key bytes: the ML-KEM-768 encapsulation key, then the X25519 point.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_slice()
    }

    /// Builds a recipient from its 1216 public-key bytes; the ML-KEM part must
    /// pass the FIPS 203 encapsulation-key check.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() != PUBLIC_KEY_SIZE {
            return Err(KeyError::Length);
        }
        let (ek, pk) = bytes.split_at(MLKEM_KEY_SIZE);
        let ek = ml_kem::Key::<EncapsulationKey>::try_from(ek).map_err(|_| KeyError::Length)?;
        let mlkem = EncapsulationKey::new(&ek).map_err(|_| KeyError::Invalid)?;
        let pk: [u8; X25519_SIZE] = pk.try_into().map_err(|_| KeyError::Length)?;
        Ok(Self::from_parts(mlkem, PublicKey::from(pk)))
    }

    /// A fresh KEM encapsulation: `(enc, shared secret)`, or `None` for a low-order X25519 key.
    fn encapsulate(&self) -> Option<([u8; ENC_SIZE], Zeroizing<[u8; 32]>)> {
        let mut m = B32::default();
        OsRng.fill_bytes(m.as_mut_slice());
        let (ct_m, mut ss_m) = self.mlkem.encapsulate_deterministic(&m);
        m.as_mut_slice().zeroize();
        let ephemeral = StaticSecret::random_from_rng(OsRng);
        let ct_x = PublicKey::from(&ephemeral);
        let ss_x = ephemeral.diffie_hellman(&self.x25519);
        let result = if ss_x.was_contributory() {
            let shared = combine(
                ss_m.as_slice(),
                ss_x.as_bytes(),
                ct_x.as_bytes(),
                self.x25519.as_bytes(),
            );
            let mut enc = [0u8; ENC_SIZE];
            enc[..MLKEM_CT_SIZE].copy_from_slice(ct_m.as_slice());
            enc[MLKEM_CT_SIZE..].copy_from_slice(ct_x.as_bytes());
            Some((enc, shared))
        } else {
            None
        };
        ss_m.as_mut_slice().zeroize();
        result
    }
}

impl Recipient for HybridRecipient {
    fn wrap_file_key(&self, file_key: &FileKey) -> Result<Vec<Stanza>, EncryptError> {
        let (enc, shared) = self.encapsulate().ok_or(EncryptError::InvalidRecipient)?;
        let (key, nonce) = key_schedule(&shared);
        Ok(vec![Stanza {
            tag: STANZA_TAG.to_owned(),
            args: vec![STANDARD_NO_PAD.encode(enc)],
            body: aead_seal(&key, &nonce, file_key.as_bytes()),
        }])
    }

    fn is_post_quantum(&self) -> bool {
        true
    }
}

impl PartialEq for HybridRecipient {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for HybridRecipient {}

impl fmt::Display for HybridRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bech32::encode(RECIPIENT_PREFIX, self.as_bytes()))
    }
}

impl fmt::Debug for HybridRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HybridRecipient({self})")
    }
}

impl FromStr for HybridRecipient {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(KeyError::Encoding);
        }
        let (hrp, data) = bech32::decode(s).ok_or(KeyError::Encoding)?;
        if hrp != RECIPIENT_PREFIX {
            return Err(KeyError::WrongType);
        }
        Self::from_bytes(&data)
    }
}

/// The X-Wing combiner:
/// `SHA3-256(ss_M || ss_X || ct_X || pk_X || XWING_LABEL)` (draft-ietf-hpke-pq).
fn combine(ss_m: &[u8], ss_x: &[u8], ct_x: &[u8], pk_x: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut h = Sha3_256::new();
    Digest::update(&mut h, ss_m);
    Digest::update(&mut h, ss_x);
    Digest::update(&mut h, ct_x);
    Digest::update(&mut h, pk_x);
    Digest::update(&mut h, XWING_LABEL);
    let mut digest = h.finalize();
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(digest.as_slice());
    digest.as_mut_slice().zeroize();
    out
}

/// RFC 9180 §4 `LabeledExtract(salt, label, ikm)
/// = HKDF-Extract(salt, "HPKE-v1" || suite_id || label || ikm)`.
fn labeled_extract(salt: &[u8], label: &[u8], ikm: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut labeled = Zeroizing::new(Vec::with_capacity(
        HPKE_VERSION.len() + SUITE_ID.len() + label.len() + ikm.len(),
    ));
    labeled.extend_from_slice(HPKE_VERSION);
    labeled.extend_from_slice(SUITE_ID);
    labeled.extend_from_slice(label);
    labeled.extend_from_slice(ikm);
    let (mut prk, _) = Hkdf::<Sha256>::extract(Some(salt), &labeled);
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(prk.as_slice());
    prk.as_mut_slice().zeroize();
    out
}

/// RFC 9180 §4 `LabeledExpand(prk, label, info, L)
/// = HKDF-Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L)`.
fn labeled_expand(prk: &[u8; 32], label: &[u8], info: &[u8], out: &mut [u8]) {
    let mut labeled = Vec::with_capacity(2 + HPKE_VERSION.len() + SUITE_ID.len() + label.len());
    // Invariant: callers ask for 12 or 32 bytes.
    labeled.extend_from_slice(&u16::try_from(out.len()).unwrap_or(u16::MAX).to_be_bytes());
    labeled.extend_from_slice(HPKE_VERSION);
    labeled.extend_from_slice(SUITE_ID);
    labeled.extend_from_slice(label);
    labeled.extend_from_slice(info);
    // Invariant: a 32-byte PRK is valid for HKDF-SHA-256, and 12 or 32 bytes
    // are far below its 255 * 32-byte output limit.
    #[allow(clippy::expect_used)]
    Hkdf::<Sha256>::from_prk(prk)
        .expect("a 32-byte PRK is valid for HKDF-SHA-256")
        .expand(&labeled, out)
        .expect("12 or 32 bytes is a valid HKDF-SHA-256 output length");
}

/// RFC 9180 §5.1 `KeySchedule` in base mode (no PSK): the AEAD key and base
/// nonce for the first (and only) message of a context.
///
/// `key_schedule_context = 0x00 || LabeledExtract("", "psk_id_hash", "")
/// || LabeledExtract("", "info_hash", info)`,
/// `secret = LabeledExtract(shared_secret, "secret", "")`,
/// `key = LabeledExpand(secret, "key", context, 32)`,
/// `base_nonce = LabeledExpand(secret, "base_nonce", context, 12)`.
fn key_schedule(shared_secret: &[u8; 32]) -> (Zeroizing<[u8; 32]>, [u8; 12]) {
    let psk_id_hash = labeled_extract(b"", b"psk_id_hash", b"");
    let info_hash = labeled_extract(b"", b"info_hash", HPKE_INFO);
    let mut context = [0u8; 65];
    context[1..33].copy_from_slice(psk_id_hash.as_ref());
    context[33..].copy_from_slice(info_hash.as_ref());
    let secret = labeled_extract(shared_secret, b"secret", b"");
    let mut key = Zeroizing::new([0u8; 32]);
    labeled_expand(&secret, b"key", &context, key.as_mut());
    let mut nonce = [0u8; 12];
    labeled_expand(&secret, b"base_nonce", &context, &mut nonce);
    (key, nonce)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decrypt, encrypt, DecryptError, X25519Identity};

    /// The identity of the C2SP `hybrid*` vectors.
    const VECTOR_IDENTITY: &str =
        "AGE-SECRET-KEY-PQ-1HZLGZUPT4ETPKDEV8HSGFDCYZ4E522W0A7PU2LHT8EH9W6YLNC3SW78XKG";

    fn unwrap(id: &HybridIdentity, stanza: &Stanza) -> UnwrapResult {
        id.unwrap_stanza(stanza)
    }

    fn stanza_for(recipient: &HybridRecipient, key: &FileKey) -> Stanza {
        let mut stanzas = recipient.wrap_file_key(key).expect("wraps");
        assert_eq!(stanzas.len(), 1);
        stanzas.remove(0)
    }

    #[test]
    fn wraps_and_unwraps_a_file_key() {
        let id = HybridIdentity::generate();
        let key = FileKey::generate();
        let stanza = stanza_for(&id.to_public(), &key);
        assert_eq!(stanza.tag, STANZA_TAG);
        assert_eq!(stanza.args.len(), 1);
        assert_eq!(stanza.body.len(), BODY_SIZE);
        match unwrap(&id, &stanza) {
            UnwrapResult::Key(k) => assert_eq!(k.as_bytes(), key.as_bytes()),
            _ => panic!("did not unwrap"),
        }
    }

    #[test]
    fn another_key_is_not_mine() {
        let key = FileKey::generate();
        let stanza = stanza_for(&HybridIdentity::generate().to_public(), &key);
        assert!(matches!(
            unwrap(&HybridIdentity::generate(), &stanza),
            UnwrapResult::NotMine
        ));
        let x25519_stanza = X25519Identity::generate()
            .to_public()
            .wrap_file_key(&key)
            .expect("wraps")
            .remove(0);
        assert!(matches!(
            unwrap(&HybridIdentity::generate(), &x25519_stanza),
            UnwrapResult::NotMine
        ));
    }

    #[test]
    fn malformed_stanzas_are_invalid() {
        let id = HybridIdentity::generate();
        let good = stanza_for(&id.to_public(), &FileKey::generate());
        let enc = STANDARD_NO_PAD.decode(&good.args[0]).expect("base64");
        let mut cases = Vec::new();
        let mut extra = good.clone();
        extra.args.push("1234".into());
        cases.push(extra);
        let mut none = good.clone();
        none.args.clear();
        cases.push(none);
        let mut short = good.clone();
        short.args[0] = STANDARD_NO_PAD.encode(&enc[..ENC_SIZE - 1]);
        cases.push(short);
        let mut long = good.clone();
        let mut longer = enc.clone();
        longer.push(0);
        long.args[0] = STANDARD_NO_PAD.encode(&longer);
        cases.push(long);
        let mut padded = good.clone();
        padded.args[0].push('=');
        cases.push(padded);
        let mut body = good.clone();
        body.body.push(0);
        cases.push(body);
        let mut low_order = good.clone();
        let mut zero_share = enc.clone();
        zero_share[MLKEM_CT_SIZE..].fill(0);
        low_order.args[0] = STANDARD_NO_PAD.encode(&zero_share);
        cases.push(low_order);
        for (i, stanza) in cases.iter().enumerate() {
            assert!(
                matches!(
                    unwrap(&id, stanza),
                    UnwrapResult::Invalid(HeaderError::InvalidStanza(STANZA_TAG))
                ),
                "case {i}"
            );
        }
        let mut tag = good.clone();
        tag.body[31] ^= 1;
        assert!(matches!(unwrap(&id, &tag), UnwrapResult::NotMine));
    }

    #[test]
    fn identity_and_recipient_round_trip_through_bech32() {
        let id = HybridIdentity::generate();
        let encoded = id.to_bech32();
        assert!(encoded.starts_with("AGE-SECRET-KEY-PQ-1"));
        let back = HybridIdentity::from_bech32(&encoded).expect("parses");
        assert_eq!(back.to_public(), id.to_public());

        let recipient = id.to_public().to_string();
        assert!(recipient.starts_with("age1pq1"));
        assert!(recipient.len() > 1900, "no Bech32 length limit");
        let parsed: HybridRecipient = recipient.parse().expect("parses");
        assert_eq!(parsed, id.to_public());
        assert_eq!(
            HybridRecipient::from_bytes(parsed.as_bytes()).expect("bytes"),
            parsed
        );
        assert_eq!(
            recipient.to_ascii_uppercase().parse::<HybridRecipient>(),
            Err(KeyError::Encoding)
        );
        assert!(HybridIdentity::from_bech32(&encoded.to_ascii_lowercase()).is_err());
        assert!(matches!(
            HybridIdentity::from_bech32(&X25519Identity::generate().to_bech32()),
            Err(KeyError::WrongType)
        ));
        assert_eq!(
            X25519Identity::generate()
                .to_public()
                .to_string()
                .parse::<HybridRecipient>(),
            Err(KeyError::WrongType)
        );
        let debug = format!("{parsed:?}");
        assert_eq!(debug, format!("HybridRecipient({recipient})"));
    }

    #[test]
    fn an_invalid_ml_kem_key_is_rejected() {
        let mut bytes = HybridIdentity::generate().to_public().as_bytes().to_vec();
        // The first 12-bit coefficient becomes 4095 >= q = 3329.
        bytes[0] = 0xff;
        bytes[1] |= 0x0f;
        assert_eq!(
            HybridRecipient::from_bytes(&bytes).err(),
            Some(KeyError::Invalid)
        );
        assert_eq!(
            HybridRecipient::from_bytes(&bytes[1..]).err(),
            Some(KeyError::Length)
        );
    }

    #[test]
    fn the_vector_identity_expands_as_age_does() {
        // The recipient of the C2SP vector identity, pinned by the SHA-256 of its
        // string as the TypeScript age-encryption 0.3.1 computes it.
        let id = HybridIdentity::from_bech32(VECTOR_IDENTITY).expect("parses");
        assert_eq!(id.to_bech32().as_str(), VECTOR_IDENTITY);
        let recipient = id.to_public().to_string();
        let digest = <sha2::Sha256 as sha2::Digest>::digest(recipient.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, PINNED_VECTOR_RECIPIENT_SHA256);
    }

    /// SHA-256 of the `age1pq1…` recipient of [`VECTOR_IDENTITY`] (1959 characters).
    const PINNED_VECTOR_RECIPIENT_SHA256: &str =
        "3391361ba4a3d211173b3161b1460630cee790d95b732cd447313243226cb082";

    #[test]
    fn files_round_trip_and_mixing_is_refused() {
        let a = HybridIdentity::generate();
        let b = HybridIdentity::generate();
        let file = encrypt(&[&a.to_public(), &b.to_public()], b"report").expect("encrypts");
        assert_eq!(decrypt(&[&b], &file).expect("b").as_slice(), b"report");
        assert_eq!(decrypt(&[&a], &file).expect("a").as_slice(), b"report");
        assert!(matches!(
            decrypt(&[&HybridIdentity::generate()], &file),
            Err(DecryptError::NoMatch)
        ));

        let classic = X25519Identity::generate();
        assert!(matches!(
            encrypt(&[&a.to_public(), &classic.to_public()], b"x"),
            Err(EncryptError::MixedPostQuantum)
        ));
        assert!(matches!(
            encrypt(&[&classic.to_public(), &a.to_public()], b"x"),
            Err(EncryptError::MixedPostQuantum)
        ));
    }

    #[test]
    fn a_file_with_mixed_stanzas_decrypts_with_either_identity() {
        // Written by hand as another implementation might: decryption must accept it.
        let hybrid = HybridIdentity::generate();
        let classic = X25519Identity::generate();
        let key = FileKey::generate();
        let mut stanzas = classic.to_public().wrap_file_key(&key).expect("wraps");
        stanzas.extend(hybrid.to_public().wrap_file_key(&key).expect("wraps"));
        let header = crate::format::Header::new(&key, stanzas);
        let mut file = Vec::new();
        header.write(&mut file).expect("writes");
        let nonce = [9u8; crate::stream::PAYLOAD_NONCE_SIZE];
        file.extend_from_slice(&nonce);
        let mut writer = crate::stream::StreamWriter::new(file, &key, &nonce);
        std::io::Write::write_all(&mut writer, b"mixed").expect("writes");
        let file = writer.finish().expect("finishes");
        assert_eq!(
            decrypt(&[&hybrid], &file).expect("hybrid").as_slice(),
            b"mixed"
        );
        assert_eq!(
            decrypt(&[&classic], &file).expect("x25519").as_slice(),
            b"mixed"
        );
    }
}
