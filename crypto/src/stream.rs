//! The age v1 payload: a STREAM (Hoang, Reyhanitabar, Rogaway, Vizár 2015) of
//! ChaCha20-Poly1305 chunks.
//!
//! `payload key = HKDF-SHA-256(ikm = file key, salt = 16-byte nonce, info = "payload")`;
//! chunk `i` (64 KiB of plaintext, the last one possibly shorter) is sealed with
//! nonce `i` as an 11-byte big-endian counter followed by `0x01` for the last
//! chunk and `0x00` otherwise. The last chunk is empty only if the whole payload is.

use std::io::{self, Read, Write};

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, Tag};
use zeroize::{Zeroize, Zeroizing};

use crate::error::DecryptError;
use crate::primitives::hkdf;
use crate::FileKey;

/// Plaintext bytes per chunk.
pub(crate) const CHUNK_SIZE: usize = 64 * 1024;
const TAG_SIZE: usize = 16;
const ENCRYPTED_CHUNK_SIZE: usize = CHUNK_SIZE + TAG_SIZE;
/// Length of the payload nonce that follows the header.
pub(crate) const PAYLOAD_NONCE_SIZE: usize = 16;
/// Domain-separation label of the payload key.
const PAYLOAD_LABEL: &[u8] = b"payload";
/// The counter is 11 bytes wide.
const MAX_COUNTER: u128 = (1u128 << 88) - 1;

fn payload_cipher(file_key: &FileKey, nonce: &[u8; PAYLOAD_NONCE_SIZE]) -> ChaCha20Poly1305 {
    let key = hkdf(nonce, file_key.as_bytes(), PAYLOAD_LABEL);
    ChaCha20Poly1305::new(Key::from_slice(key.as_ref()))
}

fn chunk_nonce(counter: u128, last: bool) -> Nonce {
    let mut nonce = [0u8; 12];
    nonce[..11].copy_from_slice(&counter.to_be_bytes()[5..]);
    nonce[11] = u8::from(last);
    Nonce::from(nonce)
}

/// Seals one chunk in place and returns its tag. Not generic, so it is compiled
/// (and optimised) once here rather than in every crate that names a writer type.
#[inline(never)]
fn seal_chunk(
    cipher: &ChaCha20Poly1305,
    counter: u128,
    last: bool,
    chunk: &mut [u8],
) -> io::Result<Tag> {
    cipher
        .encrypt_in_place_detached(&chunk_nonce(counter, last), b"", chunk)
        .map_err(|_| io::Error::other("chunk encryption failed"))
}

/// Opens one chunk in place; false if it does not authenticate.
#[inline(never)]
fn open_chunk(
    cipher: &ChaCha20Poly1305,
    counter: u128,
    last: bool,
    chunk: &mut [u8],
    tag: &Tag,
) -> bool {
    cipher
        .decrypt_in_place_detached(&chunk_nonce(counter, last), b"", chunk, tag)
        .is_ok()
}

fn counter_overflow() -> io::Error {
    io::Error::other("the payload exceeds the STREAM chunk limit")
}

/// Encrypts everything written to it into `inner` as an age payload.
/// Call [`StreamWriter::finish`] to write the final chunk; dropping the writer
/// without it leaves a truncated file that will not decrypt.
pub struct StreamWriter<W: Write> {
    inner: W,
    cipher: ChaCha20Poly1305,
    buffer: Zeroizing<Vec<u8>>,
    counter: u128,
}

impl<W: Write> StreamWriter<W> {
    pub(crate) fn new(inner: W, file_key: &FileKey, nonce: &[u8; PAYLOAD_NONCE_SIZE]) -> Self {
        StreamWriter {
            inner,
            cipher: payload_cipher(file_key, nonce),
            buffer: Zeroizing::new(Vec::with_capacity(ENCRYPTED_CHUNK_SIZE)),
            counter: 0,
        }
    }

    fn seal_buffer(&mut self, last: bool) -> io::Result<()> {
        if self.counter > MAX_COUNTER {
            return Err(counter_overflow());
        }
        let tag = seal_chunk(&self.cipher, self.counter, last, self.buffer.as_mut_slice())?;
        self.inner.write_all(&self.buffer)?;
        self.inner.write_all(&tag)?;
        self.buffer.clear();
        self.counter += 1;
        Ok(())
    }

