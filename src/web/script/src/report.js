// The report form, encrypted in the reporter's browser (docs/e2e.md).
//
// Progressive enhancement: the form at /report posts as plain HTML and the
// server encrypts at receipt. Where this script runs and the browser has
// what it needs, a submission is instead encrypted here: the case code, the
// case key pair and every ciphertext are made in the browser, and the
// server receives only age files, wraps and the lookup tag. Image metadata
// is removed here before a file is encrypted (metadata.js, by the server's
// own rules), since the server only ever sees the ciphertext. The receipt
// is shown from a <template> the page carries, since the server never sees
// the code.
//
// Where the browser cannot store the case as the plain form would (a text
// or a file over the server's limits, an identity the custodians' keys do
// not allow to seal here, a refusal that only a developer could act on), the
// form is sent the plain way instead, and the server answers in the
// reporter's language, keeping what they typed.
//
// The file has two halves. The first is logic without a DOM (what goes the
// plain way, the plaintexts, the seal with its metadata stripping, the
// identity, the envelope, proof of work, reading the API's problems), tested by
// test/report.test.mjs. The second wires it to the page
// (`installReportForm`) and is called by main.js.
//
// What the page must carry (templates/reporter/report.html):
// - `form#report-form` with the report's fields (radios `category` and
//   `severity`, `select#subtype`, `#description`, `#when`, `#place`,
//   checkboxes `exclude`, optional `#identity_name`, `#identity_contact`,
//   `#identity_role`, `input#attachment`);
// - `p#encryption-path` with `data-browser` and `data-fallback` texts;
// - `p#e2e-status` (role=status, hidden) with `data-msg-encrypting`,
//   `data-msg-sending`, `data-msg-network`, `data-msg-error-title` and,
//   optionally, `data-msg-failed` (an answer without a readable message;
//   the network message stands in without it);
// - `template#e2e-receipt` with an `h1`, `[data-slot="code"]`,
//   `[data-slot="acknowledge-by"]` (inside a `p`, hidden if the date is
//   unknown), `[data-slot="metadata-kept"]` (hidden, with a `ul`) and a
//   `[data-action="done"]` button. Without it, or without the code slot,
//   the form is left as it is.
//
// Never put the case code, the case identity or the report's text in a URL,
// storage, the console or any request: only ciphertexts, the lookup tag and
// the case recipient leave the browser.

import { sha256 } from "@noble/hashes/sha2.js";
import { base64 } from "@scure/base";
import { generateCaseCode } from "./casecode.js";
import { KEPT, stripMetadata } from "./metadata.js";
import { fetchChallenge, onFormSubmit, stopSubmit } from "./page.js";
import * as seal from "./seal.js";

const encoder = new TextEncoder();

/** Where the two endpoints of the protocol and the challenge live. */
export const ROUTING_PATH = "/api/v1/e2e/routing";
export const REPORTS_PATH = "/api/v1/e2e/reports";
export const CHALLENGE_PATH = "/api/v1/pow/challenge?purpose=submit";

// ---------------------------------------------------------------------------
// Which way a submission goes
// ---------------------------------------------------------------------------

// The characters Rust's `is_invisible` (src/core/domain/case.rs) trims from
// both ends of a text field: whitespace, controls and the format and
// default-ignorable characters listed there. The server trims the same way
// when it seals a report itself, so both paths store the same text.
const INVISIBLE =
  "\\p{White_Space}\\p{Cc}\\u00AD\\u034F\\u061C\\u115F\\u1160\\u17B4\\u17B5\\u180B-\\u180F" +
  "\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u206F\\u2800\\u3164\\uFE00-\\uFE0F\\uFEFF\\uFFA0" +
  "\\uFFF0-\\uFFF8\\u{1BCA0}-\\u{1BCA3}\\u{1D173}-\\u{1D17A}\\u{E0000}-\\u{E0FFF}";
const INVISIBLE_CHAR = new RegExp(`^[${INVISIBLE}]$`, "u");

/**
 * `text` without invisible characters at either end, as the server trims
 * it. Walks inwards one character at a time (a regular expression anchored
 * at the end would take quadratic time on long runs of spaces).
 */
export function trimInvisible(text) {
  const s = String(text ?? "");
  let start = 0;
  while (start < s.length) {
    const c = String.fromCodePoint(s.codePointAt(start));
    if (!INVISIBLE_CHAR.test(c)) break;
    start += c.length;
  }
  let end = s.length;
  while (end > start) {
    // One UTF-16 unit back, or two over a surrogate pair.
    const low = s.charCodeAt(end - 1);
    const pair = end - 2 >= start && low >= 0xdc00 && low <= 0xdfff && s.charCodeAt(end - 2) >= 0xd800 && s.charCodeAt(end - 2) <= 0xdbff;
    const from = pair ? end - 2 : end - 1;
    if (!INVISIBLE_CHAR.test(s.slice(from, end))) break;
    end = from;
  }
  return s.slice(start, end);
}

/**
 * True when a submission must go the plain way before anything is asked of
 * the server: the description, if given, shows nothing (`description`):
 * encrypted, the server could not tell it is empty; the plain way it says
 * so in the reporter's language and shows the form again. Images do not:
 * the browser removes their metadata itself (`sealCase`). What depends on
 * the routing (the limits, the custodians) is `plainReason`'s.
 */
export function needsPlainPath({ description } = {}) {
  return description !== undefined && trimInvisible(description) === "";
}

/**
 * A textarea's line breaks as a form post sends them: CRLF, every lone CR
 * and lone LF included (the HTML form data set's newline normalisation).
 * The server keeps them, so the browser sends the same.
 */
