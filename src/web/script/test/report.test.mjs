// report.js without a DOM: which submissions go the plain way, the
// plaintexts, the seal and the envelope (opened again with real age
// identities), proof of work, the API's problems, the 409 retries over a
// fake transport, and the bundle still building.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { base64 } from "@scure/base";
import { generateCaseCode } from "../src/casecode.js";
import { decryptWith, newCaseIdentity, recipientOf, unwrapIdentity } from "../src/seal.js";
import {
  NetworkError,
  Submission,
  attachmentNamePlaintext,
  buildEnvelope,
  charCount,
  crlf,
  fingerprint,
  formatDate,
  identityGiven,
  identityPlaintext,
  isLanguageSubmitter,
  isTechnicalRefusal,
  leadingZeroBits,
  needsPlainPath,
  newIdempotencyKey,
  percent,
  plainReason,
  problemOf,
  reportPlaintext,
  routingRequest,
  sealCase,
  sealIdentity,
  sendSubmission,
  solvePow,
  statusText,
  submissionBody,
  takeChars,
  trimInvisible,
  wrapCase,
} from "../src/report.js";

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, "..");
const decoder = new TextDecoder();

const file = (name, type = "", bytes = new Uint8Array([1, 2, 3])) => new File([bytes], name, { type });

function fields(overrides = {}) {
  return {
    category: "avvik",
    subtype: "",
    severity: "middels",
    description: "Lageret i bygg 4 lekker kjemikalier – ingen gjør noe.",
    when: "",
    place: "Bygg 4",
    exclude: [],
    ...overrides,
  };
}

/** True if `needle` (a string, as UTF-8) occurs in `haystack`'s bytes. */
function contains(haystack, needle) {
  const n = new TextEncoder().encode(needle);
  outer: for (let i = 0; i + n.length <= haystack.length; i++) {
    for (let j = 0; j < n.length; j++) if (haystack[i + j] !== n[j]) continue outer;
    return true;
  }
  return false;
}

async function bytesOf(blob) {
  return new Uint8Array(await blob.arrayBuffer());
}

async function keyPair(hybrid) {
  const identity = await newCaseIdentity({ hybrid });
  return { identity, recipient: await recipientOf(identity) };
}

// ---------------------------------------------------------------------------

test("neither an identity nor files, images too, are a reason for the plain way by themselves", () => {
  assert.equal(needsPlainPath({}), false);
  // The identity is sealed in the browser to the custodians (plainReason
  // decides, once the routing names them).
  assert.equal(needsPlainPath({ identity: ["Kari", "", ""], description: "x" }), false);
  // The browser strips images itself (sealCase): whatever is chosen, the
  // files are no reason for the plain way.
  const files = [file("rapport.pdf", "application/pdf"), file("BILDE.JPG", "image/jpeg"), file("skjerm.png", "image/png"), file("y.webp")];
  assert.equal(needsPlainPath({ files }), false);
  assert.equal(plainReason({ limits: {} }, { fields: fields(), files }), null);
});

test("an identity is given when a field has more than white space, as the server's is_empty", () => {
  assert.equal(identityGiven(undefined), false);
  assert.equal(identityGiven(["", "  \n\t", ""]), false);
  assert.equal(identityGiven(["\u00A0", "\u2003", "\u3000"]), false, "Unicode white space");
  assert.equal(identityGiven(["", "", "leder"]), true);
  assert.equal(identityGiven([" Kari "]), true);
  // Rust's trim leaves a zero-width space: the server seals {"","",""}.
  assert.equal(identityGiven(["\u200B", "", ""]), true);
  assert.equal(decoder.decode(identityPlaintext(["\u200B", "", ""])), '{"name":"","contact":"","role":""}');
  assert.equal(
    decoder.decode(identityPlaintext(["  Kari Nordmann\u200B ", "", " kari@example.org\n"])),
    '{"name":"Kari Nordmann","contact":"","role":"kari@example.org"}',
  );
  assert.deepEqual(JSON.parse(decoder.decode(identityPlaintext([" Kari ", " 99 88 77 66 ", "\tlager\uD800 "]))), {
    name: "Kari",
    contact: "99 88 77 66",
    role: "lager\uFFFD",
  });
});

test("a description that shows nothing goes the plain way, for the server to say so", () => {
  assert.equal(needsPlainPath({ description: "" }), true);
  assert.equal(needsPlainPath({ description: " \n\u200B\u00AD\uFEFF\t " }), true);
  assert.equal(needsPlainPath({ description: "x" }), false);
  assert.equal(needsPlainPath({ description: "\u200Bx\u200B" }), false);
});

test("language buttons post plainly", () => {
  const button = (attrs, name = "") => ({ name, hasAttribute: (a) => a in attrs });
  assert.equal(isLanguageSubmitter(null), false);
  assert.equal(isLanguageSubmitter(undefined), false);
  assert.equal(isLanguageSubmitter(button({})), false);
  assert.equal(isLanguageSubmitter(button({ formaction: "/report?lang=en&rerender=1" })), true);
  assert.equal(isLanguageSubmitter(button({}, "lang")), true);
});

test("texts are trimmed as the server trims them; an empty when or place is null", () => {
  assert.equal(trimInvisible("\u200B  hei\u200Dpå deg \uFE0F\n"), "hei\u200Dpå deg");
  assert.equal(trimInvisible("\u{E0001}x\u{1D173}"), "x");
  assert.equal(trimInvisible("\u{1F600}\u200B"), "\u{1F600}");
  assert.equal(trimInvisible("\uD800 x"), "\uD800 x", "a lone surrogate is visible, as U+FFFD would be");
  assert.equal(trimInvisible(" \u200B\n"), "");
  // Long runs of spaces inside a text take linear time.
  const long = `a${" ".repeat(200_000)}b${" ".repeat(200_000)}`;
  const started = Date.now();
  assert.equal(trimInvisible(long).length, 200_002);
  assert.ok(Date.now() - started < 2000);
  const bytes = reportPlaintext({ description: "  Noe skjedde.\n", when: " \t", place: " Kantina " });
  assert.deepEqual(JSON.parse(decoder.decode(bytes)), { description: "Noe skjedde.", when: null, place: "Kantina" });
  // An unpaired surrogate becomes U+FFFD, as in a form post, never a \ud800 escape.
  const odd = decoder.decode(reportPlaintext({ description: "a\uD800b\u{1F600}", when: "\uDC00", place: "" }));
  assert.equal(odd, '{"description":"a\uFFFDb\u{1F600}","when":"\uFFFD","place":null}');
  assert.equal(decoder.decode(attachmentNamePlaintext({ name: "x\uDBFF.txt", type: "" })), '{"name":"x\uFFFD.txt","content_type":"application/octet-stream"}');
  const full = reportPlaintext({ description: "a", when: "i går", place: "" });
  assert.equal(decoder.decode(full), '{"description":"a","when":"i går","place":null}');
});

