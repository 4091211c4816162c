// Removing image metadata in the reporter's browser, by exactly the rules
// the server applies before it encrypts (src/core/metadata.rs, `Stripper`):
// for the same input both write the same bytes and report the same outcome.
// test/metadata.test.mjs checks that against test/fixtures/metadata.json,
// which the Rust test `browser_fixture_matches_the_stripper` checks against
// the Rust side.
//
// What goes is what tells who took a picture and where: EXIF (GPS position,
// camera, author, time), XMP, IPTC, comments and embedded thumbnails. Only
// the container is rewritten; the compressed pixel data passes through byte
// for byte, so the decoded image is identical. Colour profiles (ICC) and
// what decoders need stay.
//
// - JPEG: every APPn segment but JFIF (APP0), ICC_PROFILE (APP2) and Adobe
//   (APP14) is removed — so EXIF and XMP (APP1), MPF and FlashPix (APP2),
//   IPTC (Photoshop APP13) and vendor segments — and every comment (COM),
//   fill bytes before a marker, and anything after the end of the image.
// - PNG: every chunk outside an allow-list of the critical chunks and those
//   that only describe how to draw the pixels (so `eXIf`, `tEXt`, `zTXt`,
//   `iTXt`, `tIME`, C2PA and private chunks), and anything after `IEND`.
// - WebP: every chunk but the image data and what draws it (so `EXIF`,
//   `XMP ` and any other), and the EXIF and XMP flags in `VP8X`. A WebP
//   file is rewritten whole (its header holds its size), so it is held in
//   memory, and only up to MAX_WEBP_BYTES; a larger one passes unchanged.
//
// The format is told by the first 12 bytes, never by the file's name or
// type, as on the server. Any other file passes unchanged. An image whose
// structure is broken is passed on as it came from the point where it could
// not be read, and its outcome is "kept": the reporter is told its metadata
// may remain. JPEG and PNG stream: only the bytes of a segment or chunk
// header not yet complete are held back.

/** Largest WebP file rewritten (it is held in memory while it streams in). */
export const MAX_WEBP_BYTES = 32 * 1024 * 1024;

/** The outcome of an image whose metadata was removed. */
export const STRIPPED = "stripped";
/** The outcome of any other file: whatever metadata it carries remains. */
export const KEPT = "kept";

const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
const SNIFF_BYTES = 12;

/** The PNG chunks that stay (src/core/metadata.rs, `keeps_png_chunk`). */
const PNG_KEPT_CHUNKS = new Set([
  "IHDR", "PLTE", "IDAT", "IEND", // critical
  "tRNS", "gAMA", "cHRM", "sRGB", "iCCP", "sBIT", "bKGD", "pHYs", // colour and size
  "cICP", "mDCV", "cLLI", "sPLT", "hIST", // colour spaces, palettes
  "acTL", "fcTL", "fdAT", // animation
]);

/** The WebP chunks that stay (`VP8X` too, without its metadata flags). */
const WEBP_KEPT_CHUNKS = new Set(["VP8 ", "VP8L", "ALPH", "ANIM", "ANMF", "ICCP"]);
const WEBP_EXIF_FLAG = 0x08;
const WEBP_XMP_FLAG = 0x04;

