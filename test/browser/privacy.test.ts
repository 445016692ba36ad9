// Privacy and labels-backend hostility in a real browser, with the built bundle: a visitor
// arrives from a link carrying their e-mail address and a reset token, on a URL with secrets in
// its query and fragment; none of it is stored (IndexedDB, localStorage) or sent. A labels
// backend answering with a value 3,000 levels deep gets that record refused with one error
// event; the good records, the storage mode and the page's events stay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page, Request } from 'playwright-core';
import { html, launch, snippet, startServer, storedEvents, watchedPage, type TestServer } from './harness';

const SECRET_PATH = '/account/reset?email=alice%40example.com&reset_token=s3cr3t-9f2&utm_source=news&ref=partner&session=abc#access_token=t0k3n';
const SECRET_REFERRER = 'https://mail.example.net/inbox/read?email=alice@example.com&reset_token=r3f-77';
const SECRETS = /alice|s3cr3t|reset_token|r3f-77|t0k3n|session|inbox/;

const config = {
  schema: 1,
  version: 'p.1',
  metrics: { buys: { event: 'purchase', agg: 'count' } },
  segments: [
    { id: 'complainers', when: { 'labels.complaint': { $exists: true } } },
    { id: 'constructed', when: { 'labels.constructor.channel': 'store', 'labels.toString.value': 'yes' } },
    { id: 'from-partner', when: { 'profile.url': { $regex: 'ref=partner' } } },
    { id: 'everyone', fallback: true },
  ],
};

let browser: Browser;
let server: TestServer;
const collected: string[] = [];
let labelsAnswer = '{"labels":[]}';

const page = (labels: boolean) =>
  html(`<script>${snippet()}</script><script>
  window.__errors = [];
  microseg.on('error', (e) => window.__errors.push(e.code + ': ' + e.message));
  microseg.init({ configUrl: '/config', collectUrl: '/collect', collect: { interval: 10 }, urlParams: ['ref']${labels ? ", labelsUrl: '/labels'" : ''} });
</script>`);

