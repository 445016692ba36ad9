// The outbox over a fake clock and a fake collector: batching, backoff, bounds, reloads, consent.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDB } from 'idb';
import { createMicroseg } from '../../../src';
import { createStore } from '../../../src/store';
import { createOutbox, parseRetryAfter, type Message } from '../../../src/measure';
import { parseHttpDate } from '../../../src/measure/outbox';

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
    url: '/collect', queue: store.outbox, report: (e) => errors.push(e.code), fetch, random: () => 1, ...opts,
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

  it('a batch the collector refuses for good (4xx) is split: the message it refuses is dropped and reported, the rest sent', async () => {
    const c = collector([400, 400]);
    const { outbox, store, errors } = await openOutbox('refused', c.fetch, { batchSize: 2, interval: 10 });
    outbox.add(msg(1));
    outbox.add(msg(2));
    outbox.add(msg(3));
    await vi.advanceTimersByTimeAsync(31);
    await settle(() => c.requests.length === 4);
    expect(c.requests.map((r) => r.ids)).toEqual([['m1', 'm2'], ['m1'], ['m2', 'm3']]);
    expect(errors).toEqual(['collect-rejected']);
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

  it('reads the three HTTP date forms, and nothing else', () => {
    const at = Date.UTC(1994, 10, 6, 8, 49, 37);
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(at);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT')).toBe(at);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(at);
    for (const bad of ['2026-12-01', '1', 'Sun, 06 Foo 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 25:49:37 GMT', '']) {
      expect(parseHttpDate(bad), bad).toBeNaN();
    }
    expect(parseRetryAfter('2026-12-01', T0)).toBeUndefined();
  });

  it('flush() sends what it stored even while a send under way is letting go of its lock (it looked before)', async () => {
    const c = collector();
    const { outbox, store } = await openOutbox('flush-during-send', c.fetch, { batchSize: 10, interval: 60_000 });
    let second: Promise<void> | undefined;
    const hops = (n: number) => Array.from({ length: n }).reduce<Promise<unknown>>((p) => p.then(() => new Promise((r) => setImmediate(r))), Promise.resolve());
    // Web Locks settle the request's promise a while after its callback ends, as browsers do.
    Object.defineProperty(navigator, 'locks', {
      configurable: true,
      value: {
        async request(_name: string, _opts: unknown, body: (lock: unknown) => unknown) {
          const result = await body({});
          if (!second) {
            outbox.add(msg(1));
            second = outbox.flush(); // stored while the first send lets go
            await hops(50);
          }
          return result;
        },
      },
    });
    try {
      outbox.add(msg(0));
      await outbox.flush();
      await second;
      expect(c.requests.flatMap((r) => r.ids)).toEqual(['m0', 'm1']);
    } finally {
      delete (navigator as { locks?: unknown }).locks;
      outbox.stop();
      store.close();
    }
  });
});

