// The graph's indexes built in one pass equal the obviously-correct construction.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { byRoot, prefixesOf } from '../../../src/engine/graph';

const segment = fc.constantFrom('profile', 'metrics', 'labels', 'a', 'b', 'hour');
const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('.'));

/** The reference: split, then every leading slice joined. */
const prefixesRef = (paths: string[]) => new Set(paths.flatMap((p) => p.split('.').map((_, i, segs) => segs.slice(0, i + 1).join('.'))));

/** The reference: a set per root, then copied into lists. */
function byRootRef<T>(entries: [string, T[]][]): Map<string, T[]> {
  const out = new Map<string, Set<T>>();
  for (const [key, list] of entries) {
    const root = key.split('.')[0]!;
    const set = out.get(root) ?? new Set<T>();
    for (const x of list) set.add(x);
    out.set(root, set);
  }
  return new Map([...out].map(([k, v]) => [k, [...v]]));
}

describe('graph indexes', () => {
  it('prefixesOf: every path and its dotted prefixes', () => {
    fc.assert(fc.property(fc.array(path), (paths) => {
      expect([...prefixesOf(paths)].sort()).toEqual([...prefixesRef(paths)].sort());
    }));
  });

  it('byRoot: each root its entries once, in first-registered order, the input lists untouched', () => {
    const entries = fc.array(fc.tuple(path, fc.array(fc.nat(6))));
    fc.assert(
      fc.property(entries, (es) => {
        const before = structuredClone(es);
        const got = byRoot(es);
        expect([...got]).toEqual([...byRootRef(es)]);
        expect(es).toEqual(before);
        for (const [, list] of got) for (const [, l] of es) expect(list).not.toBe(l);
      }),
    );
  });
});
