// report.js on a page: installReportForm on a small fake DOM (just what the
// script touches: a page shaped like templates/reporter/report.html with the
// elements of the DOM contract), over a fake transport; and the browser
// transport over fake fetch and XMLHttpRequest.

import { test } from "node:test";
import assert from "node:assert/strict";

import { base64 } from "@scure/base";
import { parseCaseCode } from "../src/casecode.js";
import { decryptWith, newCaseIdentity, recipientOf, unwrapIdentity } from "../src/seal.js";
import { browserTransport, installReportForm, NetworkError } from "../src/report.js";
import { builder, Document, Node, submit } from "./helpers.mjs";

// ---------------------------------------------------------------------------
// The page

const MSG = {
  "data-msg-encrypting": "Krypterer …",
  "data-msg-sending": "Sender …",
  "data-msg-network": "Ingen forbindelse. Prøv igjen.",
  "data-msg-error-title": "Det er et problem",
};

function page({ withTemplate = true, withIdentity = true, withRequestSubmit = true } = {}) {
  const doc = new Document();
  const h = builder(doc);
  const win = new Node(doc);
  win.location = { assigned: [], assign(url) { this.assigned.push(url); } };

  const langNav = h("nav", {}, h("ul", {}, h("li", {}, h("button", { type: "submit", form: "report-form", formaction: "/report?lang=en&rerender=1", lang: "en" }, "English"))));
  const files = [];
  const form = h(
    "form#report-form",
    { method: "post", action: "/report", enctype: "multipart/form-data", "data-pow": "submit" },
    h("input", { type: "hidden", name: "csrf", value: "t" }),
    h("fieldset#category", {}, h("input#category-avvik", { type: "radio", name: "category", value: "avvik", checked: true }), h("input#category-annet", { type: "radio", name: "category", value: "annet" })),
    h("select#subtype", { name: "subtype", value: "" }),
    h("fieldset#severity", {}, h("input#severity-lav", { type: "radio", name: "severity", value: "lav" }), h("input#severity-hoy", { type: "radio", name: "severity", value: "hoy", checked: true })),
    h("textarea#description", { name: "description", value: "Sjefen kaster giftig avfall i elva." }),
    h("input#when", { name: "when", value: "" }),
    h("input#place", { name: "place", value: "Elva" }),
    h("fieldset#exclude", {}, h("input#exclude-1", { type: "checkbox", name: "exclude", value: "7f1c0d4e-1111-4a2b-8c3d-000000000001", checked: true }), h("input#exclude-2", { type: "checkbox", name: "exclude", value: "7f1c0d4e-1111-4a2b-8c3d-000000000002" })),
    ...(withIdentity
      ? [h("fieldset#identity", {}, h("input#identity_name", { name: "identity_name" }), h("input#identity_contact", { name: "identity_contact" }), h("input#identity_role", { name: "identity_role" }))]
      : []),
    h("input#attachment", { type: "file", name: "attachment", files }),
    h("p#encryption-path", { "data-browser": "Rapporten krypteres i nettleseren din.", "data-fallback": "Rapporten krypteres på tjeneren." }, "Rapporten krypteres på tjeneren."),
    h("p#e2e-status", { role: "status", "aria-live": "polite", hidden: true, ...MSG }),
    h("button", { type: "submit" }, "Send"),
  );
  // The form sent again by the script, the plain way: `requestSubmit` fires
  // the submit event as a browser does (pow.js would add its proof); an
  // event nobody prevented is the plain post. `submit` posts without one.
  const posted = [];
  const submitted = [];
  if (withRequestSubmit) form.requestSubmit = () => posted.push(submit({ win, form }, null));
  form.submit = () => submitted.push(true);
  const main = h("main#main", {}, h("h1", {}, "Send en rapport"), h("p", {}, "Intro"), form);
  const body = h("body", {}, h("header", {}, langNav), main);
  if (withTemplate) {
    const template = h("template#e2e-receipt");
    template.content.append(
      h("h1", {}, "Rapporten er mottatt"),
      h("p", {}, "Koden din:"),
      h("p", { class: "code", "data-slot": "code" }),
      h("div", { class: "notice", "data-slot": "metadata-kept", hidden: true }, h("p", {}, "Disse filene har metadata:"), h("ul", {})),
      h("p", {}, "Svar innen ", h("strong", { "data-slot": "acknowledge-by" }), "."),
      h("button", { type: "button", "data-action": "done" }, "Jeg har skrevet ned koden"),
    );
    body.append(template);
  }
  doc.documentElement.append(body);
  return { doc, win, form, main, files, langNav, posted, submitted, $: (sel) => doc.querySelector(sel) };
}


