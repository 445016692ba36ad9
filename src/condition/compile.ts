// The condition compiler: MongoDB query syntax compiled once into plain closures.
// No eval and no `new Function`, so it runs under the strictest Content-Security-Policy.
// Operators come from the one table (operators.ts); paths from paths.ts; values from values.ts.

import { isPlainObject } from '../shared/util';
import { compileFieldOperator, compileQueryOperator, fastEquals, fastRange, isElemMatchValueForm, isModifier, isOperatorObject, operatorSpec } from './operators';
import { pathSegments, readPath } from './paths';
import { allOf, ConditionError, formatPath, isQueryable, join, MAX_NESTING, some, equals, tooDeep, type Condition, type Matcher, type ResolvedTest, type Test } from './values';

/**
 * Compiles a condition once; the matcher is then called per evaluation. `path` is where the
 * condition sits in the config ("segments[3].when"): errors name the offending part from there.
 */
export function compileCondition(cond: Condition, path = ''): Matcher {
  nesting = 0;
  deepest = 0;
  uncounted = false;
  counting = true;
  let matcher: Matcher | undefined;
  let failure: unknown;
  try {
    matcher = compileQuery(cond, path);
  } catch (err) {
    failure = err;
  }
  counting = false;
  return matcher === undefined || uncounted || deepest > VOUCHED ? compileWalked(cond, path, matcher, failure) : matcher;
}

/**
 * Where the count cannot vouch: the nesting walk decides, first as it always did, so a condition
 * too deep is reported as such whatever else is wrong with it.
 */
function compileWalked(cond: Condition, path: string, matcher: Matcher | undefined, failure: unknown): Matcher {
  const deep = tooDeep(cond);
  if (deep) throw new ConditionError(formatPath(path, deep), `is nested deeper than ${MAX_NESTING} levels`);
  if (failure === UNVOUCHED) return compileQuery(cond, path);
  if (failure !== undefined) throw failure;
  return matcher!;
}

// The nesting walk (tooDeep) cost a fifth of a cold compile, and the compilers visit the same
// nodes: so compileCondition counts how deep its queries nest and walks only when the count
// cannot vouch for the condition. A query level adds at most two levels (a field's operand and
// its $elemMatch; an $or's list and its element) and a query's own leaves sit at most two below
// it, so `VOUCHED` query levels stay under MAX_NESTING. Literal values take a general test and
// can nest any depth: a general test compiled during the count leaves it to the walk.
const VOUCHED = MAX_NESTING / 2 - 1;
/** Thrown when queries nest deeper than the count vouches for, before they could overflow the stack. */
const UNVOUCHED = new Error('nested beyond the counted depth');
let counting = false;
let nesting = 0;
let deepest = 0;
let uncounted = false;

// Compile time is start-up time: the compilers below loop by index and build no intermediate
// objects, because iterators, tuples and copies in cold code cost garbage collections.

export function compileQuery(cond: unknown, path: string): Matcher {
  if (++nesting > deepest) deepest = nesting;
  if (counting && deepest > VOUCHED) throw UNVOUCHED;
  if (!isPlainObject(cond)) throw new ConditionError(path, 'a condition must be an object');
  const keys = Object.keys(cond);
  const parts: Matcher[] | undefined = keys.length === 1 ? undefined : [];
  let clause: Matcher | undefined;
  // Each key a clause: a query operator ({ "$or": [...] }) or a field's test. Compiled in this
  // loop rather than a function of its own: a fresh process pays for every function it first calls.
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const at = join(path, key);
    if (key.charCodeAt(0) === DOLLAR) clause = compileQueryOperator(key, cond[key], at, compileQuery);
    else {
      const segs = pathSegments(key, at);
      clause = fastField(segs, cond[key], at) ?? generalField(segs, cond[key], at);
    }
    parts?.push(clause);
  }
  nesting--;
  return parts ? allOf(parts) : clause!;
}

const DOLLAR = 36;

