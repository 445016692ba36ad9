// The condition language's one operator table: every MongoDB operator (and the semantic-version
// ones) is one entry here, with the kind of operand it takes (what config rules check), how it
// compiles, its fast closure where it has one, and what the engine and preview may read from
// its operand. A new operator is one entry; nothing else names operators.
import { compare, oneOf, regex, typeTest, versionTest, type Order } from './operands';
import { owns, peek, readPath, resolve } from './paths';
// compile.ts and this table call each other ($all, $elemMatch and $not hold conditions): both are
// function declarations, so the import cycle is safe.
import { compileValueTest, elementTest, type GeneralTest } from './compile';
import { ConditionError, Fanout, allOf, anyOf, equals, hasOwn, isDocument, matches, patternOf, not, remembering, some, type Matcher, type ResolvedTest, type Test } from './values';
import { isPlainObject } from '../shared/util';

/** What an operand must be: config rules check each kind, and the compiler throws on a bad one. */
export type OperandKind =
  | 'any' | 'order' | 'list' | 'elem' | 'size' | 'exists' | 'type' | 'regex' | 'options' | 'not' | 'semver' | 'conditions';

/** What an operand holds, for those who read conditions without compiling them. */
export type OperandValues = 'literal' | 'pattern' | 'none';

/** Operands that hold no value of the field: type names, sizes, flags, existence. */
const NO_VALUES: ReadonlySet<OperandKind> = new Set<OperandKind>(['size', 'exists', 'type', 'options']);

/** What the operand of `name` holds: values of the field (also for a field name), a pattern, or neither. */
export function operandValues(name: string): OperandValues {
  const kind = operatorSpec(name)?.operand;
  return kind === 'regex' ? 'pattern' : kind && NO_VALUES.has(kind) ? 'none' : 'literal';
}

/** A field operator's test of the resolved value; `expand` also tries the elements of array values. */
export type FieldCompiler = (operand: unknown, at: string, expand: boolean, siblings: Record<string, unknown>) => ResolvedTest;

/** A scalar comparison as one closure with the path read inline; `slow` handles arrays and fan-outs; `at` is the field's path. */
export type FastCompiler = (operand: unknown, segs: string[], slow: GeneralTest, at: string) => Matcher | undefined;

export interface OperatorSpec {
  operand: OperandKind;
  /** At the query level ({ "$or": [...] }): the operand's conditions into one matcher. */
  query?: (operand: unknown, at: string, query: (cond: unknown, at: string) => Matcher) => Matcher;
  /** On a field ({ "metrics.orders": { "$gt": 1 } }). */
  field?: FieldCompiler;
  fast?: FastCompiler;
  /** An order comparison as one end of a range: which end, and whether it includes its constant. */
  bound?: Bound;
  /** Where a comparison of a whole-day counter with `c` can flip, for the engine's clock. */
  dayFlips?: (c: number) => number[];
  /** Not an operator of its own: a flag of the operator named here ($options of $regex). */
  modifies?: string;
}

/** One end of a range: `$gte` is the lower, inclusive end. */
export interface Bound {
  lower: boolean;
  inclusive: boolean;
}

const fieldOnly = (op: string) => (_: unknown, at: string): Matcher => {
  throw new ConditionError(at, `operator "${op}" needs a field: write { "<path>": { "${op}": … } }`);
};

/** { $and | $or | $nor: [conditions] } */
const combine = (op: string, join: (list: Matcher[]) => Matcher) =>
  (operand: unknown, at: string, query: (cond: unknown, at: string) => Matcher): Matcher => {
    if (!Array.isArray(operand) || operand.length === 0) {
      throw new ConditionError(at, `${op} takes a non-empty array of conditions`);
    }
    const list: Matcher[] = [];
    for (let i = 0; i < operand.length; i++) list.push(query(operand[i], `${at}[${i}]`));
    return join(list);
  };

const ordered = (op: string, test: Order['test'], bound: Bound, flips: (c: number) => number[]): OperatorSpec => ({
  operand: 'order',
  field: (x, at, expand) => some(compare(op, x, at, { test, inclusive: bound.inclusive }), expand),
  fast: fastCompare(bound),
  bound,
  dayFlips: flips,
});
const equalFlips = (c: number) => (Number.isInteger(c) ? [c, c + 1] : []);
const ceilFlip = (c: number) => [Math.ceil(c)];
const floorFlip = (c: number) => [Math.floor(c) + 1];