function fakeTransport(script) {
  const log = { routing: [], sent: [], challenges: 0 };
  return {
    log,
    async routing(body) {
      log.routing.push(body);
      return script.routing();
    },
    async challenge() {
      log.challenges++;
      return { challenge: "c", difficulty: 2 };
    },
    async send(body, headers, onUpload) {
      onUpload(50, 100);
      const envelope = JSON.parse(await body.get("envelope").text());
      const report = new Uint8Array(await body.get("report").arrayBuffer());
      log.sent.push({ headers, envelope, report, parts: [...body.keys()] });
      return script.send();
    },
  };
}

/** A small JPEG with an EXIF segment, which the browser strips. */
const JPEG_WITH_EXIF = Uint8Array.of(
  0xff, 0xd8,
  0xff, 0xe1, 0x00, 0x0c, ...new TextEncoder().encode("Exif\0\0GPS!"),
  0xff, 0xda, 0x00, 0x08, 1, 1, 0, 0, 63, 0,
  0x12, 0x34,
  0xff, 0xd9,
);

async function keyPair(hybrid = true) {
  const identity = await newCaseIdentity({ hybrid });
  return { identity, recipient: await recipientOf(identity) };
}

const LIMITS = {
  max_attachments: 5,
  max_attachment_bytes: 1000000,
  max_identity_chars: [200, 300, 200],
  max_text_chars: 50000,
  max_short_field_chars: 200,
};

async function hybridRouting(holders = ["user:a"], { custodians = [], limits = {} } = {}) {
  const keys = {};
  for (const holder of holders) keys[holder] = await keyPair(true);
  return {
    keys,
    answer: {
      status: 200,
      text: JSON.stringify({
        routing_id: "ef".repeat(32),
        key_kind: "hybrid",
        recipients: holders.map((holder) => ({ holder, recipient: keys[holder].recipient })),
        custodians,
        limits: { ...LIMITS, ...limits },
      }),
    },
  };
}

/** Asserts that the script sent the form the plain way, saying so, and showed nothing. */
function assertSentPlainly(p, transport, sends = 0) {
  assert.equal(p.posted.length, 1, "the form was sent again");
  assert.equal(p.posted[0].defaultPrevented, false, "the plain post went ahead");
  assert.equal(p.posted[0].stopped, false, "pow.js gets the event");
  assert.equal(p.$("#encryption-path").textContent, "Rapporten krypteres på tjeneren.");
  assert.equal(p.$(".error-summary"), null, "no message of the API's");
  assert.equal(p.$("#e2e-status").hidden, true);
  assert.equal(p.form.querySelector("button").disabled, false);
  assert.ok(p.$("form#report-form"), "the form stays until the browser leaves the page");
  if (transport) assert.equal(transport.log.sent.length, sends);
  // From now on the form posts plainly.
  const again = submit(p);
  assert.equal(again.defaultPrevented, false);
}

// ---------------------------------------------------------------------------

test("without the form or the receipt template, the page is left alone", () => {
  const none = new Document();
  assert.equal(installReportForm(none, new Node(none), { transport: {} }), null);
  const p = page({ withTemplate: false });
  assert.equal(installReportForm(p.doc, p.win, { transport: {} }), null);
  const q = page();
  q.$("template#e2e-receipt").content.querySelector('[data-slot="code"]').remove();
  assert.equal(installReportForm(q.doc, q.win, { transport: {} }), null, "a receipt without a place for the code");
  assert.equal(p.form.hasAttribute("data-e2e"), false);
  assert.equal(p.$("#encryption-path").textContent, "Rapporten krypteres på tjeneren.");
  assert.deepEqual(p.win.listenersOf("submit"), []);
});