test("the description's line breaks are CRLF, as a plain form post sends a textarea's", () => {
  assert.equal(crlf("a\nb\r\nc\rd\n\ne"), "a\r\nb\r\nc\r\nd\r\n\r\ne");
  assert.equal(crlf("\r\r\n\n"), "\r\n\r\n\r\n");
  assert.equal(crlf(undefined), "");
  const bytes = reportPlaintext({ description: "\nFørste linje\nAndre\r\nTredje\rFjerde\n\n", when: "", place: "" });
  assert.equal(JSON.parse(decoder.decode(bytes)).description, "Første linje\r\nAndre\r\nTredje\r\nFjerde");
});

test("characters are counted and cut as Rust counts them: Unicode scalar values", () => {
  assert.equal(charCount(""), 0);
  assert.equal(charCount("æøå"), 3);
  assert.equal(charCount("\u{1F600}\u{1F600}"), 2, "not four UTF-16 units");
  assert.equal(charCount("e\u0301"), 2, "a combining mark is a character of its own");
  assert.equal(charCount("a\r\nb"), 4);
  assert.equal(takeChars("\u{1F600}abc", 2), "\u{1F600}a");
  assert.equal(takeChars("abc", 5), "abc");
  assert.equal(takeChars("abc", 0), "");
  assert.equal(takeChars("abc", undefined), "abc");
});

test("what the plain form's server would refuse goes the plain way, counted after trimming and CRLF", () => {
  const limits = {
    max_attachments: 2,
    max_attachment_bytes: 10,
    max_identity_chars: [5, 6, 7],
    max_text_chars: 10,
    max_short_field_chars: 4,
  };
  const routing = { limits, custodians: ["age1pq1example"] };
  const reason = (over = {}, files = []) => plainReason(routing, { fields: fields({ description: "kort", place: "", ...over }), files });

  assert.equal(reason({ description: "0123456789" }), null, "at the limit");
  assert.equal(reason({ description: "  \u200B0123456789\n\n " }), null, "trimmed first");
  assert.equal(reason({ description: "\u{1F600}".repeat(10) }), null, "an emoji is one character");
  assert.equal(reason({ description: "0123456789x" }), "text");
  // Ten characters with an LF, but eleven with the CRLF the server keeps.
  assert.equal(reason({ description: "0123\n5678" }), null);
  assert.equal(reason({ description: "0123\n56789" }), "text");
  assert.equal(reason({ when: " igår " }), null);
  assert.equal(reason({ when: "i dag" }), "text");
  assert.equal(reason({ place: "\u{1F600}\u{1F600}\u{1F600}\u{1F600}" }), null);
  assert.equal(reason({ place: "Bygg 4" }), "text");

  const bytes = (n) => file("f.bin", "", new Uint8Array(n));
  assert.equal(reason({}, [bytes(10), bytes(1)]), null);
  assert.equal(reason({}, [bytes(1), bytes(1), bytes(1)]), "attachments", "too many");
  assert.equal(reason({}, [bytes(11)]), "attachments", "too large");
  assert.equal(reason({}, [bytes(0)]), "attachments", "empty");

  assert.equal(reason({ identity: ["Kari ", " 123456", "leder"] }), null);
  assert.equal(reason({ identity: ["Kari N", "", ""] }), "identity", "name over its limit");
  assert.equal(reason({ identity: ["", "1234567", ""] }), "identity", "contact over its limit");
  assert.equal(reason({ identity: ["", "", "12345678"] }), "identity", "role over its limit");
  assert.equal(reason({ identity: ["  ", "1234567", ""] }), "identity");
  assert.equal(reason({ identity: [" ", "\t", ""] }), null, "no identity: no limit");
  // No custodian, or custodians of both kinds: the server words it, or seals it.
  const kari = { identity: ["Kari", "", ""] };
  assert.equal(plainReason({ limits, custodians: [] }, { fields: fields({ description: "kort", place: "", ...kari }) }), "identity");
  assert.equal(plainReason({ limits }, { fields: fields({ description: "kort", place: "", ...kari }) }), "identity");
  assert.equal(plainReason({ limits, custodians: ["age1pq1a", "age1x"] }, { fields: fields({ description: "kort", place: "", ...kari }) }), "identity");
  assert.equal(plainReason({ limits, custodians: ["age1a", "age1b"] }, { fields: fields({ description: "kort", place: "", ...kari }) }), null);
  assert.equal(plainReason({ limits, custodians: [] }, { fields: fields({ description: "kort", place: "" }) }), null, "no identity: no custodian needed");

  // A limit not given is not checked; an empty file is refused all the same.
  const big = { fields: fields({ description: "x".repeat(100_000) }), files: [bytes(100_000), bytes(1), bytes(2)] };
  assert.equal(plainReason({ limits: {} }, big), null);
  assert.equal(plainReason({}, big), null);
  assert.equal(plainReason({}, { fields: fields(), files: [bytes(0)] }), "attachments");
});

test("an attachment's name plaintext has its type, or application/octet-stream", () => {
  assert.deepEqual(JSON.parse(decoder.decode(attachmentNamePlaintext(file("rapport.pdf", "application/pdf")))), {
    name: "rapport.pdf",
    content_type: "application/pdf",
  });
  assert.deepEqual(JSON.parse(decoder.decode(attachmentNamePlaintext(file("data.xyz")))), {
    name: "data.xyz",
    content_type: "application/octet-stream",
  });
});

test("the routing request carries the classification only", () => {
  const id = "0b6f1f0e-6d2a-4c1e-9e55-1f4f3a7c2b10";
  assert.deepEqual(routingRequest(fields({ exclude: [id] })), {
    category: "avvik",
    subtype: null,
    severity: "middels",
    exclude: [id],
  });
  assert.deepEqual(routingRequest(fields({ subtype: "avvik.personvernbrudd", severity: "" })).subtype, "avvik.personvernbrudd");
  assert.equal(routingRequest(fields({ severity: "" })).severity, "");
});

test("dates are shown as DD.MM.YYYY", () => {
  assert.equal(formatDate("2026-12-04"), "04.12.2026");
  assert.equal(formatDate("2027-01-31"), "31.01.2027");
  assert.equal(formatDate("soon"), "soon");
  assert.equal(formatDate(null), "");
});

test("status texts and percentages", () => {
  assert.equal(statusText("Sender …"), "Sender …");
  assert.equal(statusText("Sender …", 42), "Sender … 42 %");
  assert.equal(percent(0, 0), 0);
  assert.equal(percent(1, 3), 33);
  assert.equal(percent(5, 4), 100);
});

