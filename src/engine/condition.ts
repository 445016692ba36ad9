// The condition compiler: MongoDB query syntax compiled once into plain closures.
// No eval and no `new Function`, so it runs under the strictest Content-Security-Policy.

import type { Condition } from '../config/types';
import { compareVersions, parseVersion, type Version } from './semver';
import { isPlainObject } from '../shared/util';

/** A compiled condition. */
export type Matcher = (doc: unknown) => boolean;

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

export const KNOWN_OPERATORS = [
  '$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$all', '$elemMatch', '$size',
  '$exists', '$type', '$regex', '$options', '$not', '$and', '$or', '$nor',
  '$veq', '$vne', '$vgt', '$vgte', '$vlt', '$vlte',
] as const;

const LOGICAL = new Set(['$and', '$or', '$nor', '$not']);

/** Several values reached through an array in the middle of a path ("items.price"). */
export class Fanout {
  constructor(readonly values: unknown[]) {}
}

/** A path's value in a document: the value itself, or a Fanout when the path crossed arrays. */
export type Resolved = unknown;
type Test = (value: unknown) => boolean;
type ResolvedTest = (resolved: Resolved) => boolean;

/**
 * Compiles a condition once; the matcher is then called per evaluation. `path` is where the
 * condition sits in the config ("segments[3].when"): errors name the offending part from there.
 */
export function compileCondition(cond: Condition, path = ''): Matcher {
  const deep = tooDeep(cond);
  if (deep) throw new ConditionError(formatPath(path, deep), `is nested deeper than ${MAX_NESTING} levels`);
  return compileQuery(cond, path);
}

/** How deep a condition may nest (objects and arrays), as MongoDB limits documents to 100 levels. */
export const MAX_NESTING = 100;

/**
 * The keys down to the first node nested deeper than the limit, or undefined. Iterative, so a
 * hostile config cannot overflow the stack here, and the recursive compilers never see it.
 */
export function tooDeep(root: unknown, limit = MAX_NESTING): (string | number)[] | undefined {
  const stack: [unknown, (string | number)[]][] = [[root, []]];
  while (stack.length) {
    const [node, keys] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (keys.length >= limit) return keys;
    if (Array.isArray(node)) node.forEach((v, i) => stack.push([v, [...keys, i]]));
    else for (const k of Object.keys(node)) stack.push([(node as Record<string, unknown>)[k], [...keys, k]]);
  }
  return undefined;
}

/** "segments[0].when" + ["$and", 0, "a"] → "segments[0].when.$and[0].a" (the compiler's path style). */
const formatPath = (base: string, keys: (string | number)[]) =>
  keys.reduce<string>((at, k) => (typeof k === 'number' ? `${at}[${k}]` : join(at, k)), base);

/** A document (sub-)object: a plain object, not an array and not a Date (a value of its own type). */
const isDocument = (v: unknown): v is Record<string, unknown> => isPlainObject(v) && !(v instanceof Date);

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

export function compileQuery(cond: unknown, path: string): Matcher {
  if (!isPlainObject(cond)) throw new ConditionError(path, 'a condition must be an object');
  const parts: Matcher[] = [];
  for (const key of Object.keys(cond)) {
    const at = join(path, key);
    const operand = cond[key];
    if (key.startsWith('$')) parts.push(compileLogical(key, operand, at));
    else parts.push(compileField(key, operand, at));
  }
  return allOf(parts);
}

function compileLogical(op: string, operand: unknown, at: string): Matcher {
  if (op === '$not') {
    const inner = compileQuery(operand, at);
    return (doc) => !inner(doc);
  }
  if (op !== '$and' && op !== '$or' && op !== '$nor') {
    if ((KNOWN_OPERATORS as readonly string[]).includes(op)) {
      throw new ConditionError(at, `operator "${op}" needs a field: write { "<path>": { "${op}": … } }`);
    }
    throw new ConditionError(at, `unknown operator "${op}"`);
  }
  if (!Array.isArray(operand) || operand.length === 0) {
    throw new ConditionError(at, `${op} takes a non-empty array of conditions`);
  }
  const list = operand.map((c, i) => compileQuery(c, `${at}[${i}]`));
  if (op === '$and') return allOf(list);
  const any = anyOf(list);
  return op === '$or' ? any : (doc) => !any(doc);
}