test("the form is marked and the page says the browser encrypts", () => {
  const p = page();
  assert.ok(installReportForm(p.doc, p.win, { transport: {} }));
  assert.equal(p.form.getAttribute("data-e2e"), "on");
  assert.equal(p.$("#encryption-path").textContent, "Rapporten krypteres i nettleseren din.");
  assert.equal(installReportForm(p.doc, p.win, { transport: {} }), null, "only once");
  assert.equal(p.win.listenersOf("submit").length, 1);
});

test("an identity is sealed in the browser to every custodian, the description with CRLF line breaks", async () => {
  const custodians = [await keyPair(), await keyPair()];
  const p = page();
  const routing = await hybridRouting(["user:a"], { custodians: custodians.map((c) => c.recipient) });
  const transport = fakeTransport({ routing: () => routing.answer, send: () => ({ status: 201, text: "{}" }) });
  const controller = installReportForm(p.doc, p.win, { transport });
  p.$("#identity_contact").value = " kari@example.org ";
  p.$("#identity_role").value = "\u00A0Lager ";
  p.$("#description").value = "Første linje\nAndre linje\n";
  p.files.push(new File([new Uint8Array(3)], "IMG_0001.JPG"));
  const event = submit(p);
  assert.equal(event.defaultPrevented, true, "encrypted in the browser");
  await controller.whenIdle();
  assert.equal(p.posted.length, 0, "not the plain way");
  assert.equal(p.$("form#report-form"), null, "the receipt replaced the form");
  const [{ envelope, report }] = transport.log.sent;
  for (const custodian of custodians) {
    const identity = JSON.parse(new TextDecoder().decode(await decryptWith([custodian.identity], base64.decode(envelope.identity))));
    assert.deepEqual(identity, { name: "", contact: "kari@example.org", role: "Lager" });
  }
  const code = parseCaseCode(p.$('[data-slot="code"]').textContent);
  const caseIdentity = await unwrapIdentity([code.reporterHybridIdentity()], base64.decode(envelope.wraps.reporter));
  const text = JSON.parse(new TextDecoder().decode(await decryptWith([caseIdentity], report)));
  assert.equal(text.description, "Første linje\r\nAndre linje", "as a plain post sends a textarea");
});

test("an identity without custodians, or with custodians of both kinds, sends the plain form", async () => {
  for (const custodians of [[], [(await keyPair(true)).recipient, (await keyPair(false)).recipient]]) {
    const p = page();
    const routing = await hybridRouting(["user:a"], { custodians });
    const transport = fakeTransport({ routing: () => routing.answer, send: () => ({ status: 201, text: "{}" }) });
    const controller = installReportForm(p.doc, p.win, { transport });
    p.$("#identity_name").value = "Kari";
    assert.equal(submit(p).defaultPrevented, true, "the routing decides");
    await controller.whenIdle();
    assertSentPlainly(p, transport);
  }
});

test("images are encrypted in the browser; a language button just posts", async () => {
  // Images are stripped in the browser: they are encrypted there too.
  for (const image of [new File([new Uint8Array(3)], "IMG_0001.JPG"), new File([new Uint8Array(3)], "skjerm", { type: "image/png" })]) {
    const p = page();
    const c = installReportForm(p.doc, p.win, { transport: fakeTransport({ routing: () => ({ status: 500, text: "" }) }) });
    p.files.push(image);
    const event = submit(p);
    assert.equal(event.defaultPrevented, true, image.name);
    assert.equal(p.$("#encryption-path").textContent, "Rapporten krypteres i nettleseren din.");
    await c.whenIdle();
  }
  const p = page();
  installReportForm(p.doc, p.win, { transport: fakeTransport({}) });
  const event = submit(p, p.langNav.querySelector("button"));
  assert.equal(event.defaultPrevented, false);
  assert.equal(event.stopped, false);
  assert.equal(p.$("#encryption-path").textContent, "Rapporten krypteres i nettleseren din.");
  // Whitespace in the identity fields is no identity.
  const q = page();
  const c = installReportForm(q.doc, q.win, { transport: fakeTransport({ routing: () => ({ status: 500, text: "" }) }) });
  q.$("#identity_name").value = "  \n ";
  assert.equal(submit(q).defaultPrevented, true);
  await c.whenIdle();
});

