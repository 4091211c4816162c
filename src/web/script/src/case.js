// The case page of a session without a key (docs/e2e.md, "Follow-up with
// the code in the browser"): the case decrypted in place, replies encrypted
// in the browser, and the case key forgotten at logout.
//
// The server renders each sealed part of the case as its base64 age file;
// the case identity is in this tab's `sessionStorage` (`varsel.case`, put
// there by followup.js). Each part is decrypted here and set as text, never
// as markup. Without the key (a new tab, another case's key), the page says
// so (`#sealed-no-key`) and nothing is decrypted.
//
// A reply needs only the case's public recipient, which the page carries:
// the message, each file (stripped of image metadata first, as the server
// would) and each file's name are encrypted to it, and the server stores
// the ciphertexts. What the server would refuse (over a limit, nothing to
// send) is posted the plain way for the server to say so, as it does when
// the browser cannot send (`invalid_ciphertext`, the session ended, an
// answer it cannot read). A reply that may have arrived (no answer, a
// server error) is never sent again by the script: the page says so.
//
// What the page must carry (templates/reporter/case.html):
// - `#sealed-case` with `data-case-recipient` and `data-msgs` (JSON:
//   `no_key`, `failed`, `decrypting`, `may_have_arrived`);
// - `#sealed-no-key` (hidden);
// - `[data-sealed-report]` (its value the report's age file in base64):
//   the script fills `#report-description` (the sealed element itself if
//   the page has no such element) and `dd[data-report-field="when"]` and
//   `dd[data-report-field="place"]`, each shown with the `dt` before it
//   when the field has a value;
// - `[data-sealed-text]` (a message's age file in base64), set as text;
// - `a[data-sealed-name]` (an attachment's name, sealed `{name,
//   content_type}`), whose `href` serves the attachment's age file;
// - `form#reply-form` with `data-sealed-action`, `data-max-text-chars`,
//   `data-max-attachment-bytes`, `data-max-attachments`,
//   `data-max-name-chars`, a hidden `csrf`, `#message` and `#attachment`;
// - any `form[action="/case/logout"]`.

import { base64 } from "@scure/base";
import { CASE_KEY, CASE_PATH, DRAFT_KEY } from "./followup.js";
import { clearFieldError, jsonAttribute, onFormSubmit, sessionStorageOf, showFieldError, stopSubmit, submitButtons } from "./page.js";
import { charCount, crlf, isLanguageSubmitter, NetworkError, sealAttachment, trimInvisible, wellFormed } from "./report.js";
import * as seal from "./seal.js";

const encoder = new TextEncoder();

/** The logout form's action. */
export const LOGOUT_PATH = "/case/logout";

/** The refusals of a sealed reply the page shows, their message at the field. */
const SHOWN = new Set(["reply_empty", "too_long", "too_many_attachments", "too_large", "form_expired", "too_many_requests"]);

// ---------------------------------------------------------------------------
// Logic without a DOM
// ---------------------------------------------------------------------------

/**
 * The case identity kept in `storage` for the case of `recipient`, or null:
 * none kept, unreadable, or another case's (which is then forgotten: its
 * session is over, the server holds one session per browser).
 */
export function caseIdentity(storage, recipient) {
  if (!storage || !recipient) return null;
  let kept;
  try {
    kept = JSON.parse(storage.getItem(CASE_KEY) || "null");
  } catch {
    kept = null;
  }
  if (!kept || typeof kept.identity !== "string" || !kept.identity.startsWith("AGE-SECRET-KEY-")) return null;
  if (kept.recipient !== recipient) {
    try {
      storage.removeItem(CASE_KEY);
    } catch {
      // Nothing to forget with.
    }
    return null;
  }
  return kept.identity;
}

/** Decrypts a base64 age file to its bytes. */
export async function decryptBase64(identity, b64) {
  return seal.decryptWith([identity], base64.decode(String(b64 ?? "").trim()));
}

