// case.js: the case page of a session without a key, on a fake DOM shaped
// like templates/reporter/case.html with the sealed parts of the contract
// (real age files to a real case identity): decrypted in place, saved
// attachments, sealed replies over a fake transport (their bodies opened
// again with the case identity), the fallbacks, and logout; and the
// browser transport over a fake fetch.

import { test } from "node:test";
import assert from "node:assert/strict";

import { base64 } from "@scure/base";
import {
  browserCaseTransport,
  caseIdentity,
  installCasePage,
  replyAnswer,
  replyPlainReason,
  replyText,
  samePath,
} from "../src/case.js";
import { CASE_KEY } from "../src/followup.js";
import { NetworkError } from "../src/report.js";
import { decryptWith, encryptTo, newCaseIdentity, recipientOf } from "../src/seal.js";
import { bodyBytes, builder, contains, Document, FakeStorage, fakeWindow, submit } from "./helpers.mjs";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const MSGS = {
  no_key: "Logg inn med koden for å lese saken.",
  failed: "Kunne ikke dekryptere.",
  decrypting: "Dekrypterer …",
  may_have_arrived: "Svaret kan ha kommet fram. Last siden før du sender igjen.",
};

const MARKER = "HEMMELIG-MARKØR-7731";

/** A small JPEG with an EXIF segment, which the browser strips. */
const JPEG_WITH_EXIF = Uint8Array.of(
  0xff, 0xd8,
  0xff, 0xe1, 0x00, 0x0c, ...encoder.encode("Exif\0\0GPS!"),
  0xff, 0xda, 0x00, 0x08, 1, 1, 0, 0, 63, 0,
  0x12, 0x34,
  0xff, 0xd9,
);

async function keyPair(hybrid = true) {
  const identity = await newCaseIdentity({ hybrid });
  return { identity, recipient: await recipientOf(identity) };
}

async function sealed(recipient, value) {
  const bytes = typeof value === "string" ? encoder.encode(value) : value;
  return base64.encode(await encryptTo([recipient], bytes));
}

/**
 * A case page as the server renders it for a session without a key: the
 * report, two messages, one attachment, the reply form and logout.
 * `parts` replaces any sealed value.
 */