test("a submission is encrypted and sent, and the receipt replaces the form", async () => {
  const p = page();
  const routing = await hybridRouting(["user:a", "recovery"]);
  const transport = fakeTransport({
    routing: () => routing.answer,
    send: () => ({ status: 201, text: '{"acknowledge_by":"2026-12-04"}' }),
  });
  p.files.push(new File([new TextEncoder().encode("%PDF-1.7 …")], "referat <møte>.pdf", { type: "application/pdf" }));
  p.files.push(new File([JPEG_WITH_EXIF], "IMG_0001.JPG", { type: "image/jpeg" }));
  const controller = installReportForm(p.doc, p.win, { transport });
  const event = submit(p);
  assert.equal(event.defaultPrevented, true);
  assert.equal(event.stopped, true, "pow.js does not act");
  // While it works, the buttons (the header's language buttons too) are off.
  assert.equal(p.form.querySelector("button").disabled, true);
  assert.equal(p.langNav.querySelector("button").disabled, true);
  assert.equal(submit(p).defaultPrevented, true, "a second submit while busy is swallowed");
  await controller.whenIdle();

  // What was sent: the classification from the form, every part, the wraps.
  assert.deepEqual(transport.log.routing, [
    { category: "avvik", subtype: null, severity: "hoy", exclude: ["7f1c0d4e-1111-4a2b-8c3d-000000000001"] },
  ]);
  assert.equal(transport.log.sent.length, 1);
  const [{ envelope, parts, headers }] = transport.log.sent;
  assert.deepEqual(parts, ["envelope", "report", "attachment", "attachment"]);
  assert.deepEqual(Object.keys(envelope.wraps), ["user:a", "recovery", "reporter"]);
  assert.equal(headers["Varsel-Pow-Challenge"], "c");

  // The receipt: code, date, the file that kept its metadata (not the
  // image, stripped in the browser), title, focus.
  const codeText = p.$('[data-slot="code"]').textContent;
  assert.match(codeText, /^([0-9A-Z]{4}-){5}[0-9A-Z]{4}$/);
  const code = parseCaseCode(codeText);
  assert.equal(envelope.lookup_tag, code.lookupTag());
  const identity = await unwrapIdentity([routing.keys.recovery.identity], base64.decode(envelope.wraps.recovery));
  assert.equal(await unwrapIdentity([code.reporterHybridIdentity()], base64.decode(envelope.wraps.reporter)), identity);
  assert.equal(p.$('[data-slot="acknowledge-by"]').textContent, "04.12.2026");
  const kept = p.$('[data-slot="metadata-kept"]');
  assert.equal(kept.hidden, false);
  assert.deepEqual(kept.querySelectorAll("li").map((li) => li.textContent), ["referat <møte>.pdf"]);
  assert.equal(p.$("form#report-form"), null);
  assert.equal(p.main.querySelector("h1").textContent, "Rapporten er mottatt");
  assert.equal(p.doc.title, "Rapporten er mottatt – Varsel");
  assert.equal(p.doc.activeElement, p.main.querySelector("h1"));
  assert.equal(p.doc.activeElement.tabIndex, -1);
  assert.equal(p.langNav.parentNode, null, "the language buttons went with the form");

  // Leaving asks first; "done" stops asking, wipes the code and goes home.
  const [confirmLeave] = p.win.listenersOf("beforeunload");
  const leave = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; }, returnValue: undefined };
  confirmLeave(leave);
  assert.equal(leave.defaultPrevented, true);
  assert.equal(leave.returnValue, "");
  const done = p.$('[data-action="done"]');
  done.listenersOf("click")[0]({ preventDefault() {} });
  assert.deepEqual(p.win.listenersOf("beforeunload"), []);
  assert.deepEqual(p.win.location.assigned, ["/"]);
});

test("without files the metadata notice stays hidden", async () => {
  const p = page({ withIdentity: false });
  const routing = await hybridRouting();
  const transport = fakeTransport({ routing: () => routing.answer, send: () => ({ status: 201, text: '{"acknowledge_by":"2027-02-01"}' }) });
  const controller = installReportForm(p.doc, p.win, { transport });
  submit(p);
  await controller.whenIdle();
  assert.equal(p.$('[data-slot="metadata-kept"]').hidden, true);
  assert.equal(p.$('[data-slot="acknowledge-by"]').textContent, "01.02.2027");
  // Leaving the page by any way wipes the code and clears it from the page.
  p.win.listenersOf("pagehide")[0]({});
  assert.equal(p.$('[data-slot="code"]').textContent, "");
  assert.deepEqual(p.win.listenersOf("beforeunload"), []);
});

