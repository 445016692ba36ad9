// A returning visitor's start under the config it saw before hashes none of it again: the hashes
// the engine took (metric state keys, the config's fingerprint) are stored with the first page's
// events and read back with the rest of the start's records.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMicroseg, type Microseg, type MicrosegConfig } from '../../../src';
import { createStore } from '../../../src/store';

const config: MicrosegConfig = {
  schema: 1,
  version: 'h1',
  metrics: { views: { event: 'view', agg: 'count' }, carts: { event: 'cart', agg: 'count', window: '7d' } },
  segments: [
    ...Array.from({ length: 120 }, (_, i) => ({ id: `viewed-${i}`, when: { 'metrics.views': { $gte: i + 1 } } })),
    { id: 'everyone', fallback: true },
  ],
};

let open: Microseg[] = [];
afterEach(() => {
  for (const ms of open) ms.destroy();
  open = [];
});

/** One page: starts, tracks a view, stores it, closes; returns the characters string hashing read meanwhile. */
async function page(dbName: string): Promise<number> {
  const spy = vi.spyOn(String.prototype, 'charCodeAt');
  try {
    const ms = createMicroseg({ config: structuredClone(config), autoPage: false, dbName });
    open.push(ms);
    await ms.ready;
    ms.track('view');
    await ms.flush();
    ms.destroy();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

async function storedHashes(dbName: string): Promise<unknown> {
  const store = createStore({ name: dbName, report: () => {} });
  await store.persist();
  const hashes = await store.get('hashes');
  store.close();
  return hashes;
}

describe('the hashes of a config seen before', () => {
  it('are read back at the next start, which hashes none of the config again and writes no new ones', async () => {
    const first = await page('start-hashes');
    const stored = await storedHashes('start-hashes');
    expect(stored instanceof Map && stored.size).toBeGreaterThan(0);
    const puts = vi.spyOn(IDBObjectStore.prototype, 'put');
    const second = await page('start-hashes');
    const rewritten = puts.mock.calls.filter(([, key]) => key === 'hashes').length;
    puts.mockRestore();
    expect(second).toBeLessThan(first / 4);
    expect(rewritten).toBe(0);
    expect(await storedHashes('start-hashes')).toEqual(stored);
  });
});