export function crlf(text) {
  return String(text ?? "").replace(/\r\n|\r|\n/g, "\r\n");
}

/** Characters as Rust counts them (`chars().count()`: Unicode scalar values). */
export function charCount(text) {
  let n = 0;
  for (const _ of String(text ?? "")) n++;
  return n;
}

/** The first `max` characters of `text`, as Rust's `chars().take(max)`. */
export function takeChars(text, max) {
  const s = String(text ?? "");
  if (!Number.isInteger(max) || max < 0) return s;
  let out = "";
  let n = 0;
  for (const c of s) {
    if (n++ === max) break;
    out += c;
  }
  return out;
}

/**
 * The report's texts as the server stores them: the description with CRLF
 * line breaks, each trimmed (`trimInvisible`), unpaired surrogates as
 * U+FFFD (as a form post sends them).
 */
export function reportTexts({ description, when, place }) {
  return {
    description: wellFormed(trimInvisible(crlf(description))),
    when: wellFormed(trimInvisible(when)),
    place: wellFormed(trimInvisible(place)),
  };
}

/**
 * True if the reporter gave an identity: some field has a character that is
 * not white space (the server's `IdentityDraft::is_empty`, Rust's `trim`).
 */
export function identityGiven(identity) {
  return Array.isArray(identity) && identity.some((text) => /[^\p{White_Space}]/u.test(String(text ?? "")));
}

/** The identity's `[name, contact, role]`, each trimmed as the server's `TextField`. */
export function identityTexts(identity) {
  const [name = "", contact = "", role = ""] = Array.isArray(identity) ? identity : [];
  return [name, contact, role].map((text) => wellFormed(trimInvisible(text)));
}

/** True if `recipient` is a post-quantum hybrid (`age1pq1…`) recipient. */
function isPqRecipient(recipient) {
  return typeof recipient === "string" && recipient.startsWith("age1pq1");
}

/**
 * Why the form must be sent the plain way for `routing` (null if it need
 * not): what the plain form's server would refuse, for it to say so in the
 * reporter's language, keeping what they typed; or an identity the browser
 * cannot seal to the custodians.
 * - "text": the description over `max_text_chars`, `when` or `place` over
 *   `max_short_field_chars`, characters counted as Rust counts them after
 *   the trimming (and the description's CRLF line breaks);
 * - "attachments": more files than `max_attachments`, one larger than
 *   `max_attachment_bytes`, or an empty one;
 * - "identity": an identity field over its `max_identity_chars`, or an
 *   identity without custodians, or with custodians of both key kinds
 *   (one age file cannot mix post-quantum and classic recipients; the
 *   server says what it can or seals it itself).
 * A limit the routing does not give is not checked.
 */
export function plainReason(routing, { fields, files = [] }) {
  const limits = (routing && routing.limits) || {};
  const over = (n, max) => Number.isFinite(max) && n > max;
  const texts = reportTexts(fields);
  if (over(charCount(texts.description), limits.max_text_chars)) return "text";
  for (const text of [texts.when, texts.place]) {
    if (over(charCount(text), limits.max_short_field_chars)) return "text";
  }
  const list = Array.from(files);
  if (over(list.length, limits.max_attachments)) return "attachments";
  for (const file of list) {
    if (file.size === 0 || over(file.size, limits.max_attachment_bytes)) return "attachments";
  }
  if (identityGiven(fields.identity)) {
    const max = Array.isArray(limits.max_identity_chars) ? limits.max_identity_chars : [];
    const given = identityTexts(fields.identity);
    if (given.some((text, i) => over(charCount(text), max[i]))) return "identity";
    const custodians = routing && Array.isArray(routing.custodians) ? routing.custodians : [];
    if (custodians.length === 0) return "identity";
    const pq = custodians.filter(isPqRecipient).length;
    if (pq !== 0 && pq !== custodians.length) return "identity";
  }
  return null;
}

/**
 * True when the form was sent by one of the language buttons (they carry a
 * `formaction` to show the form again in another language, or a name
 * `lang`): those post as plain HTML, nothing is stored.
 */
export function isLanguageSubmitter(submitter) {
  if (!submitter) return false;
  if (typeof submitter.hasAttribute === "function" && submitter.hasAttribute("formaction")) return true;
  return submitter.name === "lang";
}

// ---------------------------------------------------------------------------
// Plaintexts and the routing request
// ---------------------------------------------------------------------------

/** The JSON body of `POST /api/v1/e2e/routing`. */
export function routingRequest(fields) {
  return {
    category: fields.category,
    subtype: fields.subtype || null,
    severity: fields.severity,
    exclude: [...fields.exclude],
  };
}

/**
 * `text` with every unpaired UTF-16 surrogate replaced by U+FFFD, as a form
 * post would send it: JSON.stringify would write one as a `\ud800` escape,
 * which Rust's JSON parser refuses, leaving a case nobody could read.
 */
export function wellFormed(text) {
  return String(text ?? "").replace(/[\uD800-\uDFFF]/gu, "\uFFFD");
}

/**
 * The report's plaintext: UTF-8 JSON `{"description", "when", "place"}`,
 * each trimmed as the server trims it, an empty `when` or `place` as null.
 * The caller zeroes the bytes once they are encrypted.
 */
export function reportPlaintext(fields) {
  const { description, when, place } = reportTexts(fields);
  const optional = (text) => (text === "" ? null : text);
  return encoder.encode(JSON.stringify({ description, when: optional(when), place: optional(place) }));
}

