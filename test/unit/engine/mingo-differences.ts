// The deliberate differences between the condition compiler and mingo: in each, MongoDB's
// documented (or its own test-asserted) behaviour is what the compiler does. The differential
// test accepts a disagreement only when one of these explains it.

type Doc = unknown;
type Query = Record<string, unknown>;

export interface Difference {
  id: string;
  /** what MongoDB does (and so the compiler), and what mingo does instead */
  rule: string;
  applies(query: Query, doc: Doc): boolean;
  /** cases where mingo answers otherwise, with MongoDB's answer */
  examples: { query: Query; doc: Doc; mongodb: boolean }[];
}

/** Every (path, operator object or value) the query tests, $elemMatch sub-paths joined on. */
export function clauses(query: unknown, base = ''): [string, unknown][] {
  const out: [string, unknown][] = [];
  if (typeof query !== 'object' || query === null || Array.isArray(query)) return out;
  for (const [key, operand] of Object.entries(query)) {
    if (key === '$and' || key === '$or' || key === '$nor') for (const c of operand as unknown[]) out.push(...clauses(c, base));
    else if (key === '$not') out.push(...clauses(operand, base));
    else if (!key.startsWith('$')) {
      const path = base ? `${base}.${key}` : key;
      out.push([path, operand]);
      for (const [op, sub] of operators(operand)) {
        if (op === '$elemMatch' && isObject(sub) && !Object.keys(sub).some((k) => k.startsWith('$'))) out.push(...clauses(sub, path));
      }
    }
  }
  return out;
}

/** A document: a Date is a value of its own, not a document. */
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
/** [operator, operand] pairs of an operator object, nested $not / $elemMatch value forms included. */
function operators(operand: unknown): [string, unknown][] {
  if (!isObject(operand)) return [];
  const out: [string, unknown][] = [];
  for (const [op, sub] of Object.entries(operand)) {
    if (!op.startsWith('$')) continue;
    out.push([op, sub]);
    if (op === '$not' || op === '$elemMatch') out.push(...operators(sub));
  }
  return out;
}

interface Walk {
  /** every array met, leaf values included */
  arrays: unknown[][];
  /** arrays a field name crossed, with that field name */
  crossed: [unknown[], string][];
  /** the values reached (undefined: the path is missing there) */
  leaves: unknown[];
}

/** Walks a dotted path through a document, crossing arrays as MongoDB does. */
function walk(doc: Doc, path: string): Walk {
  const w: Walk = { arrays: [], crossed: [], leaves: [] };
  const go = (v: unknown, segs: string[]) => {
    if (Array.isArray(v)) w.arrays.push(v);
    if (segs.length === 0) return void w.leaves.push(v);
    const [seg, ...rest] = segs as [string, ...string[]];
    if (Array.isArray(v)) {
      if (/^\d+$/.test(seg)) go(v[Number(seg)], rest);
      w.crossed.push([v, seg]);
      for (const el of v) if (isObject(el)) go(el, segs);
      return;
    }
    if (isObject(v)) go(v[seg], rest);
    else w.leaves.push(undefined);
  };
  go(doc, path.split('.'));
  return w;
}

const isValueForm = (x: Record<string, unknown>) => {
  const first = Object.keys(x)[0];
  return first !== undefined && first.startsWith('$') && !['$and', '$or', '$nor'].includes(first);
};
/** Does an operand hold an array anywhere (a value compared with arrays)? */
const hasArray = (o: unknown): boolean => Array.isArray(o) || (isObject(o) && Object.values(o).some(hasArray));
const anyClause = (query: Query, doc: Doc, test: (path: string, operand: unknown, doc: Doc) => boolean) =>
  clauses(query).some(([path, operand]) => test(path, operand, doc));
const usesOp = (operand: unknown, name: string, test: (x: unknown) => boolean = () => true) =>
  operators(operand).some(([op, x]) => op === name && test(x));

