// Case codes in the browser: the twin of crypto/src/case_code.rs.
//
// A code is 24 symbols of Crockford's base 32 (no I, L, O, U): 23 drawn
// uniformly from crypto.getRandomValues (115 bits) and a check symbol
// c = Σ α^(i+1) · d_i in GF(2^5) = GF(2)[x]/(x^5 + x^2 + 1), α = x. Parsing
// is case-insensitive, ignores spaces and hyphens, reads O as 0 and I/L as 1.
//
// From the canonical code (24 upper-case symbols, no separators) HKDF-SHA-256
// (RFC 5869) derives, each under its own label:
//   lookup tag       salt "varsel.case-code.v1", info "varsel.case-code.v1.lookup-tag"
//   X25519 identity  salt "varsel.case-code.v1", info "varsel.case-code.v1.reporter-identity"
//   hybrid identity  salt "varsel.case-code.v2", info "varsel.case-code.v2.reporter-hybrid-identity"
// The identities are age identity strings (AGE-SECRET-KEY-1… and
// AGE-SECRET-KEY-PQ-1…) of those 32 bytes, so any age implementation opens
// what is encrypted to them. crypto/tests/testdata/case-codes.json pins the
// results for both implementations.
//
// HKDF comes from @noble/hashes, not crypto.subtle, which browsers withhold
// outside secure contexts.

import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bech32 } from "@scure/base";
import { identityToRecipient } from "age-encryption";
import { disableWebCryptoWhereMissing } from "./webcrypto.js";

disableWebCryptoWhereMissing();

/** The symbols a code is written in (Crockford's base 32). */
export const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** Random symbols in a code. */
export const DATA_SYMBOLS = 23;
/** Symbols in a code, the check symbol included. */
export const CODE_SYMBOLS = DATA_SYMBOLS + 1;
/** Symbols per printed group. */
export const GROUP_SIZE = 4;
/** Entropy of a code in bits. */
export const ENTROPY_BITS = DATA_SYMBOLS * 5;
/** HKDF salt of the v1 derivations (lookup tag, X25519 identity). */
export const DERIVATION_SALT = "varsel.case-code.v1";
/** HKDF info of the lookup tag. */
export const LOOKUP_TAG_LABEL = "varsel.case-code.v1.lookup-tag";
/** HKDF info of the reporter's X25519 identity. */
export const REPORTER_IDENTITY_LABEL = "varsel.case-code.v1.reporter-identity";
/** HKDF salt of the v2 derivations (the reporter's hybrid identity). */
export const DERIVATION_SALT_V2 = "varsel.case-code.v2";
/** HKDF info of the seed of the reporter's post-quantum hybrid identity. */
export const REPORTER_HYBRID_IDENTITY_LABEL = "varsel.case-code.v2.reporter-hybrid-identity";
/** Longest input accepted, in UTF-8 bytes, separators included (as in Rust). */
const MAX_INPUT = 64;

const encoder = new TextEncoder();
const SEPARATOR = /^(?:-|\p{White_Space})$/u;

/**
 * Why a typed code was rejected. `kind` is "length", "invalid-character" or
 * "typo"; the message never contains the code.
 */
export class CaseCodeError extends Error {
  constructor(kind, details = {}) {
    const messages = {
      length: `a case code has ${details.expected} characters, this has ${details.found}`,
      "invalid-character": `character ${details.position} is not a valid case-code character`,
      typo: "the case code contains a typo",
    };
    super(messages[kind]);
    this.name = "CaseCodeError";
    /** "length", "invalid-character" or "typo". */
    this.kind = kind;
    /** Length errors: symbols a code has, and symbols found. */
    this.expected = details.expected;
    this.found = details.found;
    /** Invalid characters: 1-based position among the symbols. */
    this.position = details.position;
  }
}

/** Multiplies in GF(2^5) modulo x^5 + x^2 + 1. */
function gf32Mul(a, b) {
  let product = 0;
  while (b !== 0) {
    if (b & 1) product ^= a;
    b >>= 1;
    a <<= 1;
    if (a & 0x20) a ^= 0x25;
  }
  return product & 0x1f;
}

function checkSymbol(data) {
  let weight = 1;
  let sum = 0;
  for (let i = 0; i < DATA_SYMBOLS; i++) {
    weight = gf32Mul(weight, 2);
    sum ^= gf32Mul(weight, data[i]);
  }
  return sum;
}

/** The value of one typed character, or -1. */
function symbolValue(c) {
  const cp = c.codePointAt(0);
  // As Rust's `u8::try_from(char)`, then `to_ascii_uppercase`: only ASCII
  // letters fold, and nothing beyond U+00FF can be a symbol.
  if (cp > 0x7f) return -1;
  let upper = c.toUpperCase();
  if (upper === "O") upper = "0";
  else if (upper === "I" || upper === "L") upper = "1";
  return ALPHABET.indexOf(upper);
}

function isSeparator(c) {
  return SEPARATOR.test(c);
}

function hkdf32(salt, ikm, info) {
  return hkdf(sha256, ikm, encoder.encode(salt), encoder.encode(info), 32);
}

