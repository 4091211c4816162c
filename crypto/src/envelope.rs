//! Encrypting to recipients and decrypting with identities: the file-level API.

use std::io::{self, BufRead, BufReader, Read, Write};

use rand::rngs::OsRng;
use rand::RngCore;
use zeroize::Zeroizing;

use crate::armor::{ArmoredReader, ArmoredWriter};
use crate::error::{DecryptError, EncryptError, HeaderError};
use crate::format::{Header, Stanza};
use crate::stream::{StreamReader, StreamWriter, PAYLOAD_NONCE_SIZE};
use crate::{scrypt, FileKey, Identity, Recipient, UnwrapResult};

/// Encrypts one file to a set of recipients.
pub struct Encryptor {
    file_key: FileKey,
    header: Header,
}

impl Encryptor {
    /// Wraps a fresh file key to every recipient. A passphrase recipient must be
    /// the only one, as the age spec requires; post-quantum recipients cannot be
    /// mixed with others, as the spec recommends (that would defeat them).
    pub fn with_recipients<'a, I>(recipients: I) -> Result<Self, EncryptError>
    where
        I: IntoIterator<Item = &'a dyn Recipient>,
    {
        Self::build(recipients, false)
    }

    /// As [`Encryptor::with_recipients`], but post-quantum and classic
    /// recipients may be mixed. Such a file is only as strong as its classic
    /// recipients: use it only while keys are being migrated, when some of
    /// the people a file must reach still hold classic keys.
    pub fn with_mixed_recipients<'a, I>(recipients: I) -> Result<Self, EncryptError>
    where
        I: IntoIterator<Item = &'a dyn Recipient>,
    {
        Self::build(recipients, true)
    }

    fn build<'a, I>(recipients: I, allow_mixed: bool) -> Result<Self, EncryptError>
    where
        I: IntoIterator<Item = &'a dyn Recipient>,
    {
        let file_key = FileKey::generate();
        let mut stanzas: Vec<Stanza> = Vec::new();
        let mut count = 0usize;
        let mut passphrase = false;
        let mut post_quantum = 0usize;
        for recipient in recipients {
            count += 1;
            passphrase |= recipient.is_passphrase();
            post_quantum += usize::from(recipient.is_post_quantum());
            stanzas.extend(recipient.wrap_file_key(&file_key)?);
        }
        if count == 0 {
            return Err(EncryptError::NoRecipients);
        }
        if passphrase && count > 1 {
            return Err(EncryptError::MixedPassphrase);
        }
        if !allow_mixed && post_quantum > 0 && post_quantum < count {
            return Err(EncryptError::MixedPostQuantum);
        }
        let header = Header::new(&file_key, stanzas);
        Ok(Encryptor { file_key, header })
    }

    /// Writes the header and returns a writer that encrypts the payload into `output`.
    pub fn wrap_output<W: Write>(self, mut output: W) -> io::Result<StreamWriter<W>> {
        self.header.write(&mut output)?;
        let mut nonce = [0u8; PAYLOAD_NONCE_SIZE];
        OsRng.fill_bytes(&mut nonce);
        output.write_all(&nonce)?;
        Ok(StreamWriter::new(output, &self.file_key, &nonce))
    }
}

/// Input that may or may not be ASCII-armored, detected from its first bytes.
pub enum Input<R: Read> {
    /// A binary age file.
    Binary(BufReader<R>),
    /// An armored age file, decoded on the fly.
    Armored(BufReader<ArmoredReader<BufReader<R>>>),
}

impl<R: Read> Input<R> {
    fn armored(buffered: BufReader<R>) -> Self {
        Input::Armored(BufReader::with_capacity(
            64 * 1024,
            ArmoredReader::new(buffered),
        ))
    }

    fn detect(reader: R) -> io::Result<Self> {
        let mut buffered = BufReader::with_capacity(64 * 1024, reader);
        let peek = buffered.fill_buf()?;
        let first = peek.iter().find(|b| !b.is_ascii_whitespace());
        let armored = match first {
            Some(b'-') => true,
            Some(_) => false,
            // Nothing but whitespace (or nothing at all) in the first block.
            None => !peek.is_empty(),
        };
        Ok(if armored {
            Self::armored(buffered)
        } else {
            Input::Binary(buffered)
        })
    }
}

impl<R: Read> Read for Input<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::Binary(r) => r.read(buf),
            Input::Armored(r) => r.read(buf),
        }
    }
}

impl<R: Read> BufRead for Input<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            Input::Binary(r) => r.fill_buf(),
            Input::Armored(r) => r.fill_buf(),
        }
    }

    fn consume(&mut self, amt: usize) {
        match self {
            Input::Binary(r) => r.consume(amt),
            Input::Armored(r) => r.consume(amt),
        }
    }
}

/// A parsed age file, ready to be decrypted with identities.
pub struct Decryptor<R: Read> {
    input: Input<R>,
    header: Header,
    nonce: [u8; PAYLOAD_NONCE_SIZE],
}

impl<R: Read> Decryptor<R> {
    /// Reads the header (and the payload nonce) of an age file, armored or not.
    pub fn new(reader: R) -> Result<Self, DecryptError> {
        let input = Input::detect(reader).map_err(DecryptError::from_io)?;
        Self::from_input(input)
    }

    /// Reads the header of an ASCII-armored age file.
    pub fn new_armored(reader: R) -> Result<Self, DecryptError> {
        Self::from_input(Input::armored(BufReader::with_capacity(64 * 1024, reader)))
    }

