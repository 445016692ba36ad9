// Broken storage: a full disk mid-batch, an upgrade blocked by an old tab, a connection lost while
// running. The SDK keeps working and loses nothing it could keep.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDB } from 'idb';
import { createMicroseg, type TrackedEvent } from '../../../src';
import { createStore } from '../../../src/store';

const DAY = 86_400_000;
const T = Date.UTC(2026, 10, 23, 12);
const event = (id: string, ts: number): TrackedEvent => ({
  id, type: 'x', ts, seq: 0, props: {}, page: { url: '', path: '', title: '', referrer: '' }, aid: 'a', visit: 1,
});
const ids = async (name: string) => {
  const db = await openDB(name);
  const chunks = await db.getAll('chunks');
  db.close();
  return chunks.flatMap((c: { events: TrackedEvent[] }) => c.events.map((e) => e.id)).sort();
};

afterEach(() => vi.restoreAllMocks());

describe('storage failures', () => {
  it('quota exceeded mid-batch: expired raw events go first, then the oldest; aggregates stay; one error event', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const errors: Array<{ code: string; message: string }> = [];
    const store = createStore({ name: 'full', report: (e) => errors.push(e), now: () => T, retentionDays: 30 });
    await store.persist();
    // 10 days of history (one chunk a day), 2 of them past the retention, and an aggregate record.
    for (let d = 0; d < 10; d++) {
      store.append(event(`old${d}`, T - (40 - d * 2) * DAY + 1));
      await store.flush();
    }
    store.put('engine', { metrics: { orders: 12 } });
    await store.flush();
    // The disk is full until two rounds of room have been made.
    const put = IDBObjectStore.prototype.put;
    let refusals = 0;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: any[]) {
      if (this.name === 'chunks' && refusals < 2) {
        refusals++;
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      }
      return put.apply(this, args as never);
    });
    store.append(event('new1', T));
    store.append(event('new2', T));
    await store.flush();
    expect(store.mode).toBe('indexeddb');
    // Expired: old0..old5 (40..30 days ago); then the oldest half of the remaining four: old6, old7.
    expect(await ids('full')).toEqual(['new1', 'new2', 'old8', 'old9']);
    expect(await store.get('engine')).toEqual({ metrics: { orders: 12 } });
    expect(errors.map((e) => e.code)).toEqual(['storage-quota']);
    expect(errors[0]!.message).toMatch(/8 oldest raw events were dropped/);
  });

  it('quota exceeded for good: in memory, nothing lost, one error event', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const errors: string[] = [];
    const store = createStore({ name: 'full2', report: (e) => errors.push(e.code), now: () => T });
    await store.persist();
    store.append(event('a', T - DAY));
    await store.flush();
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
      throw new DOMException('full', 'QuotaExceededError');
    });
    store.append(event('b', T));
    await store.flush();
    expect(store.mode).toBe('memory');
    expect(errors).toEqual(['storage-quota']);
    expect((await store.events()).map((e) => e.id)).toContain('b');
  });

  it('an upgrade blocked by an old tab that never lets go: ready still resolves, the SDK counts in memory, and writes once the old tab closes', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    // An old tab (an SDK of schema version 1) holds the database open and ignores versionchange.
    const old = await new Promise<IDBDatabase>((resolve) => {
      const req = indexedDB.open('blocked', 1);
      req.onupgradeneeded = () => {
        req.result.createObjectStore('chunks', { keyPath: 'key' }).createIndex('last', 'last');
        req.result.createObjectStore('kv');
      };
      req.onsuccess = () => resolve(req.result);
    });
    const errors: string[] = [];
    const ms = createMicroseg({ dbName: 'blocked', autoPage: false, config: { schema: 1, version: '1', metrics: { taps: { event: 'tap', agg: 'count' } }, segments: [{ id: 'tapper', when: { 'metrics.taps': { $gte: 2 } } }, { id: 'everyone', fallback: true }] } });
    ms.on('error', (e) => errors.push(e.code));
    const ready = await Promise.race([ms.ready.then(() => 'ready'), new Promise((r) => setTimeout(() => r('hung'), 4000))]);
    expect(ready).toBe('ready');
    expect(errors).toContain('storage-blocked');
    ms.track('tap');
    ms.track('tap');
    expect(ms.segments()).toEqual(['tapper']);
    old.close(); // the old tab goes away: the upgrade runs and what waited is written
    await ms.flush();
    expect((await ids('blocked')).length).toBe(2);
    ms.destroy();
  }, 10_000);

  it('the connection lost while running is reopened; nothing is lost', async () => {
    const errors: string[] = [];
    const store = createStore({ name: 'lost', report: (e) => errors.push(e.code) });
    await store.persist();
    store.append(event('before', T));
    await store.flush();
    // The browser reclaimed the connection, or another tab's deleteDB/upgrade: its next transaction throws.
    const transaction = IDBDatabase.prototype.transaction;
    vi.spyOn(IDBDatabase.prototype, 'transaction').mockImplementationOnce(function (this: IDBDatabase, ...args: any[]) {
      this.close();
      return transaction.apply(this, args as never);
    });
    store.append(event('after', T));
    await store.flush();
    expect(store.mode).toBe('indexeddb');
    expect(await ids('lost')).toEqual(['after', 'before']);
    expect(errors).toEqual([]);
  });
});
