// The code login at /followup, done in the reporter's browser (docs/e2e.md,
// "Follow-up with the code in the browser").
//
// Progressive enhancement: the form posts the code as plain HTML and the
// server unwraps the case key. Where this script runs, the code never leaves
// the browser: it derives the lookup tag and the reporter's two identities
// from the code, asks the server for the case key wrapped to the reporter
// (`POST /followup/browser`, by tag), opens it here, and proves it holds the
// case key by decrypting the server's login challenge
// (`POST /followup/browser/session`). The session the server then opens holds
// no key; the case identity is kept in this tab's `sessionStorage` for the
// case page (case.js) to decrypt the case in place.
//
// Where the browser cannot do it (a network failure, a server error, an
// answer it cannot read, a wrap that opens but a challenge that does not),
// the form is posted the plain way, as without the script: the code goes to
// the server. A refusal the reporter can act on (a typo, an unknown code,
// too many tries, a stale form, a refused proof of work) is shown at the
// code field, in the page's language, from the form's `data-e2e-msgs`.
//
// The first half is logic without a DOM (`openCase`, over an injectable
// transport), the second wires it to the page (`installFollowupForm`).
//
// What the page must carry (templates/reporter/followup.html):
// - `form#followup-form` with `input#code` (name `code`), a hidden `csrf`,
//   and `data-e2e-msgs` (JSON: `typo`, `length` with `{count}` and
//   `{found}`, `character` with `{position}`, `not_found`, `pow_refused`,
//   `form_expired`, `too_many`, `working`); a form that holds a `message`
//   or `retaliation` field (a reply kept after a session ended) is left to
//   post plainly;
// - optionally `#followup-status` (role=status): where "working" is shown;
//   the script adds one at the end of the form without it.
//
// Never put the code or an identity in a URL, the console or any request:
// only the lookup tag and the decrypted challenge leave the browser.

import { base64 } from "@scure/base";
import { CaseCodeError, parseCaseCode } from "./casecode.js";
import {
  clearFieldError,
  fetchChallenge,
  fill,
  jsonAttribute,
  onFormSubmit,
  sessionStorageOf,
  showFieldError,
  stopSubmit,
  submitButtons,
} from "./page.js";
import { isLanguageSubmitter, NetworkError, solvePow } from "./report.js";
import * as seal from "./seal.js";

/** The protocol's paths. */
export const CODE_CHALLENGE_PATH = "/api/v1/pow/challenge?purpose=code";
export const LOGIN_PATH = "/followup/browser";
export const SESSION_PATH = "/followup/browser/session";
/** Where the browser goes once the session is open. */
export const CASE_PATH = "/case";
/** The `sessionStorage` key of `{recipient, identity}`. */
export const CASE_KEY = "varsel.case";
/** Where a reply being written waits while a language button shows the page again. */
export const DRAFT_KEY = "varsel.reply-draft";

/** The refusals the page names (each a key of `data-e2e-msgs`). */
const SHOWN = new Set(["not_found", "pow_refused", "form_expired", "too_many"]);

// ---------------------------------------------------------------------------
// Logic without a DOM
// ---------------------------------------------------------------------------

/**
 * The message of a `CaseCodeError` from the form's messages: `typo`,
 * `length` (`{count}` symbols a code has, `{found}` typed) or `character`
 * (`{position}`, 1-based among the symbols).
 */
export function codeErrorMessage(err, msgs) {
  if (err.kind === "length") return fill(msgs.length, { count: err.expected, found: err.found });
  if (err.kind === "invalid-character") return fill(msgs.character, { position: err.position });
  return fill(msgs.typo);
}

/** The refusal code of an answer: the body's `error` (a string, or `{code}`), else one the status implies. */
export function refusalOf(status, text) {
  let code = null;
  try {
    const body = JSON.parse(text);
    const error = body && typeof body === "object" ? body.error : null;
    if (typeof error === "string") code = error;
    else if (error && typeof error === "object" && typeof error.code === "string") code = error.code;
  } catch {
    code = null;
  }
  if (code) return code;
  if (status === 404) return "not_found";
  if (status === 403) return "form_expired";
  if (status === 429) return "too_many";
  return null;
}

/** What a refusal means for the page: a message to show (`{error}`) or the plain form (`{plain}`). */
function refused(status, text) {
  const code = refusalOf(status, text);
  // 5xx, `invalid` (the browser sent something malformed) and anything
  // unknown: the plain form, which the server answers in the reporter's
  // language.
  if (status >= 400 && status <= 499 && SHOWN.has(code)) return { ok: false, error: code };
  return { ok: false, plain: "refused" };
}

