import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { html, snippet, startServer, watchedPage, type TestServer, type WatchedPage } from './harness';
import { useDemo } from './demo-support';
import { generateKeys, signConfig } from '../../src/config/keys';

const env = useDemo();

const ready = (page: Page) => page.evaluate(() => (window as any).microseg.ready);
const state = (page: Page) =>
  page.evaluate(() => {
    const ms = (window as any).microseg;
    return { version: ms.config()?.version as string | undefined, segments: ms.segments() as string[] };
  });

describe('config sync from the backend', () => {
  let context: BrowserContext;
  let pages: WatchedPage[] = [];

  beforeAll(async () => {
    context = await env.browser.newContext();
  });
  afterAll(async () => {
    for (const w of pages) expect(w.errors).toEqual([]);
    await context.close();
  });

  async function open(path: string): Promise<WatchedPage> {
    const w = await watchedPage(context);
    pages.push(w);
    await w.page.goto(env.demo.url + path);
    await ready(w.page);
    return w;
  }

  it('the second page load revalidates the config with If-None-Match and gets a 304', async () => {
    const firstRequests: string[] = [];
    context.on('request', (req) => firstRequests.push(new URL(req.url()).pathname));
    const w = await open('/');
    // A config new to this device: the SDK fetched its validator to check it.
    expect(firstRequests).toContain('/microseg.schema.js');
    const first = await state(w.page);
    expect(first.version).toBe('2026-11-23.1');
    // The checked copy and its ETag are committed before the reload (a busy machine may not have flushed yet).
    await w.page.evaluate(() => (window as any).microseg.flush());
    const requested: string[] = [];
    w.page.on('request', (req) => requested.push(new URL(req.url()).pathname));
    const revalidation = w.page.waitForResponse((res) => new URL(res.url()).pathname === '/api/config');
    await w.page.reload();
    await ready(w.page);
    const res = await revalidation;
    expect(res.status()).toBe(304);
    expect((await res.request().allHeaders())['if-none-match']).toBeTruthy();
    // The stored copy was checked on the first visit: the validator chunk is not fetched again.
    expect(requested).toContain('/microseg.iife.js');
    expect(requested).not.toContain('/microseg.schema.js');
    expect((await state(w.page)).version).toBe('2026-11-23.1');
  });

  it('with the backend unreachable, the next visit still segments from the stored config', async () => {
    const w = await open('/p/hb-alma'); // a handbag product page: view_item through the dataLayer
    await w.page.waitForFunction(() => (window as any).microseg.segments().includes('new-handbag-browsers'));
    await w.page.evaluate(() => (window as any).microseg.flush());
    await context.route('**/api/config**', (route) => route.abort('internetdisconnected'));
    try {
      await w.page.goto(env.demo.url + '/');
      await ready(w.page);
      const s = await state(w.page);
      expect(s.version).toBe('2026-11-23.1');
      expect(s.segments).toContain('new-handbag-browsers');
    } finally {
      await context.unroute('**/api/config**');
    }
  });

  it('a config published while a tab is open reaches it over Server-Sent Events', async () => {
    const w = await open('/');
    await w.page.evaluate(() => {
      (window as any).__versions = [];
      (window as any).microseg.on('config', (e: { version: string }) => (window as any).__versions.push(e.version));
    });
    const started = Date.now();
    await env.demo.publish((c) => {
      c.version = '2026-11-23.2';
    });
    await w.page.waitForFunction(() => (window as any).__versions.includes('2026-11-23.2'), undefined, { timeout: 5000 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await state(w.page)).version).toBe('2026-11-23.2');
  });
});

describe('signed configs', () => {
  let server: TestServer;
  let context: BrowserContext;
  let served: unknown;

  beforeAll(async () => {
    const keys = await generateKeys();
    const config = (version: string) => ({ schema: 1, version, segments: [{ id: 'everyone', fallback: true }] });
    const good = await signConfig(JSON.stringify(config('signed-1')), keys.privatePem);
    const next = await signConfig(JSON.stringify(config('signed-2')), keys.privatePem);
    served = good;
    server = await startServer({
      '/': () =>
        html(`<script>${snippet()}</script><script>
          window.__errors = [];
          microseg.on('error', (e) => window.__errors.push(e.code));
          microseg.init({ configUrl: '/config.json', publicKey: ${JSON.stringify(keys.publicJwk)}, autoPage: false });
        </script>`),
    });
    server.app.get('/config.json', (c) => c.json(served as object));
    (globalThis as any).__tampered = { ...next, payload: (next.payload as string).replace('signed-2', 'signed-X') };
    context = await env.browser.newContext();
  });
  afterAll(async () => {
    await context.close();
    await server.close();
  });

  it('a tampered config is refused whole and the last good one stays in force', async () => {
    const w = await watchedPage(context);
    await w.page.goto(server.url + '/');
    await ready(w.page);
    // This test is about refusing a tampered copy: wait for the signed one itself to be in force.
    await w.page.waitForFunction(() => (window as any).microseg.config()?.version === 'signed-1', undefined, { timeout: 10_000 });
    expect(await w.page.evaluate(() => (window as any).__errors)).toEqual([]);
    await w.page.evaluate(() => (window as any).microseg.flush()); // the good copy is stored

    served = (globalThis as any).__tampered;
    await w.page.reload();
    await ready(w.page);
    // ready settles with the stored copy in force; the network's tampered copy is checked after
    // it, as long as the machine takes: wait for its verdict, not for time.
    await w.page.waitForFunction(() => (window as any).__errors.length > 0, undefined, { timeout: 20_000 });
    const after = await w.page.evaluate(() => ({ version: (window as any).microseg.config()?.version, errors: (window as any).__errors }));
    expect(after.version).toBe('signed-1');
    expect(after.errors).toEqual(['config-signature-invalid']);
    expect(w.errors).toEqual([]);
  });
});
