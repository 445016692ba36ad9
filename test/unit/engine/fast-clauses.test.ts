// The compiler's specialised closures (a clause compared with a constant, a range of two bounds, the
// nesting check) against the obviously-correct general forms on random documents: arrays, paths
// through arrays of objects, nulls, missing fields, Dates, mixed types, inherited names.
import fc from 'fast-check';
import sift from 'sift';
import { describe, expect, it } from 'vitest';
import { compileCondition, compilePath, compileQuery, compileValueTest, ConditionError, MAX_NESTING, tooDeep, type Matcher } from '../../../src/condition';
import { formatPath } from '../../../src/condition/values';

const scalar = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(0.5, 'a', 'b', 'c', '', 'B'), fc.boolean(), fc.constant(null));
const leaf: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }).map((d) => new Date(d * 1000)) },
  { weight: 2, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.array(scalar, { maxLength: 2 }), { maxLength: 2 }) },
);
const item = fc.record({ k: leaf, n: fc.integer({ min: -3, max: 3 }) }, { requiredKeys: [] });
const doc = fc.record(
  { a: leaf, b: fc.oneof(fc.record({ c: leaf }, { requiredKeys: [] }), leaf), items: fc.array(item, { maxLength: 3 }) },
  { requiredKeys: [] },
);
const path = fc.constantFrom('a', 'b.c', 'items.k', 'items.n', 'items.0.k', 'a.toString', 'constructor', 'b.constructor.name');

const constant = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(0.5, 'a', 'b', ''), fc.boolean());
const lower = fc.constantFrom('$gt', '$gte');
const upper = fc.constantFrom('$lt', '$lte');
const small = fc.integer({ min: -3, max: 3 });
/** Two bounds, in either order, mostly of one type (the specialised closure), else of two (the general path). */
const bounds = fc.oneof({ weight: 3, arbitrary: fc.tuple(small, small) }, { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', 'b'), fc.constantFrom('b', 'c')) }, { weight: 1, arbitrary: fc.tuple(constant, constant) });
const range = fc
  .tuple(lower, upper, bounds, fc.boolean())
  .map(([lo, hi, [x, y], flip]) => (flip ? { [hi]: y, [lo]: x } : { [lo]: x, [hi]: y }));
const operand: fc.Arbitrary<unknown> = fc.oneof(
  constant,
  { weight: 3, arbitrary: range },
  fc.tuple(fc.constantFrom('$eq', '$ne', '$gt', '$gte', '$lt', '$lte'), constant).map(([op, x]) => ({ [op]: x })),
  fc.tuple(lower, constant, lower, constant).map(([p, x, q, y]) => ({ [p]: x, [q]: y })),
  fc.record({ $in: fc.array(constant, { maxLength: 3 }) }),
  fc.record({ $nin: fc.array(constant, { maxLength: 3 }) }),
  fc.record({ $exists: fc.boolean() }),
  fc.record({ $regex: fc.constantFrom('^a', 'b|c', '') }),
  fc.tuple(range, fc.record({ $ne: constant })).map(([r, ne]) => ({ ...r, ...ne })),
);

/** The general form of one clause: the path read the MongoDB way, then the operand's full test. */
const general = (p: string, o: unknown) => {
  const read = compilePath(p);
  const test = compileValueTest(o, p);
  return (d: unknown) => test(read(d));
};

describe('specialised clauses agree with the general test', () => {
  it('on random clauses and documents', () => {
    fc.assert(
      fc.property(path, operand, fc.array(doc, { minLength: 1, maxLength: 6 }), (p, o, docs) => {
        const fast = compileCondition({ [p]: o });
        const slow = general(p, o);
        for (const d of docs) expect(fast(d), JSON.stringify({ p, o, d })).toBe(slow(d));
      }),
      { numRuns: 4000 },
    );
  });

  it('a range of two bounds of one type agrees with sift, an independent implementation', () => {
    // Where sift and MongoDB part (bounds of two types, arrays in arrays) the general test above is the reference.
    const flat = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }));
    const plainDoc = fc.record({ a: flat, items: fc.array(fc.record({ k: flat, n: scalar }, { requiredKeys: [] }), { maxLength: 3 }) }, { requiredKeys: [] });
    const bound = fc.oneof(fc.tuple(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -3, max: 3 })), fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.constantFrom('a', 'b', 'c')));
    const sameType = fc.tuple(lower, upper, bound).map(([lo, hi, [x, y]]) => ({ [lo]: x, [hi]: y }));
    fc.assert(
      fc.property(fc.constantFrom('a', 'items.n', 'items.k'), sameType, fc.array(plainDoc, { minLength: 1, maxLength: 6 }), (p, r, raw) => {
        const docs = JSON.parse(JSON.stringify(raw)) as unknown[];
        const ours = compileCondition({ [p]: r });
        const theirs = sift({ [p]: r } as never);
        for (const d of docs) expect(ours(d), JSON.stringify({ p, r, d })).toBe(theirs(d));
      }),
      { numRuns: 2000 },
    );
  });

  it('a range reads the path once and ignores what a page put on Object.prototype', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.polluted = 5;
    try {
      expect(compileCondition({ 'a.polluted': { $gte: 1, $lt: 9 } })({ a: {} })).toBe(false);
      expect(compileCondition({ polluted: { $gt: 1, $lte: 9 } })({})).toBe(false);
      expect(compileCondition({ polluted: { $gt: 1, $lte: 9 } })({ polluted: 9 })).toBe(true);
    } finally {
      delete proto.polluted;
    }
    let reads = 0;
    const d = Object.defineProperty({}, 'x', { enumerable: true, get: () => (reads++, 5) });
    expect(compileCondition({ x: { $gte: 1, $lt: 9 } })(d)).toBe(true);
    expect(reads).toBe(1);
  });
});

