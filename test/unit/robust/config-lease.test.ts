// @vitest-environment node
// Config sync shared by tabs: a follower fetches once and polls no more; it takes over polling and
// the stream when it leads; a document offered by another tab is checked again and never stored.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createConfigSync } from '../../../src/config';
import { generateKeys, signConfig } from '../../../src/config/keys';

const doc = (version: string) => ({ schema: 1, version, segments: [{ id: 'everyone', fallback: true }] });

afterEach(() => vi.useRealTimers());

describe('config sync under a lease', () => {
  it('a follower does not poll until it leads; then it polls and opens the stream', async () => {
    vi.useFakeTimers();
    const fetches: string[] = [];
    const fetch = vi.fn(async (url: string) => (fetches.push(url), new Response(JSON.stringify(doc('1')), { status: 200 })));
    const streams: string[] = [];
    class ES {
      readyState = 1;
      onerror = null;
      constructor(url: string) {
        streams.push(url);
      }
      addEventListener() {}
      close() {
        streams.push('closed');
      }
    }
    const sync = createConfigSync({ configUrl: '/c.json', refresh: 1000, sse: true, leader: false, fetch: fetch as never, EventSource: ES as never });
    await sync.ready;
    expect(fetches).toHaveLength(1); // the page's own first fetch
    await vi.advanceTimersByTimeAsync(5000);
    expect(fetches).toHaveLength(1);
    expect(streams).toEqual([]);
    sync.lead(true); // the leading tab closed
    await vi.advanceTimersByTimeAsync(10);
    expect(fetches).toHaveLength(2); // a poll was due
    await vi.waitUntil(() => streams.length); // the stream's code loads on demand
    expect(streams).toEqual(['/c.json']);
    await vi.advanceTimersByTimeAsync(3000);
    expect(fetches.length).toBeGreaterThanOrEqual(4);
    sync.lead(false);
    expect(streams).toEqual(['/c.json', 'closed']);
    sync.stop();
  });

  it('an offered document is checked again (signature included) and not stored', async () => {
    const keys = await generateKeys();
    const other = await generateKeys();
    const stored: unknown[] = [];
    const seen: string[] = [];
    const errors: string[] = [];
    const sync = createConfigSync({
      publicKey: keys.publicJwk,
      storage: { get: async () => undefined, set: async (_k, v) => void stored.push(v) },
      onConfig: (c, { source }) => seen.push(`${c.version}:${source}`),
      onError: (e) => errors.push(e.code),
    });
    await sync.ready;
    expect(await sync.offer(JSON.stringify(await signConfig(JSON.stringify(doc('2')), other.privatePem)))).toBe(false);
    expect(await sync.offer(JSON.stringify(doc('3')))).toBe(false);
    expect(await sync.offer(JSON.stringify(await signConfig(JSON.stringify(doc('4')), keys.privatePem)))).toBe(true);
    expect(await sync.offer('{"schema":1,"version":"5","segments":"nope"}')).toBe(false);
    expect(seen).toEqual(['4:tab']);
    expect(errors).toEqual(['config-signature-invalid', 'config-unsigned', 'config-unsigned']);
    expect(stored).toEqual([]);
    sync.stop();
  });
});