/** A semantic-version comparison: `pass` reads compareVersions(seen, wanted); `negate` for "not equal". */
const versioned = (op: string, pass: (c: number) => boolean, negate = false): OperatorSpec => ({
  operand: 'semver',
    field: (x, at, expand) => {
    const t = some(versionTest(op, x, at, pass), expand);
    return negate ? not(t) : t;
  },
});

/** The operators, by name. */
export const OPERATORS: Readonly<Record<string, OperatorSpec>> = {
  $eq: {
    operand: 'any', dayFlips: equalFlips,
    field: (x, at, expand) => some(equals(x), expand),
    fast: (y, segs, slow) => (isScalarConstant(y) ? fastEquals(y, segs, slow) : undefined),
  },
  $ne: {
    operand: 'any', dayFlips: equalFlips,
    field: (x, at, expand) => not(some(equals(x), expand)),
    fast: (y, segs, slow) => {
      if (!isScalarConstant(y)) return undefined;
      return (doc) => {
        const v = readPath(doc, segs);
        return typeof v === 'object' && v !== null ? slow.test(v) : v !== y;
      };
    },
  },
  $gt: ordered('$gt', (a, b) => a > b, { lower: true, inclusive: false }, floorFlip),
  $gte: ordered('$gte', (a, b) => a >= b, { lower: true, inclusive: true }, ceilFlip),
  $lt: ordered('$lt', (a, b) => a < b, { lower: false, inclusive: false }, ceilFlip),
  $lte: ordered('$lte', (a, b) => a <= b, { lower: false, inclusive: true }, floorFlip),
  $in: { operand: 'list', dayFlips: equalFlips, field: (x, at, expand) => some(oneOf(x, at), expand), fast: (y, segs, slow) => fastOneOf(y, true, segs, slow) },
  $nin: { operand: 'list', dayFlips: equalFlips, field: (x, at, expand) => not(some(oneOf(x, at), expand)), fast: (y, segs, slow) => fastOneOf(y, false, segs, slow) },
  $all: {
    operand: 'list',     field: (operand, at, expand) => {
      if (!Array.isArray(operand)) throw new ConditionError(at, '$all takes an array');
      // MongoDB: { $all: [a, b] } is { $and: [{ f: a }, { f: b }] }; an empty $all matches nothing.
      if (operand.length === 0) return () => false;
      const parts = operand.map((x, i) =>
        isPlainObject(x) && '$elemMatch' in x ? compileValueTest(x, `${at}[${i}]`) : some(equals(x), expand),
      );
      return (r) => parts.every((t) => t(r));
    },
  },
  $elemMatch: {
    operand: 'elem',     field: (operand, at, expand) => {
      const el = elementTest(operand, at);
      return some((v) => Array.isArray(v) && v.some(el), false);
    },
    fast: (y, segs, slow, at) => {
      const el = elementTest(y, `${at}.$elemMatch`);
      return (doc) => {
        const v = peek(doc, segs);
        if (Array.isArray(v)) {
          // Asked first: the elements' own clauses read paths.
          if (!owns(doc, segs)) return false;
          for (let i = 0; i < v.length; i++) if (el(v[i])) return true;
          return false;
        }
        return v instanceof Fanout && owns(doc, segs) && slow.test(v);
      };
    },
  },
  $size: {
    operand: 'size',     field: (operand, at, expand) => {
      if (typeof operand !== 'number' || !Number.isInteger(operand) || operand < 0) {
        throw new ConditionError(at, '$size takes a non-negative integer');
      }
      return some((v) => Array.isArray(v) && v.length === operand, false);
    },
  },
  $exists: {
    operand: 'exists',     field: (operand, at, expand) => {
      if (typeof operand !== 'boolean' && operand !== 0 && operand !== 1) throw new ConditionError(at, '$exists takes true or false');
      const present = some((v) => v !== undefined, false);
      return operand ? present : not(present);
    },
    fast: (y, segs, slow) => {
      if (typeof y !== 'boolean' && y !== 0 && y !== 1) return undefined;
      const want = !!y;
      return (doc) => {
        const v = readPath(doc, segs);
        return v instanceof Fanout ? slow.test(v) : (v !== undefined) === want;
      };
    },
  },
  $type: {
    operand: 'type',     field: (operand, at, expand) => {
      const names = Array.isArray(operand) ? operand : [operand];
      if (names.length === 0) throw new ConditionError(at, '$type takes a type name or a non-empty list of them');
      const tests = names.map((n, i) => typeTest(n, Array.isArray(operand) ? `${at}[${i}]` : at));
      return some((v) => tests.some((t) => t(v)), expand);
    },
  },
  $regex: {
    operand: 'regex',     field: (operand, at, expand, siblings) => {
      const re = regex(operand, regexOptions(siblings), at);
      const test = remembering((v) => matches(re, v));
      return some((v) => typeof v === 'string' && test(v), expand);
    },
    fast: (y, segs, slow) => {
      const re = typeof y === 'string' ? patternOf(y) : undefined;
      if (!re) return undefined;
      const test = remembering((v) => matches(re, v));
      return (doc) => {
        const v = peek(doc, segs);
        return typeof v === 'string' ? test(v) && owns(doc, segs) : isObject(v) && owns(doc, segs) && slow.test(v);
      };
    },
  },
  $options: { operand: 'options', modifies: '$regex' },
  $not: {
    operand: 'not',     query: (operand, at, query) => {
      const inner = query(operand, at);
      return (doc) => !inner(doc);
    },
    field: (operand, at, expand) => {
      if (!isOperatorObject(operand, at)) throw new ConditionError(at, '$not takes an operator object, e.g. { "$not": { "$gt": 5 } }');
      return not(compileValueTest(operand, at, !expand));
    },
  },
  $and: { operand: 'conditions', query: combine('$and', allOf) },
  $or: { operand: 'conditions', query: combine('$or', anyOf) },
  $nor: { operand: 'conditions', query: combine('$nor', (list) => { const any = anyOf(list); return (doc) => !any(doc); }) },
  $veq: versioned('$veq', (c) => c === 0),
  $vne: versioned('$vne', (c) => c === 0, true),
  $vgt: versioned('$vgt', (c) => c > 0),
  $vgte: versioned('$vgte', (c) => c >= 0),
  $vlt: versioned('$vlt', (c) => c < 0),
  $vlte: versioned('$vlte', (c) => c <= 0),
};