function allOf(list: Matcher[]): Matcher {
  if (list.length === 0) return () => true;
  if (list.length === 1) return list[0]!;
  if (list.length === 2) {
    const [a, b] = list as [Matcher, Matcher];
    return (doc) => a(doc) && b(doc);
  }
  return (doc) => {
    for (let i = 0; i < list.length; i++) if (!list[i]!(doc)) return false;
    return true;
  };
}

function anyOf(list: Matcher[]): Matcher {
  if (list.length === 1) return list[0]!;
  return (doc) => {
    for (let i = 0; i < list.length; i++) if (list[i]!(doc)) return true;
    return false;
  };
}

// ---- paths -----------------------------------------------------------------------------

/** A reader for a dotted path that crosses arrays the MongoDB way ("items.price" reads every item's price). */
function pathSegments(path: string, at: string): string[] {
  const segs = path.split('.');
  for (const seg of segs) {
    if (seg === '' || seg === '__proto__') throw new ConditionError(at, `bad path "${path}"`);
  }
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
const hasOwn = Object.prototype.hasOwnProperty;
/** Only a document's own data: "__proto__" or "constructor" in a path never reaches a prototype. */
const ownValue = (doc: object, key: string): unknown => (hasOwn.call(doc, key) ? (doc as Record<string, unknown>)[key] : undefined);

function resolve(doc: unknown, segs: string[], from: number): Resolved {
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

// ---- field clauses -----------------------------------------------------------------------

function compileField(path: string, operand: unknown, at: string): Matcher {
  const segs = pathSegments(path, at);
  // The general test handles arrays and fan-outs; a fast clause builds it on first need.
  let general: ResolvedTest | undefined;
  const fast = fastField(segs, operand, (r) => (general ??= compileValueTest(operand, at))(r), at);
  if (fast) return fast;
  const test = compileValueTest(operand, at); // also where a bad operand throws
  return (doc) => test(readPath(doc, segs));
}

/**
 * The common clauses (a scalar compared with a constant) as one closure with the path read and
 * the comparison inline: calls through closure variables cannot be inlined by the JIT, so each
 * layer saved counts. Arrays and fan-outs take the general `slow` test.
 */
function fastField(segs: string[], operand: unknown, slow: ResolvedTest, at: string): Matcher | undefined {
  if (!isPlainObject(operand)) {
    if (operand === null || typeof operand === 'object') return undefined;
    const x = operand;
    return (doc) => {
      const v = readPath(doc, segs);
      if (v === x) return true;
      return Array.isArray(v) ? v.indexOf(x) >= 0 : v instanceof Fanout && slow(v);
    };
  }
  const ops = Object.keys(operand);
  if (ops.length === 0 || ops.includes('$options')) return undefined;
  if (ops.length > 1) {
    // { $gte: 18, $lt: 23 }: one fast closure per operator, when each has one.
    const parts: Matcher[] = [];
    for (const op of ops) {
      const one = { [op]: operand[op] };
      let general: ResolvedTest | undefined;
      const part = fastField(segs, one, (r) => (general ??= compileValueTest(one, at))(r), at);
      if (!part) return undefined;
      parts.push(part);
    }
    return allOf(parts);
  }
  const op = ops[0]!;
  const y = operand[op];
  if (op === '$in' || op === '$nin') {
    if (!Array.isArray(y) || !y.every((v) => v !== null && typeof v !== 'object')) return undefined;
    const set = new Set(y);
    const want = op === '$in';
    return (doc) => {
      const v = readPath(doc, segs);
      if (typeof v !== 'object' || v === null) return set.has(v) === want;
      if (!Array.isArray(v)) return slow(v);
      for (let i = 0; i < v.length; i++) if (set.has(v[i])) return want;
      return !want;
    };
  }
  if (op === '$regex') {
    if (typeof y !== 'string' || !isValidRegex(y)) return undefined;
    const re = new RegExp(y);
    return (doc) => {
      const v = readPath(doc, segs);
      return typeof v === 'string' ? matches(re, v) : typeof v === 'object' && v !== null && slow(v);
    };
  }
  if (op === '$elemMatch') {
    const el = elementTest(y, join(at, op));
    return (doc) => {
      const v = readPath(doc, segs);
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (el(v[i])) return true;
        return false;
      }
      return v instanceof Fanout && slow(v);
    };
  }
  if (op === '$exists') {
    if (typeof y !== 'boolean' && y !== 0 && y !== 1) return undefined;
    const want = !!y;
    return (doc) => {
      const v = readPath(doc, segs);
      return v instanceof Fanout ? slow(v) : (v !== undefined) === want;
    };
  }
  if (typeof y !== 'string' && !(typeof y === 'number' && Number.isFinite(y))) return undefined;
  const kind = typeof y;
  switch (op) {
    case '$eq':
      return (doc) => {
        const v = readPath(doc, segs);
        if (v === y) return true;
        return Array.isArray(v) ? v.indexOf(y) >= 0 : v instanceof Fanout && slow(v);
      };
    case '$ne':
      return (doc) => {
        const v = readPath(doc, segs);
        return typeof v === 'object' && v !== null ? slow(v) : v !== y;
      };
    case '$gt':
      return (doc) => {
        const v = readPath(doc, segs);
        return typeof v === kind ? (v as number) > (y as number) : typeof v === 'object' && v !== null && slow(v);
      };
    case '$gte':
      return (doc) => {
        const v = readPath(doc, segs);
        return typeof v === kind ? (v as number) >= (y as number) : typeof v === 'object' && v !== null && slow(v);
      };
    case '$lt':
      return (doc) => {
        const v = readPath(doc, segs);
        return typeof v === kind ? (v as number) < (y as number) : typeof v === 'object' && v !== null && slow(v);
      };
    case '$lte':
      return (doc) => {
        const v = readPath(doc, segs);
        return typeof v === kind ? (v as number) <= (y as number) : typeof v === 'object' && v !== null && slow(v);
      };
  }
  return undefined;
}

function isValidRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/** A path's value: a plain top-level function, so the JIT can inline it into every clause. */
function readPath(doc: unknown, segs: string[]): Resolved {
  let cur = doc;
  for (let i = 0; i < segs.length; i++) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    if (Array.isArray(cur)) return resolve(cur, segs, i);
    cur = ownValue(cur, segs[i]!);
  }
  return typeof cur === 'function' ? undefined : cur;
}

