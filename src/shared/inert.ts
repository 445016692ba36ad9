// A page that defines `then` on a prototype every object inherits (Object.prototype.then, or on
// Array, Function, EventTarget, Response…) makes every promise that carries an object — an
// IndexedDB record, a fetch Response, a CryptoKey — call the page's function instead of
// settling. The SDK cannot store, fetch or verify anything there without hanging, so it does not
// start: one `error` event and one console warning, `ready` resolves, every method is a harmless
// no-op and the page keeps its default content.
/** The prototype whose `then` the page defined, if any. */
export function hostileThen(): string | undefined {
  const samples: Array<[string, unknown]> = [
    ['Object.prototype', {}],
    ['Array.prototype', []],
    ['Function.prototype', () => {}],
    ['EventTarget.prototype', typeof EventTarget === 'function' ? EventTarget.prototype : undefined],
    ['Response.prototype', typeof Response === 'function' ? Response.prototype : undefined],
  ];
  for (const [name, sample] of samples) {
    try {
      if (sample && typeof (sample as { then?: unknown }).then === 'function') return name;
    } catch {
      return name; // a throwing getter is just as hostile
    }
  }
  return undefined;
}

/** A value a promise may be resolved with without calling anyone's `then`. */
export function settleable<T>(value: T): T | undefined {
  try {
    return typeof (value as { then?: unknown })?.then === 'function' ? undefined : value;
  } catch {
    return undefined;
  }
}
