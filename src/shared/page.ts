// Reading the host page so that its markup cannot answer instead (DOM clobbering): a named
// element (`<img name="currentScript">`, `<form name="head">`) shadows any property of `document`,
// and an element with an id shadows every window global nobody has defined yet. Properties of
// the document are read through Document.prototype; a global counts only as the window's own
// property, and never when it is an element.

type Doc = Document;

/** Accessors found per document prototype: the first one read stays (a later redefinition is the page's). */
const accessors = new WeakMap<object, Map<keyof Doc, PropertyDescriptor | undefined>>();

/** The accessor the document's prototype chain defines for `key`: a named element shadows only the instance. */
function accessor(doc: Doc, key: keyof Doc): PropertyDescriptor | undefined {
  const first = Object.getPrototypeOf(doc) as object | null;
  if (!first) return undefined;
  let known = accessors.get(first);
  if (!known) accessors.set(first, (known = new Map()));
  if (known.has(key)) return known.get(key);
  let found: PropertyDescriptor | undefined;
  for (let proto: object | null = first; proto && !found; proto = Object.getPrototypeOf(proto)) {
    const own = Object.getOwnPropertyDescriptor(proto, key);
    if (own?.get) found = own;
  }
  known.set(key, found);
  return found;
}

function getter<K extends keyof Doc>(doc: Doc, key: K): Doc[K] | undefined {
  return accessor(doc, key)?.get!.call(doc) as Doc[K] | undefined;
}

/** The script element running now, if it really is one. */
export function runningScript(doc: Doc | undefined = globalThis.document): HTMLScriptElement | undefined {
  const el = doc && getter(doc, 'currentScript');
  return typeof HTMLScriptElement === 'function' && el instanceof HTMLScriptElement ? el : undefined;
}

/** Where the SDK appends what it adds to the page (styles, scripts). */
export function pageHead(doc: Doc): Element | undefined {
  return getter(doc, 'head') ?? getter(doc, 'documentElement') ?? undefined;
}

export function createElement<K extends keyof HTMLElementTagNameMap>(doc: Doc, tag: K): HTMLElementTagNameMap[K] {
  return Document.prototype.createElement.call(doc, tag) as HTMLElementTagNameMap[K];
}

export function querySelector<E extends Element>(doc: Doc, selector: string): E | null {
  return Document.prototype.querySelector.call(doc, selector) as E | null;
}

/** root.querySelectorAll(selector); a document's own method is read through Document.prototype. */
export function queryAll<E extends Element = Element>(root: ParentNode, selector: string): E[] {
  const native = typeof Document === 'function' && root instanceof Document ? Document.prototype.querySelectorAll : root.querySelectorAll;
  return typeof native === 'function' ? Array.from(native.call(root, selector) as NodeListOf<E>) : [];
}

/** The document's node factories, read through Document.prototype (`<img name="createElement">` cannot replace them). */
export function nodeFactory(doc: Doc) {
  const D = Document.prototype;
  return {
    text: (data: string) => D.createTextNode.call(doc, data),
    element: (tag: string, ns?: string) => (ns ? D.createElementNS.call(doc, ns, tag) : D.createElement.call(doc, tag)),
    fragment: () => D.createDocumentFragment.call(doc),
  };
}

/** window[name] when something defined it on the window itself, unless it is an element. */
export function ownGlobal(name: string): unknown {
  if (!Object.prototype.hasOwnProperty.call(globalThis, name)) return undefined;
  const value = (globalThis as Record<string, unknown>)[name];
  return typeof Node === 'function' && value instanceof Node ? undefined : value;
}

/**
 * Makes window[name] the window's own property that only `script` sets, while it runs: no element
 * answers for it, and neither a value the page put there before nor one another script sets counts.
 * Returns what the script handed over. Throws when the page holds the name unconfigurably.
 */
export function handoverGlobal(name: string, script: HTMLScriptElement): () => unknown {
  let value: unknown;
  Object.defineProperty(globalThis, name, {
    configurable: true,
    enumerable: false,
    get: () => value,
    set: (v: unknown) => {
      if (runningScript() === script) value = v;
    },
  });
  return () => value;
}

/** Whether the page is hidden now (`<img name="visibilityState">` cannot answer "visible"). */
export function pageHidden(doc: Doc | undefined = globalThis.document): boolean {
  if (!doc) return false;
  const own: unknown = doc.visibilityState; // an element answering here is not a state
  return (typeof own === 'string' ? own : getter(doc, 'visibilityState')) === 'hidden';
}

/**
 * doc.addEventListener through EventTarget.prototype (`<img name="addEventListener">` cannot make
 * it throw); returns the function that removes the listener.
 */
export function listen(doc: Doc | undefined, type: string, handler: (e: Event) => void, capture = false): () => void {
  if (!doc || typeof EventTarget !== 'function') return () => {};
  EventTarget.prototype.addEventListener.call(doc, type, handler, capture);
  return () => EventTarget.prototype.removeEventListener.call(doc, type, handler, capture);
}

/** The document's root element (`<img name="documentElement">` cannot stand in for it). */
export function rootElement(doc: Doc): HTMLElement | undefined {
  return getter(doc, 'documentElement') ?? undefined;
}

/** Adds a constructed stylesheet to the document through Document.prototype; returns its removal, or undefined where unsupported. */
export function adoptSheet(doc: Doc, sheet: CSSStyleSheet): (() => void) | undefined {
  const prop = accessor(doc, 'adoptedStyleSheets');
  if (!prop?.set) return undefined;
  const get = () => prop.get!.call(doc) as CSSStyleSheet[];
  prop.set.call(doc, [...get(), sheet]);
  return () => prop.set!.call(doc, get().filter((s) => s !== sheet));
}