beforeAll(async () => {
  browser = await launch();
  server = await startServer({ '/account/reset': page(true), '/shop': page(true), '/tagged': html('<script src="/microseg.iife.js" data-url-params="tag, ref"></script>') });
  server.app.get('/config', (c) => c.json(config));
  server.app.get('/labels', (c) => c.body(labelsAnswer, 200, { 'content-type': 'application/json' }));
  server.app.post('/collect', async (c) => {
    collected.push(await c.req.text());
    return c.body(null, 204);
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Everything the SDK keeps in the page's origin: every IndexedDB record and localStorage. */
function everythingStored(p: Page): Promise<string> {
  return p.evaluate(async () => {
    const out: unknown[] = [{ ...localStorage }];
    for (const { name } of await indexedDB.databases()) {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open(name!);
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      for (const store of db.objectStoreNames) {
        const all = await new Promise<unknown[]>((resolve, reject) => {
          const req = db.transaction(store).objectStore(store).getAll();
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        });
        out.push(store, all);
      }
      db.close();
    }
    return JSON.stringify(out);
  });
}

/** What a request carries: its address, its body, and for the SDK's own fetches, its Referer. */
async function carried(req: Request): Promise<string> {
  const headers = await req.allHeaders();
  const own = ['fetch', 'xhr', 'ping', 'eventsource'].includes(req.resourceType());
  return `${req.method()} ${req.url()} ${own ? headers.referer ?? '' : ''} ${req.postData() ?? ''}`;
}

describe('URLs and referrers', () => {
  it('an e-mail address and tokens in the referrer and the page URL never reach storage or any request', async () => {
    labelsAnswer = JSON.stringify({ labels: [{ name: 'vip', at: Date.now() - 1000, channel: 'store' }] });
    collected.length = 0;
    const context = await browser.newContext();
    const w = await watchedPage(context);
    const requests: Request[] = [];
    w.page.on('request', (req) => requests.push(req));
    await w.page.goto(server.url + SECRET_PATH, { referer: SECRET_REFERRER });
    expect(await w.page.evaluate(() => document.referrer)).toContain('reset_token'); // the browser did hand it over
    await w.page.evaluate(() => (window as any).microseg.ready);
    await w.page.evaluate(() => {
      const ms = (window as any).microseg;
      ms.track('purchase', { value: 30 });
      ms.label('visited-reset');
      return ms.flush();
    });
    await w.page.waitForFunction(() => (window as any).microseg.segments().includes('from-partner'));
    await expect.poll(() => collected.join('\n'), { timeout: 10_000 }).toContain('purchase');
    // a navigation inside the app keeps the rule too
    await w.page.evaluate(() => history.pushState({}, '', '/shop?email=alice@example.com#t0k3n'));
    await expect.poll(() => collected.join('\n').split('"type":"page"').length, { timeout: 10_000 }).toBeGreaterThan(2);
    await w.page.evaluate(() => (window as any).microseg.flush());

    const events = await storedEvents(w.page);
    const first = events.find((e) => e.type === 'page') as unknown as { page: { url: string; referrer: string } };
    expect(first.page).toMatchObject({ url: `${server.url}/account/reset?utm_source=news&ref=partner`, referrer: 'https://mail.example.net' });
    expect(await w.page.evaluate(() => (window as any).microseg.profile().url)).toBe(`${server.url}/shop`);
    expect(await everythingStored(w.page)).not.toMatch(SECRETS);
    expect(collected.join('\n')).not.toMatch(SECRETS);
    const sent = await Promise.all(requests.filter((r) => r.resourceType() !== 'document').map(carried));
    expect(sent.some((s) => s.includes('/labels'))).toBe(true);
    expect(sent.join('\n')).not.toMatch(SECRETS);
    expect(await w.page.evaluate(() => (window as any).__errors)).toEqual([]);
    await context.close();
  });
});

describe('the urlParams option on the script tag', () => {
  it('data-url-params names the parameters kept', async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context);
    await w.page.goto(server.url + '/tagged?tag=spring&ref=p1&email=alice@example.com#t0k3n');
    await w.page.evaluate(() => (window as any).microseg.ready);
    expect(await w.page.evaluate(() => (window as any).microseg.profile().url)).toBe(`${server.url}/tagged?tag=spring&ref=p1`);
    await context.close();
  });
});

describe('a hostile labels backend', () => {
  it('a value 3,000 levels deep is refused with one error event; the good record, IndexedDB and the page’s events stay', async () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 3000; i++) deep = { v: deep };
    labelsAnswer = JSON.stringify({
      labels: [
        { name: 'deep', at: Date.now() - 1000, channel: 'email', value: deep },
        { name: 'complaint', at: Date.now() - 2000, channel: 'call-centre', value: 'late delivery' },
        { name: 'huge', at: Date.now(), channel: 'email', value: 'x'.repeat(200_000) },
      ],
    });
    collected.length = 0;
    const context = await browser.newContext();
    const w = await watchedPage(context);
    await w.page.goto(server.url + '/shop');
    await w.page.evaluate(() => (window as any).microseg.ready);
    await w.page.evaluate(() => {
      const ms = (window as any).microseg;
      for (let i = 0; i < 5; i++) ms.track('purchase', { value: i });
      return ms.flush();
    });
    const state = await w.page.evaluate(() => {
      const ms = (window as any).microseg;
      return { labels: ms.labels().map((l: { name: string }) => l.name), storage: ms.storage(), segments: ms.segments(), errors: (window as any).__errors };
    });
    expect(state.labels).toEqual(['complaint']);
    expect(state.storage).toBe('indexeddb');
    expect(state.segments).toContain('complainers');
    expect(state.errors).toHaveLength(1);
    expect(state.errors[0]).toMatch(/^labels-invalid: 2 label record/);
    expect((await storedEvents(w.page)).filter((e) => e.type === 'purchase')).toHaveLength(5);
    await expect.poll(() => collected.join('\n').split('"purchase"').length - 1, { timeout: 10_000 }).toBe(5);

    // the next page reads the kept labels back from IndexedDB
    await w.page.reload();
    await w.page.evaluate(() => (window as any).microseg.ready);
    expect(await w.page.evaluate(() => (window as any).microseg.storage())).toBe('indexeddb');
    expect(await w.page.evaluate(() => (window as any).microseg.labels().map((l: { name: string }) => l.name))).toEqual(['complaint']);
    await context.close();
  });
});

describe('label names that Object.prototype has', () => {
  it('constructor, toString, valueOf, hasOwnProperty, __proto__ work in segments, across tabs and after a reload', async () => {
    labelsAnswer = '{"labels":[]}';
    const names = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'];
    const context = await browser.newContext();
    const a = await watchedPage(context);
    const b = await watchedPage(context);
    await a.page.goto(server.url + '/shop');
    await b.page.goto(server.url + '/shop');
    await Promise.all([a.page, b.page].map((p) => p.evaluate(() => (window as any).microseg.ready)));
    await a.page.evaluate((list) => {
      const ms = (window as any).microseg;
      for (const name of list) ms.label(name, { value: name === 'toString' ? 'yes' : name, channel: name === 'constructor' ? 'store' : 'web' });
      return ms.flush();
    }, names);
    const namesIn = (p: Page) => p.evaluate(() => (window as any).microseg.labels().map((l: { name: string }) => l.name).sort());
    expect(await namesIn(a.page)).toEqual([...names].sort());
    expect(await a.page.evaluate(() => (window as any).microseg.segments())).toContain('constructed');
    await b.page.waitForFunction(() => (window as any).microseg.segments().includes('constructed'));
    expect(await namesIn(b.page)).toEqual([...names].sort());
    expect(await b.page.evaluate(() => Object.getPrototypeOf({}) === Object.prototype && !('value' in {}))).toBe(true);
    await a.page.reload();
    await a.page.evaluate(() => (window as any).microseg.ready);
    expect(await namesIn(a.page)).toEqual([...names].sort());
    expect(await a.page.evaluate(() => (window as any).microseg.segments())).toContain('constructed');
    await context.close();
  });
});
