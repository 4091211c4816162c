// Shared by the page tests (report-page, followup, case): a small fake DOM,
// just what the scripts touch: elements with attributes, children and
// text; compound selectors (tag, #id, .class, [attr], [attr="value"],
// :checked) joined by the descendant combinator; events as listener lists.
// And a fake window, session storage and submit events.

export class Node {
  constructor(doc) {
    this.ownerDocument = doc;
    this.parentNode = null;
    this.childNodes = [];
    this.listeners = new Map();
  }
  _adopt(nodes) {
    const out = [];
    for (const n of nodes) {
      if (n instanceof Fragment) out.push(...n._adopt(n.childNodes.splice(0)));
      else if (typeof n === "string") out.push(new Text(this.ownerDocument, n));
      else out.push(n);
    }
    for (const n of out) {
      if (n.parentNode) n.remove();
      n.parentNode = this;
    }
    return out;
  }
  append(...nodes) {
    this.childNodes.push(...this._adopt(nodes));
  }
  appendChild(node) {
    this.append(node);
    return node;
  }
  insertBefore(node, ref) {
    const adopted = this._adopt([node]);
    this.childNodes.splice(this.childNodes.indexOf(ref), 0, ...adopted);
    return node;
  }
  replaceChildren(...nodes) {
    for (const n of this.childNodes) n.parentNode = null;
    this.childNodes = [];
    this.append(...nodes);
  }
  remove() {
    if (!this.parentNode) return;
    const siblings = this.parentNode.childNodes;
    siblings.splice(siblings.indexOf(this), 1);
    this.parentNode = null;
  }
  get textContent() {
    return this.childNodes.map((n) => n.textContent).join("");
  }
  set textContent(text) {
    this.replaceChildren(...(text === "" ? [] : [String(text)]));
  }
  *descendants() {
    for (const n of this.childNodes) {
      if (n instanceof Element) {
        yield n;
        yield* n.descendants();
      }
    }
  }
  querySelectorAll(selector) {
    const match = compile(selector);
    return [...this.descendants()].filter(match);
  }
  querySelector(selector) {
    return this.querySelectorAll(selector)[0] ?? null;
  }
  contains(node) {
    for (let n = node; n; n = n.parentNode) if (n === this) return true;
    return false;
  }
  addEventListener(type, fn, options) {
    const capture = options === true || (options && options.capture) || false;
    if (!this.listeners.has(type)) this.listeners.set(type, []);
    this.listeners.get(type).push({ fn, capture });
  }
  removeEventListener(type, fn) {
    const list = this.listeners.get(type) || [];
    this.listeners.set(
      type,
      list.filter((l) => l.fn !== fn),
    );
  }
  listenersOf(type) {
    return (this.listeners.get(type) || []).map((l) => l.fn);
  }
}

export class Text extends Node {
  constructor(doc, text) {
    super(doc);
    this.text = text;
  }
  get textContent() {
    return this.text;
  }
  cloneNode() {
    return new Text(this.ownerDocument, this.text);
  }
}

export class Fragment extends Node {
  cloneNode() {
    const copy = new Fragment(this.ownerDocument);
    copy.append(...this.childNodes.map((n) => n.cloneNode(true)));
    return copy;
  }
}

export const PROPS = ["value", "checked", "disabled", "files", "tabIndex"];