test("a fingerprint changes with any entered value or chosen file", () => {
  const files = [file("a.pdf", "application/pdf")];
  const a = fingerprint(fields(), files);
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.equal(fingerprint(fields(), [file("a.pdf", "application/pdf")]).length, 64);
  assert.notEqual(fingerprint(fields({ description: "other" }), files), a);
  assert.notEqual(fingerprint(fields({ exclude: ["x"] }), files), a);
  assert.notEqual(fingerprint(fields({ identity: ["", "kari@example.org", ""] }), files), a);
  assert.notEqual(fingerprint(fields(), []), a);
  assert.equal(fingerprint(fields(), files), fingerprint(fields(), files));
});

test("idempotency keys are UUIDs, with or without crypto.randomUUID", () => {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  assert.match(newIdempotencyKey(), uuid);
  const insecure = { getRandomValues: (b) => globalThis.crypto.getRandomValues(b) };
  const keys = new Set();
  for (let i = 0; i < 50; i++) {
    const key = newIdempotencyKey(insecure);
    assert.match(key, uuid);
    keys.add(key);
  }
  assert.equal(keys.size, 50);
});

// ---------------------------------------------------------------------------
// Proof of work

function zeroBitsOf(challenge, counter) {
  return leadingZeroBits(createHash("sha256").update(challenge + counter, "ascii").digest());
}

test("leading zero bits", () => {
  assert.equal(leadingZeroBits(new Uint8Array([0x80, 0])), 0);
  assert.equal(leadingZeroBits(new Uint8Array([0x00, 0x01])), 15);
  assert.equal(leadingZeroBits(new Uint8Array([0x00, 0x00, 0x20])), 18);
  assert.equal(leadingZeroBits(new Uint8Array(4)), 32);
});

test("proof of work: the first counter that solves, checked against node:crypto", async () => {
  // A challenge in the server's wire format, long enough that its hash
  // state spans a block boundary, and one exactly 64 bytes long.
  const challenges = [
    "v1.q83vEjRWeJASNFZ4kBI0VniQEjRWeJASNA.Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXU",
    "c".repeat(64),
    "short",
  ];
  for (const challenge of challenges) {
    for (const difficulty of [0, 1, 8, 12]) {
      const solution = await solvePow(challenge, difficulty);
      assert.match(solution, /^(0|[1-9][0-9]*)$/);
      assert.ok(zeroBitsOf(challenge, solution) >= difficulty, `${challenge} ${difficulty}`);
      for (let n = 0; n < Number(solution); n++) {
        assert.ok(zeroBitsOf(challenge, n) < difficulty, "an earlier counter solves it");
      }
    }
  }
});

test("proof of work yields to the event loop between batches", async () => {
  let yields = 0;
  const solution = await solvePow("yield-test", 14, {
    batch: 256,
    sliceMs: 0,
    yieldNow: async () => {
      yields++;
    },
  });
  assert.ok(zeroBitsOf("yield-test", solution) >= 14);
  assert.equal(yields, Math.floor((Number(solution) + 1) / 256));
});

test("proof of work at the server's base difficulty is quick", async () => {
  const started = Date.now();
  const solution = await solvePow("v1.base-difficulty", 14);
  assert.ok(zeroBitsOf("v1.base-difficulty", solution) >= 14);
  assert.ok(Date.now() - started < 5000);
});

test("proof of work refuses a difficulty it cannot meet", async () => {
  assert.equal(await solvePow("x", 33), null);
  assert.equal(await solvePow("x", -1), null);
  assert.equal(await solvePow("x", 1.5), null);
  assert.equal(await solvePow(null, 4), null);
});

// ---------------------------------------------------------------------------
// Problems

test("problems are read from the API's error body, or RFC 7807 members", () => {
  assert.deepEqual(
    problemOf('{"error":{"code":"routing_changed","message":"Mottakerne er endret.","field":null}}'),
    { code: "routing_changed", message: "Mottakerne er endret.", field: null },
  );
  assert.deepEqual(problemOf('{"error":{"code":"text_too_long","message":"For lang.","field":"description","limit":5}}'), {
    code: "text_too_long",
    message: "For lang.",
    field: "description",
  });
  assert.deepEqual(problemOf('{"type":"https://varsel.example/problems/routing_changed","title":"Changed","detail":"Ask again."}'), {
    code: "routing_changed",
    message: "Ask again.",
    field: null,
  });
  assert.deepEqual(problemOf("<html>Bad gateway</html>"), { code: null, message: null, field: null });
  assert.deepEqual(problemOf(""), { code: null, message: null, field: null });
  assert.deepEqual(problemOf("null"), { code: null, message: null, field: null });
});

// ---------------------------------------------------------------------------
// The seal and the envelope, end to end