/** Every operator name, in the table's order. */
export const KNOWN_OPERATORS: readonly string[] = /* @__PURE__ */ Object.keys(OPERATORS);

/** The table by name for lookups: a Map has no inherited names, and one get is cheaper than an own-property check and a read. */
const SPECS: ReadonlyMap<string, OperatorSpec> = /* @__PURE__ */ new Map(Object.entries(OPERATORS));

/** The operator of that name, or undefined (never an inherited property). */
export function operatorSpec(name: string): OperatorSpec | undefined {
  return SPECS.get(name);
}

/** What a field compared with a bare value means ({ "metrics.orders": 0 }). */
export const IMPLICIT_OPERATOR = '$eq';
/** How explanations label the conditions of a list. */
export const EACH_CONDITION = '$and';

/** A field-level operator that only modifies another (so it is not a clause of its own). */
export const isModifier = (name: string): boolean => operatorSpec(name)?.modifies !== undefined;

/** The flags given beside a $regex. */
export function regexOptions(siblings: Record<string, unknown>): unknown {
  return siblings.$options;
}

/**
 * { $elemMatch: { $gt: 5, $not: { $gt: 9 } } } tests the element itself; { $elemMatch: { sku: "x" } }
 * (or $and/$or/$nor, or {}) queries it. As in MongoDB the first key decides, and the query form
 * sees the elements that are documents or arrays.
 */
export function isElemMatchValueForm(operand: Record<string, unknown>): boolean {
  const first = Object.keys(operand)[0];
  return first !== undefined && first.startsWith('$') && operatorSpec(first)?.operand !== 'conditions';
}

export function isOperatorObject(v: unknown, at: string): v is Record<string, unknown> {
  if (!isPlainObject(v)) return false;
  const keys = Object.keys(v);
  if (keys.length === 0) return false;
  const ops = keys.filter((k) => k.startsWith('$')).length;
  if (ops === 0) return false;
  if (ops !== keys.length) throw new ConditionError(at, 'mixes operators ($…) and plain fields in one object');
  return true;
}

/** A field operator's test, or the compiler's error for a name that is not one. */
export function compileFieldOperator(op: string, operand: unknown, at: string, expand: boolean, siblings: Record<string, unknown>): ResolvedTest {
  const spec = operatorSpec(op);
  if (spec?.field) return spec.field(operand, at, expand, siblings);
  if (spec?.query) throw new ConditionError(at, `${op} belongs at the query level, not inside a field`);
  throw new ConditionError(at, `unknown operator "${op}"`);
}

/** A query-level operator's matcher, or the compiler's error. */
export function compileQueryOperator(op: string, operand: unknown, at: string, query: (cond: unknown, at: string) => Matcher): Matcher {
  const spec = operatorSpec(op);
  if (spec?.query) return spec.query(operand, at, query);
  if (spec) return fieldOnly(op)(operand, at);
  throw new ConditionError(at, `unknown operator "${op}"`);
}

