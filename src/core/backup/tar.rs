//! The backup's container: a plain POSIX ustar archive (readable with
//! `tar tvf`), written and read here with no dependency. Entries are
//! regular files of mode 0600 and time 0 (the epoch), named with at most
//! 100 bytes.

use std::io::{self, Read, Write};

const BLOCK: usize = 512;

/// Writes `value` as an octal field of `width` bytes (digits, then NUL).
fn octal(field: &mut [u8], value: u64) -> io::Result<()> {
    let digits = format!("{value:0width$o}", width = field.len() - 1);
    if digits.len() != field.len() - 1 {
        return Err(io::Error::other("tar field overflows"));
    }
    field[..digits.len()].copy_from_slice(digits.as_bytes());
    field[digits.len()] = 0;
    Ok(())
}

/// The header block of a regular file `name` of `size` bytes.
fn header(name: &str, size: u64) -> io::Result<[u8; BLOCK]> {
    let mut h = [0u8; BLOCK];
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() > 100 {
        return Err(io::Error::other(format!("tar entry name too long: {name}")));
    }
    h[..bytes.len()].copy_from_slice(bytes);
    octal(&mut h[100..108], 0o600)?;
    octal(&mut h[108..116], 0)?;
    octal(&mut h[116..124], 0)?;
    octal(&mut h[124..136], size)?;
    octal(&mut h[136..148], 0)?;
    h[148..156].copy_from_slice(b"        ");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    let digits = format!("{sum:06o}");
    h[148..154].copy_from_slice(digits.as_bytes());
    h[154] = 0;
    h[155] = b' ';
    Ok(h)
}

/// Zeros that pad `size` bytes to a whole block.
fn padding(size: u64) -> usize {
    let rest = (size % BLOCK as u64) as usize;
    if rest == 0 {
        0
    } else {
        BLOCK - rest
    }
}

/// Writes an archive entry by entry.
pub struct TarWriter<W: Write> {
    out: W,
}

impl<W: Write> TarWriter<W> {
    /// An archive written to `out`.
    pub fn new(out: W) -> Self {
        TarWriter { out }
    }

    /// Adds a file `name` with the `size` bytes `content` yields.
    pub fn append(&mut self, name: &str, size: u64, content: &mut impl Read) -> io::Result<()> {
        self.out.write_all(&header(name, size)?)?;
        let copied = io::copy(&mut content.take(size), &mut self.out)?;
        if copied != size {
            return Err(io::Error::other(format!(
                "{name} changed while it was read"
            )));
        }
        self.out.write_all(&[0u8; BLOCK][..padding(size)])
    }

    /// Adds a file `name` holding `content`.
    pub fn append_bytes(&mut self, name: &str, content: &[u8]) -> io::Result<()> {
        self.append(name, content.len() as u64, &mut &content[..])
    }

    /// Ends the archive (two zero blocks) and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(&[0u8; 2 * BLOCK])?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Reads an archive entry by entry.
pub struct TarReader<R: Read> {
    input: R,
    /// Bytes of the current entry not read yet, then its padding.
    remaining: u64,
    pad: usize,
}

/// Parses an octal field (digits, optionally surrounded by spaces or NULs).
fn parse_octal(field: &[u8]) -> io::Result<u64> {
    let text: String = field
        .iter()
        .take_while(|&&b| b != 0)
        .map(|&b| b as char)
        .collect();
    u64::from_str_radix(text.trim(), 8).map_err(|_| io::Error::other("bad tar header"))
}

impl<R: Read> TarReader<R> {
    /// An archive read from `input`.
    pub fn new(input: R) -> Self {
        TarReader {
            input,
            remaining: 0,
            pad: 0,
        }
    }

    /// The next entry's name and size; `None` at the end of the archive.
    /// Whatever of the previous entry was not read is skipped.
    pub fn next_entry(&mut self) -> io::Result<Option<(String, u64)>> {
        self.skip_rest()?;
        let mut h = [0u8; BLOCK];
        self.input.read_exact(&mut h)?;
        if h.iter().all(|&b| b == 0) {
            return Ok(None);
        }
        let stored = parse_octal(&h[148..156])?;
        let mut blank = h;
        blank[148..156].copy_from_slice(b"        ");
        let sum: u64 = blank.iter().map(|&b| u64::from(b)).sum();
        if sum != stored || &h[257..262] != b"ustar" {
            return Err(io::Error::other("not a Varsel backup (bad tar header)"));
        }
        if h[156] != b'0' && h[156] != 0 {
            return Err(io::Error::other("unexpected entry type in the backup"));
        }
        let name_len = h[..100].iter().position(|&b| b == 0).unwrap_or(100);
        let name = String::from_utf8(h[..name_len].to_vec())
            .map_err(|_| io::Error::other("bad entry name in the backup"))?;
        let size = parse_octal(&h[124..136])?;
        self.remaining = size;
        self.pad = padding(size);
        Ok(Some((name, size)))
    }

    /// The current entry's content, at most `limit` bytes of it.
    pub fn read_entry(&mut self, limit: u64) -> io::Result<Vec<u8>> {
        if self.remaining > limit {
            return Err(io::Error::other("backup entry larger than expected"));
        }
        let mut data = Vec::with_capacity(self.remaining as usize);
        self.copy_entry(&mut data)?;
        Ok(data)
    }

    /// Copies the current entry's content to `out`.
    pub fn copy_entry(&mut self, out: &mut impl Write) -> io::Result<u64> {
        let size = self.remaining;
        let copied = io::copy(&mut (&mut self.input).take(size), out)?;
        if copied != size {
            return Err(io::Error::other("the backup ends inside an entry"));
        }
        self.remaining = 0;
        Ok(copied)
    }

    fn skip_rest(&mut self) -> io::Result<()> {
        let skip = self.remaining + self.pad as u64;
        if skip > 0 {
            let skipped = io::copy(&mut (&mut self.input).take(skip), &mut io::sink())?;
            if skipped != skip {
                return Err(io::Error::other("the backup ends inside an entry"));
            }
        }
        self.remaining = 0;
        self.pad = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_back_as_written_and_tar_reads_them() {
        let mut tar = TarWriter::new(Vec::new());
        tar.append_bytes("a.json", b"{}").unwrap();
        tar.append_bytes("attachments/x.age", &vec![7u8; 1500])
            .unwrap();
        tar.append_bytes("empty", b"").unwrap();
        let bytes = tar.finish().unwrap();
        assert_eq!(bytes.len() % BLOCK, 0);
        let mut reader = TarReader::new(&bytes[..]);
        let (name, size) = reader.next_entry().unwrap().unwrap();
        assert_eq!((name.as_str(), size), ("a.json", 2));
        assert_eq!(reader.read_entry(10).unwrap(), b"{}");
        let (name, _) = reader.next_entry().unwrap().unwrap();
        assert_eq!(name, "attachments/x.age");
        // Not read: skipped.
        let (name, size) = reader.next_entry().unwrap().unwrap();
        assert_eq!((name.as_str(), size), ("empty", 0));
        assert!(reader.next_entry().unwrap().is_none());

        let dir = std::env::temp_dir().join(format!("varsel-tar-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("b.tar");
        std::fs::write(&file, &bytes).unwrap();
        if let Ok(out) = std::process::Command::new("tar")
            .arg("tf")
            .arg(&file)
            .output()
        {
            let listing = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success());
            assert_eq!(
                listing.lines().collect::<Vec<_>>(),
                ["a.json", "attachments/x.age", "empty"]
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