/**
 * An attachment's name plaintext: UTF-8 JSON `{"name", "content_type"}`,
 * the name cut to `maxNameChars` characters as the server cuts a plain
 * upload's (`filename.chars().take(max)`), if given.
 */
export function attachmentNamePlaintext(file, maxNameChars) {
  return encoder.encode(
    JSON.stringify({
      name: takeChars(wellFormed(file.name), maxNameChars),
      content_type: wellFormed(file.type) || "application/octet-stream",
    }),
  );
}

/**
 * The identity's plaintext: UTF-8 JSON `{"name", "contact", "role"}`, each
 * trimmed as the server's `TextField` trims it, an empty field as "" (the
 * server's `ReporterIdentity`). The caller zeroes the bytes.
 */
export function identityPlaintext(identity) {
  const [name, contact, role] = identityTexts(identity);
  return encoder.encode(JSON.stringify({ name, contact, role }));
}

/**
 * A digest of what the reporter entered and chose (files by name, size,
 * type and date), to know whether a submission tried again after a failure
 * is the same one. Only kept in memory, as the form itself.
 */
export function fingerprint(fields, files) {
  const text = JSON.stringify({
    fields: [
      fields.category,
      fields.subtype,
      fields.severity,
      fields.description,
      fields.when,
      fields.place,
      [...fields.exclude],
      fields.identity ?? null,
    ],
    files: Array.from(files, (f) => [f.name, f.size, f.type, f.lastModified ?? null]),
  });
  const digest = sha256(encoder.encode(text));
  return toHex(digest);
}

