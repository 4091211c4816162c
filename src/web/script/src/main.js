// The bundle's entry (build.rs bundles it into varsel-e2e.js, served at
// /static/varsel-e2e.js under `script-src 'self'`). It checks that the
// browser has what encryption needs, exposes the modules on one frozen
// global, and, if nothing is missing, turns the report form into a
// browser-encrypted submission (report.js), the code login into one that
// keeps the code in the browser (followup.js), and the case page of a
// session without a key into one decrypted and answered in the browser
// (case.js). Without it, or where a feature is missing, the forms post as
// plain HTML and the server encrypts at receipt.

import { installCasePage } from "./case.js";
import * as casecode from "./casecode.js";
import { installFollowupForm } from "./followup.js";
import { installReportForm } from "./report.js";
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

// The forms, once the document is parsed (at once if it already is: a
// deferred or late script). Each installer leaves a page without its
// element alone.
if (missing.length === 0 && typeof window !== "undefined" && typeof document !== "undefined") {
  const enhance = () => {
    installReportForm(document, window);
    installFollowupForm(document, window);
    installCasePage(document, window);
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhance, { once: true });
  } else {
    enhance();
  }
}