test("a refusal is shown in an error summary, the form kept; trying again works", async () => {
  const p = page();
  const routing = await hybridRouting();
  const answers = [
    { status: 413, text: JSON.stringify({ error: { code: "text_too_long", message: "Beskrivelsen er for lang.", field: "description" } }) },
    { status: 201, text: '{"acknowledge_by":"2026-12-04"}' },
  ];
  const transport = fakeTransport({ routing: () => routing.answer, send: () => answers.shift() });
  const controller = installReportForm(p.doc, p.win, { transport });
  submit(p);
  await controller.whenIdle();

  const summary = p.$(".error-summary");
  assert.ok(summary);
  assert.equal(summary.getAttribute("role"), "alert");
  assert.equal(summary.querySelector("h2#error-summary-title").textContent, "Det er et problem");
  const link = summary.querySelector("li a.error");
  assert.equal(link.textContent, "Beskrivelsen er for lang.");
  assert.equal(link.href, "#description");
  assert.equal(p.doc.activeElement, summary);
  assert.equal(p.main.childNodes.indexOf(summary) + 1, p.main.childNodes.indexOf(p.form), "just before the form");
  assert.equal(p.$("#description").value, "Sjefen kaster giftig avfall i elva.");
  assert.equal(p.form.querySelector("button").disabled, false);
  assert.equal(p.$("#e2e-status").hidden, true);

  // The same form again: the same submission, and the old summary goes.
  submit(p);
  await controller.whenIdle();
  assert.equal(p.$(".error-summary"), null);
  const [a, b] = transport.log.sent;
  assert.equal(a.headers["Idempotency-Key"], b.headers["Idempotency-Key"]);
  assert.equal(a.envelope.lookup_tag, b.envelope.lookup_tag);
  assert.match(p.$('[data-slot="code"]').textContent, /^[0-9A-Z-]{29}$/);
});

test("a changed form after a failure is a new submission, with a new code", async () => {
  const p = page();
  const routing = await hybridRouting();
  const transport = fakeTransport({ routing: () => routing.answer, send: () => ({ status: 429, text: '{"error":{"code":"too_many_requests","message":"Prøv senere."}}' }) });
  const controller = installReportForm(p.doc, p.win, { transport });
  submit(p);
  await controller.whenIdle();
  assert.equal(p.$(".error-summary li").textContent, "Prøv senere.");
  p.$("#description").value += " Igjen i dag.";
  submit(p);
  await controller.whenIdle();
  const [a, b] = transport.log.sent;
  assert.notEqual(a.headers["Idempotency-Key"], b.headers["Idempotency-Key"]);
  assert.notEqual(a.envelope.lookup_tag, b.envelope.lookup_tag);
});

test("no answer: the network message; the status shows progress while working", async () => {
  const p = page();
  const seen = [];
  const status = p.$("#e2e-status");
  const transport = {
    async routing() {
      seen.push([status.hidden, status.textContent]);
      throw new NetworkError();
    },
  };
  const controller = installReportForm(p.doc, p.win, { transport });
  submit(p);
  await controller.whenIdle();
  assert.deepEqual(seen, [[false, "Krypterer …"]]);
  assert.equal(p.$(".error-summary li").textContent, "Ingen forbindelse. Prøv igjen.");
  assert.equal(p.$(".error-summary li a"), null, "no field to link to");
  assert.equal(p.form.querySelector("button").disabled, false);
});

test("upload progress is shown as the sending message and a percentage", async () => {
  const p = page();
  const routing = await hybridRouting();
  const status = p.$("#e2e-status");
  let during = null;
  const transport = {
    routing: async () => routing.answer,
    challenge: async () => null,
    async send(body, headers, onUpload) {
      // Within a second of the last update, the next one waits its turn.
      onUpload(42, 100);
      during = [status.textContent];
      await new Promise((resolve) => setTimeout(resolve, 1100));
      during.push(status.textContent);
      return { status: 413, text: "<html>Request Entity Too Large</html>" };
    },
  };
  const controller = installReportForm(p.doc, p.win, { transport });
  submit(p);
  await controller.whenIdle();
  assert.deepEqual(during, ["Sender … 0 %", "Sender … 42 %"]);
  // An answer without a problem body: the generic (network) message.
  assert.equal(p.$(".error-summary li").textContent, "Ingen forbindelse. Prøv igjen.");
});