function toHex(bytes) {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

// ---------------------------------------------------------------------------
// Sealing a case
// ---------------------------------------------------------------------------

/** The case identity's kind for a routing's `key_kind`, which must be known. */
function isHybrid(keyKind) {
  if (keyKind === "hybrid") return true;
  if (keyKind === "x25519") return false;
  throw new Error("the routing names an unknown key kind");
}

/**
 * Encrypts a report and its files to a new case identity of `keyKind`:
 * `{identity, caseRecipient, keyKind, report, attachments, names,
 * outcomes}`. The report and every name are age files (Uint8Array); every
 * attachment is a Blob of its age file. Each file is first stripped of
 * image metadata as the server would (metadata.js); `outcomes` says, file by
 * file, "stripped" or "kept" (not an image, or one that could not be read).
 * `onProgress(done, total)` counts the attachments' bytes encrypted, out of
 * their sizes as chosen. Each name is cut to `maxNameChars` characters, as
 * the server cuts a plain upload's, if given.
 */
export async function sealCase({ keyKind, fields, files = [], onProgress, maxNameChars }) {
  const hybrid = isHybrid(keyKind);
  const identity = await seal.newCaseIdentity({ hybrid });
  const caseRecipient = await seal.recipientOf(identity);
  const recipients = [caseRecipient];

  const plaintext = reportPlaintext(fields);
  let report;
  try {
    report = await seal.encryptTo(recipients, plaintext);
  } finally {
    plaintext.fill(0);
  }

  const list = Array.from(files);
  const total = list.reduce((sum, f) => sum + f.size, 0);
  let before = 0;
  const attachments = [];
  const names = [];
  const outcomes = [];
  for (const file of list) {
    // A stripped image is smaller than chosen: its progress stays within
    // the file's share, and the share is made up once it is encrypted.
    const progress = typeof onProgress === "function" ? (done) => onProgress(before + done, total) : undefined;
    const sealed = await sealAttachment(recipients, file, { onProgress: progress, maxNameChars });
    outcomes.push(sealed.outcome);
    attachments.push(sealed.attachment);
    names.push(sealed.name);
    before += file.size;
    if (progress && sealed.strippedSize !== file.size) onProgress(before, total);
  }
  return { identity, caseRecipient, keyKind, maxNameChars, report, attachments, names, outcomes };
}

/**
 * One file sealed to `recipients` (a report's attachment, or a reply's):
 * stripped of image metadata first, as the server strips a plain upload
 * (metadata.js), then encrypted as a stream. `{attachment, name, outcome,
 * strippedSize}`: the age file as a Blob, the sealed `{"name",
 * "content_type"}` (`attachmentNamePlaintext`, the name cut to
 * `maxNameChars`), "stripped" or "kept", and the size that was encrypted.
 * `onProgress(done)` counts the stripped file's bytes encrypted.
 */
export async function sealAttachment(recipients, file, { onProgress, maxNameChars } = {}) {
  // As the server does before it encrypts: image metadata goes first.
  const { blob: stripped, outcome } = await stripMetadata(file);
  const progress = typeof onProgress === "function" ? (done) => onProgress(done) : undefined;
  const { stream, size } = await seal.encryptBlob(recipients, stripped, { onProgress: progress });
  const collected = await new Response(stream).blob();
  if (collected.size !== size) throw new Error("an attachment changed while it was read");
  const attachment = new Blob([collected], { type: "application/octet-stream" });

  const plaintext = attachmentNamePlaintext(file, maxNameChars);
  let name;
  try {
    name = await seal.encryptTo(recipients, plaintext);
  } finally {
    plaintext.fill(0);
  }
  return { attachment, name, outcome, strippedSize: stripped.size };
}

/**
 * The wraps of a case identity: one age file per routed holder, each to its
 * own recipient of whatever kind it is (a member who has not logged in
 * since hybrid keys were turned on keeps an X25519 key; the recovery key may
 * be X25519 in a hybrid routing), and one for the reporter, to the
 * recipient the case code derives of the routing's kind.
 * `{holder: Uint8Array}`.
 */
export async function wrapCase({ routing, identity, code }) {
  const hybrid = isHybrid(routing.key_kind);
  const entries = [];
  const holders = new Set();
  for (const r of routing.recipients) {
    if (typeof r.holder !== "string" || r.holder === "reporter" || holders.has(r.holder)) {
      throw new Error("the routing names a holder twice, or the reporter");
    }
    holders.add(r.holder);
    entries.push([r.holder, await seal.wrapIdentity(identity, r.recipient)]);
  }
  const reporter = hybrid ? await code.reporterHybridRecipient() : await code.reporterRecipient();
  entries.push(["reporter", await seal.wrapIdentity(identity, reporter)]);
  return Object.fromEntries(entries);
}

/**
 * The reporter's identity sealed in one age file to every custodian of the
 * routing (one stanza each), as the server seals one given on the plain
 * form. The custodians must all be of one kind (`plainReason` sends the
 * form the plain way otherwise).
 */
export async function sealIdentity({ custodians, identity }) {
  const plaintext = identityPlaintext(identity);
  try {
    return await seal.encryptTo([...custodians], plaintext);
  } finally {
    plaintext.fill(0);
  }
}

/**
 * The `envelope` part's JSON object (docs/e2e.md): the routing id, the
 * classification as the routing was asked for, the case recipient, the
 * lookup tag, the wraps and names in standard padded base64, and the
 * sealed identity if there is one.
 */
export function buildEnvelope({ routing, fields, caseRecipient, lookupTag, wraps, names, identity }) {
  const envelope = {
    routing_id: routing.routing_id,
    category: fields.category,
    subtype: fields.subtype || null,
    severity: fields.severity,
    exclude: [...fields.exclude],
    case_recipient: caseRecipient,
    lookup_tag: lookupTag,
    wraps: Object.fromEntries(Object.entries(wraps).map(([holder, file]) => [holder, base64.encode(file)])),
    attachment_names: names.map((file) => base64.encode(file)),
  };
  if (identity) envelope.identity = base64.encode(identity);
  return envelope;
}

/**
 * The multipart body, parts in the contract's order: `envelope` (JSON),
 * `report`, then one `attachment` per file. File parts carry the browser's
 * default name "blob", never the real file name.
 */
export function submissionBody(envelope, sealed) {
  const body = new FormData();
  body.append("envelope", new Blob([JSON.stringify(envelope)], { type: "application/json" }));
  body.append("report", new Blob([sealed.report], { type: "application/octet-stream" }));
  for (const attachment of sealed.attachments) body.append("attachment", attachment);
  return body;
}

/**
 * A random key for the `Idempotency-Key` header: `crypto.randomUUID` where
 * the browser offers it (secure contexts only), else a version-4 UUID from
 * `getRandomValues` (an onion service over plain HTTP).
 */
export function newIdempotencyKey(c = globalThis.crypto) {
  if (typeof c.randomUUID === "function") return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * One submission: what the reporter entered, the case code, the key that
 * makes resending it idempotent, and (once sealed) the ciphertexts and wraps.
 * Sending it again after a failure reuses all of these, so a report the
 * server did receive is never filed twice under two codes.
 */
export class Submission {
  constructor({ fields, files = [], code = generateCaseCode(), idempotencyKey = newIdempotencyKey() }) {
    this.fields = fields;
    this.files = Array.from(files);
    this.code = code;
    this.idempotencyKey = idempotencyKey;
    /** Set by `prepare`: the routing the wraps are made for. */
    this.routing = null;
    this.sealed = null;
    this.wraps = null;
    /** The reporter's identity sealed to the custodians, if they gave one. */
    this.identity = null;
    /**
     * True once a send of this submission got no answer: it may have been
     * stored. From then on it is never sent the plain way (that would file
     * a second case under another code); a refusal is shown instead.
     */
    this.mayHaveArrived = false;
  }

  /**
   * Makes everything to send for `routing` (which `plainReason` let pass):
   * seals the case if it is not sealed yet, or not of the routing's key
   * kind or name limit; otherwise wraps the case identity again, and seals
   * the reporter's identity again to the custodians, if the routing changed
   * (the ciphertexts stay valid), and keeps both if it did not (its id binds
   * every recipient and custodian).
   */
  async prepare(routing, { onProgress } = {}) {
    const limits = routing.limits || {};
    const maxNameChars = Number.isInteger(limits.max_short_field_chars) ? limits.max_short_field_chars : undefined;
    if (!this.sealed || this.sealed.keyKind !== routing.key_kind || this.sealed.maxNameChars !== maxNameChars) {
      this.sealed = await sealCase({
        keyKind: routing.key_kind,
        fields: this.fields,
        files: this.files,
        onProgress,
        maxNameChars,
      });
      this.wraps = null;
    }
    if (!this.wraps || !this.routing || this.routing.routing_id !== routing.routing_id) {
      this.wraps = await wrapCase({ routing, identity: this.sealed.identity, code: this.code });
      this.identity = identityGiven(this.fields.identity)
        ? await sealIdentity({ custodians: routing.custodians, identity: this.fields.identity })
        : null;
    }
    this.routing = routing;
  }

  /** The envelope for the routing prepared last. */
  envelope() {
    return buildEnvelope({
      routing: this.routing,
      fields: this.fields,
      caseRecipient: this.sealed.caseRecipient,
      lookupTag: this.code.lookupTag(),
      wraps: this.wraps,
      names: this.sealed.names,
      identity: this.identity,
    });
  }

  /**
   * The names of the files whose metadata was kept (sealed, "kept"), as
   * the server's receipt names every file it did not strip.
   */
  metadataKept() {
    const outcomes = (this.sealed && this.sealed.outcomes) || [];
    return this.files.filter((_, i) => outcomes[i] === KEPT).map((file) => file.name);
  }

  /** The multipart body for the routing prepared last. */
  body() {
    return submissionBody(this.envelope(), this.sealed);
  }

  /** Forgets the code (wiped) and everything sealed. */
  wipe() {
    this.code.wipe();
    this.sealed = null;
    this.wraps = null;
    this.identity = null;
  }
}

// ---------------------------------------------------------------------------
// Proof of work
// ---------------------------------------------------------------------------

/** Leading zero bits of a digest. */
export function leadingZeroBits(digest) {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
    } else {
      return bits + Math.clz32(byte) - 24;
    }
  }
  return bits;
}

