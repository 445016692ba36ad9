// Hashes of plain data: metric definitions (their state is stored under the hash) and the
// config's fingerprint (a snapshot taken under the same config is resumed).
//
// Both hash JSON text in one pass over one string. This runs at every start, in code the
// browser has not optimised yet: building the text natively (plainJson, unless the page gave
// the prototypes a toJSON) and one tight loop costs half of what walking the value and hashing
// it piece by piece did.

import { plainJson, toJson } from '../shared/util';

/** cyrb53: a fast 53-bit hash of a string. */
function cyrb53(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/** Plain data's JSON text with sorted keys (key order in the config does not change it). */
function canonicalText(v: unknown): string {
  if (Array.isArray(v)) {
    let text = '[';
    for (let i = 0; i < v.length; i++) {
      if (i) text += ',';
      if (i in v) text += canonicalText(v[i]); // a hole is left empty, as join() leaves it
    }
    return text + ']';
  }
  if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v).sort();
    let text = '{';
    for (let i = 0; i < keys.length; i++) {
      const x = (v as Record<string, unknown>)[keys[i]!];
      if (x === undefined) continue;
      if (text.length > 1) text += ',';
      text += JSON.stringify(keys[i]) + ':' + canonicalText(x);
    }
    return text + '}';
  }
  return toJson(v);
}

/**
 * Hashes by the JSON text of what was hashed: `known` are an earlier page's (the store keeps
 * them), `taken` collects the ones a config used. A start under a config seen before hashes
 * nothing: looking a text up is native work, hashing it runs in code not optimised yet.
 */
export interface Hashes {
  known: ReadonlyMap<string, string>;
  taken: Map<string, string>;
}

function remembered(hashes: Hashes | undefined, text: string, hash: () => string): string {
  const h = hashes?.known.get(text) ?? hash();
  hashes?.taken.set(text, h);
  return h;
}

/**
 * The hash of plain data's JSON text with sorted keys. Metric state is stored under it: its
 * values must never change from one version to the next. Remembered by the data's JSON text
 * (key order as given): config data is JSON, so equal texts have equal sorted texts.
 */
export const canonicalHash = (value: unknown, hashes?: Hashes): string =>
  // "s" sets these apart from digest()'s, which hash the same text another way: JSON text never starts with it.
  hashes ? remembered(hashes, `s${plainJson(value)}`, () => cyrb53(canonicalText(value))) : cyrb53(canonicalText(value));

/**
 * A hash of plain data (key order counts): equal data, equal hash. Only compared with a hash
 * this function made, so its values may change between versions (a snapshot is then rebuilt once).
 */
export function digest(value: unknown, hashes?: Hashes): string {
  const text = plainJson(value);
  return remembered(hashes, text, () => cyrb53(text));
}

/** Stored hashes as `known`: a map of strings to strings, or none (any version, or the page, may have written it). */
export function knownHashes(stored: unknown): Map<string, string> {
  const known = new Map<string, string>();
  if (stored instanceof Map) for (const [text, hash] of stored) if (typeof text === 'string' && typeof hash === 'string') known.set(text, hash);
  return known;
}
