// Metric state is stored under the hash of the metric's definition: the hash must not change
// from one version to the next (stored aggregates would be lost), whatever way it is computed.
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { canonicalHash, digest, knownHashes, type Hashes } from '../../../src/engine/digest';
import { plainJson, toJson } from '../../../src/shared/util';

/** The reference: JSON text with sorted keys, built in full, then hashed with cyrb53 char by char. */
function canonicalText(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalText).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalText((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'boolean') return String(v);
  return 'null';
}

function cyrb53(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

describe('canonicalHash', () => {
  it('is the hash of the sorted-key JSON text, for any plain data', () => {
    const data = fc.jsonValue().chain((v) => fc.constantFrom(v, { wrapped: v, gone: undefined }, [v, undefined, -0, Infinity]));
    fc.assert(fc.property(data, (v) => canonicalHash(v) === cyrb53(canonicalText(v))), { numRuns: 500 });
  });

  it('does not depend on key order', () => {
    expect(canonicalHash({ a: 1, b: [2, { c: 3, d: 4 }] })).toBe(canonicalHash({ b: [2, { d: 4, c: 3 }], a: 1 }));
  });

  it('gives the hashes earlier versions stored metric state under', () => {
    expect(canonicalHash({ agg: 'count', event: ['add_to_cart', 'view_item'], window: '7d', $state: 2 })).toBe('i2v8lxf3s2');
    expect(canonicalHash({ agg: 'distinct', event: ['view_item'], field: 'items.item_category', where: { 'items.price': { $gte: 10 } }, limit: 50 })).toBe('4zvsskkhx4');
    expect(canonicalHash({ z: [1, 'a', null, true, { b: 2, a: [3.5, -0] }], u: undefined, e: '\u2028"\\' })).toBe('jkydp8u0p');
  });
});

const hashesFrom = (known: ReadonlyMap<string, string> = new Map()): Hashes => ({ known, taken: new Map() });

/** Characters read by string hashing while `run` runs (cyrb53 reads every one). */
function charsRead(run: () => void): number {
  const spy = vi.spyOn(String.prototype, 'charCodeAt');
  try {
    run();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

describe('hashes remembered across pages', () => {
  it('give back, for equal data (a copy, as storage returns it), the very hash taken afresh', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const first = hashesFrom();
        const h = canonicalHash(v, first);
        const d = digest(v, first);
        const again = hashesFrom(knownHashes(structuredClone(first.taken)));
        return h === canonicalHash(v) && canonicalHash(structuredClone(v), again) === h && digest(structuredClone(v), again) === d && d === digest(v);
      }),
      { numRuns: 300 },
    );
  });

  it('hash no text they know: a start under a config seen before reads none of its characters', () => {
    const big = { segments: Array.from({ length: 200 }, (_, i) => ({ id: `s${i}`, when: { 'metrics.views': { $gte: i } } })) };
    const first = hashesFrom();
    expect(charsRead(() => digest(big, first))).toBeGreaterThan(10_000);
    const again = hashesFrom(first.taken);
    expect(charsRead(() => digest(structuredClone(big), again))).toBe(0);
    expect(again.taken).toEqual(first.taken);
  });

  it('read from storage only as a map of strings to strings', () => {
    expect(knownHashes(new Map<unknown, unknown>([['a', 'h1'], [1, 'h2'], ['b', 2]]))).toEqual(new Map([['a', 'h1']]));
    for (const stored of [undefined, null, 'x', { a: 'h1' }, [['a', 'h1']]]) expect(knownHashes(stored).size).toBe(0);
  });
});

describe('a page that gives the prototypes a toJSON', () => {
  const hostile: Array<[object, string]> = [[Object.prototype, 'toJSON'], [Array.prototype, 'toJSON']];

  function polluted<T>(run: () => T): T {
    for (const [proto, key] of hostile) Object.defineProperty(proto, key, { value: () => 'same', configurable: true, writable: true });
    try {
      return run();
    } finally {
      for (const [proto, key] of hostile) delete (proto as Record<string, unknown>)[key];
    }
  }

  it('cannot make two configs hash alike, nor hand a remembered hash to other data', () => {
    const a = { segments: [{ id: 'a', when: { 'metrics.views': { $gte: 1 } } }] };
    const b = { segments: [{ id: 'b', when: { 'metrics.views': { $gte: 2 } } }] };
    const first = hashesFrom();
    const [da, ca] = polluted(() => [digest(a, first), canonicalHash(a, first)]);
    expect([da, ca]).toEqual([digest(a), canonicalHash(a)]);
    const next = hashesFrom(first.taken);
    expect(polluted(() => [digest(b, next), canonicalHash(b, next)])).toEqual([digest(b), canonicalHash(b)]);
  });

  it('leaves plain JSON text as the SDK writes it', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => plainJson(v) === toJson(v) && polluted(() => plainJson(v)) === toJson(v)), { numRuns: 300 });
  });
});