function isOperatorObject(v: unknown, at: string): v is Record<string, unknown> {
  if (!isPlainObject(v)) return false;
  const keys = Object.keys(v);
  if (keys.length === 0) return false;
  const ops = keys.filter((k) => k.startsWith('$')).length;
  if (ops === 0) return false;
  if (ops !== keys.length) throw new ConditionError(at, 'mixes operators ($…) and plain fields in one object');
  return true;
}

/**
 * What a field's value must satisfy: an operator object, or a value for implicit equality.
 * `element`: the value is one array element of a value-form $elemMatch, tested as it is (an
 * array element that is itself an array is not searched, as in MongoDB).
 */
export function compileValueTest(operand: unknown, at: string, element = false): ResolvedTest {
  if (!isOperatorObject(operand, at)) return some(equals(operand), !element);
  const tests: ResolvedTest[] = [];
  for (const op of Object.keys(operand)) {
    if (op === '$options') {
      if (!('$regex' in operand)) throw new ConditionError(join(at, op), '$options needs $regex');
      continue;
    }
    tests.push(compileOperator(op, operand[op], operand, join(at, op), !element));
  }
  if (tests.length === 1) return tests[0]!;
  return (r) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i]!(r)) return false;
    return true;
  };
}

/** True when any value the path reached passes; `expand` also tries the elements of array values. */
function some(test: Test, expand: boolean): ResolvedTest {
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

const not = (t: ResolvedTest): ResolvedTest => (r) => !t(r);

function compileOperator(
  op: string,
  operand: unknown,
  siblings: Record<string, unknown>,
  at: string,
  expand: boolean,
): ResolvedTest {
  switch (op) {
    case '$eq':
      return some(equals(operand), expand);
    case '$ne':
      return not(some(equals(operand), expand));
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return some(compare(op, operand, at), expand);
    case '$in':
      return some(oneOf(operand, at), expand);
    case '$nin':
      return not(some(oneOf(operand, at), expand));
    case '$all': {
      if (!Array.isArray(operand)) throw new ConditionError(at, '$all takes an array');
      // MongoDB: { $all: [a, b] } is { $and: [{ f: a }, { f: b }] }; an empty $all matches nothing.
      if (operand.length === 0) return () => false;
      const parts = operand.map((x, i) =>
        isPlainObject(x) && '$elemMatch' in x
          ? compileValueTest(x, `${at}[${i}]`)
          : some(equals(x), expand),
      );
      return (r) => parts.every((t) => t(r));
    }
    case '$elemMatch': {
      const el = elementTest(operand, at);
      return some((v) => Array.isArray(v) && v.some(el), false);
    }
    case '$size': {
      if (typeof operand !== 'number' || !Number.isInteger(operand) || operand < 0) {
        throw new ConditionError(at, '$size takes a non-negative integer');
      }
      return some((v) => Array.isArray(v) && v.length === operand, false);
    }
    case '$exists': {
      if (typeof operand !== 'boolean' && operand !== 0 && operand !== 1) {
        throw new ConditionError(at, '$exists takes true or false');
      }
      const present = some((v) => v !== undefined, false);
      return operand ? present : not(present);
    }
    case '$type': {
      const names = Array.isArray(operand) ? operand : [operand];
      if (names.length === 0) throw new ConditionError(at, '$type takes a type name or a non-empty list of them');
      const tests = names.map((n, i) => typeTest(n, Array.isArray(operand) ? `${at}[${i}]` : at));
      return some((v) => tests.some((t) => t(v)), expand);
    }
    case '$regex': {
      const re = regex(operand, siblings.$options, at);
      return some((v) => typeof v === 'string' && matches(re, v), expand);
    }
    case '$not': {
      if (!isOperatorObject(operand, at)) throw new ConditionError(at, '$not takes an operator object, e.g. { "$not": { "$gt": 5 } }');
      return not(compileValueTest(operand, at, !expand));
    }
    case '$veq':
    case '$vne':
    case '$vgt':
    case '$vgte':
    case '$vlt':
    case '$vlte': {
      const t = some(versionTest(op, operand, at), expand);
      return op === '$vne' ? not(t) : t;
    }
    default:
      if (LOGICAL.has(op)) throw new ConditionError(at, `${op} belongs at the query level, not inside a field`);
      throw new ConditionError(at, `unknown operator "${op}"`);
  }
}

function equals(x: unknown): Test {
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

function compare(op: string, x: unknown, at: string): Test {
  if (x === null) {
    // MongoDB: $gte/$lte null behave like equality to null; $gt/$lt null match nothing.
    return op === '$gte' || op === '$lte' ? equals(null) : () => false;
  }
  if (x instanceof Date) return compareDates(op, x.getTime(), at);
  const kind = typeof x;
  if (kind !== 'number' && kind !== 'string' && kind !== 'boolean') {
    throw new ConditionError(at, `${op} compares with a number, string, boolean or Date, not ${JSON.stringify(x)}`);
  }
  if (kind === 'number' && !Number.isFinite(x)) throw new ConditionError(at, `${op} needs a finite number`);
  const y = x as number;
  // Values of another type never match (MongoDB's type bracketing): "10" is not > 5.
  switch (op) {
    case '$gt':
      return (v) => typeof v === kind && (v as number) > y;
    case '$gte':
      return (v) => typeof v === kind && (v as number) >= y;
    case '$lt':
      return (v) => typeof v === kind && (v as number) < y;
    default:
      return (v) => typeof v === kind && (v as number) <= y;
  }
}

/** Dates compare by time, and only with Dates (MongoDB's type bracketing: not with ISO strings). */
function compareDates(op: string, t: number, at: string): Test {
  if (Number.isNaN(t)) throw new ConditionError(at, `${op} needs a valid Date`);
  const time = (v: unknown) => (v instanceof Date ? v.getTime() : NaN);
  switch (op) {
    case '$gt':
      return (v) => time(v) > t;
    case '$gte':
      return (v) => time(v) >= t;
    case '$lt':
      return (v) => time(v) < t;
    default:
      return (v) => time(v) <= t;
  }
}

function oneOf(operand: unknown, at: string): Test {
  if (!Array.isArray(operand)) throw new ConditionError(at, `${at.slice(at.lastIndexOf('.') + 1)} takes an array`);
  const scalars = new Set<unknown>();
  const others: Test[] = [];
  for (const x of operand) {
    if (x === null) {
      scalars.add(null);
      scalars.add(undefined);
    } else if (typeof x === 'object') others.push(equals(x));
    else scalars.add(x);
  }
  if (others.length === 0) return (v) => scalars.has(v);
  return (v) => scalars.has(v) || others.some((t) => t(v));
}

/**
 * { $elemMatch: { $gt: 5, $not: { $gt: 9 } } } tests the element itself; { $elemMatch: { sku: "x" } }
 * (or $and/$or/$nor, or {}) queries it. As in MongoDB the first key decides, and the query form
 * sees the elements that are documents or arrays.
 */
export function isElemMatchValueForm(operand: Record<string, unknown>): boolean {
  const first = Object.keys(operand)[0];
  return first !== undefined && first.startsWith('$') && !QUERY_LEVEL.has(first);
}
const QUERY_LEVEL = new Set(['$and', '$or', '$nor']);

function elementTest(operand: unknown, at: string): Test {
  if (!isPlainObject(operand)) throw new ConditionError(at, '$elemMatch takes a condition object');
  if (isElemMatchValueForm(operand)) {
    const t = compileValueTest(operand, at, true);
    return (el) => t(el);
  }
  const q = compileQuery(operand, at);
  return (el) => (isDocument(el) || Array.isArray(el)) && q(el);
}

const TYPE_CODES: Record<number, string> = { 1: 'double', 2: 'string', 3: 'object', 4: 'array', 8: 'bool', 9: 'date', 10: 'null', 16: 'int', 18: 'long' };

function typeTest(name: unknown, at: string): Test {
  const n = typeof name === 'number' ? TYPE_CODES[name] : name;
  switch (n) {
    case 'number':
    case 'double':
    case 'decimal':
      return (v) => typeof v === 'number';
    case 'int':
    case 'long':
      return (v) => Number.isInteger(v);
    case 'string':
      return (v) => typeof v === 'string';
    case 'bool':
    case 'boolean':
      return (v) => typeof v === 'boolean';
    case 'null':
      return (v) => v === null;
    case 'array':
      return (v) => Array.isArray(v);
    case 'object':
      return (v) => isDocument(v);
    case 'date':
      return (v) => v instanceof Date;
    default:
      throw new ConditionError(at, `unknown type ${JSON.stringify(name)}`);
  }
}

/** A regex sees at most this many characters of a string (its start): matching time stays bounded. */
export const MAX_REGEX_INPUT = 1000;
const matches = (re: RegExp, v: string): boolean => re.test(v.length > MAX_REGEX_INPUT ? v.slice(0, MAX_REGEX_INPUT) : v);

function regex(source: unknown, options: unknown, at: string): RegExp {
  if (typeof source !== 'string') throw new ConditionError(at, '$regex takes a string');
  if (options !== undefined && (typeof options !== 'string' || !/^[imsu]*$/.test(options))) {
    throw new ConditionError(at, '$options takes any of the flags "i", "m", "s", "u"');
  }
  try {
    return new RegExp(source, (options as string | undefined) ?? '');
  } catch (err) {
    throw new ConditionError(at, `bad regular expression: ${(err as Error).message}`);
  }
}

function versionTest(op: string, operand: unknown, at: string): Test {
  const want = typeof operand === 'string' ? parseVersion(operand) : undefined;
  if (!want) throw new ConditionError(at, `${op} takes a version string like "1.4.0"`);
  const pass: (c: number) => boolean =
    op === '$vgt' ? (c) => c > 0
    : op === '$vgte' ? (c) => c >= 0
    : op === '$vlt' ? (c) => c < 0
    : op === '$vlte' ? (c) => c <= 0
    : (c) => c === 0; // $veq, and $vne negated by the caller
  // Versions seen are parsed once each: a page reads the same few over and over.
  let lastText: unknown;
  let lastVersion: Version | undefined;
  return (v) => {
    if (typeof v !== 'string') return false;
    if (v !== lastText) {
      lastText = v;
      lastVersion = parseVersion(v);
    }
    return lastVersion !== undefined && pass(compareVersions(lastVersion, want));
  };
}
