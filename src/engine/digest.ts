// Hashes of plain data: metric definitions (their state is stored under the hash) and the
// config's fingerprint (a snapshot taken under the same config is resumed).

import { toJson } from '../shared/util';

/** cyrb53: a fast 53-bit hash, fed piece by piece (hashing the pieces equals hashing their concatenation). */
class Cyrb53 {
  private h1 = 0xdeadbeef;
  private h2 = 0x41c6ce57;
  feed(text: string): void {
    let { h1, h2 } = this;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    this.h1 = h1;
    this.h2 = h2;
  }
  /** One code (a marker or a length) as if it were a character. */
  mix(code: number): void {
    this.h1 = Math.imul(this.h1 ^ code, 2654435761);
    this.h2 = Math.imul(this.h2 ^ code, 1597334677);
  }
  done(): string {
    let { h1, h2 } = this;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
  }
}

/**
 * The hash of plain data's JSON text with sorted keys (key order in the config does not change
 * it), fed piece by piece as the text would read: the same hash, without building the text.
 */
export function canonicalHash(value: unknown): string {
  const h = new Cyrb53();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      h.feed('[');
      for (let i = 0; i < v.length; i++) {
        if (i) h.feed(',');
        if (i in v) walk(v[i]); // a hole is left empty, as join() leaves it
      }
      h.feed(']');
    } else if (typeof v === 'object' && v !== null) {
      const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
      h.feed('{');
      for (let i = 0; i < keys.length; i++) {
        if (i) h.feed(',');
        h.feed(JSON.stringify(keys[i]));
        h.feed(':');
        walk((v as Record<string, unknown>)[keys[i]!]);
      }
      h.feed('}');
    } else h.feed(toJson(v));
  };
  walk(value);
  return h.done();
}

/** Markers fed between the pieces of a value: above every UTF-16 code unit, so no text feeds them. */
const enum Mark { Str = 0x10000, Num, True, False, Nil, Arr, ArrEnd, Obj, ObjEnd }

/**
 * A hash of plain data, walked in place: no JSON text is built, so a config of thousands of
 * segments hashes in about a millisecond. Strings are length-prefixed and structure is marked
 * with codes no text has, so no two values feed the same pieces.
 */
export function digest(value: unknown): string {
  const h = new Cyrb53();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      h.mix(Mark.Str);
      h.mix(v.length);
      h.feed(v);
    } else if (typeof v === 'number') {
      h.mix(Mark.Num);
      h.feed(String(v));
    } else if (typeof v === 'boolean') h.mix(v ? Mark.True : Mark.False);
    else if (Array.isArray(v)) {
      h.mix(Mark.Arr);
      for (const x of v) walk(x);
      h.mix(Mark.ArrEnd);
    } else if (typeof v === 'object' && v !== null) {
      h.mix(Mark.Obj);
      for (const k of Object.keys(v)) {
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined) continue;
        walk(k);
        walk(x);
      }
      h.mix(Mark.ObjEnd);
    } else h.mix(Mark.Nil);
  };
  walk(value);
  return h.done();
}
