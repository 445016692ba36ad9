import { describe, expect, it, vi } from 'vitest';
import { openDB } from 'idb';
import { createMicroseg } from '../../../src';
import { createStore } from '../../../src/store';
import { CHUNK_EVENTS } from '../../../src/store/schema';
import type { TrackedEvent } from '../../../src';

const event = (i: number, ts = Date.now()): TrackedEvent => ({
  id: `e${i}`, type: 'x', ts, seq: i, props: { i }, page: { url: '', path: '', title: '', referrer: '' }, aid: 'a', visit: 1,
});

async function countEvents(name: string): Promise<number> {
  const db = await openDB(name);
  try {
    if (!db.objectStoreNames.contains('chunks')) return 0;
    const chunks = await db.getAll('chunks');
    return chunks.reduce((n, c) => n + c.events.length, 0);
  } finally {
    db.close();
  }
}

async function databaseNames(): Promise<string[]> {
  return (await indexedDB.databases()).map((d) => d.name!);
}

describe('the store', () => {
  it('writes a burst in a few transactions and records, not one per event', async () => {
    const store = createStore({ name: 'burst', report: () => {} });
    await store.persist();
    const transactions = vi.spyOn(IDBDatabase.prototype, 'transaction');
    const puts = vi.spyOn(IDBObjectStore.prototype, 'put');
    for (let i = 0; i < 12_000; i++) store.append(event(i));
    await store.flush();
    expect(transactions.mock.calls.length).toBeLessThanOrEqual(3); // 5,000 events per transaction
    // Chunks of at most CHUNK_EVENTS (a stale record's replay reads whole chunks), and the running count beside them.
    const chunkPuts = puts.mock.contexts.filter((store) => (store as IDBObjectStore).name === 'chunks').length;
    expect(chunkPuts).toBe(Math.ceil(12_000 / CHUNK_EVENTS));
    expect(puts.mock.calls.length).toBeLessThanOrEqual(chunkPuts + 3);
    vi.restoreAllMocks();
    expect(await countEvents('burst')).toBe(12_000);
    expect((await store.events()).map((e) => e.seq)).toEqual([...Array(12_000).keys()]);
  });

  it('reads back the events after a time without reading the rest of a burst', async () => {
    const store = createStore({ name: 'burst-read', report: () => {} });
    await store.persist();
    for (let i = 0; i < 5_000; i++) store.append(event(i, 1_000_000 + i));
    await store.flush();
    const getAll = vi.spyOn(IDBIndex.prototype, 'getAll');
    expect((await store.events(1_000_000 + 4_800)).map((e) => e.seq)).toEqual([...Array(200).keys()].map((i) => 4_800 + i));
    const read = (getAll.mock.results[0]!.value as IDBRequest<Array<{ events: unknown[] }>>).result.reduce((n, c) => n + c.events.length, 0);
    vi.restoreAllMocks();
    expect(read).toBeLessThanOrEqual(CHUNK_EVENTS);
  });

  it('deletes raw events past the retention and beyond the bound after it opens', async () => {
    const t = Date.UTC(2026, 10, 23);
    const first = createStore({ name: 'ret', report: () => {}, now: () => t });
    await first.persist();
    first.append(event(1, t - 40 * 86_400_000));
    for (let i = 2; i <= 6; i++) first.append(event(i, t - i));
    await first.flush();
    first.close();
    const second = createStore({ name: 'ret', report: () => {}, now: () => t, retentionDays: 30, maxEvents: 3, upkeepDelay: 0 });
    await second.persist();
    await vi.waitFor(async () => expect(await countEvents('ret')).toBe(3));
    // e1 is past the retention; of the other five the three newest (smallest age) stay.
    expect((await second.events()).map((e) => e.id).sort()).toEqual(['e2', 'e3', 'e4']);
    expect(await countEvents('ret')).toBe(3);
  });

  it('copies what is not committed into a journal when the page hides, and clears it once committed', async () => {
    const store = createStore({ name: 'journal', report: () => {}, flushDelay: 10_000 });
    await store.persist();
    for (let i = 0; i < 10; i++) store.append(event(i));
    store.journal();
    const key = Object.keys(localStorage).find((k) => k.startsWith('microseg:journal:'))!;
    expect(JSON.parse(localStorage.getItem(key)!)).toHaveLength(10);
    await store.flush();
    expect(localStorage.getItem(key)).toBeNull();
  });

  it('recovers the events a page that closed before its commit left in its journal', async () => {
    const t = Date.now();
    localStorage.setItem('microseg:journal:gone', JSON.stringify([event(1, t), event(2, t)]));
    const store = createStore({ name: 'journal', report: () => {} });
    expect((await store.persist()).map((e) => e.id)).toEqual(['e1', 'e2']);
    expect(await countEvents('journal')).toBe(2);
    expect(Object.keys(localStorage)).toEqual([]);
  });

  it('a journal whose events did commit after all adds nothing twice', async () => {
    const t = Date.now();
    const store = createStore({ name: 'journal2', report: () => {} });
    await store.persist();
    for (let i = 0; i < 10; i++) store.append(event(i, t));
    await store.flush();
    localStorage.setItem('microseg:journal:other', JSON.stringify([event(3, t), event(42, t)]));
    const next = createStore({ name: 'journal2', report: () => {} });
    const recovered = await next.persist();
    expect(recovered.map((e) => e.id)).toEqual(['e42']);
    expect(await countEvents('journal2')).toBe(11);
  });

  it('keeps working in memory and says so when IndexedDB is unavailable', async () => {
    const saved = globalThis.indexedDB;
    // @ts-expect-error simulating a browser without IndexedDB
    delete globalThis.indexedDB;
    try {
      const errors: string[] = [];
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const ms = createMicroseg({ autoPage: false });
      ms.on('error', (e) => errors.push(e.code));
      await ms.ready;
      ms.track('a');
      ms.track('b');
      await ms.flush();
      expect(ms.storage()).toBe('memory');
      expect(errors).toEqual(['storage-unavailable']);
      expect(warn).toHaveBeenCalledTimes(1);
      warn.mockRestore();
      ms.destroy();
    } finally {
      globalThis.indexedDB = saved;
    }
  });

  it('keeps working in memory when opening throws (sandboxed iframe, disabled storage)', async () => {
    vi.spyOn(indexedDB, 'open').mockImplementation(() => {
      throw new DOMException('access denied', 'SecurityError');
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const errors: string[] = [];
    const ms = createMicroseg({ autoPage: false });
    ms.on('error', (e) => errors.push(e.code));
    await ms.ready;
    ms.track('still-works');
    expect(ms.storage()).toBe('memory');
    expect(errors).toContain('storage-unavailable');
    vi.restoreAllMocks();
    warn.mockRestore();
    ms.destroy();
  });

  it('a quota error mid-batch keeps the events in memory and reports it', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const errors: string[] = [];
    const store = createStore({ name: 'quota', report: (e) => errors.push(e.code) });
    await store.persist();
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
      throw new DOMException('full', 'QuotaExceededError');
    });
    store.append(event(1));
    store.append(event(2));
    await store.flush();
    vi.restoreAllMocks();
    warn.mockRestore();
    expect(errors).toEqual(['storage-quota']);
    expect(store.mode).toBe('memory');
    expect((await store.events()).map((e) => e.id)).toEqual(['e1', 'e2']);
  });

  it('steps aside when a newer version of the database is opened in another tab', async () => {
    const store = createStore({ name: 'upgrade', report: () => {} });
    await store.persist();
    store.append(event(1));
    await store.flush();
    // A newer tab upgrades: it must not stay blocked by us.
    const newer = await openDB('upgrade', 99, { upgrade: () => {} });
    expect(newer.version).toBe(99);
    newer.close();
  });
});

