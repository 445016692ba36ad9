import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createConfigSync, type ConfigSyncError, type ConfigSyncOptions, type MicrosegConfig } from '../../../src/config';
import { RULES_VERSION } from '../../../src/config/types';
import { loadValidator } from '../../../src/config/validator';
import { generateKeys, signConfig } from '../../../src/config/keys';
import { minimal, shop } from './helpers';

const URL_ = 'https://cdn.example/microseg.json';

/** Lets pending promises (fetch bodies, WebCrypto) finish without moving the fake clock. */
async function settle() {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

const config = (version: string, extra: object = {}) => ({ ...minimal(), version, ...extra });

/** A config host with ETags, which records what it was asked. */
function server(doc: unknown) {
  const s = {
    text: typeof doc === 'string' ? doc : JSON.stringify(doc),
    etag: '"e1"',
    status: 200,
    down: false,
    requests: [] as { ifNoneMatch?: string; at: number }[],
    publish(next: unknown, etag: string) {
      s.text = typeof next === 'string' ? next : JSON.stringify(next);
      s.etag = etag;
    },
    fetch: vi.fn(async (_url: string | URL | Request, init?: RequestInit) => {
      const ifNoneMatch = (init?.headers as Record<string, string> | undefined)?.['If-None-Match'];
      s.requests.push({ ifNoneMatch, at: Date.now() });
      if (s.down) throw new TypeError('Failed to fetch');
      if (ifNoneMatch && ifNoneMatch === s.etag) return new Response(null, { status: 304 });
      return new Response(s.status === 200 ? s.text : 'oops', { status: s.status, headers: { ETag: s.etag } });
    }),
  };
  return s;
}

function memoryStorage(initial?: Record<string, unknown>) {
  const map = new Map(Object.entries(initial ?? {}));
  return {
    map,
    get: vi.fn(async (k: string) => map.get(k)),
    set: vi.fn(async (k: string, v: unknown) => void map.set(k, structuredClone(v))),
  };
}

/** A sync with recorded events. */
function start(options: Partial<ConfigSyncOptions>) {
  const seen: { version: string; source: string }[] = [];
  const errors: ConfigSyncError[] = [];
  const sync = createConfigSync({
    onConfig: (c: MicrosegConfig, { source }) => seen.push({ version: c.version, source }),
    onError: (e) => errors.push(e),
    random: () => 1,
    ...options,
  });
  return { sync, seen, errors };
}

let stops: (() => void)[] = [];
const track = <T extends { sync: { stop(): void } }>(t: T): T => (stops.push(() => t.sync.stop()), t);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  stops.forEach((s) => s());
  stops = [];
  vi.useRealTimers();
  Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
});

