//! What a server can learn of an age file it holds no key for: that its
//! header parses, which recipient stanzas it carries and whether each is
//! well formed, and, from the payload's length, the exact plaintext length.
//! A client that encrypts before it sends (the reporter's browser) is
//! checked this way; nothing here decrypts.

use std::io::Cursor;

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;

use crate::error::{DecryptError, HeaderError};
use crate::format::Header;
use crate::stream::{CHUNK_SIZE, PAYLOAD_NONCE_SIZE};
use crate::{hybrid, x25519};

/// Bytes of a STREAM chunk's authentication tag.
const TAG_SIZE: u64 = 16;

/// The kind of a well-formed recipient stanza.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StanzaKind {
    /// `X25519`: a 32-byte ephemeral share and a 32-byte body.
    X25519,
    /// `mlkem768x25519`: a 1120-byte encapsulation and a 32-byte body.
    Hybrid,
}

/// An age file's header, inspected without a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    /// One entry per stanza: its kind, or `None` for any other stanza type
    /// or one whose arguments or body have the wrong shape.
    pub stanzas: Vec<Option<StanzaKind>>,
    /// Bytes of the header, up to and including its MAC line.
    pub header_len: usize,
}

impl Inspected {
    /// True if the file has exactly one stanza, well formed, of `kind`.
    pub fn is_single(&self, kind: StanzaKind) -> bool {
        self.stanzas.as_slice() == [Some(kind)]
    }
}

fn decoded_len(arg: &str) -> Option<usize> {
    STANDARD_NO_PAD.decode(arg).ok().map(|v| v.len())
}

fn kind_of(stanza: &crate::Stanza) -> Option<StanzaKind> {
    let [arg] = stanza.args.as_slice() else {
        return None;
    };
    let (kind, arg_len, body_len) = match stanza.tag.as_str() {
        x25519::STANZA_TAG => (StanzaKind::X25519, 32, 32),
        hybrid::STANZA_TAG => (StanzaKind::Hybrid, hybrid::ENC_SIZE, hybrid::BODY_SIZE),
        _ => return None,
    };
    (decoded_len(arg) == Some(arg_len) && stanza.body.len() == body_len).then_some(kind)
}

/// Parses the binary (not armored) age header at the start of `prefix`,
/// which must hold the whole header; the payload may follow or not.
pub fn inspect_header(prefix: &[u8]) -> Result<Inspected, DecryptError> {
    let mut cursor = Cursor::new(prefix);
    let header = Header::read(&mut cursor)?;
    // Invariant: the cursor never moves past the slice it reads.
    let header_len = usize::try_from(cursor.position()).map_err(|_| HeaderError::TooLarge)?;
    Ok(Inspected {
        stanzas: header.stanzas.iter().map(kind_of).collect(),
        header_len,
    })
}

/// The plaintext length of a payload of `payload_len` bytes (the nonce and
/// the STREAM chunks), or `None` if no valid payload has that length: a
/// payload is the 16-byte nonce and one or more chunks of up to 64 KiB plus
/// a 16-byte tag, where only the last may be shorter, and it may be empty
/// only if it is the only one.
pub fn plaintext_len(payload_len: u64) -> Option<u64> {
    let chunks = payload_len.checked_sub(PAYLOAD_NONCE_SIZE as u64)?;
    let sealed = CHUNK_SIZE as u64 + TAG_SIZE;
    let full = chunks / sealed;
    let rest = chunks % sealed;
    match rest {
        0 if full > 0 => Some(full * CHUNK_SIZE as u64),
        0 => None,
        r if r < TAG_SIZE => None,
        r if r == TAG_SIZE && full > 0 => None,
        r => Some(full * CHUNK_SIZE as u64 + (r - TAG_SIZE)),
    }
}

/// The plaintext length of the whole binary age file `file`.
pub fn file_plaintext_len(file: &[u8]) -> Result<(Inspected, u64), DecryptError> {
    let inspected = inspect_header(file)?;
    let payload = (file.len() - inspected.header_len) as u64;
    let len = plaintext_len(payload).ok_or(DecryptError::Payload)?;
    Ok((inspected, len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{encrypt, HybridIdentity, Recipient, X25519Identity};

    #[test]
    fn lengths_of_real_files_are_known_from_their_size() {
        let id = X25519Identity::generate();
        let r = id.to_public();
        for size in [
            0usize,
            1,
            100,
            65535,
            65536,
            65537,
            2 * 65536,
            2 * 65536 + 5,
        ] {
            let plain = vec![7u8; size];
            let file = encrypt(&[&r as &dyn Recipient], &plain).unwrap();
            let (inspected, len) = file_plaintext_len(&file).unwrap();
            assert_eq!(len, size as u64, "size {size}");
            assert!(inspected.is_single(StanzaKind::X25519));
            assert!(!inspected.is_single(StanzaKind::Hybrid));
        }
    }

    #[test]
    fn hybrid_and_multiple_stanzas_are_told_apart() {
        let a = HybridIdentity::generate().to_public();
        let b = HybridIdentity::generate().to_public();
        let one = encrypt(&[&a as &dyn Recipient], b"x").unwrap();
        assert!(inspect_header(&one).unwrap().is_single(StanzaKind::Hybrid));
        let two = encrypt(&[&a as &dyn Recipient, &b], b"x").unwrap();
        let inspected = inspect_header(&two).unwrap();
        assert_eq!(inspected.stanzas, [Some(StanzaKind::Hybrid); 2]);
        assert!(!inspected.is_single(StanzaKind::Hybrid));
    }

    #[test]
    fn impossible_payload_lengths_are_refused() {
        let sealed = 65536 + 16;
        assert_eq!(plaintext_len(15), None);
        assert_eq!(plaintext_len(16), None, "no chunk at all");
        assert_eq!(plaintext_len(16 + 15), None, "shorter than a tag");
        assert_eq!(plaintext_len(16 + 16), Some(0), "the one empty chunk");
        assert_eq!(plaintext_len(16 + sealed + 16), None, "an empty last chunk");
        assert_eq!(plaintext_len(16 + sealed), Some(65536));
        assert_eq!(plaintext_len(16 + sealed + 17), Some(65537));
    }

    #[test]
    fn garbage_and_truncated_headers_are_errors() {
        assert!(inspect_header(b"hello").is_err());
        let r = X25519Identity::generate().to_public();
        let file = encrypt(&[&r as &dyn Recipient], b"abc").unwrap();
        let header_len = inspect_header(&file).unwrap().header_len;
        assert!(inspect_header(&file[..header_len - 5]).is_err());
        // Cut short of its one chunk's tag (a cut inside a chunk leaves a
        // valid length: only the key can tell).
        assert!(file_plaintext_len(&file[..file.len() - 20]).is_err());
    }
}
