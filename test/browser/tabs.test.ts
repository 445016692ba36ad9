// Many tabs, one profile: five tabs of one site (one browser context) share events, labels,
// forget() and configs through the tab channel, and one tab at a time polls the config.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { html, launch, snippet, startServer, storedEvents, watchedPage, type TestServer, type WatchedPage } from './harness';

let browser: Browser;
let server: TestServer;
let context: BrowserContext;
let pages: WatchedPage[] = [];
let version = 1;
const configRequests: string[] = [];
const collected: string[] = [];

const config = () => ({
  schema: 1,
  version: `tabs.${version}`,
  metrics: { taps: { event: 'tap', agg: 'count' }, vip_taps: { event: 'vip', agg: 'count' } },
  segments: [
    { id: 'tapper', when: { 'metrics.taps': { $gte: 0 } } },
    { id: 'vip', when: { 'metrics.vip_taps': { $gte: 1 } } },
    { id: 'complained', when: { 'labels.complaint': { $exists: true } } },
    { id: `v${version}`, when: { 'metrics.taps': { $gte: 0 } } },
    { id: 'everyone', fallback: true },
  ],
});

const page = (init: string) =>
  html(`<script>${snippet()}</script><script>
    window.__seen = { enter: {}, label: [], config: [] };
    microseg.on('segment:enter', (e) => (window.__seen.enter[e.id] ??= Date.now()));
    microseg.on('label', (l) => window.__seen.label.push([Date.now(), l.map((x) => x.name)]));
    microseg.on('config', (c) => window.__seen.config.push([Date.now(), c.version]));
    microseg.init(${init});
  </script>`);