/** Decrypts a base64 age file of UTF-8 text. */
export async function decryptText(identity, b64) {
  const bytes = await decryptBase64(identity, b64);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } finally {
    bytes.fill(0);
  }
}

/** Decrypts a base64 age file of a JSON object. */
export async function decryptJson(identity, b64) {
  const value = JSON.parse(await decryptText(identity, b64));
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("not a JSON object");
  return value;
}

/**
 * A reply's message as the server stores one typed in the plain form: line
 * breaks as CRLF, trimmed as `TextField` trims it, unpaired surrogates as
 * U+FFFD ("" when it shows nothing).
 */
export function replyText(message) {
  return wellFormed(trimInvisible(crlf(message)));
}

/** A non-negative integer limit from an attribute, or undefined (not checked). */
function limitOf(form, name) {
  const text = form.getAttribute(name);
  if (text === null || !/^\d+$/.test(text.trim())) return undefined;
  return Number(text.trim());
}

/**
 * The reply form's limits (docs/e2e.md): `{maxTextChars, maxAttachmentBytes,
 * maxAttachments, maxNameChars}`, each undefined if the form does not give it.
 */
export function replyLimits(form) {
  return {
    maxTextChars: limitOf(form, "data-max-text-chars"),
    maxAttachmentBytes: limitOf(form, "data-max-attachment-bytes"),
    maxAttachments: limitOf(form, "data-max-attachments"),
    maxNameChars: limitOf(form, "data-max-name-chars"),
  };
}

/**
 * Why a reply must be posted the plain way before anything is encrypted
 * (null if it need not): nothing to send ("empty": the server names it), a
 * message over `maxTextChars` characters as Rust counts them ("text"), more
 * files than `maxAttachments`, a file larger than `maxAttachmentBytes` or
 * an empty one ("attachments"). The server says so in the reporter's
 * language and keeps the message.
 */
export function replyPlainReason({ text, files }, limits = {}) {
  const over = (n, max) => Number.isFinite(max) && n > max;
  if (text === "" && files.length === 0) return "empty";
  if (over(charCount(text), limits.maxTextChars)) return "text";
  if (over(files.length, limits.maxAttachments)) return "attachments";
  for (const file of files) {
    if (file.size === 0 || over(file.size, limits.maxAttachmentBytes)) return "attachments";
  }
  return null;
}

/**
 * The sealed reply's multipart body (docs/e2e.md), parts in order: `csrf`,
 * `envelope` (`{"attachment_names": [b64…]}` in file order), `message` (an
 * age file, left out when `text` is ""), then one `attachment` per file.
 * Everything is encrypted to `recipient`, each file stripped of image
 * metadata first; file parts carry the browser's default name "blob".
 */
export async function sealReply({ recipient, csrf, text, files = [], maxNameChars }) {
  const recipients = [recipient];
  let message = null;
  if (text !== "") {
    const plaintext = encoder.encode(text);
    try {
      message = await seal.encryptTo(recipients, plaintext);
    } finally {
      plaintext.fill(0);
    }
  }
  const attachments = [];
  const names = [];
  for (const file of files) {
    const sealed = await sealAttachment(recipients, file, { maxNameChars });
    attachments.push(sealed.attachment);
    names.push(base64.encode(sealed.name));
  }
  const body = new FormData();
  body.append("csrf", csrf);
  body.append("envelope", JSON.stringify({ attachment_names: names }));
  if (message) body.append("message", new Blob([message], { type: "application/octet-stream" }));
  for (const attachment of attachments) body.append("attachment", attachment);
  return body;
}

/** The reply endpoint's answer: `{code, field, message, location}`, each possibly null. */
export function replyAnswer(text) {
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  const str = (v) => (typeof v === "string" && v !== "" ? v : null);
  if (!body || typeof body !== "object") return { code: null, field: null, message: null, location: null };
  const error = body.error && typeof body.error === "object" ? body.error : body;
  return {
    code: str(typeof body.error === "string" ? body.error : error.code),
    field: str(error.field),
    message: str(error.message),
    location: str(body.location),
  };
}

