// MongoDB's own asserted query results (its null-query semantics suite, the documents that JSON
// can carry), plus the operator cases a config can meet: the compiler must agree with MongoDB.
import { describe, expect, it } from 'vitest';
import { checkRules, type ConfigIssue } from '../../../src/config/rules';
import { compileCondition, ConditionError } from '../../../src/engine';

const DOCS: Record<string, unknown> = {
  a_empty_subobject: { a: {} },
  a_null: { a: null },
  a_number: { a: 4 },
  a_subobject_b_not_null: { a: { b: 'hi' } },
  a_subobject_b_null: { a: { b: null } },
  no_a: {},
  a_double_array: { a: [[]] },
  a_empty_array: { a: [] },
  a_object_array_b_mix_null_missing: { a: [{ b: null }, { b: null }, {}] },
  a_object_array_no_b_nulls: { a: [{ b: 1 }, { b: 3 }, { b: 'string' }] },
  a_object_array_some_b_nulls: { a: [{ b: null }, { b: 3 }, { b: null }] },
  a_object_array_some_b_missing: { a: [{ b: 3 }, {}] },
  a_value_array_all_nulls: { a: [null, null] },
  a_value_array_no_nulls: { a: [1, 'string', 4] },
  a_value_array_with_null: { a: [1, 'string', null, 4] },
};
const ALL = Object.keys(DOCS);
const except = (ids: string[]) => ALL.filter((id) => !ids.includes(id));
const matching = (cond: Record<string, unknown>) => {
  const m = compileCondition(cond);
  return ALL.filter((id) => m(DOCS[id]));
};

const A_NULL = ['a_null', 'a_value_array_all_nulls', 'a_value_array_with_null', 'no_a'];
const AB_NOT_NULL = ['a_subobject_b_not_null', 'a_object_array_no_b_nulls'];

describe('null and arrays, as MongoDB answers', () => {
  const cases: [Record<string, unknown>, string[]][] = [
    [{ a: { $eq: null } }, A_NULL],
    [{ a: null }, A_NULL],
    [{ a: { $ne: null } }, except(A_NULL)],
    [{ a: { $in: [null, 75] } }, A_NULL],
    [{ $or: [{ a: null }, { a: 75 }] }, A_NULL],
    [{ a: { $nin: [null, 75] } }, except(A_NULL)],
    [{ a: { $nin: [null, []] } }, except([...A_NULL, 'a_double_array', 'a_empty_array'])],
    [{ a: { $not: { $gte: null } } }, except(A_NULL)],
    [{ 'a.b': { $eq: null } }, except(AB_NOT_NULL)],
    [{ 'a.b': null }, except(AB_NOT_NULL)],
    [{ 'a.b': { $ne: null } }, AB_NOT_NULL],
    [{ 'a.b': { $in: [null, 75] } }, except(AB_NOT_NULL)],
    [{ $or: [{ 'a.b': null }, { 'a.b': 75 }] }, except(AB_NOT_NULL)],
    [{ 'a.b': { $nin: [null, 75] } }, AB_NOT_NULL],
    [{ a: { $elemMatch: { $eq: null } } }, ['a_value_array_all_nulls', 'a_value_array_with_null']],
    [
      { a: { $elemMatch: { $ne: null } } },
      ['a_double_array', 'a_object_array_b_mix_null_missing', 'a_object_array_no_b_nulls', 'a_object_array_some_b_nulls', 'a_object_array_some_b_missing', 'a_value_array_no_nulls', 'a_value_array_with_null'],
    ],
    [{ a: { $elemMatch: { b: { $eq: null } } } }, ['a_double_array', 'a_object_array_b_mix_null_missing', 'a_object_array_some_b_nulls', 'a_object_array_some_b_missing']],
    [{ a: { $elemMatch: { b: { $ne: null } } } }, ['a_object_array_no_b_nulls', 'a_object_array_some_b_nulls', 'a_object_array_some_b_missing']],
    [{ 'a.b': { $elemMatch: { $eq: null } } }, []],
    [{ 'a.b': { $elemMatch: { $ne: null } } }, []],
  ];
  for (const [cond, expected] of cases) {
    it(JSON.stringify(cond), () => expect(matching(cond)).toEqual(ALL.filter((id) => expected.includes(id))));
  }

  it('"a.b" does not exist on non-objects (no array documents in this part of MongoDB\'s suite)', () => {
    const m = compileCondition({ 'a.b': { $exists: false } });
    const flat = ['a_empty_subobject', 'a_null', 'a_number', 'a_subobject_b_not_null', 'a_subobject_b_null', 'no_a'];
    expect(flat.filter((id) => m(DOCS[id]))).toEqual(['a_empty_subobject', 'a_null', 'a_number', 'no_a']);
  });

  it('an empty cart has no item category: {"cart.items.category": {"$ne": null}} is false', () => {
    const m = compileCondition({ 'cart.items.category': { $ne: null } });
    expect(m({ cart: { items: [] } })).toBe(false);
    expect(m({ cart: { items: [{ sku: 'x' }] } })).toBe(false);
    expect(m({ cart: { items: [{ category: 'shoes' }] } })).toBe(true);
    expect(compileCondition({ 'cart.items.category': null })({ cart: { items: [] } })).toBe(true);
  });

  it('an array inside an array is not crossed by a field name', () => {
    expect(compileCondition({ 'a.b': 1 })({ a: [[{ b: 1 }]] })).toBe(false);
    expect(compileCondition({ 'a.b': 1 })({ a: [{ b: 1 }] })).toBe(true);
    expect(compileCondition({ 'a.b': null })({ a: [[{ b: 1 }]] })).toBe(true);
  });
});

