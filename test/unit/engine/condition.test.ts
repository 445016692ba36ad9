import { describe, expect, it } from 'vitest';
import { compileCondition, ConditionError, KNOWN_OPERATORS } from '../../../src/engine';
import { explainCondition } from '../../../src/engine';

const m = (cond: Record<string, unknown>, doc: unknown) => compileCondition(cond)(doc);

describe('equality', () => {
  it('matches implicit and explicit equality on scalars', () => {
    expect(m({ a: 1 }, { a: 1 })).toBe(true);
    expect(m({ a: 1 }, { a: 2 })).toBe(false);
    expect(m({ a: { $eq: 'x' } }, { a: 'x' })).toBe(true);
    expect(m({ a: 1 }, { a: '1' })).toBe(false);
  });
  it('matches an array containing the value, or equal to it', () => {
    expect(m({ tags: 'sale' }, { tags: ['new', 'sale'] })).toBe(true);
    expect(m({ tags: ['new', 'sale'] }, { tags: ['new', 'sale'] })).toBe(true);
    expect(m({ tags: ['sale', 'new'] }, { tags: ['new', 'sale'] })).toBe(false);
    expect(m({ tags: ['a'] }, { tags: [['a'], ['b']] })).toBe(true);
  });
  it('treats null as null or missing', () => {
    expect(m({ a: null }, {})).toBe(true);
    expect(m({ a: null }, { a: null })).toBe(true);
    expect(m({ a: null }, { a: 0 })).toBe(false);
    expect(m({ a: { $ne: null } }, {})).toBe(false);
    expect(m({ a: { $ne: null } }, { a: 0 })).toBe(true);
  });
  it('compares objects deeply', () => {
    expect(m({ a: { x: 1, y: [2] } }, { a: { y: [2], x: 1 } })).toBe(true);
    expect(m({ a: { x: 1 } }, { a: { x: 1, y: 2 } })).toBe(false);
    expect(m({ a: {} }, { a: {} })).toBe(true);
  });
  it('$ne is the negation of $eq, array semantics included', () => {
    expect(m({ a: { $ne: 1 } }, { a: 2 })).toBe(true);
    expect(m({ a: { $ne: 1 } }, {})).toBe(true);
    expect(m({ a: { $ne: 1 } }, { a: [1, 2] })).toBe(false);
  });
});

describe('comparisons', () => {
  it('$gt $gte $lt $lte on numbers and strings', () => {
    expect(m({ a: { $gt: 5 } }, { a: 6 })).toBe(true);
    expect(m({ a: { $gt: 5 } }, { a: 5 })).toBe(false);
    expect(m({ a: { $gte: 5 } }, { a: 5 })).toBe(true);
    expect(m({ a: { $lt: 5 } }, { a: 4.9 })).toBe(true);
    expect(m({ a: { $lte: 5 } }, { a: 5 })).toBe(true);
    expect(m({ d: { $gte: '2026-11-01' } }, { d: '2026-11-23' })).toBe(true);
  });
  it('never compares across types (no coercion)', () => {
    expect(m({ a: { $gt: 5 } }, { a: '10' })).toBe(false);
    expect(m({ a: { $lt: 5 } }, { a: null })).toBe(false);
    expect(m({ a: { $lt: 5 } }, {})).toBe(false);
    expect(m({ a: { $gt: 'a' } }, { a: 1 })).toBe(false);
  });
  it('matches when any array element compares', () => {
    expect(m({ a: { $gt: 5 } }, { a: [1, 7] })).toBe(true);
    expect(m({ a: { $gt: 5 } }, { a: [1, 2] })).toBe(false);
  });
  it('applies each operator to any element independently (MongoDB semantics)', () => {
    // 0 satisfies $lt, 10 satisfies $gt: MongoDB matches; $elemMatch would not.
    expect(m({ a: { $gt: 5, $lt: 3 } }, { a: [0, 10] })).toBe(true);
    expect(m({ a: { $elemMatch: { $gt: 5, $lt: 3 } } }, { a: [0, 10] })).toBe(false);
    expect(m({ a: { $elemMatch: { $gt: 5, $lt: 8 } } }, { a: [0, 7] })).toBe(true);
  });
  it('null operands', () => {
    expect(m({ a: { $gte: null } }, {})).toBe(true);
    expect(m({ a: { $gt: null } }, { a: null })).toBe(false);
  });
});