async function page(key, { storage = new FakeStorage(), report, texts, names, withReply = true, limits = {}, withRequestSubmit = true } = {}) {
  const doc = new Document("Saken din – Varsel");
  const h = builder(doc);
  const win = fakeWindow(doc, { storage });
  const r = key.recipient;
  const reportB64 = report ?? (await sealed(r, JSON.stringify({ description: `Første linje\r\nAndre ${MARKER}`, when: "I går", place: null })));
  const textB64 = texts ?? [await sealed(r, "Takk for rapporten."), await sealed(r, "Her er mer.\r\nLinje to.")];
  const nameB64 = names ?? [await sealed(r, JSON.stringify({ name: "referat <møte>.pdf", content_type: "application/pdf" }))];
  const langNav = h("nav", {}, h("ul", {}, h("li", {}, h("button", { type: "submit", form: "reply-form", formaction: "/case/reply?lang=en&rerender=1", lang: "en" }, "English"))));
  const files = [];
  const form = withReply
    ? h(
        "form#reply-form",
        {
          method: "post",
          action: "/case/reply",
          enctype: "multipart/form-data",
          "data-sealed-action": "/case/reply/sealed",
          "data-max-text-chars": String(limits.text ?? 50000),
          "data-max-attachment-bytes": String(limits.bytes ?? 1000000),
          "data-max-attachments": String(limits.files ?? 5),
          "data-max-name-chars": String(limits.name ?? 200),
        },
        h("input", { type: "hidden", name: "csrf", value: "csrf-token" }),
        h("label", { for: "message" }, "Melding"),
        h("span#message-hint", { class: "hint" }, "Skriv"),
        h("textarea#message", { name: "message", value: "", "aria-describedby": "message-hint" }),
        h("label", { for: "attachment" }, "Vedlegg"),
        h("span#attachment-hint", { class: "hint" }, "Inntil 5"),
        h("p#attachment-warning", { class: "notice" }, "Metadata"),
        h("input#attachment", { type: "file", name: "attachment", files, "aria-describedby": "attachment-hint attachment-warning" }),
        h("button", { type: "submit" }, "Send svar"),
      )
    : null;
  const placeholder = MSGS.decrypting;
  const root = h(
    "div#sealed-case",
    { "data-case-recipient": r, "data-msgs": JSON.stringify(MSGS) },
    h("p#sealed-no-key", { class: "notice", hidden: true }, "Logg inn igjen"),
    h(
      "section",
      {},
      h(
        "dl",
        {},
        h("dt", {}, "Kategori"),
        h("dd", {}, "Avvik"),
        h("dt", { hidden: true }, "Når"),
        h("dd", { "data-report-field": "when", hidden: true }),
        h("dt", { hidden: true }, "Sted"),
        h("dd", { "data-report-field": "place", hidden: true }),
      ),
      h("p#report-description", { class: "body", "data-sealed-report": reportB64 }, placeholder),
    ),
    h("ol", { class: "thread" }, ...textB64.map((b64) => h("li", {}, h("p", { class: "body", "data-sealed-text": b64 }, placeholder)))),
    h("ul", {}, ...nameB64.map((b64, i) => h("li", {}, h("a", { href: `/case/attachments/id-${i}`, download: "", "data-sealed-name": b64 }, placeholder)))),
    ...(form ? [form] : []),
  );
  const logout = h("form", { method: "post", action: "/case/logout" }, h("input", { type: "hidden", name: "csrf", value: "csrf-token" }), h("button", { type: "submit" }, "Logg ut"));
  doc.documentElement.append(h("body", {}, h("header", {}, langNav), h("main#main", {}, h("h1", {}, "Saken din"), root, logout)));
  const posted = [];
  const submitted = [];
  if (form) {
    if (withRequestSubmit) form.requestSubmit = () => posted.push(submit({ win, form }, null));
    form.submit = () => submitted.push(true);
  }
  return { doc, win, form, files, logout, langNav, posted, submitted, storage, $: (sel) => doc.querySelector(sel), $$: (sel) => doc.querySelectorAll(sel) };
}

function keep(storage, key) {
  storage.setItem(CASE_KEY, JSON.stringify({ recipient: key.recipient, identity: key.identity }));
  return storage;
}

/** A transport answering as `script` says (its members may be replaced between sends). */
function fakeTransport({ reply = () => ({ status: 200, text: '{"location":"/case"}' }), attachment } = {}) {
  const log = { replies: [], attachments: [] };
  const script = { reply, attachment };
  return {
    log,
    script,
    async reply(action, body) {
      log.replies.push({ action, body, parts: [...body.keys()] });
      return script.reply();
    },
    async attachment(href) {
      log.attachments.push(href);
      return script.attachment(href);
    },
  };
}

const part = async (value) => (typeof value === "string" ? encoder.encode(value) : new Uint8Array(await value.arrayBuffer()));

// ---------------------------------------------------------------------------
// Decrypted in place

test("the report, the messages and the attachments' names are decrypted in place, as text", async () => {
  for (const hybrid of [true, false]) {
    const key = await keyPair(hybrid);
    const p = await page(key, { storage: keep(new FakeStorage(), key) });
    const controller = installCasePage(p.doc, p.win, { transport: fakeTransport() });
    await controller.decrypted;
    assert.equal(p.$("#report-description").textContent, `Første linje\r\nAndre ${MARKER}`);
    const when = p.$('[data-report-field="when"]');
    assert.equal(when.textContent, "I går");
    assert.equal(when.hidden, false);
    assert.equal(when.previousElementSibling.hidden, false, "its dt");
    const place = p.$('[data-report-field="place"]');
    assert.equal(place.hidden, true, "no place given");
    assert.equal(place.previousElementSibling.hidden, true);
    assert.deepEqual(p.$$("[data-sealed-text]").map((el) => el.textContent), ["Takk for rapporten.", "Her er mer.\r\nLinje to."]);
    assert.equal(p.$("a[data-sealed-name]").textContent, "referat <møte>.pdf", "markup stays text");
    assert.equal(p.$("a[data-sealed-name]").childNodes.length, 1);
    assert.equal(p.$("#sealed-no-key").hidden, true);
  }
});

