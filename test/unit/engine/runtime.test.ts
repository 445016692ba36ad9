import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MicrosegConfig } from '../../../src/config/types';
import { createEngine } from '../../../src/engine';
import { createSegmentRuntime } from '../../../src/engine/runtime';
import { DAY, event, fakeClock, profile } from './helpers';

const T0 = Date.UTC(2026, 8, 1, 10, 0);
const config: MicrosegConfig = {
  schema: 1,
  version: 'rt',
  metrics: {
    views: { event: 'view_item', agg: 'count' },
    views_7d: { event: 'view_item', agg: 'count', window: '7d' },
    complaints: { event: 'complaint', agg: 'count' },
  },
  segments: [
    { id: 'browser', when: { 'metrics.views': { $gte: 3 } } },
    { id: 'recent', when: { 'metrics.views_7d': { $gte: 1 } } },
    { id: 'everyone', fallback: true },
  ],
  suppressions: [{ id: 'complained', when: { 'metrics.complaints': { $gte: 1 } }, offers: '*' }],
};

function runtime(now: () => number) {
  const entered: string[] = [];
  const rt = createSegmentRuntime({
    now,
    emit: (type, { id }) => void (type === 'segment:enter' && entered.push(id)),
    report: (e) => {
      throw new Error(e.message);
    },
    events: async () => [],
  });
  return { rt, entered };
}

afterEach(() => vi.useRealTimers());

describe('segment runtime', () => {
  it('asks for new decisions only when an event moves what a suppression reads', async () => {
    const clock = fakeClock(T0);
    const { rt } = runtime(clock.now);
    rt.setProfile(profile(T0));
    await rt.setConfig(config);
    rt.ingest(event('view_item', {}, T0));
    // views changed, but no suppression reads it (membership changes are announced apart)
    expect(rt.ingest(event('view_item', {}, T0 + 1))).toBe(false);
    expect(rt.ingest(event('unrelated', {}, T0 + 2))).toBe(false);
    expect(rt.ingest(event('complaint', {}, T0 + 3))).toBe(true);
    rt.stop();
  });

  it('asks for decisions for events before any config', () => {
    const { rt } = runtime(() => T0);
    expect(rt.ingest(event('view_item', {}, T0))).toBe(true);
  });

  it('keeps its timer when an event leaves the next change where it was', async () => {
    vi.useFakeTimers({ now: T0 });
    const { rt, entered } = runtime(() => Date.now());
    rt.setProfile(profile(T0));
    await rt.setConfig(config);
    rt.ingest(event('view_item', {}, T0));
    const set = vi.spyOn(globalThis, 'setTimeout');
    // later minutes: the oldest minute, which leaves the 7d window first, stays as it was
    rt.ingest(event('view_item', {}, T0 + 60_000));
    rt.ingest(event('view_item', {}, T0 + 120_000));
    expect(set).not.toHaveBeenCalled();
    expect(entered).toContain('browser');
    rt.stop();
  });

  it('context() is the live view: no copy per read', async () => {
    const clock = fakeClock(T0);
    const { rt } = runtime(clock.now);
    await rt.setConfig(config);
    expect(rt.context()).toBe(rt.context());
    rt.ingest(event('view_item', {}, T0));
    expect(rt.context()!.metrics.views).toBe(1);
    rt.stop();
  });
});

describe('engine decision inputs', () => {
  it('reports a moved score, label or suppression input once', () => {
    const clock = fakeClock(T0);
    const engine = createEngine(
      {
        ...config,
        scores: { risk: { model: 'linear', bias: 0, weights: { 'metrics.views': 1 } } },
        suppressions: [{ id: 'risky', when: { 'scores.risk': { $gt: 5 } }, offers: '*' }],
      },
      { now: clock.now },
    );
    engine.takeDecisionInputs();
    engine.ingest(event('view_item', {}, T0));
    expect(engine.takeDecisionInputs()).toBe(true);
    expect(engine.takeDecisionInputs()).toBe(false);
    engine.setLabels([{ name: 'vip', at: T0, channel: 'web', expires: T0 + DAY }]);
    expect(engine.takeDecisionInputs()).toBe(true);
  });
});

describe('engine records', () => {
  const kv = () => {
    const map = new Map<string, unknown>();
    return { map, get: async (key: string) => structuredClone(map.get(key)), write: (records: Record<string, unknown> | undefined) => Object.entries(records ?? {}).forEach(([k, v]) => map.set(k, structuredClone(v))) };
  };

  it('writes the metrics that moved, not the whole state', async () => {
    const clock = fakeClock(T0);
    const { rt } = runtime(clock.now);
    await rt.setConfig(config);
    const first = rt.takeRecords()!;
    expect(Object.keys(first).sort()).toEqual(['engine:meta', ...Object.keys(first).filter((k) => k.startsWith('engine:metric:'))].sort());
    expect(Object.keys(first).filter((k) => k.startsWith('engine:metric:'))).toHaveLength(3);
    expect(rt.takeRecords()).toBeUndefined(); // nothing moved
    rt.ingest(event('complaint', {}, T0));
    const next = rt.takeRecords()!;
    expect(Object.keys(next).filter((k) => k.startsWith('engine:metric:'))).toHaveLength(1);
    expect(next['engine:meta']).toMatchObject({ v: 1, memberships: expect.any(Array) });
    rt.stop();
  });

  it('restores from its records what the whole snapshot held', async () => {
    const clock = fakeClock(T0);
    const store = kv();
    const { rt } = runtime(clock.now);
    await rt.setConfig(config);
    for (let i = 0; i < 4; i++) {
      rt.ingest(event(i % 2 ? 'view_item' : 'complaint', {}, T0 + i * 60_000));
      store.write(rt.takeRecords());
    }
    const whole = rt.peek()!;
    rt.stop();
    clock.advance(60_000);
    const { rt: next } = runtime(clock.now);
    const saved = await next.load(store.get);
    expect(saved!.metrics).toEqual(whole.metrics);
    await next.restore(saved);
    await next.setConfig(config);
    expect(next.context()!.metrics).toMatchObject({ views: 2, views_7d: 2, complaints: 2 });
    expect(next.segments()).toEqual(rt.segments());
    next.stop();
  });

  it('reads an older page\'s single record once and replaces it', async () => {
    const clock = fakeClock(T0);
    const store = kv();
    const old = createEngine(config, { now: clock.now });
    old.ingest(event('view_item', {}, T0));
    store.map.set('engine', old.snapshot());
    const { rt } = runtime(clock.now);
    await rt.restore(await rt.load(store.get));
    await rt.setConfig(config);
    expect(rt.context()!.metrics.views).toBe(1);
    const records = rt.takeRecords()!;
    expect(records.engine).toBeNull();
    expect(Object.keys(records).filter((k) => k.startsWith('engine:metric:'))).toHaveLength(3);
    store.write(records);
    expect(await rt.load(store.get)).toMatchObject({ v: 1 });
    expect(rt.takeRecords()).toBeUndefined();
    rt.stop();
  });

  it('clears the records of metrics a new config no longer has', async () => {
    const clock = fakeClock(T0);
    const { rt } = runtime(clock.now);
    await rt.setConfig(config);
    rt.takeRecords();
    const { complaints: _, ...metrics } = config.metrics!;
    await rt.setConfig({ ...config, version: 'rt2', metrics, suppressions: [] });
    const records = rt.takeRecords()!;
    expect(Object.entries(records).filter(([, v]) => v === null)).toHaveLength(1);
    rt.stop();
  });
});
