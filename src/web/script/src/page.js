// Small page helpers shared by the follow-up login (followup.js) and the
// case page (case.js): messages carried in data attributes, a field's error
// in the server's own pattern, and the tab's session storage.
//
// A field's error is shown as templates/reporter/*.html render one: a
// `span.error` with id `<field>-error` just before the field, the field
// `aria-invalid="true"` and described by the span (after its hint), and,
// where the server rendered an error summary above the form, the summary
// naming the same message (a link to the field). Only `textContent` is ever
// set: messages are text, never markup.

/** The JSON object in attribute `name` of `el`, or null if missing or unreadable. */
export function jsonAttribute(el, name) {
  const text = el ? el.getAttribute(name) : null;
  if (!text) return null;
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/** `template` with every `{name}` replaced by `values[name]` (names not given are kept). */
export function fill(template, values = {}) {
  return String(template ?? "").replace(/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole,
  );
}

/**
 * The tab's `sessionStorage`, or null where the browser withholds it (it
 * may throw on mere access, with storage turned off), or, if `writable`,
 * refuses writes.
 */
export function sessionStorageOf(win, { writable = false } = {}) {
  try {
    const storage = win.sessionStorage;
    if (!storage || typeof storage.getItem !== "function") return null;
    // Reading proves it can be read (a disabled storage throws on any
    // call); where something is to be kept, writing proves it can be
    // written (a full storage, or one a private window refuses, throws
    // then; a case page without its key could show nothing).
    storage.getItem("varsel.probe");
    if (writable) {
      storage.setItem("varsel.probe", "1");
      storage.removeItem("varsel.probe");
    }
    return storage;
  } catch {
    return null;
  }
}

function describedBy(field) {
  return (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
}

/**
 * Shows `message` as `field`'s error (span `#<id>`, created just before the
 * field if the page has none), marks the field invalid and described by it,
 * updates the page's error summary if there is one, and moves the focus to
 * the field, so a screen reader reads the label, the hint and the error.
 */
export function showFieldError(doc, field, id, message) {
  let span = doc.getElementById(id);
  if (!span) {
    span = doc.createElement("span");
    span.className = "error";
    span.id = id;
    field.parentNode.insertBefore(span, field);
  }
  span.textContent = message;
  field.setAttribute("aria-invalid", "true");
  const ids = describedBy(field);
  if (!ids.includes(id)) ids.push(id);
  field.setAttribute("aria-describedby", ids.join(" "));
  // A summary the server rendered (after a plain post) names an older
  // problem: it names this one instead, linked to the field.
  const fieldId = field.id;
  for (const summary of doc.querySelectorAll(".error-summary")) {
    const list = summary.querySelector("ul");
    if (!list || !fieldId) {
      summary.remove();
      continue;
    }
    const item = doc.createElement("li");
    const link = doc.createElement("a");
    link.className = "error";
    link.href = `#${fieldId}`;
    link.textContent = message;
    item.appendChild(link);
    list.replaceChildren(item);
  }
  if (typeof field.focus === "function") field.focus();
}

/** Takes the error `#<id>` off `field` again (the span, `aria-invalid`, the description). */
export function clearFieldError(doc, field, id) {
  const span = doc.getElementById(id);
  if (span) span.remove();
  field.removeAttribute("aria-invalid");
  const ids = describedBy(field).filter((other) => other !== id);
  if (ids.length > 0) field.setAttribute("aria-describedby", ids.join(" "));
  else field.removeAttribute("aria-describedby");
}

/** The form's submit buttons (the header's language buttons, `form="<id>"`, included). */
export function submitButtons(form) {
  return Array.from(form.elements || []).filter((el) => el.type === "submit" && typeof el.disabled === "boolean");
}

/**
 * A proof-of-work challenge from `path` (`GET /api/v1/pow/challenge?…`):
 * `{challenge, difficulty, …}`, or null if there is none to be had (the
 * request then goes in the no-proof lane).
 */
export async function fetchChallenge(path, headers = {}) {
  try {
    const response = await fetch(path, {
      headers: { ...headers, Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    });
    if (!response.ok) return null;
    const answer = await response.json();
    return typeof answer.challenge === "string" ? answer : null;
  } catch {
    return null;
  }
}

/**
 * Calls `handle(event)` for each submit of `form` the script may take:
 * registered on the window in the capture phase, so it runs before any
 * listener on the document or the form (templates/pow.js listens on the
 * form), whatever order the scripts loaded in. Once `isPlain()` the form
 * posts as plain HTML; while `isBusy()` a submit is swallowed.
 */
export function onFormSubmit(win, form, { isPlain, isBusy }, handle) {
  win.addEventListener(
    "submit",
    (event) => {
      if (event.target !== form) return;
      if (isPlain()) return;
      if (isBusy()) {
        stopSubmit(event);
        return;
      }
      handle(event);
    },
    true,
  );
}

/** Keeps a submit from posting and from reaching any other listener. */
export function stopSubmit(event) {
  event.preventDefault();
  event.stopImmediatePropagation();
}