test("a part that does not decrypt says so in its place; the rest is decrypted", async () => {
  const key = await keyPair();
  const stranger = await keyPair();
  const p = await page(key, {
    storage: keep(new FakeStorage(), key),
    report: await sealed(key.recipient, "not JSON"),
    texts: [await sealed(stranger.recipient, "Ikke din."), "not base64!", await sealed(key.recipient, Uint8Array.of(0xff, 0xfe)), await sealed(key.recipient, "God.")],
    names: [await sealed(stranger.recipient, '{"name":"x","content_type":"y"}')],
  });
  const controller = installCasePage(p.doc, p.win, { transport: fakeTransport() });
  await controller.decrypted;
  assert.equal(p.$("#report-description").textContent, MSGS.failed);
  assert.equal(p.$('[data-report-field="when"]').hidden, true);
  assert.deepEqual(p.$$("[data-sealed-text]").map((el) => el.textContent), [MSGS.failed, MSGS.failed, MSGS.failed, "God."]);
  assert.equal(p.$("a[data-sealed-name]").textContent, MSGS.failed);
});

test("without the key, or with another case's, the page says so and decrypts nothing", async () => {
  const key = await keyPair();
  const other = await keyPair();
  for (const storage of [new FakeStorage(), keep(new FakeStorage(), other), new FakeStorage({ broken: true })]) {
    const p = await page(key, { storage });
    const controller = installCasePage(p.doc, p.win, { transport: fakeTransport() });
    await controller.decrypted;
    assert.equal(p.$("#sealed-no-key").hidden, false);
    assert.equal(p.$("#report-description").textContent, MSGS.no_key);
    assert.deepEqual(p.$$("[data-sealed-text]").map((el) => el.textContent), [MSGS.no_key, MSGS.no_key]);
    assert.equal(p.$("a[data-sealed-name]").textContent, MSGS.no_key);
    assert.equal(p.$('[data-report-field="when"]').hidden, true);
    if (!storage.broken) assert.equal(storage.getItem(CASE_KEY), null, "another case's key is forgotten");
  }
  assert.equal(caseIdentity(keep(new FakeStorage(), key), key.recipient), key.identity);
  const junk = new FakeStorage();
  junk.setItem(CASE_KEY, "{not json");
  assert.equal(caseIdentity(junk, key.recipient), null);
  junk.setItem(CASE_KEY, JSON.stringify({ recipient: key.recipient, identity: "nope" }));
  assert.equal(caseIdentity(junk, key.recipient), null);
});

