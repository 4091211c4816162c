// Thin wrappers on age-encryption: what the report, reply and follow-up
// forms need, in the shapes the server stores (binary age v1 files, case
// identities wrapped as their Bech32 strings like src/core/keys.rs does).

import {
  Decrypter,
  Encrypter,
  generateHybridIdentity,
  generateX25519Identity,
  identityToRecipient,
} from "age-encryption";
import { disableWebCryptoWhereMissing } from "./webcrypto.js";

disableWebCryptoWhereMissing();

const encoder = new TextEncoder();

/** Only the recipient kinds Varsel's crate opens: X25519 and ML-KEM-768 + X25519. */
function checkRecipient(recipient) {
  if (typeof recipient !== "string" || !recipient.startsWith("age1") || recipient.startsWith("age1tag")) {
    throw new TypeError("a recipient is an age1… (X25519) or age1pq1… (hybrid) string");
  }
}

function encrypterFor(recipients) {
  if (!Array.isArray(recipients) || recipients.length === 0) {
    throw new TypeError("at least one recipient is needed");
  }
  // As age and Varsel's crate: a classical recipient beside a post-quantum
  // one would let a quantum computer open the file through the former.
  const hybrid = recipients.filter((r) => typeof r === "string" && r.startsWith("age1pq1")).length;
  if (hybrid !== 0 && hybrid !== recipients.length) {
    throw new TypeError("post-quantum (age1pq1…) and X25519 (age1…) recipients cannot be mixed in one file");
  }
  const e = new Encrypter();
  for (const r of recipients) {
    checkRecipient(r);
    e.addRecipient(r);
  }
  return e;
}

function decrypterFor(identities) {
  if (!Array.isArray(identities) || identities.length === 0) {
    throw new TypeError("at least one identity is needed");
  }
  const d = new Decrypter();
  for (const i of identities) d.addIdentity(i);
  return d;
}

/**
 * Encrypts `bytes` to every recipient: a binary age v1 file. The recipients
 * are all X25519 or all post-quantum hybrid, never mixed.
 */
export async function encryptTo(recipients, bytes) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("bytes must be a Uint8Array");
  return encrypterFor(recipients).encrypt(bytes);
}

/** Decrypts a binary age v1 file with the first identity that matches. */
export async function decryptWith(identities, file) {
  if (!(file instanceof Uint8Array)) throw new TypeError("file must be a Uint8Array");
  return decrypterFor(identities).decrypt(file);
}

/**
 * A new case identity: `AGE-SECRET-KEY-PQ-1…` if `hybrid`, else (as the
 * server makes them today) `AGE-SECRET-KEY-1…`.
 */
export async function newCaseIdentity({ hybrid = false } = {}) {
  return hybrid ? generateHybridIdentity() : generateX25519Identity();
}

/** The `age1…` or `age1pq1…` recipient of an identity string. */
export async function recipientOf(identity) {
  return identityToRecipient(identity);
}

/**
 * Wraps a case identity to one recipient: an age file whose plaintext is the
 * identity's Bech32 string in UTF-8, as `wrap_case_identity` in Rust writes it.
 */
export async function wrapIdentity(identity, recipient) {
  if (typeof identity !== "string" || !identity.startsWith("AGE-SECRET-KEY-")) {
    throw new TypeError("an identity is an AGE-SECRET-KEY-… string");
  }
  const plaintext = encoder.encode(identity);
  try {
    return await encryptTo([recipient], plaintext);
  } finally {
    plaintext.fill(0);
  }
}

/** Unwraps a case identity wrapped by `wrapIdentity` (or by the server). */
export async function unwrapIdentity(identities, wrapped) {
  const plaintext = await decryptWith(identities, wrapped);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(plaintext);
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Encrypts a File or Blob as a stream, 64 KiB STREAM chunks at a time, so an
 * attachment is never held whole in memory. Returns `{ stream, size }`: the
 * ciphertext as a ReadableStream and its exact length in bytes (for a
 * Content-Length or a progress bar). `onProgress(done, total)` is called with
 * the plaintext bytes read so far.
 */
export async function encryptBlob(recipients, blob, { onProgress } = {}) {
  if (typeof Blob === "undefined" || !(blob instanceof Blob)) {
    throw new TypeError("blob must be a Blob or File");
  }
  const total = blob.size;
  let source = blob.stream();
  if (typeof onProgress === "function") {
    let done = 0;
    source = source.pipeThrough(
      new TransformStream({
        transform(chunk, controller) {
          done += chunk.length;
          onProgress(done, total);
          controller.enqueue(chunk);
        },
      }),
    );
  }
  const encrypted = await encrypterFor(recipients).encrypt(source);
  return { stream: encrypted, size: encrypted.size(total) };
}
