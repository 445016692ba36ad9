// Moving clocks. The rules (README, "Clocks"):
// 1. Events keep the device time they were recorded at; windows are in UTC milliseconds, so a
//    time-zone change or DST moves no event in or out of a window.
// 2. Engine time never runs backwards by a small step (a clock sync): nothing un-rolls.
// 3. A larger step back (≥ 5 minutes: the clock was set back) is followed, so events recorded from
//    then on count in their windows; nothing that already left a window comes back.
// 4. A step forward ages events out of windows as if the time had passed; they do not come back.
// 5. Counts that have no window never change with the clock; every event counts once.
// 6. profile.hour / weekday and campaign dates use the device's time zone at evaluation time.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMicroseg, type Microseg, type MicrosegConfig } from '../../../src';

const H = 3_600_000;
const DAY = 24 * H;
const config: MicrosegConfig = {
  schema: 1,
  version: 'clock.1',
  metrics: { taps: { event: 'tap', agg: 'count' }, taps_7d: { event: 'tap', agg: 'count', window: '7d' } },
  segments: [
    { id: 'recent-tapper', when: { 'metrics.taps_7d': { $gte: 1 } } },
    { id: 'evening', when: { 'profile.hour': { $gte: 18 } } },
    { id: 'everyone', fallback: true },
  ],
};
const TZ = process.env.TZ;
let instances: Microseg[] = [];
afterEach(() => {
  for (const ms of instances.splice(0)) ms.destroy();
  process.env.TZ = TZ;
  vi.restoreAllMocks();
});

async function device(start: number) {
  const clock = { t: start };
  const ms = createMicroseg({ config, autoPage: false, dbName: `clock-${Math.random()}`, now: () => clock.t });
  instances.push(ms);
  await ms.ready;
  const taps7d = () => ms.explain('recent-tapper')!.clauses[0]!.actual as number;
  return { ms, clock, taps7d };
}

describe('clocks', () => {
  it('a small step back (clock sync) un-rolls nothing and counts every event once', async () => {
    const t0 = Date.UTC(2026, 10, 23, 12);
    const { ms, clock, taps7d } = await device(t0);
    ms.track('tap');
    clock.t -= 2 * 60_000; // NTP pulled the clock back 2 minutes
    ms.track('tap');
    expect(taps7d()).toBe(2);
    clock.t = t0 + 7 * DAY + H; // the window passes both events
    expect(taps7d()).toBe(0);
    expect(ms.segments()).not.toContain('recent-tapper');
  });

  it('a step forward ages events out; set back again, new events count in their window again', async () => {
    const t0 = Date.UTC(2026, 10, 23, 12);
    const { ms, clock, taps7d } = await device(t0);
    ms.track('tap');
    clock.t = t0 + 2 * DAY; // forward inside the window: still counted
    expect(taps7d()).toBe(1);
    clock.t = t0 + 365 * DAY; // the clock jumps a year ahead
    expect(taps7d()).toBe(0);
    expect(ms.segments()).toEqual(['everyone']);
    clock.t = t0 + H; // and is set right again
    ms.track('tap');
    expect(taps7d()).toBe(1); // the event recorded now counts; the one that aged out stays out
    expect(ms.segments()).toContain('recent-tapper');
  });

  it('a reload under a clock set back starts from the stored aggregates without counting anything twice', async () => {
    const t0 = Date.UTC(2026, 10, 23, 12);
    const name = `clock-reload-${Math.random()}`;
    const clock = { t: t0 };
    const a = createMicroseg({ config, autoPage: false, dbName: name, now: () => clock.t });
    await a.ready;
    a.track('tap');
    a.track('tap');
    await a.flush();
    a.destroy();
    clock.t = t0 - 3 * H; // the next page opens with the clock three hours back
    const b = createMicroseg({ config, autoPage: false, dbName: name, now: () => clock.t });
    instances.push(b);
    await b.ready;
    b.track('tap');
    expect(b.explain('recent-tapper')!.clauses[0]!.actual).toBe(3);
  });

  it('DST and a time-zone change move no event in or out of a window; profile.hour follows the zone', async () => {
    process.env.TZ = 'Europe/Paris';
    const beforeDst = Date.UTC(2026, 2, 28, 17); // Saturday 18:00 in Paris (UTC+1); DST starts Sunday 02:00
    const { ms, clock, taps7d } = await device(beforeDst);
    ms.track('tap');
    expect(ms.segments()).toContain('evening');
    // Exactly 7 × 24 h later (an hour shorter in local wall-clock terms across DST) the window has passed.
    clock.t = beforeDst + 7 * DAY - 60_000;
    expect(taps7d()).toBe(1);
    clock.t = beforeDst + 7 * DAY + H;
    expect(taps7d()).toBe(0);
    // 2026-04-04 20:00 in Paris (CEST): evening. The visitor flies to New York (EDT): 14:00 there.
    ms.track('tap');
    expect(ms.segments()).toContain('evening');
    process.env.TZ = 'America/New_York';
    clock.t += H; // at the next hour boundary the hour is read in the new zone
    ms.track('tap');
    expect(new Date(clock.t).getHours()).toBe(15);
    expect(ms.segments()).not.toContain('evening');
    expect(taps7d()).toBe(2); // windows did not move
  });
});
