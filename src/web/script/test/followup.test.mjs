// followup.js: the code login in the browser, on a fake DOM shaped like
// templates/reporter/followup.html, over a fake transport that answers as
// the server would with real age files (a case identity wrapped to the
// reporter's code-derived key, a login challenge to the case key); and the
// browser transport over a fake fetch.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { base64 } from "@scure/base";
import { generateCaseCode, parseCaseCode } from "../src/casecode.js";
import {
  browserFollowupTransport,
  CASE_KEY,
  codeErrorMessage,
  installFollowupForm,
  openCase,
  refusalOf,
} from "../src/followup.js";
import { NetworkError } from "../src/report.js";
import { encryptTo, newCaseIdentity, recipientOf, wrapIdentity } from "../src/seal.js";
import { builder, Document, FakeStorage, fakeWindow, submit } from "./helpers.mjs";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const encoder = new TextEncoder();

const MSGS = {
  typo: "Koden har en skrivefeil.",
  length: "Koden har {count} tegn, du skrev {found}.",
  character: "Tegn {position} kan ikke være i en kode.",
  not_found: "Vi fant ingen sak med den koden.",
  pow_refused: "Prøv igjen.",
  form_expired: "Skjemaet er utløpt. Last siden på nytt.",
  too_many: "For mange forsøk. Vent litt.",
  working: "Åpner saken …",
};

const PROOF = "varsel.e2e.login.v1 0b7c2c4e-1111-4a2b-8c3d-000000000001 1767225600 q83vEjRWeJA";

function page({ variant = "login", withRequestSubmit = true, storage = new FakeStorage(), msgs = MSGS, withError = false, noSession = false } = {}) {
  const doc = new Document("Følg opp saken – Varsel");
  const h = builder(doc);
  const win = fakeWindow(doc, { storage });
  const langNav = h("nav", {}, h("ul", {}, h("li", {}, h("button", { type: "submit", form: "followup-form", formaction: "/followup?lang=en&rerender=1", lang: "en" }, "English"))));
  const input = h("input#code", {
    type: "text",
    name: "code",
    value: "",
    ...(withError ? { "aria-invalid": "true", "aria-describedby": "code-hint code-error" } : { "aria-describedby": "code-hint" }),
  });
  const extra = {
    login: [],
    reply: [h("textarea#message", { name: "message", value: "Svar" })],
    retaliation: [h("textarea#retaliation", { name: "retaliation", value: "Gjengjeldelse" })],
  }[variant];
  const form = h(
    "form#followup-form",
    {
      method: "post",
      action: "/followup",
      "data-pow": "code",
      ...(msgs ? { "data-e2e-msgs": JSON.stringify(msgs) } : {}),
      ...(noSession ? { "data-no-session": "" } : {}),
    },
    h("input", { type: "hidden", name: "csrf", value: "csrf-token" }),
    h("label", { for: "code" }, "Koden din"),
    h("span#code-hint", { class: "hint" }, "24 tegn"),
    ...(withError ? [h("span#code-error", { class: "error" }, "Vi fant ingen sak med den koden.")] : []),
    input,
    ...extra,
    h("button", { type: "submit" }, "Åpne saken"),
  );
  const posted = [];
  const submitted = [];
  if (withRequestSubmit) form.requestSubmit = () => posted.push(submit({ win, form }, null));
  form.submit = () => submitted.push(true);
  const summary = withError
    ? [h("div", { class: "notice error-summary", role: "alert" }, h("h2#error-summary-title", {}, "Det er et problem"), h("ul", {}, h("li", {}, h("a", { class: "error", href: "#code" }, "Vi fant ingen sak med den koden."))))]
    : [];
  const main = h("main#main", {}, h("h1", {}, "Følg opp saken"), ...summary, form);
  doc.documentElement.append(h("body", {}, h("header", {}, langNav), main));
  return { doc, win, form, input, langNav, posted, submitted, storage, $: (sel) => doc.querySelector(sel) };
}

