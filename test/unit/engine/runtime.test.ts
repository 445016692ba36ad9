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

  it('keeps its timer when events move the next change later; early, it finds nothing and waits again', async () => {
    vi.useFakeTimers({ now: T0 });
    const exited: string[] = [];
    const rt = createSegmentRuntime({ now: () => Date.now(), emit: (type, { id }) => void (type === 'segment:exit' && exited.push(id)), report: (e) => { throw new Error(e.message); }, events: async () => [] });
    const windowed: MicrosegConfig = { schema: 1, version: 'w', metrics: { views_1d: { event: 'view_item', agg: 'count', window: '1d' } }, segments: [{ id: 'recent', when: { 'metrics.views_1d': { $gte: 1 } } }, { id: 'everyone', fallback: true }] };
    await rt.setConfig(windowed);
    rt.ingest(event('view_item', {}, T0));
    exited.length = 0; // the fallback, left on entering
    const set = vi.spyOn(globalThis, 'setTimeout');
    // the same minute: its latest event leaves the window last, so the next change moves later
    vi.setSystemTime(T0 + 1000);
    rt.ingest(event('view_item', {}, T0 + 1000));
    vi.setSystemTime(T0 + 2000);
    rt.ingest(event('view_item', {}, T0 + 2000));
    expect(set).not.toHaveBeenCalled();
    vi.advanceTimersByTime(DAY - 2000); // the first event's edge: the other two still count
    expect(exited).toEqual([]);
    vi.advanceTimersByTime(2000);
    expect(exited).toEqual(['recent']);
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

describe('the hashes a config takes', () => {
  const charsRead = async (run: () => Promise<unknown>) => {
    const spy = vi.spyOn(String.prototype, 'charCodeAt');
    try {
      await run();
      return spy.mock.calls.length;
    } finally {
      spy.mockRestore();
    }
  };

  it('are stored once, and a later page under the same config takes none again and stores nothing', async () => {
    const clock = fakeClock(T0);
    const first = runtime(clock.now).rt;
    const cold = await charsRead(() => first.setConfig(structuredClone(config)));
    const stored = first.takeHashes();
    expect(stored?.size).toBeGreaterThan(0);
    expect(first.takeHashes()).toBeUndefined(); // taken once
    const state = first.takeSnapshot();
    first.stop();

    const next = runtime(clock.now).rt;
    next.useHashes(structuredClone(stored)); // as storage gives it back
    await next.restore(state);
    const warm = await charsRead(() => next.setConfig(structuredClone(config)));
    expect(warm).toBeLessThan(cold / 4);
    expect(next.takeHashes()).toBeUndefined();
    expect(next.segments()).toEqual(['everyone']);
    next.stop();
  });

  it('taken by a config that came before the stored ones are read (slow storage) are not stored again when they are the same', async () => {
    const first = runtime(fakeClock(T0).now).rt;
    await first.setConfig(structuredClone(config));
    const stored = structuredClone(first.takeHashes());
    first.stop();
    const next = runtime(fakeClock(T0).now).rt;
    await next.setConfig(structuredClone(config));
    next.useHashes(stored);
    expect(next.takeHashes()).toBeUndefined();
    next.stop();
  });

  it('of a new config are stored in place of the old ones', async () => {
    const { rt } = runtime(fakeClock(T0).now);
    await rt.setConfig(structuredClone(config)); // a config object of its own: its hashes are handed over once
    const before = rt.takeHashes()!;
    await rt.setConfig({ ...config, version: 'rt2', metrics: { views: { event: 'view_item', agg: 'count' } }, segments: [{ id: 'everyone', fallback: true }], suppressions: [] });
    const after = rt.takeHashes()!;
    expect(after.size).toBeLessThan(before.size);
    expect([...after.keys()].some((k) => before.has(k))).toBe(true); // the metric both define keeps its hash
    rt.stop();
  });
});