describe('delivery under a hostile or broken collector', () => {
  const weeksAhead = () => new Date(T0 + 40 * 86_400_000).toUTCString();
  for (const [name, value] of [['seconds', '99999999999'], ['an HTTP date', 'weeks']] as const) {
    it(`a Retry-After beyond setTimeout's range (${name}) waits, it never spins`, async () => {
      const c = collector([{ status: 503, headers: { 'Retry-After': value === 'weeks' ? weeksAhead() : value } }]);
      const { outbox, store } = await openOutbox(`far-${name}`, c.fetch, { interval: 10 });
      outbox.add(msg(1));
      await settle(() => c.requests.length === 1);
      await vi.advanceTimersByTimeAsync(3000);
      await settle();
      expect(c.requests).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(3_600_000);
      await settle();
      expect(c.requests).toHaveLength(1); // still waiting (up to a day); the next page tries again
      outbox.stop();
      store.close();
    });
  }

  it('Retry-After: 0 on every answer backs off all the same', async () => {
    const c = collector(Array(50).fill({ status: 503, headers: { 'Retry-After': '0' } }));
    const { outbox, store } = await openOutbox('zero', c.fetch, { interval: 10 });
    outbox.add(msg(1));
    await settle(() => c.requests.length === 1);
    for (let i = 0; i < 30; i++) await vi.advanceTimersByTimeAsync(100);
    await settle();
    expect(c.requests.length).toBeLessThanOrEqual(3);
    outbox.stop();
    store.close();
  });

  it('a cross-origin collector without CORS: one error naming CORS and the header, then backoff', async () => {
    const posts: number[] = [];
    const fetch = vi.fn(async (_url: unknown, init?: RequestInit) => {
      if (init?.mode === 'no-cors') return new Response(null, { status: 200 }); // reachable, answer hidden
      posts.push(Date.now());
      throw new TypeError('Failed to fetch'); // what a missing Access-Control-Allow-Origin looks like
    }) as unknown as typeof globalThis.fetch;
    const reported: Array<{ code: string; message: string }> = [];
    const store = createStore({ name: 'cors', report: () => {} });
    await store.persist();
    const outbox = createOutbox({
      url: 'https://collector.example/collect', queue: store.outbox, report: (e) => reported.push(e), fetch, random: () => 1,
    });
    outbox.enable();
    outbox.add(msg(1));
    await settle(() => posts.length === 1);
    for (let i = 0; i < 60; i++) await vi.advanceTimersByTimeAsync(10_000); // ten minutes
    await settle();
    const cors = reported.filter((e) => e.code === 'collect-cors');
    expect(cors).toHaveLength(1);
    expect(cors[0]!.message).toMatch(/CORS/);
    expect(cors[0]!.message).toMatch(/Access-Control-Allow-Origin: http/);
    expect(posts.length).toBeLessThanOrEqual(10); // 1 s, 2 s, 4 s … up to five minutes apart
    outbox.stop();
    store.close();
  });

  it('a poison message (5xx whenever it is in the batch) is isolated by splitting and dropped with an error; the rest arrives', async () => {
    const received = new Set<string>();
    let requests = 0;
    const fetch = vi.fn(async (_url: unknown, init?: RequestInit) => {
      requests++;
      const ids = (JSON.parse(String(init!.body)).events as Message[]).map((m) => m.id);
      if (ids.includes('m7')) return new Response('boom', { status: 500 });
      for (const id of ids) received.add(id);
      return new Response(null, { status: 202 });
    }) as unknown as typeof globalThis.fetch;
    const { outbox, store, errors } = await openOutbox('poison', fetch, { batchSize: 10, interval: 10 });
    for (let i = 0; i < 20; i++) outbox.add(msg(i));
    await until(() => received.size === 19, 1000, 200);
    await settle(() => errors.includes('collect-dropped'));
    expect([...received].sort()).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`).filter((id) => id !== 'm7').sort());
    expect(errors.filter((e) => e === 'collect-dropped')).toHaveLength(1);
    expect(requests).toBeLessThanOrEqual(14);
    await settle(() => false, 20);
    expect(await storedIds('poison')).toEqual([]);
    outbox.stop();
    store.close();
  });

  it('a collector down for a while (5xx for everything) loses nothing', async () => {
    let down = true;
    const received = new Set<string>();
    const fetch = vi.fn(async (_url: unknown, init?: RequestInit) => {
      if (down) return new Response(null, { status: 503 });
      for (const m of JSON.parse(String(init!.body)).events as Message[]) received.add(m.id);
      return new Response(null, { status: 202 });
    }) as unknown as typeof globalThis.fetch;
    const { outbox, store, errors } = await openOutbox('down', fetch, { batchSize: 10, interval: 10, maxBackoff: 60_000 });
    for (let i = 0; i < 20; i++) outbox.add(msg(i));
    for (let i = 0; i < 120; i++) await vi.advanceTimersByTimeAsync(10_000); // twenty minutes down
    down = false;
    await until(() => received.size === 20, 10_000, 100);
    expect(received.size).toBe(20);
    expect(errors).not.toContain('collect-dropped');
    outbox.stop();
    store.close();
  });

  it('reads or cancels every response body (200 with JSON, 202 with a body)', async () => {
    const responses: Response[] = [];
    const fetch = vi.fn(async () => {
      const res = responses.length % 2 ? new Response('{"accepted":5}', { status: 202 }) : Response.json({ ok: true });
      responses.push(res);
      return res;
    }) as unknown as typeof globalThis.fetch;
    const { outbox, store } = await openOutbox('bodies', fetch, { batchSize: 5, interval: 10 });
    for (let i = 0; i < 30; i++) outbox.add(msg(i));
    await outbox.flush();
    expect(responses).toHaveLength(6);
    expect(responses.every((r) => r.bodyUsed)).toBe(true);
    outbox.stop();
    store.close();
  });

  it('journals what it was given at the end of the task: a browser killed then keeps it', async () => {
    const { outbox, store } = await openOutbox('journal', collector(Array(5).fill('offline')).fetch);
    for (let i = 0; i < 200; i++) outbox.add(msg(i));
    await Promise.resolve(); // the end of the task that called track()
    const journaled = Object.keys(localStorage)
      .filter((k) => k.startsWith('microseg:outbox:'))
      .flatMap((k) => (JSON.parse(localStorage.getItem(k)!) as Message[]).map((m) => m.id));
    expect(new Set(journaled).size).toBe(200);
    outbox.stop();
    store.close();
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

describe('consent denied empties the outbox', () => {
  const offline = () => vi.fn(async () => { throw new TypeError('offline'); }) as unknown as typeof globalThis.fetch;

  async function queue(name: string, n: number, consent?: 'denied'): Promise<{ ms: ReturnType<typeof createMicroseg>; ids: string[] }> {
    const ids: string[] = [];
    const ms = createMicroseg({ autoPage: false, collectUrl: '/collect', collect: { interval: 10 }, dbName: name });
    ms.on('track', (e: { id: string }) => ids.push(e.id));
    await ms.ready;
    for (let i = 0; i < n; i++) ms.track('before', { i });
    if (consent) ms.consent(consent);
    return { ms, ids };
  }

  async function nextPageSends(name: string, consent: 'granted' | 'denied-then-granted'): Promise<string[]> {
    const online = collector();
    vi.stubGlobal('fetch', online.fetch);
    const ms = createMicroseg({ autoPage: false, collectUrl: '/collect', collect: { interval: 10 }, dbName: name, consent: consent === 'granted' ? 'granted' : 'denied' });
    await ms.ready;
    if (consent !== 'granted') ms.consent('granted');
    await ms.ready;
    ms.track('after');
    await until(() => online.requests.length > 0);
    await ms.flush();
    await settle(() => false, 50);
    ms.destroy();
    return online.requests.flatMap((r) => r.ids);
  }

  it('33 queued in IndexedDB, deny, grant on the next page: nothing of before is sent', async () => {
    vi.stubGlobal('fetch', offline());
    const { ms, ids } = await queue('deny-stored', 33);
    await ms.flush();
    await settle(() => false, 20);
    expect((await storedIds('deny-stored')).length).toBeGreaterThanOrEqual(33);
    ms.consent('denied');
    for (let i = 0; i < 100 && (await storedIds('deny-stored')).length; i++) await settle(() => false, 5);
    expect(await storedIds('deny-stored')).toEqual([]);
    ms.destroy();
    const sent = await nextPageSends('deny-stored', 'granted');
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((id) => ids.includes(id))).toEqual([]);
  });

  it('33 still in memory and in the journal, deny at once: nothing of before is sent later', async () => {
    vi.stubGlobal('fetch', offline());
    const { ms, ids } = await queue('deny-memory', 33, 'denied');
    ms.destroy();
    await settle(() => false, 50);
    const sent = await nextPageSends('deny-memory', 'granted');
    expect(sent.filter((id) => ids.includes(id))).toEqual([]);
  });

  it('denied while the outbox write is under way, granted again on the same page: only what came after is sent', async () => {
    const online = collector();
    vi.stubGlobal('fetch', online.fetch);
    const ids: string[] = [];
    const ms = createMicroseg({ autoPage: false, collectUrl: '/collect', collect: { interval: 10 }, dbName: 'deny-inflight' });
    ms.on('track', (e: { id: string; type: string }) => e.type === 'before' && ids.push(e.id));
    await ms.ready;
    for (let i = 0; i < 33; i++) ms.track('before', { i });
    await Promise.resolve(); // the write has started
    ms.consent('denied');
    await settle(() => false, 20);
    ms.consent('granted');
    await ms.ready;
    ms.track('after');
    await until(() => online.requests.length > 0);
    await ms.flush();
    await settle(() => false, 20);
    ms.destroy();
    const sent = online.requests.flatMap((r) => r.ids);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((id) => ids.includes(id))).toEqual([]);
  });

  it('a page that starts denied drops what earlier pages left unsent', async () => {
    vi.stubGlobal('fetch', offline());
    const { ms, ids } = await queue('deny-start', 33);
    await ms.flush();
    ms.destroy();
    await settle(() => false, 50);
    const sent = await nextPageSends('deny-start', 'denied-then-granted');
    expect(sent.filter((id) => ids.includes(id))).toEqual([]);
  });
});