/**
 * A case as the server holds it: its identity, wrapped to the reporter's
 * code-derived recipient of `kind`, and a login challenge to the case key.
 */
async function serverCase(code, { hybrid = true, wrapTo } = {}) {
  const identity = await newCaseIdentity({ hybrid });
  const recipient = await recipientOf(identity);
  const reporter = wrapTo ?? (hybrid ? await code.reporterHybridRecipient() : await code.reporterRecipient());
  const wrap = await wrapIdentity(identity, reporter);
  const challenge = await encryptTo([recipient], encoder.encode(PROOF));
  return {
    identity,
    recipient,
    answer: { status: 200, text: JSON.stringify({ wrap: base64.encode(wrap), challenge: base64.encode(challenge) }) },
  };
}

function fakeTransport({ login, session = () => ({ status: 204, text: "" }), challenge = () => ({ challenge: "c", difficulty: 2 }) }) {
  const log = { challenges: 0, login: [], session: [] };
  return {
    log,
    async challenge() {
      log.challenges++;
      return challenge();
    },
    async login(fields) {
      log.login.push(fields);
      return login();
    },
    async session(fields) {
      log.session.push(fields);
      return session();
    },
  };
}

/** Every string the transport was given, to look for secrets in. */
function sentText(transport) {
  return JSON.stringify([transport.log.login, transport.log.session]);
}

function assertSentPlainly(p) {
  assert.equal(p.posted.length, 1, "the form was sent again");
  assert.equal(p.posted[0].defaultPrevented, false, "the plain post went ahead");
  assert.equal(p.posted[0].stopped, false, "pow.js gets the event");
  assert.equal(p.form.querySelector("button").disabled, false);
  assert.equal(p.$("#followup-status").hidden, true);
  assert.notEqual(p.input.value, "", "the code goes with the plain form");
  assert.equal(p.storage.getItem(CASE_KEY), null);
  assert.deepEqual(p.win.location.assigned, []);
  // From now on the form posts plainly.
  assert.equal(submit(p).defaultPrevented, false);
}

// ---------------------------------------------------------------------------

test("a code opens the case in the browser: only the tag and the proof are sent, the key stays in the tab", async () => {
  for (const hybrid of [true, false]) {
    const code = generateCaseCode();
    const grouped = code.grouped();
    const canonical = code.canonical();
    const tag = code.lookupTag();
    const reporterIdentities = [code.reporterHybridIdentity(), code.reporterIdentity()];
    const server = await serverCase(code, { hybrid });
    const p = page();
    const transport = fakeTransport({ login: () => server.answer });
    const controller = installFollowupForm(p.doc, p.win, { transport });
    assert.ok(controller);
    assert.equal(p.form.getAttribute("data-e2e"), "on");
    p.input.value = grouped.toLowerCase().replaceAll("-", " ");
    const seen = [];
    const status = p.$("#followup-status");
    transport.challenge = async () => {
      seen.push([status.hidden, status.textContent, p.form.querySelector("button").disabled]);
      return { challenge: "c", difficulty: 2 };
    };
    const event = submit(p);
    assert.equal(event.defaultPrevented, true);
    assert.equal(event.stopped, true, "pow.js does not act");
    assert.equal(submit(p).defaultPrevented, true, "a second submit while busy is swallowed");
    await controller.whenIdle();

    assert.deepEqual(seen, [[false, MSGS.working, true]], "working shown while it works");
    assert.equal(status.getAttribute("role"), "status");
    assert.equal(status.getAttribute("aria-live"), "polite");
    // What was sent: the tag and the proof of work, then the tag and the
    // challenge's plaintext; never the code nor a key.
    assert.equal(transport.log.login.length, 1);
    const [login] = transport.log.login;
    assert.deepEqual(Object.keys(login), ["csrf", "lookup_tag", "pow_challenge", "pow_solution"]);
    assert.equal(login.csrf, "csrf-token");
    assert.equal(login.lookup_tag, tag);
    assert.match(login.lookup_tag, /^[0-9a-f]{64}$/);
    assert.equal(login.pow_challenge, "c");
    assert.match(login.pow_solution, /^\d+$/);
    assert.deepEqual(transport.log.session, [{ csrf: "csrf-token", lookup_tag: tag, proof: PROOF }]);
    const sent = sentText(transport);
    for (const secret of [grouped, canonical, canonical.toLowerCase(), server.identity, ...reporterIdentities]) {
      assert.equal(sent.includes(secret), false, "no secret in a request");
    }

    // The key in the tab, the code off the page, and on to the case.
    assert.deepEqual(JSON.parse(p.storage.getItem(CASE_KEY)), { recipient: server.recipient, identity: server.identity });
    assert.equal(p.input.value, "");
    assert.deepEqual(p.win.location.assigned, ["/case"]);
    assert.equal(p.posted.length, 0);
    code.wipe();
  }
});