/** `location` if it is a path on this site, else the case page. */
export function samePath(location) {
  return typeof location === "string" && /^\/(?![/\\])/.test(location) ? location : CASE_PATH;
}

// ---------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------

/** The browser's transport: the sealed reply and the attachments' age files. */
export function browserCaseTransport(lang) {
  const language = lang ? { "Accept-Language": lang } : {};
  return {
    async reply(action, body) {
      let response;
      let text;
      try {
        response = await fetch(action, {
          method: "POST",
          headers: { ...language, Accept: "application/json" },
          body,
          credentials: "same-origin",
          cache: "no-store",
        });
        text = await response.text();
      } catch {
        throw new NetworkError();
      }
      return { status: response.status, text };
    },

    async attachment(href) {
      let response;
      try {
        response = await fetch(href, { credentials: "same-origin", cache: "no-store" });
        if (!response.ok) return { status: response.status, bytes: null };
        return { status: response.status, bytes: new Uint8Array(await response.arrayBuffer()) };
      } catch {
        throw new NetworkError();
      }
    },
  };
}

/**
 * Decrypts the case page in place, makes its reply form encrypt, and makes
 * logout forget the case key. Each part does nothing where its element is
 * missing; returns null if the page has none of them, else `{decrypted,
 * whenIdle}`: a promise of the decryption ending, and one of the reply or
 * download under way, if any, ending. `transport` replaces the network in
 * tests.
 */
export function installCasePage(doc = document, win = window, { transport } = {}) {
  const root = doc.getElementById("sealed-case");
  const logoutForms = Array.from(doc.querySelectorAll(`form[action="${LOGOUT_PATH}"]`));
  if (!root && logoutForms.length === 0) return null;
  if (root && root.getAttribute("data-e2e") === "on") return null;
  const storage = sessionStorageOf(win);
  const lang = (doc.documentElement && doc.documentElement.lang) || "";
  const net = () => transport || browserCaseTransport(lang);

  let current = Promise.resolve();
  const track = (promise) => {
    current = promise;
    return promise;
  };

  // Logout forgets the key, whatever else the page carries.
  if (storage && logoutForms.length > 0) {
    win.addEventListener(
      "submit",
      (event) => {
        if (!logoutForms.includes(event.target)) return;
        try {
          storage.removeItem(CASE_KEY);
          storage.removeItem(DRAFT_KEY);
        } catch {
          // Gone with the tab anyway.
        }
      },
      true,
    );
  }

  let decrypted = Promise.resolve();
  if (root) {
    root.setAttribute("data-e2e", "on");
    const msgs = jsonAttribute(root, "data-msgs") || {};
    const recipient = root.getAttribute("data-case-recipient") || "";
    const identity = caseIdentity(storage, recipient);
    if (identity) {
      decrypted = decryptPage(doc, win, root, identity, msgs, { net, track });
    } else {
      showNoKey(doc, msgs);
    }
    installReplyForm(doc, win, { recipient, msgs, net, track, storage });
  }
  return { decrypted, whenIdle: () => current };
}

/** The element that shows the report's description. */
function reportTarget(doc, sealed) {
  const description = doc.getElementById("report-description");
  if (description) return description;
  return sealed.children && sealed.children.length > 0 ? null : sealed;
}

/** Every element where a decrypted text goes, with `text` set in it. */
function fillPlaceholders(doc, text) {
  for (const sealed of doc.querySelectorAll("[data-sealed-report]")) {
    const target = reportTarget(doc, sealed);
    if (target) target.textContent = text;
  }
  for (const el of doc.querySelectorAll("[data-sealed-text]")) el.textContent = text;
  for (const el of doc.querySelectorAll("a[data-sealed-name]")) el.textContent = text;
}

function showNoKey(doc, msgs) {
  const notice = doc.getElementById("sealed-no-key");
  if (notice) notice.hidden = false;
  fillPlaceholders(doc, msgs.no_key || "");
}

