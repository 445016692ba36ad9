// @vitest-environment node
import { renameSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { matchesEtag } from '../../../demo/server/config-store';
import { admin, config, readSse, startTestServer } from './helpers';

let server: Awaited<ReturnType<typeof startTestServer>>;
// Starting PGlite takes seconds, more on a busy machine.
beforeAll(async () => {
  server = await startTestServer();
}, 60_000);
afterAll(() => server?.close(), 30_000);

describe('GET /api/config', () => {
  it('serves the file with a strong ETag and Cache-Control: no-cache', async () => {
    const res = await fetch(`${server.url}/api/config`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('etag')).toMatch(/^"[^"]+"$/);
    expect(await res.json()).toEqual(config('v1'));
  });

  it('answers 304 with no body when If-None-Match holds the current tag', async () => {
    const etag = (await fetch(`${server.url}/api/config`)).headers.get('etag')!;
    const res = await fetch(`${server.url}/api/config`, { headers: { 'If-None-Match': etag } });
    expect(res.status).toBe(304);
    expect(res.headers.get('etag')).toBe(etag);
    expect(await res.text()).toBe('');
    const stale = await fetch(`${server.url}/api/config`, { headers: { 'If-None-Match': '"something-else"' } });
    expect(stale.status).toBe(200);
  });

  it('compares If-None-Match weakly, with lists and *', () => {
    expect(matchesEtag('W/"abc"', '"abc"')).toBe(true);
    expect(matchesEtag('"x", "abc"', '"abc"')).toBe(true);
    expect(matchesEtag('*', '"abc"')).toBe(true);
    expect(matchesEtag('"abcd"', '"abc"')).toBe(false);
    expect(matchesEtag(undefined, '"abc"')).toBe(false);
  });
});

describe('config changes reach open pages', () => {
  it('pushes the current config on connect, then each new version of the file as it is written', async () => {
    const stream = readSse(await fetch(`${server.url}/api/config/stream`));
    try {
      const first = await stream.next();
      const current = JSON.parse(first.data);
      expect(first.id).toBe((await fetch(`${server.url}/api/config`)).headers.get('etag'));

      const startedAt = Date.now();
      writeFileSync(server.configPath, JSON.stringify(config('v-file-edit'), null, 2));
      const pushed = await stream.next((e) => e.event === 'message', 10_000);
      // Pushed on the file change, not on a poll (a generous bound: the machine may be busy).
      expect(Date.now() - startedAt).toBeLessThan(10_000);
      expect(JSON.parse(pushed.data)).toEqual(config('v-file-edit'));
      expect(current.version).not.toBe('v-file-edit');

      const res = await fetch(`${server.url}/api/config`);
      expect((await res.json()).version).toBe('v-file-edit');
      expect(res.headers.get('etag')).toBe(pushed.id);
    } finally {
      await stream.close();
    }
  });

  it('sees a file an editor saves by renaming a new copy over it', async () => {
    const stream = readSse(await fetch(`${server.url}/api/config/stream`));
    try {
      await stream.next();
      writeFileSync(`${server.configPath}.tmp`, JSON.stringify(config('v-renamed')));
      renameSync(`${server.configPath}.tmp`, server.configPath);
      expect(JSON.parse((await stream.next(undefined, 10_000)).data).version).toBe('v-renamed');
    } finally {
      await stream.close();
    }
  });

  it('streams on the config URL itself for an EventSource (Accept: text/event-stream)', async () => {
    const res = await fetch(`${server.url}/api/config`, { headers: { Accept: 'text/event-stream' } });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const stream = readSse(res);
    try {
      expect(JSON.parse((await stream.next()).data).schema).toBe(1);
    } finally {
      await stream.close();
    }
  });

  it('does not resend the config a reconnecting page already has (Last-Event-ID)', async () => {
    const etag = (await fetch(`${server.url}/api/config`)).headers.get('etag')!;
    const stream = readSse(await fetch(`${server.url}/api/config/stream`, { headers: { 'Last-Event-ID': etag } }));
    try {
      await expect(stream.next(() => true, 300)).rejects.toThrow(/no matching SSE event/);
    } finally {
      await stream.close();
    }
  });

  it('keeps the last good config when the file turns invalid', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const before = await (await fetch(`${server.url}/api/config`)).json();
      writeFileSync(server.configPath, '{ "schema": 1, "version": ');
      await new Promise((r) => setTimeout(r, 400));
      expect(await (await fetch(`${server.url}/api/config`)).json()).toEqual(before);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/rejected, keeping version .*not JSON/s));
    } finally {
      warn.mockRestore();
    }
  });
});

describe('POST /api/config', () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/api/config`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers } });

  it('refuses without the admin token (401) or with a wrong one', async () => {
    expect((await post(JSON.stringify(config('v-anon')))).status).toBe(401);
    expect((await post(JSON.stringify(config('v-anon')), { Authorization: 'Bearer nope' })).status).toBe(401);
    expect((await (await fetch(`${server.url}/api/config`)).json()).version).not.toBe('v-anon');
  });

  it('rejects an invalid config with the paths of its problems (422)', async () => {
    const res = await post(JSON.stringify({ schema: 1, version: 'v-bad', segments: [] }), admin);
    expect(res.status).toBe(422);
    expect((await res.json()).errors.join('\n')).toMatch(/segments/);
  });

  it('publishes a signed envelope as it is, after validating its payload', async () => {
    const envelope = { payload: JSON.stringify(config('v-signed')), signature: 'c2lnbmF0dXJl', alg: 'ES256' };
    const res = await post(JSON.stringify(envelope), admin);
    expect(res.status).toBe(200);
    expect((await res.json()).version).toBe('v-signed');
    expect(await (await fetch(`${server.url}/api/config`)).json()).toEqual(envelope);
    const bad = await post(JSON.stringify({ ...envelope, payload: JSON.stringify({ schema: 1, version: 'x', segments: [] }) }), admin);
    expect(bad.status).toBe(422);
  });

  it('publishes a valid config and pushes it to open streams', async () => {
    const stream = readSse(await fetch(`${server.url}/api/config/stream`));
    try {
      await stream.next(); // the current one
      const res = await post(JSON.stringify(config('v-posted')), admin);
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body.version).toBe('v-posted');
      const pushed = await stream.next(undefined, 10_000);
      expect(JSON.parse(pushed.data).version).toBe('v-posted');
      const served = await fetch(`${server.url}/api/config`);
      expect(served.headers.get('etag')).toBe(body.etag);
    } finally {
      await stream.close();
    }
  });
});
