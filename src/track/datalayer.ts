import { isArguments, isPlainObject } from '../shared/util';
import { recordedReferrer, recordedUrl } from './url';
import { ownGlobal } from '../shared/page';

export type Sink = (type: string, props: Record<string, unknown>) => void;

/** GA4 parameters that hold the page's address or referrer: recorded like the SDK's own. */
const URL_PARAMS = new Set(['page_location', 'page_referrer']);

// gtag's page_view duplicates our own automatic page events; GTM's own lifecycle events are not the visitor's.
const IGNORED = /^(gtm\.|page_view$|microseg)/;

/**
 * Reads a GA4 / Google Tag Manager dataLayer: the entries already there (once) and every later
 * push, in both shapes — GTM objects (`{event, ecommerce}`, with `{ecommerce: null}` resets) and
 * gtag's `arguments` (`['event', name, params]`). Returns a function that stops listening.
 */
export function ingestDataLayer(name: string, sink: Sink, onError: (err: unknown) => void, siteKeys?: ReadonlySet<string>): () => void {
  const clean = (props: Record<string, unknown>): Record<string, unknown> => {
    for (const key of URL_PARAMS) {
      const v = props[key];
      if (typeof v === 'string') props[key] = key === 'page_referrer' ? recordedReferrer(v) : recordedUrl(v, siteKeys);
    }
    return props;
  };
  const w = globalThis as unknown as Record<string, unknown>;
  // An element named like the layer (<div id="dataLayer">) is not the site's layer.
  let layer = ownGlobal(name) as { push?: unknown } | unknown[] | undefined | null;
  if (layer === undefined || layer === null) w[name] = layer = [];
  // A site's own layer object keeps its push: it is wrapped, never replaced.
  if (typeof layer !== 'object' || typeof layer.push !== 'function') {
    onError(new Error(`window.${name} is neither an array nor an object with push(); microseg reads nothing from it and leaves it alone`));
    return () => {};
  }

  // GTM keeps `ecommerce` in its data model until a push resets it; a later event without its
  // own ecommerce object still refers to the last one.
  let ecommerce: Record<string, unknown> | null = null;

  const read = (entry: unknown): void => {
    try {
      if (isArguments(entry) || Array.isArray(entry)) {
        const args = Array.prototype.slice.call(entry) as unknown[];
        if (args[0] === 'event' && typeof args[1] === 'string' && !IGNORED.test(args[1])) {
          const params = isPlainObject(args[2]) ? args[2] : {};
          sink(args[1], clean({ ...params }));
        }
        return;
      }
      if (!isPlainObject(entry)) return;
      if ('ecommerce' in entry) ecommerce = isPlainObject(entry.ecommerce) ? entry.ecommerce : null;
      const event = entry.event;
      if (typeof event !== 'string' || IGNORED.test(event)) return;
      const props: Record<string, unknown> = {};
      for (const key of Object.keys(entry)) {
        if (key !== 'event' && key !== 'ecommerce' && !key.startsWith('gtm.')) props[key] = entry[key];
      }
      sink(event, clean(ecommerce ? { ...props, ...ecommerce } : props));
    } catch (err) {
      onError(err);
    }
  };

  if (Array.isArray(layer)) for (const entry of layer.slice()) read(entry);

  const target = layer as { push: (...entries: unknown[]) => unknown };
  const original = target.push;
  const ownPush = Object.prototype.hasOwnProperty.call(target, 'push');
  const push = function (this: unknown, ...entries: unknown[]): unknown {
    // The site's (or GTM's) push runs first and its result is what the caller gets.
    const result = original.apply(this, entries);
    for (const entry of entries) read(entry);
    return result;
  };
  target.push = push;

  return () => {
    if (target.push !== push) return;
    if (ownPush) target.push = original;
    else delete (target as { push?: unknown }).push; // an inherited push (a class instance) shows again
  };
}