test("an envelope for two hybrid recipients opens with their keys and the code, and hides the text and the code", async () => {
  const handler = await keyPair(true);
  const recovery = await keyPair(true);
  const routing = {
    routing_id: "ab".repeat(32),
    key_kind: "hybrid",
    recipients: [
      { holder: "user:0b6f1f0e-6d2a-4c1e-9e55-1f4f3a7c2b10", recipient: handler.recipient },
      { holder: "recovery", recipient: recovery.recipient },
    ],
    limits: { max_attachments: 5, max_attachment_bytes: 26214400 },
  };
  const entered = fields({ when: "  i går kveld ", exclude: ["5d0c3f7e-2a8b-4e61-a0f3-9c1b2d3e4f50"] });
  const attachment = new Uint8Array(150 * 1024).map((_, i) => (i * 7) & 0xff);
  const files = [file("hemmelig-notat.pdf", "application/pdf", attachment), file("liste.csv", "", new TextEncoder().encode("a;b\n"))];
  const code = generateCaseCode();
  const progress = [];

  const sealed = await sealCase({ keyKind: routing.key_kind, fields: entered, files, onProgress: (d, t) => progress.push([d, t]) });
  const wraps = await wrapCase({ routing, identity: sealed.identity, code });
  const envelope = buildEnvelope({
    routing,
    fields: entered,
    caseRecipient: sealed.caseRecipient,
    lookupTag: code.lookupTag(),
    wraps,
    names: sealed.names,
  });

  // The envelope's shape (docs/e2e.md).
  assert.deepEqual(Object.keys(envelope), [
    "routing_id",
    "category",
    "subtype",
    "severity",
    "exclude",
    "case_recipient",
    "lookup_tag",
    "wraps",
    "attachment_names",
  ]);
  assert.equal(envelope.routing_id, routing.routing_id);
  assert.equal(envelope.subtype, null);
  assert.deepEqual(envelope.exclude, entered.exclude);
  assert.match(envelope.case_recipient, /^age1pq1/);
  assert.match(envelope.lookup_tag, /^[0-9a-f]{64}$/);
  assert.deepEqual(Object.keys(envelope.wraps).sort(), ["recovery", "reporter", routing.recipients[0].holder].sort());
  assert.equal(envelope.attachment_names.length, 2);
  for (const b64 of [...Object.values(envelope.wraps), ...envelope.attachment_names]) {
    assert.match(b64, /^[A-Za-z0-9+/]+={0,2}$/);
    assert.equal(b64.length % 4, 0);
  }

  // Every routed holder's wrap opens with its own key, to the case identity.
  assert.equal(await unwrapIdentity([handler.identity], base64.decode(envelope.wraps[routing.recipients[0].holder])), sealed.identity);
  assert.equal(await unwrapIdentity([recovery.identity], base64.decode(envelope.wraps.recovery)), sealed.identity);
  await assert.rejects(unwrapIdentity([handler.identity], base64.decode(envelope.wraps.recovery)));
  // The reporter's opens with the identity the code derives.
  const reporterIdentity = code.reporterHybridIdentity();
  assert.equal(await unwrapIdentity([reporterIdentity], base64.decode(envelope.wraps.reporter)), sealed.identity);
  assert.equal(await recipientOf(sealed.identity), envelope.case_recipient);

  // The case identity opens the report, the names and the files.
  const report = JSON.parse(decoder.decode(await decryptWith([sealed.identity], sealed.report)));
  assert.deepEqual(report, { description: entered.description, when: "i går kveld", place: "Bygg 4" });
  const names = [];
  for (const b64 of envelope.attachment_names) {
    names.push(JSON.parse(decoder.decode(await decryptWith([sealed.identity], base64.decode(b64)))));
  }
  assert.deepEqual(names, [
    { name: "hemmelig-notat.pdf", content_type: "application/pdf" },
    { name: "liste.csv", content_type: "application/octet-stream" },
  ]);
  assert.equal(sealed.attachments[0].type, "application/octet-stream");
  assert.deepEqual(await decryptWith([sealed.identity], await bytesOf(sealed.attachments[0])), attachment);
  assert.equal(decoder.decode(await decryptWith([sealed.identity], await bytesOf(sealed.attachments[1]))), "a;b\n");
  const total = attachment.length + 4;
  assert.deepEqual(progress.at(-1), [total, total]);

  // Neither the envelope nor any ciphertext nor the whole request body
  // holds the report's text, a file name, the case code or the identity.
  const json = new TextEncoder().encode(JSON.stringify(envelope));
  const ciphertexts = [
    json,
    sealed.report,
    ...sealed.names,
    ...Object.values(wraps),
    ...(await Promise.all(sealed.attachments.map(bytesOf))),
  ];
  const body = new Uint8Array(await new Response(submissionBody(envelope, sealed)).arrayBuffer());
  const secrets = [
    entered.description,
    "Lageret",
    "i går kveld",
    "Bygg 4",
    "hemmelig-notat",
    code.canonical(),
    code.grouped(),
    code.canonical().slice(0, 8),
    sealed.identity,
    reporterIdentity,
  ];
  for (const bytes of [...ciphertexts, body]) {
    for (const secret of secrets) assert.equal(contains(bytes, secret), false, `a ciphertext holds ${secret.slice(0, 12)}…`);
  }
  assert.equal(contains(json, envelope.lookup_tag), true, "the search itself works");

  // The multipart body: parts in the contract's order, files nameless.
  const text = new TextDecoder("latin1").decode(body);
  const parts = [...text.matchAll(/Content-Disposition: form-data; name="([^"]+)"(?:; filename="([^"]*)")?/g)].map((m) => [m[1], m[2]]);
  assert.deepEqual(parts, [
    ["envelope", "blob"],
    ["report", "blob"],
    ["attachment", "blob"],
    ["attachment", "blob"],
  ]);
  assert.match(text, /name="envelope"; filename="blob"\r\nContent-Type: application\/json/);
});

test("images are stripped before they are encrypted, as the server strips them; only kept files are named", async () => {
  // Cases of the fixture the Rust stripper wrote (test/metadata.test.mjs).
  const fixtures = JSON.parse(readFileSync(join(here, "fixtures/metadata.json"), "utf8"));
  const pick = (name) => {
    const f = fixtures.find((f) => f.name === name);
    assert.ok(f, name);
    return { input: base64.decode(f.input_b64), output: base64.decode(f.output_b64), outcome: f.outcome };
  };
  const cases = [
    ["ferie.jpg", "image/jpeg", pick("jpeg: EXIF, XMP, IPTC, comment and trailer")],
    ["skjerm", "", pick("png: text, eXIf, tIME, iTXt, zTXt, APNG and trailing bytes")],
    ["animasjon.webp", "image/webp", pick("webp: EXIF, XMP, C2PA and VP8X flags")],
    ["ødelagt.jpg", "image/jpeg", pick("jpeg: segment longer than the file")],
    ["notat.pdf", "application/pdf", pick("pdf: with an author")],
  ];
  assert.deepEqual(cases.map(([, , c]) => c.outcome), ["stripped", "stripped", "stripped", "kept", "kept"]);
  const files = cases.map(([name, type, c]) => file(name, type, c.input));
  const progress = [];
  const submission = new Submission({ fields: fields(), files });
  assert.deepEqual(submission.metadataKept(), [], "nothing is known before it is sealed");
  await submission.prepare(
    { routing_id: "ab".repeat(32), key_kind: "x25519", recipients: [] },
    { onProgress: (d, t) => progress.push([d, t]) },
  );
  const { sealed } = submission;
  assert.deepEqual(sealed.outcomes, cases.map(([, , c]) => c.outcome));
  for (const [i, [name, , c]] of cases.entries()) {
    const plain = await decryptWith([sealed.identity], await bytesOf(sealed.attachments[i]));
    assert.deepEqual(plain, c.output, name);
    assert.equal(contains(plain, "SECRET"), c.outcome === "kept" && contains(c.input, "SECRET"), name);
  }
  // The names are as chosen; the receipt names the files kept as they came.
  const names = [];
  for (const n of sealed.names) names.push(JSON.parse(decoder.decode(await decryptWith([sealed.identity], n))).name);
  assert.deepEqual(names, cases.map(([name]) => name));
  assert.deepEqual(submission.metadataKept(), ["ødelagt.jpg", "notat.pdf"]);
  // Progress never runs backwards and ends at the chosen files' size.
  const total = files.reduce((n, f) => n + f.size, 0);
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i][0] >= progress[i - 1][0]);
  assert.deepEqual(progress.at(-1), [total, total]);
});