describe('consent', () => {
  it('pending: nothing is written to any storage; granted: this page is persisted', async () => {
    const ms = createMicroseg({ consent: 'pending', dbName: 'consent' });
    await ms.ready;
    ms.track('a');
    ms.label('vip');
    await ms.flush();
    expect(await databaseNames()).toEqual([]);
    expect(Object.keys(localStorage)).toEqual([]);
    ms.consent('granted');
    await ms.flush();
    expect(await countEvents('consent')).toBe(2); // the page event and 'a'
    expect(localStorage.getItem('microseg:profile')).toContain(ms.profile().anonymousId);
    ms.destroy();
  });

  it('denied drops what this page collected', async () => {
    const ms = createMicroseg({ consent: 'pending', dbName: 'denied' });
    ms.track('a');
    ms.consent('denied');
    ms.track('b');
    await ms.flush();
    expect(await databaseNames()).toEqual([]);
    expect(Object.keys(localStorage)).toEqual([]);
    ms.destroy();
  });

  it('forget() deletes every byte and stops storing', async () => {
    const ms = createMicroseg({ dbName: 'forget' });
    await ms.ready;
    ms.track('a');
    ms.identify('u1', { email_opt_in: true });
    ms.label('complaint', { ttl: '14d', channel: 'call-centre' });
    await ms.flush();
    expect(await databaseNames()).toEqual(['forget']);
    const before = ms.profile().anonymousId;
    await ms.forget();
    ms.track('after');
    await ms.flush();
    expect(await databaseNames()).toEqual([]);
    expect(Object.keys(localStorage)).toEqual([]);
    expect(ms.profile().anonymousId).not.toBe(before);
    expect(ms.profile().userId).toBeUndefined();
    expect(ms.labels()).toEqual([]);
    ms.destroy();
  });
});

describe('labels (local)', () => {
  it('sets, lists and removes labels; expired labels disappear', async () => {
    let t = 1_000_000;
    const ms = createMicroseg({ autoPage: false, consent: 'denied', now: () => t });
    ms.label('complaint', { ttl: '1d', channel: 'call-centre', value: 'late delivery' });
    ms.label('vip');
    expect(ms.labels().map((l) => l.name).sort()).toEqual(['complaint', 'vip']);
    expect(ms.labels().find((l) => l.name === 'complaint')).toMatchObject({ channel: 'call-centre', value: 'late delivery', at: t, expires: t + 86_400_000 });
    t += 86_400_001;
    expect(ms.labels().map((l) => l.name)).toEqual(['vip']);
    t += 1;
    ms.unlabel('vip');
    expect(ms.labels()).toEqual([]);
    ms.destroy();
  });
});