function toHex(bytes) {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/**
 * A case code. Holds its symbol values; `wipe()` clears them. Strings made
 * from it (the grouped code, the identities) cannot be cleared in
 * JavaScript: keep them no longer than needed.
 */
export class CaseCode {
  #symbols;

  /** Use `generateCaseCode()` or `parseCaseCode()`. */
  constructor(symbols) {
    if (!(symbols instanceof Uint8Array) || symbols.length !== CODE_SYMBOLS) {
      throw new TypeError("a case code has 24 symbols");
    }
    this.#symbols = symbols;
  }

  #live() {
    if (this.#symbols.length !== CODE_SYMBOLS) throw new TypeError("this case code was wiped");
  }

  /** The canonical form as ASCII bytes: 24 upper-case symbols, no separators. */
  #canonical() {
    this.#live();
    const out = new Uint8Array(CODE_SYMBOLS);
    for (let i = 0; i < CODE_SYMBOLS; i++) out[i] = ALPHABET.charCodeAt(this.#symbols[i]);
    return out;
  }

  /** Runs `f` on HKDF-SHA-256 of the canonical code, then clears both. */
  #derive(salt, info, f) {
    const canonical = this.#canonical();
    let key;
    try {
      key = hkdf32(salt, canonical, info);
      return f(key);
    } finally {
      canonical.fill(0);
      if (key) key.fill(0);
    }
  }

  /** The canonical code: 24 upper-case symbols without separators. */
  canonical() {
    this.#live();
    let out = "";
    for (let i = 0; i < CODE_SYMBOLS; i++) out += ALPHABET[this.#symbols[i]];
    return out;
  }

  /** The code in groups of four for showing to the reporter, e.g. `7K3M-Q9DX-…`. */
  grouped() {
    const canonical = this.canonical();
    const groups = [];
    for (let i = 0; i < CODE_SYMBOLS; i += GROUP_SIZE) groups.push(canonical.slice(i, i + GROUP_SIZE));
    return groups.join("-");
  }

  /** The lookup tag, 64 lower-case hex digits: what the server may see. */
  lookupTag() {
    return this.#derive(DERIVATION_SALT, LOOKUP_TAG_LABEL, toHex);
  }

  /** The reporter's X25519 identity, `AGE-SECRET-KEY-1…`. */
  reporterIdentity() {
    return this.#derive(DERIVATION_SALT, REPORTER_IDENTITY_LABEL, (key) =>
      bech32.encodeFromBytes("AGE-SECRET-KEY-", key).toUpperCase(),
    );
  }

  /** The reporter's post-quantum hybrid identity, `AGE-SECRET-KEY-PQ-1…`. */
  reporterHybridIdentity() {
    return this.#derive(DERIVATION_SALT_V2, REPORTER_HYBRID_IDENTITY_LABEL, (seed) =>
      // No 90-character limit, as age-encryption writes hybrid keys.
      bech32.encode("AGE-SECRET-KEY-PQ-", bech32.toWords(seed), false).toUpperCase(),
    );
  }

  /** The `age1…` recipient of the reporter's X25519 identity. */
  async reporterRecipient() {
    return identityToRecipient(this.reporterIdentity());
  }

  /** The `age1pq1…` recipient of the reporter's hybrid identity. */
  async reporterHybridRecipient() {
    return identityToRecipient(this.reporterHybridIdentity());
  }

  /** Compares two codes without an early exit. */
  equals(other) {
    this.#live();
    other.#live();
    const a = this.#symbols;
    const b = other.#symbols;
    let diff = 0;
    for (let i = 0; i < CODE_SYMBOLS; i++) diff |= a[i] ^ b[i];
    return diff === 0;
  }

  /** Clears the symbols; the code is unusable afterwards. */
  wipe() {
    this.#symbols.fill(0);
    this.#symbols = new Uint8Array(0);
  }
}

/** A new code from `crypto.getRandomValues`. */
export function generateCaseCode() {
  const random = new Uint8Array(DATA_SYMBOLS);
  crypto.getRandomValues(random);
  const symbols = new Uint8Array(CODE_SYMBOLS);
  for (let i = 0; i < DATA_SYMBOLS; i++) {
    // 256 is a multiple of 32, so the low five bits of a byte are uniform:
    // no rejection needed.
    symbols[i] = random[i] & 0x1f;
  }
  random.fill(0);
  symbols[DATA_SYMBOLS] = checkSymbol(symbols);
  return new CaseCode(symbols);
}

/**
 * Parses a typed code: case-insensitive, spaces and hyphens anywhere, O as 0,
 * I and L as 1. Throws a `CaseCodeError` ("length", "invalid-character" or
 * "typo"), exactly where `CaseCode::parse` in Rust fails.
 */
export function parseCaseCode(input) {
  if (typeof input !== "string") throw new TypeError("a case code is a string");
  if (encoder.encode(input).length > MAX_INPUT) {
    let found = 0;
    for (const c of input) if (!isSeparator(c)) found++;
    throw new CaseCodeError("length", { expected: CODE_SYMBOLS, found });
  }
  const symbols = new Uint8Array(CODE_SYMBOLS);
  let count = 0;
  for (const c of input) {
    if (isSeparator(c)) continue;
    count++;
    const value = symbolValue(c);
    if (value < 0) {
      symbols.fill(0);
      throw new CaseCodeError("invalid-character", { position: count });
    }
    if (count <= CODE_SYMBOLS) symbols[count - 1] = value;
  }
  if (count !== CODE_SYMBOLS) {
    symbols.fill(0);
    throw new CaseCodeError("length", { expected: CODE_SYMBOLS, found: count });
  }
  if (checkSymbol(symbols) !== symbols[DATA_SYMBOLS]) {
    symbols.fill(0);
    throw new CaseCodeError("typo");
  }
  return new CaseCode(symbols);
}