beforeAll(async () => {
  browser = await launch();
  server = await startServer({
    '/tabs': page(`{ config: ${JSON.stringify(config())}, autoPage: false }`),
    '/polling': page(`{ configUrl: '/config.json', refresh: 100, autoPage: false, dbName: 'polling' }`),
    '/collect': page(`{ config: ${JSON.stringify(config())}, autoPage: false, dbName: 'collect', collectUrl: '/collect', collect: { batchSize: 40, interval: 50 } }`),
  });
  server.app.get('/config.json', (c) => {
    configRequests.push(c.req.header('x-tab') ?? '');
    return c.json(config(), 200, { 'cache-control': 'no-store' });
  });
  server.app.post('/collect', async (c) => {
    const body = JSON.parse(await c.req.text());
    for (const e of body.events) if (e.type === 'tap') collected.push(e.id);
    return c.json({ ok: true });
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

beforeAll(async () => {
  context = await browser.newContext();
});
afterEach(async () => {
  for (const w of pages) expect(w.errors, 'uncaught errors on the page').toEqual([]);
  pages = [];
  await context.close();
  context = await browser.newContext();
});

async function open(path: string, n: number): Promise<Page[]> {
  const opened: Page[] = [];
  for (let i = 0; i < n; i++) {
    const w = await watchedPage(context);
    pages.push(w);
    await w.page.goto(server.url + path);
    await w.page.evaluate(() => (window as any).microseg.ready);
    opened.push(w.page);
  }
  return opened;
}

const taps = (p: Page) =>
  p.evaluate(() => (window as any).microseg.explain('tapper').clauses.find((c: any) => c.path === 'metrics.taps').actual as number);

async function until(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The most config requests any one tab made: a poller makes one every refresh, the others none. */
const mostPolls = (tabs: Page[], requests: Map<Page, number>) => Math.max(0, ...tabs.map((p) => requests.get(p) ?? 0));

describe('many tabs, one profile', () => {
  it('events tracked in 5 tabs at the same time count exactly once in every tab and in the store', async () => {
    const tabs = await open('/tabs', 5);
    await Promise.all(
      tabs.map((p, t) =>
        p.evaluate(async (t) => {
          for (let i = 0; i < 100; i++) {
            (window as any).microseg.track('tap', { t, i });
            if (i % 10 === 9) await new Promise((r) => setTimeout(r, 0)); // interleave with the other tabs
          }
        }, t),
      ),
    );
    await until(async () => (await Promise.all(tabs.map(taps))).every((n) => n >= 500));
    await new Promise((r) => setTimeout(r, 200)); // late duplicates would show now
    expect(await Promise.all(tabs.map(taps))).toEqual([500, 500, 500, 500, 500]);
    await Promise.all(tabs.map((p) => p.evaluate(() => (window as any).microseg.flush())));
    const stored = (await storedEvents(tabs[0]!)).filter((e) => e.type === 'tap');
    expect(stored).toHaveLength(500);
    expect(new Set(stored.map((e) => e.id)).size).toBe(500);
    // A reloaded tab starts from the stored aggregates: still 500.
    await tabs[4]!.reload();
    await tabs[4]!.evaluate(() => (window as any).microseg.ready);
    expect(await taps(tabs[4]!)).toBe(500);
  });

  it('membership and label changes reach every open tab through the tab channel, not a reload; forget() empties every tab', async () => {
    const tabs = await open('/tabs', 5);
    const t0 = await tabs[0]!.evaluate(() => {
      const at = Date.now();
      (window as any).microseg.track('vip');
      return at;
    });
    await until(async () => (await Promise.all(tabs.map((p) => p.evaluate(() => (window as any).microseg.segments().includes('vip'))))).every(Boolean));
    const entered = await Promise.all(tabs.map((p) => p.evaluate(() => (window as any).__seen.enter.vip as number)));
    const membershipLatency = Math.max(...entered) - t0;
    // Latency is the benchmark's to measure (tens of ms when idle); here only that it is not a poll or reload away.
    expect(membershipLatency).toBeLessThan(5000);

    const t1 = await tabs[1]!.evaluate(() => {
      const at = Date.now();
      (window as any).microseg.label('complaint', { channel: 'call-centre', ttl: '14d' });
      return at;
    });
    await until(async () => (await Promise.all(tabs.map((p) => p.evaluate(() => (window as any).microseg.segments().includes('complained'))))).every(Boolean));
    const labelled = await Promise.all(
      tabs.map((p) => p.evaluate(() => (window as any).__seen.label.find((x: any) => x[1].includes('complaint'))?.[0] as number)),
    );
    const labelLatency = Math.max(...labelled) - t1;
    expect(labelLatency).toBeLessThan(5000);
    expect(await tabs[3]!.evaluate(() => (window as any).microseg.labels()[0].channel)).toBe('call-centre');

    await tabs[2]!.evaluate(() => (window as any).microseg.unlabel('complaint'));
    await until(async () => (await Promise.all(tabs.map((p) => p.evaluate(() => (window as any).microseg.labels().length)))).every((n) => n === 0));

    await tabs[2]!.evaluate(() => (window as any).microseg.forget());
    await until(async () =>
      (await Promise.all(tabs.map((p) => p.evaluate(() => (window as any).microseg.segments().includes('vip'))))).every((x) => !x),
    );
    // Every tab stopped storing; the database is gone and stays gone while the tabs keep working.
    await Promise.all(tabs.map((p) => p.evaluate(() => (window as any).microseg.track('tap'))));
    await new Promise((r) => setTimeout(r, 300));
    expect(await Promise.all(tabs.map((p) => p.evaluate(() => (window as any).microseg.storage())))).toEqual(Array(5).fill('memory'));
    expect(await tabs[0]!.evaluate(async () => (await indexedDB.databases()).map((d) => d.name))).not.toContain('microseg');
    expect(await tabs[0]!.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('microseg')))).toEqual([]);
    console.log(`cross-tab latency: membership ${membershipLatency} ms, label ${labelLatency} ms`);
  });

  it('one tab polls the config; a new version reaches every tab within 3 s, checked by each; the lease passes on when that tab closes', async () => {
    version = 1;
    const tabs = await open('/polling', 5);
    const requests = new Map<Page, number>();
    for (const p of tabs) p.on('request', (r) => r.url().endsWith('/config.json') && requests.set(p, (requests.get(p) ?? 0) + 1));
    await until(async () => mostPolls(tabs, requests) >= 6, 10_000);
    const pollers = tabs.filter((p) => (requests.get(p) ?? 0) >= 3);
    expect(pollers).toHaveLength(1);
    expect(tabs.filter((p) => (requests.get(p) ?? 0) > 0)).toHaveLength(1); // the others only fetched once, on load

    version = 2;
    await until(async () => (await Promise.all(tabs.map((p) => p.evaluate(() => (window as any).microseg.config()?.version)))).every((v) => v === 'tabs.2'));
    const at = await Promise.all(tabs.map((p) => p.evaluate(() => (window as any).__seen.config.find((x: any) => x[1] === 'tabs.2')[0] as number)));
    const leaderAt = await pollers[0]!.evaluate(() => (window as any).__seen.config.find((x: any) => x[1] === 'tabs.2')[0] as number);
    const configLatency = Math.max(...at) - leaderAt;
    // Each tab verifies and validates what another tab forwards (its first one loads the validator).
    expect(configLatency).toBeLessThan(3000);
    expect(await tabs[0]!.evaluate(() => (window as any).microseg.segments())).toContain('v2');

    // The polling tab closes: another takes over, and the next version still reaches every tab.
    const leader = pollers[0]!;
    pages = pages.filter((w) => w.page !== leader);
    await leader.close();
    const rest = tabs.filter((p) => p !== leader);
    requests.clear();
    version = 3;
    await until(async () => (await Promise.all(rest.map((p) => p.evaluate(() => (window as any).microseg.config()?.version)))).every((v) => v === 'tabs.3'));
    await until(async () => mostPolls(rest, requests) >= 6, 10_000);
    expect(rest.filter((p) => (requests.get(p) ?? 0) >= 3)).toHaveLength(1);
    console.log(`cross-tab latency: config ${configLatency} ms`);
  });

  it('events tracked in 5 tabs reach the collector, each id once, sent by one tab at a time', async () => {
    collected.length = 0;
    const tabs = await open('/collect', 5);
    await Promise.all(tabs.map((p, t) => p.evaluate((t) => { for (let i = 0; i < 60; i++) (window as any).microseg.track('tap', { t, i }); }, t)));
    await until(async () => new Set(collected).size >= 300, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(new Set(collected).size).toBe(300);
    expect(collected.length).toBe(300); // no duplicates either (the backend would drop them anyway)
  });
});