test("an X25519 routing makes an X25519 case, wrapped to the code's X25519 recipient", async () => {
  const handler = await keyPair(false);
  const routing = { routing_id: "cd".repeat(32), key_kind: "x25519", recipients: [{ holder: "user:a", recipient: handler.recipient }] };
  const code = generateCaseCode();
  const sealed = await sealCase({ keyKind: "x25519", fields: fields() });
  assert.ok(sealed.caseRecipient.startsWith("age1") && !sealed.caseRecipient.startsWith("age1pq1"), sealed.caseRecipient);
  assert.deepEqual(sealed.attachments, []);
  const wraps = await wrapCase({ routing, identity: sealed.identity, code });
  assert.equal(await unwrapIdentity([code.reporterIdentity()], wraps.reporter), sealed.identity);
  assert.equal(await unwrapIdentity([handler.identity], wraps["user:a"]), sealed.identity);
});

/** The stanza types of an age file's header, in order. */
function stanzaTypes(file) {
  const text = new TextDecoder("latin1").decode(file);
  const header = text.slice(0, text.indexOf("\n--- "));
  return [...header.matchAll(/^-> (\S+)/gm)].map((m) => m[1]);
}

test("a hybrid routing with X25519 members and recovery key: each wrap to its own recipient, of its kind", async () => {
  const member = await keyPair(true);
  const classic = await keyPair(false);
  const recovery = await keyPair(false);
  const routing = {
    routing_id: "ee".repeat(32),
    key_kind: "hybrid",
    recipients: [
      { holder: "user:hybrid", recipient: member.recipient },
      { holder: "user:classic", recipient: classic.recipient },
      { holder: "recovery", recipient: recovery.recipient },
    ],
  };
  const code = generateCaseCode();
  const sealed = await sealCase({ keyKind: routing.key_kind, fields: fields() });
  assert.match(sealed.caseRecipient, /^age1pq1/, "the case key follows key_kind");
  const wraps = await wrapCase({ routing, identity: sealed.identity, code });
  assert.deepEqual(Object.keys(wraps), ["user:hybrid", "user:classic", "recovery", "reporter"]);
  // One stanza each, of its holder's kind; the reporter's follows key_kind.
  assert.deepEqual(stanzaTypes(wraps["user:hybrid"]), ["mlkem768x25519"]);
  assert.deepEqual(stanzaTypes(wraps["user:classic"]), ["X25519"]);
  assert.deepEqual(stanzaTypes(wraps.recovery), ["X25519"]);
  assert.deepEqual(stanzaTypes(wraps.reporter), ["mlkem768x25519"]);
  // Every wrap opens with its holder's identity, to the case identity.
  assert.equal(await unwrapIdentity([member.identity], wraps["user:hybrid"]), sealed.identity);
  assert.equal(await unwrapIdentity([classic.identity], wraps["user:classic"]), sealed.identity);
  assert.equal(await unwrapIdentity([recovery.identity], wraps.recovery), sealed.identity);
  assert.equal(await unwrapIdentity([code.reporterHybridIdentity()], wraps.reporter), sealed.identity);
  await assert.rejects(unwrapIdentity([classic.identity], wraps.recovery));

  // And an X25519 routing with a hybrid member: the same, the other way.
  const x = { ...routing, key_kind: "x25519" };
  const xs = await sealCase({ keyKind: "x25519", fields: fields() });
  const xWraps = await wrapCase({ routing: x, identity: xs.identity, code });
  assert.deepEqual(stanzaTypes(xWraps.reporter), ["X25519"]);
  assert.equal(await unwrapIdentity([member.identity], xWraps["user:hybrid"]), xs.identity);
  assert.equal(await unwrapIdentity([code.reporterIdentity()], xWraps.reporter), xs.identity);
});

test("a routing of an unknown kind, or naming a holder twice or the reporter, is refused", async () => {
  const pq = await keyPair(true);
  const code = generateCaseCode();
  const { identity } = await keyPair(true);
  const wrap = (key_kind, recipients) => wrapCase({ routing: { routing_id: "0", key_kind, recipients }, identity, code });
  await assert.rejects(wrap("rsa", [{ holder: "user:a", recipient: pq.recipient }]), /key kind/);
  await assert.rejects(wrap("hybrid", [{ holder: "user:a", recipient: "ssh-ed25519 AAAA" }]), /recipient/);
  await assert.rejects(
    wrap("hybrid", [
      { holder: "user:a", recipient: pq.recipient },
      { holder: "user:a", recipient: pq.recipient },
    ]),
    /twice/,
  );
  await assert.rejects(wrap("hybrid", [{ holder: "reporter", recipient: pq.recipient }]), /reporter/);
});

// ---------------------------------------------------------------------------
// One submission over a fake transport

/** A transport that answers from `script` and records what it was sent. */
function fakeTransport({ routings, sends, challenge = { challenge: "fake-challenge", difficulty: 4 } }) {
  const log = { routing: [], sent: [] };
  return {
    log,
    async routing(body) {
      log.routing.push(body);
      const next = routings.shift();
      if (next instanceof Error) throw next;
      return next;
    },
    async challenge() {
      return challenge;
    },
    async send(body, headers, onUpload) {
      const bytes = new Uint8Array(await new Response(body).arrayBuffer());
      onUpload(bytes.length / 2, bytes.length);
      onUpload(bytes.length, bytes.length);
      const envelope = JSON.parse(new TextDecoder().decode(await body.get("envelope").arrayBuffer()));
      const report = await bytesOf(body.get("report"));
      log.sent.push({ headers, envelope, report });
      const next = sends.shift();
      if (next instanceof Error) throw next;
      return next;
    },
  };
}

async function routingAnswer(kind = "hybrid", holders = ["user:a"]) {
  const keys = [];
  for (const holder of holders) keys.push({ holder, ...(await keyPair(kind === "hybrid")) });
  const routing = {
    routing_id: createHash("sha256").update(keys.map((k) => k.recipient).join()).digest("hex"),
    key_kind: kind,
    recipients: keys.map(({ holder, recipient }) => ({ holder, recipient })),
    limits: { max_attachments: 5, max_attachment_bytes: 1000 },
  };
  return { keys, routing, answer: { status: 200, text: JSON.stringify(routing) } };
}

const problem = (status, code, message = `message for ${code}`) => ({ status, text: JSON.stringify({ error: { code, message } }) });