export class Element extends Node {
  constructor(doc, tag) {
    super(doc);
    this.tagName = tag.toUpperCase();
    this.attributes = new Map();
    this.value = "";
    this.checked = false;
    this.disabled = false;
    this.files = null;
    this.tabIndex = -1;
    this.hidden = false;
    if (tag === "template") this.content = new Fragment(doc);
  }
  get id() {
    return this.getAttribute("id") ?? "";
  }
  set id(v) {
    this.setAttribute("id", v);
  }
  get className() {
    return this.getAttribute("class") ?? "";
  }
  set className(v) {
    this.setAttribute("class", v);
  }
  get name() {
    return this.getAttribute("name") ?? "";
  }
  get type() {
    return this.getAttribute("type") ?? (this.tagName === "BUTTON" ? "submit" : "text");
  }
  set href(v) {
    this.setAttribute("href", v);
  }
  get href() {
    return this.getAttribute("href");
  }
  getAttribute(name) {
    return this.attributes.has(name) ? this.attributes.get(name) : null;
  }
  setAttribute(name, value) {
    if (name === "hidden") this.hidden = true;
    else this.attributes.set(name, String(value));
  }
  hasAttribute(name) {
    return name === "hidden" ? this.hidden : this.attributes.has(name);
  }
  removeAttribute(name) {
    if (name === "hidden") this.hidden = false;
    else this.attributes.delete(name);
  }
  get children() {
    return this.childNodes.filter((n) => n instanceof Element);
  }
  get firstChild() {
    return this.childNodes[0] ?? null;
  }
  get previousElementSibling() {
    if (!this.parentNode) return null;
    const siblings = this.parentNode.childNodes;
    for (let i = siblings.indexOf(this) - 1; i >= 0; i--) if (siblings[i] instanceof Element) return siblings[i];
    return null;
  }
  /** A click from a script: recorded on the document (a download link), and its listeners called. */
  click() {
    this.ownerDocument.clicked.push({ element: this, attached: this.ownerDocument.contains(this) });
    const event = { type: "click", target: this, defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
    for (const fn of this.listenersOf("click")) fn(event);
    return event;
  }
  closest(selector) {
    const match = compile(selector);
    for (let n = this; n instanceof Element; n = n.parentNode) if (match(n)) return n;
    return null;
  }
  focus() {
    this.ownerDocument.activeElement = this;
  }
  cloneNode(deep) {
    const copy = new Element(this.ownerDocument, this.tagName.toLowerCase());
    for (const [k, v] of this.attributes) copy.attributes.set(k, v);
    for (const p of PROPS) copy[p] = this[p];
    copy.hidden = this.hidden;
    if (deep) copy.append(...this.childNodes.map((n) => n.cloneNode(true)));
    return copy;
  }
  /** Form controls: descendants, and elements elsewhere with form="<id>". */
  get elements() {
    const controls = (el) => ["INPUT", "BUTTON", "SELECT", "TEXTAREA"].includes(el.tagName);
    const inside = [...this.descendants()].filter(controls);
    const outside = [...this.ownerDocument.descendants()].filter((el) => controls(el) && el.getAttribute("form") === this.id);
    return [...inside, ...outside.filter((el) => !inside.includes(el))];
  }
}

/** A selector of compound parts joined by the descendant combinator. */
export function compile(selector) {
  const parts = selector.trim().split(/\s+/).map(compound);
  return (el) => {
    if (!parts.at(-1)(el)) return false;
    let i = parts.length - 2;
    for (let n = el.parentNode; n instanceof Element && i >= 0; n = n.parentNode) if (parts[i](n)) i--;
    return i < 0;
  };
}

export function compound(selector) {
  const re = /([a-z][a-z0-9]*)|#([\w-]+)|\.([\w-]+)|\[([\w-]+)(?:="([^"]*)")?\]|(:checked)/gy;
  const tests = [];
  let m;
  while (re.lastIndex < selector.length && (m = re.exec(selector))) {
    const [, tag, id, cls, attr, value, checked] = m;
    if (tag) tests.push((el) => el.tagName === tag.toUpperCase());
    else if (id) tests.push((el) => el.id === id);
    else if (cls) tests.push((el) => el.className.split(/\s+/).includes(cls));
    else if (attr) tests.push((el) => (value === undefined ? el.hasAttribute(attr) : el.getAttribute(attr) === value));
    else if (checked) tests.push((el) => el.checked);
  }
  if (re.lastIndex !== selector.length) throw new Error(`the fake DOM cannot read ${selector}`);
  return (el) => tests.every((t) => t(el));
}

export class Document extends Node {
  constructor(title = "Send en rapport – Varsel") {
    super(null);
    this.ownerDocument = this;
    this.activeElement = null;
    this.title = title;
    this.readyState = "complete";
    /** Elements clicked by a script (`Element.click`). */
    this.clicked = [];
    this.documentElement = this.createElement("html");
    this.documentElement.setAttribute("lang", "nb");
    this.append(this.documentElement);
  }
  createElement(tag) {
    return new Element(this, tag);
  }
  getElementById(id) {
    return this.querySelector(`#${id}`);
  }
  get body() {
    return this.querySelector("body");
  }
}

/** `h("p#id.class", {attr: value, prop: value}, ...children)`. */
export function builder(doc) {
  return function h(spec, attrs = {}, ...children) {
    const [, tag, id] = /^([a-z0-9]+)(?:#([\w-]+))?/.exec(spec);
    const el = doc.createElement(tag);
    if (id) el.id = id;
    for (const [k, v] of Object.entries(attrs)) {
      if (PROPS.includes(k)) el[k] = v;
      else if (k === "hidden") el.hidden = v;
      else el.setAttribute(k, v);
    }
    el.append(...children);
    return el;
  };
}


/** Fires a submit event as a browser would, through the window's capture listeners first. */
export function submit({ win, form }, submitter = form.querySelector("button")) {
  const event = {
    type: "submit",
    target: form,
    submitter,
    defaultPrevented: false,
    stopped: false,
    preventDefault() {
      this.defaultPrevented = true;
    },
    stopImmediatePropagation() {
      this.stopped = true;
    },
  };
  for (const fn of win.listenersOf("submit")) {
    fn(event);
    if (event.stopped) break;
  }
  return event;
}

/**
 * `sessionStorage` in memory; `broken` makes every call throw, as a browser
 * that withholds storage; `full` makes writes throw, as a full one.
 */
export class FakeStorage {
  constructor({ broken = false, full = false } = {}) {
    this.items = new Map();
    this.broken = broken;
    this.full = full;
  }
  #check() {
    if (this.broken) throw new Error("SecurityError: storage is disabled");
  }
  getItem(key) {
    this.#check();
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    this.#check();
    if (this.full) throw new Error("QuotaExceededError: storage is full");
    this.items.set(key, String(value));
  }
  removeItem(key) {
    this.#check();
    this.items.delete(key);
  }
}

/**
 * A window: listeners, `location.assign` (recorded), `sessionStorage`,
 * `URL.createObjectURL`/`revokeObjectURL` (recorded, the blobs kept) and a
 * `setTimeout` that runs at once.
 */
export function fakeWindow(doc, { storage = new FakeStorage() } = {}) {
  const win = new Node(doc);
  win.location = { assigned: [], assign(url) { this.assigned.push(url); } };
  win.sessionStorage = storage;
  const urls = { made: new Map(), revoked: [] };
  win.urls = urls;
  win.URL = {
    createObjectURL(blob) {
      const url = `blob:fake/${urls.made.size + 1}`;
      urls.made.set(url, blob);
      return url;
    },
    revokeObjectURL(url) {
      urls.revoked.push(url);
    },
  };
  win.setTimeout = (fn) => {
    fn();
    return 0;
  };
  return win;
}

/** Concatenated bytes of a FormData's values (strings as UTF-8), to search for plaintext. */
export async function bodyBytes(form) {
  const chunks = [];
  for (const [, value] of form.entries()) {
    chunks.push(typeof value === "string" ? new TextEncoder().encode(value) : new Uint8Array(await value.arrayBuffer()));
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** True if `needle` (a string, as UTF-8) occurs in `bytes`. */
export function contains(bytes, needle) {
  const n = new TextEncoder().encode(needle);
  outer: for (let i = 0; i + n.length <= bytes.length; i++) {
    for (let j = 0; j < n.length; j++) if (bytes[i + j] !== n[j]) continue outer;
    return true;
  }
  return false;
}
