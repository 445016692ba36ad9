// The metric set's next expiry (asked after every event) against an obviously-correct reference:
// the same metrics kept apart, every one asked for its expiry each time.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MetricDef } from '../../../src/config/types';
import { compileMetric, MetricRuntime } from '../../../src/engine/metrics';
import { createMetricSet } from '../../../src/engine/metric-set';
import { DAY, HOUR, MINUTE, event } from './helpers';

const T0 = Date.UTC(2026, 2, 3, 22, 0);
const TYPES = ['view', 'buy'];

const metricDef: fc.Arbitrary<MetricDef> = fc.record({
  event: fc.constantFrom(...TYPES),
  agg: fc.constantFrom('count' as const, 'sum' as const, 'max' as const),
  field: fc.constant('v'),
  window: fc.constantFrom(undefined, '30m', '2h', '1d', '7d'),
});

/** A step: an event (possibly older than the last) or time moving on, with the set rolled when due. */
const step = fc.record({
  type: fc.constantFrom(...TYPES),
  v: fc.integer({ min: -1, max: 5 }),
  gap: fc.oneof(fc.integer({ min: 0, max: 90 * 1000 }), fc.integer({ min: 0, max: 3 * HOUR }), fc.integer({ min: 0, max: 2 * DAY })),
  back: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 * HOUR })),
  onlyTime: fc.boolean(),
});

/** The earliest expiry after `t` of the used metrics, each one asked (what nextChange answered before it kept a minimum). */
function reference(runtimes: MetricRuntime[], t: number, isUsed: (path: string) => boolean): number {
  let next = Infinity;
  for (const rt of runtimes) {
    if (!rt.metric.grid || !isUsed(rt.key)) continue;
    const at = rt.expiresAt();
    if (at !== undefined && at > t && at < next) next = at;
  }
  return next;
}

describe('metric set: next expiry', () => {
  it('is the earliest expiry after now of the used windowed metrics, after any events and rolls', () => {
    fc.assert(
      fc.property(fc.array(metricDef, { minLength: 1, maxLength: 6 }), fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), fc.array(step, { maxLength: 60 }), (defs, usedFlags, steps) => {
        const compiled = defs.map((d, i) => compileMetric(`m${i}`, d));
        const used = new Set(compiled.filter((_, i) => usedFlags[i]).map((m) => `metrics.${m.id}`));
        const isUsed = (path: string) => used.has(path);
        const set = createMetricSet(compiled, undefined, T0, {});
        const apart = compiled.map((m) => new MetricRuntime(m, undefined, T0));
        let t = T0;
        for (const s of steps) {
          t += s.gap;
          if (t >= set.checkAt) set.roll(t, []);
          for (const rt of apart) rt.roll(t);
          if (!s.onlyTime) {
            const e = event(s.type, { v: s.v }, t - s.back);
            set.add(e, t, []);
            for (const rt of apart) if (rt.metric.events.includes(s.type)) rt.add(e, t);
          }
          expect(set.nextChange(t, isUsed)).toBe(reference(apart, t, isUsed));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('an event that raises the earliest expiry moves the answer later', () => {
    const m = compileMetric('n', { event: 'view', agg: 'count', window: '1d' });
    const set = createMetricSet([m], undefined, T0, {});
    const isUsed = () => true;
    set.add(event('view', {}, T0), T0, []);
    expect(set.nextChange(T0, isUsed)).toBe(T0 + DAY);
    set.add(event('view', {}, T0 + 10_000), T0 + 10_000, []); // the same minute: its cell's latest event
    expect(set.nextChange(T0 + 10_000, isUsed)).toBe(T0 + 10_000 + DAY);
    set.add(event('view', {}, T0 + 5 * MINUTE), T0 + 5 * MINUTE, []);
    expect(set.nextChange(T0 + 5 * MINUTE, isUsed)).toBe(T0 + 10_000 + DAY);
  });
});
