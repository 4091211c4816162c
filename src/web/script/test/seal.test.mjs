// seal.js round trips: X25519 and hybrid recipients, several at once, sizes
// around the 64 KiB STREAM chunk, wrapped identities, streamed Blobs.

import { test } from "node:test";
import assert from "node:assert/strict";

import {
  decryptWith,
  encryptBlob,
  encryptTo,
  newCaseIdentity,
  recipientOf,
  unwrapIdentity,
  wrapIdentity,
} from "../src/seal.js";

const CHUNK = 64 * 1024;

function payload(length, seed) {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

async function keyPair(hybrid) {
  const identity = await newCaseIdentity({ hybrid });
  return { identity, recipient: await recipientOf(identity) };
}

test("new identities are of the kind asked for", async () => {
  const x = await keyPair(false);
  assert.match(x.identity, /^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/);
  assert.match(x.recipient, /^age1[02-9ac-hj-np-z]{58}$/);
  const pq = await keyPair(true);
  assert.match(pq.identity, /^AGE-SECRET-KEY-PQ-1[02-9AC-HJ-NP-Z]+$/);
  assert.match(pq.recipient, /^age1pq1[02-9ac-hj-np-z]+$/);
  assert.equal((await newCaseIdentity()).startsWith("AGE-SECRET-KEY-1"), true, "X25519 by default");
});

for (const hybrid of [false, true]) {
  const kind = hybrid ? "hybrid" : "X25519";

  test(`${kind}: encrypt then decrypt, sizes around the chunk edges`, async () => {
    const { identity, recipient } = await keyPair(hybrid);
    for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 17]) {
      const plain = payload(size, size + 7);
      const file = await encryptTo([recipient], plain);
      assert.equal(new TextDecoder().decode(file.subarray(0, 22)), "age-encryption.org/v1\n");
      const stanza = hybrid ? "-> mlkem768x25519 " : "-> X25519 ";
      assert.ok(new TextDecoder().decode(file.subarray(0, 200)).includes(stanza), `${size}: ${stanza}`);
      assert.deepEqual(await decryptWith([identity], file), plain, `size ${size}`);
    }
  });

  test(`${kind}: a wrapped identity unwraps to its exact string`, async () => {
    const caseKey = await newCaseIdentity({ hybrid });
    const member = await keyPair(hybrid);
    const wrapped = await wrapIdentity(caseKey, member.recipient);
    const plain = await decryptWith([member.identity], wrapped);
    assert.equal(new TextDecoder().decode(plain), caseKey, "the plaintext is the Bech32 string");
    assert.equal(await unwrapIdentity([member.identity], wrapped), caseKey);
    const stranger = await keyPair(hybrid);
    await assert.rejects(unwrapIdentity([stranger.identity], wrapped));
  });
}

for (const hybrid of [false, true]) {
  test(`several ${hybrid ? "hybrid" : "X25519"} recipients: each opens the file alone`, async () => {
    const pairs = [await keyPair(hybrid), await keyPair(hybrid), await keyPair(hybrid)];
    const plain = payload(CHUNK + 5, 99);
    const file = await encryptTo(pairs.map((p) => p.recipient), plain);
    for (const p of pairs) assert.deepEqual(await decryptWith([p.identity], file), plain);
    const outsider = await keyPair(hybrid);
    await assert.rejects(decryptWith([outsider.identity], file));
    // A list with a stranger first still finds the matching identity.
    assert.deepEqual(await decryptWith([outsider.identity, pairs[2].identity], file), plain);
  });
}

test("post-quantum and X25519 recipients are never mixed in one file", async () => {
  const x = await keyPair(false);
  const pq = await keyPair(true);
  await assert.rejects(encryptTo([x.recipient, pq.recipient], new Uint8Array(1)), TypeError);
  await assert.rejects(encryptTo([pq.recipient, x.recipient], new Uint8Array(1)), TypeError);
  await assert.rejects(encryptBlob([pq.recipient, x.recipient], new Blob(["x"])), TypeError);
});

test("a tampered file does not decrypt", async () => {
  const { identity, recipient } = await keyPair(true);
  const file = await encryptTo([recipient], payload(1000, 3));
  file[file.length - 1] ^= 1;
  await assert.rejects(decryptWith([identity], file));
});

test("bad arguments are refused before anything is encrypted", async () => {
  const { recipient } = await keyPair(false);
  await assert.rejects(encryptTo([], new Uint8Array(1)), TypeError);
  await assert.rejects(encryptTo([recipient], "text"), TypeError);
  await assert.rejects(encryptTo(["not-a-key"], new Uint8Array(1)), TypeError);
  await assert.rejects(encryptTo(["age1tag1qqqq"], new Uint8Array(1)), TypeError);
  await assert.rejects(wrapIdentity("hemmelig", recipient), TypeError);
  await assert.rejects(decryptWith([], new Uint8Array(1)), TypeError);
});

for (const hybrid of [false, true]) {
  test(`a Blob streams through encryption with progress and the exact size (${hybrid ? "hybrid" : "X25519"})`, async () => {
    const a = await keyPair(hybrid);
    const b = await keyPair(hybrid);
    for (const size of [0, CHUNK, 3 * CHUNK + 1]) {
      const plain = payload(size, 5);
      const seen = [];
      const { stream, size: expected } = await encryptBlob([a.recipient, b.recipient], new Blob([plain]), {
        onProgress: (done, total) => seen.push([done, total]),
      });
      const file = new Uint8Array(await new Response(stream).arrayBuffer());
      assert.equal(file.length, expected, `size ${size}`);
      if (size > 0) assert.deepEqual(seen.at(-1), [size, size]);
      for (const id of [a.identity, b.identity]) assert.deepEqual(await decryptWith([id], file), plain);
    }
  });
}