/** Shows the `dd[data-report-field=<name>]` with `value`, and its `dt`, if there is a value. */
function showReportField(doc, name, value) {
  if (typeof value !== "string" || value === "") return;
  for (const dd of doc.querySelectorAll(`[data-report-field="${name}"]`)) {
    dd.textContent = value;
    dd.hidden = false;
    const dt = dd.previousElementSibling;
    if (dt && dt.tagName === "DT") dt.hidden = false;
  }
}

async function decryptPage(doc, win, root, identity, msgs, { net, track }) {
  const failed = msgs.failed || "";
  for (const sealed of doc.querySelectorAll("[data-sealed-report]")) {
    const target = reportTarget(doc, sealed);
    try {
      const report = await decryptJson(identity, sealed.getAttribute("data-sealed-report"));
      if (target) target.textContent = typeof report.description === "string" ? report.description : "";
      showReportField(doc, "when", report.when);
      showReportField(doc, "place", report.place);
    } catch {
      if (target) target.textContent = failed;
    }
  }
  for (const el of doc.querySelectorAll("[data-sealed-text]")) {
    try {
      el.textContent = await decryptText(identity, el.getAttribute("data-sealed-text"));
    } catch {
      el.textContent = failed;
    }
  }
  for (const link of doc.querySelectorAll("a[data-sealed-name]")) {
    let meta = null;
    try {
      const value = await decryptJson(identity, link.getAttribute("data-sealed-name"));
      if (typeof value.name === "string") {
        meta = {
          name: value.name,
          type: typeof value.content_type === "string" ? value.content_type : "application/octet-stream",
        };
      }
    } catch {
      meta = null;
    }
    link.textContent = meta ? meta.name : failed;
    installDownload(doc, win, link, identity, meta, { failed, net, track });
  }
}

/**
 * A click on an attachment's link fetches its age file, decrypts it and
 * saves it under its name and type (through an object URL and a temporary
 * `<a download>`, the URL revoked once the download has started). A file
 * whose name did not decrypt is saved under its link's last path segment.
 */
function installDownload(doc, win, link, identity, meta, { failed, net, track }) {
  let busy = false;
  link.addEventListener("click", (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    const href = link.getAttribute("href") || "";
    const name = meta ? meta.name : href.split("/").pop() || "";
    const type = meta ? meta.type : "application/octet-stream";
    track(
      (async () => {
        let plaintext = null;
        try {
          const answer = await net().attachment(href);
          if (answer.status < 200 || answer.status > 299 || !answer.bytes) throw new Error("no attachment");
          plaintext = await seal.decryptWith([identity], answer.bytes);
          const blob = new Blob([plaintext], { type });
          const url = win.URL.createObjectURL(blob);
          const save = doc.createElement("a");
          save.href = url;
          save.setAttribute("download", name);
          save.hidden = true;
          (doc.body || link.parentNode).appendChild(save);
          save.click();
          save.remove();
          // The download reads the blob after the click returns: the URL is
          // revoked later (as FileSaver.js does), not at once.
          const later = typeof win.setTimeout === "function" ? win.setTimeout.bind(win) : setTimeout;
          later(() => win.URL.revokeObjectURL(url), 40000);
        } catch {
          link.textContent = failed;
        } finally {
          if (plaintext) plaintext.fill(0);
          busy = false;
        }
      })(),
    );
  });
}

