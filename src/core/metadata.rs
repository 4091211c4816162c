//! Removing what images say about who took them and where (SPEC §3.5):
//! EXIF (GPS position, camera, author, time), XMP, IPTC, comments and
//! embedded thumbnails, from JPEG, PNG and WebP, as the upload streams
//! through ([`Stripper`]) and before it is encrypted. Only the container is
//! rewritten: the compressed pixel data passes through byte for byte, so the
//! decoded image is identical. Colour profiles (ICC) and what decoders need
//! (JFIF, Adobe colour transform, PNG's critical and rendering chunks) stay.
//!
//! What is removed:
//! - JPEG: every APPn segment but JFIF (APP0), ICC_PROFILE (APP2) and Adobe
//!   (APP14) — so EXIF and XMP (APP1), MPF and FlashPix (APP2), IPTC
//!   (Photoshop APP13) and vendor segments — every comment (COM), and
//!   anything after the end of the image (appended previews).
//! - PNG: `eXIf`, `tEXt`, `zTXt`, `iTXt` and `tIME` chunks, and anything
//!   after `IEND`.
//! - WebP: `EXIF` and `XMP ` chunks and their flags in `VP8X`. A WebP file is
//!   rewritten whole (its header holds its size), so only files up to
//!   [`MAX_WEBP_BYTES`] are.
//!
//! Any other file, and an image whose structure is broken, is stored as it
//! came (from the point where it could not be read) and reported as
//! [`Outcome::Kept`], so the reporter is told its metadata may remain.
//! HEIC is not stripped: no maintained crate rewrites its container without
//! re-encoding.

use std::io::{self, Write};

/// Largest WebP file rewritten (it is held in memory while it streams in).
pub const MAX_WEBP_BYTES: usize = 32 * 1024 * 1024;

