// The console draws the report: a chart per journey step, a bar per segment, above or below the
// average as the backend's numbers say.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launch, watchedPage } from './harness';
import { openConsole, startDemo, type TestDemo } from './demo-support';
import { postEvents, simulatePopulation } from '../../scripts/simulate';

let browser: Browser;
let demo: TestDemo;

beforeAll(async () => {
  [browser, demo] = await Promise.all([launch(), startDemo()]);
  await postEvents(demo.url, simulatePopulation({ visitors: 1200, seed: 9 }));
}, 180_000); // 1,200 visitors through the collector: minutes on a busy 2-core machine

afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

describe('the console report', () => {
  it('draws each segment against the average: progressive above, aversive below', async () => {
    const rows = (await (await fetch(`${demo.url}/api/report`, { headers: { authorization: `Bearer ${demo.adminToken}` } })).json()).rows as Array<{
      journey: string; segment: string; exposures: number; progression_rate: number; average_progression_rate: number;
    }>;
    const context = await browser.newContext();
    const w = await watchedPage(context);
    await openConsole(w.page, demo);
    await w.page.waitForSelector('.report-chart');
    const drawn = await w.page.$$eval('.report .journey', (sections) =>
      sections.map((s) => ({
        journey: s.querySelector('h3')!.firstChild!.textContent!.trim(),
        bars: [...s.querySelectorAll('.report-chart .bar')].map((g) => ({
          name: g.querySelector('title')!.textContent!.split(':')[0],
          up: g.classList.contains('up'),
        })),
      })),
    );
    const journeys = [...new Set(rows.map((r) => r.journey))];
    expect(drawn.map((d) => d.journey)).toEqual(journeys);
    for (const d of drawn) {
      const expected = rows.filter((r) => r.journey === d.journey && r.segment !== '*' && r.exposures > 0);
      expect(d.bars.map((b) => b.name)).toEqual(expected.map((r) => r.segment));
      expect(d.bars.map((b) => b.up)).toEqual(expected.map((r) => r.progression_rate >= r.average_progression_rate));
    }
    expect(drawn.flatMap((d) => d.bars).some((b) => !b.up)).toBe(true);
    expect(w.errors).toEqual([]);
    await context.close();
  });

  it('shows n and a 95% interval per bar, greys out segments below the minimum sample, and never cuts a name', async () => {
    // A small segment with a long name, below the report's minimum n.
    const at = Date.UTC(2026, 10, 1);
    const long = 'a-rather-long-segment-name-that-would-not-fit-under-a-bar';
    await postEvents(demo.url, Array.from({ length: 6 }, (_, i) => ({
      id: `small-${i}`, type: '$journey.outcome', ts: at, aid: `small-visitor-${i}`,
      props: { journey: 'cart-recovery', exposure: `sx${i}`, at: at - i, until: at, control: false, segments: [long], outcome: i % 2 ? 'progression' : 'aversion' },
    })) as never);
    const { rows, minN } = await (await fetch(`${demo.url}/api/report`, { headers: { authorization: `Bearer ${demo.adminToken}` } })).json();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const w = await watchedPage(context);
    await openConsole(w.page, demo);
    await w.page.waitForSelector(`.report-chart .bar[data-segment="${long}"]`);
    const bars = await w.page.$$eval('.report-chart .bar', (gs) => gs.map((g) => {
      const svg = g.closest('svg')!.getBoundingClientRect();
      const name = g.querySelector('.name') as SVGTextElement;
      const box = name.getBoundingClientRect();
      return {
        segment: g.getAttribute('data-segment')!,
        journey: g.closest('.journey')!.querySelector('h3')!.firstChild!.textContent!.trim(),
        n: g.querySelector('.n')!.textContent!,
        small: g.hasAttribute('data-below-min-n'),
        fill: getComputedStyle(g.querySelector('rect')!).fill,
        whiskers: g.querySelectorAll('.ci').length,
        name: [...name.querySelectorAll('tspan')].map((t) => t.textContent).join(''),
        inside: box.left >= svg.left - 0.5 && box.right <= svg.right + 0.5 && box.bottom <= svg.bottom + 0.5,
      };
    }));
    const small = bars.filter((b) => b.segment === long);
    expect(small.length).toBe(1);
    expect(small[0]).toMatchObject({ small: true, n: expect.stringContaining('n = 6'), name: long, inside: true, whiskers: 3 });
    expect(small[0].fill).toBe('rgb(201, 201, 201)');
    for (const b of bars) {
      const row = rows.find((r: { segment: string; journey: string }) => r.segment === b.segment && r.journey === b.journey);
      expect(b.n).toBe(`n = ${row.exposures}${row.below_min_n ? ' · too few' : ''}`);
      expect(b.name, 'the whole name is drawn').toBe(b.segment);
      expect(b.inside, `${b.segment} fits in the chart`).toBe(true);
      expect(b.n).toMatch(/^n = \d+/);
      expect(b.whiskers).toBe(3);
      expect(b.small).toBe(row.exposures < minN);
      if (!b.small) expect(b.fill).not.toBe('rgb(201, 201, 201)');
    }
    expect(w.errors).toEqual([]);
    await context.close();
  });
});
