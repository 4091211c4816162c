//! The age v1 header: version line, recipient stanzas and the header MAC.
//!
//! Parsing is strict and canonical (the spec's grammar, base64 without padding
//! and without non-zero trailing bits), so a parsed header re-encodes to exactly
//! the bytes that were read.

use std::io::{BufRead, Write};

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use hmac::Mac;

use crate::error::{DecryptError, HeaderError};
use crate::primitives::{hkdf, hmac};
use crate::FileKey;

/// The first line of every age v1 file.
pub(crate) const VERSION_LINE: &[u8] = b"age-encryption.org/v1";
/// Domain-separation label of the header MAC key: `HKDF(ikm = file key, salt = "", info = "header")`.
const HEADER_MAC_LABEL: &[u8] = b"header";
/// Columns of a full stanza body line.
const BODY_COLUMNS: usize = 64;
/// Longest header line accepted, so a hostile header cannot exhaust memory.
const MAX_LINE: usize = 8 * 1024;
/// Most stanzas accepted in one header.
const MAX_STANZAS: usize = 4096;

/// One recipient stanza: a type, its arguments and a binary body.
#[derive(Clone, PartialEq, Eq)]
pub struct Stanza {
    /// The stanza type, such as `X25519` or `scrypt`.
    pub tag: String,
    /// The arguments after the type.
    pub args: Vec<String>,
    /// The decoded body.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Stanza {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stanza")
            .field("tag", &self.tag)
            .field("args", &self.args)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl Stanza {
    fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"-> ");
        out.extend_from_slice(self.tag.as_bytes());
        for arg in &self.args {
            out.push(b' ');
            out.extend_from_slice(arg.as_bytes());
        }
        out.push(b'\n');
        let encoded = STANDARD_NO_PAD.encode(&self.body);
        let mut chunks = encoded.as_bytes().chunks(BODY_COLUMNS).peekable();
        let mut last_full = true;
        while let Some(line) = chunks.next() {
            out.extend_from_slice(line);
            out.push(b'\n');
            last_full = line.len() == BODY_COLUMNS;
            if chunks.peek().is_none() {
                break;
            }
        }
        if last_full {
            // A stanza always ends with a short line, empty if need be.
            out.push(b'\n');
        }
    }
}

/// A parsed header.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    pub(crate) stanzas: Vec<Stanza>,
    pub(crate) mac: [u8; 32],
}

impl Header {
    /// The bytes the MAC covers: everything up to and including `---`.
    fn mac_input(stanzas: &[Stanza]) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + stanzas.len() * 128);
        out.extend_from_slice(VERSION_LINE);
        out.push(b'\n');
        for s in stanzas {
            s.write_to(&mut out);
        }
        out.extend_from_slice(b"---");
        out
    }

    fn compute_mac(file_key: &FileKey, stanzas: &[Stanza]) -> hmac::Hmac<sha2::Sha256> {
        let key = hkdf(&[], file_key.as_bytes(), HEADER_MAC_LABEL);
        let mut mac = hmac(key.as_ref());
        mac.update(&Self::mac_input(stanzas));
        mac
    }

    /// Builds the header for `stanzas`, authenticated under `file_key`.
    pub(crate) fn new(file_key: &FileKey, stanzas: Vec<Stanza>) -> Self {
        let mac = Self::compute_mac(file_key, &stanzas)
            .finalize()
            .into_bytes();
        Header {
            stanzas,
            mac: mac.into(),
        }
    }

    /// Checks the header MAC in constant time.
    pub(crate) fn verify_mac(&self, file_key: &FileKey) -> Result<(), DecryptError> {
        Self::compute_mac(file_key, &self.stanzas)
            .verify_slice(&self.mac)
            .map_err(|_| DecryptError::HeaderMac)
    }

    /// Writes the encoded header, including the trailing newline.
    pub(crate) fn write<W: Write>(&self, mut w: W) -> std::io::Result<()> {
        let mut out = Self::mac_input(&self.stanzas);
        out.push(b' ');
        out.extend_from_slice(STANDARD_NO_PAD.encode(self.mac).as_bytes());
        out.push(b'\n');
        w.write_all(&out)
    }

    /// Reads and parses a header from `r`, leaving `r` at the first payload byte.
    pub(crate) fn read<R: BufRead>(r: &mut R) -> Result<Self, DecryptError> {
        // Input without a first line at all is not an age file, rather than a truncated one.
        let first = match read_line(r) {
            Ok(Some(line)) => line,
            Ok(None) | Err(DecryptError::Header(HeaderError::Truncated)) => {
                return Err(HeaderError::NotAge.into())
            }
            Err(e) => return Err(e),
        };
        if first != VERSION_LINE {
            if first.starts_with(b"age-encryption.org/") {
                return Err(HeaderError::UnsupportedVersion.into());
            }
            return Err(HeaderError::NotAge.into());
        }
        let mut stanzas = Vec::new();
        loop {
            let line = read_line(r)?.ok_or(HeaderError::Truncated)?;
            if let Some(rest) = line.strip_prefix(b"-> ") {
                if stanzas.len() >= MAX_STANZAS {
                    return Err(HeaderError::TooLarge.into());
                }
                let (tag, args) = parse_stanza_args(rest)?;
                let body = read_body(r)?;
                stanzas.push(Stanza { tag, args, body });
            } else if let Some(rest) = line.strip_prefix(b"---") {
                let encoded = rest.strip_prefix(b" ").ok_or(HeaderError::Mac)?;
                if encoded.len() != 43 {
                    return Err(HeaderError::Mac.into());
                }
                let decoded = STANDARD_NO_PAD
                    .decode(encoded)
                    .map_err(|_| HeaderError::Mac)?;
                let mac: [u8; 32] = decoded.try_into().map_err(|_| HeaderError::Mac)?;
                return Ok(Header { stanzas, mac });
            } else {
                return Err(HeaderError::Malformed.into());
            }
        }
    }
}

