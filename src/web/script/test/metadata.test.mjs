// metadata.js against the server's stripper: every input of
// fixtures/metadata.json (written by the Rust test
// `browser_fixture_matches_the_stripper` in src/core/metadata.rs, which
// checks it on every `cargo test`) must come out byte for byte as the Rust
// `Stripper` wrote it, with the same outcome, whole, in pieces, as a stream
// and as a Blob. Then what the fixture cannot carry: the WebP size limit, a
// file that is not read past its first bytes, and random damage.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { KEPT, MAX_WEBP_BYTES, STRIPPED, Stripper, formatOf, stripMetadata, stripStream } from "../src/metadata.js";

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = JSON.parse(readFileSync(join(here, "fixtures/metadata.json"), "utf8")).map((f) => ({
  name: f.name,
  input: new Uint8Array(Buffer.from(f.input_b64, "base64")),
  output: new Uint8Array(Buffer.from(f.output_b64, "base64")),
  outcome: f.outcome,
}));

function concat(pieces) {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Runs `input` through a Stripper `piece` bytes at a time. */
function stripInPieces(input, piece) {
  const stripper = new Stripper();
  const pieces = [];
  for (let at = 0; at < input.length; at += piece) pieces.push(...stripper.write(input.subarray(at, at + piece)));
  const { pieces: last, outcome } = stripper.finish();
  return { output: concat([...pieces, ...last]), outcome };
}

/** A ReadableStream of `input` in pieces of `piece` bytes. */
function streamOf(input, piece) {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= input.length) {
        controller.close();
        return;
      }
      controller.enqueue(input.slice(at, at + piece));
      at += piece;
    },
  });
}

// ---------------------------------------------------------------------------

test("the fixture covers every kind of file and outcome", () => {
  assert.ok(fixtures.length >= 100, `${fixtures.length} cases`);
  const kinds = new Set(fixtures.map((f) => formatOf(f.input)));
  assert.deepEqual([...kinds].sort(), ["jpeg", "png", "webp", null].sort());
  for (const outcome of [STRIPPED, KEPT]) assert.ok(fixtures.some((f) => f.outcome === outcome), outcome);
  // Some kept images were still changed before the point they broke.
  assert.ok(fixtures.some((f) => f.outcome === KEPT && formatOf(f.input) && f.output.length < f.input.length));
  // The secrets the cases carry are gone from every stripped output.
  const text = (bytes) => Buffer.from(bytes).toString("latin1");
  const whole = fixtures.filter((f) => f.outcome === STRIPPED && !/cut|changed/.test(f.name));
  assert.ok(whole.filter((f) => text(f.input).includes("SECRET")).length >= 5);
  for (const f of whole) assert.equal(text(f.output).includes("SECRET"), false, f.name);
});

test("every fixture strips as the server does, whole and in pieces of 1, 7 and 4096 bytes", () => {
  for (const f of fixtures) {
    for (const piece of [Math.max(1, f.input.length), 1, 7, 4096]) {
      const { output, outcome } = stripInPieces(f.input, piece);
      assert.equal(outcome, f.outcome, `${f.name}, piece ${piece}`);
      assert.deepEqual(output, f.output, `${f.name}, piece ${piece}`);
    }
  }
});

test("every fixture strips as the server does through the TransformStream", async () => {
  for (const f of fixtures) {
    for (const piece of [1, 7, 4096]) {
      const strip = stripStream();
      const output = new Uint8Array(await new Response(streamOf(f.input, piece).pipeThrough(strip)).arrayBuffer());
      assert.equal(await strip.outcome, f.outcome, `${f.name}, piece ${piece}`);
      assert.deepEqual(output, f.output, `${f.name}, piece ${piece}`);
    }
  }
});