describe('createConfigSync', () => {
  it('fetches, delivers from the network and keeps the copy with its ETag', async () => {
    const srv = server(config('v1'));
    const storage = memoryStorage();
    const { sync, seen } = track(start({ configUrl: URL_, fetch: srv.fetch, storage }));
    expect((await sync.ready)?.version).toBe('v1');
    expect(seen).toEqual([{ version: 'v1', source: 'network' }]);
    expect(srv.requests[0]!.ifNoneMatch).toBeUndefined();
    await settle();
    expect(storage.map.get('config')).toEqual({ url: URL_, checked: RULES_VERSION, etag: '"e1"', text: srv.text });
  });

  it('starts from the cached copy at once, then revalidates it with a 304', async () => {
    const storage = memoryStorage({ config: { url: URL_, etag: '"e1"', text: JSON.stringify(config('v1')) } });
    const srv = server(config('v1'));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slowFetch = vi.fn(async (u: string | URL | Request, init?: RequestInit) => (await gate, srv.fetch(u, init)));
    const { sync, seen } = track(start({ configUrl: URL_, fetch: slowFetch, storage }));
    expect((await sync.ready)?.version).toBe('v1'); // without waiting for the network
    expect(seen).toEqual([{ version: 'v1', source: 'cache' }]);
    release();
    await settle();
    expect(srv.requests).toEqual([{ ifNoneMatch: '"e1"', at: expect.any(Number) }]);
    expect(seen).toHaveLength(1); // a 304 changes nothing
  });

  it('loads the validator only for a document this device has not checked under these rules', async () => {
    const text = JSON.stringify(config('v1'));
    const load = vi.fn(loadValidator);
    // Checked by an older rule set: validated again, then marked, so the next page skips it.
    const storage = memoryStorage({ config: { url: URL_, etag: '"e1"', text, checked: RULES_VERSION - 1 } });
    const first = track(start({ configUrl: URL_, fetch: server(config('v1')).fetch, storage, loadValidator: load }));
    expect((await first.sync.ready)?.version).toBe('v1');
    expect(load).toHaveBeenCalledTimes(1);
    await settle();
    expect(storage.map.get('config')).toMatchObject({ checked: RULES_VERSION });
    first.sync.stop();

    load.mockClear();
    const second = track(start({ configUrl: URL_, fetch: server(config('v1')).fetch, storage, loadValidator: load }));
    expect((await second.sync.ready)?.version).toBe('v1');
    await settle();
    expect(load).not.toHaveBeenCalled(); // cache hit and a 304: the validator never loads
  });

  it('a validator that cannot be loaded rejects the new document and keeps the one in force', async () => {
    const storage = memoryStorage({ config: { url: URL_, etag: '"e1"', text: JSON.stringify(config('v1')), checked: RULES_VERSION } });
    const srv = server(config('v2'));
    srv.etag = '"e2"';
    const { sync, seen, errors } = track(
      start({ configUrl: URL_, fetch: srv.fetch, storage, loadValidator: () => Promise.reject(new Error('offline')) }),
    );
    await sync.ready;
    await settle();
    expect(seen).toEqual([{ version: 'v1', source: 'cache' }]);
    expect(sync.current()?.version).toBe('v1');
    expect(errors.map((e) => e.code)).toEqual(['config-validator-unavailable']);
  });

  it('ignores a cached copy of another URL', async () => {
    const storage = memoryStorage({ config: { url: 'https://old.example/c.json', etag: '"x"', text: JSON.stringify(config('old')) } });
    const srv = server(config('v1'));
    const { sync, seen } = track(start({ configUrl: URL_, fetch: srv.fetch, storage }));
    await sync.ready;
    expect(seen).toEqual([{ version: 'v1', source: 'network' }]);
    expect(srv.requests[0]!.ifNoneMatch).toBeUndefined();
  });

  it('polls with If-None-Match and fires only when the version really changes', async () => {
    const srv = server(config('v1'));
    const { sync, seen } = track(start({ configUrl: URL_, fetch: srv.fetch, refresh: 10_000 }));
    await sync.ready;
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    expect(srv.requests.map((r) => r.ifNoneMatch)).toEqual([undefined, '"e1"']);
    // Same version, new bytes and ETag: no event.
    srv.publish(config('v1', { metrics: {} }), '"e2"');
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    expect(seen).toHaveLength(1);
    srv.publish(config('v2'), '"e3"');
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    expect(seen).toEqual([{ version: 'v1', source: 'network' }, { version: 'v2', source: 'network' }]);
    expect(sync.current()?.version).toBe('v2');
    expect(srv.requests.map((r) => r.ifNoneMatch)).toEqual([undefined, '"e1"', '"e1"', '"e2"']);
  });

  it('backs off exponentially with jitter on errors, capped, and recovers', async () => {
    const srv = server(config('v1'));
    srv.down = true;
    const t0 = Date.now();
    const { sync, seen, errors } = track(start({ configUrl: URL_, fetch: srv.fetch, refresh: 60_000, maxBackoff: 8_000, random: () => 0 }));
    await sync.ready;
    expect(errors[0]).toMatchObject({ code: 'config-fetch', message: expect.stringContaining('Failed to fetch') });
    for (let i = 0; i < 6; i++) {
      await vi.advanceTimersByTimeAsync(8_000);
      await settle();
    }
    // random() = 0 → half of 1s, 2s, 4s, 8s, 8s…
    const gaps = srv.requests.map((r, i) => r.at - (srv.requests[i - 1]?.at ?? t0));
    expect(gaps.slice(0, 6)).toEqual([0, 500, 1000, 2000, 4000, 4000]);
    srv.down = false;
    await vi.advanceTimersByTimeAsync(4_000);
    await settle();
    expect(seen).toEqual([{ version: 'v1', source: 'network' }]);
    await vi.advanceTimersByTimeAsync(60_000);
    const [a, b] = srv.requests.slice(-2);
    expect(b!.at - a!.at).toBe(60_000); // back to the refresh interval
  });

  it('jitter spreads retries between half and all of the backoff', async () => {
    const srv = server(config('v1'));
    srv.status = 503;
    const { sync, errors } = track(start({ configUrl: URL_, fetch: srv.fetch, random: () => 0.5 }));
    await sync.ready;
    expect(errors[0]).toMatchObject({ code: 'config-fetch', message: expect.stringContaining('503') });
    await vi.advanceTimersByTimeAsync(749);
    expect(srv.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(srv.requests).toHaveLength(2);
  });

  it('pauses polling while the tab is hidden and catches up when it shows', async () => {
    const srv = server(config('v1'));
    const { sync } = track(start({ configUrl: URL_, fetch: srv.fetch, refresh: 10_000 }));
    await sync.ready;
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(srv.requests).toHaveLength(1);
    Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
    await settle();
    expect(srv.requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(srv.requests).toHaveLength(3);
  });

  describe('rejects a bad document whole and keeps the config in force', () => {
    async function afterV1(next: string) {
      const srv = server(config('v1'));
      const storage = memoryStorage();
      const t = track(start({ configUrl: URL_, fetch: srv.fetch, refresh: 1000, storage }));
      await t.sync.ready;
      await settle();
      const before = t.sync.current();
      srv.publish(next, '"bad"');
      await vi.advanceTimersByTimeAsync(1000);
      await settle();
      expect(t.sync.current()).toBe(before);
      expect(t.seen).toHaveLength(1);
      expect(JSON.parse((storage.map.get('config') as { text: string }).text).version).toBe('v1');
      return t.errors;
    }

    it('not JSON', async () => {
      expect((await afterV1('<html>502 Bad Gateway</html>'))[0]).toMatchObject({ code: 'config-not-json', source: 'network' });
    });
    it('truncated', async () => {
      const text = JSON.stringify(shop());
      expect((await afterV1(text.slice(0, text.length / 2)))[0]!.code).toBe('config-not-json');
    });
    it('invalid, naming the path', async () => {
      const bad = shop();
      bad.segments[2].when['metrics.orders'] = { $gtt: 1 };
      const [err] = await afterV1(JSON.stringify(bad));
      expect(err).toMatchObject({ code: 'config-invalid', path: 'segments[2].when["metrics.orders"].$gtt' });
      expect(err!.message).toContain('segments[2].when["metrics.orders"].$gtt: unknown operator "$gtt"');
    });
    it('a newer schema', async () => {
      const [err] = await afterV1(JSON.stringify({ ...config('v9'), schema: 2 }));
      expect(err).toMatchObject({ code: 'config-schema-newer', path: 'schema' });
      expect(err!.message).toContain('config schema 2 is newer than this SDK understands (1); upgrade microseg');
    });
  });

  describe('with a public key', () => {
    it('accepts signed configs, refuses tampered and unsigned ones', async () => {
      const keys = await generateKeys();
      const v1 = await signConfig(JSON.stringify(config('v1')), keys.privatePem);
      const srv = server(v1);
      const storage = memoryStorage();
      const { sync, seen, errors } = track(start({ configUrl: URL_, fetch: srv.fetch, refresh: 1000, publicKey: keys.publicJwk, storage }));
      vi.useRealTimers(); // WebCrypto settles on the real event loop
      await sync.ready;
      expect(seen).toEqual([{ version: 'v1', source: 'network' }]);
      // The stored copy keeps its signature.
      expect(JSON.parse((storage.map.get('config') as { text: string }).text)).toEqual(v1);

      srv.publish({ ...v1, payload: JSON.stringify(config('v2')) }, '"t"');
      await sync.refresh();
      expect(errors.at(-1)).toMatchObject({ code: 'config-signature-invalid' });
      srv.publish(config('v3'), '"u"');
      await sync.refresh();
      expect(errors.at(-1)).toMatchObject({ code: 'config-unsigned' });
      expect(sync.current()?.version).toBe('v1');
      expect(seen).toHaveLength(1);
    });

    it('checks the cached copy again on load', async () => {
      const keys = await generateKeys();
      const forged = { payload: JSON.stringify(config('evil')), signature: 'A'.repeat(86), alg: 'ES256' };
      const storage = memoryStorage({ config: { url: URL_, etag: '"f"', text: JSON.stringify(forged) } });
      const srv = server(await signConfig(JSON.stringify(config('v1')), keys.privatePem));
      vi.useRealTimers();
      const { sync, seen, errors } = track(start({ configUrl: URL_, fetch: srv.fetch, publicKey: keys.publicPem, storage }));
      await sync.ready;
      expect(errors[0]).toMatchObject({ code: 'config-signature-invalid', source: 'cache' });
      expect(srv.requests[0]!.ifNoneMatch).toBeUndefined(); // the forged copy's ETag is not trusted
      expect(seen).toEqual([{ version: 'v1', source: 'network' }]);
    });
  });

  describe('inline config', () => {
    it('is used at once, as an object, JSON text or envelope', async () => {
      for (const inline of [config('i1'), JSON.stringify(config('i1')), { payload: JSON.stringify(config('i1')), signature: 'x', alg: 'ES256' }]) {
        const { sync, seen } = track(start({ config: inline }));
        expect((await sync.ready)?.version).toBe('i1');
        expect(seen).toEqual([{ version: 'i1', source: 'inline' }]);
      }
    });
    it('is used instead of the cache, then the network takes over', async () => {
      const storage = memoryStorage({ config: { url: URL_, text: JSON.stringify(config('cached')) } });
      const srv = server(config('v2'));
      const { sync, seen } = track(start({ config: config('i1'), configUrl: URL_, fetch: srv.fetch, storage }));
      await sync.ready;
      await settle();
      expect(seen).toEqual([{ version: 'i1', source: 'inline' }, { version: 'v2', source: 'network' }]);
    });
    it('an invalid one is reported, never thrown', async () => {
      const { sync, errors } = track(start({ config: { schema: 1, version: 'x', segments: [] } }));
      expect(await sync.ready).toBeUndefined();
      expect(errors[0]).toMatchObject({ code: 'config-invalid', path: 'segments', source: 'inline' });
    });
  });

  describe('Server-Sent Events', () => {
    class FakeEventSource {
      static last: FakeEventSource | undefined;
      readyState = 1;
      onerror: ((e: unknown) => void) | null = null;
      listeners: Record<string, ((e: { data?: unknown }) => void)[]> = {};
      closed = false;
      constructor(readonly url: string) {
        FakeEventSource.last = this;
      }
      addEventListener(type: string, fn: (e: { data?: unknown }) => void) {
        (this.listeners[type] ??= []).push(fn);
      }
      emit(type: string, data: unknown) {
        for (const fn of this.listeners[type] ?? []) fn({ data: typeof data === 'string' ? data : JSON.stringify(data) });
      }
      close() {
        this.closed = true;
      }
    }

    /** The stream, once opened: its code loads on demand, after the config in force. */
    const opened = () => vi.waitUntil(() => FakeEventSource.last);
    beforeEach(() => void (FakeEventSource.last = undefined));

    it('applies pushed configs, rejects bad ones, and closes on stop', async () => {
      const srv = server(config('v1'));
      const { sync, seen, errors } = start({ configUrl: URL_, fetch: srv.fetch, sse: true, EventSource: FakeEventSource });
      await sync.ready;
      const es = await opened();
      expect(es.url).toBe(URL_);
      es.emit('message', config('v2'));
      await settle();
      es.emit('config', '{"schema": 1, "vers');
      es.emit('message', config('v2'));
      await settle();
      expect(seen).toEqual([{ version: 'v1', source: 'network' }, { version: 'v2', source: 'sse' }]);
      expect(errors).toMatchObject([{ code: 'config-not-json', source: 'sse' }]);
      es.readyState = 2;
      es.onerror?.({});
      expect(errors.at(-1)).toMatchObject({ code: 'config-sse' });
      sync.stop();
      expect(es.closed).toBe(true);
      es.emit('message', config('v3'));
      await settle();
      expect(seen).toHaveLength(2);
    });

    it('can use a separate stream URL', async () => {
      const { sync } = start({ sse: 'https://cdn.example/stream', EventSource: FakeEventSource, config: config('v1') });
      expect((await opened()).url).toBe('https://cdn.example/stream');
      sync.stop();
    });
  });

  it('stop() ends polling and silences late answers', async () => {
    const srv = server(config('v1'));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = vi.fn(async (u: string | URL | Request, init?: RequestInit) => (await gate, srv.fetch(u, init)));
    const { sync, seen, errors } = start({ configUrl: URL_, fetch: slow, refresh: 1000 });
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(slow).toHaveBeenCalledTimes(1);
    sync.stop();
    release();
    await settle();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(seen).toEqual([]);
    expect(errors).toEqual([]);
    expect(slow).toHaveBeenCalledTimes(1);
  });

  it("a throwing handler never breaks the sync (nor reaches the page)", async () => {
    const srv = server(config('v1'));
    const sync = createConfigSync({
      configUrl: URL_, fetch: srv.fetch, refresh: 1000,
      onConfig: () => { throw new Error('host bug'); },
      onError: () => { throw new Error('host bug'); },
    });
    stops.push(() => sync.stop());
    await expect(sync.ready).resolves.toMatchObject({ version: 'v1' });
    srv.publish('nope', '"x"');
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    srv.publish(config('v2'), '"y"');
    await vi.advanceTimersByTimeAsync(2000);
    await settle();
    expect(sync.current()?.version).toBe('v2');
  });
});

describe('createConfigSync with a storage that never answers', () => {
  it('goes to the network after a second', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const srv = server(config('v1'));
    const stuck = { get: () => new Promise<unknown>(() => {}), set: async () => {} };
    const sync = createConfigSync({ configUrl: URL_, fetch: srv.fetch, storage: stuck });
    await vi.advanceTimersByTimeAsync(999);
    expect(srv.requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(srv.requests).toHaveLength(1);
    expect((await sync.ready)?.version).toBe('v1');
    sync.stop();
    vi.useRealTimers();
  });
});

const RECORD = 'config:inline';

async function sha256(text: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** One page: a sync over `storage` with the inline config, until it is ready (its writes are made by then). */
async function inlinePage(options: Partial<ConfigSyncOptions>) {
  const load = vi.fn(loadValidator);
  const { sync, seen, errors } = start({ loadValidator: load, ...options });
  const config = await sync.ready;
  sync.stop();
  return { config, loads: load.mock.calls.length, seen: seen.map((s) => `${s.version}/${s.source}`), errors };
}

const inlineText = JSON.stringify({ ...minimal(), version: 'i1' });

describe('an inline config checked once per version', () => {
  it('the second page with the same text does not load the validator', async () => {
    const storage = memoryStorage();
    const first = await inlinePage({ config: inlineText, storage });
    expect(first).toMatchObject({ loads: 1, seen: ['i1/inline'], errors: [] });
    expect(storage.map.get(RECORD)).toEqual({ digest: await sha256(inlineText), checked: RULES_VERSION });

    const second = await inlinePage({ config: inlineText, storage });
    expect(second).toMatchObject({ loads: 0, seen: ['i1/inline'], errors: [] });
    expect(second.config?.version).toBe('i1');
    expect(storage.set).toHaveBeenCalledTimes(1); // nothing new to remember
  });

  it('the same object on the next page is the same text', async () => {
    const storage = memoryStorage();
    await inlinePage({ config: { ...minimal(), version: 'o1' }, storage });
    expect(await inlinePage({ config: { ...minimal(), version: 'o1' }, storage })).toMatchObject({ loads: 0, seen: ['o1/inline'] });
  });

  it('a text changed by one byte is checked again, and remembered instead', async () => {
    const storage = memoryStorage();
    await inlinePage({ config: inlineText, storage });
    const changed = inlineText.replace('"i1"', '"i2"');
    expect(await inlinePage({ config: changed, storage })).toMatchObject({ loads: 1, seen: ['i2/inline'] });
    expect(storage.map.get(RECORD)).toEqual({ digest: await sha256(changed), checked: RULES_VERSION });
    expect(await inlinePage({ config: inlineText + ' ', storage })).toMatchObject({ loads: 1, seen: ['i1/inline'] });
  });

  it('a record of other rules, or a missing or garbled one, means the full check', async () => {
    const digest = await sha256(inlineText);
    for (const record of [{ digest, checked: RULES_VERSION - 1 }, undefined, null, 'junk', { digest: 42, checked: RULES_VERSION }, { checked: RULES_VERSION }, { digest: digest.toUpperCase(), checked: RULES_VERSION }]) {
      const storage = memoryStorage({ [RECORD]: record });
      expect(await inlinePage({ config: inlineText, storage })).toMatchObject({ loads: 1, seen: ['i1/inline'] });
      expect(storage.map.get(RECORD)).toEqual({ digest, checked: RULES_VERSION });
    }
  });

  it('a storage that fails to answer means the full check, never an error', async () => {
    const storage = { get: vi.fn(() => Promise.reject(new Error('blocked'))), set: vi.fn(() => Promise.reject(new Error('quota'))) };
    expect(await inlinePage({ config: inlineText, storage })).toMatchObject({ loads: 1, seen: ['i1/inline'], errors: [] });
  });

  it('a bad inline config is refused on every page and never remembered', async () => {
    const storage = memoryStorage();
    const bad = JSON.stringify({ schema: 1, version: 'x', segments: [] });
    for (let i = 0; i < 2; i++) {
      const run = await inlinePage({ config: bad, storage });
      expect(run).toMatchObject({ config: undefined, loads: 1, seen: [] });
      expect(run.errors.map((e) => e.code)).toEqual(['config-invalid']);
    }
    expect(storage.set).not.toHaveBeenCalled();
  });

  it('a signed one still needs its signature on every page', async () => {
    const keys = await generateKeys();
    const envelope = JSON.stringify(await signConfig(JSON.stringify({ ...minimal(), version: 's1' }), keys.privatePem));
    const storage = memoryStorage();
    expect(await inlinePage({ config: envelope, storage, publicKey: keys.publicJwk })).toMatchObject({ loads: 1, seen: ['s1/inline'] });
    expect(await inlinePage({ config: envelope, storage, publicKey: keys.publicJwk })).toMatchObject({ loads: 0, seen: ['s1/inline'] });
    // The key was rotated: the remembered text is refused all the same.
    const other = await generateKeys();
    const refused = await inlinePage({ config: envelope, storage, publicKey: other.publicJwk });
    expect(refused).toMatchObject({ config: undefined, seen: [] });
    expect(refused.errors.map((e) => e.code)).toEqual(['config-signature-invalid']);
  });

  it('without storage every page checks it', async () => {
    expect(await inlinePage({ config: inlineText })).toMatchObject({ loads: 1, seen: ['i1/inline'] });
    expect(await inlinePage({ config: inlineText })).toMatchObject({ loads: 1, seen: ['i1/inline'] });
  });
});
