// The store's start path and upkeep: one readonly transaction before the start's reads are
// answered, no key scan at start, retention after the start, the bound kept by a running count.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStore } from '../../../src/store';
import type { TrackedEvent } from '../../../src';

const DAY = 86_400_000;
const T = Date.UTC(2026, 10, 23, 12);
const event = (id: string, ts: number, seq = 0): TrackedEvent => ({
  id, type: 'x', ts, seq, props: {}, page: { url: '', path: '', title: '', referrer: '' }, aid: 'a', visit: 1,
});

function request<R>(req: IDBRequest<R>): Promise<R> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function stored(name: string): Promise<{ ids: string[]; count: unknown }> {
  const db = await request(indexedDB.open(name));
  try {
    const tx = db.transaction(['chunks', 'kv']);
    const chunks = (await request(tx.objectStore('chunks').getAll())) as Array<{ events: TrackedEvent[] }>;
    const count = await request(tx.objectStore('kv').get('eventCount'));
    return { ids: chunks.flatMap((c) => c.events.map((e) => e.id)).sort(), count };
  } finally {
    db.close();
  }
}

async function record(name: string, key: string): Promise<unknown> {
  const db = await request(indexedDB.open(name));
  try {
    return await request(db.transaction('kv').objectStore('kv').get(key));
  } finally {
    db.close();
  }
}