test("openCase wipes the code it was given, and sends no proof without a challenge", async () => {
  const code = generateCaseCode();
  const copy = parseCaseCode(code.canonical());
  const server = await serverCase(copy);
  const transport = fakeTransport({ login: () => server.answer, challenge: () => null });
  const result = await openCase(copy, transport, { csrf: "t" });
  assert.equal(result.ok, true);
  assert.throws(() => copy.canonical(), /wiped/);
  assert.equal(transport.log.login[0].pow_challenge, "");
  assert.equal(transport.log.login[0].pow_solution, "");
});

test("a typo, a wrong length or a bad character is named at the field, and nothing is sent", async () => {
  const code = generateCaseCode().canonical();
  const swapped = code[1] + code[0] + code.slice(2);
  const typo = code[0] === code[1] ? code.slice(0, 22) + code[23] + code[22] : swapped;
  const cases = [
    [typo, MSGS.typo],
    [code.slice(0, 20), "Koden har 24 tegn, du skrev 20."],
    [`${code.slice(0, 3)}!${code.slice(4)}`, "Tegn 4 kan ikke være i en kode."],
  ];
  for (const [typed, message] of cases) {
    if (typed === code) continue;
    const p = page();
    const transport = fakeTransport({ login: () => assert.fail("nothing is sent") });
    installFollowupForm(p.doc, p.win, { transport });
    p.input.value = typed;
    const event = submit(p);
    assert.equal(event.defaultPrevented, true, "not posted");
    assert.equal(event.stopped, true);
    const span = p.$("#code-error");
    assert.ok(span, typed);
    assert.equal(span.textContent, message);
    assert.equal(span.className, "error");
    // The server's pattern: the span just before the field, the field
    // invalid and described by its hint and the error, and focused.
    const siblings = p.form.childNodes;
    assert.equal(siblings.indexOf(span) + 1, siblings.indexOf(p.input));
    assert.equal(p.input.getAttribute("aria-invalid"), "true");
    assert.equal(p.input.getAttribute("aria-describedby"), "code-hint code-error");
    assert.equal(p.doc.activeElement, p.input);
    assert.equal(transport.log.challenges, 0);
    assert.equal(p.input.value, typed, "kept to be corrected");
  }
});

test("a new error replaces the server's one, in the span and in the summary; a new try clears it", async () => {
  const code = generateCaseCode();
  const p = page({ withError: true });
  const answers = [{ status: 429, text: '{"error":"too_many"}' }];
  const server = await serverCase(code);
  answers.push(server.answer);
  const transport = fakeTransport({ login: () => answers.shift() });
  const controller = installFollowupForm(p.doc, p.win, { transport });
  p.input.value = code.grouped();
  submit(p);
  await controller.whenIdle();
  assert.equal(p.doc.querySelectorAll("#code-error").length, 1);
  assert.equal(p.$("#code-error").textContent, MSGS.too_many);
  assert.equal(p.input.getAttribute("aria-describedby"), "code-hint code-error");
  assert.deepEqual(p.$(".error-summary").querySelectorAll("li a").map((a) => [a.textContent, a.href]), [[MSGS.too_many, "#code"]]);
  assert.equal(p.form.querySelector("button").disabled, false);
  assert.equal(p.$("#followup-status").hidden, true);
  // Again: the error goes while it works, and the case opens.
  submit(p);
  await controller.whenIdle();
  assert.equal(p.$("#code-error"), null);
  assert.equal(p.input.hasAttribute("aria-invalid"), false);
  assert.equal(p.input.getAttribute("aria-describedby"), "code-hint");
  assert.deepEqual(p.win.location.assigned, ["/case"]);
});