test("an attachment is fetched, decrypted and saved under its name and type", async () => {
  const key = await keyPair();
  const content = encoder.encode(`%PDF-1.7 ${MARKER}`);
  const file = await encryptTo([key.recipient], content);
  const p = await page(key, { storage: keep(new FakeStorage(), key) });
  const transport = fakeTransport({ attachment: () => ({ status: 200, bytes: file }) });
  const controller = installCasePage(p.doc, p.win, { transport });
  await controller.decrypted;
  const link = p.$("a[data-sealed-name]");
  const click = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
  for (const fn of link.listenersOf("click")) fn(click);
  assert.equal(click.defaultPrevented, true, "not the browser's download of the age file");
  await controller.whenIdle();
  assert.deepEqual(transport.log.attachments, ["/case/attachments/id-0"]);
  assert.equal(p.doc.clicked.length, 1);
  const [{ element: save, attached }] = p.doc.clicked;
  assert.equal(attached, true, "clicked while in the document");
  assert.equal(save.tagName, "A");
  assert.equal(save.getAttribute("download"), "referat <møte>.pdf");
  const blob = p.win.urls.made.get(save.href);
  assert.ok(blob, "an object URL of the plaintext");
  assert.equal(blob.type, "application/pdf");
  assert.deepEqual(new Uint8Array(await blob.arrayBuffer()), content);
  assert.equal(save.parentNode, null, "the temporary link is gone");
  assert.deepEqual(p.win.urls.revoked, [save.href]);
  assert.equal(link.textContent, "referat <møte>.pdf");

  // A file that does not decrypt, or does not come: the link says so.
  for (const answer of [{ status: 200, bytes: await encryptTo([(await keyPair()).recipient], content) }, { status: 404, bytes: null }, null]) {
    const q = await page(key, { storage: keep(new FakeStorage(), key) });
    const c = installCasePage(q.doc, q.win, {
      transport: fakeTransport({
        attachment: () => {
          if (!answer) throw new NetworkError();
          return answer;
        },
      }),
    });
    await c.decrypted;
    const l = q.$("a[data-sealed-name]");
    for (const fn of l.listenersOf("click")) fn({ preventDefault() {} });
    await c.whenIdle();
    assert.equal(l.textContent, MSGS.failed);
    assert.equal(q.doc.clicked.length, 0);
  }
});

// ---------------------------------------------------------------------------
// Replies

test("a reply is encrypted to the case recipient: message, files and names; no plaintext in the body", async () => {
  const key = await keyPair();
  // The key need not be in the tab: a reply needs only the recipient.
  const p = await page(key, { limits: { name: 12 } });
  const transport = fakeTransport();
  const controller = installCasePage(p.doc, p.win, { transport });
  await controller.decrypted;
  p.$("#message").value = `  Hei,\n${MARKER}\rslutt\u200B \n`;
  p.files.push(new File([encoder.encode(`notat ${MARKER}`)], "et veldig langt filnavn.txt", { type: "text/plain" }));
  p.files.push(new File([JPEG_WITH_EXIF], "IMG_0001.JPG", { type: "image/jpeg" }));
  const event = submit(p);
  assert.equal(event.defaultPrevented, true);
  assert.equal(event.stopped, true);
  assert.equal(p.form.querySelector("button").disabled, true);
  assert.equal(p.langNav.querySelector("button").disabled, true);
  assert.equal(submit(p).defaultPrevented, true, "a second submit while busy is swallowed");
  await controller.whenIdle();

  assert.equal(transport.log.replies.length, 1);
  const [{ action, body, parts }] = transport.log.replies;
  assert.equal(action, "/case/reply/sealed");
  assert.deepEqual(parts, ["csrf", "envelope", "message", "attachment", "attachment"]);
  assert.equal(body.get("csrf"), "csrf-token");
  assert.equal(typeof body.get("envelope"), "string", "a text part");
  const bytes = await bodyBytes(body);
  for (const secret of [MARKER, "Hei,", "et veldig", "IMG_0001", "GPS!", "notat"]) {
    assert.equal(contains(bytes, secret), false, `${secret} is not in the body`);
  }

  const open = async (value) => decryptWith([key.identity], await part(value));
  assert.equal(decoder.decode(await open(body.get("message"))), `Hei,\r\n${MARKER}\r\nslutt`, "CRLF, trimmed as the server trims");
  const envelope = JSON.parse(body.get("envelope"));
  assert.deepEqual(Object.keys(envelope), ["attachment_names"]);
  const names = [];
  for (const b64 of envelope.attachment_names) names.push(JSON.parse(decoder.decode(await decryptWith([key.identity], base64.decode(b64)))));
  assert.deepEqual(names, [
    { name: "et veldig la", content_type: "text/plain" },
    { name: "IMG_0001.JPG", content_type: "image/jpeg" },
  ]);
  const [text, image] = body.getAll("attachment");
  assert.equal(text.name, "blob", "never the file's name");
  assert.equal(decoder.decode(await open(text)), `notat ${MARKER}`);
  const stripped = await open(image);
  assert.deepEqual([...stripped.subarray(0, 2)], [0xff, 0xd8]);
  assert.equal(contains(stripped, "GPS!"), false, "the image's metadata was stripped first");

  assert.deepEqual(p.win.location.assigned, ["/case"]);
  assert.equal(p.posted.length, 0);
});