test("a submission is routed, sealed, proven and sent once; its receipt date is read", async () => {
  const { routing, answer } = await routingAnswer();
  const transport = fakeTransport({ routings: [answer], sends: [{ status: 201, text: '{"acknowledge_by":"2026-12-04"}' }] });
  const phases = [];
  const submission = new Submission({ fields: fields({ subtype: "avvik.personvernbrudd" }), files: [file("a.pdf", "application/pdf")] });
  const result = await sendSubmission(submission, transport, { phase: (name, pct) => phases.push([name, pct]) });
  assert.deepEqual(result, { received: true, acknowledgeBy: "2026-12-04" });

  assert.deepEqual(transport.log.routing, [{ category: "avvik", subtype: "avvik.personvernbrudd", severity: "middels", exclude: [] }]);
  assert.equal(transport.log.sent.length, 1);
  const [{ headers, envelope }] = transport.log.sent;
  assert.equal(headers["Idempotency-Key"], submission.idempotencyKey);
  assert.equal(headers["Varsel-Pow-Challenge"], "fake-challenge");
  assert.ok(zeroBitsOf("fake-challenge", headers["Varsel-Pow-Solution"]) >= 4);
  assert.equal(envelope.routing_id, routing.routing_id);
  assert.equal(envelope.subtype, "avvik.personvernbrudd");
  assert.equal(envelope.lookup_tag, submission.code.lookupTag());
  assert.deepEqual(Object.keys(envelope.wraps), ["user:a", "reporter"]);
  assert.ok(phases.some(([name]) => name === "encrypting"));
  assert.deepEqual(phases.at(-1), ["sending", 100]);
});

test("without a challenge the report is sent without a proof", async () => {
  const { answer } = await routingAnswer();
  const transport = fakeTransport({ routings: [answer], sends: [{ status: 201, text: "{}" }], challenge: null });
  const result = await sendSubmission(new Submission({ fields: fields() }), transport);
  assert.deepEqual(result, { received: true, acknowledgeBy: null });
  assert.deepEqual(Object.keys(transport.log.sent[0].headers), ["Idempotency-Key"]);
});

test("409 routing_changed: routed again, wrapped again, the same ciphertexts and key sent once more", async () => {
  const first = await routingAnswer("hybrid", ["user:a"]);
  const second = await routingAnswer("hybrid", ["user:b", "recovery"]);
  const transport = fakeTransport({
    routings: [first.answer, second.answer],
    sends: [problem(409, "routing_changed"), { status: 201, text: '{"acknowledge_by":"2027-01-02"}' }],
  });
  const submission = new Submission({ fields: fields() });
  const result = await sendSubmission(submission, transport);
  assert.deepEqual(result, { received: true, acknowledgeBy: "2027-01-02" });
  const [a, b] = transport.log.sent;
  assert.equal(a.headers["Idempotency-Key"], b.headers["Idempotency-Key"]);
  assert.deepEqual(a.report, b.report);
  assert.equal(a.envelope.case_recipient, b.envelope.case_recipient);
  assert.equal(a.envelope.lookup_tag, b.envelope.lookup_tag);
  assert.equal(b.envelope.routing_id, second.routing.routing_id);
  assert.deepEqual(Object.keys(b.envelope.wraps), ["user:b", "recovery", "reporter"]);
  const identity = await unwrapIdentity([second.keys[1].identity], base64.decode(b.envelope.wraps.recovery));
  assert.equal(await unwrapIdentity([identity], base64.decode(a.envelope.wraps.reporter)).catch(() => "x"), "x");
  assert.equal(await unwrapIdentity([submission.code.reporterHybridIdentity()], base64.decode(b.envelope.wraps.reporter)), identity);
});

test("a second routing_changed goes the plain way; a refusal the plain form would show is shown and stops", async () => {
  const r1 = await routingAnswer();
  const r2 = await routingAnswer();
  const twice = fakeTransport({ routings: [r1.answer, r2.answer], sends: [problem(409, "routing_changed"), problem(409, "routing_changed", "Endret igjen.")] });
  assert.deepEqual(await sendSubmission(new Submission({ fields: fields() }), twice), { received: false, plain: "refused" });
  assert.equal(twice.log.sent.length, 2);

  const r3 = await routingAnswer();
  const tooLarge = fakeTransport({ routings: [r3.answer], sends: [problem(413, "attachment_too_large", "Filen er for stor.")] });
  const result = await sendSubmission(new Submission({ fields: fields() }), tooLarge);
  assert.equal(result.received, false);
  assert.equal(result.problem.message, "Filen er for stor.");
  assert.equal(tooLarge.log.sent.length, 1);

  const unroutable = fakeTransport({ routings: [problem(422, "no_eligible_handler", "Ingen kan motta.")], sends: [] });
  const refused = await sendSubmission(new Submission({ fields: fields() }), unroutable);
  assert.deepEqual(refused, { received: false, status: 422, problem: { code: "no_eligible_handler", message: "Ingen kan motta.", field: null } });
  assert.equal(unroutable.log.sent.length, 0);
});

test("technical refusals and server errors go the plain way, not shown", () => {
  const p = (code) => ({ code, message: "for developers", field: null });
  for (const code of ["invalid_ciphertext", "envelope_required", "report_required", "malformed_multipart", "pow_refused", "identity_unavailable"]) {
    assert.equal(isTechnicalRefusal(400, p(code)), true, code);
  }
  for (const status of [500, 502, 503, 504, 507]) assert.equal(isTechnicalRefusal(status, p(null)), true, status);
  for (const code of ["unknown_category", "text_required", "no_eligible_handler", "too_many_attachments", "attachment_too_large", "too_many_requests", "routing_changed", null]) {
    assert.equal(isTechnicalRefusal(code === "too_many_requests" ? 429 : 422, p(code)), false, code);
  }
});

test("a gateway's 5xx, or one that is not Varsel's, is a lost answer: kept, never the plain way", async () => {
  for (const [status, code] of [
    [502, null],
    [503, "unavailable"],
    [504, null],
    [500, null],
  ]) {
    const r = await routingAnswer();
    const answer = code ? problem(status, code) : { status, text: "<html>Bad gateway</html>" };
    const transport = fakeTransport({ routings: [r.answer], sends: [answer] });
    const submission = new Submission({ fields: fields() });
    await assert.rejects(sendSubmission(submission, transport), NetworkError, `${status} ${code}`);
    assert.equal(submission.mayHaveArrived, true);
  }
});

test("after a lost answer, a routing refusal or a changed routing is shown, never the plain way", async () => {
  const r = await routingAnswer();
  const transport = fakeTransport({ routings: [r.answer, problem(500, "internal")], sends: [new NetworkError()] });
  const submission = new Submission({ fields: fields() });
  await assert.rejects(sendSubmission(submission, transport), NetworkError);
  const again = await sendSubmission(submission, transport);
  assert.equal(again.plain, undefined);
  assert.equal(again.status, 500);
  const limited = await routingAnswer();
  limited.routing.limits = { ...limited.routing.limits, max_text_chars: 1 };
  const changed = fakeTransport({ routings: [r.answer, { status: 200, text: JSON.stringify(limited.routing) }], sends: [new NetworkError()] });
  const second = new Submission({ fields: fields() });
  await assert.rejects(sendSubmission(second, changed), NetworkError);
  const shown = await sendSubmission(second, changed);
  assert.equal(shown.plain, undefined, "a limit that changed does not send a stored case again");
  assert.equal(shown.received, false);
});

