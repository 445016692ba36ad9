// The condition compiler: MongoDB query syntax compiled once into plain closures.
// No eval and no `new Function`, so it runs under the strictest Content-Security-Policy.
// Operators come from the one table (operators.ts); paths from paths.ts; values from values.ts.

import { isPlainObject } from '../shared/util';
import { compileFieldOperator, compileQueryOperator, fastEquals, fastRange, isElemMatchValueForm, isModifier, isOperatorObject, operatorSpec } from './operators';
import { pathSegments, readPath } from './paths';
import { allOf, ConditionError, formatPath, isDocument, join, MAX_NESTING, some, equals, tooDeep, type Condition, type Matcher, type ResolvedTest, type Test } from './values';

/**
 * Compiles a condition once; the matcher is then called per evaluation. `path` is where the
 * condition sits in the config ("segments[3].when"): errors name the offending part from there.
 */
export function compileCondition(cond: Condition, path = ''): Matcher {
  const deep = tooDeep(cond);
  if (deep) throw new ConditionError(formatPath(path, deep), `is nested deeper than ${MAX_NESTING} levels`);
  return compileQuery(cond, path);
}

// Compile time is start-up time: the compilers below loop by index and build no intermediate
// objects, because iterators, tuples and copies in cold code cost garbage collections.

export function compileQuery(cond: unknown, path: string): Matcher {
  if (!isPlainObject(cond)) throw new ConditionError(path, 'a condition must be an object');
  const keys = Object.keys(cond);
  if (keys.length === 1) return compileClause(keys[0]!, cond[keys[0]!], path);
  const parts: Matcher[] = [];
  for (let i = 0; i < keys.length; i++) parts.push(compileClause(keys[i]!, cond[keys[i]!], path));
  return allOf(parts);
}

/**
 * One clause: a query operator ({ "$or": [...] }) or a field's test. A fresh process runs this
 * cold, so the field's fast closure is chosen here rather than through more small functions.
 */
function compileClause(key: string, operand: unknown, path: string): Matcher {
  const at = path ? `${path}.${key}` : key;
  if (key.charCodeAt(0) === DOLLAR) return compileQueryOperator(key, operand, at, compileQuery);
  const segs = pathSegments(key, at);
  return fastField(segs, operand, at) ?? generalField(segs, operand, at);
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
  if (scalar) return fastEquals(operand, segs, slow);
  const o = operand as Record<string, unknown>;
  const ops = Object.keys(o);
  const one = ops.length === 1 ? operatorSpec(ops[0]!) : undefined;
  // A modifier alone ({ $options }) is left to the general test, which reports it.
  if (one) return one.modifies === undefined ? one.fast?.(o[ops[0]!], segs, slow, at) : undefined;
  if (ops.length < 2) return undefined;
  for (let i = 0; i < ops.length; i++) if (isModifier(ops[i]!)) return undefined;
  // { $gte: 18, $lt: 23 }: one closure, one read of the path.
  const range = ops.length === 2 ? fastRange(operatorSpec(ops[0]!), o[ops[0]!], operatorSpec(ops[1]!), o[ops[1]!], segs, slow) : undefined;
  return range ?? fastEach(segs, o, ops, at);
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
  return (el) => (isDocument(el) || Array.isArray(el)) && q(el);
}

