// The marketer console's plan: the segment × date matrix of the published config with coverage
// from collected events, and a cell's preview link that opens the page as that segment that day.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launch, ROOT, watchedPage } from './harness';
import { openConsole, startDemo, type TestDemo } from './demo-support';
import { campaignMatrix } from '../../src/config/matrix';

let browser: Browser;
let demo: TestDemo;
const SHOTS = join(ROOT, 'test-results');

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launch();
  demo = await startDemo();
});

afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

/** Segment changes as the SDK forwards them: four visitors, one of them left "everyone" for "vip". */
async function collectSegmentChanges(): Promise<void> {
  const t = Date.now() - 60_000;
  const change = (aid: string, type: string, segment: string, dt: number) => ({ id: `${aid}-${type}-${segment}`, aid, type, ts: t + dt, props: { segment } });
  const events = [
    change('v1', '$segment.enter', 'everyone', 0),
    change('v2', '$segment.enter', 'everyone', 0),
    change('v3', '$segment.enter', 'everyone', 0),
    change('v3', '$segment.enter', 'vip', 10),
    change('v3', '$segment.exit', 'everyone', 10),
    change('v4', '$segment.enter', 'ski-prospects', 0),
  ];
  const res = await fetch(`${demo.url}/api/collect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
  expect(res.status).toBe(202);
}

describe('the console matrix', () => {
  it('draws segments × the next 10 days with coverage; a cell gives a preview link that shows the page as that segment', async () => {
    await collectSegmentChanges();
    const config = JSON.parse(readFileSync(demo.configPath, 'utf8'));
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    const w = await watchedPage(context);
    await openConsole(w.page, demo);
    const matrix = w.page.locator('[data-matrix]');
    await matrix.locator('table.matrix').waitFor();

    const dates = await matrix.locator('[data-preview-cell][data-segment=everyone]').evaluateAll((els) => els.map((e) => e.getAttribute('data-date')));
    expect(dates).toHaveLength(10);
    expect(await matrix.locator('tbody tr').count()).toBe(config.segments.length);

    // Coverage: 4 visitors, 2 in everyone, 1 in vip, 1 in ski-prospects.
    const coverage = async (segment: string) => (await matrix.locator(`[data-coverage="${segment}"]`).textContent())!.trim();
    expect(await coverage('everyone')).toBe('50%');
    expect(await coverage('vip')).toBe('25%');
    expect(await coverage('ski-prospects')).toBe('25%');
    expect(await coverage('churn-risk')).toBe('0%');

    // Every cell of every slot is what the campaign matrix says.
    const plan = campaignMatrix(config, { from: dates[0]!, days: 10 });
    for (const slot of plan.slots) {
      await matrix.locator('[data-matrix-slot]').selectOption(slot);
      const shown = await matrix.locator('[data-preview-cell]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-segment')}|${e.getAttribute('data-date')}|${e.getAttribute('data-campaign')}`));
      const expected = plan.rows.flatMap((row) => row.slots[slot]!.map((cell, i) => `${row.segment}|${plan.dates[i]}|${cell?.campaign ?? ''}`));
      expect(shown).toEqual(expected);
    }

    await matrix.locator('[data-matrix-slot]').selectOption('promo-banner');
    await matrix.screenshot({ path: join(SHOTS, 'console-matrix.png') });

    // A cell's preview link: the product page as ski-prospects, recommendations included.
    await matrix.locator('[data-matrix-slot]').selectOption('recs');
    await matrix.locator(`[data-preview-cell][data-segment=ski-prospects][data-date="${dates[2]}"]`).click();
    const link = matrix.locator('[data-preview-link]');
    await link.waitFor();
    expect(await link.textContent()).toContain(`the product page as ski-prospects on ${dates[2]}`);
    const href = (await link.getAttribute('href'))!;
    expect(href).toMatch(/^\/p\/hb-alma\?microseg_preview=[\w-]+\.[\w-]+$/);
    await w.page.goto(demo.url + href);
    await w.page.locator('[data-microseg-preview]').waitFor({ state: 'attached' });
    await w.page.waitForFunction(() => document.querySelector('[data-microseg-slot=recs]')!.getAttribute('data-microseg-campaign') === 'ski-recs');
    expect(await w.page.locator('[data-microseg-preview] input[type=date]').inputValue()).toBe(dates[2]);
    expect(w.errors).toEqual([]);
    await context.close();
  });
});
