// The bundle's entry (build.rs bundles it into varsel-e2e.js, served at
// /static/varsel-e2e.js under `script-src 'self'`). For now it only checks
// that the browser has what encryption needs and, if so, exposes the modules
// on one frozen global for the forms to use; it changes nothing on the page.
// Without it, or where a feature is missing, the forms post as plain HTML and
// the server encrypts at receipt.

import * as casecode from "./casecode.js";
import * as seal from "./seal.js";

/** The browser features the encryption path needs; the missing ones. */
export function missingFeatures(g = globalThis) {
  const missing = [];
  if (typeof g.crypto === "undefined" || typeof g.crypto.getRandomValues !== "function") {
    missing.push("crypto.getRandomValues");
  }
  for (const name of ["TextEncoder", "TextDecoder", "fetch", "FormData", "Blob", "ReadableStream", "TransformStream", "Promise"]) {
    if (typeof g[name] === "undefined") missing.push(name);
  }
  if (typeof g.Blob !== "undefined" && typeof g.Blob.prototype.stream !== "function") {
    missing.push("Blob.prototype.stream");
  }
  if (typeof g.ReadableStream !== "undefined" && typeof g.ReadableStream.prototype.pipeThrough !== "function") {
    missing.push("ReadableStream.prototype.pipeThrough");
  }
  return missing;
}

const missing = missingFeatures();

if (typeof window !== "undefined" && !("VarselE2E" in window)) {
  Object.defineProperty(window, "VarselE2E", {
    value: Object.freeze({
      version: 1,
      supported: missing.length === 0,
      missing: Object.freeze(missing),
      casecode: Object.freeze({ ...casecode }),
      seal: Object.freeze({ ...seal }),
    }),
    writable: false,
    enumerable: false,
    configurable: false,
  });
}
