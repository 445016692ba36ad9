// Config versions have an order: `issued`, inside what is signed. An older document never
// replaces a newer one, whatever brings it (network, cache, inline, stream, another tab), and a
// document from another tab is verified and validated like any other.
import { describe, expect, it, vi } from 'vitest';
import { createConfigSync, type ConfigSyncOptions } from '../../../src/config';
import { parseConfig } from '../../../src/config/schema';
import { RULES_VERSION } from '../../../src/config/types';
import { generateKeys, signConfig } from '../../../src/config/keys';

const doc = (version: string, issued?: number, extra: object = {}) => ({
  schema: 1, version, ...(issued === undefined ? {} : { issued }), segments: [{ id: 'everyone', fallback: true }], ...extra,
});
const text = (d: unknown) => JSON.stringify(d);

/** A host whose answer the test changes; no ETags, so every fetch gets the body. */
function host(first: unknown) {
  const h = { body: text(first), fetch: vi.fn(async () => new Response(h.body, { status: 200 })) };
  return h;
}

function start(options: Partial<ConfigSyncOptions>) {
  const seen: string[] = [];
  const errors: string[] = [];
  const sync = createConfigSync({
    onConfig: (c, { source }) => seen.push(`${c.version}:${source}`),
    onError: (e) => errors.push(e.code),
    ...options,
  });
  return { sync, seen, errors };
}

function memoryStorage() {
  const map = new Map<string, unknown>();
  return { map, get: async (k: string) => map.get(k), set: async (k: string, v: unknown) => void map.set(k, structuredClone(v)) };
}

describe('issued in the contract', () => {
  it('is a whole number of milliseconds since the epoch (or any growing integer); anything else is refused with its path', () => {
    expect(parseConfig(doc('a', 1_764_000_000_000)).ok).toBe(true);
    for (const bad of [-1, 1.5, '2026-11-23', null]) {
      const r = parseConfig(doc('a', bad as never));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors.map((e) => e.path)).toContain('issued');
    }
  });
});

describe('an older document never replaces a newer one', () => {
  it('from the network: a validly signed older copy is refused with config-older and the newer stays', async () => {
    const keys = await generateKeys();
    const signed = async (d: unknown) => text(await signConfig(text(d), keys.privatePem));
    const h = host(null);
    h.body = await signed(doc('new', 200));
    const storage = memoryStorage();
    const { sync, seen, errors } = start({ configUrl: '/c.json', fetch: h.fetch as never, publicKey: keys.publicJwk, storage });
    await sync.ready;
    h.body = await signed(doc('old', 100));
    await sync.refresh();
    await sync.refresh(); // the same lagging copy again: reported once
    expect(sync.current()?.version).toBe('new');
    expect(seen).toEqual(['new:network']);
    expect(errors).toEqual(['config-older']);
    // and the stored copy is still the newer one (the older was never taken, so never stored)
    expect(JSON.parse(JSON.parse((storage.map.get('config') as { text: string }).text).payload).version).toBe('new');
    h.body = await signed(doc('newer', 300));
    await sync.refresh();
    expect(sync.current()?.version).toBe('newer');
    sync.stop();
  });

  it('from the cache, inline or a stream: the newer document in force stays', async () => {
    // The cache holds a newer copy than the network answers.
    const storage = memoryStorage();
    storage.map.set('config', { url: '/c.json', text: text(doc('cached', 500)) });
    const h = host(doc('served', 400));
    const a = start({ configUrl: '/c.json', fetch: h.fetch as never, storage });
    await a.sync.ready;
    await a.sync.refresh();
    expect(a.sync.current()?.version).toBe('cached');
    expect(a.errors).toContain('config-older');
    a.sync.stop();

    // The page's inline document is newer than the network's.
    const b = start({ configUrl: '/c.json', fetch: host(doc('served', 400)).fetch as never, config: doc('inline', 900) });
    await b.sync.ready;
    await b.sync.refresh();
    expect(b.sync.current()?.version).toBe('inline');

    // A stream pushes an older document after a newer one.
    let push: ((data: string) => void) | undefined;
    class ES {
      readyState = 1;
      onerror = null;
      constructor(_url: string) {}
      addEventListener(type: string, fn: (e: { data: string }) => void) {
        if (type === 'message') push = (data) => fn({ data });
      }
      close() {}
    }
    const c = start({ config: doc('inline', 100), sse: 'https://x/stream', EventSource: ES as never });
    await c.sync.ready;
    await vi.waitUntil(() => push); // the stream's code loads on demand
    push!(text(doc('pushed', 300)));
    push!(text(doc('stale-push', 200)));
    await c.sync.offer(text(doc('inline', 100))); // queue behind the pushes
    expect(c.sync.current()?.version).toBe('pushed');
    c.sync.stop();
  });

  it('a document without issued never replaces one with it; between documents without it, the newest arrival wins', async () => {
    const { sync, seen } = start({ config: doc('a', 10) });
    await sync.ready;
    expect(await sync.offer(text(doc('b')))).toBe(false);
    expect(sync.current()?.version).toBe('a');
    const plain = start({ config: doc('x') });
    await plain.sync.ready;
    expect(await plain.sync.offer(text(doc('y')))).toBe(true);
    expect(plain.sync.current()?.version).toBe('y');
    expect(await plain.sync.offer(text(doc('z', 5)))).toBe(true);
    expect(seen).toEqual(['a:inline']);
    sync.stop();
    plain.sync.stop();
  });

  it('the same issued again (a re-publication of the same moment) is not older: it is taken', async () => {
    const { sync } = start({ config: doc('a', 10) });
    await sync.ready;
    expect(await sync.offer(text(doc('b', 10)))).toBe(true);
    expect(sync.current()?.version).toBe('b');
    sync.stop();
  });
});

