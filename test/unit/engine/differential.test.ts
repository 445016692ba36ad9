// Compiled conditions against sift (an independent MongoDB-semantics implementation) on
// random documents: arrays, nested arrays of objects, missing fields, nulls, mixed types.
import fc from 'fast-check';
import sift from 'sift';
import { describe, expect, it } from 'vitest';
import { compileCondition } from '../../../src/engine';

const scalar = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom('a', 'b', 'c'), fc.boolean(), fc.constant(null));
const leaf = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }));
const item = fc.record({ k: leaf, n: fc.integer({ min: -3, max: 3 }) }, { requiredKeys: [] });
const doc = fc.record({ a: leaf, b: fc.record({ c: leaf }, { requiredKeys: [] }), items: fc.array(item, { maxLength: 3 }) }, { requiredKeys: [] });

const path = fc.constantFrom('a', 'b.c', 'items.k', 'items.n', 'items.0.k');
const num = fc.integer({ min: -3, max: 3 });
const str = fc.constantFrom('a', 'b', 'c');
const value = fc.oneof(num, str, fc.boolean());
const operator: fc.Arbitrary<unknown> = fc.oneof(
  value,
  fc.record({ $eq: value }),
  fc.record({ $ne: value }),
  fc.record({ $gt: fc.oneof(num, str) }),
  fc.record({ $gte: fc.oneof(num, str) }),
  fc.record({ $lt: fc.oneof(num, str) }),
  fc.record({ $lte: fc.oneof(num, str) }),
  fc.record({ $gte: num, $lt: num }),
  fc.record({ $in: fc.array(value, { maxLength: 3 }) }),
  fc.record({ $nin: fc.array(value, { maxLength: 3 }) }),
  fc.record({ $exists: fc.boolean() }),
  fc.record({ $size: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ $all: fc.array(value, { minLength: 1, maxLength: 2 }) }),
  fc.record({ $regex: fc.constantFrom('^a', 'b|c') }),
  fc.record({ $not: fc.record({ $gt: num }) }),
  fc.record({ $elemMatch: fc.record({ $gt: num }) }),
);
const clause = fc.tuple(path, operator).map(([p, o]) => ({ [p]: o }));
const condition = fc.oneof(
  clause,
  fc.tuple(clause, clause).map(([x, y]) => ({ ...x, ...y })),
  fc.array(clause, { minLength: 1, maxLength: 3 }).map((l) => ({ $or: l })),
  fc.array(clause, { minLength: 1, maxLength: 3 }).map((l) => ({ $nor: l })),
  fc.record({ items: fc.record({ $elemMatch: fc.tuple(fc.constantFrom('k', 'n'), operator).map(([p, o]) => ({ [p]: o })) }) }),
);

describe('compiled conditions agree with sift', () => {
  it('on random conditions and documents', () => {
    fc.assert(
      fc.property(condition, fc.array(doc, { minLength: 1, maxLength: 8 }), (rawCond, rawDocs) => {
        // Plain JSON, as configs and contexts are (fast-check builds null-prototype objects).
        const cond = JSON.parse(JSON.stringify(rawCond));
        const docs = JSON.parse(JSON.stringify(rawDocs)) as unknown[];
        const ours = compileCondition(cond);
        const theirs = sift(cond as never);
        for (const d of docs) expect(ours(d), JSON.stringify({ cond, d })).toBe(theirs(d));
      }),
      { numRuns: 3000 },
    );
  });
});
