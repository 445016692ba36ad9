// Journeys and delivery in real Chromium over the built bundle: a reload while a window is open,
// two tabs showing the same campaign, and a collector that answers with bodies over many batches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { html, launch, snippet, startServer, watchedPage, type TestServer } from './harness';

let browser: Browser;
let server: TestServer;
/** Every message the collector got, as sent (resends and other tabs' copies included). */
let got: Array<{ id: string; type: string; props: Record<string, any> }> = [];
let answer: (n: number) => { status: number; body: string } = () => ({ status: 202, body: '' });
let requests = 0;

const config = {
  schema: 1,
  version: 'delivery-1',
  segments: [{ id: 'everyone', fallback: true }],
  journeys: [{ id: 'promo-step', exposure: { event: 'promo_seen' }, goal: { event: 'buy' }, within: '1h' }],
};

beforeAll(async () => {
  browser = await launch();
  server = await startServer({
    // The campaign is shown while the page loads: the call is queued before the SDK has read anything.
    '/shop': html(
      `<script>${snippet()}</script><script>
        microseg.init({ config: ${JSON.stringify(config)}, collectUrl: '/collect', autoPage: false, collect: { interval: 50 } });
        microseg.track('promo_seen');
      </script>`,
    ),
    // The same site, a page that shows no campaign.
    '/account': html(
      `<script>${snippet()}</script><script>
        microseg.init({ config: ${JSON.stringify(config)}, collectUrl: '/collect', autoPage: false, collect: { interval: 50 } });
      </script>`,
    ),
    '/many': html(
      `<script>${snippet()}</script><script>
        microseg.init({ collectUrl: '/collect', autoPage: false, collect: { batchSize: 20, interval: 20 } });
      </script>`,
    ),
  });
  server.app.post('/collect', async (c) => {
    const { events } = JSON.parse(await c.req.text());
    got.push(...events);
    const { status, body } = answer(requests++);
    return body ? c.body(body, status as 202, { 'content-type': 'application/json' }) : c.body(null, status as 202, { 'content-type': 'application/json' });
  });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const ready = (page: Page) => page.evaluate(() => (window as any).microseg.ready);
const flush = (page: Page) => page.evaluate(() => (window as any).microseg.flush());
const ids = (type: string) => [...new Set(got.filter((m) => m.type === type).map((m) => m.id))];

async function until(done: () => boolean, pages: Page[], timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) throw new Error('timed out');
    for (const p of pages) await flush(p);
    await pages[0]!.waitForTimeout(50);
  }
}

describe('journeys across reloads and tabs', () => {
  it('shown, reloaded while the window is open (shown again), then bought: one exposure, one outcome', async () => {
    got = [];
    const context = await browser.newContext();
    const { page, errors } = await watchedPage(context);
    await page.goto(`${server.url}/shop`);
    await ready(page);
    await until(() => ids('$journey.exposure').length > 0, [page]);
    await page.reload();
    await ready(page);
    await page.reload(); // and once more
    await ready(page);
    await page.evaluate(() => (window as any).microseg.track('buy', { value: 10 }));
    await until(() => ids('$journey.outcome').length > 0, [page]);
    await flush(page);
    expect(ids('$journey.exposure')).toHaveLength(1);
    expect(ids('$journey.outcome')).toHaveLength(1);
    const outcome = got.find((m) => m.type === '$journey.outcome')!;
    expect(outcome.props).toMatchObject({ journey: 'promo-step', outcome: 'progression' });
    expect(outcome.id).toBe(ids('$journey.exposure')[0]!.replace(/^x:/, 'o:'));
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a tab opened before the campaign was shown elsewhere: its purchase settles the window at once', async () => {
    got = [];
    const context = await browser.newContext();
    const a = await watchedPage(context);
    const b = await watchedPage(context);
    await b.page.goto(`${server.url}/account`);
    await ready(b.page);
    await a.page.goto(`${server.url}/shop`);
    await ready(a.page);
    await until(() => ids('$journey.exposure').length > 0, [a.page]);
    await b.page.evaluate(() => (window as any).microseg.track('buy', { value: 10 }));
    // The window is an hour long: only settling at once brings the outcome now.
    await until(() => ids('$journey.outcome').length > 0, [a.page, b.page]);
    expect(got.find((m) => m.type === '$journey.outcome')!.props).toMatchObject({ outcome: 'progression' });
    expect(ids('$journey.exposure')).toHaveLength(1);
    expect(ids('$journey.outcome')).toHaveLength(1);
    expect([...a.errors, ...b.errors]).toEqual([]);
    await context.close();
  });

  it('two tabs show the campaign at once; a purchase in one settles the window at once: one exposure, one outcome', async () => {
    got = [];
    const context = await browser.newContext();
    const a = await watchedPage(context);
    const b = await watchedPage(context);
    await Promise.all([a.page.goto(`${server.url}/shop`), b.page.goto(`${server.url}/shop`)]);
    await Promise.all([ready(a.page), ready(b.page)]);
    await until(() => ids('$journey.exposure').length > 0, [a.page, b.page]);
    await b.page.evaluate(() => (window as any).microseg.track('buy', { value: 10 }));
    // The window is an hour long: only settling at once brings the outcome now.
    await until(() => ids('$journey.outcome').length > 0, [a.page, b.page]);
    await a.page.reload(); // a third page view shows it again: the window is settled, a new one opens
    await ready(a.page);
    await until(() => ids('$journey.exposure').length > 1, [a.page, b.page]);
    for (const p of [a.page, b.page]) await flush(p);
    expect(ids('$journey.exposure')).toHaveLength(2);
    expect(ids('$journey.outcome')).toHaveLength(1);
    expect([...a.errors, ...b.errors]).toEqual([]);
    await context.close();
  });
});

describe('a collector that answers with bodies', () => {
  for (const [name, reply] of [
    ['200 with a JSON body', () => ({ status: 200, body: JSON.stringify({ ok: true, accepted: 5, pad: 'x'.repeat(2000) }) })],
    ['202 with a body, then 200 with JSON', (n: number) => (n % 2 ? { status: 202, body: '{"accepted":5}' } : { status: 200, body: '{"ok":true}' })],
  ] as const) {
    it(`${name}: 40 batches (about 10 KB each, keepalive) in one page all arrive`, async () => {
      got = [];
      requests = 0;
      answer = reply;
      const context = await browser.newContext();
      const { page, errors } = await watchedPage(context);
      await page.goto(`${server.url}/many`);
      await ready(page);
      // One batch at a time, as a visitor's clicks would come.
      for (let i = 0; i < 40; i++) {
        await page.evaluate((i) => {
          for (let j = 0; j < 20; j++) (window as any).microseg.track('click', { i, j, note: 'n'.repeat(200) });
        }, i);
        await page.evaluate(() => (window as any).microseg.flush());
      }
      await until(() => got.filter((m) => m.type === 'click').length >= 800, [page]);
      expect(new Set(got.filter((m) => m.type === 'click').map((m) => m.id)).size).toBe(800);
      expect(errors).toEqual([]);
      await context.close();
      answer = () => ({ status: 202, body: '' });
    });
  }
});