/// Whether a file's metadata was removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// An image whose metadata was removed.
    Stripped,
    /// Stored as it came (not a JPEG, PNG or WebP image, or one that could
    /// not be read): whatever metadata it carries remains.
    Kept,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Jpeg {
    /// Expecting a marker.
    Marker,
    /// Inside entropy-coded data after a start of scan.
    Scan,
    /// After the end of the image: dropped.
    Trailer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Png {
    /// Expecting a chunk header.
    Header,
    /// Copying the rest of a kept chunk (`true`: the last one, `IEND`).
    Copy(u64, bool),
    /// Skipping the rest of a removed chunk.
    Skip(u64),
    /// After `IEND`: dropped.
    Trailer,
}

#[derive(Debug)]
enum State {
    /// The first bytes, to tell the format.
    Sniff,
    Jpeg(Jpeg),
    Png(Png),
    /// A WebP file, held until it ends.
    WebP,
    /// Passed through unchanged.
    Through(Outcome),
}

/// A writer that removes image metadata from what passes through it into
/// `out`. Call [`Stripper::finish`] at the end.
pub struct Stripper<W: Write> {
    out: W,
    state: State,
    buf: Pending,
}

/// The bytes not yet passed on. Consuming from the front only moves an
/// offset; the consumed bytes are dropped when more input arrives, so a
/// file of many small segments or fill bytes costs linear time, not
/// quadratic.
#[derive(Default)]
struct Pending {
    data: Vec<u8>,
    start: usize,
}

impl Pending {
    /// Consumes the first `range.end` bytes.
    fn drain(&mut self, range: std::ops::RangeTo<usize>) {
        self.start = self.start.saturating_add(range.end).min(self.data.len());
    }

    fn clear(&mut self) {
        self.data.clear();
        self.start = 0;
    }

    fn extend_from_slice(&mut self, more: &[u8]) {
        if self.start > 0 {
            self.data.drain(..self.start);
            self.start = 0;
        }
        self.data.extend_from_slice(more);
    }
}

impl std::ops::Deref for Pending {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.data.get(self.start..).unwrap_or_default()
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
const SNIFF_BYTES: usize = 12;

impl<W: Write> Stripper<W> {
    /// Strips what is written before handing it to `out`.
    pub fn new(out: W) -> Self {
        Stripper {
            out,
            state: State::Sniff,
            buf: Pending::default(),
        }
    }

    /// Ends the file: writes what is held back and returns the inner writer
    /// and whether metadata was removed.
    pub fn finish(mut self) -> io::Result<(W, Outcome)> {
        let outcome = match self.state {
            State::Sniff => {
                self.out.write_all(&self.buf)?;
                Outcome::Kept
            }
            // A scan cut short still decodes as far as it goes.
            State::Jpeg(Jpeg::Scan | Jpeg::Trailer) => {
                if matches!(self.state, State::Jpeg(Jpeg::Scan)) {
                    self.out.write_all(&self.buf)?;
                }
                Outcome::Stripped
            }
            State::Png(Png::Trailer) => Outcome::Stripped,
            State::WebP => match strip_webp(&self.buf) {
                Some(stripped) => {
                    self.out.write_all(&stripped)?;
                    Outcome::Stripped
                }
                None => {
                    self.out.write_all(&self.buf)?;
                    Outcome::Kept
                }
            },
            State::Through(outcome) => outcome,
            State::Jpeg(_) | State::Png(_) => {
                self.out.write_all(&self.buf)?;
                Outcome::Kept
            }
        };
        self.buf.clear();
        Ok((self.out, outcome))
    }

    /// Stops reading the structure: the rest passes through as it is.
    fn give_up(&mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.state = State::Through(Outcome::Kept);
        Ok(())
    }

    /// Processes as much of `buf` as can be; keeps the rest for more input.
    fn process(&mut self) -> io::Result<()> {
        loop {
            let progressed = match self.state {
                State::Sniff => self.sniff()?,
                State::Jpeg(state) => self.jpeg(state)?,
                State::Png(state) => self.png(state)?,
                State::WebP => {
                    if self.buf.len() > MAX_WEBP_BYTES {
                        self.give_up()?;
                    }
                    false
                }
                State::Through(_) => {
                    self.out.write_all(&self.buf)?;
                    self.buf.clear();
                    false
                }
            };
            if !progressed {
                return Ok(());
            }
        }
    }

    fn sniff(&mut self) -> io::Result<bool> {
        if self.buf.len() < SNIFF_BYTES {
            return Ok(false);
        }
        let b = &self.buf;
        self.state = if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
            self.out.write_all(&[0xFF, 0xD8])?;
            self.buf.drain(..2);
            State::Jpeg(Jpeg::Marker)
        } else if b.starts_with(PNG_SIGNATURE) {
            self.out.write_all(PNG_SIGNATURE)?;
            self.buf.drain(..PNG_SIGNATURE.len());
            State::Png(Png::Header)
        } else if b.starts_with(b"RIFF") && &b[8..12] == b"WEBP" {
            State::WebP
        } else {
            State::Through(Outcome::Kept)
        };
        Ok(true)
    }

    fn jpeg(&mut self, state: Jpeg) -> io::Result<bool> {
        match state {
            Jpeg::Trailer => {
                self.buf.clear();
                Ok(false)
            }
            Jpeg::Scan => {
                let mut i = 0;
                while i < self.buf.len() {
                    if self.buf[i] != 0xFF {
                        i += 1;
                        continue;
                    }
                    let Some(&next) = self.buf.get(i + 1) else {
                        break;
                    };
                    if next == 0x00 || (0xD0..=0xD7).contains(&next) {
                        i += 2;
                        continue;
                    }
                    // A marker ends the scan.
                    self.out.write_all(&self.buf[..i])?;
                    self.buf.drain(..i);
                    self.state = State::Jpeg(Jpeg::Marker);
                    return Ok(true);
                }
                self.out.write_all(&self.buf[..i])?;
                self.buf.drain(..i);
                Ok(false)
            }
            Jpeg::Marker => {
                if self.buf.len() < 2 {
                    return Ok(false);
                }
                if self.buf[0] != 0xFF {
                    self.give_up()?;
                    return Ok(false);
                }
                let marker = self.buf[1];
                match marker {
                    // Fill byte before a marker.
                    0xFF => {
                        self.buf.drain(..1);
                        return Ok(true);
                    }
                    0xD9 => {
                        self.out.write_all(&[0xFF, 0xD9])?;
                        self.buf.clear();
                        self.state = State::Jpeg(Jpeg::Trailer);
                        return Ok(true);
                    }
                    0x01 | 0xD0..=0xD7 => {
                        self.out.write_all(&self.buf[..2])?;
                        self.buf.drain(..2);
                        return Ok(true);
                    }
                    0x00 | 0xD8 => {
                        self.give_up()?;
                        return Ok(false);
                    }
                    _ => {}
                }
                if self.buf.len() < 4 {
                    return Ok(false);
                }
                let length = usize::from(u16::from_be_bytes([self.buf[2], self.buf[3]]));
                if length < 2 {
                    self.give_up()?;
                    return Ok(false);
                }
                if self.buf.len() < 2 + length {
                    return Ok(false);
                }
                let payload = &self.buf[4..2 + length];
                if keeps_jpeg_segment(marker, payload) {
                    self.out.write_all(&self.buf[..2 + length])?;
                }
                self.buf.drain(..2 + length);
                if marker == 0xDA {
                    self.state = State::Jpeg(Jpeg::Scan);
                }
                Ok(true)
            }
        }
    }

    fn png(&mut self, state: Png) -> io::Result<bool> {
        match state {
            Png::Trailer => {
                self.buf.clear();
                Ok(false)
            }
            Png::Copy(left, _) | Png::Skip(left) => {
                let n = usize::try_from(left)
                    .unwrap_or(usize::MAX)
                    .min(self.buf.len());
                if n == 0 && left > 0 {
                    return Ok(false);
                }
                if matches!(state, Png::Copy(..)) {
                    self.out.write_all(&self.buf[..n])?;
                }
                self.buf.drain(..n);
                let left = left - n as u64;
                self.state = State::Png(match (left, state) {
                    (0, Png::Copy(_, true)) => Png::Trailer,
                    (0, _) => Png::Header,
                    (_, Png::Copy(_, last)) => Png::Copy(left, last),
                    _ => Png::Skip(left),
                });
                Ok(left == 0)
            }
            Png::Header => {
                if self.buf.len() < 8 {
                    return Ok(false);
                }
                let length =
                    u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
                let kind: [u8; 4] = [self.buf[4], self.buf[5], self.buf[6], self.buf[7]];
                if length > i32::MAX as u32 || !kind.iter().all(u8::is_ascii_alphabetic) {
                    self.give_up()?;
                    return Ok(false);
                }
                // Data and CRC.
                let rest = u64::from(length) + 4;
                if !keeps_png_chunk(&kind) {
                    self.state = State::Png(Png::Skip(rest));
                } else {
                    self.out.write_all(&self.buf[..8])?;
                    self.state = State::Png(Png::Copy(rest, &kind == b"IEND"));
                }
                self.buf.drain(..8);
                Ok(true)
            }
        }
    }
}

impl<W: Write> Write for Stripper<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        self.process()?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Whether a PNG chunk of `kind` stays: an allow-list of the critical
/// chunks and the ancillary ones that only describe how to draw the pixels
/// (transparency, colour, gamma, physical size, animation). Text, time,
/// EXIF, C2PA (`caBX`) and private chunks go.
fn keeps_png_chunk(kind: &[u8; 4]) -> bool {
    matches!(
        kind,
        b"IHDR"
            | b"PLTE"
            | b"IDAT"
            | b"IEND"
            | b"tRNS"
            | b"gAMA"
            | b"cHRM"
            | b"sRGB"
            | b"iCCP"
            | b"sBIT"
            | b"bKGD"
            | b"pHYs"
            | b"cICP"
            | b"mDCV"
            | b"cLLI"
            | b"sPLT"
            | b"hIST"
            | b"acTL"
            | b"fcTL"
            | b"fdAT"
    )
}

/// Whether a JPEG segment with `marker` and `payload` stays.
fn keeps_jpeg_segment(marker: u8, payload: &[u8]) -> bool {
    match marker {
        0xE0 => payload.starts_with(b"JFIF\0"),
        0xE2 => payload.starts_with(b"ICC_PROFILE\0"),
        0xEE => payload.starts_with(b"Adobe"),
        0xE1 | 0xE3..=0xED | 0xEF | 0xFE => false,
        _ => true,
    }
}

/// A WebP file without its `EXIF` and `XMP ` chunks and their `VP8X` flags,
/// or `None` if it is not well formed.
fn strip_webp(file: &[u8]) -> Option<Vec<u8>> {
    const EXIF_FLAG: u8 = 0x08;
    const XMP_FLAG: u8 = 0x04;
    let declared = usize::try_from(u32::from_le_bytes(file.get(4..8)?.try_into().ok()?)).ok()?;
    let end = declared.checked_add(8)?;
    let body = file.get(12..end)?;
    let mut out = Vec::with_capacity(file.len());
    out.extend_from_slice(b"RIFF\0\0\0\0WEBP");
    let mut at = 0;
    while at < body.len() {
        let header = body.get(at..at + 8)?;
        let size = usize::try_from(u32::from_le_bytes(header[4..8].try_into().ok()?)).ok()?;
        let padded = size.checked_add(size & 1)?;
        let chunk_end = at.checked_add(8)?.checked_add(padded)?;
        // The last chunk's padding byte may be missing.
        let chunk = body.get(at..chunk_end.min(body.len()))?;
        if chunk.len() < 8 + size {
            return None;
        }
        match &header[..4] {
            b"VP8X" => {
                let mut copy = chunk.to_vec();
                if let Some(flags) = copy.get_mut(8) {
                    *flags &= !(EXIF_FLAG | XMP_FLAG);
                }
                out.extend_from_slice(&copy);
            }
            // An allow-list: the image data and what draws it. EXIF, XMP and
            // any other chunk (C2PA, private ones) go.
            b"VP8 " | b"VP8L" | b"ALPH" | b"ANIM" | b"ANMF" | b"ICCP" => {
                out.extend_from_slice(chunk)
            }
            _ => {}
        }
        at = chunk_end;
    }
    let size = u32::try_from(out.len() - 8).ok()?;
    out[4..8].copy_from_slice(&size.to_le_bytes());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip_in_pieces(input: &[u8], piece: usize) -> (Vec<u8>, Outcome) {
        let mut stripper = Stripper::new(Vec::new());
        for chunk in input.chunks(piece.max(1)) {
            stripper.write_all(chunk).expect("write");
        }
        stripper.finish().expect("finish")
    }

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(
            &u16::try_from(payload.len() + 2)
                .expect("short")
                .to_be_bytes(),
        );
        s.extend_from_slice(payload);
        s
    }

    fn jpeg() -> (Vec<u8>, Vec<u8>) {
        let jfif = segment(0xE0, b"JFIF\0\x01\x02\0\0\x01\0\x01\0\0");
        let exif = segment(0xE1, b"Exif\0\0GPS-SECRET");
        let xmp = segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0AUTHOR-SECRET");
        let iptc = segment(0xED, b"Photoshop 3.0\0IPTC-SECRET");
        let comment = segment(0xFE, b"COMMENT-SECRET");
        let icc = segment(0xE2, b"ICC_PROFILE\0\x01\x01profile");
        let dqt = segment(0xDB, &[0; 65]);
        let sos = segment(0xDA, &[1, 1, 0, 0, 63, 0]);
        let scan = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56];
        let mut input = vec![0xFF, 0xD8];
        let mut want = vec![0xFF, 0xD8];
        for (seg, kept) in [
            (&jfif, true),
            (&exif, false),
            (&xmp, false),
            (&iptc, false),
            (&comment, false),
            (&icc, true),
            (&dqt, true),
            (&sos, true),
        ] {
            input.extend_from_slice(seg);
            if kept {
                want.extend_from_slice(seg);
            }
        }
        for out in [&mut input, &mut want] {
            out.extend_from_slice(&scan);
            out.extend_from_slice(&[0xFF, 0xD9]);
        }
        input.extend_from_slice(b"TRAILER-SECRET");
        (input, want)
    }

    #[test]
    fn jpeg_loses_exif_xmp_iptc_comments_and_trailer_in_any_chunking() {
        let (input, want) = jpeg();
        for piece in [1, 2, 3, 7, 64, 100_000] {
            let (out, outcome) = strip_in_pieces(&input, piece);
            assert_eq!(outcome, Outcome::Stripped, "piece {piece}");
            assert_eq!(out, want, "piece {piece}");
        }
    }

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = u32::try_from(data.len())
            .expect("short")
            .to_be_bytes()
            .to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[1, 2, 3, 4]);
        c
    }

    #[test]
    fn png_loses_text_exif_and_time_chunks() {
        let kept = [
            png_chunk(b"IHDR", &[0; 13]),
            png_chunk(b"iCCP", b"icc"),
            png_chunk(b"pHYs", &[0, 0, 11, 19, 0, 0, 11, 19, 1]),
            png_chunk(b"IDAT", &[9; 300]),
            png_chunk(b"IEND", &[]),
        ];
        let removed = [
            png_chunk(b"tEXt", b"Author\0SECRET"),
            png_chunk(b"eXIf", b"MM\0*SECRET"),
            png_chunk(b"iTXt", b"XML:com.adobe.xmp\0SECRET"),
            png_chunk(b"zTXt", b"SECRET"),
            png_chunk(b"tIME", &[7; 7]),
            png_chunk(b"caBX", b"c2pa author SECRET"),
            png_chunk(b"prVt", b"private SECRET"),
        ];
        let mut input = PNG_SIGNATURE.to_vec();
        let mut want = PNG_SIGNATURE.to_vec();
        input.extend_from_slice(&kept[0]);
        want.extend_from_slice(&kept[0]);
        for r in &removed {
            input.extend_from_slice(r);
        }
        for k in &kept[1..] {
            input.extend_from_slice(k);
            want.extend_from_slice(k);
        }
        input.extend_from_slice(b"AFTER-END-SECRET");
        for piece in [1, 5, 8, 13, 4096] {
            let (out, outcome) = strip_in_pieces(&input, piece);
            assert_eq!(outcome, Outcome::Stripped, "piece {piece}");
            assert_eq!(out, want, "piece {piece}");
        }
    }

    fn riff(chunks: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = chunks.concat();
        let mut f = b"RIFF".to_vec();
        f.extend_from_slice(&u32::try_from(body.len() + 4).expect("short").to_le_bytes());
        f.extend_from_slice(b"WEBP");
        f.extend_from_slice(&body);
        f
    }

    fn webp_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = kind.to_vec();
        c.extend_from_slice(&u32::try_from(data.len()).expect("short").to_le_bytes());
        c.extend_from_slice(data);
        if data.len() % 2 == 1 {
            c.push(0);
        }
        c
    }

    #[test]
    fn webp_loses_exif_and_xmp_chunks_and_flags() {
        let vp8x = |flags: u8| webp_chunk(b"VP8X", &[flags, 0, 0, 0, 1, 0, 0, 1, 0, 0]);
        let image = webp_chunk(b"VP8L", &[0x2F, 1, 2, 3, 4]);
        let icc = webp_chunk(b"ICCP", b"icc");
        let input = riff(&[
            vp8x(0x20 | 0x08 | 0x04),
            icc.clone(),
            image.clone(),
            webp_chunk(b"EXIF", b"GPS-SECRET"),
            webp_chunk(b"XMP ", b"AUTHOR-SECRET"),
            webp_chunk(b"C2PA", b"CREDENTIALS-SECRET"),
        ]);
        let want = riff(&[vp8x(0x20), icc, image]);
        let (out, outcome) = strip_in_pieces(&input, 3);
        assert_eq!(outcome, Outcome::Stripped);
        assert_eq!(out, want);
    }

    #[test]
    fn many_fill_bytes_and_empty_segments_are_read_through() {
        // Each fill byte and each empty segment is consumed from the front
        // of what is held back; the result is the image without them.
        let (jpeg, want) = jpeg();
        let mut input = jpeg[..2].to_vec();
        input.extend(std::iter::repeat_n(0xFF, 200_000));
        for _ in 0..50_000 {
            input.extend_from_slice(&segment(0xE1, b""));
        }
        input.extend_from_slice(&jpeg[2..]);
        for piece in [7, 65_536, input.len()] {
            let (out, outcome) = strip_in_pieces(&input, piece);
            assert_eq!(outcome, Outcome::Stripped, "piece {piece}");
            assert_eq!(out, want, "piece {piece}");
        }
    }

    #[test]
    fn other_files_pass_unchanged() {
        for input in [
            b"%PDF-1.7 author SECRET".to_vec(),
            b"short".to_vec(),
            Vec::new(),
            b"plain text, long enough to be sniffed".to_vec(),
        ] {
            let (out, outcome) = strip_in_pieces(&input, 4);
            assert_eq!(outcome, Outcome::Kept);
            assert_eq!(out, input);
        }
    }

    #[test]
    fn malformed_images_never_panic_and_are_reported_kept() {
        let (jpeg, _) = jpeg();
        let mut cases: Vec<Vec<u8>> = vec![
            // A segment length below 2.
            vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8],
            // Garbage where a marker belongs.
            vec![
                0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x02, 0x42, 0x42, 0x42, 0, 0, 0, 0, 0,
            ],
            // A segment longer than the file.
            vec![0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 1, 2, 3, 4, 5, 6],
            // A PNG chunk with an impossible length and type.
            [PNG_SIGNATURE, &[0xFF, 0xFF, 0xFF, 0xFF, 0, 1, 2, 3]].concat(),
            // A PNG cut short.
            [PNG_SIGNATURE, &png_chunk(b"IHDR", &[0; 13])[..10]].concat(),
            // A WebP whose size lies.
            b"RIFF\xff\xff\xff\x7fWEBPVP8X".to_vec(),
            // A WebP chunk longer than the file.
            riff(&[b"VP8X\xff\xff\0\0abc".to_vec()]),
        ];
        for cut in [3, 20, 40, jpeg.len() - 20] {
            cases.push(jpeg[..cut].to_vec());
        }
        for input in cases {
            for piece in [1, 3, 1000] {
                let (out, _) = strip_in_pieces(&input, piece);
                assert!(out.len() <= input.len());
            }
        }
        let (out, outcome) = strip_in_pieces(&cases_first(), 2);
        assert_eq!(outcome, Outcome::Kept);
        assert!(
            out.ends_with(&[5, 6, 7, 8]),
            "the rest is stored as it came"
        );
    }

    fn cases_first() -> Vec<u8> {
        vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8]
    }

    /// Where the browser's stripper (src/web/script/src/metadata.js) finds
    /// the inputs and what this stripper makes of them.
    const BROWSER_FIXTURE: &str = "src/web/script/test/fixtures/metadata.json";

    /// A JPEG with what the first one lacks: fill bytes, a non-JFIF APP0, an
    /// Adobe APP14, an MPF APP2 and one that only looks like ICC, an APP15,
    /// TEM, restart markers in and between scans, fill bytes ending a scan,
    /// two scans, and a second image appended.
    fn jpeg_odd() -> Vec<u8> {
        let mut f = vec![0xFF, 0xD8, 0xFF, 0xFF];
        f.extend_from_slice(&segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
        f.extend_from_slice(&segment(0xE0, b"JFXX\0\x10thumbnail-SECRET"));
        f.extend_from_slice(&segment(0xEE, b"Adobe\0\x64\0\0\0\0\x01"));
        f.extend_from_slice(&segment(0xE2, b"MPF\0preview-SECRET"));
        f.extend_from_slice(&segment(0xEF, b"vendor-SECRET"));
        f.extend_from_slice(&segment(0xE2, b"ICC_PROFIL"));
        f.extend_from_slice(&[0xFF, 0x01]);
        f.extend_from_slice(&segment(0xC2, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]));
        f.extend_from_slice(&segment(0xC4, &[0, 1, 2, 3]));
        f.extend_from_slice(&segment(0xDA, &[1, 1, 0, 0, 63, 0]));
        f.extend_from_slice(&[0xAA, 0xFF, 0x00, 0xFF, 0xD3, 0xBB, 0xFF, 0xFF, 0xFF]);
        f.extend_from_slice(&segment(0xC4, &[9, 9]));
        f.extend_from_slice(&[0xFF, 0xD4]);
        f.extend_from_slice(&segment(0xDA, &[1, 1, 0, 0, 63, 0]));
        f.extend_from_slice(&[0xCC, 0xFF, 0x00, 0xDD]);
        f.extend_from_slice(&[0xFF, 0xD9, 0xFF, 0xD8, 0xFF, 0xE1, 0, 4, 1, 2]);
        f
    }

    fn png_file() -> Vec<u8> {
        let mut f = PNG_SIGNATURE.to_vec();
        for chunk in [
            png_chunk(b"IHDR", &[0; 13]),
            png_chunk(b"tEXt", b"Author\0SECRET"),
            png_chunk(b"sRGB", &[0]),
            png_chunk(b"eXIf", b"MM\0*SECRET"),
            png_chunk(b"acTL", &[0, 0, 0, 1, 0, 0, 0, 0]),
            png_chunk(b"fcTL", &[0; 26]),
            png_chunk(b"iTXt", b"XML:com.adobe.xmp\0SECRET"),
            png_chunk(b"IDAT", &[9; 40]),
            png_chunk(b"tIME", &[7; 7]),
            png_chunk(b"zTXt", b"SECRET"),
            png_chunk(b"fdAT", &[0, 0, 0, 1, 5, 5]),
            png_chunk(b"IEND", &[]),
        ] {
            f.extend_from_slice(&chunk);
        }
        f.extend_from_slice(b"AFTER-END-SECRET");
        f
    }

    fn webp_file() -> Vec<u8> {
        riff(&[
            webp_chunk(b"VP8X", &[0x3E, 0, 0, 0, 1, 0, 0, 1, 0, 0]),
            webp_chunk(b"ICCP", b"icc"),
            webp_chunk(b"ANIM", &[0, 0, 0, 0, 0, 0]),
            webp_chunk(b"ANMF", &[1; 21]),
            webp_chunk(b"EXIF", b"GPS-SECRET"),
            webp_chunk(b"ALPH", &[2; 3]),
            webp_chunk(b"VP8 ", &[3; 10]),
            webp_chunk(b"XMP ", b"AUTHOR-SECRET"),
            webp_chunk(b"C2PA", b"CREDENTIALS-SECRET"),
        ])
    }

    /// The inputs of the browser fixture: every rule of the module doc, the
    /// malformed cases above, and deterministic cuts and one-byte changes of
    /// each kind of image, so the two strippers meet on odd paths too.
    fn browser_fixture_cases() -> Vec<(String, Vec<u8>)> {
        let (jpeg, _) = jpeg();
        let png = png_file();
        let webp = webp_file();
        let mut cases: Vec<(String, Vec<u8>)> = vec![
            (
                "jpeg: EXIF, XMP, IPTC, comment and trailer".into(),
                jpeg.clone(),
            ),
            (
                "jpeg: fill bytes, APP0, APP2, APP14, APP15, TEM, RST, two scans".into(),
                jpeg_odd(),
            ),
            ("jpeg: segment length below 2".into(), cases_first()),
            (
                "jpeg: garbage where a marker belongs".into(),
                vec![
                    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x02, 0x42, 0x42, 0x42, 0, 0, 0, 0, 0,
                ],
            ),
            (
                "jpeg: segment longer than the file".into(),
                vec![0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 1, 2, 3, 4, 5, 6],
            ),
            (
                "jpeg: a second start of image".into(),
                [
                    &jpeg[..2],
                    &segment(0xE1, b"Exif\0\0SECRET")[..],
                    &[0xFF, 0xD8, 0xFF, 0xE0, 0, 2],
                ]
                .concat(),
            ),
            (
                "jpeg: a zero marker".into(),
                [&jpeg[..2], &[0xFF, 0x00], &jpeg[2..]].concat(),
            ),
            (
                "jpeg: shorter than the sniff".into(),
                vec![0xFF, 0xD8, 0xFF, 0xE1, 0, 8, 1, 2],
            ),
            (
                "png: text, eXIf, tIME, iTXt, zTXt, APNG and trailing bytes".into(),
                png.clone(),
            ),
            ("png: the existing test's chunks".into(), {
                let mut f = PNG_SIGNATURE.to_vec();
                for c in [
                    png_chunk(b"IHDR", &[0; 13]),
                    png_chunk(b"caBX", b"c2pa author SECRET"),
                    png_chunk(b"prVt", b"private SECRET"),
                    png_chunk(b"iCCP", b"icc"),
                    png_chunk(b"pHYs", &[0, 0, 11, 19, 0, 0, 11, 19, 1]),
                    png_chunk(b"IDAT", &[9; 300]),
                    png_chunk(b"IEND", &[]),
                ] {
                    f.extend_from_slice(&c);
                }
                f
            }),
            (
                "png: an impossible length".into(),
                [
                    PNG_SIGNATURE,
                    &[0xFF, 0xFF, 0xFF, 0xFF, b'I', b'D', b'A', b'T', 0, 0],
                ]
                .concat(),
            ),
            (
                "png: a removed chunk's length above 2^31 - 1".into(),
                [
                    PNG_SIGNATURE,
                    &png_chunk(b"IHDR", &[0; 13])[..],
                    &[0x80, 0, 0, 0, b't', b'E', b'X', b't', 1, 2, 3],
                ]
                .concat(),
            ),
            (
                "jpeg: empty segments".into(),
                [
                    &[0xFF, 0xD8][..],
                    &segment(0xE1, b""),
                    &segment(0xFE, b""),
                    &segment(0xE0, b""),
                    &segment(0xE2, b""),
                    &segment(0xDB, &[0; 65]),
                    &segment(0xDA, &[1, 1, 0, 0, 63, 0]),
                    &[0x77, 0xFF, 0xD9],
                ]
                .concat(),
            ),
            (
                "png: a chunk type that is not letters".into(),
                [
                    PNG_SIGNATURE,
                    &png_chunk(b"IHDR", &[0; 13])[..],
                    &png_chunk(b"tEX1", b"x")[..],
                ]
                .concat(),
            ),
            (
                "png: without IEND".into(),
                [
                    PNG_SIGNATURE,
                    &png_chunk(b"IHDR", &[0; 13])[..],
                    &png_chunk(b"tEXt", b"a\0b")[..],
                ]
                .concat(),
            ),
            (
                "png: signature and four bytes".into(),
                [PNG_SIGNATURE, &[0, 0, 0, 13]].concat(),
            ),
            ("webp: EXIF, XMP, C2PA and VP8X flags".into(), webp.clone()),
            ("webp: the last chunk's padding missing".into(), {
                let mut f = riff(&[
                    webp_chunk(b"VP8L", &[0x2F, 1, 2, 3, 4]),
                    webp_chunk(b"EXIF", b"GPS"),
                ]);
                f.pop();
                let size = u32::try_from(f.len() - 8).expect("short");
                f[4..8].copy_from_slice(&size.to_le_bytes());
                f
            }),
            (
                "webp: bytes after the declared size".into(),
                [
                    riff(&[webp_chunk(b"VP8 ", &[5; 8]), webp_chunk(b"EXIF", b"GPS")]),
                    b"AFTER-SECRET".to_vec(),
                ]
                .concat(),
            ),
            (
                "webp: an empty VP8X".into(),
                riff(&[webp_chunk(b"VP8X", &[]), webp_chunk(b"VP8L", &[1, 2])]),
            ),
            (
                "webp: size lies".into(),
                b"RIFF\xff\xff\xff\x7fWEBPVP8X".to_vec(),
            ),
            (
                "webp: a chunk longer than the file".into(),
                riff(&[b"VP8X\xff\xff\0\0abc".to_vec()]),
            ),
            (
                "webp: a declared size below 4".into(),
                b"RIFF\x02\0\0\0WEBPVP8L\0\0\0\0".to_vec(),
            ),
            (
                "webp: a chunk header cut short".into(),
                riff(&[webp_chunk(b"VP8L", &[1, 2]), b"EXI".to_vec()]),
            ),
            (
                "riff: not WebP".into(),
                riff(&[webp_chunk(b"EXIF", b"GPS")])
                    .iter()
                    .enumerate()
                    .map(|(i, &b)| if i == 8 { b'X' } else { b })
                    .collect(),
            ),
            (
                "text: plain text".into(),
                b"plain text, long enough to be sniffed".to_vec(),
            ),
            (
                "pdf: with an author".into(),
                b"%PDF-1.7 author SECRET".to_vec(),
            ),
            ("gif".into(), b"GIF89a\x01\0\x01\0\0\0\0;".to_vec()),
            ("short".into(), b"short".to_vec()),
            ("empty".into(), Vec::new()),
        ];
        for (kind, file) in [
            ("jpeg", &jpeg),
            ("jpeg odd", &jpeg_odd()),
            ("png", &png),
            ("webp", &webp),
        ] {
            for k in 1..=12 {
                let cut = file.len() * k / 13;
                cases.push((format!("{kind}: cut at {cut}"), file[..cut].to_vec()));
            }
            for k in 1..=16usize {
                let at = (k * 37 + 5) % file.len();
                let mut changed = file.clone();
                changed[at] = changed[at]
                    .wrapping_add(u8::try_from(k * 29 % 255).expect("byte"))
                    .wrapping_add(1);
                cases.push((format!("{kind}: byte {at} changed"), changed));
            }
        }
        cases
    }

    fn outcome_name(outcome: Outcome) -> &'static str {
        match outcome {
            Outcome::Stripped => "stripped",
            Outcome::Kept => "kept",
        }
    }

    fn browser_fixture() -> serde_json::Value {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let entries = browser_fixture_cases()
            .into_iter()
            .map(|(name, input)| {
                let (output, outcome) = strip_in_pieces(&input, input.len());
                for piece in [1, 7] {
                    assert_eq!(
                        strip_in_pieces(&input, piece),
                        (output.clone(), outcome),
                        "{name}, piece {piece}"
                    );
                }
                serde_json::json!({
                    "name": name,
                    "input_b64": b64.encode(&input),
                    "output_b64": b64.encode(&output),
                    "outcome": outcome_name(outcome),
                })
            })
            .collect();
        serde_json::Value::Array(entries)
    }

    /// The browser strips as this module does (SPEC §3.5): its test runs
    /// every input of the fixture through metadata.js and wants these bytes
    /// and outcomes. `VARSEL_WRITE_FIXTURES=1` writes the fixture again
    /// after a change here; otherwise it is only compared.
    #[test]
    fn browser_fixture_matches_the_stripper() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(BROWSER_FIXTURE);
        let want = browser_fixture();
        if std::env::var_os("VARSEL_WRITE_FIXTURES").is_some_and(|v| v == "1") {
            let text = serde_json::to_string_pretty(&want).expect("json") + "\n";
            std::fs::write(&path, text).expect("write the fixture");
        }
        let text = std::fs::read_to_string(&path).expect("read the fixture");
        let have: serde_json::Value = serde_json::from_str(&text).expect("parse the fixture");
        assert!(
            have == want,
            "{BROWSER_FIXTURE} differs from the Rust stripper: run this test with VARSEL_WRITE_FIXTURES=1, then the Node test"
        );
    }
}