test("files without a message leave the message part out; the answer's location must be a path here", async () => {
  const key = await keyPair();
  const p = await page(key);
  const transport = fakeTransport({ reply: () => ({ status: 200, text: '{"location":"//evil.example/"}' }) });
  const controller = installCasePage(p.doc, p.win, { transport });
  p.$("#message").value = " \n\u00A0";
  p.files.push(new File(["1"], "a.txt"));
  assert.equal(submit(p).defaultPrevented, true);
  await controller.whenIdle();
  assert.deepEqual(transport.log.replies[0].parts, ["csrf", "envelope", "attachment"]);
  assert.deepEqual(p.win.location.assigned, ["/case"]);
  assert.equal(samePath("/case#metadata-kept"), "/case#metadata-kept");
  assert.equal(samePath("/\\evil"), "/case");
  assert.equal(samePath(null), "/case");
});

test("nothing to send, or over a limit: the plain post, at once", async () => {
  const key = await keyPair();
  const cases = [
    ["nothing", () => {}],
    ["only white space", (p) => (p.$("#message").value = " \r\n\u200B ")],
    ["a message too long (CRLF counted)", (p) => (p.$("#message").value = `${"x".repeat(10)}\n${"y".repeat(9)}`)],
    ["too many files", (p) => p.files.push(new File(["1"], "a"), new File(["2"], "b"), new File(["3"], "c"))],
    ["a file too large", (p) => p.files.push(new File([new Uint8Array(101)], "stor.bin"))],
    ["an empty file", (p) => p.files.push(new File([], "tom.txt"))],
  ];
  for (const [what, fill] of cases) {
    const p = await page(key, { limits: { text: 20, files: 2, bytes: 100 } });
    const transport = fakeTransport();
    installCasePage(p.doc, p.win, { transport });
    fill(p);
    const event = submit(p);
    assert.equal(event.defaultPrevented, false, what);
    assert.equal(event.stopped, false, what);
    assert.equal(transport.log.replies.length, 0);
  }
  assert.equal(replyPlainReason({ text: "x".repeat(20), files: [] }, { maxTextChars: 20 }), null);
  assert.equal(replyPlainReason({ text: "", files: [new File(["1"], "a")] }, {}), null);
  assert.equal(replyText("\u00A0a\nb\r\n\u2060"), "a\r\nb");
});

test("a refusal the reporter can act on is shown at its field", async () => {
  const key = await keyPair();
  const answers = [
    [{ status: 413, text: JSON.stringify({ error: "too_long", field: "message", message: "Meldingen er for lang." }) }, "message"],
    [{ status: 413, text: JSON.stringify({ error: "too_large", field: "attachment", message: "Filen er for stor." }) }, "attachment"],
    [{ status: 400, text: JSON.stringify({ error: "too_many_attachments", field: "attachment", message: "For mange filer." }) }, "attachment"],
    [{ status: 403, text: JSON.stringify({ error: "form_expired", field: "message", message: "Skjemaet er utløpt." }) }, "message"],
    [{ status: 429, text: JSON.stringify({ error: "too_many_requests", message: "Vent litt." }) }, "message"],
  ];
  for (const [answer, field] of answers) {
    const p = await page(key);
    const transport = fakeTransport({ reply: () => answer });
    const controller = installCasePage(p.doc, p.win, { transport });
    p.$("#message").value = "Svar";
    submit(p);
    await controller.whenIdle();
    const { message } = JSON.parse(answer.text);
    const input = p.$(`#${field}`);
    const span = p.$(`#${field}-error`);
    assert.equal(span.textContent, message);
    assert.equal(span.className, "error");
    assert.equal(p.form.childNodes.indexOf(span) + 1, p.form.childNodes.indexOf(input), "just before its field");
    assert.equal(input.getAttribute("aria-invalid"), "true");
    assert.ok(input.getAttribute("aria-describedby").split(" ").includes(`${field}-error`));
    assert.equal(p.doc.activeElement, input);
    assert.equal(p.form.querySelector("button").disabled, false);
    assert.equal(p.posted.length, 0);
    assert.equal(p.$("#message").value, "Svar", "kept");
    // Sent again and stored: the error goes.
    transport.script.reply = () => ({ status: 200, text: '{"location":"/case"}' });
    submit(p);
    await controller.whenIdle();
    assert.equal(p.$(`#${field}-error`), null);
    assert.equal(input.hasAttribute("aria-invalid"), false);
  }
});