test("the refusals the reporter can act on are shown in the page's language", async () => {
  const answers = [
    [{ status: 404, text: '{"error":"not_found"}' }, MSGS.not_found],
    [{ status: 400, text: '{"error":"pow_refused"}' }, MSGS.pow_refused],
    [{ status: 403, text: '{"error":"form_expired"}' }, MSGS.form_expired],
    [{ status: 429, text: '{"error":"too_many"}' }, MSGS.too_many],
    // A proxy's page without a body the script reads: the status says it.
    [{ status: 429, text: "<html>Too Many Requests</html>" }, MSGS.too_many],
  ];
  for (const [answer, message] of answers) {
    const p = page();
    const transport = fakeTransport({ login: () => answer });
    const controller = installFollowupForm(p.doc, p.win, { transport });
    p.input.value = generateCaseCode().grouped();
    submit(p);
    await controller.whenIdle();
    assert.equal(p.$("#code-error").textContent, message);
    assert.equal(p.posted.length, 0);
    assert.equal(transport.log.session.length, 0);
  }
  // At the session step too.
  const code = generateCaseCode();
  const server = await serverCase(code);
  for (const [answer, message] of [
    [{ status: 404, text: '{"error":"not_found"}' }, MSGS.not_found],
    [{ status: 403, text: '{"error":"form_expired"}' }, MSGS.form_expired],
  ]) {
    const p = page();
    const transport = fakeTransport({ login: () => server.answer, session: () => answer });
    const controller = installFollowupForm(p.doc, p.win, { transport });
    p.input.value = code.grouped();
    submit(p);
    await controller.whenIdle();
    assert.equal(p.$("#code-error").textContent, message);
    assert.equal(p.storage.getItem(CASE_KEY), null, "no key kept without a session");
    assert.deepEqual(p.win.location.assigned, []);
  }
});

test("a wrap the code does not open is an unknown code", async () => {
  const code = generateCaseCode();
  const other = generateCaseCode();
  const server = await serverCase(code, { wrapTo: await other.reporterHybridRecipient() });
  const p = page();
  const transport = fakeTransport({ login: () => server.answer });
  const controller = installFollowupForm(p.doc, p.win, { transport });
  p.input.value = code.grouped();
  submit(p);
  await controller.whenIdle();
  assert.equal(p.$("#code-error").textContent, MSGS.not_found);
  assert.equal(transport.log.session.length, 0, "no proof without the key");
});

test("a network failure, a server error or an answer the script cannot use posts the form the plain way", async () => {
  const code = generateCaseCode();
  const server = await serverCase(code);
  const strangerChallenge = await encryptTo([await recipientOf(await newCaseIdentity({ hybrid: true }))], encoder.encode(PROOF));
  const wrongChallenge = {
    status: 200,
    text: JSON.stringify({ wrap: JSON.parse(server.answer.text).wrap, challenge: base64.encode(strangerChallenge) }),
  };
  const scripts = [
    ["login: no answer", { login: () => { throw new NetworkError(); } }],
    ["login: 500", { login: () => ({ status: 500, text: "" }) }],
    ["login: 502 from a gateway", { login: () => ({ status: 502, text: "<html>Bad gateway</html>" }) }],
    ["login: invalid", { login: () => ({ status: 400, text: '{"error":"invalid"}' }) }],
    ["login: not JSON", { login: () => ({ status: 200, text: "<html></html>" }) }],
    ["login: a challenge the case key does not open", { login: () => wrongChallenge }],
    ["session: no answer", { login: () => server.answer, session: () => { throw new NetworkError(); } }],
    ["session: 503", { login: () => server.answer, session: () => ({ status: 503, text: "" }) }],
  ];
  for (const [what, script] of scripts) {
    const p = page();
    const transport = fakeTransport(script);
    const controller = installFollowupForm(p.doc, p.win, { transport });
    p.input.value = code.grouped();
    assert.equal(submit(p).defaultPrevented, true, what);
    await controller.whenIdle();
    assertSentPlainly(p);
    assert.equal(p.$("#code-error"), null, what);
  }
  // Without requestSubmit the form is submitted without the event.
  const p = page({ withRequestSubmit: false });
  const controller = installFollowupForm(p.doc, p.win, { transport: fakeTransport({ login: () => ({ status: 500, text: "" }) }) });
  p.input.value = code.grouped();
  submit(p);
  await controller.whenIdle();
  assert.deepEqual(p.submitted, [true]);
});

