// The operand compilers the operator table (operators.ts) builds its tests from. They know
// values and types, not operator names: `op` is only the name an error message quotes.
import { compareVersions, parseVersion, type Version } from './semver';
import { ConditionError, equals, isDocument, remembering, type Test } from './values';

/** An order comparison: `test(seen, wanted)`, and whether it includes equality (for null). */
export interface Order {
  test: (a: number, b: number) => boolean;
  inclusive: boolean;
}

export function compare(op: string, x: unknown, at: string, order: Order): Test {
  if (x === null) {
    // MongoDB: $gte/$lte null behave like equality to null; $gt/$lt null match nothing.
    return order.inclusive ? equals(null) : () => false;
  }
  if (x instanceof Date) return compareDates(op, x.getTime(), at, order);
  const kind = typeof x;
  if (kind !== 'number' && kind !== 'string' && kind !== 'boolean') {
    throw new ConditionError(at, `${op} compares with a number, string, boolean or Date, not ${JSON.stringify(x)}`);
  }
  if (kind === 'number' && !Number.isFinite(x)) throw new ConditionError(at, `${op} needs a finite number`);
  const y = x as number;
  const test = order.test;
  // Values of another type never match (MongoDB's type bracketing): "10" is not > 5.
  return (v) => typeof v === kind && test(v as number, y);
}

/** Dates compare by time, and only with Dates (MongoDB's type bracketing: not with ISO strings). */
function compareDates(op: string, t: number, at: string, order: Order): Test {
  if (Number.isNaN(t)) throw new ConditionError(at, `${op} needs a valid Date`);
  const test = order.test;
  // A value that is not a Date reads as NaN, which no comparison passes.
  return (v) => test(v instanceof Date ? v.getTime() : NaN, t);
}

export function oneOf(operand: unknown, at: string): Test {
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

const TYPE_CODES: Record<number, string> = { 1: 'double', 2: 'string', 3: 'object', 4: 'array', 8: 'bool', 9: 'date', 10: 'null', 16: 'int', 18: 'long' };
/** The numeric BSON type codes $type accepts. */
export const TYPE_CODE_NUMBERS = /* @__PURE__ */ Object.keys(TYPE_CODES).map(Number);
/** The type names $type accepts. */
export const TYPE_NAMES = ['number', 'double', 'decimal', 'int', 'long', 'string', 'bool', 'boolean', 'null', 'array', 'object', 'date'];

export function typeTest(name: unknown, at: string): Test {
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

export function regex(source: unknown, options: unknown, at: string): RegExp {
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


/** Versions by their text, parsed once for all the conditions (and values) that name them; shared, never changed. */
const VERSIONS = new Map<string, Version | null>();
const MAX_VERSIONS = 256;

function versionOf(text: string): Version | undefined {
  let v = VERSIONS.get(text);
  if (v === undefined) {
    v = parseVersion(text) ?? null;
    if (VERSIONS.size >= MAX_VERSIONS) VERSIONS.clear();
    VERSIONS.set(text, v);
  }
  return v ?? undefined;
}

export function versionTest(op: string, operand: unknown, at: string, pass: (c: number) => boolean): Test {
  const want = typeof operand === 'string' ? versionOf(operand) : undefined;
  if (!want) throw new ConditionError(at, `${op} takes a version string like "1.4.0"`);
  // A page reads the same few versions over and over: each is parsed and compared once.
  const test = remembering((v) => {
    const seen = versionOf(v);
    return seen !== undefined && pass(compareVersions(seen, want));
  });
  return (v) => typeof v === 'string' && test(v);
}