/**
 * Opens the case of `code` (a parsed `CaseCode`, wiped here once its
 * secrets are derived) in the browser. `transport` does the requests:
 * - `challenge()` → `{challenge, difficulty}` or null (then no proof is
 *   sent: the server's no-proof lane);
 * - `login(fields)` → `{status, text}` (POST /followup/browser);
 * - `session(fields)` → `{status, text}` (POST /followup/browser/session);
 * each `fields` a plain object of form fields, and each throws
 * `NetworkError` when no answer comes. `csrf` is the form's token.
 *
 * Resolves to `{ok: true, recipient, identity}` (the session is open),
 * `{ok: false, error}` (a refusal to show: "not_found", "pow_refused",
 * "form_expired", "too_many") or `{ok: false, plain: reason}` (post the
 * form the plain way). Throws `NetworkError`, or any error of the browser's
 * own (both mean: the plain way).
 */
export async function openCase(code, transport, { csrf = "" } = {}) {
  let lookupTag;
  let reporterIdentities;
  try {
    lookupTag = code.lookupTag();
    // Whichever kind the case was filed with: hybrid first, as today's are.
    reporterIdentities = [code.reporterHybridIdentity(), code.reporterIdentity()];
  } finally {
    code.wipe();
  }

  const challenge = await transport.challenge();
  let powChallenge = "";
  let powSolution = "";
  if (challenge) {
    const solution = await solvePow(challenge.challenge, challenge.difficulty);
    if (solution !== null) {
      powChallenge = challenge.challenge;
      powSolution = solution;
    }
  }

  const login = await transport.login({
    csrf,
    lookup_tag: lookupTag,
    pow_challenge: powChallenge,
    pow_solution: powSolution,
  });
  if (login.status !== 200) return refused(login.status, login.text);
  let wrap;
  let loginChallenge;
  try {
    const body = JSON.parse(login.text);
    wrap = base64.decode(body.wrap);
    loginChallenge = base64.decode(body.challenge);
  } catch {
    return { ok: false, plain: "answer" };
  }

  let identity;
  try {
    identity = await seal.unwrapIdentity(reporterIdentities, wrap);
  } catch {
    // A wrap the code does not open: as an unknown code.
    return { ok: false, error: "not_found" };
  }
  reporterIdentities = null;
  if (!identity.startsWith("AGE-SECRET-KEY-")) return { ok: false, error: "not_found" };
  // A challenge the case key does not open is the server's problem, not
  // the reporter's: the plain form (the server unwraps it itself).
  const proofBytes = await seal.decryptWith([identity], loginChallenge);
  let proof;
  try {
    proof = new TextDecoder("utf-8", { fatal: true }).decode(proofBytes);
  } finally {
    proofBytes.fill(0);
  }
  const recipient = await seal.recipientOf(identity);

  const session = await transport.session({ csrf, lookup_tag: lookupTag, proof });
  if (session.status < 200 || session.status > 299) return refused(session.status, session.text);
  return { ok: true, recipient, identity };
}

// ---------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------