/** The sealed reply on `form#reply-form` (see the head of this file). */
function installReplyForm(doc, win, { recipient, msgs, net, track, storage }) {
  const form = doc.querySelector("form#reply-form");
  if (!form || !recipient) return;
  const action = form.getAttribute("data-sealed-action");
  if (!action) return;
  const messageField = form.querySelector("#message");
  const fileInput = form.querySelector("input#attachment");
  const csrfInput = form.querySelector('input[name="csrf"]');
  const limits = replyLimits(form);
  // A reply kept in the tab while the page was shown in another language
  // (the server never saw it): back in the form of the same case, once.
  if (storage && messageField) {
    try {
      const draft = JSON.parse(storage.getItem(DRAFT_KEY) || "null");
      storage.removeItem(DRAFT_KEY);
      if (draft && draft.recipient === recipient && typeof draft.text === "string" && messageField.value === "") {
        messageField.value = draft.text;
      }
    } catch {
      // Nothing kept.
    }
  }

  let busy = false;
  let plain = false;
  let notice = null;

  const setWorking = (working) => {
    busy = working;
    for (const button of submitButtons(form)) button.disabled = working;
    form.setAttribute("aria-busy", working ? "true" : "false");
  };

  const fieldOf = (name) => (name === "attachment" ? fileInput : name === "message" ? messageField : null);

  const clearProblems = () => {
    if (notice) notice.remove();
    notice = null;
    for (const name of ["message", "attachment"]) {
      const field = fieldOf(name);
      if (field) clearFieldError(doc, field, `${name}-error`);
    }
  };

  /** A problem not of one field: a notice at the top of the form, read out at once. */
  const showNotice = (message) => {
    notice = doc.createElement("p");
    notice.className = "notice error";
    notice.id = "reply-notice";
    notice.setAttribute("role", "alert");
    notice.tabIndex = -1;
    notice.textContent = message;
    form.insertBefore(notice, form.firstChild);
    notice.focus();
  };

  const showProblem = (field, message) => {
    const target = fieldOf(field) || messageField;
    if (target) showFieldError(doc, target, `${target === fileInput ? "attachment" : "message"}-error`, message);
    else showNotice(message);
  };

  const sendPlain = () => {
    plain = true;
    setWorking(false);
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else if (typeof form.submit === "function") {
      form.submit();
    }
  };

  const mayHaveArrived = () => {
    setWorking(false);
    showNotice(msgs.may_have_arrived || msgs.failed || "");
  };

  const run = async (text, files) => {
    clearProblems();
    setWorking(true);
    let body;
    try {
      body = await sealReply({
        recipient,
        csrf: csrfInput ? csrfInput.value : "",
        text,
        files,
        maxNameChars: limits.maxNameChars,
      });
    } catch {
      // Nothing was sent: the server seals it.
      sendPlain();
      return;
    }
    let answer;
    try {
      answer = await net().reply(action, body);
    } catch (err) {
      if (err instanceof NetworkError) mayHaveArrived();
      else sendPlain();
      return;
    }
    const reply = replyAnswer(answer.text);
    if (answer.status >= 200 && answer.status <= 299) {
      win.location.assign(samePath(reply.location));
      return;
    }
    // A full disk stored nothing, and the server says so.
    if (answer.status === 507 && reply.message) {
      setWorking(false);
      showProblem(reply.field, reply.message);
      return;
    }
    // A server error may come after the reply was stored: never sent again.
    if (answer.status >= 500 || answer.status < 100) {
      mayHaveArrived();
      return;
    }
    if (SHOWN.has(reply.code) && reply.message) {
      setWorking(false);
      showProblem(reply.field, reply.message);
      return;
    }
    // `session_ended` (the server keeps the plain reply and asks for the
    // code), `invalid_ciphertext`, or a refusal the page cannot read.
    sendPlain();
  };

  onFormSubmit(win, form, { isPlain: () => plain, isBusy: () => busy }, (event) => {
    // A language button shows the page again from the server: the reply
    // waits in the tab instead of going with it (files are chosen again,
    // as after any new page).
    if (isLanguageSubmitter(event.submitter)) {
      if (storage && messageField && messageField.value !== "") {
        try {
          storage.setItem(DRAFT_KEY, JSON.stringify({ recipient, text: messageField.value }));
          messageField.value = "";
        } catch {
          // Kept nowhere: it goes to be shown again, as without the script.
        }
      }
      return;
    }
    const text = replyText(messageField ? messageField.value : "");
    const files = fileInput && fileInput.files ? Array.from(fileInput.files) : [];
    // Nothing to send, or over a limit: the plain post, for the server to
    // say so in the reporter's language.
    if (replyPlainReason({ text, files }, limits)) return;
    stopSubmit(event);
    track(run(text, files));
  });
}
