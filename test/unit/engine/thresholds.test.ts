import { describe, expect, it } from 'vitest';
import type { MicrosegConfig } from '../../../src/config/types';
import { compileCondition, createEngine } from '../../../src/engine';
import { crossed, buildThresholds } from '../../../src/engine/thresholds';
import { event, fakeClock, HOUR, MINUTE } from './helpers';

const T0 = Date.UTC(2026, 8, 1, 10, 0);

describe('threshold index', () => {
  it('visits the constants between two values, both ends included', () => {
    const t = buildThresholds([[5, 50], [1, 10], [3, 30], [3, 31], [9, 90]]);
    const seen: number[] = [];
    crossed(t, 2, 5, (p) => seen.push(p));
    expect(seen).toEqual([30, 31, 50]);
    seen.length = 0;
    crossed(t, 6, 8, (p) => seen.push(p));
    expect(seen).toEqual([]);
    crossed(t, undefined, 8, (p) => seen.push(p));
    expect(seen).toEqual([10, 30, 31, 50, 90]);
  });

  it('keeps memberships equal to a full evaluation as counts, sums and windows move', () => {
    const config: MicrosegConfig = {
      schema: 1,
      version: 'th',
      metrics: {
        views: { event: 'view', agg: 'count' },
        views_1h: { event: 'view', agg: 'count', window: '1h' },
        spend: { event: 'buy', agg: 'sum', field: 'value' },
        low: { event: 'buy', agg: 'min', field: 'value' },
      },
      segments: [
        { id: 'three', when: { 'metrics.views': { $gte: 3 } } },
        { id: 'exactly-two', when: { 'metrics.views': 2 } },
        { id: 'not-four', when: { 'metrics.views': { $ne: 4 } } },
        { id: 'band', when: { 'metrics.views_1h': { $gt: 1, $lte: 4 } } },
        { id: 'listed', when: { 'metrics.views_1h': { $in: [0, 3, 5] } } },
        { id: 'either', when: { $or: [{ 'metrics.spend': { $gte: 100 } }, { 'metrics.views': { $lt: 1 } }] } },
        { id: 'none-low', when: { $nor: [{ 'metrics.low': { $lt: 20 } }] } },
        { id: 'of-segment', when: { segments: 'three', 'metrics.spend': { $lt: 150 } } },
        { id: 'everyone', fallback: true },
      ],
    };
    const clock = fakeClock(T0);
    const engine = createEngine(config, { now: clock.now });
    const rules = config.segments.filter((s) => !s.fallback).map((s) => ({ id: s.id, match: compileCondition(s.when!) }));
    const check = () => {
      const ctx = engine.context();
      const expected = rules.filter((r) => r.match(ctx)).map((r) => r.id);
      expect(engine.segments().filter((id) => id !== 'everyone')).toEqual(expected);
    };
    const values = [30, 5, 80, 12, 40, 200];
    for (let i = 0; i < 24; i++) {
      clock.advance(i % 5 === 0 ? HOUR / 2 : 7 * MINUTE);
      engine.ingest(event(i % 3 === 2 ? 'buy' : 'view', { value: values[i % values.length] }, clock.now()));
      check();
    }
    clock.advance(2 * HOUR);
    engine.tick();
    check();
  });
});