test("invalid_ciphertext, envelope_required, report_required and Varsel's own 500 send the form the plain way", async () => {
  for (const [status, code] of [
    [422, "invalid_ciphertext"],
    [400, "envelope_required"],
    [400, "report_required"],
    [500, "internal"],
  ]) {
    const r = await routingAnswer();
    const answer = code ? problem(status, code) : { status, text: "<html>Bad gateway</html>" };
    const transport = fakeTransport({ routings: [r.answer], sends: [answer] });
    assert.deepEqual(await sendSubmission(new Submission({ fields: fields() }), transport), { received: false, plain: "refused" }, `${status} ${code}`);
    assert.equal(transport.log.sent.length, 1);
  }
  // A server error of the routing too; its field errors are shown.
  const broken = fakeTransport({ routings: [{ status: 500, text: "" }], sends: [] });
  assert.deepEqual(await sendSubmission(new Submission({ fields: fields() }), broken), { received: false, plain: "refused" });
  const unknown = fakeTransport({ routings: [problem(400, "unknown_category", "Ukjent kategori.")], sends: [] });
  assert.equal((await sendSubmission(new Submission({ fields: fields() }), unknown)).problem.message, "Ukjent kategori.");
});

test("after a send that got no answer, a 5xx is shown, never sent the plain way (no second case)", async () => {
  const r = await routingAnswer();
  const transport = fakeTransport({ routings: [r.answer, r.answer], sends: [new NetworkError(), problem(500, "internal")] });
  const submission = new Submission({ fields: fields() });
  await assert.rejects(sendSubmission(submission, transport), NetworkError);
  assert.equal(submission.mayHaveArrived, true);
  const again = await sendSubmission(submission, transport);
  assert.equal(again.received, false);
  assert.equal(again.plain, undefined, "not the plain way");
  assert.equal(again.status, 500);
  assert.equal(transport.log.sent.length, 2);
  assert.equal(transport.log.sent[0].headers["Idempotency-Key"], transport.log.sent[1].headers["Idempotency-Key"]);
});

test("over a limit of the routing, nothing is encrypted or sent: the plain way", async () => {
  const r = await routingAnswer();
  r.routing.limits = { ...r.routing.limits, max_text_chars: 20, max_short_field_chars: 10, max_identity_chars: [3, 3, 3] };
  const answer = { status: 200, text: JSON.stringify(r.routing) };
  const cases = [
    [fields({ description: "x".repeat(21) }), [], "text"],
    [fields({ description: "kort", place: "Bygg 4, rom 12" }), [], "text"],
    [fields({ description: "kort" }), [file("a", "", new Uint8Array(1001))], "attachments"],
    [fields({ description: "kort" }), [file("tom.txt", "", new Uint8Array(0))], "attachments"],
    [fields({ description: "kort" }), Array.from({ length: 6 }, (_, i) => file(`${i}.txt`)), "attachments"],
    [fields({ description: "kort", identity: ["Kari", "", ""] }), [], "identity"],
    // Within the limits, but nobody to seal it to.
    [fields({ description: "kort", identity: ["Ola", "", ""] }), [], "identity"],
  ];
  for (const [entered, files, reason] of cases) {
    const transport = fakeTransport({ routings: [answer], sends: [] });
    const submission = new Submission({ fields: entered, files });
    assert.deepEqual(await sendSubmission(submission, transport), { received: false, plain: reason });
    assert.equal(submission.sealed, null, "nothing encrypted");
    assert.equal(transport.log.sent.length, 0);
  }
});

test("an identity is sealed in the browser, in one file to every custodian, and each opens it", async () => {
  for (const hybrid of [true, false]) {
    const custodians = [await keyPair(hybrid), await keyPair(hybrid), await keyPair(hybrid)];
    const r = await routingAnswer(hybrid ? "hybrid" : "x25519");
    r.routing.custodians = custodians.map((c) => c.recipient);
    r.routing.limits = { ...r.routing.limits, max_identity_chars: [200, 300, 200] };
    const transport = fakeTransport({ routings: [{ status: 200, text: JSON.stringify(r.routing) }], sends: [{ status: 201, text: "{}" }] });
    const entered = fields({ identity: ["  Kari Nordmann ", "\u200B", " Lagerleder\n"] });
    const submission = new Submission({ fields: entered });
    assert.equal((await sendSubmission(submission, transport)).received, true);
    const [{ envelope }] = transport.log.sent;
    assert.equal(Object.keys(envelope).at(-1), "identity");
    const sealed = base64.decode(envelope.identity);
    assert.deepEqual(stanzaTypes(sealed), Array(3).fill(hybrid ? "mlkem768x25519" : "X25519"), "one stanza per custodian");
    for (const custodian of custodians) {
      const opened = JSON.parse(decoder.decode(await decryptWith([custodian.identity], sealed)));
      assert.deepEqual(opened, { name: "Kari Nordmann", contact: "", role: "Lagerleder" });
    }
    // Not to the case key, nor to a handler.
    const caseIdentity = await unwrapIdentity([submission.code.reporterHybridIdentity(), submission.code.reporterIdentity()], base64.decode(envelope.wraps.reporter));
    await assert.rejects(decryptWith([caseIdentity], sealed));
    await assert.rejects(decryptWith([r.keys[0].identity], sealed));
  }
  // Without an identity, no identity part.
  const plain = await routingAnswer();
  const t = fakeTransport({ routings: [plain.answer], sends: [{ status: 201, text: "{}" }] });
  await sendSubmission(new Submission({ fields: fields({ identity: ["", " ", ""] }) }), t);
  assert.equal("identity" in t.log.sent[0].envelope, false);
});

test("sealIdentity refuses custodians of both kinds in one file", async () => {
  const pq = await keyPair(true);
  const x = await keyPair(false);
  await assert.rejects(sealIdentity({ custodians: [pq.recipient, x.recipient], identity: ["Kari", "", ""] }), /mixed/);
});

