// Population-relative segments: the backend computes `params` from the collected events with SQL
// (percentile_cont) and republishes the config; the SDK in Chromium then puts exactly the top
// 10 % of 200 simulated spenders in the "top-spenders" segment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { join } from 'node:path';
import { html, launch, ROOT, watchedPage } from './harness';
import { startDemo, type TestDemo } from './demo-support';

let browser: Browser;
let demo: TestDemo;

beforeAll(async () => {
  [browser, demo] = await Promise.all([launch(), startDemo()]);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

/** 200 visitors, each with a distinct known spend over one to three purchases. */
function population() {
  const spends = Array.from({ length: 200 }, (_, i) => 37 + ((i * 7919) % 200) * 13); // a permutation: all distinct
  const events = spends.flatMap((spend, v) => {
    const parts = 1 + (v % 3);
    return Array.from({ length: parts }, (_, k) => ({
      id: `spend-${v}-${k}`, type: 'purchase', ts: Date.UTC(2026, 10, 1) + v * 1000 + k, aid: `00000000-0000-4000-8000-${String(v).padStart(12, '0')}`,
      props: { value: k === parts - 1 ? spend - Math.floor(spend / parts) * (parts - 1) : Math.floor(spend / parts), currency: 'EUR' },
    }));
  });
  return { spends, events };
}

describe('params computed by the backend', () => {
  it('the top 20 of 200 by spend are exactly those in the segment after the backend republishes', async () => {
    const { spends, events } = population();
    const res = await fetch(`${demo.url}/api/collect`, { method: 'POST', body: JSON.stringify({ events }) });
    expect(await res.json()).toMatchObject({ stored: events.length, rejected: 0 });

    const before = (await (await fetch(`${demo.url}/api/config`)).json()) as { params: Record<string, number> };
    const published = await fetch(`${demo.url}/api/params`, { method: 'POST', headers: { authorization: `Bearer ${demo.adminToken}` } });
    expect(published.status).toBe(200);
    const { params, visitors } = await published.json();
    expect(visitors.top_spend).toBe(200);
    expect(params.top_spend).not.toBe(before.params.top_spend);
    const config = await (await fetch(`${demo.url}/api/config`)).json();
    expect(config.params.top_spend).toBe(params.top_spend);

    const context = await browser.newContext();
    const w = await watchedPage(context);
    // The ES module build, with its two dependencies resolved by an import map, as a bundler would.
    await context.route(`${demo.url}/node_modules/**`, (route) =>
      route.fulfill({ path: join(ROOT, new URL(route.request().url()).pathname), contentType: 'text/javascript' }),
    );
    const imports = { idb: '/node_modules/idb/build/index.js', 'zod/mini': '/node_modules/zod/mini/index.js' };
    await context.route(`${demo.url}/params-page`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: html(`<script type="importmap">${JSON.stringify({ imports })}</script>
          <script type="module">import { createMicroseg } from '/dist/microseg.mjs'; window.__createMicroseg = createMicroseg;</script>`),
      }),
    );
    await w.page.goto(`${demo.url}/params-page`);
    await w.page.waitForFunction(() => typeof (window as any).__createMicroseg === 'function');
    // Each visitor: a fresh SDK in memory, their purchases, their segments.
    const members: boolean[] = await w.page.evaluate(async ({ config, spends }) => {
      const createMicroseg = (window as any).__createMicroseg;
      const out: boolean[] = [];
      for (const spend of spends) {
        const ms = createMicroseg({ config, consent: 'denied', autoPage: false });
        await ms.ready;
        ms.track('purchase', { value: spend, currency: 'EUR' });
        out.push(ms.segments().includes('top-spenders'));
        ms.destroy();
      }
      return out;
    }, { config, spends });
    const top20 = new Set([...spends].sort((a, b) => b - a).slice(0, 20));
    const inSegment = spends.filter((_, i) => members[i]);
    expect(inSegment.length).toBe(20);
    expect(new Set(inSegment)).toEqual(top20);
    await context.close();
  }, 120_000);
});