    /// Seals the final chunk, flushes, and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.seal_buffer(true)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for StreamWriter<W> {
    fn write(&mut self, mut data: &[u8]) -> io::Result<usize> {
        let written = data.len();
        while !data.is_empty() {
            if self.buffer.len() == CHUNK_SIZE {
                // Only now is it known that this full chunk is not the last one.
                self.seal_buffer(false)?;
            }
            let take = (CHUNK_SIZE - self.buffer.len()).min(data.len());
            self.buffer.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Decrypts an age payload read from `inner`, releasing plaintext chunk by chunk
/// only after each chunk has authenticated.
pub struct StreamReader<R: Read> {
    inner: R,
    cipher: ChaCha20Poly1305,
    encrypted: Vec<u8>,
    plaintext: Zeroizing<Vec<u8>>,
    position: usize,
    counter: u128,
    state: State,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// More chunks follow.
    Reading,
    /// The final chunk has been decrypted and nothing follows it.
    Finished,
    /// The final chunk has been decrypted but data follows it: an error once
    /// the final chunk's plaintext has been read.
    TrailingData,
    /// Authentication failed; every further read fails.
    Failed,
}

impl<R: Read> StreamReader<R> {
    pub(crate) fn new(inner: R, file_key: &FileKey, nonce: &[u8; PAYLOAD_NONCE_SIZE]) -> Self {
        StreamReader {
            inner,
            cipher: payload_cipher(file_key, nonce),
            encrypted: Vec::with_capacity(ENCRYPTED_CHUNK_SIZE),
            plaintext: Zeroizing::new(Vec::with_capacity(ENCRYPTED_CHUNK_SIZE)),
            position: 0,
            counter: 0,
            state: State::Reading,
        }
    }

    /// Reads up to `len` bytes into `encrypted`, stopping early only at EOF.
    fn fill(&mut self, len: usize) -> io::Result<()> {
        let mut filled = 0;
        self.encrypted.resize(len, 0);
        let result = loop {
            if filled == len {
                break Ok(());
            }
            match self.inner.read(&mut self.encrypted[filled..]) {
                Ok(0) => break Ok(()),
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        self.encrypted.truncate(filled);
        result
    }

    fn open(&mut self, last: bool) -> bool {
        let body_len = self.encrypted.len() - TAG_SIZE;
        self.plaintext.clear();
        self.plaintext
            .extend_from_slice(&self.encrypted[..body_len]);
        let tag = Tag::clone_from_slice(&self.encrypted[body_len..]);
        let ok = open_chunk(
            &self.cipher,
            self.counter,
            last,
            self.plaintext.as_mut_slice(),
            &tag,
        );
        if !ok {
            self.plaintext.zeroize();
            self.plaintext.clear();
        }
        ok
    }

    fn next_chunk(&mut self) -> Result<(), DecryptError> {
        self.fill(ENCRYPTED_CHUNK_SIZE)
            .map_err(DecryptError::from_io)?;
        let len = self.encrypted.len();
        // A payload must end with a chunk marked last; EOF before one is truncation.
        if len < TAG_SIZE || self.counter > MAX_COUNTER {
            return Err(DecryptError::Payload);
        }
        let last = if len < ENCRYPTED_CHUNK_SIZE {
            // A short chunk is the last; it is empty only if the whole payload is.
            if len == TAG_SIZE && self.counter != 0 {
                return Err(DecryptError::Payload);
            }
            if !self.open(true) {
                return Err(DecryptError::Payload);
            }
            true
        } else if self.open(false) {
            false
        } else if self.open(true) {
            // A full chunk can be the last one.
            true
        } else {
            return Err(DecryptError::Payload);
        };
        self.position = 0;
        self.counter += 1;
        if last {
            self.fill(1).map_err(DecryptError::from_io)?;
            self.state = if self.encrypted.is_empty() {
                State::Finished
            } else {
                State::TrailingData
            };
        }
        Ok(())
    }
}

impl<R: Read> Read for StreamReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.position == self.plaintext.len() {
            match self.state {
                State::Finished => return Ok(0),
                State::TrailingData | State::Failed => {
                    self.state = State::Failed;
                    return Err(DecryptError::Payload.into_io());
                }
                State::Reading => {
                    if let Err(e) = self.next_chunk() {
                        if !matches!(e, DecryptError::Io(_)) {
                            self.state = State::Failed;
                        }
                        return Err(e.into_io());
                    }
                }
            }
        }
        let n = (self.plaintext.len() - self.position).min(out.len());
        out[..n].copy_from_slice(&self.plaintext[self.position..self.position + n]);
        self.position += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal(plain: &[u8], key: &FileKey, nonce: &[u8; 16]) -> Vec<u8> {
        let mut w = StreamWriter::new(Vec::new(), key, nonce);
        w.write_all(plain).expect("write");
        w.finish().expect("finish")
    }

    #[test]
    fn round_trip_around_chunk_boundaries() {
        let key = FileKey::generate();
        let nonce = [9u8; 16];
        for len in [
            0,
            1,
            CHUNK_SIZE - 1,
            CHUNK_SIZE,
            CHUNK_SIZE + 1,
            3 * CHUNK_SIZE,
        ] {
            let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let sealed = seal(&plain, &key, &nonce);
            let chunks = len.div_ceil(CHUNK_SIZE).max(1);
            assert_eq!(sealed.len(), len + chunks * TAG_SIZE, "length {len}");
            let mut back = Vec::new();
            StreamReader::new(sealed.as_slice(), &key, &nonce)
                .read_to_end(&mut back)
                .expect("decrypts");
            assert_eq!(back, plain, "length {len}");
        }
    }

    #[test]
    fn truncation_at_a_chunk_boundary_is_detected() {
        let key = FileKey::generate();
        let nonce = [1u8; 16];
        let plain = vec![5u8; 2 * CHUNK_SIZE + 10];
        let sealed = seal(&plain, &key, &nonce);
        let truncated = &sealed[..2 * ENCRYPTED_CHUNK_SIZE];
        let mut back = Vec::new();
        let err = StreamReader::new(truncated, &key, &nonce)
            .read_to_end(&mut back)
            .expect_err("truncated");
        assert!(matches!(DecryptError::from_io(err), DecryptError::Payload));
    }
}
