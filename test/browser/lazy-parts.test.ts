// Optional parts load only where the site configured them: a page without a collector, a labels
// backend or journeys never downloads microseg.extras.js, one with journeys only never downloads the
// collector's microseg.collect.js nor the labels backend's microseg.labels.js, one without a signing
// key, a config stream or polling never downloads microseg.sync.js; one with a collector does, and
// what it tracked before the files arrived still reaches the collector; one with a config stream
// opens it once its file is there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { html, launch, startServer, watchedPage, type TestServer } from './harness';

const CONFIG = JSON.stringify({ schema: 1, version: 'lazy-1', segments: [{ id: 'everyone', fallback: true }] });

const JOURNEYS = JSON.stringify({
  schema: 1, version: 'lazy-journeys', segments: [{ id: 'everyone', fallback: true }],
  journeys: [{ id: 'browse-to-buy', exposure: { event: 'early' }, goal: { event: 'purchase' }, within: '1d' }],
});

const STREAMED = (n: number) => JSON.stringify({ schema: 1, version: `streamed-${n}`, issued: n, segments: [{ id: `pushed-${n}`, fallback: true }] });

let browser: Browser;
let server: TestServer;
const received: string[] = [];
let hijackedReceived = 0;

beforeAll(async () => {
  browser = await launch();
  const page = (options: string, before = '') =>
    html(`${before}<script src="/microseg.iife.js"></script><script>
      microseg.init(Object.assign({ config: ${JSON.stringify(CONFIG)}, autoPage: false }, ${options}));
      for (let i = 0; i < 5; i++) microseg.track('early', { n: i }); // before anything has loaded
    </script>`);
  // A page that takes the optional-parts file first and installs its own kit in it, and puts its
  // own validator where the SDK's would hand itself over.
  const hijack = `<script src="/microseg.extras.js"></script><script src="/microseg.collect.js"></script><script>
      window.pageCalls = [];
      __microseg_extras.install(new Proxy({}, { get: (_, name) => () => { pageCalls.push(String(name)); } }));
      __microseg_collect.install(new Proxy({}, { get: (_, name) => () => { pageCalls.push(String(name)); } }));
      window.__microsegValidate = function () { pageCalls.push('validate'); return { success: true, data: {} }; };
    </script>`;
  server = await startServer({
    '/plain': page('{}'),
    '/journeys': page(`{ config: ${JSON.stringify(JOURNEYS)} }`),
    '/collected': page(`{ collectUrl: '/collect', collect: { interval: 50 } }`),
    '/hijacked': page(`{ collectUrl: '/collect-hijacked', collect: { interval: 50 } }`, hijack),
    '/streamed': page(`{ config: undefined, configUrl: '/streamed.json', sse: '/config-stream' }`),
  });
  server.app.get('/streamed.json', (c) => c.body(STREAMED(1), 200, { 'content-type': 'application/json' }));
  // A stream that pushes the next publication as soon as it is open, then stays open.
  server.app.get('/config-stream', () => {
    const body = new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode(`event: config\ndata: ${STREAMED(2)}\n\n`)) });
    return new Response(body, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store' } });
  });
  server.app.post('/collect-hijacked', async (c) => {
    const body = JSON.parse(await c.req.text()) as { events: Array<{ type: string }> };
    hijackedReceived += body.events.filter((e) => e.type === 'early').length;
    return c.json({ received: body.events.length }, 202);
  });
  server.app.post('/collect', async (c) => {
    const body = JSON.parse(await c.req.text()) as { events: Array<{ type: string; props: { n?: number } }> };
    for (const e of body.events) if (e.type === 'early') received.push(String(e.props.n));
    return c.json({ received: body.events.length }, 202);
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function visit(path: string) {
  const context = await browser.newContext();
  const w = await watchedPage(context);
  const requested: string[] = [];
  w.page.on('request', (r) => requested.push(new URL(r.url()).pathname));
  await w.page.goto(server.url + path);
  await w.page.evaluate(() => (window as any).microseg.ready);
  await w.page.evaluate(() => (window as any).microseg.flush());
  return { w, context, requested };
}

describe('optional parts on demand', () => {
  it('a page with only a config never fetches the optional parts', async () => {
    const { w, context, requested } = await visit('/plain');
    expect(requested).toContain('/microseg.iife.js');
    expect(requested).not.toContain('/microseg.extras.js');
    expect(requested).not.toContain('/microseg.sync.js');
    expect(await w.page.evaluate(() => (window as any).microseg.segments())).toEqual(['everyone']);
    expect(w.errors).toEqual([]);
    await context.close();
  });

  it('a page with journeys but no collector nor labels backend fetches measurement only', async () => {
    const { w, context, requested } = await visit('/journeys');
    expect(requested).toContain('/microseg.extras.js');
    expect(requested).not.toContain('/microseg.collect.js');
    expect(requested).not.toContain('/microseg.labels.js');
    expect(w.errors).toEqual([]);
    await context.close();
  });

  it('a page with a collector fetches measurement and the collector, and the events tracked before they arrived are sent', async () => {
    const { w, context, requested } = await visit('/collected');
    expect(requested).toContain('/microseg.extras.js');
    expect(requested).toContain('/microseg.collect.js');
    expect(requested).not.toContain('/microseg.labels.js');
    await expect.poll(() => [...received].sort(), { timeout: 30_000 }).toEqual(['0', '1', '2', '3', '4']);
    expect(w.errors).toEqual([]);
    await context.close();
  });

  it("a page's own copies of the on-demand files are never the SDK's: it loads and runs its own", async () => {
    const { w, context, requested } = await visit('/hijacked');
    expect(requested).toContain('/microseg.schema.js'); // the SDK's own validator checked the config
    expect(await w.page.evaluate(() => (window as any).microseg.segments())).toEqual(['everyone']);
    // Measurement runs with the SDK's own file and kit: the events reach the collector.
    await expect.poll(() => hijackedReceived, { timeout: 30_000 }).toBe(5);
    expect(await w.page.evaluate(() => (window as any).pageCalls)).toEqual([]);
    expect(w.warnings.join('\n')).not.toMatch(/could not be loaded/);
    expect(w.errors).toEqual([]);
    await context.close();
  });

  it('a page with a config stream fetches its file and opens the stream: the pushed publication comes in force', async () => {
    const { w, context, requested } = await visit('/streamed');
    await expect.poll(() => w.page.evaluate(() => (window as any).microseg.segments()), { timeout: 30_000 }).toEqual(['pushed-2']);
    expect(requested).toContain('/microseg.sync.js');
    expect(requested).not.toContain('/microseg.extras.js');
    expect(requested).toContain('/config-stream');
    expect(w.errors).toEqual([]);
    await context.close();
  });
});