test("every fixture strips as the server does from a Blob", async () => {
  for (const f of fixtures) {
    const { blob, outcome } = await stripMetadata(new Blob([f.input]));
    assert.equal(outcome, f.outcome, f.name);
    assert.deepEqual(new Uint8Array(await blob.arrayBuffer()), f.output, f.name);
  }
});

test("a file that is not an image is returned as it is, not read past its first bytes", async () => {
  const file = new File([new TextEncoder().encode("%PDF-1.7 author SECRET")], "a.pdf", { type: "application/pdf" });
  let reads = 0;
  const watched = {
    size: file.size,
    slice: (...args) => {
      reads++;
      return file.slice(...args);
    },
    stream: () => assert.fail("not streamed"),
  };
  const { blob, outcome } = await stripMetadata(watched);
  assert.equal(outcome, KEPT);
  assert.equal(blob, watched);
  assert.equal(reads, 1);
  // A name or type saying "image" changes nothing: the bytes tell.
  const named = new File([new Uint8Array(20)], "photo.jpg", { type: "image/jpeg" });
  assert.equal((await stripMetadata(named)).blob, named);
});

/** A WebP file of exactly `size` bytes: one VP8L chunk and one EXIF chunk. */
function webpOfSize(size) {
  const exif = 8 + 4;
  const image = size - 12 - 8 - exif;
  const f = new Uint8Array(size);
  const view = new DataView(f.buffer);
  f.set(new TextEncoder().encode("RIFF"), 0);
  view.setUint32(4, size - 8, true);
  f.set(new TextEncoder().encode("WEBPVP8L"), 8);
  view.setUint32(16, image, true);
  f.fill(7, 20, 20 + image);
  f.set(new TextEncoder().encode("EXIF"), 20 + image);
  view.setUint32(24 + image, 4, true);
  f.set(new TextEncoder().encode("GPS!"), 28 + image);
  return f;
}

test("a WebP file is rewritten up to MAX_WEBP_BYTES, and passes unchanged above", () => {
  // The VP8L chunk must have an even size to need no padding.
  const atLimit = webpOfSize(MAX_WEBP_BYTES);
  const small = stripInPieces(atLimit, 65536);
  assert.equal(small.outcome, STRIPPED);
  assert.equal(small.output.length, MAX_WEBP_BYTES - 12);
  assert.deepEqual(small.output.subarray(12, 64), atLimit.subarray(12, 64));

  const over = webpOfSize(MAX_WEBP_BYTES + 2);
  const stripper = new Stripper();
  const pieces = [];
  for (let at = 0; at < over.length; at += 65536) pieces.push(...stripper.write(over.subarray(at, at + 65536)));
  // Once past the limit nothing is held back.
  assert.equal(stripper.pending.length, 0);
  const { pieces: last, outcome } = stripper.finish();
  assert.equal(outcome, KEPT);
  assert.deepEqual(concat([...pieces, ...last]), over);
});

test("damaged images never throw, never grow, and strip the same in any chunking", () => {
  // A small deterministic generator, so a failure can be repeated.
  let seed = 0x2545f491;
  const next = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const images = fixtures.filter((f) => f.outcome === STRIPPED && f.input.length > 20);
  for (let round = 0; round < 400; round++) {
    const base = images[next() % images.length].input;
    const input = base.slice(0, 1 + (next() % base.length));
    for (let k = next() % 4; k >= 0; k--) input[next() % input.length] = next() & 0xff;
    const whole = stripInPieces(input, input.length);
    assert.ok(whole.output.length <= input.length, `round ${round}`);
    for (const piece of [1, 3, 64]) assert.deepEqual(stripInPieces(input, piece), whole, `round ${round}, piece ${piece}`);
  }
});

test("a stripper refuses what it cannot take", () => {
  const stripper = new Stripper();
  assert.throws(() => stripper.write("text"), TypeError);
  stripper.finish();
  assert.throws(() => stripper.write(new Uint8Array(1)), /finished/);
  assert.throws(() => stripper.finish(), /finished/);
});