describe('$in $nin $all $size', () => {
  it('$in / $nin', () => {
    expect(m({ a: { $in: [1, 2] } }, { a: 2 })).toBe(true);
    expect(m({ a: { $in: [1, 2] } }, { a: [3, 2] })).toBe(true);
    expect(m({ a: { $in: [1, 2] } }, { a: 3 })).toBe(false);
    expect(m({ a: { $in: [null] } }, {})).toBe(true);
    expect(m({ a: { $in: [[1, 2]] } }, { a: [1, 2] })).toBe(true);
    expect(m({ a: { $nin: [1, 2] } }, { a: 3 })).toBe(true);
    expect(m({ a: { $nin: [1, 2] } }, {})).toBe(true);
    expect(m({ a: { $nin: [1, 2] } }, { a: [3, 1] })).toBe(false);
  });
  it('$all', () => {
    expect(m({ a: { $all: ['x', 'y'] } }, { a: ['y', 'z', 'x'] })).toBe(true);
    expect(m({ a: { $all: ['x', 'y'] } }, { a: ['x'] })).toBe(false);
    expect(m({ a: { $all: ['x'] } }, { a: 'x' })).toBe(true);
    expect(m({ a: { $all: [] } }, { a: [] })).toBe(false);
    expect(m({ a: { $all: [{ $elemMatch: { k: 1 } }, { $elemMatch: { k: 2 } }] } }, { a: [{ k: 2 }, { k: 1 }] })).toBe(true);
  });
  it('$size', () => {
    expect(m({ a: { $size: 2 } }, { a: [1, 2] })).toBe(true);
    expect(m({ a: { $size: 0 } }, { a: [] })).toBe(true);
    expect(m({ a: { $size: 1 } }, { a: 'x' })).toBe(false);
    expect(m({ a: { $size: 1 } }, {})).toBe(false);
  });
});

describe('$exists $type $regex', () => {
  it('$exists', () => {
    expect(m({ a: { $exists: true } }, { a: null })).toBe(true);
    expect(m({ a: { $exists: true } }, {})).toBe(false);
    expect(m({ a: { $exists: false } }, {})).toBe(true);
    expect(m({ 'a.b': { $exists: true } }, { a: [{ c: 1 }, { b: 0 }] })).toBe(true);
    expect(m({ 'a.b': { $exists: false } }, { a: [{ c: 1 }, { b: 0 }] })).toBe(false);
  });
  it('$type by name, alias, code and list', () => {
    expect(m({ a: { $type: 'string' } }, { a: 'x' })).toBe(true);
    expect(m({ a: { $type: 'number' } }, { a: 1.5 })).toBe(true);
    expect(m({ a: { $type: 'int' } }, { a: 1.5 })).toBe(false);
    expect(m({ a: { $type: 2 } }, { a: 'x' })).toBe(true);
    expect(m({ a: { $type: ['bool', 'null'] } }, { a: null })).toBe(true);
    expect(m({ a: { $type: 'array' } }, { a: [] })).toBe(true);
    expect(m({ a: { $type: 'string' } }, { a: [1, 'x'] })).toBe(true);
    expect(m({ a: { $type: 'object' } }, { a: [] })).toBe(false);
  });
  it('$regex with $options', () => {
    expect(m({ url: { $regex: '/handbags/' } }, { url: 'https://x.test/handbags/12' })).toBe(true);
    expect(m({ url: { $regex: '^HTTPS', $options: 'i' } }, { url: 'https://x' })).toBe(true);
    expect(m({ url: { $regex: '^HTTPS' } }, { url: 'https://x' })).toBe(false);
    expect(m({ t: { $regex: '^a' } }, { t: ['b', 'ab', 'a'] })).toBe(true);
    expect(m({ t: { $regex: '1' } }, { t: 1 })).toBe(false);
  });
});

describe('logic', () => {
  it('$and $or $nor and top-level $not', () => {
    const doc = { a: 1, b: 2 };
    expect(m({ $and: [{ a: 1 }, { b: 2 }] }, doc)).toBe(true);
    expect(m({ $or: [{ a: 2 }, { b: 2 }] }, doc)).toBe(true);
    expect(m({ $or: [{ a: 2 }, { b: 3 }] }, doc)).toBe(false);
    expect(m({ $nor: [{ a: 2 }, { b: 3 }] }, doc)).toBe(true);
    expect(m({ $not: { a: 1 } }, doc)).toBe(false);
    expect(m({}, doc)).toBe(true);
  });
  it('field $not negates the operator expression (missing fields match)', () => {
    expect(m({ a: { $not: { $gt: 5 } } }, { a: 3 })).toBe(true);
    expect(m({ a: { $not: { $gt: 5 } } }, {})).toBe(true);
    expect(m({ a: { $not: { $gt: 5 } } }, { a: [1, 9] })).toBe(false);
  });
});