describe('$elemMatch', () => {
  it('takes $not in the value form', () => {
    const m = compileCondition({ a: { $elemMatch: { $not: { $gt: 4 }, $gt: 2 } } });
    expect(m({ a: [1, 3] })).toBe(true);
    expect(m({ a: [1, 5] })).toBe(false);
    expect(m({ a: [] })).toBe(false);
    expect(compileCondition({ a: { $elemMatch: { $not: { $in: [1, 2] } } } })({ a: [1, 2] })).toBe(false);
  });

  it('the value form tests each element itself, not the elements of a nested array', () => {
    expect(compileCondition({ a: { $elemMatch: { $gt: 4 } } })({ a: [[5]] })).toBe(false);
    expect(compileCondition({ a: { $elemMatch: { $gt: 4 } } })({ a: [3, 5] })).toBe(true);
  });

  it('{} matches any element that is an object (or an array), and nothing else', () => {
    const m = compileCondition({ a: { $elemMatch: {} } });
    expect(m({ a: [{}] })).toBe(true);
    expect(m({ a: [1, { x: 1 }] })).toBe(true);
    expect(m({ a: [[]] })).toBe(true);
    expect(m({ a: [1, 'x', null] })).toBe(false);
    expect(m({ a: [] })).toBe(false);
    expect(m({ a: {} })).toBe(false);
  });

  it('is accepted by the config rules with $not in the value form and with {}', () => {
    expect(rules({ 'traits.a': { $elemMatch: { $not: { $gt: 4 }, $gt: 2 } } })).toEqual([]);
    expect(rules({ 'traits.a': { $elemMatch: {} } })).toEqual([]);
  });
});

describe('dates', () => {
  const d = (iso: string) => new Date(iso);
  it('Date values compare by time', () => {
    expect(compileCondition({ a: d('2026-01-01T00:00:00Z') })({ a: d('2026-01-01T00:00:00Z') })).toBe(true);
    expect(compileCondition({ a: d('2026-01-01T00:00:00Z') })({ a: d('2026-06-01T00:00:00Z') })).toBe(false);
    expect(compileCondition({ a: { $gt: d('2026-01-01T00:00:00Z') } })({ a: d('2026-06-01T00:00:00Z') })).toBe(true);
    expect(compileCondition({ a: { $lt: d('2026-01-01T00:00:00Z') } })({ a: d('2026-06-01T00:00:00Z') })).toBe(false);
    expect(compileCondition({ a: { $in: [d('2026-01-01T00:00:00Z')] } })({ a: [d('2026-01-01T00:00:00Z')] })).toBe(true);
    expect(compileCondition({ a: { $ne: d('2026-01-01T00:00:00Z') } })({ a: d('2026-01-02T00:00:00Z') })).toBe(true);
    expect(compileCondition({ a: { $type: 'date' } })({ a: d('2026-01-01T00:00:00Z') })).toBe(true);
  });
  it('a Date is not an object and never equals one', () => {
    expect(compileCondition({ a: {} })({ a: d('2026-01-01T00:00:00Z') })).toBe(false);
    expect(compileCondition({ a: { $type: 'object' } })({ a: d('2026-01-01T00:00:00Z') })).toBe(false);
  });
  it('a Date and an ISO string are different types (MongoDB type bracketing); strings compare as strings', () => {
    expect(compileCondition({ a: { $gt: d('2026-01-01T00:00:00Z') } })({ a: '2026-06-01T00:00:00.000Z' })).toBe(false);
    expect(compileCondition({ a: d('2026-01-01T00:00:00Z') })({ a: '2026-01-01T00:00:00.000Z' })).toBe(false);
    expect(compileCondition({ a: { $gt: '2026-01-01T00:00:00.000Z' } })({ a: '2026-06-01T00:00:00.000Z' })).toBe(true);
  });
});

describe('refused with a path', () => {
  const err = (cond: unknown) => {
    try {
      compileCondition(cond as never);
    } catch (e) {
      expect(e).toBeInstanceOf(ConditionError);
      return (e as Error).message;
    }
    return 'compiled';
  };
  it('$type: []', () => {
    expect(err({ a: { $type: [] } })).toMatch(/^a\.\$type: /);
    expect(rules({ 'traits.a': { $type: [] } })).toEqual([expect.objectContaining({ path: 'segments[0].when["traits.a"].$type' })]);
  });
  it('nesting deeper than the limit, in the compiler and in the config rules', () => {
    let deep: Record<string, unknown> = { 'traits.a': 1 };
    for (let i = 0; i < 20_000; i++) deep = { $and: [deep] };
    expect(err(deep)).toMatch(/^\$and\[0\]\.\$and\[0\]\..*nested deeper than \d+ levels/);
    const issues = rules(deep);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toMatch(/^segments\[0\]\.when\.\$and\[0\]\.\$and\[0\]/);
    expect(issues[0]!.message).toMatch(/nested deeper than \d+ levels/);
    let deepValue: unknown = 1;
    for (let i = 0; i < 20_000; i++) deepValue = [deepValue];
    expect(err({ a: deepValue })).toMatch(/^a(\[0\])+: .*nested deeper/);
  });
  it('a condition at the limit still compiles', () => {
    let ok: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 20; i++) ok = { $and: [ok] };
    expect(compileCondition(ok)({ a: 1 })).toBe(true);
  });
});

function rules(when: unknown): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  checkRules({ schema: 1, version: 't', segments: [{ id: 's', when }, { id: 'rest', fallback: true }] }, out);
  return out;
}
