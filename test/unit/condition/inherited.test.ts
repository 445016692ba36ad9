// The fast clauses read a field without the own-data checks and ask them only on a pass: against
// the exact general test, on documents whose prototypes hold values of their own.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileCondition, compilePath, compileValueTest } from '../../../src/condition';

const scalar = fc.oneof(fc.integer({ min: -2, max: 2 }), fc.constantFrom('a', 'b'), fc.boolean());
const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 2 }), fc.constant({ k: 1 }), fc.constant([{ k: 1 }, { k: 'a' }]));
const fields = (v: fc.Arbitrary<unknown>) => fc.record({ a: v, k: v }, { requiredKeys: [] });
/** A document and its parts, each on a prototype that may hold the same names. */
const layered = (inner: fc.Arbitrary<unknown>) =>
  fc.tuple(fields(inner), fields(inner)).map(([own, inherited]) => Object.assign(Object.create(inherited) as object, own));
const doc = fc.tuple(layered(value), layered(layered(value))).map(([d, b]) => Object.assign(d, { b }));
const operand = fc.oneof(
  scalar,
  fc.record({ $gte: fc.integer({ min: -2, max: 2 }), $lt: fc.integer({ min: -1, max: 3 }) }),
  fc.record({ $gt: fc.integer({ min: -2, max: 2 }) }),
  fc.record({ $in: fc.array(scalar, { maxLength: 2 }) }),
  fc.record({ $nin: fc.array(scalar, { maxLength: 2 }) }),
  fc.record({ $regex: fc.constantFrom('a', '^b') }),
  fc.constant({ $elemMatch: { k: 1 } }),
);
const path = fc.constantFrom('a', 'k', 'b.a', 'b.k', 'b.a.k');

describe('inherited values', () => {
  it('count as missing in every fast clause, as in the general test', () => {
    fc.assert(
      fc.property(path, operand, doc, (p, o, d) => {
        const read = compilePath(p);
        const test = compileValueTest(o, p);
        expect(compileCondition({ [p]: o })(d), JSON.stringify({ p, o })).toBe(test(read(d)));
      }),
      { numRuns: 3000 },
    );
  });
});
