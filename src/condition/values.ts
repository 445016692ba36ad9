// The values side of the condition language: how a tested value is read and compared, with
// no operator names (those live in operators.ts, the one table).
import { isPlainObject } from '../shared/util';

/** A MongoDB-style query over the evaluation context or an event's properties. */
export type Condition = { [pathOrOperator: string]: unknown };

/** A compiled condition. */
export type Matcher = (doc: unknown) => boolean;
export type Test = (value: unknown) => boolean;
export type ResolvedTest = (resolved: Resolved) => boolean;

/** A config error in a condition, with the JSON path of the offending part. */
export class ConditionError extends Error {
  readonly code = 'config-invalid';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(path ? `${path}: ${reason}` : reason);
    this.name = 'ConditionError';
  }
}

/** Several values reached through an array in the middle of a path ("items.price"). */
export class Fanout {
  constructor(readonly values: unknown[]) {}
}

/** A path's value in a document: the value itself, or a Fanout when the path crossed arrays. */
export type Resolved = unknown;

/** How deep a condition may nest (objects and arrays), as MongoDB limits documents to 100 levels. */
export const MAX_NESTING = 100;

/**
 * The keys down to the first node nested deeper than the limit, or undefined. The walk never
 * descends more than `limit` levels, so a hostile config cannot overflow the stack here, and
 * the recursive compilers never see one that could.
 */
export function tooDeep(root: unknown, limit = MAX_NESTING): (string | number)[] | undefined {
  if (typeof root !== 'object' || root === null || !nestsDeeper(root, 0, limit)) return undefined;
  const node = deepNode(root, 0, limit);
  return node === undefined ? undefined : pathTo(root, node, limit);
}

/** Own data only: a name a page put on a prototype is not a document's. */
export const hasOwn = Object.prototype.hasOwnProperty;

/** Whether any node sits `limit` levels down: the usual answer, no, found without allocating even keys. */
function nestsDeeper(node: object, depth: number, limit: number): boolean {
  if (depth >= limit) return true;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const v: unknown = node[i];
      if (typeof v === 'object' && v !== null && nestsDeeper(v, depth + 1, limit)) return true;
    }
    return false;
  }
  for (const k in node) {
    const v: unknown = (node as Record<string, unknown>)[k];
    if (typeof v === 'object' && v !== null && hasOwn.call(node, k) && nestsDeeper(v, depth + 1, limit)) return true;
  }
  return false;
}

/**
 * The first node `limit` levels down, children visited last first: the one the error names. It
 * allocates nothing but each object's keys (compile time is start-up time, and iterators and
 * tuples in cold code cost garbage collections).
 */
function deepNode(node: object, depth: number, limit: number): object | undefined {
  if (depth >= limit) return node;
  const keys = Array.isArray(node) ? undefined : Object.keys(node);
  const values = node as Record<string | number, unknown>;
  for (let i = (keys ?? (node as unknown[])).length - 1; i >= 0; i--) {
    const v = values[keys ? keys[i]! : i];
    // Leaves (most of a condition) are skipped here rather than in a call of their own.
    const deep = typeof v === 'object' && v !== null ? deepNode(v, depth + 1, limit) : undefined;
    if (deep !== undefined) return deep;
  }
  return undefined;
}

/** The keys from `root` down to `target`, found at most `depth` levels down (breadth first, iterative). */
function pathTo(root: unknown, target: unknown, depth: number): (string | number)[] {
  const queue: [unknown, (string | number)[]][] = [[root, []]];
  for (let i = 0; i < queue.length; i++) {
    const [node, keys] = queue[i]!;
    if (node === target) return keys;
    if (typeof node !== 'object' || node === null || keys.length >= depth) continue;
    if (Array.isArray(node)) node.forEach((v, j) => queue.push([v, [...keys, j]]));
    else for (const k of Object.keys(node)) queue.push([(node as Record<string, unknown>)[k], [...keys, k]]);
  }
  return [];
}