test("over a limit of the routing, the plain form is sent before anything is encrypted", async () => {
  const over = [
    ["a description too long", (p) => (p.$("#description").value = "x".repeat(21)), {}],
    // Twenty characters with LF, twenty-one with the CRLF the server counts.
    ["CRLF counted", (p) => (p.$("#description").value = `${"x".repeat(10)}\n${"y".repeat(9)}`), {}],
    ["a place too long", (p) => (p.$("#place").value = "Elva ved brua"), {}],
    ["too many files", (p) => p.files.push(...["a", "b", "c"].map((n) => new File(["1"], n))), {}],
    ["a file too large", (p) => p.files.push(new File([new Uint8Array(101)], "stor.bin")), {}],
    ["an empty file", (p) => p.files.push(new File([], "tom.txt")), {}],
    ["an identity too long", (p) => (p.$("#identity_role").value = "Lagerleder"), { custodians: ["age1pq1x"] }],
  ];
  for (const [what, fill, extra] of over) {
    const p = page();
    const routing = await hybridRouting(["user:a"], {
      ...extra,
      limits: { max_text_chars: 20, max_short_field_chars: 10, max_attachments: 2, max_attachment_bytes: 100, max_identity_chars: [5, 5, 5] },
    });
    const transport = fakeTransport({ routing: () => routing.answer, send: () => ({ status: 201, text: "{}" }) });
    const controller = installReportForm(p.doc, p.win, { transport });
    p.$("#description").value = "Kort.";
    fill(p);
    assert.equal(submit(p).defaultPrevented, true, what);
    await controller.whenIdle();
    assertSentPlainly(p, transport);
    assert.equal(p.$('[data-slot="code"]'), null, `${what}: no receipt`);
  }
});

test("a technical refusal or a server error sends the plain form instead of the API's message", async () => {
  const answers = [
    { status: 422, text: JSON.stringify({ error: { code: "invalid_ciphertext", message: "The part \"wraps\" is not an age file.", field: "wraps" } }) },
    { status: 400, text: JSON.stringify({ error: { code: "envelope_required", message: "The form needs a part named envelope." } }) },
    { status: 400, text: JSON.stringify({ error: { code: "report_required", message: "The form needs a part named report." } }) },
    { status: 500, text: '{"error":{"code":"internal","message":"Intern feil."}}' },
  ];
  for (const answer of answers) {
    const p = page();
    const routing = await hybridRouting();
    const transport = fakeTransport({ routing: () => routing.answer, send: () => answer });
    const controller = installReportForm(p.doc, p.win, { transport });
    submit(p);
    await controller.whenIdle();
    assertSentPlainly(p, transport, 1);
  }
  // A second routing_changed.
  const p = page();
  const routing = await hybridRouting();
  const changed = { status: 409, text: '{"error":{"code":"routing_changed","message":"Fetch them again."}}' };
  const transport = fakeTransport({ routing: () => routing.answer, send: () => changed });
  const controller = installReportForm(p.doc, p.win, { transport });
  submit(p);
  await controller.whenIdle();
  assertSentPlainly(p, transport, 2);
});

test("a gateway's 5xx on the send is a lost answer: the network message, the form kept, nothing sent plainly", async () => {
  for (const answer of [{ status: 500, text: "<html>oops</html>" }, { status: 503, text: '{"error":{"code":"unavailable","message":"Prøv senere."}}' }]) {
    const p = page();
    const routing = await hybridRouting();
    const transport = fakeTransport({ routing: () => routing.answer, send: () => answer });
    const controller = installReportForm(p.doc, p.win, { transport });
    submit(p);
    await controller.whenIdle();
    assert.equal(p.posted.length, 0, "not sent the plain way");
    assert.ok(p.$(".error-summary").textContent.includes("Ingen forbindelse. Prøv igjen."));
    assert.equal(transport.log.sent.length, 1);
    assert.ok(p.$("form#report-form"), "the form is kept for the retry");
  }
});