/** The browser's transport: fetch, form-encoded, same-origin. */
export function browserFollowupTransport(lang) {
  const language = lang ? { "Accept-Language": lang } : {};
  const post = async (path, fields) => {
    let response;
    try {
      response = await fetch(path, {
        method: "POST",
        headers: { ...language, Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(fields).toString(),
        credentials: "same-origin",
        cache: "no-store",
        redirect: "manual",
      });
    } catch {
      throw new NetworkError();
    }
    let text = "";
    try {
      text = await response.text();
    } catch {
      throw new NetworkError();
    }
    return { status: response.status, text };
  };
  return {
    // Without a proof the login goes in the no-proof lane.
    challenge: () => fetchChallenge(CODE_CHALLENGE_PATH, language),
    login: (fields) => post(LOGIN_PATH, fields),
    session: (fields) => post(SESSION_PATH, fields),
  };
}

/**
 * Forgets what a tab kept for a case: its key, and a reply kept while a
 * language button showed a page, which goes back into `form`'s empty
 * message field if it has one (a session that ended while it was written).
 */
function forgetCase(win, form) {
  const storage = sessionStorageOf(win);
  if (!storage) return;
  try {
    storage.removeItem(CASE_KEY);
    const draft = JSON.parse(storage.getItem(DRAFT_KEY) || "null");
    storage.removeItem(DRAFT_KEY);
    const field = form.querySelector('textarea[name="message"]');
    if (field && field.value === "" && draft && typeof draft.text === "string") field.value = draft.text;
  } catch {
    // Nothing kept, or nothing to keep it in.
  }
}

/**
 * Takes over `form#followup-form` if the page has it, with its messages and
 * no reply or retaliation field in it, and the tab can keep the case key
 * (`sessionStorage`); otherwise leaves the page alone, and the form posts
 * as plain HTML. Returns null if it left the page alone, else `{whenIdle}`:
 * a promise of the login under way, if any, ending. `transport` replaces
 * the network in tests.
 */
export function installFollowupForm(doc = document, win = window, { transport } = {}) {
  const form = doc.querySelector("form#followup-form");
  if (!form) return null;
  if (form.getAttribute("data-e2e") === "on") return null;
  // The server says there is no reporter session: a case key, or a reply
  // kept while a language button showed a page, that an ended session left
  // in this tab is forgotten (a reply only once it is back in this form).
  if (form.hasAttribute("data-no-session")) forgetCase(win, form);
  // A reply or a retaliation report kept after a session ended: the code
  // goes with it to the server, which stores it once the code opens the case.
  if (form.querySelector('[name="message"]') || form.querySelector('[name="retaliation"]')) return null;
  const input = form.querySelector("input#code");
  const msgs = jsonAttribute(form, "data-e2e-msgs");
  if (!input || !msgs) return null;
  // Without storage the case page could not decrypt anything.
  const storage = sessionStorageOf(win, { writable: true });
  if (!storage) return null;
  if (!transport && typeof win.fetch !== "function") return null;

  const lang = (doc.documentElement && doc.documentElement.lang) || "";
  const csrfInput = form.querySelector('input[name="csrf"]');
  form.setAttribute("data-e2e", "on");

  let status = doc.getElementById("followup-status");
  if (!status) {
    status = doc.createElement("p");
    status.id = "followup-status";
    status.className = "notice";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    status.hidden = true;
    form.appendChild(status);
  }

  let busy = false;
  /** Set once the form went the plain way: later submits post plainly too. */
  let plain = false;
  let current = Promise.resolve();

  const setWorking = (working) => {
    busy = working;
    for (const button of submitButtons(form)) button.disabled = working;
    form.setAttribute("aria-busy", working ? "true" : "false");
    if (working) {
      status.hidden = false;
      status.textContent = msgs.working || "";
    } else {
      status.hidden = true;
      status.textContent = "";
    }
  };

  const showError = (message) => {
    setWorking(false);
    showFieldError(doc, input, "code-error", message);
  };

  /**
   * Posts the form the plain way, as report.js does: submitted again as the
   * browser would (templates/pow.js sees the event and adds its proof), or
   * without the event where `requestSubmit` is missing.
   */
  const sendPlain = () => {
    plain = true;
    setWorking(false);
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else if (typeof form.submit === "function") {
      form.submit();
    }
  };

  const run = async (code) => {
    clearFieldError(doc, input, "code-error");
    setWorking(true);
    let result;
    try {
      result = await openCase(code, transport || browserFollowupTransport(lang), {
        csrf: csrfInput ? csrfInput.value : "",
      });
    } catch {
      // No answer, or something in the browser failed: the plain way.
      sendPlain();
      return;
    }
    if (result.plain) {
      sendPlain();
      return;
    }
    if (!result.ok) {
      showError(msgs[result.error] || "");
      return;
    }
    try {
      storage.setItem(CASE_KEY, JSON.stringify({ recipient: result.recipient, identity: result.identity }));
    } catch {
      // The session is open; the case page will say there is no key here.
    }
    // The code leaves the page before the page is left (and the back
    // button's cache).
    input.value = "";
    win.location.assign(CASE_PATH);
  };

  onFormSubmit(win, form, { isPlain: () => plain, isBusy: () => busy }, (event) => {
    // A language button shows the page again from the server: the code
    // must not go with it, so it is typed again there.
    if (isLanguageSubmitter(event.submitter)) {
      input.value = "";
      return;
    }
    let code;
    try {
      code = parseCaseCode(input.value);
    } catch (err) {
      if (!(err instanceof CaseCodeError)) return;
      // A typo is named here, and nothing is sent.
      stopSubmit(event);
      showError(codeErrorMessage(err, msgs));
      return;
    }
    stopSubmit(event);
    current = run(code);
  });
  return { whenIdle: () => current };
}