/** Yields to the event loop, so the page stays responsive. */
function pause() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Solves a challenge of `GET /api/v1/pow/challenge` (src/core/pow.rs): the
 * first counter n, in decimal, such that SHA-256(challenge || n), both as
 * ASCII, starts with `difficulty` zero bits. Every `batch` tries it looks at
 * the clock, and yields to the event loop once `sliceMs` have passed since
 * it last did (a fixed count would be too long a pause on a slow phone, or
 * too many clamped timers on a fast computer). Returns null for a
 * difficulty out of range (0 to 32).
 */
export async function solvePow(challenge, difficulty, { batch = 2048, sliceMs = 30, yieldNow = pause } = {}) {
  if (typeof challenge !== "string" || !Number.isInteger(difficulty) || difficulty < 0 || difficulty > 32) {
    return null;
  }
  // The challenge's hash state is computed once; each try only hashes the
  // counter on top of a copy of it, in one reused hash object (noble's
  // `_cloneInto`, about three times faster than `clone()`; where a later
  // version lacks it, `clone()`. test/report.test.mjs checks the solutions
  // against node:crypto, so a change in its behaviour fails there).
  const prefix = sha256.create().update(encoder.encode(challenge));
  const reuse = typeof prefix._cloneInto === "function";
  const work = reuse ? sha256.create() : null;
  const digest = new Uint8Array(32);
  const digits = new Uint8Array(20);
  let sliceStart = Date.now();
  for (let n = 0; n < Number.MAX_SAFE_INTEGER; n++) {
    const counter = String(n);
    for (let i = 0; i < counter.length; i++) digits[i] = counter.charCodeAt(i);
    const h = reuse ? prefix._cloneInto(work) : prefix.clone();
    h.update(digits.subarray(0, counter.length));
    h.digestInto(digest);
    if (leadingZeroBits(digest) >= difficulty) return counter;
    if ((n + 1) % batch === 0 && Date.now() - sliceStart >= sliceMs) {
      await yieldNow();
      sliceStart = Date.now();
    }
  }
  return null;
}

// ---------------------------------------------------------------------------
// Answers of the API
// ---------------------------------------------------------------------------

/**
 * The problem in an error answer: `{code, message, field}`, each possibly
 * null. The API answers `{"error": {"code", "message", "field", …}}`
 * (src/web/api/error.rs); RFC 7807 members (`type`, `title`, `detail`) are
 * read too, in case the new endpoints answer that way.
 */
export function problemOf(text) {
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return { code: null, message: null, field: null };
  }
  const e = body && typeof body === "object" ? (body.error && typeof body.error === "object" ? body.error : body) : {};
  const str = (v) => (typeof v === "string" && v !== "" ? v : null);
  let code = str(e.code);
  if (!code && str(e.type)) code = e.type.replace(/^.*[/#]/, "") || null;
  return {
    code,
    message: str(e.message) ?? str(e.detail) ?? str(e.title),
    field: str(e.field),
  };
}

/** `YYYY-MM-DD` as `DD.MM.YYYY`; anything else as it is. */
export function formatDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso ?? ""));
  return m ? `${m[3]}.${m[2]}.${m[1]}` : String(iso ?? "");
}

/** Whole percent of `done` in `total` (0 to 100). */
export function percent(done, total) {
  if (!(total > 0)) return 0;
  return Math.max(0, Math.min(100, Math.floor((done / total) * 100)));
}

/** A status text: the message, then the percentage as " 42 %" where given. */
export function statusText(message, pct) {
  return pct === undefined || pct === null ? message : `${message} ${pct} %`;
}

// ---------------------------------------------------------------------------
// One submission, over an injectable transport
// ---------------------------------------------------------------------------

/** A request that never got an answer (offline, connection lost). */
export class NetworkError extends Error {
  constructor() {
    super("the request got no answer");
    this.name = "NetworkError";
  }
}

/**
 * The refusals written for a developer, not for the reporter: what the
 * browser itself got wrong (a part missing or not of the expected shape,
 * the body unreadable, a proof of work refused) or what the reporter can do
 * nothing about. The plain form, sent instead, is answered in the
 * reporter's language.
 */
const TECHNICAL = new Set([
  "invalid_ciphertext",
  "envelope_required",
  "report_required",
  "malformed_multipart",
  "invalid_utf8",
  "invalid_json",
  "unsupported_media_type",
  "body_too_large",
  "invalid_idempotency_key",
  "identity_unavailable",
  "pow_refused",
]);

/**
 * True for an answer the form should not show, but send the plain way
 * instead: any server error (5xx), or a refusal in `TECHNICAL`. A refusal
 * the plain form would show as well (unknown category, text required, no
 * eligible handler, too many attachments, too many requests, …) is shown.
 */
