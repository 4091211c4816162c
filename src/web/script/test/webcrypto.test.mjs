// Outside a secure context browsers have crypto.getRandomValues but no
// crypto.subtle. The script must still do X25519 there (src/webcrypto.js);
// this file runs in its own process (node --test), with crypto.subtle gone
// before any module loads.

import { test } from "node:test";
import assert from "node:assert/strict";

const real = globalThis.crypto;
Object.defineProperty(globalThis, "crypto", {
  value: Object.freeze({ getRandomValues: (a) => real.getRandomValues(a) }),
  configurable: true,
});

const { generateCaseCode } = await import("../src/casecode.js");
const seal = await import("../src/seal.js");

test("without crypto.subtle, X25519 and hybrid still work", async () => {
  assert.equal(globalThis.crypto.subtle, undefined);
  const code = generateCaseCode();
  const x = await code.reporterRecipient();
  const pq = await code.reporterHybridRecipient();
  const member = await seal.newCaseIdentity({ hybrid: false });
  const classical = await seal.encryptTo([x, await seal.recipientOf(member)], new TextEncoder().encode("uten subtle"));
  for (const id of [code.reporterIdentity(), member]) {
    assert.equal(new TextDecoder().decode(await seal.decryptWith([id], classical)), "uten subtle");
  }
  const hybrid = await seal.encryptTo([pq], new TextEncoder().encode("uten subtle"));
  assert.equal(new TextDecoder().decode(await seal.decryptWith([code.reporterHybridIdentity()], hybrid)), "uten subtle");
  const wrapped = await seal.wrapIdentity(member, x);
  assert.equal(await seal.unwrapIdentity([code.reporterIdentity()], wrapped), member);
});