    fn from_input(mut input: Input<R>) -> Result<Self, DecryptError> {
        let header = Header::read(&mut input)?;
        let mut nonce = [0u8; PAYLOAD_NONCE_SIZE];
        read_exact_or(&mut input, &mut nonce)?;
        Ok(Decryptor {
            input,
            header,
            nonce,
        })
    }

    /// True if the file is encrypted to a passphrase (a single scrypt stanza).
    pub fn is_passphrase(&self) -> bool {
        self.header
            .stanzas
            .iter()
            .any(|s| s.tag == scrypt::STANZA_TAG)
    }

    /// The scrypt work factor (log2 of N) of a passphrase file, read from its
    /// stanza without deriving anything; `None` if the file is not encrypted
    /// to a passphrase or its stanza names no valid work factor.
    pub fn scrypt_work_factor(&self) -> Option<u8> {
        self.header
            .stanzas
            .iter()
            .find(|s| s.tag == scrypt::STANZA_TAG)
            .and_then(scrypt::stanza_work_factor)
    }

    /// Unwraps the file key with the first identity that matches, checks the
    /// header MAC, and returns a reader of the authenticated plaintext.
    pub fn decrypt<'a, I>(self, identities: I) -> Result<StreamReader<Input<R>>, DecryptError>
    where
        I: IntoIterator<Item = &'a dyn Identity>,
    {
        let stanzas = &self.header.stanzas;
        if self.is_passphrase() && stanzas.len() != 1 {
            return Err(HeaderError::ScryptNotAlone.into());
        }
        let mut file_key = None;
        'identities: for identity in identities {
            for stanza in stanzas {
                match identity.unwrap_stanza(stanza) {
                    UnwrapResult::NotMine => {}
                    UnwrapResult::Invalid(e) => return Err(e.into()),
                    UnwrapResult::Key(key) => {
                        file_key = Some(key);
                        break 'identities;
                    }
                }
            }
        }
        let file_key = file_key.ok_or(DecryptError::NoMatch)?;
        self.header.verify_mac(&file_key)?;
        Ok(StreamReader::new(self.input, &file_key, &self.nonce))
    }
}

fn read_exact_or<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<(), DecryptError> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => return Err(HeaderError::MissingNonce.into()),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(DecryptError::from_io(e)),
        }
    }
    Ok(())
}

/// Encrypts `plaintext` to `recipients` as a binary age file.
pub fn encrypt(recipients: &[&dyn Recipient], plaintext: &[u8]) -> Result<Vec<u8>, EncryptError> {
    let encryptor = Encryptor::with_recipients(recipients.iter().copied())?;
    let mut out = Vec::with_capacity(plaintext.len() + 256 + recipients.len() * 128);
    let mut writer = encryptor.wrap_output(&mut out)?;
    writer.write_all(plaintext)?;
    writer.finish()?;
    Ok(out)
}

/// Encrypts `plaintext` to `recipients`, which may mix post-quantum and
/// classic keys (see [`Encryptor::with_mixed_recipients`]).
pub fn encrypt_mixed(
    recipients: &[&dyn Recipient],
    plaintext: &[u8],
) -> Result<Vec<u8>, EncryptError> {
    let encryptor = Encryptor::with_mixed_recipients(recipients.iter().copied())?;
    let mut out = Vec::with_capacity(plaintext.len() + 256 + recipients.len() * 1280);
    let mut writer = encryptor.wrap_output(&mut out)?;
    writer.write_all(plaintext)?;
    writer.finish()?;
    Ok(out)
}

/// Encrypts `plaintext` to `recipients` as an ASCII-armored age file.
pub fn encrypt_armored(
    recipients: &[&dyn Recipient],
    plaintext: &[u8],
) -> Result<String, EncryptError> {
    let encryptor = Encryptor::with_recipients(recipients.iter().copied())?;
    let mut writer = encryptor.wrap_output(ArmoredWriter::new(Vec::new()))?;
    writer.write_all(plaintext)?;
    let armored = writer.finish()?.finish()?;
    // Invariant: armor is ASCII by construction.
    Ok(String::from_utf8_lossy(&armored).into_owned())
}

/// The scrypt work factor (log2 of N) of a passphrase file held in memory
/// (armored or not): `Ok(None)` if it is an age file not encrypted to a
/// passphrase, an error if it is no valid age header.
///
/// ```
/// use varsel_crypto::{encrypt, scrypt_work_factor, ScryptRecipient};
///
/// let file = encrypt(&[&ScryptRecipient::new(b"pw").with_work_factor(9)], b"key").unwrap();
/// assert_eq!(scrypt_work_factor(&file).unwrap(), Some(9));
/// ```
pub fn scrypt_work_factor(file: &[u8]) -> Result<Option<u8>, DecryptError> {
    Ok(Decryptor::new(file)?.scrypt_work_factor())
}

/// Decrypts a whole age file (armored or not) held in memory.
pub fn decrypt(
    identities: &[&dyn Identity],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, DecryptError> {
    let mut reader = Decryptor::new(ciphertext)?.decrypt(identities.iter().copied())?;
    let mut out = Zeroizing::new(Vec::with_capacity(ciphertext.len()));
    reader
        .read_to_end(&mut out)
        .map_err(DecryptError::from_io)?;
    Ok(out)
}
