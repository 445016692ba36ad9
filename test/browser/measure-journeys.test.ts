// Journey steps in real Chromium, through to the demo backend: a goal reached in another tab,
// a window that closes with the page open, and one whose page was closed before it ended.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { html, launch, snippet, startServer, watchedPage, type TestServer } from './harness';
import { startDemo, type TestDemo } from './demo-support';

let browser: Browser;
let server: TestServer;
let demo: TestDemo;

const config = {
  schema: 1,
  version: 'journeys-1',
  segments: [{ id: 'browsers', when: { 'profile.visits': { $gte: 1 } } }, { id: 'everyone', fallback: true }],
  journeys: [
    { id: 'promo-step', exposure: { event: 'promo_seen' }, goal: { event: 'buy' }, within: '3s' },
  ],
};

beforeAll(async () => {
  [browser, demo] = await Promise.all([launch(), startDemo()]);
  server = await startServer({
    '/shop': html(
      `<script>${snippet()}</script><script>
        microseg.init({ config: ${JSON.stringify(config)}, collectUrl: '/api/collect', autoPage: false, collect: { interval: 100 } });
      </script>`,
    ),
  });
  server.app.post('/api/collect', async (c) => {
    const res = await fetch(`${demo.url}/api/collect`, { method: 'POST', body: await c.req.text(), headers: { 'content-type': 'text/plain' } });
    return c.body(await res.text(), res.status as 202, { 'content-type': 'application/json' });
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await demo?.close();
});

async function outcomes(): Promise<Array<{ aid: string; outcome: string; segments: string[]; goal?: string }>> {
  const { rows } = await demo.db.query<{ aid: string; props: any }>(`SELECT aid, props FROM events WHERE type = '$journey.outcome' ORDER BY ts`);
  return rows.map((r) => ({ aid: r.aid, outcome: r.props.outcome, segments: r.props.segments, goal: r.props.goal }));
}

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const call = (fn: string, ...args: unknown[]) => `(window.microseg.ready.then(() => window.microseg.${fn}(...${JSON.stringify(args)})))`;

describe('journey steps in the browser', () => {
  it('a goal reached in another tab is a progression; a window closed without it, an aversion — even with its page gone', async () => {
    // One visitor, two tabs.
    const context = await browser.newContext();
    const a = await watchedPage(context);
    const b = await watchedPage(context);
    await a.page.goto(`${server.url}/shop`);
    await b.page.goto(`${server.url}/shop`);
    const aid = await a.page.evaluate(() => (window as any).microseg.ready.then(() => (window as any).microseg.profile().anonymousId));
    await a.page.evaluate(call('track', 'promo_seen'));
    await a.page.evaluate(() => (window as any).microseg.flush());
    await b.page.evaluate(call('track', 'buy', { value: 10 }));
    await b.page.evaluate(() => (window as any).microseg.flush());
    const won = await eventually(outcomes, (o) => o.length >= 1);
    expect(won).toEqual([{ aid, outcome: 'progression', segments: ['browsers'], goal: expect.any(String) }]);

    // Another visitor: exposed, then the page closes before the window ends.
    const other = await browser.newContext();
    const c = await watchedPage(other);
    await c.page.goto(`${server.url}/shop`);
    await c.page.evaluate(call('track', 'promo_seen'));
    await c.page.evaluate(() => (window as any).microseg.flush());
    await c.page.goto('about:blank');
    await new Promise((r) => setTimeout(r, 3500));
    expect((await outcomes()).length).toBe(1); // nobody there to settle it
    await c.page.goto(`${server.url}/shop`); // the next page does
    const all = await eventually(outcomes, (o) => o.length >= 2);
    expect(all[1]).toMatchObject({ outcome: 'aversion', segments: ['browsers'] });
    expect(all[1]!.aid).not.toBe(aid);

    for (const w of [a, b, c]) expect(w.errors).toEqual([]);
    await context.close();
    await other.close();
  });
});