test("a routing_changed re-seals the identity to the new custodians", async () => {
  const a = await keyPair(true);
  const b = await keyPair(true);
  const r1 = await routingAnswer();
  const r2 = await routingAnswer();
  r1.routing.custodians = [a.recipient];
  r2.routing.custodians = [b.recipient];
  const transport = fakeTransport({
    routings: [{ status: 200, text: JSON.stringify(r1.routing) }, { status: 200, text: JSON.stringify(r2.routing) }],
    sends: [problem(409, "routing_changed"), { status: 201, text: "{}" }],
  });
  const submission = new Submission({ fields: fields({ identity: ["Kari", "", ""] }) });
  assert.equal((await sendSubmission(submission, transport)).received, true);
  const [first, second] = transport.log.sent;
  assert.equal(JSON.parse(decoder.decode(await decryptWith([a.identity], base64.decode(first.envelope.identity)))).name, "Kari");
  assert.equal(JSON.parse(decoder.decode(await decryptWith([b.identity], base64.decode(second.envelope.identity)))).name, "Kari");
  await assert.rejects(decryptWith([a.identity], base64.decode(second.envelope.identity)));

  // Custodians of both kinds after the change: the plain way.
  r2.routing.custodians = [a.recipient, (await keyPair(false)).recipient];
  const mixed = fakeTransport({
    routings: [{ status: 200, text: JSON.stringify(r1.routing) }, { status: 200, text: JSON.stringify(r2.routing) }],
    sends: [problem(409, "routing_changed")],
  });
  const again = new Submission({ fields: fields({ identity: ["Kari", "", ""] }) });
  assert.deepEqual(await sendSubmission(again, mixed), { received: false, plain: "identity" });
  assert.equal(mixed.log.sent.length, 1);
});

test("attachment names are cut to the routing's max_short_field_chars, as the server cuts a plain upload's", async () => {
  const long = `${"\u{1F600}".repeat(3)}${"a".repeat(10)}.pdf`;
  const r = await routingAnswer("x25519");
  r.routing.limits = { ...r.routing.limits, max_short_field_chars: 5 };
  const submission = new Submission({ fields: fields({ place: "" }), files: [file(long, "application/pdf"), file("kort.txt")] });
  await submission.prepare(r.routing);
  const names = [];
  for (const n of submission.sealed.names) names.push(JSON.parse(decoder.decode(await decryptWith([submission.sealed.identity], n))).name);
  assert.deepEqual(names, ["\u{1F600}\u{1F600}\u{1F600}aa", "kort."]);
  // Another limit after a routing change: the names are sealed again.
  const before = submission.sealed;
  await submission.prepare({ ...r.routing, routing_id: "11".repeat(32), limits: { ...r.routing.limits, max_short_field_chars: 200 } });
  assert.notEqual(submission.sealed, before);
  const name = JSON.parse(decoder.decode(await decryptWith([submission.sealed.identity], submission.sealed.names[0]))).name;
  assert.equal(name, long);
  assert.equal(decoder.decode(attachmentNamePlaintext(file("abcdef"), 3)), '{"name":"abc","content_type":"application/octet-stream"}');
});

test("after a lost answer the same submission is sent again unchanged; already_received means it was stored", async () => {
  const r1 = await routingAnswer();
  const transport = fakeTransport({
    routings: [r1.answer, r1.answer],
    sends: [new NetworkError(), problem(409, "already_received")],
  });
  const submission = new Submission({ fields: fields() });
  await assert.rejects(sendSubmission(submission, transport), NetworkError);
  const result = await sendSubmission(submission, transport);
  assert.deepEqual(result, { received: true, acknowledgeBy: null });
  const [a, b] = transport.log.sent;
  assert.deepEqual(a.report, b.report);
  assert.deepEqual(a.envelope, b.envelope);
  assert.equal(a.headers["Idempotency-Key"], b.headers["Idempotency-Key"]);
});

test("a routing of another key kind seals the case again under the same code", async () => {
  const x = await routingAnswer("x25519");
  const pq = await routingAnswer("hybrid");
  const submission = new Submission({ fields: fields() });
  await submission.prepare(x.routing);
  const before = submission.sealed;
  const wraps = submission.wraps;
  await submission.prepare(x.routing);
  assert.equal(submission.sealed, before, "same kind: not sealed again");
  assert.equal(submission.wraps, wraps, "same routing: not wrapped again");
  await submission.prepare({ ...x.routing, routing_id: "99".repeat(32) });
  assert.equal(submission.sealed, before);
  assert.notEqual(submission.wraps, wraps, "another routing: wrapped again");
  await submission.prepare(pq.routing);
  assert.notEqual(submission.sealed, before);
  assert.match(submission.envelope().case_recipient, /^age1pq1/);
  submission.wipe();
  assert.throws(() => submission.code.canonical(), /wiped/);
});

// ---------------------------------------------------------------------------
// The source and the bundle

test("the script never logs, stores or navigates with secrets", () => {
  const words = ["console.", "localStorage", "sessionStorage", "indexedDB", "document.cookie", "innerHTML", "history.pushState"];
  for (const [name, more] of [["src/report.js", []], ["src/metadata.js", ["fetch", "XMLHttpRequest"]]]) {
    const source = readFileSync(join(packageDir, name), "utf8");
    for (const word of [...words, ...more]) assert.equal(source.includes(word), false, `${name}: ${word}`);
  }
});

test("the bundle builds with build.rs's esbuild command", () => {
  // The arguments of build.rs, into a temporary directory.
  const out = mkdtempSync(join(tmpdir(), "varsel-e2e-"));
  try {
    const bundle = join(out, "varsel-e2e.js");
    // build.rs installs with scripts off, leaving esbuild's JavaScript
    // launcher; an `npm ci` with scripts on puts the native binary in its
    // place. Either runs the same esbuild.
    const esbuild = join(packageDir, "node_modules/esbuild/bin/esbuild");
    const native = readFileSync(esbuild).subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    execFileSync(
      native ? esbuild : process.execPath,
      [
        ...(native ? [] : [esbuild]),
        "src/main.js",
        "--bundle",
        "--format=iife",
        "--minify",
        "--legal-comments=none",
        "--log-level=error",
        "--target=chrome111,edge111,firefox115,safari16.4",
        `--outfile=${bundle}`,
      ],
      { cwd: packageDir, stdio: "pipe" },
    );
    assert.deepEqual(readdirSync(out), ["varsel-e2e.js"]);
    const size = statSync(bundle).size;
    assert.ok(size > 10_000, `bundle of ${size} bytes`);
    const text = readFileSync(bundle, "utf8");
    assert.ok(text.includes("/api/v1/e2e/reports") && text.includes("e2e-receipt"));
    // The follow-up login and the case page are wired in too.
    assert.ok(text.includes("/followup/browser/session") && text.includes("sealed-case") && text.includes("varsel.case"));
    for (const forbidden of ["eval(", "new Function", "document.write", "://"]) {
      assert.equal(text.includes(forbidden), false, forbidden);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
