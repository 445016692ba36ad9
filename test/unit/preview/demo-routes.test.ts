// @vitest-environment node
// The console's plan and preview routes on the demo backend: admin only, validated, and a preview
// token that the public key printed into the shop pages verifies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestServer } from '../demo/helpers';
import { verifyPreviewToken } from '../../../src/preview/token';

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer();
}, 60_000);
afterAll(() => server?.close(), 30_000);

const call = (path: string, init: RequestInit = {}, token = ADMIN_TOKEN) =>
  fetch(server.url + path, { ...init, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });

describe('demo preview routes', () => {
  it('need the admin token', async () => {
    for (const [path, method] of [['/api/matrix', 'GET'], ['/api/coverage', 'GET'], ['/api/preview', 'POST']] as const) {
      expect((await call(path, { method, body: method === 'POST' ? '{}' : undefined }, '')).status).toBe(401);
    }
  });

  it('the matrix covers the asked days; bad input is a 400', async () => {
    const m = await (await call('/api/matrix?from=2026-11-30&days=3')).json();
    expect(m).toMatchObject({ version: 'v1', dates: ['2026-11-30', '2026-12-01', '2026-12-02'], rows: [{ segment: 'everyone', fallback: true }] });
    expect((await call('/api/matrix?from=tomorrow')).status).toBe(400);
  });

  it('a preview link names a segment and a date; its token verifies with the key the pages carry', async () => {
    const res = await call('/api/preview', { method: 'POST', body: JSON.stringify({ segment: 'everyone', date: '2026-12-01', path: '/cart' }) });
    expect(res.status).toBe(200);
    const { token, url, expires } = await res.json();
    expect(url).toBe(`/cart?microseg_preview=${token}`);
    const page = await (await fetch(server.url + '/p/hb-alma')).text();
    const key = JSON.parse(/previewKey: (\{[^}]+\})/.exec(page)![1]!);
    const claims = await verifyPreviewToken(token, key, Date.now());
    expect(claims).toEqual({ persona: { segments: ['everyone'], date: '2026-12-01' }, exp: expires });
    for (const body of [{ segment: 'nobody' }, { segment: 'everyone', date: '1 Dec' }]) {
      expect((await call('/api/preview', { method: 'POST', body: JSON.stringify(body) })).status).toBe(400);
    }
    // Another site's path is not a preview target: the link stays on this site.
    const off = await (await call('/api/preview', { method: 'POST', body: JSON.stringify({ segment: 'everyone', path: '//evil.example/x' }) })).json();
    expect(off.url).toMatch(/^\/p\/hb-alma\?/);
  });

  it('coverage counts each visitor in the segments their latest change left them in', async () => {
    const t = Date.now();
    const events = [
      { id: 'c1', aid: 'a', type: '$segment.enter', ts: t, props: { segment: 'everyone' } },
      { id: 'c2', aid: 'a', type: '$segment.exit', ts: t + 1, props: { segment: 'everyone' } },
      { id: 'c3', aid: 'b', type: '$segment.enter', ts: t, props: { segment: 'everyone' } },
    ];
    expect((await call('/api/collect', { method: 'POST', body: JSON.stringify({ events }) })).status).toBe(202);
    expect(await (await call('/api/coverage')).json()).toEqual({ visitors: 2, segments: [{ segment: 'everyone', visitors: 1, share: 0.5 }] });
  });
});
