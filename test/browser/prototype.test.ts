// Prototype pollution in the built bundle: ids from the page, another tab, storage and configs
// never reach Object.prototype. Today `track('$exposure', {campaign: '__proto__'})` gives every
// object `exposures` and `lastAt`, and a campaign id "__proto__" is accepted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { html, launch, snippet, startServer, watchedPage, type TestServer } from './harness';

let browser: Browser;
let server: TestServer;
const config = (id = 'spring') => ({
  schema: 1, version: `p-${id}`,
  segments: [{ id: 'everyone', fallback: true }],
  campaigns: [{ id, slot: 'hero', segments: ['everyone'], content: { text: 'hi' } }],
});
const page = (cfg: unknown) =>
  html(`<script>
    window.__before = Object.getOwnPropertyNames(Object.prototype).sort().join();
    window.__errors = [];
  </script><script>${snippet()}</script><script>
    microseg.on('error', (e) => window.__errors.push(e.code));
    microseg.init({ config: ${JSON.stringify(cfg)}, autoPage: false });
  </script>`);

beforeAll(async () => {
  browser = await launch();
  server = await startServer({ '/': page(config()), '/proto-id': page(config('__proto__')) });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const clean = (p: Page) =>
  p.evaluate(() => ({
    same: Object.getOwnPropertyNames(Object.prototype).sort().join() === (window as any).__before,
    probe: ['exposures', 'lastAt', 'clicks', 'lastClickAt', 'total'].filter((k) => ({} as any)[k] !== undefined),
  }));

describe('ids special to JavaScript objects', () => {
  it('from the page, another tab and the stored state on the next page, they pollute nothing', async () => {
    const context = await browser.newContext();
    const a = await watchedPage(context);
    await a.page.goto(server.url + '/');
    await a.page.evaluate(() => (window as any).microseg.ready);
    await a.page.evaluate(() => {
      const ms = (window as any).microseg;
      for (const c of ['__proto__', 'constructor', 'prototype', 'toString']) {
        ms.track('$exposure', { campaign: c, slot: 'hero' });
        ms.track('$click', { campaign: c, slot: 'hero' });
      }
    });
    // Another tab of the site says the same on the tab channel.
    const b = await watchedPage(context);
    await b.page.goto(server.url + '/');
    await b.page.evaluate(() => (window as any).microseg.ready);
    // A listener made after the SDK's channel hears each message after it: the marker says the events were delivered.
    await a.page.evaluate(() => {
      const ch = new BroadcastChannel('microseg:microseg');
      ch.onmessage = (m) => m.data?.t === 'marker' && ((window as any).__marker = true);
    });
    await b.page.evaluate(() => {
      const ch = new BroadcastChannel('microseg:microseg');
      const e = (id: string) => ({ id, type: '$exposure', ts: Date.now(), seq: 0, props: { campaign: '__proto__' }, page: { url: '', path: '/', title: '', referrer: '' }, aid: 'x', visit: 1 });
      ch.postMessage({ t: 'events', events: [e('tab-1'), e('tab-2')] });
      ch.postMessage({ t: 'marker' });
      ch.close();
    });
    await a.page.waitForFunction(() => (window as any).__marker === true);
    expect(await clean(a.page)).toEqual({ same: true, probe: [] });
    await a.page.evaluate(() => (window as any).microseg.flush());
    // The next page restores what was stored, "__proto__" keys included.
    await a.page.reload();
    await a.page.evaluate(() => (window as any).microseg.ready);
    await a.page.evaluate(() => (window as any).microseg.track('$exposure', { campaign: '__proto__', slot: 'hero' }));
    expect(await clean(a.page)).toEqual({ same: true, probe: [] });
    expect(await clean(b.page)).toEqual({ same: true, probe: [] });
    expect(await a.page.evaluate(() => (window as any).__errors)).toEqual([]);
    expect([...a.errors, ...b.errors]).toEqual([]);
    await context.close();
  });

  it('a config with the campaign id "__proto__" is refused with its path', async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context);
    await w.page.goto(server.url + '/proto-id');
    await w.page.waitForFunction(() => (window as any).__errors.includes('config-invalid'), undefined, { timeout: 20_000 });
    expect(await w.page.evaluate(() => (window as any).microseg.config())).toBeUndefined();
    expect(await clean(w.page)).toEqual({ same: true, probe: [] });
    await context.close();
  });
});