describe('dotted paths', () => {
  const doc = {
    user: { address: { city: 'Lyon' } },
    items: [
      { sku: 'A', price: 20, item_category: 'shoes', tags: ['x'] },
      { sku: 'B', price: 350, item_category: 'handbags', tags: ['y', 'z'] },
    ],
  };
  it('reads nested objects and crosses arrays', () => {
    expect(m({ 'user.address.city': 'Lyon' }, doc)).toBe(true);
    expect(m({ 'items.price': { $gt: 300 } }, doc)).toBe(true);
    expect(m({ 'items.price': { $gt: 400 } }, doc)).toBe(false);
    expect(m({ 'items.tags': 'z' }, doc)).toBe(true);
    expect(m({ 'items.1.sku': 'B' }, doc)).toBe(true);
    expect(m({ 'items.0.sku': 'B' }, doc)).toBe(false);
    expect(m({ 'items.sku': { $all: ['A', 'B'] } }, doc)).toBe(true);
    expect(m({ 'items.color': null }, doc)).toBe(true);
  });
  it('$elemMatch requires one element to satisfy everything', () => {
    expect(m({ items: { $elemMatch: { item_category: 'handbags', price: { $gt: 300 } } } }, doc)).toBe(true);
    expect(m({ items: { $elemMatch: { item_category: 'shoes', price: { $gt: 300 } } } }, doc)).toBe(false);
    expect(m({ 'items.item_category': 'shoes', 'items.price': { $gt: 300 } }, doc)).toBe(true);
  });
  it('does not read inherited properties', () => {
    expect(m({ constructor: { $exists: true } }, {})).toBe(false);
    expect(m({ 'a.toString': { $exists: true } }, { a: {} })).toBe(false);
  });
});

describe('semantic versions', () => {
  it('compares versions, not strings', () => {
    expect(m({ v: { $vgt: '1.9.0' } }, { v: '1.10.0' })).toBe(true);
    expect(m({ v: { $gt: '1.9.0' } }, { v: '1.10.0' })).toBe(false);
    expect(m({ v: { $veq: '1.2' } }, { v: 'v1.2.0' })).toBe(true);
    expect(m({ v: { $vlt: '2.0.0' } }, { v: '2.0.0-beta.2' })).toBe(true);
    expect(m({ v: { $vlt: '2.0.0-beta.10' } }, { v: '2.0.0-beta.2' })).toBe(true);
    expect(m({ v: { $vlt: '2.0.0-beta' } }, { v: '2.0.0-alpha.3' })).toBe(true);
    expect(m({ v: { $vgte: '2.0.0' } }, { v: '2.0.0+build.5' })).toBe(true);
    expect(m({ v: { $vlte: '1.0.0' } }, { v: 'garbage' })).toBe(false);
    expect(m({ v: { $vne: '1.0.0' } }, { v: '1.0.1' })).toBe(true);
    expect(m({ v: { $vne: '1.0.0' } }, { v: '1.0' })).toBe(false);
  });
});