export function isTechnicalRefusal(status, problem) {
  if (status >= 500 && status <= 599) return true;
  return Boolean(problem && TECHNICAL.has(problem.code));
}

/**
 * Sends `submission` (docs/e2e.md). `transport` does the requests:
 * - `routing(body)` → `{status, text}` (POST /api/v1/e2e/routing);
 * - `challenge()` → `{challenge, difficulty}` or null;
 * - `send(body, headers, onUpload)` → `{status, text}`
 *   (POST /api/v1/e2e/reports), `onUpload(loaded, total)`;
 * each throws `NetworkError` when no answer comes. `ui.phase(name, pct)` is
 * told "encrypting" and "sending".
 *
 * Resolves to `{received: true, acknowledgeBy}` (null if unknown),
 * `{received: false, status, problem}` (a refusal to show), or
 * `{received: false, plain: reason}`: send the form the plain way, because
 * of the routing (`plainReason`: "text", "attachments", "identity") or of a
 * technical refusal ("refused", `isTechnicalRefusal`). A `409
 * routing_changed` asks for the routing again, wraps again and resends,
 * once; a second one goes the plain way. A `409 already_received` means an
 * earlier send of this very submission (its key is random and sent with
 * nothing else) was stored although its answer was lost: the case exists,
 * under this code.
 */
export async function sendSubmission(submission, transport, ui = {}) {
  const phase = typeof ui.phase === "function" ? ui.phase : () => {};
  phase("encrypting");

  const askRouting = async () => {
    const answer = await transport.routing(routingRequest(submission.fields));
    if (answer.status < 200 || answer.status > 299) {
      const problem = problemOf(answer.text);
      if (isTechnicalRefusal(answer.status, problem) && !submission.mayHaveArrived) {
        return { result: { received: false, plain: "refused" } };
      }
      return { result: { received: false, status: answer.status, problem } };
    }
    const routing = JSON.parse(answer.text);
    if (!routing || typeof routing.routing_id !== "string" || !Array.isArray(routing.recipients)) {
      throw new Error("the routing answer is not of the expected shape");
    }
    const reason = plainReason(routing, submission);
    if (reason && submission.mayHaveArrived) {
      return { result: { received: false, status: 0, problem: {} } };
    }
    if (reason) return { result: { received: false, plain: reason } };
    return { routing };
  };

  let asked = await askRouting();
  if (asked.result) return asked.result;
  const files = submission.files.length > 0;
  await submission.prepare(asked.routing, {
    onProgress: files ? (done, total) => phase("encrypting", percent(done, total)) : undefined,
  });

  for (let attempt = 0; ; attempt++) {
    phase("encrypting");
    const headers = { "Idempotency-Key": submission.idempotencyKey };
    const challenge = await transport.challenge();
    if (challenge) {
      const solution = await solvePow(challenge.challenge, challenge.difficulty);
      if (solution !== null) {
        headers["Varsel-Pow-Challenge"] = challenge.challenge;
        headers["Varsel-Pow-Solution"] = solution;
      }
    }
    phase("sending", 0);
    let answer;
    try {
      answer = await transport.send(submission.body(), headers, (loaded, total) =>
        phase("sending", percent(loaded, total)),
      );
    } catch (err) {
      if (err instanceof NetworkError) submission.mayHaveArrived = true;
      throw err;
    }
    if (answer.status >= 200 && answer.status <= 299) {
      let acknowledgeBy = null;
      try {
        acknowledgeBy = JSON.parse(answer.text).acknowledge_by ?? null;
      } catch {
        acknowledgeBy = null;
      }
      return { received: true, acknowledgeBy };
    }
    const problem = problemOf(answer.text);
    // A gateway's 5xx (a proxy's timeout, an onion front end), or one that
    // is not Varsel's own answer, may come after the case was stored: it is
    // a lost answer, kept to be sent again unchanged, never the plain way.
    if (answer.status >= 500 && (!problem.code || [502, 503, 504].includes(answer.status))) {
      submission.mayHaveArrived = true;
      throw new NetworkError();
    }
    if (answer.status === 409 && problem.code === "already_received") {
      return { received: true, acknowledgeBy: null };
    }
    if (answer.status === 409 && problem.code === "routing_changed") {
      if (attempt > 0 && !submission.mayHaveArrived) return { received: false, plain: "refused" };
      if (attempt > 0) return { received: false, status: answer.status, problem };
      phase("encrypting");
      asked = await askRouting();
      if (asked.result) return asked.result;
      await submission.prepare(asked.routing);
      continue;
    }
    // The plain way only for a submission that cannot have been stored.
    if (isTechnicalRefusal(answer.status, problem) && !submission.mayHaveArrived) {
      return { received: false, plain: "refused" };
    }
    return { received: false, status: answer.status, problem };
  }
}

// ---------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------

/** The browser's transport: fetch for JSON, XMLHttpRequest for upload progress. */
export function browserTransport(lang) {
  const language = lang ? { "Accept-Language": lang } : {};
  return {
    async routing(body) {
      let response;
      try {
        response = await fetch(ROUTING_PATH, {
          method: "POST",
          headers: { ...language, "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify(body),
          credentials: "same-origin",
          cache: "no-store",
        });
      } catch {
        throw new NetworkError();
      }
      return { status: response.status, text: await response.text() };
    },

    // Without a proof the report is sent in the plain lane.
    challenge: () => fetchChallenge(CHALLENGE_PATH, language),

    send(body, headers, onUpload) {
      return new Promise((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open("POST", REPORTS_PATH);
        for (const [name, value] of Object.entries({ ...language, Accept: "application/json", ...headers })) {
          xhr.setRequestHeader(name, value);
        }
        xhr.upload.onprogress = (event) => {
          if (event.lengthComputable) onUpload(event.loaded, event.total);
        };
        xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText });
        xhr.onerror = () => reject(new NetworkError());
        xhr.onabort = () => reject(new NetworkError());
        xhr.ontimeout = () => reject(new NetworkError());
        xhr.send(body);
      });
    },
  };
}