test("the form is left alone with a reply or retaliation in it, without messages or without storage", () => {
  for (const variant of ["reply", "retaliation"]) {
    const p = page({ variant });
    assert.equal(installFollowupForm(p.doc, p.win, { transport: {} }), null, variant);
    assert.deepEqual(p.win.listenersOf("submit"), []);
    assert.equal(p.form.hasAttribute("data-e2e"), false);
  }
  const noMsgs = page({ msgs: null });
  assert.equal(installFollowupForm(noMsgs.doc, noMsgs.win, { transport: {} }), null);
  const noStorage = page({ storage: new FakeStorage({ broken: true }) });
  assert.equal(installFollowupForm(noStorage.doc, noStorage.win, { transport: {} }), null);
  const fullStorage = page({ storage: new FakeStorage({ full: true }) });
  assert.equal(
    installFollowupForm(fullStorage.doc, fullStorage.win, { transport: {} }),
    null,
    "a tab that cannot keep the key logs in the plain way",
  );
  const none = new Document();
  assert.equal(installFollowupForm(none, fakeWindow(none), { transport: {} }), null);
  const p = page();
  assert.ok(installFollowupForm(p.doc, p.win, { transport: {} }));
  assert.equal(installFollowupForm(p.doc, p.win, { transport: {} }), null, "only once");
  assert.equal(p.win.listenersOf("submit").length, 1);
});

test("a language button posts without the code", () => {
  const p = page();
  installFollowupForm(p.doc, p.win, { transport: fakeTransport({}) });
  p.input.value = generateCaseCode().grouped();
  const event = submit(p, p.langNav.querySelector("button"));
  assert.equal(event.defaultPrevented, false);
  assert.equal(event.stopped, false);
  assert.equal(p.$("#code-error"), null);
  assert.equal(p.input.value, "", "the code is not sent to be shown again");
});

test("the login page forgets a case key an ended session left in the tab, not a live one's", () => {
  const kept = JSON.stringify({ recipient: "age1x", identity: "AGE-SECRET-KEY-1X" });
  const ended = page({ noSession: true });
  ended.win.sessionStorage.setItem("varsel.case", kept);
  ended.win.sessionStorage.setItem("varsel.reply-draft", JSON.stringify({ recipient: "age1x", text: "Utkast" }));
  installFollowupForm(ended.doc, ended.win, { transport: fakeTransport({}) });
  assert.equal(ended.win.sessionStorage.getItem("varsel.case"), null);
  assert.equal(ended.win.sessionStorage.getItem("varsel.reply-draft"), null);
  // Back (or the landing page's link) while the session lives: kept.
  const live = page();
  live.win.sessionStorage.setItem("varsel.case", kept);
  installFollowupForm(live.doc, live.win, { transport: fakeTransport({}) });
  assert.equal(live.win.sessionStorage.getItem("varsel.case"), kept);
});

test("a reply kept in the tab goes back into the form of a session that ended", () => {
  const p = page({ variant: "reply", noSession: true });
  p.$("#message").value = "";
  p.win.sessionStorage.setItem("varsel.reply-draft", JSON.stringify({ recipient: "age1x", text: "Utkast" }));
  assert.equal(installFollowupForm(p.doc, p.win, { transport: fakeTransport({}) }), null, "posted the plain way");
  assert.equal(p.$("#message").value, "Utkast");
  assert.equal(p.win.sessionStorage.getItem("varsel.reply-draft"), null);
});

