// @vitest-environment node
// The progression/aversion report: the backend's SQL against a reference computed here from the
// raw rows it stores, over a simulated population.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatePopulation, postEvents } from '../../../scripts/simulate';
import { REPORT_SQL, type ReportRow } from '../../../demo/server/report';
import { admin, startTestServer } from './helpers';

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer();
}, 60_000);
afterAll(() => server?.close(), 30_000);

interface Outcome {
  props: { journey: string; control: boolean; outcome: string; segments: string[] };
}

/** The report, computed the obvious way. */
function reference(outcomes: Outcome[]): ReportRow[] {
  const cells = new Map<string, { journey: string; segment: string; n: number; p: number; hn: number; hp: number }>();
  for (const { props } of outcomes) {
    for (const segment of [...props.segments, '*']) {
      const key = `${props.journey}\u0000${segment}`;
      const c = cells.get(key) ?? { journey: props.journey, segment, n: 0, p: 0, hn: 0, hp: 0 };
      const won = props.outcome === 'progression' ? 1 : 0;
      if (props.control) (c.hn++, (c.hp += won));
      else (c.n++, (c.p += won));
      cells.set(key, c);
    }
  }
  const rate = (k: number, n: number) => (n ? k / n : null);
  return [...cells.values()].map((c) => {
    const all = cells.get(`${c.journey}\u0000*`)!;
    const pr = rate(c.p, c.n);
    const hr = rate(c.hp, c.hn);
    const ar = rate(all.p, all.n);
    const [pl, ph] = wilson(c.p, c.n);
    const [hl, hh] = wilson(c.hp, c.hn);
    const [al, ah] = wilson(all.p, all.n);
    const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);
    const newcombe = (a: number | null, aLow: number | null, aHigh: number | null, b: number | null, bLow: number | null, bHigh: number | null) =>
      a === null || b === null ? [null, null] : [a - b - Math.hypot(a - aLow!, bHigh! - b), a - b + Math.hypot(aHigh! - a, b - bLow!)];
    const [dl, dh] = newcombe(pr, pl, ph, ar, al, ah);
    const [ul, uh] = newcombe(pr, pl, ph, hr, hl, hh);
    return {
      journey: c.journey, segment: c.segment, exposures: c.n, progressed: c.p, averted: c.n - c.p,
      progression_rate: pr, progression_low: pl, progression_high: ph, aversion_rate: rate(c.n - c.p, c.n),
      average_progression_rate: ar, average_aversion_rate: rate(all.n - all.p, all.n),
      difference: diff(pr, ar), difference_low: dl, difference_high: dh,
      holdout: c.hn, holdout_progressed: c.hp, holdout_rate: hr,
      uplift: diff(pr, hr), uplift_low: ul, uplift_high: uh, below_min_n: c.n < 30,
    };
  });
}

/** The 95 % Wilson score interval of k successes in n trials. */
function wilson(k: number, n: number): [number | null, number | null] {
  if (!n) return [null, null];
  const z = 1.96, p = k / n, z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [centre - half, centre + half];
}

function expectSameRows(actual: ReportRow[], expected: ReportRow[]): void {
  const byKey = (rows: ReportRow[]) => new Map(rows.map((r) => [`${r.journey}/${r.segment}`, r]));
  const a = byKey(actual);
  const e = byKey(expected);
  expect([...a.keys()].sort()).toEqual([...e.keys()].sort());
  for (const [key, want] of e) {
    const got = a.get(key)!;
    for (const [field, value] of Object.entries(want)) {
      const seen = (got as unknown as Record<string, unknown>)[field];
      if (typeof value === 'number' && typeof seen === 'number') expect(seen, `${key} ${field}`).toBeCloseTo(value, 9);
      else expect(seen, `${key} ${field}`).toEqual(value);
    }
  }
}