describe('documents from another tab', () => {
  it('are validated whatever the message claims about the rules it was checked under', async () => {
    const validate = vi.fn((input: unknown) => parseConfig(input));
    const { sync, errors } = start({ config: doc('a', 1), loadValidator: async () => validate });
    await sync.ready;
    const broken = text({ ...doc('b', 2), segments: [{ id: 'x', when: { 'profile.visits': { $gtt: 1 } } }] });
    expect(await (sync.offer as (t: string, r?: number) => Promise<boolean>)(broken, RULES_VERSION)).toBe(false);
    expect(errors).toEqual(['config-invalid']);
    expect(sync.current()?.version).toBe('a');
    expect(await sync.offer(text(doc('c', 3)))).toBe(true);
    expect(validate).toHaveBeenCalledTimes(3); // inline, broken, c
    sync.stop();
  });

  it('an older document from another tab is refused quietly (another tab was simply behind)', async () => {
    const { sync, errors } = start({ config: doc('a', 10) });
    await sync.ready;
    expect(await sync.offer(text(doc('old', 5)))).toBe(false);
    expect(errors).toEqual([]);
    expect(sync.current()?.version).toBe('a');
    sync.stop();
  });
});

describe('convergence across tabs', () => {
  it('every successful fetch (unchanged too) passes the document in force on, so a tab that missed a change catches up by the next poll', async () => {
    const h = host(doc('v1', 1));
    const shared: string[] = [];
    const leader = start({ configUrl: '/c.json', fetch: h.fetch as never, onShare: (t) => shared.push(t) });
    await leader.sync.ready;
    await leader.sync.refresh(); // nothing new: shared again all the same
    expect(shared).toEqual([text(doc('v1', 1)), text(doc('v1', 1))]);
    h.body = text(doc('v2', 2));
    await leader.sync.refresh();
    expect(shared.at(-1)).toBe(text(doc('v2', 2)));

    // A follower that started on v1 and missed the change takes it from the next share;
    // the same document again costs no validation.
    const validate = vi.fn((input: unknown) => parseConfig(input));
    const follower = start({ config: doc('v1', 1), loadValidator: async () => validate });
    await follower.sync.ready;
    for (const t of shared) await follower.sync.offer(t);
    await follower.sync.offer(shared.at(-1)!);
    expect(follower.sync.current()?.version).toBe('v2');
    expect(validate).toHaveBeenCalledTimes(2); // inline v1, then v2 once
    leader.sync.stop();
    follower.sync.stop();
  });
  it("a page's first fetch that finds the copy this device stored tells no tab: every tab reads that copy itself", async () => {
    const h = host(doc('v1', 1));
    const storage = memoryStorage();
    const first = start({ configUrl: '/c.json', fetch: h.fetch as never, storage });
    await first.sync.ready;
    first.sync.stop();
    const shared: string[] = [];
    const next = start({ configUrl: '/c.json', fetch: h.fetch as never, storage, onShare: (t) => shared.push(t) });
    await next.sync.ready;
    await next.sync.refresh(); // a poll still passes it on, for a follower that missed a change
    expect(shared).toEqual([text(doc('v1', 1))]);
    h.body = text(doc('v2', 2));
    const changed = start({ configUrl: '/c.json', fetch: h.fetch as never, storage, onShare: (t) => shared.push(t) });
    await vi.waitFor(() => expect(changed.sync.current()?.version).toBe('v2')); // ready came with the stored copy
    expect(shared).toEqual([text(doc('v1', 1)), text(doc('v2', 2))]); // a start that brings a new document tells at once
    next.sync.stop();
    changed.sync.stop();
  });
});

describe('a tab that does not poll', () => {
  const show = (state: 'hidden' | 'visible') => {
    Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  };

  // The device clock set back meanwhile changes nothing: a second is measured on the monotonic clock.
  it.each([
    ['', 0],
    [', even when the device clock was set back an hour meanwhile', 3_600_000],
  ])('revalidates when it is shown again, so it converges at its next visible moment%s', async (_, back) => {
    const t0 = Date.UTC(2026, 10, 23, 12);
    vi.useFakeTimers({ now: t0, toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
    try {
      const h = host(doc('v1', 1));
      const { sync } = start({ configUrl: '/c.json', fetch: h.fetch as never, leader: false, sse: false });
      await sync.ready;
      expect(h.fetch).toHaveBeenCalledTimes(1);
      h.body = text(doc('v2', 2)); // published while this tab was hidden, and its message missed
      vi.setSystemTime(t0 - back);
      await vi.advanceTimersByTimeAsync(5000);
      show('hidden');
      show('visible');
      await vi.advanceTimersByTimeAsync(10);
      expect(h.fetch).toHaveBeenCalledTimes(2);
      expect(sync.current()?.version).toBe('v2');
      show('hidden');
      show('visible'); // again at once: no second request within the second
      await vi.advanceTimersByTimeAsync(10);
      expect(h.fetch).toHaveBeenCalledTimes(2);
      sync.stop();
    } finally {
      vi.useRealTimers();
      Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
    }
  });
});