test("invalid_ciphertext, session_ended or an unreadable refusal posts the form the plain way", async () => {
  const key = await keyPair();
  const answers = [
    { status: 422, text: JSON.stringify({ error: "invalid_ciphertext", field: "message", message: "Not an age file." }) },
    { status: 401, text: JSON.stringify({ error: "session_ended", message: "Logg inn igjen." }) },
    { status: 400, text: JSON.stringify({ error: "malformed_multipart", message: "Bad." }) },
    { status: 413, text: "<html>Request Entity Too Large</html>" },
  ];
  for (const answer of answers) {
    const p = await page(key);
    const transport = fakeTransport({ reply: () => answer });
    const controller = installCasePage(p.doc, p.win, { transport });
    p.$("#message").value = "Svar";
    assert.equal(submit(p).defaultPrevented, true);
    await controller.whenIdle();
    assert.equal(p.posted.length, 1, answer.text);
    assert.equal(p.posted[0].defaultPrevented, false, "the plain post went ahead");
    assert.equal(p.$("#message").value, "Svar", "the reply goes with it");
    assert.equal(p.$("#reply-notice"), null);
    assert.equal(p.form.querySelector("button").disabled, false);
    assert.equal(submit(p).defaultPrevented, false, "plain from now on");
  }
});

test("no answer or a server error: the reply may have arrived, and is not sent again by the script", async () => {
  const key = await keyPair();
  for (const reply of [() => { throw new NetworkError(); }, () => ({ status: 500, text: '{"error":"internal"}' }), () => ({ status: 504, text: "" })]) {
    const p = await page(key);
    const transport = fakeTransport({ reply });
    const controller = installCasePage(p.doc, p.win, { transport });
    p.$("#message").value = "Svar";
    submit(p);
    await controller.whenIdle();
    assert.equal(transport.log.replies.length, 1, "sent once");
    assert.equal(p.posted.length, 0, "not the plain way");
    const notice = p.$("#reply-notice");
    assert.equal(notice.textContent, MSGS.may_have_arrived);
    assert.equal(notice.getAttribute("role"), "alert");
    assert.equal(p.doc.activeElement, notice);
    assert.equal(p.form.querySelector("button").disabled, false);
    assert.equal(p.$("#message").value, "Svar", "kept for the reporter to decide");
    // The reporter may send it again themselves: encrypted again.
    transport.script.reply = () => ({ status: 200, text: '{"location":"/case"}' });
    submit(p);
    await controller.whenIdle();
    assert.equal(transport.log.replies.length, 2);
    assert.equal(p.$("#reply-notice"), null);
  }
});