/** The form's values, as the plain form would send them (the identity as `[name, contact, role]`). */
function readFields(form) {
  const checked = (name) => {
    const input = form.querySelector(`input[name="${name}"]:checked`);
    return input ? input.value : "";
  };
  const value = (id) => {
    const el = form.querySelector(`#${id}`);
    return el ? el.value : "";
  };
  return {
    category: checked("category"),
    subtype: value("subtype"),
    severity: checked("severity"),
    description: value("description"),
    when: value("when"),
    place: value("place"),
    exclude: Array.from(form.querySelectorAll('input[name="exclude"]:checked'), (input) => input.value),
    identity: ["identity_name", "identity_contact", "identity_role"].map(value),
  };
}

function chosenFiles(form) {
  const input = form.querySelector("input#attachment");
  return input && input.files ? Array.from(input.files) : [];
}

/**
 * Enhances `form#report-form` if the page has it and everything the
 * encrypted path needs (the receipt template included); otherwise leaves
 * the page alone, and the form posts as plain HTML. Returns null if it
 * left the page alone, else `{whenIdle}`: a promise of the submission under
 * way, if any, ending. `transport` replaces the network in tests.
 */
export function installReportForm(doc = document, win = window, { transport } = {}) {
  const form = doc.querySelector("form#report-form");
  const template = doc.getElementById("e2e-receipt");
  // Without a receipt that can show the code, the browser must not make one.
  if (!form || !template || !("content" in template)) return null;
  // Enhanced already (the bundle loaded twice): once is enough.
  if (form.getAttribute("data-e2e") === "on") return null;
  if (!template.content.querySelector('[data-slot="code"]')) return null;
  if (!transport && (typeof win.XMLHttpRequest === "undefined" || typeof win.Response === "undefined")) return null;

  const path = doc.getElementById("encryption-path");
  const status = doc.getElementById("e2e-status");
  const msg = (name) => (status && status.getAttribute(`data-msg-${name}`)) || "";
  const lang = doc.documentElement.lang || "";

  if (path && path.hasAttribute("data-browser")) path.textContent = path.getAttribute("data-browser");
  form.setAttribute("data-e2e", "on");

  let busy = false;
  /**
   * Set once the form went the plain way: every later submit posts plainly
   * (pow.js adds its proof), the page having said so.
   */
  let plain = false;
  /** The submission under way (a settled promise when none is). */
  let current = Promise.resolve();
  /** The last submission that failed, kept to be sent again unchanged. */
  let pending = null;

  const submitButtons = () =>
    Array.from(form.elements).filter((el) => el.type === "submit" && typeof el.disabled === "boolean");

  const setWorking = (working) => {
    busy = working;
    for (const button of submitButtons()) button.disabled = working;
    form.setAttribute("aria-busy", working ? "true" : "false");
  };

  const showStatus = (name, pct) => {
    if (!status) return;
    status.hidden = false;
    status.textContent = statusText(msg(name), pct);
  };

  // Progress arrives often; within one phase the live region is told at
  // most once a second (and at once at 100 %), so a screen reader is not
  // flooded. A held-back update is shown when its second is up.
  let lastPhase = "";
  let lastAt = 0;
  let latest = null;
  let timer = null;
  const flush = () => {
    timer = null;
    const [name, pct] = latest;
    lastPhase = name;
    lastAt = Date.now();
    if (!status.hidden && status.textContent === statusText(msg(name), pct)) return;
    showStatus(name, pct);
  };
  const phase = (name, pct) => {
    if (!status) return;
    latest = [name, pct];
    const wait = name === lastPhase && pct !== undefined && pct !== 100 ? lastAt + 1000 - Date.now() : 0;
    if (wait <= 0) {
      if (timer) clearTimeout(timer);
      flush();
    } else if (!timer) {
      timer = setTimeout(flush, wait);
    }
  };

  const hideStatus = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    lastPhase = "";
    if (!status) return;
    status.hidden = true;
    status.textContent = "";
  };

  const showProblem = (message, field) => {
    hideStatus();
    for (const old of doc.querySelectorAll(".error-summary")) old.remove();
    const box = doc.createElement("div");
    box.className = "notice error-summary";
    box.setAttribute("role", "alert");
    box.setAttribute("aria-labelledby", "error-summary-title");
    box.tabIndex = -1;
    const title = doc.createElement("h2");
    title.id = "error-summary-title";
    title.textContent = msg("error-title");
    const list = doc.createElement("ul");
    const item = doc.createElement("li");
    // A field the problem names links to it, as on the server's pages.
    const target = field ? doc.getElementById(field) : null;
    if (target && form.contains(target)) {
      const link = doc.createElement("a");
      link.className = "error";
      link.href = `#${field}`;
      link.textContent = message;
      item.appendChild(link);
    } else {
      item.textContent = message;
    }
    list.appendChild(item);
    box.append(title, list);
    form.parentNode.insertBefore(box, form);
    box.focus();
  };

  const genericFailure = () => msg("failed") || msg("network");

  const sayFallback = () => {
    if (path && path.hasAttribute("data-fallback")) path.textContent = path.getAttribute("data-fallback");
  };

  /**
   * Sends the form the plain way, after the script had stopped it: the page
   * says so, and the form is submitted again as the browser would (pow.js
   * sees the event and adds its proof). Only a browser without
   * `requestSubmit` posts it without the event (no proof: the server's
   * no-JavaScript lane).
   */
  const sendPlain = () => {
    if (pending) pending.submission.wipe();
    pending = null;
    hideStatus();
    for (const old of doc.querySelectorAll(".error-summary")) old.remove();
    sayFallback();
    plain = true;
    setWorking(false);
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else if (typeof form.submit === "function") {
      form.submit();
    } else {
      plain = false;
      showProblem(genericFailure(), null);
    }
  };

  const run = async () => {
    const fields = readFields(form);
    const files = chosenFiles(form);
    const print = fingerprint(fields, files);
    if (!pending || pending.print !== print) {
      if (pending) pending.submission.wipe();
      pending = { print, submission: new Submission({ fields, files }) };
    }
    const { submission } = pending;
    setWorking(true);
    let result;
    // A submission one of whose sends got no answer may have been stored:
    // it is never sent the plain way (a second case under another code);
    // the reporter is asked to send it again unchanged.
    const plainUnlessSent = () => {
      if (submission.mayHaveArrived) {
        showProblem(msg("network"), null);
        setWorking(false);
      } else {
        sendPlain();
      }
    };
    try {
      result = await sendSubmission(submission, transport || browserTransport(lang), { phase });
    } catch (err) {
      if (err instanceof NetworkError) {
        // It may have been stored: the same submission is kept, to be sent
        // again with the same key.
        showProblem(msg("network"), null);
        setWorking(false);
      } else {
        // Something in the browser failed (a routing it cannot read, a key
        // it cannot encrypt to): the plain form, unless an earlier send of
        // this submission may have arrived.
        plainUnlessSent();
      }
      return;
    }
    if (result.plain) {
      plainUnlessSent();
      return;
    }
    if (!result.received) {
      const fallback = submission.mayHaveArrived ? msg("network") : genericFailure();
      showProblem(result.problem.message || fallback, result.problem.field);
      setWorking(false);
      return;
    }
    // Stored: from here on nothing may send it again.
    pending = null;
    hideStatus();
    showReceipt(doc, win, template, submission, result.acknowledgeBy);
  };

  onFormSubmit(win, form, { isPlain: () => plain, isBusy: () => busy }, (event) => {
    // Language buttons post plainly (nothing is stored), and so does a
    // description that shows nothing (for the server to say so).
    if (isLanguageSubmitter(event.submitter)) return;
    if (needsPlainPath({ description: readFields(form).description })) return;
    stopSubmit(event);
    current = run();
  });
  return { whenIdle: () => current };
}