/** A history written by an earlier page, one chunk per day. */
async function history(name: string, days: number[], extra?: (store: ReturnType<typeof createStore>) => void) {
  // Written long ago, when none of it was expired yet.
  const store = createStore({ name, report: () => {}, now: () => T - 60 * DAY });
  await store.persist();
  for (const d of days) {
    store.append(event(`d${d}`, T - d * DAY));
    await store.flush();
  }
  extra?.(store);
  await store.flush();
  store.close();
  await stored(name); // after the upkeep that closing ran
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('the store at start', () => {
  it('answers the start from one readonly transaction, without reading the chunk keys', async () => {
    await history('start', [3, 2, 1], (store) => {
      store.put('engine', { v: 1, at: T } as never);
      store.put('labels', [{ name: 'vip' }]);
    });
    const transactions = vi.spyOn(IDBDatabase.prototype, 'transaction');
    const keys = vi.spyOn(IDBObjectStore.prototype, 'getAllKeys');
    const store = createStore({ name: 'start', report: () => {}, now: () => T, upkeepDelay: 60_000 });
    await store.persist();
    expect(await store.get('engine')).toEqual({ v: 1, at: T });
    expect(await store.get('labels')).toEqual([{ name: 'vip' }]);
    expect(await store.get('exposures')).toBeUndefined();
    expect(transactions.mock.calls.map((c) => c[1] ?? 'readonly')).toEqual(['readonly']);
    expect(keys.mock.contexts.map((s) => (s as IDBObjectStore).name)).not.toContain('chunks');
    store.close();
  });

  it('a record written after the start is read back, not the start copy', async () => {
    await history('fresh', [1], (store) => store.put('labels', ['old']));
    const store = createStore({ name: 'fresh', report: () => {}, now: () => T, upkeepDelay: 60_000 });
    await store.persist();
    store.put('labels', ['new']);
    await store.flush();
    expect(await store.get('labels')).toEqual(['new']);
    store.close();
  });

  it('deletes expired events after the start, when the store is idle, not while it opens', async () => {
    await history('later', [40, 35, 31, 2, 1]);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const store = createStore({ name: 'later', report: () => {}, now: () => T, retentionDays: 30, upkeepDelay: 5000 });
    await store.persist();
    expect((await stored('later')).ids).toEqual(['d1', 'd2', 'd31', 'd35', 'd40']);
    vi.advanceTimersByTime(5000);
    vi.useRealTimers();
    await vi.waitFor(async () => expect((await stored('later')).ids).toEqual(['d1', 'd2']));
    expect((await stored('later')).count).toBe(2);
    expect((await store.events()).map((e) => e.id)).toEqual(['d2', 'd1']);
    store.close();
  });

  it('runs the upkeep only when the last one left it work: events past the retention or the bound, other settings, or a day gone by', async () => {
    await history('hourly', [40, 1]);
    let now = T;
    const page = () => createStore({ name: 'hourly', report: () => {}, now: () => now, retentionDays: 30, upkeepDelay: 0 });
    const first = page();
    await first.persist();
    await vi.waitFor(async () => expect((await stored('hourly')).ids).toEqual(['d1']));
    first.close();
    const transactions = vi.spyOn(IDBDatabase.prototype, 'transaction');
    now = T + 30 * 60_000; // the next page, half an hour later
    const second = page();
    await second.persist();
    await new Promise((r) => setTimeout(r, 50));
    expect(transactions.mock.calls.filter((c) => c[1] === 'readwrite')).toEqual([]);
    second.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(transactions.mock.calls.filter((c) => c[1] === 'readwrite')).toEqual([]); // nor as it closes
    transactions.mockRestore();
    now = T + 31 * DAY; // a month on: the day-old event expired, and the upkeep runs again
    const third = page();
    await third.persist();
    await vi.waitFor(async () => expect((await stored('hourly')).ids).toEqual([]));
    third.close();
  });

  it('runs it on the next page when events went past the bound after it ran', async () => {
    const page = () => createStore({ name: 'past-bound', report: () => {}, now: () => T, maxEvents: 3, upkeepDelay: 0 });
    const first = page();
    await first.persist();
    await vi.waitFor(async () => expect(await record('past-bound', 'upkeep')).toMatchObject({ at: T, oldest: null })); // its upkeep ran
    for (let i = 0; i < 5; i++) first.append(event(`e${i}`, T - 10 + i, i));
    await first.flush(); // one chunk of five: a write drops whole chunks only
    first.close();
    expect((await stored('past-bound')).count).toBe(5);
    const next = page();
    await next.persist();
    await vi.waitFor(async () => expect((await stored('past-bound')).ids).toEqual(['e2', 'e3', 'e4']));
    next.close();
  });

  it('a page that closes before its upkeep runs it as it closes', async () => {
    await history('closing', [40, 1]);
    const store = createStore({ name: 'closing', report: () => {}, now: () => T, upkeepDelay: 60_000 });
    await store.persist();
    store.close();
    await vi.waitFor(async () => expect((await stored('closing')).ids).toEqual(['d1']));
  });
});

describe('the bound on raw events', () => {
  it('holds while the page runs: a write past it drops the oldest whole chunks; the upkeep trims to the bound', async () => {
    const store = createStore({ name: 'bound', report: () => {}, now: () => T, maxEvents: 10, upkeepDelay: 60_000 });
    await store.persist();
    for (let chunk = 0; chunk < 5; chunk++) {
      for (let i = 0; i < 4; i++) store.append(event(`c${chunk}e${i}`, T - 100 + chunk * 10 + i, i));
      await store.flush();
    }
    const after = await stored('bound');
    expect(after.ids.length).toBeLessThanOrEqual(13); // within one chunk of the bound
    expect(after.count).toBe(after.ids.length);
    expect(after.ids).toContain('c4e0');
    store.close(); // the upkeep was due: it runs now
    await vi.waitFor(async () => expect((await stored('bound')).ids.length).toBe(10));
    const trimmed = await stored('bound');
    expect(trimmed.count).toBe(10);
    expect(trimmed.ids).not.toContain('c1e1');
    expect(trimmed.ids).toContain('c2e2');
  });

  it('a database from before the running count is counted once, when it upgrades', async () => {
    const db = await new Promise<IDBDatabase>((resolve) => {
      const req = indexedDB.open('legacy', 2);
      req.onupgradeneeded = () => {
        req.result.createObjectStore('chunks', { keyPath: 'key' }).createIndex('last', 'last');
        req.result.createObjectStore('kv');
        req.result.createObjectStore('outbox', { keyPath: 'id' }).createIndex('ts', 'ts');
        const chunks = req.transaction!.objectStore('chunks');
        chunks.put({ key: `0000000001:2:aa`, first: T, last: T, events: [event('a', T), event('b', T)] });
        chunks.put({ key: `0000000002:1:bb`, first: T, last: T, events: [event('c', T)] });
      };
      req.onsuccess = () => resolve(req.result);
    });
    db.close();
    const store = createStore({ name: 'legacy', report: () => {}, now: () => T, upkeepDelay: 60_000 });
    await store.persist();
    store.append(event('d', T));
    await store.flush();
    expect((await stored('legacy')).count).toBe(4);
    store.close();
  });
});

describe('another tab erases the device', () => {
  it('a tab that still writes after another deleted the database does not create it again', async () => {
    const errors: string[] = [];
    const here = createStore({ name: 'erased', report: (e) => errors.push(e.code), now: () => T, upkeepDelay: 60_000 });
    const there = createStore({ name: 'erased', report: () => {}, now: () => T, upkeepDelay: 60_000 });
    await here.persist();
    here.append(event('a', T));
    await here.flush();
    await there.persist();
    await there.erase(); // forget() in the other tab: its message to this tab is still on the way
    here.append(event('b', T));
    here.put('labels', ['late']);
    await here.flush();
    expect((await indexedDB.databases()).map((d) => d.name)).not.toContain('erased');
    expect(here.mode).toBe('memory');
    expect(errors).toEqual([]);
    here.close();
    there.close();
  });
});

describe('a tab that opened the database while another erased it', () => {
  it('a deletion while the start reads leaves the store in memory: reads answer, nothing comes back', async () => {
    const before = createStore({ name: 'erased-at-start', report: () => {}, now: () => T, upkeepDelay: 60_000 });
    await before.persist();
    before.put('engine', { v: 1, at: T } as never);
    await before.flush();
    before.close();
    const errors: string[] = [];
    const here = createStore({ name: 'erased-at-start', report: (e) => errors.push(e.code), now: () => T, upkeepDelay: 60_000 });
    const { transaction } = IDBDatabase.prototype;
    let deleted: Promise<unknown> | undefined;
    vi.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
      const tx = transaction.apply(this, args);
      // Another tab's forget(), as the start read begins.
      deleted ??= new Promise((resolve) => (indexedDB.deleteDatabase('erased-at-start').onsuccess = resolve));
      return tx;
    });
    await here.persist();
    vi.restoreAllMocks();
    await deleted;
    expect(await here.get('engine')).toBeUndefined(); // not the erased database's copy
    expect(here.mode).toBe('memory');
    expect(await here.get('labels')).toBeUndefined();
    expect(await here.get('labels')).toBeUndefined(); // past the start's copy: memory answers
    expect(await here.events()).toEqual([]);
    here.put('labels', ['late']);
    await here.flush();
    expect(await here.get('labels')).toEqual(['late']);
    expect((await indexedDB.databases()).map((d) => d.name)).not.toContain('erased-at-start');
    expect(errors).toEqual([]);
    here.close();
  });

  it('deletes it again when it hears of the forget: nothing is left on the device', async () => {
    const there = createStore({ name: 'reopened', report: () => {}, now: () => T, upkeepDelay: 60_000 });
    await there.persist();
    const erasing = there.erase(); // forget() over there
    const here = createStore({ name: 'reopened', report: () => {}, now: () => T, upkeepDelay: 60_000 });
    const opening = here.persist(); // waits for the deletion, then creates the database afresh
    await erasing;
    await opening;
    expect((await indexedDB.databases()).map((d) => d.name)).toContain('reopened');
    await here.forgotten(); // the message to forget arrives
    expect((await indexedDB.databases()).map((d) => d.name)).not.toContain('reopened');
    expect(here.mode).toBe('memory');
    here.close();
    there.close();
  });
});
