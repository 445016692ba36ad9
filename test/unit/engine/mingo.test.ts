// Differential test: compiled conditions against mingo (an independent MongoDB-query library) on
// random documents and queries over the whole operator set. Where the two disagree, one of the
// documented, deliberate differences (mingo-differences.ts: MongoDB's documented semantics, which
// the compiler follows) must explain it; anything else fails.
import fc from 'fast-check';
import { Query } from 'mingo';
import { describe, expect, it } from 'vitest';
import { compileCondition } from '../../../src/engine';
import { DIFFERENCES } from './mingo-differences';

const DAY = 86_400_000;
/** JSON round trip (fast-check builds null-prototype objects), with "@d<n>" turned into Dates. */
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v), (_k, x) => (typeof x === 'string' && x.startsWith('@d') ? new Date(Number(x.slice(2)) * DAY) : x));

const date = fc.integer({ min: 0, max: 3 }).map((n) => `@d${n}`);
const scalar = fc.oneof(fc.integer({ min: -2, max: 2 }), fc.constantFrom(1.5, 'a', 'b', 'ab', 'B'), fc.boolean(), fc.constant(null), date);
const leaf: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 2, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.array(scalar, { maxLength: 2 }), { maxLength: 2 }) },
);
const sub = fc.record({ b: leaf, c: leaf }, { requiredKeys: [] });
const value: fc.Arbitrary<unknown> = fc.oneof(leaf, sub, fc.array(fc.oneof(sub, scalar), { maxLength: 3 }));
const doc = fc.record({ a: value, x: value }, { requiredKeys: [] });

const path = fc.constantFrom('a', 'a.b', 'a.c', 'x', 'x.b', 'a.0', 'a.0.b', 'a.b.0');
const operand = fc.oneof({ weight: 4, arbitrary: scalar }, { weight: 1, arbitrary: fc.array(scalar, { maxLength: 2 }) });
const { op: operatorObject } = fc.letrec<{ op: Record<string, unknown> }>((tie) => ({
  op: fc.oneof(
    { depthSize: 'small' },
    fc.record({ $eq: operand }),
    fc.record({ $ne: operand }),
    fc.record({ $gt: scalar }),
    fc.record({ $gte: scalar }),
    fc.record({ $lt: scalar }),
    fc.record({ $lte: scalar }),
    fc.record({ $in: fc.array(operand, { maxLength: 3 }) }),
    fc.record({ $nin: fc.array(operand, { maxLength: 3 }) }),
    fc.record({ $all: fc.array(scalar, { minLength: 1, maxLength: 2 }) }),
    fc.record({ $size: fc.integer({ min: 0, max: 2 }) }),
    fc.record({ $exists: fc.boolean() }),
    fc.record({ $type: fc.oneof(fc.constantFrom('number', 'string', 'bool', 'null', 'array', 'object', 'date', 'int', 'double', 2, 8), fc.constant(['string', 'null'])) }),
    fc.record({ $regex: fc.constantFrom('^a', 'b', 'a$') }),
    fc.record({ $regex: fc.constantFrom('^a', 'b'), $options: fc.constantFrom('i', '') }),
    fc.record({ $not: tie('op') }),
    fc.record({
      $elemMatch: fc.oneof(
        tie('op'),
        fc.constant({}),
        fc.tuple(tie('op'), tie('op')).map(([p, q]) => ({ ...p, ...q })),
        fc.tuple(fc.constantFrom('b', 'c'), fc.oneof(tie('op'), scalar)).map(([k, o]) => ({ [k]: o })),
        fc.tuple(fc.constantFrom('b', 'c'), scalar, scalar).map(([k, o, p]) => ({ $or: [{ [k]: o }, { [k]: p }] })),
      ),
    }),
    fc.tuple(tie('op'), tie('op')).map(([p, q]) => ({ ...p, ...q })),
  ),
}));
const clause = fc.oneof(fc.tuple(path, operatorObject).map(([p, o]) => ({ [p]: o })), fc.tuple(path, operand).map(([p, o]) => ({ [p]: o })));
const clauses = fc.array(clause, { minLength: 1, maxLength: 2 });
const query = fc.oneof(
  { weight: 4, arbitrary: clause },
  { weight: 1, arbitrary: fc.tuple(clause, clause).map(([p, q]) => ({ ...p, ...q })) },
  { weight: 1, arbitrary: clauses.map((l) => ({ $or: l })) },
  { weight: 1, arbitrary: clauses.map((l) => ({ $nor: l })) },
  { weight: 1, arbitrary: clauses.map((l) => ({ $and: [{ $or: l }, ...l] })) },
);

const mingo = (q: Record<string, unknown>, d: unknown) => new Query(q).test(d as Record<string, unknown>);

describe('compiled conditions agree with mingo, but for the documented differences', () => {
  it('on random queries over the operator set and random documents', () => {
    const explained: Record<string, number> = {};
    let agreed = 0;
    fc.assert(
      fc.property(query, fc.array(doc, { minLength: 1, maxLength: 6 }), (rawQuery, rawDocs) => {
        const q = plain(rawQuery);
        const ours = compileCondition(q as never);
        const theirs = new Query(q);
        for (const d of plain(rawDocs)) {
          const a = ours(d);
          if (a === theirs.test(d as Record<string, unknown>)) {
            agreed++;
            continue;
          }
          const why = DIFFERENCES.find((x) => x.applies(q, d));
          expect(why, `unexplained: ours ${a}, mingo ${!a} for ${JSON.stringify(q)} on ${JSON.stringify(d)}`).toBeDefined();
          explained[why!.id] = (explained[why!.id] ?? 0) + 1;
        }
      }),
      { numRuns: Number(process.env.DIFFERENTIAL_RUNS ?? 4000) },
    );
    expect(agreed).toBeGreaterThan(Object.values(explained).reduce((a, b) => a + b, 0) * 5);
  });

  for (const difference of DIFFERENCES) {
    it(`deliberate difference "${difference.id}": the compiler does what MongoDB does`, () => {
      for (const { query: q, doc: d, mongodb } of difference.examples) {
        const where = `${JSON.stringify(q)} on ${JSON.stringify(d)}`;
        expect(compileCondition(q as never)(d), where).toBe(mongodb);
        expect(mingo(q, d), `mingo, ${where}`).toBe(!mongodb);
        expect(difference.applies(q, d), where).toBe(true);
      }
    });
  }
});