/** Four bytes as text, one character per byte (chunk types). */
function fourCC(bytes, at) {
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

function startsWith(bytes, prefix, at = 0) {
  if (bytes.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

const ascii = (text) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const RIFF = ascii("RIFF");
const WEBP = ascii("WEBP");
const JFIF = ascii("JFIF\0");
const ICC_PROFILE = ascii("ICC_PROFILE\0");
const ADOBE = ascii("Adobe");

/**
 * The format of a file by its first bytes: "jpeg", "png", "webp", or null
 * for anything else and for fewer than 12 bytes (which pass unchanged).
 */
export function formatOf(head) {
  if (head.length < SNIFF_BYTES) return null;
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "jpeg";
  if (startsWith(head, PNG_SIGNATURE)) return "png";
  if (startsWith(head, RIFF) && startsWith(head, WEBP, 8)) return "webp";
  return null;
}

/** Whether a JPEG segment with `marker` and `payload` stays. */
function keepsJpegSegment(marker, payload) {
  if (marker === 0xe0) return startsWith(payload, JFIF);
  if (marker === 0xe2) return startsWith(payload, ICC_PROFILE);
  if (marker === 0xee) return startsWith(payload, ADOBE);
  // APP1, APP3 to APP13, APP15 and comments go; every other segment stays.
  if (marker === 0xe1 || (marker >= 0xe3 && marker <= 0xed) || marker === 0xef || marker === 0xfe) return false;
  return true;
}

/** Whether a byte is an ASCII letter (PNG chunk types are four of them). */
function isLetter(b) {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

function u32le(bytes, at) {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

function u32be(bytes, at) {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

/**
 * A whole WebP file without its metadata chunks and flags, or null if it is
 * not well formed (src/core/metadata.rs, `strip_webp`). Bytes after the size
 * the RIFF header declares are dropped.
 */
export function stripWebp(file) {
  if (file.length < 8) return null;
  const end = u32le(file, 4) + 8;
  if (end < 12 || end > file.length) return null;
  const body = file.subarray(12, end);
  const parts = [];
  let length = 12;
  let at = 0;
  while (at < body.length) {
    if (at + 8 > body.length) return null;
    const kind = fourCC(body, at);
    const size = u32le(body, at + 4);
    const chunkEnd = at + 8 + size + (size & 1);
    // The last chunk's padding byte may be missing.
    const chunk = body.subarray(at, Math.min(chunkEnd, body.length));
    if (chunk.length < 8 + size) return null;
    if (kind === "VP8X") {
      const copy = chunk.slice();
      if (copy.length > 8) copy[8] &= ~(WEBP_EXIF_FLAG | WEBP_XMP_FLAG);
      parts.push(copy);
      length += copy.length;
    } else if (WEBP_KEPT_CHUNKS.has(kind)) {
      parts.push(chunk);
      length += chunk.length;
    }
    at = chunkEnd;
  }
  const out = new Uint8Array(length);
  out.set(RIFF, 0);
  new DataView(out.buffer).setUint32(4, length - 8, true);
  out.set(WEBP, 8);
  let to = 12;
  for (const part of parts) {
    out.set(part, to);
    to += part.length;
  }
  return out;
}

/**
 * The bytes not yet passed on, in one growing buffer. Consuming from the
 * front only moves an offset; the consumed bytes are dropped when more
 * input arrives, so many small segments or fill bytes cost linear time.
 */
class Pending {
  constructor() {
    this.data = new Uint8Array(0);
    this.start = 0;
    this.end = 0;
  }

  get length() {
    return this.end - this.start;
  }

  /** The byte at `i`, or undefined past the end. */
  byte(i) {
    return i < this.length ? this.data[this.start + i] : undefined;
  }

  /** A view of bytes `from` to `to`: only valid until the next `push`. */
  view(from, to) {
    return this.data.subarray(this.start + from, this.start + to);
  }

  /** A copy of the first `n` bytes. */
  copy(n) {
    return this.data.slice(this.start, this.start + n);
  }

  /** Where the next 0xFF is at or after `from`, or -1. */
  indexOfFF(from) {
    const at = this.data.indexOf(0xff, this.start + from);
    return at < 0 || at >= this.end ? -1 : at - this.start;
  }

  /** Consumes the first `n` bytes. */
  drain(n) {
    this.start = Math.min(this.start + n, this.end);
  }

  clear() {
    this.start = 0;
    this.end = 0;
  }

  push(more) {
    const live = this.length;
    if (this.start > 0) {
      this.data.copyWithin(0, this.start, this.end);
      this.start = 0;
      this.end = live;
    }
    const need = live + more.length;
    if (need > this.data.length) {
      const bigger = new Uint8Array(Math.max(need, this.data.length * 2));
      bigger.set(this.data.subarray(0, live));
      this.data = bigger;
    }
    this.data.set(more, live);
    this.end = need;
  }
}

// The states of a Stripper, as in Rust's `State`, `Jpeg` and `Png`.
const SNIFF = "sniff"; // the first bytes, to tell the format
const JPEG_MARKER = "jpeg-marker"; // expecting a marker
const JPEG_SCAN = "jpeg-scan"; // inside entropy-coded data after a start of scan
const JPEG_TRAILER = "jpeg-trailer"; // after the end of the image: dropped
const PNG_HEADER = "png-header"; // expecting a chunk header
const PNG_COPY = "png-copy"; // copying the rest of a kept chunk
const PNG_SKIP = "png-skip"; // skipping the rest of a removed chunk
const PNG_TRAILER = "png-trailer"; // after IEND: dropped
const WEBP_HELD = "webp"; // a WebP file, held until it ends
const THROUGH = "through"; // passed through unchanged (outcome "kept")

/**
 * Removes image metadata from what is written through it, as the server's
 * `Stripper` does. `write(chunk)` takes the next bytes (a Uint8Array) and
 * returns the pieces to pass on (Uint8Arrays, possibly none); `finish()`
 * ends the file and returns `{pieces, outcome}`, the last pieces and
 * "stripped" or "kept". A returned piece may be the chunk given, when the
 * file passes through unchanged: do not reuse a chunk's memory.
 */
export class Stripper {
  constructor() {
    this.state = SNIFF;
    this.pending = new Pending();
    /** In PNG_COPY and PNG_SKIP: the bytes of the chunk still to come. */
    this.left = 0;
    /** In PNG_COPY: whether the chunk is IEND, the last one. */
    this.last = false;
    this.finished = false;
    this.out = [];
  }

  write(chunk) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError("a chunk is a Uint8Array");
    if (this.finished) throw new Error("the stripper has finished");
    if (this.state === THROUGH) {
      // Nothing is held back once the structure is no longer read.
      if (chunk.length > 0) this.out.push(chunk);
    } else {
      this.pending.push(chunk);
      this.process();
    }
    return this.takeOut();
  }

  finish() {
    if (this.finished) throw new Error("the stripper has finished");
    this.finished = true;
    const p = this.pending;
    let outcome;
    switch (this.state) {
      case JPEG_SCAN:
        // A scan cut short still decodes as far as it goes.
        this.emit(p.copy(p.length));
        outcome = STRIPPED;
        break;
      case JPEG_TRAILER:
      case PNG_TRAILER:
        outcome = STRIPPED;
        break;
      case WEBP_HELD: {
        const stripped = stripWebp(p.view(0, p.length));
        if (stripped) {
          this.emit(stripped);
          outcome = STRIPPED;
        } else {
          this.emit(p.copy(p.length));
          outcome = KEPT;
        }
        break;
      }
      case THROUGH:
        outcome = KEPT;
        break;
      default:
        // Too short to tell, or an image that ends inside its structure.
        this.emit(p.copy(p.length));
        outcome = KEPT;
    }
    this.pending = new Pending();
    return { pieces: this.takeOut(), outcome };
  }

  /** The pieces passed on since last asked. */
  takeOut() {
    const out = this.out;
    this.out = [];
    return out;
  }

  emit(bytes) {
    if (bytes.length > 0) this.out.push(bytes);
  }

  /** Stops reading the structure: the rest passes through as it is. */
  giveUp() {
    this.emit(this.pending.copy(this.pending.length));
    this.pending.clear();
    this.state = THROUGH;
  }

  /** Processes as much as can be; keeps the rest for more input. */
  process() {
    for (;;) {
      let progressed;
      switch (this.state) {
        case SNIFF:
          progressed = this.sniff();
          break;
        case JPEG_MARKER:
          progressed = this.jpegMarker();
          break;
        case JPEG_SCAN:
          progressed = this.jpegScan();
          break;
        case JPEG_TRAILER:
        case PNG_TRAILER:
          this.pending.clear();
          progressed = false;
          break;
        case PNG_HEADER:
          progressed = this.pngHeader();
          break;
        case PNG_COPY:
        case PNG_SKIP:
          progressed = this.pngRest();
          break;
        case WEBP_HELD:
          // Past the limit the file is not rewritten, and no longer held.
          if (this.pending.length > MAX_WEBP_BYTES) this.giveUp();
          progressed = false;
          break;
        default:
          this.emit(this.pending.copy(this.pending.length));
          this.pending.clear();
          progressed = false;
      }
      if (!progressed) return;
    }
  }

  sniff() {
    const p = this.pending;
    if (p.length < SNIFF_BYTES) return false;
    switch (formatOf(p.view(0, SNIFF_BYTES))) {
      case "jpeg":
        this.emit(Uint8Array.of(0xff, 0xd8));
        p.drain(2);
        this.state = JPEG_MARKER;
        break;
      case "png":
        this.emit(PNG_SIGNATURE.slice());
        p.drain(PNG_SIGNATURE.length);
        this.state = PNG_HEADER;
        break;
      case "webp":
        this.state = WEBP_HELD;
        break;
      default:
        this.state = THROUGH;
    }
    return true;
  }

  jpegMarker() {
    const p = this.pending;
    if (p.length < 2) return false;
    if (p.byte(0) !== 0xff) {
      this.giveUp();
      return false;
    }
    const marker = p.byte(1);
    if (marker === 0xff) {
      // A fill byte before a marker: dropped.
      p.drain(1);
      return true;
    }
    if (marker === 0xd9) {
      // The end of the image; what follows is dropped.
      this.emit(Uint8Array.of(0xff, 0xd9));
      p.clear();
      this.state = JPEG_TRAILER;
      return true;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      // TEM and restart markers stand alone, without a length.
      this.emit(p.copy(2));
      p.drain(2);
      return true;
    }
    if (marker === 0x00 || marker === 0xd8) {
      this.giveUp();
      return false;
    }
    if (p.length < 4) return false;
    const length = (p.byte(2) << 8) | p.byte(3);
    if (length < 2) {
      this.giveUp();
      return false;
    }
    if (p.length < 2 + length) return false;
    if (keepsJpegSegment(marker, p.view(4, 2 + length))) this.emit(p.copy(2 + length));
    p.drain(2 + length);
    if (marker === 0xda) this.state = JPEG_SCAN;
    return true;
  }

  jpegScan() {
    // Entropy-coded data runs until a marker: 0xFF followed by anything but
    // a stuffed 0x00 or a restart marker.
    const p = this.pending;
    let i = 0;
    while (i < p.length) {
      const at = p.indexOfFF(i);
      if (at < 0) {
        i = p.length;
        break;
      }
      i = at;
      const next = p.byte(i + 1);
      // The byte after 0xFF has not come yet: wait for it.
      if (next === undefined) break;
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) {
        i += 2;
        continue;
      }
      // A marker ends the scan.
      this.emit(p.copy(i));
      p.drain(i);
      this.state = JPEG_MARKER;
      return true;
    }
    this.emit(p.copy(i));
    p.drain(i);
    return false;
  }

  pngHeader() {
    const p = this.pending;
    if (p.length < 8) return false;
    const header = p.view(0, 8);
    const length = u32be(header, 0);
    if (length > 0x7fffffff || ![4, 5, 6, 7].every((i) => isLetter(header[i]))) {
      this.giveUp();
      return false;
    }
    const kind = fourCC(header, 4);
    // The data and the CRC follow.
    this.left = length + 4;
    if (PNG_KEPT_CHUNKS.has(kind)) {
      this.emit(p.copy(8));
      this.state = PNG_COPY;
      this.last = kind === "IEND";
    } else {
      this.state = PNG_SKIP;
    }
    p.drain(8);
    return true;
  }

  pngRest() {
    const p = this.pending;
    const n = Math.min(this.left, p.length);
    if (n === 0 && this.left > 0) return false;
    if (this.state === PNG_COPY) this.emit(p.copy(n));
    p.drain(n);
    this.left -= n;
    if (this.left > 0) return false;
    this.state = this.state === PNG_COPY && this.last ? PNG_TRAILER : PNG_HEADER;
    return true;
  }
}

/**
 * A TransformStream of bytes that removes image metadata, with `outcome`:
 * a promise of "stripped" or "kept", settled once the stream has ended.
 * Usable as `readable.pipeThrough(stripStream())`.
 */
export function stripStream() {
  const stripper = new Stripper();
  let settle;
  const outcome = new Promise((resolve) => {
    settle = resolve;
  });
  const stream = new TransformStream({
    transform(chunk, controller) {
      for (const piece of stripper.write(chunk)) controller.enqueue(piece);
    },
    flush(controller) {
      const { pieces, outcome: result } = stripper.finish();
      for (const piece of pieces) controller.enqueue(piece);
      settle(result);
    },
  });
  return { readable: stream.readable, writable: stream.writable, outcome };
}

/**
 * A Blob or File without image metadata: `{blob, outcome}`. A file that is
 * not a JPEG, PNG or WebP by its first bytes is returned as it is (the
 * stripper would pass it unchanged), without being read further.
 */
export async function stripMetadata(blob) {
  const head = new Uint8Array(await blob.slice(0, SNIFF_BYTES).arrayBuffer());
  if (formatOf(head) === null) return { blob, outcome: KEPT };
  const strip = stripStream();
  const stripped = await new Response(blob.stream().pipeThrough(strip)).blob();
  return { blob: stripped, outcome: await strip.outcome };
}