/**
 * Replaces the page's main content with the receipt: the code, the day of
 * acknowledgement and the files whose metadata was kept (not images, or
 * images that could not be read). Leaving asks for
 * confirmation; "done" wipes the code and goes to the start page.
 */
function showReceipt(doc, win, template, submission, acknowledgeBy) {
  const receipt = template.content.cloneNode(true);
  const slot = (name) => receipt.querySelector(`[data-slot="${name}"]`);

  const codeSlot = slot("code");
  if (codeSlot) codeSlot.textContent = submission.code.grouped();

  const ackSlot = slot("acknowledge-by");
  if (ackSlot) {
    if (acknowledgeBy) {
      ackSlot.textContent = formatDate(acknowledgeBy);
    } else {
      // The answer that carried it was lost: leave the sentence out.
      (ackSlot.closest("p") || ackSlot).hidden = true;
    }
  }

  const kept = slot("metadata-kept");
  const keptNames = submission.metadataKept();
  if (kept && keptNames.length > 0) {
    const list = kept.querySelector("ul");
    if (list) {
      list.replaceChildren();
      for (const name of keptNames) {
        const item = doc.createElement("li");
        item.textContent = name;
        list.appendChild(item);
      }
    }
    kept.hidden = false;
  }

  const confirmLeave = (event) => {
    event.preventDefault();
    event.returnValue = "";
    return "";
  };
  const forget = () => {
    win.removeEventListener("beforeunload", confirmLeave);
    submission.wipe();
  };
  const done = receipt.querySelector('[data-action="done"]');
  if (done) {
    done.addEventListener("click", (event) => {
      event.preventDefault();
      forget();
      win.location.assign("/");
    });
  }

  const main = doc.querySelector("main") || doc.body;
  const h1 = receipt.querySelector("h1");
  main.replaceChildren(receipt);
  // As the server's receipt: printed, only the code and the date show
  // (varsel.css, `main.receipt`).
  if (main.classList) main.classList.add("receipt");
  // The form is gone: the header's language buttons (form="report-form")
  // would send nothing; the server's receipt has no language switch either.
  for (const button of doc.querySelectorAll('button[form="report-form"]')) {
    (button.closest("nav") || button).remove();
  }
  if (h1) {
    // "Title – Varsel": the receipt's heading, the page title's suffix kept.
    const dash = doc.title.lastIndexOf(" – ");
    doc.title = h1.textContent.trim() + (dash >= 0 ? doc.title.slice(dash) : "");
    h1.tabIndex = -1;
    h1.focus();
  }
  win.addEventListener("beforeunload", confirmLeave);
  // However the page is left, the code goes from memory.
  win.addEventListener("pagehide", () => {
    if (codeSlot) codeSlot.textContent = "";
    forget();
  });
}