/**
 * The nesting check as it was first written (an explicit stack, last key first), carrying each
 * node's keys: the reference. In a JSON tree a node's keys are its only path.
 */
function stackTooDeep(root: unknown, limit: number): (string | number)[] | undefined {
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

describe('the nesting check', () => {
  it('names the same offending path as the explicit-stack walk', () => {
    const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
      tree: fc.oneof(
        { depthSize: 'medium' },
        fc.constantFrom(1, 'x', null),
        fc.array(tie('tree'), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom('a', 'b', '$or', '$gt'), tie('tree'), { maxKeys: 3 }),
      ),
    }));
    fc.assert(
      fc.property(tree, fc.integer({ min: 1, max: 5 }), (t, limit) => {
        const plain = JSON.parse(JSON.stringify(t) ?? 'null');
        expect(tooDeep(plain, limit)).toEqual(stackTooDeep(plain, limit));
      }),
      { numRuns: 3000 },
    );
  });

  it('compiles as the walk first, then the compiler: the same error or the same answers', () => {
    // The reference: today's order, the nesting walk always and first (compileQuery alone counts nothing).
    const reference = (cond: Record<string, unknown>): Matcher => {
      const deep = tooDeep(cond);
      if (deep) throw new ConditionError(formatPath('', deep), `is nested deeper than ${MAX_NESTING} levels`);
      return compileQuery(cond, '');
    };
    const outcome = (compile: () => Matcher, docs: unknown[]): unknown => {
      try {
        const m = compile();
        return docs.map((d) => m(d));
      } catch (err) {
        return (err as Error).message;
      }
    };
    const base = fc.oneof(
      fc.record({ a: scalar }),
      fc.record({ 'items.n': fc.record({ $gte: small, $lt: small }) }),
      fc.record({ a: fc.record({ $in: fc.array(scalar, { maxLength: 3 }) }) }),
      fc.record({ a: fc.constantFrom({ $bad: 1 }, { $regex: '(' }, [1], { $exists: 'yes' }) }),
    );
    /** Ways to wrap a condition one or two levels deeper: as queries (counted), or as literal values. */
    const query = [
      (c: unknown) => ({ $not: c }),
      (c: unknown) => ({ $and: [c] }),
      (c: unknown) => ({ $or: [{ a: 1 }, c] }),
      (c: unknown) => ({ items: { $elemMatch: c } }),
    ];
    const literal = [(c: unknown) => ({ a: [c] }), (c: unknown) => ({ a: { $eq: c } }), (c: unknown) => ({ items: { $elemMatch: { $not: { $elemMatch: c } } } })];
    const wraps = fc.oneof(
      fc.array(fc.constantFrom(...query, ...literal), { maxLength: 110 }),
      // Around the limit, queries only: where the count alone decides.
      fc.array(fc.constantFrom(...query), { minLength: 30, maxLength: 110 }),
    );
    fc.assert(
      fc.property(base, wraps, fc.array(doc, { maxLength: 3 }), (b, wraps, docs) => {
        const cond = wraps.reduce<unknown>((c, w) => w(c), b) as Record<string, unknown>;
        expect(outcome(() => compileCondition(cond), docs)).toEqual(outcome(() => reference(cond), docs));
      }),
      { numRuns: 1500 },
    );
  });

  it('walks a hostile depth without overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = { a: deep };
    expect(tooDeep(deep)?.length).toBe(100);
    expect(() => compileCondition(deep as Record<string, unknown>)).toThrow(/nested deeper than 100 levels/);
  });
});