test("the messages fill their placeholders; refusals read from the body or the status", () => {
  const code = generateCaseCode().canonical();
  const errorOf = (typed) => {
    try {
      parseCaseCode(typed);
    } catch (err) {
      return err;
    }
    return null;
  };
  assert.equal(codeErrorMessage(errorOf("ABC"), MSGS), "Koden har 24 tegn, du skrev 3.");
  assert.equal(codeErrorMessage(errorOf(`U${code.slice(1)}`), MSGS), "Tegn 1 kan ikke være i en kode.");
  assert.equal(refusalOf(404, '{"error":"not_found"}'), "not_found");
  assert.equal(refusalOf(400, '{"error":{"code":"pow_refused","message":"x"}}'), "pow_refused");
  assert.equal(refusalOf(404, ""), "not_found");
  assert.equal(refusalOf(403, "<html>"), "form_expired");
  assert.equal(refusalOf(429, ""), "too_many");
  assert.equal(refusalOf(400, ""), null);
});

// ---------------------------------------------------------------------------
// The browser transport over a fake fetch

test("the browser transport posts form-encoded fields, same-origin, and asks for a code challenge", async () => {
  const calls = [];
  const saved = globalThis.fetch;
  globalThis.fetch = async (url, init = {}) => {
    calls.push({ url, init });
    if (url.startsWith("/api/v1/pow/challenge")) return new Response('{"challenge":"v1.a.b","difficulty":4}', { status: 200 });
    if (url === "/followup/browser") return new Response('{"wrap":"d3JhcA==","challenge":"Yw=="}', { status: 200 });
    return new Response(null, { status: 204 });
  };
  try {
    const t = browserFollowupTransport("nn");
    assert.deepEqual(await t.challenge(), { challenge: "v1.a.b", difficulty: 4 });
    assert.equal(calls[0].url, "/api/v1/pow/challenge?purpose=code");
    const login = await t.login({ csrf: "t", lookup_tag: "ab".repeat(32), pow_challenge: "v1.a.b", pow_solution: "7" });
    assert.equal(login.status, 200);
    assert.equal(calls[1].url, "/followup/browser");
    assert.equal(calls[1].init.method, "POST");
    assert.equal(calls[1].init.credentials, "same-origin");
    assert.equal(calls[1].init.headers["Content-Type"], "application/x-www-form-urlencoded");
    assert.equal(calls[1].init.headers["Accept-Language"], "nn");
    assert.equal(calls[1].init.body, `csrf=t&lookup_tag=${"ab".repeat(32)}&pow_challenge=v1.a.b&pow_solution=7`);
    assert.deepEqual(await t.session({ csrf: "t", lookup_tag: "cd", proof: "varsel.e2e.login.v1 x 1 m" }), { status: 204, text: "" });
    assert.equal(calls[2].url, "/followup/browser/session");
    assert.equal(calls[2].init.body, "csrf=t&lookup_tag=cd&proof=varsel.e2e.login.v1+x+1+m");

    globalThis.fetch = async () => {
      throw new TypeError("Failed to fetch");
    };
    await assert.rejects(t.login({}), NetworkError);
    await assert.rejects(t.session({}), NetworkError);
    assert.equal(await t.challenge(), null, "no challenge: no proof");
  } finally {
    globalThis.fetch = saved;
  }
});

test("followup.js and case.js never log, write markup or use other storage", () => {
  const words = ["console.", "localStorage", "indexedDB", "document.cookie", "innerHTML", "outerHTML", "insertAdjacentHTML", "history.pushState", "://"];
  for (const name of ["src/followup.js", "src/case.js", "src/page.js"]) {
    const source = readFileSync(join(packageDir, name), "utf8");
    for (const word of words) assert.equal(source.includes(word), false, `${name}: ${word}`);
  }
});