export const DIFFERENCES: Difference[] = [
  {
    id: 'missing-in-arrays',
    rule:
      'A field name that crosses an array finds the field missing on elements that are not documents (scalars, null, nested arrays), ' +
      'on documents without it and on an empty array, so {"a.b": null} matches {a: []} and {a: [1, "x"]} and {"a.b": {$ne: null}} does not (MongoDB null-query ' +
      'semantics, jstests/core/query/null_query_semantics.js); mingo skips such elements or reads the empty array as the value.',
    examples: [
      { query: { 'a.b': null }, doc: { a: [] }, mongodb: true },
      { query: { 'cart.items.category': { $ne: null } }, doc: { cart: { items: [] } }, mongodb: false },
      { query: { 'a.b': null }, doc: { a: [1, 'x', 4] }, mongodb: true },
      { query: { 'a.b': null }, doc: { a: [{ b: 1 }, {}] }, mongodb: true },
    ],
    applies: (q, d) =>
      anyClause(q, d, (path, _o, doc) => {
        const w = walk(doc, path);
        const gap = w.crossed.some(([a, seg]) => a.length === 0 || a.some((el) => !isObject(el) || !(seg in el)));
        return gap || (w.crossed.length > 0 && w.leaves.includes(undefined));
      }),
  },
  {
    id: 'nested-arrays',
    rule:
      'An array inside an array is one value: a field name crosses one array level and a comparison looks at the elements of a leaf ' +
      'array, not at the elements of arrays inside it ({"a.b": 1} does not match {a: [[{b: 1}]]}, {a: 1} does not match {a: [[1]]}); ' +
      'mingo flattens nested arrays.',
    examples: [
      { query: { 'x.b': 'b' }, doc: { x: { b: [['b'], []] } }, mongodb: false },
      { query: { 'x.b': true }, doc: { x: [[true, 'b']] }, mongodb: false },
    ],
    applies: (q, d) => anyClause(q, d, (path, _o, doc) => walk(doc, path).arrays.some((a) => a.some(Array.isArray))),
  },
  {
    id: 'values-under-an-array',
    rule:
      'A path that crosses an array reaches each value on its own: the values found are not an array ({"a.c": []}, ' +
      '{"a.c": {$size: 0}} and {"a.b": {$elemMatch: …}} do not match {a: [{b: 1}]}), and a leaf array among them is searched element by element ' +
      '({"a.b": {$gte: false}} matches {a: [{b: [true]}]}); mingo compares the collected values as one array.',
    examples: [
      { query: { 'a.c': [] }, doc: { a: [{ b: 1 }] }, mongodb: false },
      { query: { 'a.b': { $elemMatch: { $exists: true } } }, doc: { a: [{ b: null }] }, mongodb: false },
      { query: { 'a.b': { $gte: false } }, doc: { a: [{ b: [true] }, { b: null }] }, mongodb: true },
    ],
    applies: (q, d) =>
      anyClause(q, d, (path, o, doc) => {
        const w = walk(doc, path);
        return w.crossed.length > 0 && (hasArray(o) || usesOp(o, '$size') || usesOp(o, '$elemMatch') || w.leaves.some(Array.isArray));
      }),
  },
  {
    id: 'elemmatch-query-form',
    rule:
      'The query form of $elemMatch (field conditions, $and/$or/$nor, or {}) looks at the elements that are documents or arrays ' +
      'and at nothing else (MongoDB matches elements that are BSON objects, arrays included); mingo also tries scalar elements ' +
      'and skips arrays.',
    examples: [
      { query: { a: { $not: { $elemMatch: { $or: [{ b: true }, { b: 1.5 }] } } } }, doc: { a: [true] }, mongodb: true },
      { query: { x: { $elemMatch: {} } }, doc: { x: [[false, null]] }, mongodb: true },
    ],
    applies: (q, d) =>
      anyClause(q, d, (path, o, doc) =>
        usesOp(o, '$elemMatch', (x) => isObject(x) && !isValueForm(x)) &&
        walk(doc, path).leaves.some((v) => Array.isArray(v) && v.some((el) => !isObject(el)))),
  },
  {
    id: 'all-is-and-of-equalities',
    rule:
      '{$all: [x, y]} is {$and: [{f: x}, {f: y}]} (MongoDB manual, $all): it matches a field that is not an array but equals the one ' +
      'value (an element, inside $elemMatch), and missing fields for null; mingo requires an array.',
    examples: [
      { query: { a: { $all: [2] } }, doc: { a: 2 }, mongodb: true },
      { query: { a: { $all: [null] } }, doc: {}, mongodb: true },
      { query: { a: { $elemMatch: { $all: [false] } } }, doc: { a: [false] }, mongodb: true },
    ],
    applies: (q, d) => anyClause(q, d, (path, o, doc) => usesOp(o, '$all') && (usesOp(o, '$elemMatch') || walk(doc, path).leaves.some((v) => !Array.isArray(v)))),
  },
  {
    id: 'type-of-array-elements',
    rule:
      '$type matches an array that holds an element of the type, and any value a path reaches through an array (MongoDB manual, ' +
      '$type: "Querying by Array Type"); mingo tests the array itself.',
    examples: [{ query: { a: { $type: 'number' } }, doc: { a: [2] }, mongodb: true }],
    applies: (q, d) =>
      anyClause(q, d, (path, o, doc) => {
        const w = walk(doc, path);
        return usesOp(o, '$type') && (w.crossed.length > 0 || w.leaves.some(Array.isArray));
      }),
  },
  {
    id: 'one-number-type',
    rule:
      'JSON has one number type: "double", "number" and "decimal" match every number, "int" and "long" the whole numbers; mingo ' +
      'tells ints from doubles by the value.',
    examples: [{ query: { 'a.c': { $type: 'double' } }, doc: { a: [{ c: -1 }] }, mongodb: true }],
    applies: (q, d) => anyClause(q, d, (_p, o) => usesOp(o, '$type', (t) => [t].flat().some((n) => ['double', 'int', 'long', 'decimal', 1, 16, 18, 19].includes(n as never)))),
  },
  {
    id: 'null-bounds',
    rule: '{$gte: null} and {$lte: null} match null and missing fields, like {$eq: null} (MongoDB comparison order; null_query_semantics.js); mingo matches none.',
    examples: [{ query: { a: { $gte: null } }, doc: {}, mongodb: true }],
    applies: (q, d) => anyClause(q, d, (_p, o) => usesOp(o, '$gte', (x) => x === null) || usesOp(o, '$lte', (x) => x === null)),
  },
  {
    id: 'in-array-operands',
    rule: '$in / $nin compare an array operand element with the whole array value too ({a: {$in: [[]]}} matches {a: []}); mingo does not always.',
    examples: [{ query: { 'a.b': { $nin: ['b', []] } }, doc: { a: { b: [] } }, mongodb: false }],
    applies: (q, d) => anyClause(q, d, (_p, o) => usesOp(o, '$in', (x) => Array.isArray(x) && x.some(Array.isArray)) || usesOp(o, '$nin', (x) => Array.isArray(x) && x.some(Array.isArray))),
  },
];
