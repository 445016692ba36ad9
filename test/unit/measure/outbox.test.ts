// The outbox over a fake clock and a fake collector: batching, backoff, bounds, reloads, consent.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDB } from 'idb';
import { createMicroseg } from '../../../src';
import { createStore } from '../../../src/store';
import { createOutbox, parseRetryAfter, type Message } from '../../../src/measure';

const T0 = Date.UTC(2026, 10, 23, 10);
const msg = (i: number): Message & { n: number } => ({ id: `m${i}`, ts: T0 + i, n: i });

/** A collector that records each request's ids and answers from a script (default 202). */
function collector(answers: Array<number | { status: number; headers?: Record<string, string> } | 'offline'> = []) {
  const requests: Array<{ at: number; ids: string[] }> = [];
  const fetch = vi.fn(async (_url: unknown, init?: RequestInit) => {
    const ids = (JSON.parse(String(init!.body)).events as Message[]).map((m) => m.id);
    requests.push({ at: Date.now(), ids });
    const answer = answers.shift() ?? 202;
    if (answer === 'offline') throw new TypeError('Failed to fetch');
    const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer;
    return new Response(null, { status, headers });
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, requests };
}

async function settle(done: () => boolean = () => false, rounds = 100): Promise<void> {
  for (let i = 0; i < rounds && !done(); i++) await new Promise((r) => setImmediate(r));
}

/** Lets fake time run in small steps until `done`. */
async function until(done: () => boolean, step = 10, rounds = 100): Promise<void> {
  for (let i = 0; i < rounds && !done(); i++) {
    await vi.advanceTimersByTimeAsync(step);
    await settle(done, 5);
  }
}

async function storedIds(name: string): Promise<string[]> {
  const db = await openDB(name);
  try {
    return db.objectStoreNames.contains('outbox') ? ((await db.getAllKeys('outbox')) as string[]) : [];
  } finally {
    db.close();
  }
}

async function openOutbox(name: string, fetch: typeof globalThis.fetch, opts: Record<string, number> = {}) {
  const errors: string[] = [];
  const store = createStore({ name, report: (e) => errors.push(e.code) });
  await store.persist();
  const outbox = createOutbox({
    url: '/collect', database: () => store.database(), report: (e) => errors.push(e.code), fetch, random: () => 1, ...opts,
  });
  outbox.enable();
  return { store, outbox, errors };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  vi.setSystemTime(T0);
  // happy-dom's beacon would really post to localhost.
  if (typeof navigator.sendBeacon === 'function') vi.spyOn(navigator, 'sendBeacon').mockReturnValue(true);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('the outbox', () => {
  it('sends full batches at once and a partial batch after the interval', async () => {
    const c = collector();
    const { outbox, store } = await openOutbox('batches', c.fetch, { batchSize: 3, interval: 1000 });
    for (let i = 0; i < 7; i++) outbox.add(msg(i));
    await vi.advanceTimersByTimeAsync(31); // the write
    await settle(() => c.requests.length >= 3);
    expect(c.requests.map((r) => r.ids)).toEqual([['m0', 'm1', 'm2'], ['m3', 'm4', 'm5'], ['m6']]);
    await settle();
    expect(await storedIds('batches')).toEqual([]);

    outbox.add(msg(7));
    await vi.advanceTimersByTimeAsync(31);
    await settle();
    expect(c.requests).toHaveLength(3); // waits for company
    await vi.advanceTimersByTimeAsync(1000);
    await settle(() => c.requests.length === 4);
    expect(c.requests[3]!.ids).toEqual(['m7']);
    outbox.stop();
    store.close();
  });

  it('retries with exponential backoff and honours Retry-After; nothing is lost or left behind', async () => {
    const c = collector(['offline', 'offline', { status: 503, headers: { 'Retry-After': '7' } }, 500]);
    const { outbox, store } = await openOutbox('backoff', c.fetch, { batchSize: 10, interval: 100, maxBackoff: 60_000 });
    for (let i = 0; i < 4; i++) outbox.add(msg(i));
    await vi.advanceTimersByTimeAsync(31);
    await settle(() => c.requests.length === 1); // written, then the first try
    const sent = () => c.requests.length;
    const first = c.requests[0]!.at;
    // random() = 1: the jittered delay is the full backoff, 1 s then 2 s.
    await vi.advanceTimersByTimeAsync(999);
    await settle();
    expect(sent()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await settle(() => sent() === 2);
    await vi.advanceTimersByTimeAsync(2000);
    await settle(() => sent() === 3); // 503 with Retry-After: 7 s, not the 4 s backoff
    await vi.advanceTimersByTimeAsync(6999);
    await settle();
    expect(sent()).toBe(3);
    await vi.advanceTimersByTimeAsync(1);
    await settle(() => sent() === 4); // 500: backoff 8 s
    await vi.advanceTimersByTimeAsync(8000);
    await settle(() => sent() === 5);
    expect(c.requests.map((r) => r.at - first)).toEqual([0, 1000, 3000, 10_000, 18_000]);
    expect(c.requests.every((r) => r.ids.join() === 'm0,m1,m2,m3')).toBe(true);
    await settle();
    expect(await storedIds('backoff')).toEqual([]);
    outbox.stop();
    store.close();
  });

  it('drops a batch the collector refuses for good (4xx), and reports it', async () => {
    const c = collector([400]);
    const { outbox, store, errors } = await openOutbox('refused', c.fetch, { batchSize: 2, interval: 10 });
    outbox.add(msg(1));
    outbox.add(msg(2));
    outbox.add(msg(3));
    await vi.advanceTimersByTimeAsync(31);
    await settle(() => c.requests.length === 2);
    expect(c.requests.map((r) => r.ids)).toEqual([['m1', 'm2'], ['m3']]);
    expect(errors).toContain('collect-rejected');
    outbox.stop();
    store.close();
  });

  it('is bounded: past maxQueued the oldest messages go', async () => {
    const c = collector(Array(20).fill('offline'));
    const { outbox, store, errors } = await openOutbox('bounded', c.fetch, { maxQueued: 5, interval: 60_000 });
    for (let i = 0; i < 8; i++) outbox.add(msg(i));
    await vi.advanceTimersByTimeAsync(31);
    await settle();
    expect((await storedIds('bounded')).sort()).toEqual(['m3', 'm4', 'm5', 'm6', 'm7']);
    expect(errors).toContain('outbox-full');
    outbox.stop();
    store.close();
  });

  it('survives a reload: the next page sends what the last one could not', async () => {
    const offline = collector(Array(5).fill('offline'));
    const first = await openOutbox('reload', offline.fetch, { interval: 10 });
    for (let i = 0; i < 5; i++) first.outbox.add(msg(i));
    await first.outbox.commit();
    first.outbox.add(msg(5)); // not written yet when the page goes
    first.outbox.pagehide();
    first.outbox.stop();
    first.store.close();

    const online = collector();
    const next = await openOutbox('reload', online.fetch, { interval: 10 });
    await next.outbox.flush();
    expect(online.requests.flatMap((r) => r.ids).sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    expect(await storedIds('reload')).toEqual([]);
    next.outbox.stop();
    next.store.close();
  });

  it('stopped (destroy()) before writing: the next page sends what was buffered', async () => {
    const first = await openOutbox('stopped', collector().fetch);
    first.outbox.add(msg(1));
    first.outbox.stop();
    first.store.close();
    const online = collector();
    const next = await openOutbox('stopped', online.fetch);
    await next.outbox.flush();
    expect(online.requests.flatMap((r) => r.ids)).toEqual(['m1']);
    next.outbox.stop();
    next.store.close();
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter(new Date(T0 + 30_000).toUTCString(), T0)).toBe(30_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('forwarding from the SDK', () => {
  it('sends nothing and stores nothing without consent; consent sends what this page did; forget() empties the outbox', async () => {
    const c = collector();
    const ms = createMicroseg({ consent: 'pending', autoPage: false, collectUrl: '/collect', collect: { interval: 10 }, dbName: 'consent' });
    vi.stubGlobal('fetch', c.fetch);
    try {
      await ms.ready;
      ms.track('secret', { n: 1 });
      await vi.advanceTimersByTimeAsync(10_000);
      await settle();
      expect(c.requests).toEqual([]);
      expect((await indexedDB.databases()).map((d) => d.name)).not.toContain('consent');

      ms.consent('granted');
      await until(() => c.requests.length > 0);
      expect(c.requests.flatMap((r) => r.ids)).toHaveLength(1);

      c.fetch = vi.fn(async () => { throw new TypeError('offline'); }) as never;
      vi.stubGlobal('fetch', c.fetch);
      ms.track('later');
      await ms.flush();
      await settle();
      expect(await storedIds('consent')).toHaveLength(1);
      await ms.forget();
      expect((await indexedDB.databases()).map((d) => d.name)).not.toContain('consent');
      ms.track('after-forget');
      await vi.advanceTimersByTimeAsync(60_000);
      await settle();
      expect((await indexedDB.databases()).map((d) => d.name)).not.toContain('consent');
    } finally {
      ms.destroy();
      vi.unstubAllGlobals();
    }
  });
});