// ---- fast closures ------------------------------------------------------------------------

const isScalarConstant = (y: unknown): y is string | number => typeof y === 'string' || (typeof y === 'number' && Number.isFinite(y));

/** A value `peek` read that is an object or an array: the general test's to answer. */
const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null;

/**
 * Equality with a constant that is not an object (a string, number, boolean), nor undefined: it
 * matches a missing value, so peek could not stand an inherited value in for one.
 */
export function fastEquals(y: unknown, segs: string[], slow: GeneralTest): Matcher {
  if (segs.length === 2) return twoSteps(segs, y, slow);
  return (doc) => {
    const v = peek(doc, segs);
    if (v === y) return owns(doc, segs);
    return isObject(v) && owns(doc, segs) && equalsRead(v, y, slow);
  };
}

/** Equality's answer for a value read exactly: the constant, in an array, or among a fan-out's values. */
const equalsRead = (v: unknown, y: unknown, slow: GeneralTest): boolean =>
  v === y || (isObject(v) && (Array.isArray(v) ? v.indexOf(y) >= 0 : v instanceof Fanout && slow.test(v)));

/**
 * Equality on a path of two steps ("traits.tier"), the rules' commonest clause: peek's read and
 * owns' check inline, each value on the way read once (through an array, exactly).
 */
function twoSteps(segs: string[], y: unknown, slow: GeneralTest): Matcher {
  const a = segs[0]!;
  const b = segs[1]!;
  return (doc) => {
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return equalsRead(readPath(doc, segs), y, slow);
    const o = (doc as Record<string, unknown>)[a];
    if (typeof o !== 'object' || o === null) return false;
    if (Array.isArray(o)) return hasOwn.call(doc, a) && equalsRead(resolve(o, segs, 1), y, slow);
    const v = (o as Record<string, unknown>)[b];
    if (v === y) return hasOwn.call(o, b) && hasOwn.call(doc, a);
    return isObject(v) && hasOwn.call(o, b) && hasOwn.call(doc, a) && equalsRead(v, y, slow);
  };
}

/** One end of a range ({ $gte: 18 }): the comparison inline, `slow` for arrays and fan-outs. */
function fastCompare(bound: Bound): FastCompiler {
  const lower = bound.lower;
  const inclusive = bound.inclusive;
  return (y, segs, slow) => {
    if (!isScalarConstant(y)) return undefined;
    const kind = typeof y;
    return (doc) => {
      const v = peek(doc, segs) as typeof y;
      if (typeof v !== kind) return isObject(v) && owns(doc, segs) && slow.test(v);
      return (lower ? (inclusive ? v >= y : v > y) : inclusive ? v <= y : v < y) && owns(doc, segs);
    };
  };
}

/**
 * A lower and an upper bound ({ $gte: 18, $lt: 23 }) with constants of one type: one read of the
 * path, both comparisons inline. `slow` is the general test of both, for arrays and fan-outs.
 */
export function fastRange(a: OperatorSpec | undefined, x: unknown, b: OperatorSpec | undefined, y: unknown, segs: string[], slow: GeneralTest): Matcher | undefined {
  if (!a?.bound || !b?.bound || a.bound.lower === b.bound.lower) return undefined;
  if (!isScalarConstant(x) || !isScalarConstant(y) || typeof x !== typeof y) return undefined;
  const aLow = a.bound.lower;
  const lo = aLow ? x : y;
  const hi = aLow ? y : x;
  const loIn = (aLow ? a : b).bound!.inclusive;
  const hiIn = (aLow ? b : a).bound!.inclusive;
  const kind = typeof lo;
  return (doc) => {
    const v = peek(doc, segs) as typeof lo;
    if (typeof v !== kind) return isObject(v) && owns(doc, segs) && slow.test(v);
    return (loIn ? v >= lo : v > lo) && (hiIn ? v <= hi : v < hi) && owns(doc, segs);
  };
}

function fastOneOf(y: unknown, want: boolean, segs: string[], slow: GeneralTest): Matcher | undefined {
  if (!Array.isArray(y) || !y.every((v) => v !== null && typeof v !== 'object')) return undefined;
  const set = new Set(y);
  // A missing value is in no list here, so an inherited one (peek) counts only when the hit is own.
  return (doc) => {
    const v = peek(doc, segs);
    if (!isObject(v)) return (set.has(v) && owns(doc, segs)) === want;
    if (!Array.isArray(v)) return owns(doc, segs) ? slow.test(v) : !want;
    for (let i = 0; i < v.length; i++) if (set.has(v[i])) return owns(doc, segs) === want;
    return !want;
  };
}