/**
 * The general test of a fast clause, built on first need: it handles arrays and fan-outs, which
 * most clauses never see. A plain object literal, cheaper to make than a closure with its scope
 * or a class instance (compile time is start-up time).
 */
export interface GeneralTest {
  readonly operand: unknown;
  readonly at: string;
  built: ResolvedTest | undefined;
  test(this: GeneralTest, r: unknown): boolean;
}

function testGeneral(this: GeneralTest, r: unknown): boolean {
  return (this.built ??= compileValueTest(this.operand, this.at))(r);
}

function generalField(segs: string[], operand: unknown, at: string): Matcher {
  const test = compileValueTest(operand, at); // also where a bad operand throws
  return (doc) => test(readPath(doc, segs));
}

/**
 * The common clauses (a scalar compared with a constant) as one closure with the path read and
 * the comparison inline: calls through closure variables cannot be inlined by the JIT, so each
 * layer saved counts. Arrays and fan-outs take the general test.
 */
function fastField(segs: string[], operand: unknown, at: string): Matcher | undefined {
  const scalar = typeof operand !== 'object';
  if (!scalar && (operand === null || Array.isArray(operand))) return undefined;
  const slow: GeneralTest = { operand, at, built: undefined, test: testGeneral };
  if (scalar) return operand === undefined ? undefined : fastEquals(operand, segs, slow);
  const o = operand as Record<string, unknown>;
  const ops = Object.keys(o);
  if (ops.length === 1) {
    const one = operatorSpec(ops[0]!);
    // A modifier alone ({ $options }) is left to the general test, which reports it.
    return one?.modifies === undefined ? one?.fast?.(o[ops[0]!], segs, slow, at) : undefined;
  }
  if (ops.length === 2) {
    // { $gte: 18, $lt: 23 }: one closure, one read of the path.
    const a = operatorSpec(ops[0]!);
    const b = operatorSpec(ops[1]!);
    if (a?.modifies !== undefined || b?.modifies !== undefined) return undefined;
    return fastRange(a, o[ops[0]!], b, o[ops[1]!], segs, slow) ?? fastEach(segs, o, ops, at);
  }
  for (let i = 0; i < ops.length; i++) if (isModifier(ops[i]!)) return undefined;
  return ops.length === 0 ? undefined : fastEach(segs, o, ops, at);
}

/** { $exists: true, $ne: null }: one fast closure per operator, when each has one. */
function fastEach(segs: string[], operand: Record<string, unknown>, ops: string[], at: string): Matcher | undefined {
  const parts: Matcher[] = [];
  for (let i = 0; i < ops.length; i++) {
    const part = fastField(segs, { [ops[i]!]: operand[ops[i]!] }, at);
    if (!part) return undefined;
    parts.push(part);
  }
  return allOf(parts);
}

/**
 * What a field's value must satisfy: an operator object, or a value for implicit equality.
 * `element`: the value is one array element of a value-form $elemMatch, tested as it is (an
 * array element that is itself an array is not searched, as in MongoDB).
 */
export function compileValueTest(operand: unknown, at: string, element = false): ResolvedTest {
  uncounted = true;
  if (!isOperatorObject(operand, at)) return some(equals(operand), !element);
  const tests: ResolvedTest[] = [];
  const ops = Object.keys(operand);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const modified = operatorSpec(op)?.modifies;
    if (modified !== undefined) {
      if (!(modified in operand)) throw new ConditionError(join(at, op), `${op} needs ${modified}`);
      continue;
    }
    tests.push(compileFieldOperator(op, operand[op], join(at, op), !element, operand));
  }
  if (tests.length === 1) return tests[0]!;
  return (r) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i]!(r)) return false;
    return true;
  };
}


export function elementTest(operand: unknown, at: string): Test {
  if (!isPlainObject(operand)) throw new ConditionError(at, '$elemMatch takes a condition object');
  if (isElemMatchValueForm(operand)) {
    const t = compileValueTest(operand, at, true);
    return (el) => t(el);
  }
  const q = compileQuery(operand, at);
  return (el) => isQueryable(el) && q(el);
}

