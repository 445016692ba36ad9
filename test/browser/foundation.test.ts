import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { html, launch, snippet, startServer, storedEvents, watchedPage, type TestServer, type WatchedPage } from './harness';

let browser: Browser;
let server: TestServer;
let context: BrowserContext;
let pages: WatchedPage[] = [];

const withSnippet = (calls: string, body = '') =>
  html(`<script>${snippet()}</script><script>${calls}</script>`, body);

beforeAll(async () => {
  browser = await launch();
  server = await startServer({
    '/queue': withSnippet(`
      microseg.init({ dataLayer: true });
      microseg.track('first', { n: 1 });
      microseg.identify('user-1', { tier: 'gold' });
      microseg.track('second', { n: 2 });
      microseg.label('vip', { ttl: '30d' });
      microseg.track('third', { n: 3 });
    `),
    '/twice': html(`<script>${snippet()}</script><script>${snippet()}</script><script>microseg.init({}); microseg.track('once')</script>`),
    '/blank': withSnippet(`
      window.__errors = [];
      microseg.on('error', (e) => window.__errors.push(e.code));
      microseg.init({ autoPage: false });
    `),
    '/pending': withSnippet(`microseg.init({ consent: 'pending' }); microseg.track('secret')`),
    '/tag': html(`<script async src="/microseg.iife.js" data-auto-page="false" data-consent="granted"></script>`),
    '/gtm': withSnippet(
      `microseg.init({ dataLayer: true, autoPage: false });`,
      `<script>
        window.dataLayer = window.dataLayer || [];
        dataLayer.push({ ecommerce: null });
        dataLayer.push({ event: 'view_item', ecommerce: { currency: 'EUR', value: 320, items: [{ item_id: 'bag-1', item_category: 'handbags', price: 320 }] } });
        function gtag(){ dataLayer.push(arguments); }
        gtag('event', 'add_to_cart', { currency: 'EUR', value: 320, items: [{ item_id: 'bag-1', item_category: 'handbags' }] });
      </script>`,
    ),
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function open(path: string, init?: string): Promise<WatchedPage> {
  const watched = await watchedPage(context);
  if (init) await watched.page.addInitScript(init);
  pages.push(watched);
  await watched.page.goto(server.url + path);
  await watched.page.evaluate(() => (window as any).microseg.ready);
  return watched;
}

const flush = (w: WatchedPage) => w.page.evaluate(() => (window as any).microseg.flush());

describe('the script tag and the snippet', () => {
  beforeAll(async () => {
    context = await browser.newContext();
  });
  afterEach(async () => {
    for (const w of pages) expect(w.errors, 'uncaught errors on the page').toEqual([]);
    pages = [];
    await context.close();
    context = await browser.newContext();
  });

  it('replays calls made before the SDK loaded, in order, and stores them', async () => {
    const w = await open('/queue');
    await flush(w);
    const events = (await storedEvents(w.page)).sort((a, b) => a.ts - b.ts || a.seq - b.seq);
    expect(events.map((e) => e.type)).toEqual(['page', 'first', 'identify', 'second', 'third']);
    expect(events[1]!.props).toEqual({ n: 1 });
    const state = await w.page.evaluate(() => ({
      labels: (window as any).microseg.labels().map((l: { name: string }) => l.name),
      profile: (window as any).microseg.profile(),
    }));
    expect(state.labels).toEqual(['vip']);
    expect(state.profile).toMatchObject({ userId: 'user-1', traits: { tier: 'gold' } });
  });

  it('including the snippet twice loads the SDK once and records once', async () => {
    const w = await open('/twice');
    await flush(w);
    const scripts = await w.page.locator('script[src$="microseg.iife.js"]').count();
    expect(scripts).toBe(1);
    const events = await storedEvents(w.page);
    expect(events.filter((e) => e.type === 'once')).toHaveLength(1);
  });

  it('a plain <script src data-*> tag works without the snippet', async () => {
    const w = await open('/tag');
    await w.page.evaluate(() => (window as any).microseg.track('from-tag'));
    await flush(w);
    expect((await storedEvents(w.page)).map((e) => e.type)).toEqual(['from-tag']);
  });

  it('1,000 events, then a reload: exactly 1,000 stored', async () => {
    const w = await open('/blank');
    await w.page.evaluate(() => {
      for (let i = 0; i < 1000; i++) (window as any).microseg.track('bulk', { i });
    });
    await w.page.reload();
    await w.page.evaluate(() => (window as any).microseg.ready);
    const bulk = (await storedEvents(w.page)).filter((e) => e.type === 'bulk');
    expect(bulk).toHaveLength(1000);
    expect(new Set(bulk.map((e) => e.props.i)).size).toBe(1000);
  });

  it('1,000 events, then the page is closed at once: exactly 1,000 stored', async () => {
    const w = await open('/blank');
    await w.page.evaluate(() => {
      for (let i = 0; i < 1000; i++) (window as any).microseg.track('bulk', { i });
    });
    await w.page.close({ runBeforeUnload: true });
    const next = await open('/blank');
    const bulk = (await storedEvents(next.page)).filter((e) => e.type === 'bulk');
    expect(bulk).toHaveLength(1000);
    expect(new Set(bulk.map((e) => e.props.i)).size).toBe(1000);
  });

  it("reads the site's GA4 dataLayer: GTM objects and gtag calls, with items and values", async () => {
    const w = await open('/gtm');
    await flush(w);
    const events = (await storedEvents(w.page)).sort((a, b) => a.seq - b.seq);
    expect(events.map((e) => e.type)).toEqual(['view_item', 'add_to_cart']);
    expect(events[0]!.props).toEqual({ currency: 'EUR', value: 320, items: [{ item_id: 'bag-1', item_category: 'handbags', price: 320 }] });
    expect(events[1]!.props).toMatchObject({ value: 320, items: [{ item_category: 'handbags' }] });
  });

  it('without IndexedDB the page still works: memory mode, an error event, no uncaught error', async () => {
    const w = await open(
      '/blank',
      `Object.defineProperty(window, 'indexedDB', { get() { throw new DOMException('blocked by policy', 'SecurityError'); } });
       window.microseg = undefined;`,
    );
    const result = await w.page.evaluate(async () => {
      const ms = (window as any).microseg;
      for (let i = 0; i < 5; i++) ms.track('offline', { i });
      await ms.flush();
      return { storage: ms.storage(), page: document.title, errors: (window as any).__errors };
    });
    expect(result).toEqual({ storage: 'memory', page: 'test', errors: ['storage-unavailable'] });
    expect(w.warnings.some((t) => t.includes('storage-unavailable'))).toBe(true);
  });

  it('consent pending: no database and no localStorage key; after forget() none remain', async () => {
    const w = await open('/pending');
    await flush(w);
    const pending = await w.page.evaluate(async () => ({
      dbs: (await indexedDB.databases()).map((d) => d.name),
      keys: Object.keys(localStorage),
    }));
    expect(pending).toEqual({ dbs: [], keys: [] });

    await w.page.evaluate(() => (window as any).microseg.consent('granted'));
    await flush(w);
    const granted = await w.page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
    expect(granted).toEqual(['microseg']);
    expect((await storedEvents(w.page)).map((e) => e.type).sort()).toEqual(['page', 'secret']);

    await w.page.evaluate(() => (window as any).microseg.forget());
    const after = await w.page.evaluate(async () => ({
      dbs: (await indexedDB.databases()).map((d) => d.name),
      keys: Object.keys(localStorage),
      cookies: document.cookie,
    }));
    expect(after).toEqual({ dbs: [], keys: [], cookies: '' });
  });
});
