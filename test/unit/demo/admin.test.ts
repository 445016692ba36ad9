// @vitest-environment node
// The console and the admin API: Host checked against the configured origins (DNS rebinding),
// the token never in a page, a sign-in cookie (HttpOnly, SameSite=Strict) for the console, every
// admin route behind it; every console route works with a signed config; streams are capped.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeys as keys, signConfig } from '../../../src/config/keys';
import { ADMIN_TOKEN, admin, config, readSse, startTestServer } from './helpers';

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer({ streams: { perClient: 3, total: 5 } });
}, 60_000);
afterAll(() => server?.close(), 30_000);

/** A raw request, so the Host header can be anything (fetch always sends the URL's). */
function raw(path: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const ADMIN_ROUTES = ['/api/events', '/api/visitors', '/api/report', '/api/matrix', '/api/coverage', `/api/labels?uid=customer-1`];

describe('Host and sign-in', () => {
  it('refuses a request whose Host is not a configured origin (DNS rebinding), on every route', async () => {
    for (const path of ['/console', '/api/config', '/api/report', '/']) {
      const res = await raw(path, { Host: 'attacker.example' });
      expect(res.status, path).toBe(421);
      expect(res.body).not.toContain(ADMIN_TOKEN);
    }
    const withToken = await raw('/api/report', { Host: 'attacker.example:80', Authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(withToken.status).toBe(421);
    expect((await raw('/console', { Host: new URL(server.url).host })).status).toBe(200);
    expect((await raw('/console', { Host: `localhost:${new URL(server.url).port}` })).status).toBe(200);
  });

  it('never writes the token into the console page, whoever asks', async () => {
    const html = await (await fetch(`${server.url}/console`)).text();
    expect(html).not.toContain(ADMIN_TOKEN);
  });

  it('signs in with the token: an HttpOnly, SameSite=Strict cookie that opens the admin routes', async () => {
    expect((await fetch(`${server.url}/api/login`, { method: 'POST', body: JSON.stringify({ token: 'wrong' }) })).status).toBe(401);
    const res = await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: ADMIN_TOKEN }) });
    expect(res.status).toBe(200);
    const setCookie = res.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(/ms_admin=/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toContain(ADMIN_TOKEN);
    const cookie = setCookie.split(';')[0];
    for (const path of ADMIN_ROUTES) {
      expect((await fetch(server.url + path)).status, path).toBe(path.startsWith('/api/labels') ? 403 : 401);
      expect((await fetch(server.url + path, { headers: { Cookie: cookie } })).status, path).toBe(200);
      expect((await fetch(server.url + path, { headers: admin })).status, path).toBe(200);
    }
    expect(await (await fetch(`${server.url}/api/session`, { headers: { Cookie: cookie } })).json()).toEqual({ admin: true });
    // a forged or altered session is nothing
    const [name, value] = cookie.split('=');
    expect((await fetch(`${server.url}/api/report`, { headers: { Cookie: `${name}=${value.replace(/^\d+/, '99999999999')}` } })).status).toBe(401);
    // a change made with the cookie from another origin is refused
    const crossSite = await fetch(`${server.url}/api/labels`, {
      method: 'POST',
      headers: { Cookie: cookie, Origin: 'https://attacker.example', 'Content-Type': 'application/json' },
      body: JSON.stringify({ uid: 'customer-1', name: 'vip', channel: 'store' }),
    });
    expect(crossSite.status).toBe(401);
    const sameSite = await fetch(`${server.url}/api/labels`, {
      method: 'POST',
      headers: { Cookie: cookie, Origin: server.url, 'Content-Type': 'application/json' },
      body: JSON.stringify({ uid: 'customer-1', name: 'vip', channel: 'store' }),
    });
    expect(sameSite.status).toBe(201);
  });
});

describe('a signed config', () => {
  it('keeps /api/matrix, /api/coverage and /api/preview working', async () => {
    const { privatePem } = await keys();
    const cfg = { ...config('v-signed-routes'), campaigns: [{ id: 'welcome', slot: 'hero', segments: ['everyone'], priority: 1, content: { text: 'hi' } }] };
    const envelope = await signConfig(JSON.stringify(cfg), privatePem);
    const published = await fetch(`${server.url}/api/config`, { method: 'POST', headers: admin, body: JSON.stringify(envelope) });
    expect(published.status).toBe(200);
    const matrix = await fetch(`${server.url}/api/matrix?days=3`, { headers: admin });
    expect(matrix.status).toBe(200);
    expect(await matrix.json()).toMatchObject({ version: 'v-signed-routes' });
    const coverage = await fetch(`${server.url}/api/coverage`, { headers: admin });
    expect(coverage.status).toBe(200);
    expect((await coverage.json()).segments.map((s: { segment: string }) => s.segment)).toEqual(['everyone']);
    const preview = await fetch(`${server.url}/api/preview`, { method: 'POST', headers: { ...admin, 'Content-Type': 'application/json' }, body: JSON.stringify({ segment: 'everyone' }) });
    expect(preview.status).toBe(200);
  });
});

describe('Server-Sent Events are capped', () => {
  it('answers 429 with Retry-After past the per-client cap, and the slot frees when a stream ends', async () => {
    const streams = await Promise.all([1, 2, 3].map(async () => readSse(await fetch(`${server.url}/api/config/stream`))));
    try {
      await Promise.all(streams.map((s) => s.next()));
      const over = await fetch(`${server.url}/api/config/stream`);
      expect(over.status).toBe(429);
      expect(over.headers.get('retry-after')).toBe('30');
      await streams.pop()!.close();
      await expect.poll(async () => {
        const res = await fetch(`${server.url}/api/config/stream`);
        if (res.ok) streams.push(readSse(res));
        return res.status;
      }).toBe(200);
    } finally {
      await Promise.all(streams.map((s) => s.close()));
    }
  });

  it('answers 503 with Retry-After when the server holds its total', async () => {
    const small = await startTestServer({ streams: { perClient: 10, total: 2 } });
    const streams = await Promise.all([1, 2].map(async () => readSse(await fetch(`${small.url}/api/config/stream`))));
    try {
      await Promise.all(streams.map((s) => s.next()));
      const full = await fetch(`${small.url}/api/config/stream`);
      expect(full.status).toBe(503);
      expect(full.headers.get('retry-after')).toBe('30');
    } finally {
      await Promise.all(streams.map((s) => s.close()));
      await small.close();
    }
  }, 60_000);
});