describe('GET /api/report', () => {
  it('runs the SQL the README gives for warehouses, verbatim', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain('```sql\n' + REPORT_SQL.trim() + '\n```');
  });

  it('is behind the admin token', async () => {
    expect((await fetch(`${server.url}/api/report`)).status).toBe(401);
  });

  it('equals a reference computed from the raw rows of a simulated population', async () => {
    const now = Date.UTC(2026, 10, 23, 12);
    const events = simulatePopulation({ visitors: 1500, seed: 42, now });
    const { stored } = await postEvents(server.url, events);
    expect(stored).toBe(events.length);
    // The outbox may send a batch twice (a beacon, then the retry): the report must not count it twice.
    const again = await postEvents(server.url, events.filter((e) => e.type === '$journey.outcome').slice(0, 300));
    expect(again).toEqual({ stored: 0, duplicates: 300 });
    expect(server.db.kind).toBe(process.env.MICROSEG_TEST_DATABASE_URL ? 'postgres' : 'pglite'); // CI runs this file on both

    const res = await fetch(`${server.url}/api/events?type=$journey.outcome&limit=10000`, { headers: admin });
    const raw = (await res.json()).events as Outcome[];
    expect(raw.length).toBe(events.filter((e) => e.type === '$journey.outcome').length);
    expect(raw.length).toBeGreaterThan(1000);

    const report = (await (await fetch(`${server.url}/api/report`, { headers: admin })).json()).rows as ReportRow[];
    expectSameRows(report, reference(raw));

    // What the simulation built in: complainers are averse to the free-shipping banner, others progress.
    const row = (journey: string, segment: string) => report.find((r) => r.journey === journey && r.segment === segment)!;
    const complainers = row('cart-recovery', 'recent-complainers');
    expect(complainers.progression_rate!).toBeLessThan(row('cart-recovery', '*').average_progression_rate!);
    expect(complainers.uplift!).toBeLessThan(0);
    expect(row('vip-winback-step', 'vip-at-risk').uplift!).toBeGreaterThan(0);
    for (const r of report) if (r.exposures) expect(r.progression_rate! + r.aversion_rate!).toBeCloseTo(1, 12);
    for (const r of report) if (r.exposures) expect(r.progression_low!).toBeLessThanOrEqual(r.progression_rate!), expect(r.progression_high!).toBeGreaterThanOrEqual(r.progression_rate!);
    expect(report.some((r) => r.below_min_n) && report.some((r) => !r.below_min_n)).toBe(true);
  });

  it('gives the textbook Wilson interval (81 of 263: 0.2553 to 0.3662) and flags small segments', async () => {
    const at = Date.UTC(2026, 10, 1);
    const events = Array.from({ length: 263 + 10 }, (_, i) => ({
      id: `wilson-${i}`, type: '$journey.outcome', ts: at, aid: `w-${i}`,
      props: { journey: 'wilson-check', exposure: `x${i}`, at: at - i, until: at, control: false, segments: i < 263 ? ['big'] : ['tiny'], outcome: i < 81 || (i >= 263 && i < 266) ? 'progression' : 'aversion' },
    }));
    await postEvents(server.url, events as never);
    const rows = (await (await fetch(`${server.url}/api/report`, { headers: admin })).json()).rows as ReportRow[];
    const big = rows.find((r) => r.journey === 'wilson-check' && r.segment === 'big')!;
    expect(big.exposures).toBe(263);
    expect(big.progression_low!).toBeCloseTo(0.2553, 4);
    expect(big.progression_high!).toBeCloseTo(0.3662, 4);
    expect(big.below_min_n).toBe(false);
    const tiny = rows.find((r) => r.journey === 'wilson-check' && r.segment === 'tiny')!;
    expect(tiny).toMatchObject({ exposures: 10, progressed: 3, below_min_n: true, holdout: 0, uplift: null, uplift_low: null });
    expect(tiny.difference!).toBeCloseTo(0.3 - 84 / 273, 12);
    expect(tiny.difference_low!).toBeLessThan(0);
    expect(tiny.difference_high!).toBeGreaterThan(0);
  });
});
