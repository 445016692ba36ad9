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
});

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
});
