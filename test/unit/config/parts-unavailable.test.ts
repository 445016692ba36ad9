// The signature check, the config stream and the lease load on demand (src/config/parts.ts). When
// their code cannot be loaded (the file blocked or offline), nothing unchecked comes in force, the
// failure is told, and the tab does the shared work itself.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createConfigSync, type ConfigSyncError } from '../../../src/config';
import { generateKeys, signConfig } from '../../../src/config/keys';
import { wireConfig } from '../../../src/sdk/config';
import { minimal } from './helpers';

vi.mock('../../../src/config/parts', () => {
  const offline = () => Promise.reject(new Error('offline'));
  return { loadVerifier: offline, loadStream: offline, loadLease: offline };
});

afterEach(() => vi.unstubAllGlobals());

describe('the config parts that load on demand, when they cannot', () => {
  it('a signed document is not put in force unchecked: the missing check is told', async () => {
    const keys = await generateKeys();
    const errors: ConfigSyncError[] = [];
    const envelope = await signConfig(JSON.stringify({ ...minimal(), version: 'signed' }), keys.privatePem);
    const sync = createConfigSync({ config: envelope, publicKey: keys.publicJwk, onError: (e) => errors.push(e) });
    expect(await sync.ready).toBeUndefined();
    expect(errors).toMatchObject([{ code: 'config-validator-unavailable', source: 'inline', message: expect.stringMatching(/signature check could not be loaded/) }]);
  });

  it('a stream that cannot be opened is told; the config in force stays', async () => {
    const errors: ConfigSyncError[] = [];
    const sync = createConfigSync({ config: { ...minimal(), version: 'inline' }, sse: 'https://cdn.example/stream', onError: (e) => errors.push(e) });
    expect((await sync.ready)?.version).toBe('inline');
    await vi.waitUntil(() => errors.length);
    expect(errors).toMatchObject([{ code: 'config-sse', source: 'sse' }]);
    expect(sync.current()?.version).toBe('inline');
    sync.stop();
  });

  it('without the lease, the tab polls itself', async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify({ ...minimal(), version: 'polled' }), { status: 200 }));
    vi.stubGlobal('fetch', fetch);
    const wiring = wireConfig({ leaseName: 'test', configUrl: 'https://cdn.example/c.json', refresh: 1000, apply: async () => {}, share: () => {} });
    await wiring.start();
    expect(fetch).toHaveBeenCalledTimes(1); // the page's own first fetch
    await vi.waitUntil(() => fetch.mock.calls.length >= 2, { timeout: 10_000 }); // a poll: this tab leads
    wiring.stop();
  });
});
