// age-encryption does X25519 with WebCrypto where it can, and falls back to
// @noble/curves when WebCrypto says it cannot (a ReferenceError, or a
// NotSupportedError). Outside a secure context (a page over plain HTTP, as
// an onion service may be served) browsers leave `crypto.subtle` undefined,
// which age-encryption 0.3.1 meets with a TypeError it does not catch, so
// every X25519 operation would fail. There, WebCrypto is switched off
// before first use and the audited JavaScript implementation does the work.
//
// `forceWebCryptoOff` is not among the package's exports, so its module is
// imported by path; test/webcrypto.test.mjs runs without `crypto.subtle` and
// fails if an upgrade moves or renames it.

import { forceWebCryptoOff } from "../node_modules/age-encryption/dist/x25519.js";

/** Switches age-encryption's WebCrypto use off where `crypto.subtle` is missing. */
export function disableWebCryptoWhereMissing() {
  const missing = typeof globalThis.crypto === "undefined" || typeof globalThis.crypto.subtle === "undefined";
  if (missing) forceWebCryptoOff(true);
  return missing;
}
