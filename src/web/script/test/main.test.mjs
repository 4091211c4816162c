// The bundle entry: feature detection, one frozen global, nothing else.

import { test } from "node:test";
import assert from "node:assert/strict";

globalThis.window = globalThis;
const { missingFeatures } = await import("../src/main.js");

test("Node has every feature the script checks for", () => {
  assert.deepEqual(missingFeatures(), []);
});

test("a missing feature is named", () => {
  const g = { ...Object.fromEntries(["TextEncoder", "TextDecoder", "fetch", "FormData", "Blob", "ReadableStream", "TransformStream", "Promise"].map((n) => [n, globalThis[n]])) };
  assert.deepEqual(missingFeatures(g), ["crypto.getRandomValues"]);
  delete g.ReadableStream;
  assert.deepEqual(missingFeatures(g), ["crypto.getRandomValues", "ReadableStream"]);
});

test("the modules are on one frozen global", async () => {
  const api = window.VarselE2E;
  assert.ok(Object.isFrozen(api) && Object.isFrozen(api.casecode) && Object.isFrozen(api.seal));
  assert.equal(api.supported, true);
  assert.equal(typeof api.casecode.generateCaseCode, "function");
  assert.equal(typeof api.seal.encryptTo, "function");
  assert.throws(() => {
    "use strict";
    window.VarselE2E = {};
  });
  const code = api.casecode.generateCaseCode();
  const file = await api.seal.encryptTo([await code.reporterRecipient()], new Uint8Array([1, 2, 3]));
  assert.deepEqual(await api.seal.decryptWith([code.reporterIdentity()], file), new Uint8Array([1, 2, 3]));
});
