// A page that defines `then` on a prototype every object inherits (Object.prototype.then, or on
// Array, Function, EventTarget, Response…) makes every promise that carries an object — an
// IndexedDB record, a fetch Response, a CryptoKey — call the page's function instead of
// settling. The SDK cannot store, fetch or verify anything there without hanging, so it does not
// start: one `error` event and one console warning, `ready` resolves, every method is a harmless
// no-op and the page keeps its default content.
import type { Microseg } from './microseg';
import type { Decision } from '../decide/decide';
import type { Profile } from './types';
import type { Emitter } from './emitter';
import type { Reporter } from './errors';
import { newProfile, pageContext } from '../track';

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

export function inertMicroseg(emitter: Emitter, report: Reporter, where: string): Microseg {
  const ready = new Promise<void>((resolve) =>
    // After a microtask, so that handlers attached right after createMicroseg() hear it.
    queueMicrotask(() => {
      report({ code: 'hostile-page', message: `the page defines ${where}.then, which would keep every promise carrying an object from settling; microseg does not start on this page` });
      emitter.emit('ready');
      resolve();
    }),
  );
  const profile: Profile = newProfile(Date.now(), pageContext());
  const none = () => {};
  const done = () => Promise.resolve();
  return {
    ready,
    track: none, page: none, identify: none, label: none, unlabel: none,
    labels: () => [],
    profile: () => profile,
    segments: () => [],
    explain: () => undefined,
    config: () => undefined,
    decide: (slot: string): Decision => ({ slot, control: false, reason: { considered: [] } }),
    suppressedOffers: () => [],
    render: none,
    consent: none,
    forget: done,
    on: (type, handler) => emitter.on(type, handler),
    flush: done,
    storage: () => 'memory',
    preview: done,
    endPreview: none,
    destroy: none,
  };
}
