// Exact windows: an event leaves a window at its timestamp + the window (within one minute,
// never early), whatever the window's length and wherever UTC bucket boundaries fall.
import { describe, expect, it } from 'vitest';
import type { MetricAgg, MicrosegConfig } from '../../../src/config/types';
import { createEngine, type EngineState } from '../../../src/engine';
import { DAY, HOUR, MINUTE, event, fakeClock } from './helpers';

const cfg = (metrics: MicrosegConfig['metrics'], segments: MicrosegConfig['segments'] = []): MicrosegConfig => ({ schema: 1, version: 'w', metrics, segments });
const AGGS: MetricAgg[] = ['count', 'sum', 'min', 'max', 'avg', 'first', 'last', 'firstAt', 'lastAt', 'distinct'];
const WINDOWS: [string, number][] = [['45m', 45 * MINUTE], ['12h', 12 * HOUR], ['1d', DAY], ['7d', 7 * DAY], ['30d', 30 * DAY], ['60d', 60 * DAY]];

/** One event just before a UTC midnight (and the top of an hour), far from any bucket start. */
const TS = Date.UTC(2026, 2, 3, 23, 59, 0);

describe('exact windows', () => {
  for (const [window, ms] of WINDOWS) {
    it(`${window}: an event counts until its timestamp + ${window}, then leaves within a minute`, () => {
      const clock = fakeClock(TS);
      const engine = createEngine(cfg({ n: { event: 'view', agg: 'count', window } }), { now: clock.now });
      engine.ingest(event('view', {}, TS));
      clock.set(TS + ms - MINUTE);
      expect(engine.context().metrics.n, 'one minute before the edge').toBe(1);
      clock.set(TS + ms - 1);
      expect(engine.context().metrics.n, 'one millisecond before the edge').toBe(1);
      clock.set(TS + ms + MINUTE);
      expect(engine.context().metrics.n, 'one minute after the edge').toBe(0);
    });

    it(`${window}: the timer fires when the event leaves, to the minute`, () => {
      const clock = fakeClock(TS);
      const config = cfg({ n: { event: 'view', agg: 'count', window } }, [{ id: 'seen', when: { 'metrics.n': { $gte: 1 } } }, { id: 'rest', fallback: true }]);
      const engine = createEngine(config, { now: clock.now });
      engine.ingest(event('view', {}, TS + 17_123)); // a timestamp inside a minute
      const next = engine.nextChangeAt()!;
      expect(next).toBe(TS + 17_123 + ms); // alone in its minute: to the millisecond
      clock.set(next - 1);
      expect(engine.tick().exited).toEqual([]);
      clock.set(next);
      expect(engine.tick()).toEqual({ entered: ['rest'], exited: ['seen'] });
    });
  }

  it('every aggregate is exact at the edge (events on both sides of it, in one bucket)', () => {
    const metrics: MicrosegConfig['metrics'] = {};
    for (const agg of AGGS) metrics[agg] = { event: 'buy', agg, field: 'v', window: '60d' };
    const clock = fakeClock(TS);
    const engine = createEngine(cfg(metrics), { now: clock.now });
    // Same UTC day and hour: 23:10, 23:30, 23:50.
    const t1 = Date.UTC(2026, 2, 3, 23, 10);
    const t2 = Date.UTC(2026, 2, 3, 23, 30);
    const t3 = Date.UTC(2026, 2, 3, 23, 50);
    clock.set(t3);
    engine.ingest(event('buy', { v: 5 }, t1));
    engine.ingest(event('buy', { v: 1 }, t2));
    engine.ingest(event('buy', { v: 9 }, t3));
    engine.ingest(event('buy', { v: 7 }, t3 + 2 * DAY));
    clock.set(t2 + 60 * DAY - MINUTE); // t1 gone, t2 about to go
    expect(engine.context().metrics).toEqual({ count: 3, sum: 17, min: 1, max: 9, avg: 17 / 3, first: 1, last: 7, firstAt: t2, lastAt: t3 + 2 * DAY, distinct: 3 });
    clock.set(t2 + 60 * DAY);
    expect(engine.context().metrics).toEqual({ count: 2, sum: 16, min: 7, max: 9, avg: 8, first: 9, last: 7, firstAt: t3, lastAt: t3 + 2 * DAY, distinct: 2 });
  });

  it('events sharing a minute leave together, when the later one does (at most a minute late)', () => {
    const clock = fakeClock(TS);
    const engine = createEngine(cfg({ n: { event: 'view', agg: 'count', window: '7d' } }), { now: clock.now });
    engine.ingest(event('view', {}, TS + 1_000));
    engine.ingest(event('view', {}, TS + 59_000));
    clock.set(TS + 1_000 + 7 * DAY);
    expect(engine.context().metrics.n).toBe(2);
    clock.set(TS + 59_000 + 7 * DAY - 1);
    expect(engine.context().metrics.n).toBe(2);
    clock.set(TS + 59_000 + 7 * DAY);
    expect(engine.context().metrics.n).toBe(0);
  });

  it('stays exact across a page reload at the edge', () => {
    const clock = fakeClock(TS);
    const config = cfg({ s: { event: 'buy', agg: 'sum', field: 'v', window: '7d' } });
    const engine = createEngine(config, { now: clock.now });
    engine.ingest(event('buy', { v: 1 }, Date.UTC(2026, 2, 3, 23, 5)));
    engine.ingest(event('buy', { v: 2 }, Date.UTC(2026, 2, 3, 23, 40)));
    clock.set(Date.UTC(2026, 2, 10, 23, 20));
    const stored = JSON.parse(JSON.stringify(engine.snapshot())) as EngineState;
    const next = createEngine(config, { now: clock.now, state: stored });
    expect(next.context().metrics.s).toBe(2);
    clock.set(Date.UTC(2026, 2, 10, 23, 40));
    expect(next.context().metrics.s).toBe(0);
  });

  it('a day with events in 200 different minutes: bounded state, no event leaves early, all gone when the last leaves', () => {
    const clock = fakeClock(TS);
    const engine = createEngine(cfg({ n: { event: 'view', agg: 'count', window: '60d' } }), { now: clock.now });
    const day = Date.UTC(2026, 2, 3);
    for (let m = 0; m < 200; m++) {
      clock.set(day + m * 5 * MINUTE + 7_000);
      engine.ingest(event('view', {}, clock.now()));
    }
    const stored = JSON.stringify(engine.snapshot().metrics);
    expect(stored.length).toBeLessThan(1200);
    for (let m = 0; m < 200; m++) {
      const leaves = day + m * 5 * MINUTE + 7_000 + 60 * DAY;
      clock.set(leaves - 1);
      expect(engine.context().metrics.n, `just before event ${m} leaves`).toBeGreaterThanOrEqual(200 - m);
    }
    clock.set(day + 199 * 5 * MINUTE + 7_000 + 60 * DAY);
    expect(engine.context().metrics.n).toBe(0);
  });

  it('keeps persisted state bounded: a burst in one minute is one cell', () => {
    const clock = fakeClock(TS);
    const engine = createEngine(cfg({ n: { event: 'view', agg: 'count', window: '60d' } }), { now: clock.now });
    const small = JSON.stringify(engine.snapshot().metrics).length;
    for (let i = 0; i < 2000; i++) engine.ingest(event('view', {}, TS + (i % 50)));
    expect(engine.context().metrics.n).toBe(2000);
    expect(JSON.stringify(engine.snapshot().metrics).length).toBeLessThan(small + 200);
  });
});