describe('errors', () => {
  const err = (cond: unknown, path?: string) => {
    try {
      compileCondition(cond as Record<string, unknown>, path);
    } catch (e) {
      expect(e).toBeInstanceOf(ConditionError);
      return (e as Error).message;
    }
    throw new Error('expected a ConditionError');
  };
  it('names the path of an unknown operator', () => {
    expect(err({ 'metrics.orders': { $gtt: 1 } }, 'segments[3].when')).toBe(
      'segments[3].when.metrics.orders.$gtt: unknown operator "$gtt"',
    );
    expect(err({ $or: [{ a: 1 }, { b: { $foo: 1 } }] })).toBe('$or[1].b.$foo: unknown operator "$foo"');
    expect(err({ $where: 'x' })).toBe('$where: unknown operator "$where"');
  });
  it('rejects bad operands', () => {
    expect(err({ a: { $in: 5 } })).toMatch(/^a\.\$in: .*array/);
    expect(err({ a: { $size: -1 } })).toMatch(/^a\.\$size/);
    expect(err({ a: { $regex: '(' } })).toMatch(/^a\.\$regex: bad regular expression/);
    expect(err({ a: { $regex: 'x', $options: 'g' } })).toMatch(/\$options/);
    expect(err({ a: { $options: 'i' } })).toMatch(/needs \$regex/);
    expect(err({ a: { $gt: {} } })).toMatch(/^a\.\$gt/);
    expect(err({ a: { $vgt: 'latest' } })).toMatch(/version/);
    expect(err({ a: { $type: 'date-ish' } })).toMatch(/unknown type/);
    expect(err({ $and: [] })).toMatch(/non-empty array/);
    expect(err({ a: { $gt: 1, b: 2 } })).toMatch(/mixes operators/);
    expect(err({ $gt: 1 })).toMatch(/needs a field/);
    expect(err({ a: { $and: [] } })).toMatch(/query level/);
    expect(err({ a: { $exists: 'yes' } })).toMatch(/\$exists/);
    expect(err({ '__proto__.x': 1 })).toMatch(/bad path/);
    expect(err([1])).toMatch(/must be an object/);
  });
  it('a path split once for many clauses still reads each document, and a bad one throws every time, where it sits', () => {
    const first = compileCondition({ 'metrics.orders': 1 });
    const second = compileCondition({ 'metrics.orders': { $gte: 2 } });
    expect([first({ metrics: { orders: 1 } }), second({ metrics: { orders: 1 } }), second({ metrics: { orders: 3 } })]).toEqual([true, false, true]);
    expect(err({ 'a..b': 1 }, 'segments[0].when')).toBe('segments[0].when.a..b: bad path "a..b"');
    expect(err({ $or: [{ 'a..b': 1 }] }, 'segments[1].when')).toBe('segments[1].when.$or[0].a..b: bad path "a..b"');
  });
  it('a pattern or a version named by many conditions is read once, and a bad one refused every time', () => {
    const a = compileCondition({ url: { $regex: '/bags/' } });
    const b = compileCondition({ url: { $regex: '/bags/' }, n: 1 });
    expect([a({ url: '/bags/1' }), b({ url: '/bags/1', n: 1 }), b({ url: '/bags/1', n: 2 }), a({ url: '/shoes/' })]).toEqual([true, true, false, false]);
    expect(err({ a: { $regex: '(' } })).toMatch(/bad regular expression/);
    expect(err({ b: { $regex: '(' } })).toMatch(/^b\.\$regex: bad regular expression/);
    const older = compileCondition({ v: { $vlt: '2.0.0' } });
    const newer = compileCondition({ v: { $vgte: '2.0.0' } });
    expect([older({ v: '1.9.9' }), newer({ v: '1.9.9' }), older({ v: '2.0.0' }), newer({ v: '2.0.0' })]).toEqual([true, false, false, true]);
    expect(err({ v: { $vgt: 'latest' } })).toMatch(/version/);
    expect(err({ w: { $vgt: 'latest' } })).toMatch(/^w\.\$vgt: .*version/);
  });
  it('lists the operators it knows', () => {
    expect(KNOWN_OPERATORS).toContain('$elemMatch');
    expect(KNOWN_OPERATORS).toContain('$vgte');
  });
});

describe('explainCondition', () => {
  it('reports every clause with the value seen', () => {
    const cond = { 'metrics.orders': 0, 'metrics.views': { $gte: 1, $lt: 10 }, $or: [{ a: 1 }, { b: 2 }] };
    const out = explainCondition(cond, { metrics: { orders: 2, views: 3 }, b: 2 });
    expect(out).toEqual([
      { path: 'metrics.orders', operator: '$eq', expected: 0, actual: 2, pass: false },
      { path: 'metrics.views', operator: '$gte', expected: 1, actual: 3, pass: true },
      { path: 'metrics.views', operator: '$lt', expected: 10, actual: 3, pass: true },
      {
        operator: '$or', pass: true, clauses: [
          { operator: '$and', pass: false, clauses: [{ path: 'a', operator: '$eq', expected: 1, actual: undefined, pass: false }] },
          { operator: '$and', pass: true, clauses: [{ path: 'b', operator: '$eq', expected: 2, actual: 2, pass: true }] },
        ],
      },
    ]);
  });
});