test("a language button posts without the reply, kept in the tab; a page without the sealed form or recipient leaves the reply alone", async () => {
  const key = await keyPair();
  const p = await page(key);
  const transport = fakeTransport();
  installCasePage(p.doc, p.win, { transport });
  p.$("#message").value = "Svar";
  const event = submit(p, p.langNav.querySelector("button"));
  assert.equal(event.defaultPrevented, false);
  assert.equal(transport.log.replies.length, 0);
  // The reply waits in the tab, not in the post, and is back on the next page.
  assert.equal(p.$("#message").value, "", "the reply is not sent to be shown again");
  assert.equal(JSON.parse(p.win.sessionStorage.getItem("varsel.reply-draft")).text, "Svar");
  const again = await page(key, { storage: p.win.sessionStorage });
  installCasePage(again.doc, again.win, { transport });
  assert.equal(again.$("#message").value, "Svar");
  assert.equal(again.win.sessionStorage.getItem("varsel.reply-draft"), null, "restored once");

  const q = await page(key);
  q.form.removeAttribute("data-sealed-action");
  installCasePage(q.doc, q.win, { transport });
  q.$("#message").value = "Svar";
  assert.equal(submit(q).defaultPrevented, false);

  const none = new Document();
  assert.equal(installCasePage(none, fakeWindow(none), { transport }), null);
});

// ---------------------------------------------------------------------------
// Logout

test("logout forgets the case key and still posts", async () => {
  const key = await keyPair();
  const p = await page(key, { storage: keep(new FakeStorage(), key) });
  const controller = installCasePage(p.doc, p.win, { transport: fakeTransport() });
  await controller.decrypted;
  const event = submit({ win: p.win, form: p.logout });
  assert.equal(event.defaultPrevented, false);
  assert.equal(p.storage.getItem(CASE_KEY), null);

  // On a page with only the logout form (a session holding its key) too.
  const doc = new Document();
  const h = builder(doc);
  const storage = keep(new FakeStorage(), key);
  const win = fakeWindow(doc, { storage });
  const form = h("form", { method: "post", action: "/case/logout" }, h("button", { type: "submit" }, "Logg ut"));
  doc.documentElement.append(h("body", {}, form));
  assert.ok(installCasePage(doc, win, {}));
  submit({ win, form });
  assert.equal(storage.getItem(CASE_KEY), null);
});

// ---------------------------------------------------------------------------
// Helpers and the browser transport

test("the reply's answers are read in either shape", () => {
  assert.deepEqual(replyAnswer('{"error":"too_long","field":"message","message":"For lang."}'), { code: "too_long", field: "message", message: "For lang.", location: null });
  assert.deepEqual(replyAnswer('{"error":{"code":"too_large","field":"attachment","message":"Stor."}}'), { code: "too_large", field: "attachment", message: "Stor.", location: null });
  assert.deepEqual(replyAnswer('{"location":"/case"}'), { code: null, field: null, message: null, location: "/case" });
  assert.deepEqual(replyAnswer("<html>"), { code: null, field: null, message: null, location: null });
});

test("the browser transport posts the reply and fetches attachments same-origin", async () => {
  const calls = [];
  const saved = globalThis.fetch;
  globalThis.fetch = async (url, init = {}) => {
    calls.push({ url, init });
    if (url === "/case/reply/sealed") return new Response('{"location":"/case"}', { status: 200 });
    if (url === "/case/attachments/a") return new Response(Uint8Array.of(1, 2, 3), { status: 200 });
    return new Response("", { status: 404 });
  };
  try {
    const t = browserCaseTransport("en");
    const body = new FormData();
    assert.deepEqual(await t.reply("/case/reply/sealed", body), { status: 200, text: '{"location":"/case"}' });
    assert.equal(calls[0].init.method, "POST");
    assert.equal(calls[0].init.body, body);
    assert.equal(calls[0].init.credentials, "same-origin");
    assert.equal(calls[0].init.headers["Accept-Language"], "en");
    assert.deepEqual(await t.attachment("/case/attachments/a"), { status: 200, bytes: Uint8Array.of(1, 2, 3) });
    assert.equal(calls[1].init.credentials, "same-origin");
    assert.deepEqual(await t.attachment("/case/attachments/b"), { status: 404, bytes: null });
    globalThis.fetch = async () => {
      throw new TypeError("Failed to fetch");
    };
    await assert.rejects(t.reply("/case/reply/sealed", body), NetworkError);
    await assert.rejects(t.attachment("/case/attachments/a"), NetworkError);
  } finally {
    globalThis.fetch = saved;
  }
});
