// casecode.js against crypto/tests/testdata/case-codes.json, which the Rust
// crate checks too (crypto/tests/case_code_fixtures.rs), and its own
// properties.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

import {
  ALPHABET,
  CODE_SYMBOLS,
  CaseCodeError,
  generateCaseCode,
  parseCaseCode,
} from "../src/casecode.js";
import { decryptWith, encryptTo } from "../src/seal.js";

const FIXTURES = new URL("../../../../crypto/tests/testdata/case-codes.json", import.meta.url);
const fixtures = JSON.parse(readFileSync(FIXTURES, "utf8"));

test("every valid fixture gives the crate's canonical form, tag and X25519 keys", async () => {
  assert.ok(fixtures.valid.length >= 5);
  for (const entry of fixtures.valid) {
    const label = `${JSON.stringify(entry.typed)} (${entry.why})`;
    const code = parseCaseCode(entry.typed);
    assert.equal(code.canonical(), entry.canonical, label);
    assert.equal(code.grouped(), entry.grouped, label);
    assert.equal(code.lookupTag(), entry.lookup_tag, label);
    assert.equal(code.reporterIdentity(), entry.x25519_identity, label);
    assert.equal(await code.reporterRecipient(), entry.x25519_recipient, label);
  }
});

test("every valid fixture gives the crate's post-quantum hybrid keys", async () => {
  for (const entry of fixtures.valid) {
    const label = `${JSON.stringify(entry.typed)} (${entry.why})`;
    const code = parseCaseCode(entry.typed);
    const identity = code.reporterHybridIdentity();
    assert.match(identity, /^AGE-SECRET-KEY-PQ-1[02-9AC-HJ-NP-Z]+$/);
    assert.equal(identity, entry.hybrid_identity, label);
    assert.equal(await code.reporterHybridRecipient(), entry.hybrid_recipient, label);
  }
});

test("the all-zero code's hybrid identity is the one the crypto crate pins", async () => {
  // The constants of `the_hybrid_derivation_is_pinned` in crypto/src/case_code.rs.
  const code = parseCaseCode("0".repeat(24));
  assert.equal(
    code.reporterHybridIdentity(),
    "AGE-SECRET-KEY-PQ-19PMTCQ0V6V8777ZCJS939XUNPPKVAYN7EQSPZ5UMMN0N3RRDHW2Q3JWRUE",
  );
  const recipient = await code.reporterHybridRecipient();
  assert.ok(recipient.startsWith("age1pq1qqmnvxf5s20wjm57p2twmvdl0y9vzwgfk"));
  assert.equal(
    createHash("sha256").update(recipient).digest("hex"),
    "d1d726ec7775418f858e8ad3021c1b1c0e35e5a5fb71a3c2ee9a6d27edea57bb",
  );
  // And the v1 tag pinned in crypto/src/case_code.rs on main.
  assert.equal(code.lookupTag(), "0888444dc0c72e8ad8e15020cc60ee44c7c220d80ff6c4886a5c0aab4fa6301a");
});

test("every invalid fixture fails with the crate's error kind and details", () => {
  const kinds = new Set();
  for (const entry of fixtures.invalid) {
    const label = `${JSON.stringify(entry.typed)} (${entry.why})`;
    let error;
    try {
      parseCaseCode(entry.typed);
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof CaseCodeError, `${label}: expected ${entry.error}, it parsed`);
    assert.equal(error.kind, entry.error, label);
    kinds.add(error.kind);
    if (entry.error === "length") {
      assert.equal(error.expected, entry.expected, label);
      assert.equal(error.found, entry.found, label);
    }
    if (entry.error === "invalid-character") assert.equal(error.position, entry.position, label);
    assert.ok(!error.message.includes(entry.typed) || entry.typed === "", "the message never echoes the code");
  }
  assert.deepEqual([...kinds].sort(), ["invalid-character", "length", "typo"]);
});

test("generated codes round-trip in every accepted spelling", () => {
  for (let i = 0; i < 200; i++) {
    const code = generateCaseCode();
    const grouped = code.grouped();
    assert.equal(grouped.length, 29);
    assert.match(grouped, /^([0-9A-HJKMNP-TV-Z]{4}-){5}[0-9A-HJKMNP-TV-Z]{4}$/);
    const spellings = [
      grouped,
      grouped.replaceAll("-", ""),
      grouped.replaceAll("-", " "),
      grouped.toLowerCase(),
      `  ${grouped.toLowerCase().replaceAll("-", " - ")}  `,
      grouped.replaceAll("0", "o").replaceAll("1", "L"),
      grouped.replaceAll("1", "i"),
    ];
    for (const s of spellings) {
      const back = parseCaseCode(s);
      assert.ok(back.equals(code), s);
      assert.equal(back.lookupTag(), code.lookupTag());
    }
  }
});

test("every single substitution and adjacent swap in a sample is a typo", () => {
  for (let n = 0; n < 20; n++) {
    const canonical = generateCaseCode().canonical();
    for (let pos = 0; pos < CODE_SYMBOLS; pos++) {
      for (const replacement of ALPHABET) {
        if (replacement === canonical[pos]) continue;
        const typo = canonical.slice(0, pos) + replacement + canonical.slice(pos + 1);
        assert.throws(() => parseCaseCode(typo), (e) => e.kind === "typo");
      }
      if (pos + 1 < CODE_SYMBOLS && canonical[pos] !== canonical[pos + 1]) {
        const swapped = canonical.slice(0, pos) + canonical[pos + 1] + canonical[pos] + canonical.slice(pos + 2);
        assert.throws(() => parseCaseCode(swapped), (e) => e.kind === "typo");
      }
    }
  }
});

test("generated symbols use the whole alphabet, about evenly", () => {
  const counts = new Array(32).fill(0);
  const codes = 2000;
  for (let i = 0; i < codes; i++) {
    const canonical = generateCaseCode().canonical();
    for (let j = 0; j < 23; j++) counts[ALPHABET.indexOf(canonical[j])]++;
  }
  const expected = (codes * 23) / 32; // 1437.5; σ ≈ 37
  for (const c of counts) assert.ok(Math.abs(c - expected) < 8 * 38, `count ${c}`);
});

test("a code's X25519 and hybrid identities open what is sealed to their recipients", async () => {
  const code = generateCaseCode();
  const x = await code.reporterRecipient();
  const pq = await code.reporterHybridRecipient();
  const other = generateCaseCode();
  for (const [recipient, identity] of [
    [x, code.reporterIdentity()],
    [pq, code.reporterHybridIdentity()],
  ]) {
    const file = await encryptTo([recipient], new TextEncoder().encode("svar"));
    assert.equal(new TextDecoder().decode(await decryptWith([identity], file)), "svar");
    await assert.rejects(decryptWith([other.reporterIdentity(), other.reporterHybridIdentity()], file));
  }
});

test("distinct codes give distinct derivations; wipe makes a code unusable", () => {
  const tags = new Set();
  for (let i = 0; i < 200; i++) tags.add(generateCaseCode().lookupTag());
  assert.equal(tags.size, 200);
  const code = parseCaseCode("0".repeat(24));
  const tag = code.lookupTag();
  assert.notEqual(tag, code.reporterIdentity());
  code.wipe();
  assert.throws(() => code.lookupTag());
});
