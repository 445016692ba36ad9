// Measurement loads only where a page needs it, and what happened before it loaded reaches it in order.
import { describe, expect, it } from 'vitest';
import { createEmitter } from '../../../src/shared/emitter';
import { lazyMeasurement } from '../../../src/measure/lazy';
import type { Measurement, MeasureDeps, MeasureEvents } from '../../../src/measure';
import type { MicrosegConfig } from '../../../src/config/types';
import type { TrackedEvent } from '../../../src/shared/types';

const event = (id: string): TrackedEvent => ({ id, type: 'view', ts: 1, seq: 0, props: {}, page: { url: '/', referrer: '', title: '' } as never, aid: 'a', visit: 1 });

function setup(options: { collectUrl?: string; config?: MicrosegConfig } = {}) {
  const bus = createEmitter<MeasureEvents>();
  let config = options.config;
  const seen: string[] = [];
  let loads = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const deps = {
    collectUrl: options.collectUrl,
    now: () => 1,
    report: () => {},
    store: { outbox: { journal: { write() {}, recover: () => [], committed() {}, discard() {} } } } as never,
    on: bus.on,
    emit: () => {},
    segments: () => [],
    config: () => config,
    visitor: () => ({ aid: 'a', visit: 1, page: {} as never }),
  } as MeasureDeps;
  const measure = lazyMeasurement(deps, async () => {
    loads++;
    await gate;
    return (inner: MeasureDeps): Measurement => {
      inner.on('track', (e) => seen.push(`track ${e.id}`));
      inner.on('config', () => seen.push('config'));
      inner.on('consent', (s) => seen.push(`consent ${s}`));
      return {
        enable: () => seen.push('enable'),
        deny: async () => void seen.push('deny'),
        observe: (e) => seen.push(`observe ${e.id}`),
        flush: async () => void seen.push('flush'),
        stop: () => seen.push('stop'),
      };
    };
  });
  return { bus, measure, seen, loads: () => loads, release, setConfig: (c: MicrosegConfig) => (config = c) };
}

const withJourneys = { schema: 1, version: 'j', segments: [{ id: 'all', fallback: true }], journeys: [{ id: 's', exposure: 'c', goal: { event: 'buy' }, within: '1d' }] } as unknown as MicrosegConfig;
const without = { schema: 1, version: 'n', segments: [{ id: 'all', fallback: true }] } as unknown as MicrosegConfig;

describe('measurement on demand', () => {
  it('with a collector it loads at once and hears everything that happened before, in order', async () => {
    const t = setup({ collectUrl: '/collect' });
    expect(t.loads()).toBe(1);
    t.bus.emit('track', event('1'));
    t.measure.enable();
    t.measure.observe(event('2'));
    t.bus.emit('consent', 'denied');
    t.bus.emit('track', event('3'));
    expect(t.seen).toEqual([]);
    t.release();
    await t.measure.loaded();
    expect(t.seen).toEqual(['enable', 'track 1', 'observe 2', 'consent denied', 'track 3']);
    t.bus.emit('track', event('4'));
    await t.measure.flush();
    expect(t.seen.slice(-2)).toEqual(['track 4', 'flush']);
  });

  it('without a collector it loads only when a config with journeys arrives, and that config sees the page so far', async () => {
    const t = setup();
    t.bus.emit('track', event('1'));
    t.setConfig(without);
    t.bus.emit('config', {});
    expect(t.loads()).toBe(0);
    await t.measure.flush(); // nothing to flush, nothing loaded
    await t.measure.deny();
    expect(t.loads()).toBe(0);
    t.bus.emit('track', event('2'));
    t.setConfig(withJourneys);
    t.bus.emit('config', {});
    expect(t.loads()).toBe(1);
    t.release();
    await t.measure.loaded();
    // What came before the config without journeys was let go: that config had nothing to measure.
    expect(t.seen).toEqual(['config']);
  });

  it('a config with journeys first: every event of the page is handed over', async () => {
    const t = setup();
    t.bus.emit('track', event('1'));
    t.setConfig(withJourneys);
    t.bus.emit('config', {});
    t.release();
    await t.measure.loaded();
    expect(t.seen).toEqual(['track 1', 'config']);
  });

  it('stopped before it loaded: nothing is created', async () => {
    const t = setup({ collectUrl: '/collect' });
    t.bus.emit('track', event('1'));
    t.measure.stop();
    t.release();
    await t.measure.loaded();
    expect(t.seen).toEqual([]);
  });
});

describe('the wait for measurement, journaled', () => {
  function withJournal() {
    const writes: string[][] = [];
    const calls: string[] = [];
    const bus = createEmitter<MeasureEvents>();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const journal = {
      write: (items: TrackedEvent[]) => void writes.push(items.map((e) => e.id)),
      recover: () => [],
      committed: (all: boolean) => void calls.push(`committed ${all}`),
      discard: () => void calls.push('discard'),
    };
    const deps = {
      collectUrl: '/collect', now: () => 1, report: () => {}, store: { outbox: { journal } } as never, on: bus.on, emit: () => {},
      segments: () => [], config: () => undefined, visitor: () => ({ aid: 'a', visit: 1, page: {} as never }),
    } as MeasureDeps;
    const measure = lazyMeasurement(deps, async () => {
      await gate;
      return (): Measurement => {
        calls.push('created');
        return { enable() {}, deny: async () => {}, observe() {}, flush: async () => {}, stop() {} };
      };
    });
    return { bus, measure, writes, calls, release };
  }
  const tick = () => new Promise((r) => setTimeout(r, 0));

  it('events tracked before the file arrives are journaled once storage is allowed, and the journal handed over', async () => {
    const t = withJournal();
    t.bus.emit('track', event('1'));
    await tick();
    expect(t.writes).toEqual([]); // consent not granted yet: nothing written
    t.measure.enable();
    t.bus.emit('track', event('2'));
    await tick();
    expect(t.writes.at(-1)).toEqual(['1', '2']);
    t.release();
    await t.measure.loaded();
    expect(t.calls).toEqual(['committed true', 'created']);
  });

  it('a denial before the file arrives drops the journal at once', async () => {
    const t = withJournal();
    t.measure.enable();
    t.bus.emit('track', event('1'));
    await tick();
    t.bus.emit('consent', 'denied');
    expect(t.calls).toEqual(['discard']);
  });
});