/** "segments[0].when" + ["$and", 0, "a"] → "segments[0].when.$and[0].a" (the compiler's path style). */
export const formatPath = (base: string, keys: (string | number)[]) =>
  keys.reduce<string>((at, k) => (typeof k === 'number' ? `${at}[${k}]` : join(at, k)), base);

/** A document (sub-)object: a plain object, not an array and not a Date (a value of its own type). */
export const isDocument = (v: unknown): v is Record<string, unknown> => isPlainObject(v) && !(v instanceof Date);
/** A document or an array: what a query can look inside (one test, asked per element). */
export const isQueryable = (v: unknown): v is object => typeof v === 'object' && v !== null && !(v instanceof Date);

export const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

export function allOf(list: Matcher[]): Matcher {
  if (list.length === 0) return () => true;
  if (list.length === 1) return list[0]!;
  if (list.length === 2) {
    // Indexed, not destructured: destructuring runs the iterator protocol, in cold code too.
    const a = list[0]!;
    const b = list[1]!;
    return (doc) => a(doc) && b(doc);
  }
  return (doc) => {
    for (let i = 0; i < list.length; i++) if (!list[i]!(doc)) return false;
    return true;
  };
}

export function anyOf(list: Matcher[]): Matcher {
  if (list.length === 1) return list[0]!;
  if (list.length === 2) {
    const a = list[0]!;
    const b = list[1]!;
    return (doc) => a(doc) || b(doc);
  }
  return (doc) => {
    for (let i = 0; i < list.length; i++) if (list[i]!(doc)) return true;
    return false;
  };
}

/** True when any value the path reached passes; `expand` also tries the elements of array values. */
export function some(test: Test, expand: boolean): ResolvedTest {
  const hit = expand
    ? (v: unknown) => {
        if (test(v)) return true;
        if (Array.isArray(v)) for (let i = 0; i < v.length; i++) if (test(v[i])) return true;
        return false;
      }
    : test;
  return (r) => {
    if (r instanceof Fanout) {
      const vs = r.values;
      for (let i = 0; i < vs.length; i++) if (hit(vs[i])) return true;
      return false;
    }
    return hit(r);
  };
}

export const not = (t: ResolvedTest): ResolvedTest => (r) => !t(r);

export function equals(x: unknown): Test {
  if (x === null || x === undefined) return (v) => v === null || v === undefined;
  if (typeof x !== 'object') return (v) => v === x;
  return (v) => deepEqual(v, x);
}

/** Dates equal by time; a Date never equals anything else (an ISO string included). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Patterns by their text: many conditions test the same few ("/handbags/"), each compiled once. */
const PATTERNS = new Map<string, RegExp | null>();
const MAX_PATTERNS = 256;

/**
 * The regular expression of a pattern without flags, or undefined when it is not one. Shared
 * between conditions: without the "g" or "y" flag a RegExp keeps no state between tests.
 */
export function patternOf(source: string): RegExp | undefined {
  let re = PATTERNS.get(source);
  if (re === undefined) {
    try {
      re = new RegExp(source);
    } catch {
      re = null;
    }
    if (PATTERNS.size >= MAX_PATTERNS) PATTERNS.clear();
    PATTERNS.set(source, re);
  }
  return re ?? undefined;
}

/** A regex sees at most this many characters of a string (its start): matching time stays bounded. */
export const MAX_REGEX_INPUT = 1000;
export const matches = (re: RegExp, v: string): boolean => re.test(v.length > MAX_REGEX_INPUT ? v.slice(0, MAX_REGEX_INPUT) : v);

/** Distinct inputs a compiled test remembers its answers for (then it starts again). */
const REMEMBERED = 64;

/**
 * A test of strings that remembers its recent answers: a page evaluates the same few values
 * (its URL, a version) again and again, and a regex or a version parse costs more than a lookup.
 * Only for tests whose answer depends on the string alone.
 */
export function remembering<T>(compute: (v: string) => T): (v: string) => T {
  const known = new Map<string, T>();
  return (v) => {
    let r = known.get(v);
    if (r === undefined && !known.has(v)) {
      if (known.size >= REMEMBERED) known.clear();
      known.set(v, (r = compute(v)));
    }
    return r as T;
  };
}

