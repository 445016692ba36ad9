// Dotted paths the MongoDB way: "items.price" reads every item's price.
import { ConditionError, Fanout, hasOwn, isDocument, type Resolved } from './values';

/** Paths a config names again and again ("metrics.orders" in many segments): each is split once. */
const SEGMENTS = new Map<string, string[]>();
const MAX_SEGMENTS = 1024;

/**
 * A dotted path's steps. The arrays are shared between the clauses that read the same path, so
 * nothing may change them.
 */
export function pathSegments(path: string, at: string): string[] {
  let segs = SEGMENTS.get(path);
  if (segs !== undefined) return segs;
  segs = path.split('.');
  for (let i = 0; i < segs.length; i++) {
    if (segs[i] === '' || segs[i] === '__proto__') throw new ConditionError(at, `bad path "${path}"`);
  }
  if (SEGMENTS.size >= MAX_SEGMENTS) SEGMENTS.clear();
  SEGMENTS.set(path, segs);
  return segs;
}

export function compilePath(path: string, at = path): (doc: unknown) => Resolved {
  const segs = pathSegments(path, at);
  if (segs.length === 1) {
    const key = segs[0]!;
    return (doc) => {
      if (typeof doc !== 'object' || doc === null) return undefined;
      if (Array.isArray(doc)) return resolve(doc, segs, 0);
      const v = ownValue(doc, key);
      return typeof v === 'function' ? undefined : v;
    };
  }
  return (doc) => resolve(doc, segs, 0);
}

const INDEX = /^\d+$/;
/** Only a document's own data: "__proto__" or "constructor" in a path never reaches a prototype. */
const ownValue = (doc: object, key: string): unknown => (hasOwn.call(doc, key) ? (doc as Record<string, unknown>)[key] : undefined);

export function resolve(doc: unknown, segs: string[], from: number): Resolved {
  let cur = doc;
  for (let i = from; i < segs.length; i++) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    const seg = segs[i]!;
    if (Array.isArray(cur) && !INDEX.test(seg)) {
      // MongoDB: a field name crosses one array level. An element that is not a document (a
      // scalar, null, a nested array) has the field missing, and so does an empty array: so
      // {"a.b": null} matches {a: []} and {a: [1, "x"]}, and {"a.b": {$ne: null}} does not.
      if (cur.length === 0) return new Fanout([undefined]);
      const out: unknown[] = [];
      for (const el of cur) {
        if (!isDocument(el)) {
          out.push(undefined);
          continue;
        }
        const v = resolve(el, segs, i);
        if (v instanceof Fanout) out.push(...v.values);
        else out.push(v);
      }
      return new Fanout(out);
    }
    const next = ownValue(cur, seg);
    // Inherited methods ("constructor", "toString") are not data.
    cur = typeof next === 'function' ? undefined : next;
  }
  return cur;
}

/** The plain value(s) a path reached, for explanations and metric fields. */
export function resolvedValues(r: Resolved): unknown[] {
  return r instanceof Fanout ? r.values : [r];
}


/**
 * A path's value: a plain top-level function, so the JIT can inline it into every clause. Each own
 * value is read once (a getter runs once).
 */
export function readPath(doc: unknown, segs: string[]): Resolved {
  let cur = doc;
  for (let i = 0; i < segs.length; i++) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    if (Array.isArray(cur)) return resolve(cur, segs, i);
    // ownValue, inline: this runs in every clause's first evaluation.
    cur = hasOwn.call(cur, segs[i]!) ? (cur as Record<string, unknown>)[segs[i]!] : undefined;
  }
  return typeof cur === 'function' ? undefined : cur;
}


/** The object that held the value `peek` last read without checks; undefined after an exact read. */
let holder: object | undefined;

/**
 * A fast clause's read of its field. On a path of one or two steps through documents it reads
 * without the own-data checks, which cost as much as the reads: an inherited value stands in for
 * a missing one, and a missing value passes no test that uses this read, so only a pass needs
 * the check (`owns`). Other paths (longer ones, or through arrays) are read exactly.
 */
export function peek(doc: unknown, segs: string[]): Resolved {
  holder = undefined;
  if (typeof doc !== 'object' || doc === null || segs.length > 2 || Array.isArray(doc)) return readPath(doc, segs);
  let v = (doc as Record<string, unknown>)[segs[0]!];
  if (segs.length === 2) {
    if (typeof v !== 'object' || v === null) return undefined;
    if (Array.isArray(v)) return hasOwn.call(doc, segs[0]!) ? resolve(v, segs, 1) : undefined;
    holder = v;
    v = (v as Record<string, unknown>)[segs[1]!];
  } else holder = doc;
  return typeof v === 'function' ? undefined : v;
}

/** Whether the value `peek` just read is the document's own data: asked before any other path is read. */
export function owns(doc: unknown, segs: string[]): boolean {
  const h = holder;
  return h === undefined || (hasOwn.call(h, segs[segs.length - 1]!) && (segs.length === 1 || hasOwn.call(doc, segs[0]!)));
}
