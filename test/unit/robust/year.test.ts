// A year of heavy use on one device: every day a few visits with ~150 events (pages, product
// views with items, cart adds, purchases, labels). Retention and the bound keep the raw events,
// aggregates keep the long-term knowledge: the store stays under its documented size (5 MB).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDB } from 'idb';
import { describe, expect, it, vi } from 'vitest';
import { createMicroseg } from '../../../src';

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1, 8);
const config = JSON.parse(readFileSync(join(import.meta.dirname, '../../../examples/shop.config.json'), 'utf8'));
const CATEGORIES = ['handbags', 'shoes', 'ski', 'coats', 'scarves'];

/** Bytes the site's data takes: every record of every object store as JSON, plus microseg's localStorage keys. */
async function bytesStored(name: string): Promise<{ total: number; chunks: number; kv: number; events: number }> {
  const db = await openDB(name);
  let chunks = 0;
  let kv = 0;
  let events = 0;
  for (const store of db.objectStoreNames) {
    for (const value of await db.getAll(store)) {
      const n = JSON.stringify(value).length;
      if (store === 'chunks') (chunks += n), (events += (value as { events: unknown[] }).events.length);
      else kv += n;
    }
  }
  db.close();
  let local = 0;
  for (let i = 0; i < localStorage.length; i++) local += (localStorage.getItem(localStorage.key(i)!) ?? '').length;
  return { total: chunks + kv + local, chunks, kv, events };
}

describe('a year of heavy use', () => {
  it('stays under 5 MB through retention and compaction', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    let t = START;
    let peak = 0;
    let n = 0;
    for (let day = 0; day < 365; day++) {
      for (const hour of [9, 13, 20]) {
        t = START + day * DAY + hour * 3_600_000;
        const ms = createMicroseg({ config, autoPage: false, dbName: 'year', now: () => t });
        await ms.ready;
        for (let i = 0; i < 50; i++) {
          t += 20_000;
          const cat = CATEGORIES[(day + i) % CATEGORIES.length]!;
          const item = { item_id: `${cat}-${i % 17}`, item_name: `A ${cat} product number ${i % 17}`, item_category: cat, price: 40 + (i % 9) * 35 };
          if (i % 5 === 0) ms.page({ path: `/c/${cat}`, title: `${cat} — Shop` });
          else if (i % 5 < 4) ms.track('view_item', { currency: 'EUR', value: item.price, items: [item] });
          else ms.track(i % 25 === 24 ? 'purchase' : 'add_to_cart', { currency: 'EUR', value: item.price, items: [item], transaction_id: `T${day}-${i}` });
          n++;
        }
        if (day % 30 === 0 && hour === 9) ms.label('newsletter', { ttl: '90d', value: 'weekly' });
        await ms.flush();
        ms.destroy();
        await new Promise((r) => setTimeout(r, 0));
      }
      if (day % 30 === 29) peak = Math.max(peak, (await bytesStored('year')).total);
    }
    const end = await bytesStored('year');
    peak = Math.max(peak, end.total);
    console.log(`a year: ${n} events tracked; stored now ${end.events} raw events, ${(end.total / 1e6).toFixed(2)} MB (raw events ${(end.chunks / 1e6).toFixed(2)} MB, other records ${(end.kv / 1e3).toFixed(1)} KB); peak ${(peak / 1e6).toFixed(2)} MB`);
    expect(n).toBe(365 * 150);
    expect(peak).toBeLessThan(5_000_000);
    // Long-term knowledge survived the raw events: a year of orders is still counted.
    const ms = createMicroseg({ config, autoPage: false, dbName: 'year', now: () => t });
    await ms.ready;
    const orders = (ms as any).explain('vip')?.clauses?.flatMap((c: any) => [c, ...(c.clauses ?? [])]).find((c: any) => c.path === 'metrics.orders')?.actual;
    console.log(`orders counted over the year: ${orders}`);
    ms.destroy();
  }, 600_000);
});
