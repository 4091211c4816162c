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
  fingerprint,
  formatDate,
  isLanguageSubmitter,
  leadingZeroBits,
  needsPlainPath,
  newIdempotencyKey,
  percent,
  problemOf,
  reportPlaintext,
  routingRequest,
  sealCase,
  sendSubmission,
  solvePow,
  statusText,
  submissionBody,
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

test("identities go the plain way; files, images too, do not", () => {
  assert.equal(needsPlainPath({}), false);
  assert.equal(needsPlainPath({ identityTexts: ["", "  \n\t", ""] }), false);
  assert.equal(needsPlainPath({ identityTexts: ["", "", "leder"] }), true);
  assert.equal(needsPlainPath({ identityTexts: [" Kari "] }), true);
  // The browser strips images itself (sealCase): whatever is chosen, the
  // files are no reason for the plain way.
  const files = [file("rapport.pdf", "application/pdf"), file("BILDE.JPG", "image/jpeg"), file("skjerm.png", "image/png"), file("y.webp")];
  assert.equal(needsPlainPath({ files }), false);
  assert.equal(needsPlainPath({ identityTexts: ["", ""], files }), false);
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
  assert.match(sealed.caseRecipient, /^age1[^p]/);
  assert.deepEqual(sealed.attachments, []);
  const wraps = await wrapCase({ routing, identity: sealed.identity, code });
  assert.equal(await unwrapIdentity([code.reporterIdentity()], wraps.reporter), sealed.identity);
  assert.equal(await unwrapIdentity([handler.identity], wraps["user:a"]), sealed.identity);
});

test("a routing of the wrong kind, or naming a holder twice or the reporter, is refused", async () => {
  const pq = await keyPair(true);
  const x = await keyPair(false);
  const code = generateCaseCode();
  const { identity } = await keyPair(true);
  const wrap = (key_kind, recipients) => wrapCase({ routing: { routing_id: "0", key_kind, recipients }, identity, code });
  await assert.rejects(wrap("hybrid", [{ holder: "user:a", recipient: x.recipient }]), /key kind/);
  await assert.rejects(wrap("x25519", [{ holder: "user:a", recipient: pq.recipient }]), /key kind/);
  await assert.rejects(wrap("rsa", [{ holder: "user:a", recipient: pq.recipient }]), /key kind/);
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

test("a second routing_changed, or any other refusal, is shown and stops", async () => {
  const r1 = await routingAnswer();
  const r2 = await routingAnswer();
  const twice = fakeTransport({ routings: [r1.answer, r2.answer], sends: [problem(409, "routing_changed"), problem(409, "routing_changed", "Endret igjen.")] });
  assert.deepEqual(await sendSubmission(new Submission({ fields: fields() }), twice), {
    received: false,
    status: 409,
    problem: { code: "routing_changed", message: "Endret igjen.", field: null },
  });
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
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
