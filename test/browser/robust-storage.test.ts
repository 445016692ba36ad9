// Broken storage in a real browser: IndexedDB missing, a quota that runs out mid-batch, an old tab
// that blocks the upgrade, the database taken away while the page runs. The SDK keeps working.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { html, launch, snippet, startServer, storedEvents, watchedPage, type TestServer } from './harness';

let browser: Browser;
let server: TestServer;

const config = {
  schema: 1,
  version: 's.1',
  metrics: { taps: { event: 'tap', agg: 'count' } },
  segments: [{ id: 'tapper', when: { 'metrics.taps': { $gte: 1 } } }, { id: 'everyone', fallback: true }],
};
const page = html(`<script>${snippet()}</script><script>
  window.__errors = [];
  window.__all = [];
  microseg.on('error', (e) => (window.__errors.push(e.code), window.__all.push(e.message)));
  microseg.init({ config: ${JSON.stringify(config)}, autoPage: false });
</script>`);

beforeAll(async () => {
  browser = await launch();
  server = await startServer({ '/': page, '/blank': html('') });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const taps = (p: Page) => p.evaluate(() => (window as any).microseg.explain('tapper').clauses[0].actual as number);
const errors = (p: Page) => p.evaluate(() => (window as any).__errors as string[]);

describe('storage failures in the browser', () => {
  it('IndexedDB missing or forbidden: works in memory and says so', async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context);
    await w.page.addInitScript(() => Object.defineProperty(window, 'indexedDB', { get() { throw new DOMException('denied', 'SecurityError'); } }));
    await w.page.goto(server.url + '/');
    await w.page.evaluate(() => (window as any).microseg.ready);
    await w.page.evaluate(() => { for (let i = 0; i < 5; i++) (window as any).microseg.track('tap'); });
    expect(await taps(w.page)).toBe(5);
    expect(await w.page.evaluate(() => (window as any).microseg.storage())).toBe('memory');
    expect(await errors(w.page)).toEqual(['storage-unavailable']);
    await context.close();
  });

  it('the quota runs out mid-batch: old raw events make room, aggregates and new events are kept, one error event', async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context);
    // The quota is set before the origin first opens its storage (later, Chromium may miss it).
    await w.page.goto(server.url + '/blank');
    const cdp = await context.newCDPSession(w.page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url, quotaSize: 3_000_000 });
    await w.page.goto(server.url + '/');
    await w.page.evaluate(() => (window as any).microseg.ready);
    // Big events in many batches until the origin is full.
    for (let batch = 0; batch < 60; batch++) {
      await w.page.evaluate(async () => {
        // Random text: the browser compresses what it stores, so repeated characters would never fill it.
        // (and props keep at most 2,000 characters per string: 20 of them make a 40 KB event).
        const text = () => Array.from(crypto.getRandomValues(new Uint32Array(300)), (n) => n.toString(36)).join('').slice(0, 2000);
        const props = () => Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`f${k}`, text()]));
        for (let i = 0; i < 10; i++) (window as any).microseg.track('tap', props());
        await (window as any).microseg.flush();
      });
      if ((await errors(w.page)).includes('storage-quota')) break;
    }
    expect((await errors(w.page)).filter((code) => code.startsWith('storage'))).toEqual(['storage-quota']);
    expect(await w.page.evaluate(() => (window as any).microseg.storage())).toBe('indexeddb');
    const counted = await taps(w.page);
    expect(counted % 10).toBe(0);
    // Every event counts in the aggregates; some old raw events were dropped; the newest batch is stored.
    const stored = (await storedEvents(w.page)).filter((e) => e.type === 'tap');
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.length).toBeLessThan(counted);
    await w.page.reload();
    await w.page.evaluate(() => (window as any).microseg.ready);
    expect(await taps(w.page)).toBe(counted);
    console.log(`quota test: ${counted} events counted, ${stored.length} raw events kept under a 3 MB quota`);
    await context.close();
  });

  it('an old tab that never lets go blocks the upgrade: the new tab works meanwhile and writes when it closes', async () => {
    const context = await browser.newContext();
    const old = await watchedPage(context);
    await old.page.goto(server.url + '/blank');
    // A tab of an old SDK version: schema version 1, no versionchange handling.
    await old.page.evaluate(() => new Promise<void>((resolve) => {
      const req = indexedDB.open('microseg', 1);
      req.onupgradeneeded = () => {
        req.result.createObjectStore('chunks', { keyPath: 'key' }).createIndex('last', 'last');
        req.result.createObjectStore('kv');
      };
      req.onsuccess = () => ((window as any).__db = req.result, resolve());
    }));
    const w = await watchedPage(context);
    await w.page.goto(server.url + '/');
    await w.page.evaluate(() => (window as any).microseg.ready);
    await w.page.evaluate(() => { (window as any).microseg.track('tap'); (window as any).microseg.track('tap'); });
    expect(await taps(w.page)).toBe(2);
    expect(await errors(w.page)).toContain('storage-blocked');
    await old.page.close();
    await w.page.evaluate(() => (window as any).microseg.flush());
    expect((await storedEvents(w.page)).filter((e) => e.type === 'tap')).toHaveLength(2);
    await context.close();
  });

  it('the database taken away while the page runs (site data cleared): the SDK reopens and keeps storing', async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context);
    await w.page.goto(server.url + '/');
    await w.page.evaluate(() => (window as any).microseg.ready);
    await w.page.evaluate(async () => { (window as any).microseg.track('tap'); await (window as any).microseg.flush(); });
    const cdp = await context.newCDPSession(w.page);
    await cdp.send('Storage.clearDataForOrigin', { origin: server.url, storageTypes: 'indexeddb' });
    await w.page.evaluate(async () => { (window as any).microseg.track('tap'); await (window as any).microseg.flush(); });
    expect(await taps(w.page)).toBe(2);
    expect(await w.page.evaluate(() => (window as any).microseg.storage())).toBe('indexeddb');
    expect((await storedEvents(w.page)).filter((e) => e.type === 'tap').length).toBeGreaterThanOrEqual(1);
    await context.close();
  });
});