test("a routing the script cannot use, or a server error asking for it, sends the plain form", async () => {
  for (const answer of [{ status: 200, text: "not json" }, { status: 200, text: '{"routing_id":"00","key_kind":"rsa","recipients":[]}' }, { status: 502, text: "" }]) {
    const p = page();
    const transport = fakeTransport({ routing: () => answer });
    const controller = installReportForm(p.doc, p.win, { transport });
    submit(p);
    await controller.whenIdle();
    assertSentPlainly(p, transport);
  }
  // Without requestSubmit the form is submitted without the event.
  const p = page({ withRequestSubmit: false });
  const controller = installReportForm(p.doc, p.win, { transport: fakeTransport({ routing: () => ({ status: 500, text: "" }) }) });
  submit(p);
  await controller.whenIdle();
  assert.deepEqual(p.submitted, [true]);
  assert.equal(p.$("#encryption-path").textContent, "Rapporten krypteres på tjeneren.");
});

// ---------------------------------------------------------------------------
// The browser transport over fake fetch and XMLHttpRequest

test("the browser transport sends the language, JSON and the proof headers", async () => {
  const calls = [];
  const savedFetch = globalThis.fetch;
  const savedXhr = globalThis.XMLHttpRequest;
  globalThis.fetch = async (url, init = {}) => {
    calls.push({ url, init });
    if (url.startsWith("/api/v1/pow/challenge")) {
      return new Response('{"challenge":"v1.x.y","difficulty":3,"purpose":"submit","algorithm":"sha256-leading-zero-bits","expires_in_seconds":300}', { status: 200 });
    }
    return new Response('{"routing_id":"00"}', { status: 200 });
  };
  class FakeXhr {
    constructor() {
      this.headers = {};
      this.upload = {};
      FakeXhr.last = this;
    }
    open(method, url) {
      this.method = method;
      this.url = url;
    }
    setRequestHeader(k, v) {
      this.headers[k] = v;
    }
    send(body) {
      this.body = body;
      this.upload.onprogress({ lengthComputable: true, loaded: 5, total: 10 });
      if (FakeXhr.fail) {
        this.onerror();
      } else {
        this.status = 201;
        this.responseText = '{"acknowledge_by":"2026-01-01"}';
        this.onload();
      }
    }
  }
  globalThis.XMLHttpRequest = FakeXhr;
  try {
    const t = browserTransport("nn");
    assert.deepEqual(await t.routing({ category: "avvik" }), { status: 200, text: '{"routing_id":"00"}' });
    assert.equal(calls[0].url, "/api/v1/e2e/routing");
    assert.equal(calls[0].init.method, "POST");
    assert.equal(calls[0].init.headers["Accept-Language"], "nn");
    assert.equal(calls[0].init.headers["Content-Type"], "application/json");
    assert.equal(calls[0].init.body, '{"category":"avvik"}');

    const challenge = await t.challenge();
    assert.equal(calls[1].url, "/api/v1/pow/challenge?purpose=submit");
    assert.equal(challenge.challenge, "v1.x.y");
    assert.equal(challenge.difficulty, 3);

    const progress = [];
    const form = new FormData();
    const answer = await t.send(form, { "Idempotency-Key": "k".repeat(20), "Varsel-Pow-Solution": "7" }, (l, total) => progress.push([l, total]));
    assert.deepEqual(answer, { status: 201, text: '{"acknowledge_by":"2026-01-01"}' });
    const xhr = FakeXhr.last;
    assert.equal(xhr.method, "POST");
    assert.equal(xhr.url, "/api/v1/e2e/reports");
    assert.equal(xhr.body, form);
    assert.equal(xhr.headers["Accept-Language"], "nn");
    assert.equal(xhr.headers["Idempotency-Key"], "k".repeat(20));
    assert.equal(xhr.headers["Varsel-Pow-Solution"], "7");
    assert.deepEqual(progress, [[5, 10]]);

    FakeXhr.fail = true;
    await assert.rejects(t.send(form, {}, () => {}), NetworkError);

    globalThis.fetch = async () => {
      throw new TypeError("Failed to fetch");
    };
    await assert.rejects(t.routing({}), NetworkError);
    assert.equal(await t.challenge(), null, "no challenge: sent without a proof");
  } finally {
    globalThis.fetch = savedFetch;
    globalThis.XMLHttpRequest = savedXhr;
  }
});
