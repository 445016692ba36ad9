// Moving clocks in a real browser (Playwright's clock, Chromium's time zones): the rules of the
// README's "Clocks" hold with the real Date, timers and Intl of the page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { html, launch, snippet, startServer, watchedPage, type TestServer } from './harness';

let browser: Browser;
let server: TestServer;
const H = 3_600_000;
const DAY = 24 * H;
const config = {
  schema: 1,
  version: 'clock-b.1',
  metrics: { taps_7d: { event: 'tap', agg: 'count', window: '7d' } },
  segments: [
    { id: 'recent-tapper', when: { 'metrics.taps_7d': { $gte: 1 } } },
    { id: 'evening', when: { 'profile.hour': { $gte: 18 } } },
    { id: 'everyone', fallback: true },
  ],
};

beforeAll(async () => {
  browser = await launch();
  server = await startServer({ '/': html(`<script>${snippet()}</script><script>microseg.init({ config: ${JSON.stringify(config)}, autoPage: false })</script>`) });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const taps = (p: Page) => p.evaluate(() => (window as any).microseg.explain('recent-tapper').clauses[0].actual as number);
const segments = (p: Page) => p.evaluate(() => (window as any).microseg.segments() as string[]);

describe('clocks in the browser', () => {
  it('the device clock jumps a year ahead and is set back: windows age out, then count new events again', async () => {
    const t0 = Date.UTC(2026, 10, 23, 12);
    const context = await browser.newContext({ timezoneId: 'UTC' });
    const w = await watchedPage(context);
    await w.page.clock.install({ time: t0 });
    await w.page.goto(server.url + '/');
    await w.page.evaluate(() => (window as any).microseg.ready);
    await w.page.evaluate(() => (window as any).microseg.track('tap'));
    expect(await taps(w.page)).toBe(1);
    await w.page.clock.setSystemTime(t0 + 365 * DAY);
    expect(await taps(w.page)).toBe(0);
    expect(await segments(w.page)).not.toContain('recent-tapper');
    await w.page.clock.setSystemTime(t0 + H);
    await w.page.evaluate(() => (window as any).microseg.track('tap'));
    expect(await taps(w.page)).toBe(1);
    expect(await segments(w.page)).toContain('recent-tapper');
    // Across a reload with the clock set back further, stored aggregates count once.
    await w.page.evaluate(() => (window as any).microseg.flush());
    await w.page.clock.setSystemTime(t0 - 2 * H);
    await w.page.reload();
    await w.page.evaluate(() => (window as any).microseg.ready);
    expect(await taps(w.page)).toBe(1);
    expect(w.errors).toEqual([]);
    await context.close();
  });

  it('DST in Paris and a visitor in New York: windows in real hours, profile.hour in the zone of the page', async () => {
    const beforeDst = Date.UTC(2026, 2, 28, 17); // Saturday 18:00 in Paris, the night before DST
    const paris = await browser.newContext({ timezoneId: 'Europe/Paris' });
    const w = await watchedPage(paris);
    await w.page.clock.install({ time: beforeDst });
    await w.page.goto(server.url + '/');
    await w.page.evaluate(() => (window as any).microseg.ready);
    await w.page.evaluate(() => (window as any).microseg.track('tap'));
    expect(await segments(w.page)).toEqual(['recent-tapper', 'evening']);
    await w.page.clock.setSystemTime(beforeDst + 7 * DAY - 60_000); // 7 × 24 h later, less a minute
    expect(await taps(w.page)).toBe(1);
    await w.page.clock.setSystemTime(beforeDst + 7 * DAY + H);
    expect(await taps(w.page)).toBe(0);
    await w.page.evaluate(() => (window as any).microseg.flush());
    await paris.close();

    // The same instant in New York is the afternoon: not 'evening' there.
    const ny = await browser.newContext({ timezoneId: 'America/New_York' });
    const v = await watchedPage(ny);
    await v.page.clock.install({ time: beforeDst + 2 * H });
    await v.page.goto(server.url + '/');
    await v.page.evaluate(() => (window as any).microseg.ready);
    expect(await v.page.evaluate(() => new Date().getHours())).toBe(15);
    expect(await segments(v.page)).not.toContain('evening');
    expect(v.errors).toEqual([]);
    await ny.close();
  });
});