fn is_vchar(b: u8) -> bool {
    (33..=126).contains(&b)
}

fn parse_stanza_args(rest: &[u8]) -> Result<(String, Vec<String>), HeaderError> {
    let mut parts = Vec::new();
    for part in rest.split(|&b| b == b' ') {
        if part.is_empty() || !part.iter().all(|&b| is_vchar(b)) {
            return Err(HeaderError::Malformed);
        }
        // Invariant: every byte is printable ASCII, checked just above.
        parts.push(String::from_utf8_lossy(part).into_owned());
    }
    let mut iter = parts.into_iter();
    let tag = iter.next().ok_or(HeaderError::Malformed)?;
    Ok((tag, iter.collect()))
}

fn read_body<R: BufRead>(r: &mut R) -> Result<Vec<u8>, DecryptError> {
    let mut encoded = Vec::new();
    loop {
        let line = read_line(r)?.ok_or(HeaderError::Truncated)?;
        if line.len() > BODY_COLUMNS {
            return Err(HeaderError::Malformed.into());
        }
        let short = line.len() < BODY_COLUMNS;
        encoded.extend_from_slice(&line);
        if short {
            break;
        }
    }
    let body = STANDARD_NO_PAD
        .decode(&encoded)
        .map_err(|_| HeaderError::Malformed)?;
    Ok(body)
}

/// Reads one `\n`-terminated line without the terminator; `None` at a clean EOF.
fn read_line<R: BufRead>(r: &mut R) -> Result<Option<Vec<u8>>, DecryptError> {
    let mut line = Vec::new();
    loop {
        let available = r.fill_buf().map_err(DecryptError::from_io)?;
        if available.is_empty() {
            if line.is_empty() {
                return Ok(None);
            }
            return Err(HeaderError::Truncated.into());
        }
        if let Some(pos) = available.iter().position(|&b| b == b'\n') {
            line.extend_from_slice(&available[..pos]);
            r.consume(pos + 1);
            if line.len() > MAX_LINE {
                return Err(HeaderError::TooLarge.into());
            }
            return Ok(Some(line));
        }
        let n = available.len();
        line.extend_from_slice(available);
        r.consume(n);
        if line.len() > MAX_LINE {
            return Err(HeaderError::TooLarge.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stanza(body_len: usize) -> Stanza {
        Stanza {
            tag: "X25519".into(),
            args: vec!["abc".into()],
            body: vec![7u8; body_len],
        }
    }

    #[test]
    fn header_round_trips_for_body_lengths_around_a_full_line() {
        let key = FileKey::from_bytes([1u8; 16]);
        for len in [0, 1, 47, 48, 49, 96, 100] {
            let header = Header::new(&key, vec![stanza(len), stanza(32)]);
            let mut bytes = Vec::new();
            header.write(&mut bytes).expect("write to vec");
            let parsed = Header::read(&mut bytes.as_slice()).expect("parses");
            assert_eq!(parsed.stanzas, header.stanzas, "body length {len}");
            parsed.verify_mac(&key).expect("mac verifies");
        }
    }

    #[test]
    fn mac_under_another_key_fails() {
        let header = Header::new(&FileKey::from_bytes([1u8; 16]), vec![stanza(32)]);
        let err = header
            .verify_mac(&FileKey::from_bytes([2u8; 16]))
            .expect_err("wrong key");
        assert!(matches!(err, DecryptError::HeaderMac));
    }

    #[test]
    fn overlong_line_is_rejected_without_reading_on() {
        let mut input = b"age-encryption.org/v1\n-> ".to_vec();
        input.extend(std::iter::repeat_n(b'a', MAX_LINE + 10));
        let err = Header::read(&mut input.as_slice()).expect_err("too long");
        assert!(matches!(err, DecryptError::Header(HeaderError::TooLarge)));
    }
}
