//! age's ASCII armor: strict PEM-like framing of the binary file in padded,
//! canonical base64, 64 columns a line, with LF or CRLF line ends and
//! whitespace tolerated only before the begin line and after the end line.

use std::io::{self, BufRead, Read, Write};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::error::{ArmorError, DecryptError};

/// The armor's begin line.
pub(crate) const BEGIN: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";
/// The armor's end line.
const END: &[u8] = b"-----END AGE ENCRYPTED FILE-----";
const COLUMNS: usize = 64;
const BYTES_PER_LINE: usize = COLUMNS / 4 * 3;
/// Lines encoded per write to the inner writer.
const LINES_PER_BATCH: usize = 256;

fn armor_err(e: ArmorError) -> io::Error {
    DecryptError::Armor(e).into_io()
}

/// Writes ASCII-armored output; call [`ArmoredWriter::finish`] to write the end line.
pub struct ArmoredWriter<W: Write> {
    inner: W,
    pending: Vec<u8>,
    encoded: Vec<u8>,
    started: bool,
}

impl<W: Write> ArmoredWriter<W> {
    /// Wraps `inner`; the begin line is written with the first output.
    pub fn new(inner: W) -> Self {
        ArmoredWriter {
            inner,
            pending: Vec::with_capacity(BYTES_PER_LINE * LINES_PER_BATCH),
            encoded: Vec::with_capacity((COLUMNS + 1) * LINES_PER_BATCH),
            started: false,
        }
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.inner.write_all(BEGIN)?;
            self.inner.write_all(b"\n")?;
            self.started = true;
        }
        Ok(())
    }

    fn write_lines(&mut self, bytes_end: usize) -> io::Result<()> {
        self.encoded.clear();
        for line in self.pending[..bytes_end].chunks(BYTES_PER_LINE) {
            let at = self.encoded.len();
            self.encoded.resize(at + COLUMNS + 1, 0);
            let n = STANDARD
                .encode_slice(line, &mut self.encoded[at..])
                .map_err(|_| io::Error::other("armor encoding failed"))?;
            self.encoded.truncate(at + n);
            self.encoded.push(b'\n');
        }
        self.inner.write_all(&self.encoded)?;
        self.pending.drain(..bytes_end);
        Ok(())
    }

    /// Writes the last line and the end line, flushes, and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.start()?;
        let all = self.pending.len();
        self.write_lines(all)?;
        self.inner.write_all(END)?;
        self.inner.write_all(b"\n")?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for ArmoredWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.start()?;
        self.pending.extend_from_slice(data);
        let batch = BYTES_PER_LINE * LINES_PER_BATCH;
        if self.pending.len() > batch {
            // Keep at least one byte back so the final line is written by `finish`.
            let whole = (self.pending.len() - 1) / BYTES_PER_LINE * BYTES_PER_LINE;
            self.write_lines(whole)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Decodes ASCII-armored input line by line, in constant memory.
pub struct ArmoredReader<R: BufRead> {
    inner: R,
    started: bool,
    done: bool,
    saw_short_line: bool,
    decoded: [u8; BYTES_PER_LINE],
    decoded_len: usize,
    position: usize,
}

impl<R: BufRead> ArmoredReader<R> {
    /// Wraps armored input.
    pub fn new(inner: R) -> Self {
        ArmoredReader {
            inner,
            started: false,
            done: false,
            saw_short_line: false,
            decoded: [0; BYTES_PER_LINE],
            decoded_len: 0,
            position: 0,
        }
    }

    /// Reads a line of at most `limit` bytes, without its LF or CRLF end.
    /// Returns `(line, had_newline)`; `None` at EOF with nothing read.
    fn read_line(&mut self, limit: usize) -> io::Result<Option<(Vec<u8>, bool)>> {
        let mut line = Vec::with_capacity(limit + 2);
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return Ok(if line.is_empty() {
                    None
                } else {
                    Some((line, false))
                });
            }
            if let Some(pos) = buf.iter().position(|&b| b == b'\n') {
                line.extend_from_slice(&buf[..pos]);
                self.inner.consume(pos + 1);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if line.len() > limit {
                    return Err(armor_err(ArmorError::LongLine));
                }
                return Ok(Some((line, true)));
            }
            let n = buf.len();
            line.extend_from_slice(buf);
            self.inner.consume(n);
            if line.len() > limit + 1 {
                return Err(armor_err(ArmorError::LongLine));
            }
        }
    }

    fn skip_leading_whitespace(&mut self) -> io::Result<()> {
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return Ok(());
            }
            let n = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
            let all = n == buf.len();
            self.inner.consume(n);
            if !all {
                return Ok(());
            }
        }
    }

    fn check_trailing(&mut self) -> io::Result<()> {
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return Ok(());
            }
            if !buf.iter().all(u8::is_ascii_whitespace) {
                return Err(armor_err(ArmorError::TrailingData));
            }
            let n = buf.len();
            self.inner.consume(n);
        }
    }

    /// Decodes the next line into `decoded`; returns false at the end line.
    fn next_line(&mut self) -> io::Result<bool> {
        if !self.started {
            self.skip_leading_whitespace()?;
            match self.read_line(BEGIN.len())? {
                Some((line, true)) if line == BEGIN => {}
                Some(_) | None => return Err(armor_err(ArmorError::BadBegin)),
            }
            self.started = true;
        }
        let Some((line, had_newline)) = self.read_line(COLUMNS)? else {
            return Err(armor_err(ArmorError::BadEnd));
        };
        if line == END {
            self.done = true;
            self.check_trailing()?;
            return Ok(false);
        }
        if !had_newline {
            return Err(armor_err(ArmorError::BadEnd));
        }
        if self.saw_short_line || line.is_empty() {
            return Err(armor_err(ArmorError::ShortLine));
        }
        if line.len() < COLUMNS || line.ends_with(b"=") {
            self.saw_short_line = true;
        }
        self.decoded_len = STANDARD
            .decode_slice(&line, &mut self.decoded)
            .map_err(|_| armor_err(ArmorError::InvalidBase64))?;
        self.position = 0;
        Ok(true)
    }
}

impl<R: BufRead> Read for ArmoredReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.position == self.decoded_len {
            if self.done || !self.next_line()? {
                return Ok(0);
            }
        }
        let n = (self.decoded_len - self.position).min(out.len());
        out[..n].copy_from_slice(&self.decoded[self.position..self.position + n]);
        self.position += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn armor(data: &[u8]) -> Vec<u8> {
        let mut w = ArmoredWriter::new(Vec::new());
        w.write_all(data).expect("write");
        w.finish().expect("finish")
    }

    #[test]
    fn round_trip_line_lengths() {
        for len in [
            1,
            47,
            48,
            49,
            96,
            BYTES_PER_LINE * LINES_PER_BATCH + 5,
            100_000,
        ] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
            let armored = armor(&data);
            for line in armored.split(|&b| b == b'\n') {
                assert!(line.len() <= COLUMNS.max(BEGIN.len()), "len {len}");
            }
            let mut back = Vec::new();
            ArmoredReader::new(armored.as_slice())
                .read_to_end(&mut back)
                .expect("decodes");
            assert_eq!(back, data, "len {len}");
        }
    }

    #[test]
    fn trailing_garbage_is_rejected() {
        let mut armored = armor(b"hello");
        armored.extend_from_slice(b"garbage");
        let mut back = Vec::new();
        let err = ArmoredReader::new(armored.as_slice())
            .read_to_end(&mut back)
            .expect_err("garbage");
        assert!(matches!(
            DecryptError::from_io(err),
            DecryptError::Armor(ArmorError::TrailingData)
        ));
    }
}
