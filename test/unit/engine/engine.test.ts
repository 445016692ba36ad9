import { describe, expect, it } from 'vitest';
import type { MicrosegConfig } from '../../../src/config/types';
import { ConditionError, createEngine } from '../../../src/engine';
import { DAY, HOUR, MINUTE, event, fakeClock, none, profile } from './helpers';

const T0 = Date.UTC(2026, 8, 1, 10, 0);
const cfg = (c: Partial<MicrosegConfig>): MicrosegConfig => ({ schema: 1, version: 't', segments: [], ...c });

describe('metrics', () => {
  it('computes every aggregate, all-time and windowed', () => {
    const clock = fakeClock(T0);
    const aggs = ['count', 'sum', 'min', 'max', 'avg', 'first', 'last', 'firstAt', 'lastAt', 'distinct'] as const;
    const metrics: MicrosegConfig['metrics'] = {};
    for (const agg of aggs) {
      metrics[agg] = { event: 'purchase', agg, field: 'value' };
      metrics[`${agg}_1h`] = { event: 'purchase', agg, field: 'value', window: '1h' };
    }
    const engine = createEngine(cfg({ metrics }), { now: clock.now });
    const at0 = clock.now();
    engine.ingest(event('purchase', { value: 30 }, at0));
    clock.advance(10 * MINUTE);
    engine.ingest(event('purchase', { value: 10 }, clock.now()));
    clock.advance(50 * MINUTE);
    const at2 = clock.now();
    engine.ingest(event('purchase', { value: 20 }, at2));
    engine.ingest(event('purchase', { value: 'n/a' }, at2)); // not a number: only count, first/last and distinct see it
    const m = engine.context().metrics;
    expect(m).toMatchObject({ count: 4, sum: 60, min: 10, max: 30, avg: 20, first: 30, last: 'n/a', firstAt: at0, lastAt: at2, distinct: 4 });
    // 1h window in minute buckets: the 10:00 event has just left.
    expect(m).toMatchObject({ count_1h: 3, sum_1h: 30, min_1h: 10, max_1h: 20, avg_1h: 15, first_1h: 10, last_1h: 'n/a', lastAt_1h: at2, distinct_1h: 3 });
    clock.advance(2 * HOUR);
    expect(engine.context().metrics).toMatchObject({ count_1h: 0, sum_1h: 0, min_1h: undefined, avg_1h: undefined, distinct_1h: 0, count: 4 });
  });

  it('ignores events older than the window and duplicates', () => {
    const clock = fakeClock(T0);
    const engine = createEngine(cfg({ metrics: { v7: { event: 'view', agg: 'count', window: '7d' }, all: { event: 'view', agg: 'count' } } }), { now: clock.now });
    const late = event('view', {}, T0 - 8 * DAY); // arrives late (offline queue)
    engine.ingest(late);
    engine.ingest(late);
    const e = event('view', {}, T0);
    engine.ingest(e);
    engine.ingest({ ...e });
    expect(engine.context().metrics).toEqual({ v7: 1, all: 2 });
  });

  it('bounds distinct counts', () => {
    const clock = fakeClock(T0);
    const engine = createEngine(cfg({ metrics: { skus: { event: 'view_item', agg: 'distinct', field: 'items.sku', limit: 3 } } }), { now: clock.now });
    engine.ingest(event('view_item', { items: [{ sku: 'a' }, { sku: 'b' }] }, T0));
    engine.ingest(event('view_item', { items: [{ sku: 'b' }, { sku: 'c' }, { sku: 'd' }] }, T0));
    expect(engine.context().metrics.skus).toBe(3);
    expect(engine.snapshot().metrics[Object.keys(engine.snapshot().metrics)[0]!]!.a!.d).toHaveLength(3);
  });

  it('counts every value a field reaches, filtered per item by where clauses on that array', () => {
    const clock = fakeClock(T0);
    const engine = createEngine(
      cfg({
        metrics: {
          handbag_spend: { event: 'purchase', agg: 'sum', field: 'items.price', where: { 'items.item_category': 'handbags', currency: 'EUR' } },
          item_spend: { event: 'purchase', agg: 'sum', field: 'items.price' },
          handbag_orders: { event: 'purchase', agg: 'count', where: { items: { $elemMatch: { item_category: 'handbags' } } } },
        },
      }),
      { now: clock.now },
    );
    const items = [
      { item_category: 'handbags', price: 200 },
      { item_category: 'shoes', price: 90 },
      { item_category: 'handbags', price: 50 },
    ];
    engine.ingest(event('purchase', { currency: 'EUR', items }, T0));
    engine.ingest(event('purchase', { currency: 'USD', items }, T0));
    expect(engine.context().metrics).toEqual({ handbag_spend: 250, item_spend: 680, handbag_orders: 2 });
  });

  it('only the metrics listening to an event type see it; several types can feed one metric', () => {
    const clock = fakeClock(T0);
    const engine = createEngine(
      cfg({ metrics: { carts: { event: ['add_to_cart', 'begin_checkout'], agg: 'count' }, orders: { event: 'purchase', agg: 'count' } } }),
      { now: clock.now },
    );
    engine.ingest(event('add_to_cart', {}, T0));
    engine.ingest(event('begin_checkout', {}, T0));
    engine.ingest(event('page', {}, T0));
    expect(engine.context().metrics).toEqual({ carts: 2, orders: 0 });
  });
});

describe('membership', () => {
  it('evaluates segment-of-segment rules in dependency order, whatever the config order', () => {
    const clock = fakeClock(T0);
    const engine = createEngine(
      cfg({
        metrics: { spend: { event: 'purchase', agg: 'sum', field: 'value' } },
        segments: [
          { id: 'vip-mobile', when: { segments: 'vip', 'profile.device': 'mobile' } },
          { id: 'not-vip', when: { segments: { $nin: ['vip'] } } },
          { id: 'vip', when: { 'metrics.spend': { $gte: 1000 } } },
          { id: 'rest', fallback: true },
        ],
      }),
      { now: clock.now },
    );
    expect(engine.segments()).toEqual(['not-vip']);
    engine.setProfile(profile(T0, { device: 'mobile' }));
    expect(engine.ingest(event('purchase', { value: 1200 }, T0))).toEqual({ entered: ['vip-mobile', 'vip'], exited: ['not-vip'] });
    expect(engine.context().segments.sort()).toEqual(['vip', 'vip-mobile']);
  });

  it('puts a visitor in no other segment in the fallback, and explains it', () => {
    const clock = fakeClock(T0);
    const engine = createEngine(
      cfg({
        metrics: { orders: { event: 'purchase', agg: 'count' } },
        segments: [{ id: 'buyers', when: { 'metrics.orders': { $gte: 1 } } }, { id: 'everyone', fallback: true }],
      }),
      { now: clock.now },
    );
    expect(engine.segments()).toEqual(['everyone']);
    expect(engine.explain('everyone')).toEqual({ segment: 'everyone', member: true, fallback: true, reason: 'the visitor is in no other segment', clauses: [] });
    engine.ingest(event('purchase', {}, T0));
    expect(engine.explain('everyone')).toMatchObject({ member: false, reason: 'not needed: the visitor is in buyers' });
    expect(engine.explain('buyers').clauses).toEqual([{ path: 'metrics.orders', operator: '$gte', expected: 1, actual: 1, pass: true }]);
    expect(engine.explain('nope')).toEqual({ segment: 'nope', member: false, fallback: false, reason: 'no segment "nope" in config t', clauses: [] });
  });

  it('rejects bad configs with the offending path', () => {
    const now = () => T0;
    const bad = (c: Partial<MicrosegConfig>) => {
      try {
        createEngine(cfg(c), { now });
      } catch (e) {
        expect(e).toBeInstanceOf(ConditionError);
        return (e as Error).message;
      }
      return 'no error';
    };
    const orders = { orders: { event: 'purchase', agg: 'count' as const } };
    expect(bad({ metrics: orders, segments: [{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd', when: { 'metrics.orders': { $gtt: 1 } } }] })).toBe(
      'segments[3].when.metrics.orders.$gtt: unknown operator "$gtt"',
    );
    expect(bad({ segments: [{ id: 'a', when: { segments: 'b' } }, { id: 'b', when: { segments: { $in: ['c'] } } }, { id: 'c', when: { segments: 'a' } }] })).toBe(
      'segments[0].when.segments: segment cycle: a → b → c → a',
    );
    expect(bad({ segments: [{ id: 'a', when: { segments: 'zzz' } }] })).toBe('segments[0].when.segments: unknown segment "zzz"');
    expect(bad({ segments: [{ id: 'a', when: { 'metrics.nope': 1 } }] })).toBe('segments[0].when.metrics.nope: unknown metric "nope"');
    expect(bad({ segments: [{ id: 'a', when: { 'metric.orders': 1 } }] })).toMatch(/^segments\[0\]\.when\.metric\.orders: unknown context path/);
    expect(bad({ segments: [{ id: 'a' }, { id: 'a' }] })).toBe('segments[1].id: duplicate segment id "a"');
    expect(bad({ segments: [{ id: 'e', fallback: true, when: { x: 1 } }] })).toMatch(/^segments\[0\]\.when: a fallback segment has no condition/);
    expect(bad({ metrics: { s: { event: 'purchase', agg: 'sum' } } })).toBe('metrics.s.field: aggregate "sum" needs a field');
    expect(bad({ metrics: { s: { event: 'purchase', agg: 'count', window: '7 days' } } })).toMatch(/^metrics\.s\.window: bad duration/);
    expect(bad({ metrics: { s: { event: 'purchase', agg: 'count', where: { $foo: 1 } } } })).toBe('metrics.s.where.$foo: unknown operator "$foo"');
    expect(bad({ scores: { c: { model: 'linear', bias: 0, weights: { 'scores.d': 1 } } } })).toMatch(/^scores\.c: a score cannot read/);
    expect(bad({ scores: { c: { model: 'lookalike', features: ['metrics.x'], centroid: [1, 2] } } })).toMatch(/^scores\.c\.centroid/);
  });

  it('reports net changes only, and persists memberships across pages', () => {
    const clock = fakeClock(T0);
    const config = cfg({
      metrics: { views_1h: { event: 'view', agg: 'count', window: '1h' } },
      segments: [{ id: 'active', when: { 'metrics.views_1h': { $gte: 2 } } }, { id: 'idle', fallback: true }],
    });
    const engine = createEngine(config, { now: clock.now });
    expect(engine.tick()).toEqual({ entered: ['idle'], exited: [] });
    engine.ingest(event('view', {}, clock.now()));
    expect(engine.ingest(event('view', {}, clock.now()))).toEqual({ entered: ['active'], exited: ['idle'] });
    const state = JSON.parse(JSON.stringify(engine.snapshot()));
    // Next page, a minute later: memberships are there before any event, and nothing is "new".
    clock.advance(MINUTE);
    const next = createEngine(config, { now: clock.now, state });
    expect(next.segments()).toEqual(['active']);
    expect(next.tick()).toEqual(none);
    // Next page, two hours later: the window rolled while nobody watched.
    clock.advance(2 * HOUR);
    const later = createEngine(config, { now: clock.now, state });
    expect(later.tick()).toEqual({ entered: ['idle'], exited: ['active'] });
  });
});

describe('snapshots', () => {
  it('ignores a snapshot it does not understand, and survives a partial one', () => {
    const clock = fakeClock(T0);
    const config = cfg({ metrics: { orders: { event: 'purchase', agg: 'count' } }, segments: [{ id: 'x', fallback: true }] });
    expect(createEngine(config, { now: clock.now, state: { v: 2 } as never }).segments()).toEqual(['x']);
    expect(createEngine(config, { now: clock.now, state: { v: 1 } as never }).context().metrics).toEqual({ orders: 0 });
  });

  it('never writes into the state object it was given', () => {
    const clock = fakeClock(T0);
    const config = cfg({ metrics: { v: { event: 'view', agg: 'distinct', field: 'sku', window: '2h' }, all: { event: 'view', agg: 'distinct', field: 'sku' } } });
    const engine = createEngine(config, { now: clock.now });
    engine.ingest(event('view', { sku: 'a' }, T0));
    const state = JSON.parse(JSON.stringify(engine.snapshot()));
    const copy = JSON.parse(JSON.stringify(state));
    const next = createEngine(config, { now: clock.now, state });
    next.ingest(event('view', { sku: 'b' }, T0)); // lands in the restored bucket
    expect(next.context().metrics).toEqual({ v: 2, all: 2 });
    expect(state).toEqual(copy);
  });

  it('trusts stored memberships only under the same config', () => {
    const clock = fakeClock(T0);
    const orders = { orders: { event: 'purchase', agg: 'count' as const } };
    const v1 = cfg({ metrics: orders, segments: [{ id: 'buyer', when: { 'metrics.orders': { $gte: 1 } } }, { id: 'rest', fallback: true }] });
    const engine = createEngine(v1, { now: clock.now });
    engine.ingest(event('purchase', {}, T0));
    const state = JSON.parse(JSON.stringify(engine.snapshot()));
    expect(createEngine(v1, { now: clock.now, state }).segments()).toEqual(['buyer']);
    // Same version string, different rule: everything is evaluated again.
    const v2 = cfg({ metrics: orders, segments: [{ id: 'buyer', when: { 'metrics.orders': { $gte: 2 } } }, { id: 'rest', fallback: true }] });
    const next = createEngine(v2, { now: clock.now, state });
    expect(next.segments()).toEqual(['rest']);
    expect(next.tick()).toEqual({ entered: ['rest'], exited: ['buyer'] });
  });

  it('wakes up for window expiries only of the metrics a rule reads', () => {
    const clock = fakeClock(T0);
    const config = cfg({
      metrics: { read: { event: 'view', agg: 'count', window: '2h' }, unread: { event: 'view', agg: 'count', window: '30m' } },
      segments: [{ id: 'viewer', when: { 'metrics.read': { $gte: 1 } } }],
    });
    const engine = createEngine(config, { now: clock.now });
    engine.ingest(event('view', {}, T0));
    // 2h window in minute buckets: the 10:00 minute leaves at 12:00.
    expect(engine.nextChangeAt()).toBe(T0 + 2 * HOUR);
    clock.set(T0 + 2 * HOUR);
    expect(engine.tick()).toEqual({ entered: [], exited: ['viewer'] });
  });
});

describe('time', () => {
  it('wakes up at the next local hour only for hour-based rules', () => {
    const clock = fakeClock(T0 + 17 * MINUTE);
    const evening = cfg({ segments: [{ id: 'evening', when: { 'profile.hour': { $gte: 18 } } }, { id: 'day', fallback: true }] });
    const engine = createEngine(evening, { now: clock.now });
    const d = new Date(clock.now());
    d.setMinutes(60, 0, 0);
    expect(engine.nextChangeAt()).toBe(d.getTime());
    expect(createEngine(cfg({ segments: [{ id: 'x', fallback: true }] }), { now: clock.now }).nextChangeAt()).toBeUndefined();
    // Run the day hour by hour, as a timer would: it is in "evening" exactly when the local hour is ≥ 18.
    for (let i = 0; i < 30; i++) {
      clock.set(engine.nextChangeAt()!);
      engine.tick();
      expect(engine.segments()).toEqual([new Date(clock.now()).getHours() >= 18 ? 'evening' : 'day']);
    }
  });

  it('labels: age in days, expiry, and the timer for both', () => {
    const clock = fakeClock(T0);
    const config = cfg({
      segments: [
        { id: 'recent-complaint', when: { 'labels.complaint.ageDays': { $lt: 14 } } },
        { id: 'gold', when: { 'labels.tier.value': 'gold' } },
        { id: 'rest', fallback: true },
      ],
    });
    const engine = createEngine(config, { now: clock.now });
    const setAt = T0 - 2 * DAY;
    expect(
      engine.setLabels({
        complaint: { name: 'complaint', at: setAt, channel: 'call-centre', value: 'late delivery' },
        tier: { name: 'tier', at: T0, channel: 'store', value: 'gold', expires: T0 + 30 * DAY },
        old: { name: 'old', at: T0, channel: 'web', deleted: true },
      }),
      // "rest" held only before anything was reported: no exit to report.
    ).toEqual({ entered: ['recent-complaint', 'gold'], exited: [] });
    expect(engine.context().labels.complaint).toEqual({ at: setAt, ageDays: 2, channel: 'call-centre', value: 'late delivery', expires: undefined });
    expect(engine.context().labels.old).toBeUndefined();
    expect(engine.nextChangeAt()).toBe(setAt + 14 * DAY);
    clock.set(setAt + 14 * DAY);
    expect(engine.tick()).toEqual({ entered: [], exited: ['recent-complaint'] });
    expect(engine.nextChangeAt()).toBe(T0 + 30 * DAY);
    clock.set(T0 + 30 * DAY);
    expect(engine.tick()).toEqual({ entered: ['rest'], exited: ['gold'] });
    expect(engine.nextChangeAt()).toBeUndefined();
  });

  it('days since the last visit: the gap before the current visit', () => {
    const clock = fakeClock(T0);
    const config = cfg({ segments: [{ id: 'returning', when: { 'profile.daysSinceLastVisit': { $gte: 30 } } }, { id: 'rest', fallback: true }] });
    const engine = createEngine(config, { now: clock.now });
    engine.ingest(event('page', {}, T0));
    expect(engine.context().profile.daysSinceLastVisit).toBeUndefined(); // first visit
    clock.advance(31 * DAY);
    expect(engine.ingest(event('page', {}, clock.now()))).toEqual({ entered: ['returning'], exited: ['rest'] });
    clock.advance(20 * MINUTE);
    engine.ingest(event('page', {}, clock.now()));
    expect(engine.segments()).toEqual(['returning']);
    // Idle for more than 30 minutes: the visit is over, the gap is now 0 days.
    expect(engine.nextChangeAt()).toBe(clock.now() + 30 * MINUTE + 1);
    clock.set(engine.nextChangeAt()!);
    expect(engine.tick()).toEqual({ entered: ['rest'], exited: ['returning'] });
  });
});

describe('scores', () => {
  it('logistic, linear and lookalike, recomputed when their inputs change', () => {
    const clock = fakeClock(T0);
    const engine = createEngine(
      cfg({
        metrics: { orders: { event: 'purchase', agg: 'count' }, views: { event: 'view', agg: 'count' } },
        scores: {
          p: { model: 'logistic', bias: -1, weights: { 'metrics.orders': 1, 'traits.ltv': 0.01 }, defaults: { 'traits.ltv': 100 } },
          v: { model: 'linear', bias: 5, weights: { 'metrics.views': 2 } },
          like: { model: 'lookalike', features: ['metrics.orders', 'metrics.views'], centroid: [1, 3] },
        },
        segments: [{ id: 'lookalike', when: { 'scores.like': { $gte: 0.99 } } }],
      }),
      { now: clock.now },
    );
    expect(engine.context().scores).toEqual({ p: 0.5, v: 5, like: 0 });
    engine.ingest(event('purchase', {}, T0));
    for (let i = 0; i < 3; i++) engine.ingest(event('view', {}, T0));
    const s = engine.context().scores;
    expect(s.p).toBeCloseTo(1 / (1 + Math.exp(-1)));
    expect(s.v).toBe(11);
    expect(s.like).toBeCloseTo(1);
    expect(engine.segments()).toEqual(['lookalike']);
    engine.setProfile(profile(T0, { traits: { ltv: 300 } }));
    expect(engine.context().scores.p).toBeCloseTo(1 / (1 + Math.exp(-3)));
  });
});

describe('campaign history', () => {
  it('counts exposures and clicks per campaign; configured campaigns start at zero', () => {
    const clock = fakeClock(T0);
    const content = { text: 'Hi' };
    const engine = createEngine(
      cfg({
        campaigns: [{ id: 'spring', slot: 'hero', segments: ['all'], content }],
        segments: [
          { id: 'ignored-spring', when: { 'campaigns.spring.exposures': { $gte: 2 }, 'campaigns.spring.clicks': 0 } },
          { id: 'never-clicked', when: { 'campaigns.spring.clicks': 0 } },
          { id: 'all', fallback: true },
        ],
      }),
      { now: clock.now },
    );
    expect(engine.segments()).toEqual(['never-clicked']);
    engine.ingest(event('$exposure', { campaign: 'spring', slot: 'hero', control: false }, T0));
    clock.advance(DAY);
    engine.ingest(event('$exposure', { campaign: 'spring', slot: 'hero', control: false }, clock.now()));
    expect(engine.segments()).toEqual(['ignored-spring', 'never-clicked']);
    engine.ingest(event('$click', { campaign: 'spring', slot: 'hero' }, clock.now()));
    expect(engine.segments()).toEqual(['all']);
    expect(engine.context().campaigns.spring).toEqual({ exposures: 2, clicks: 1, lastAt: T0 + DAY, lastClickAt: T0 + DAY });
  });
});

describe('config changes', () => {
  it('keeps unchanged aggregates, rebuilds new ones from retained events, never twice', () => {
    const clock = fakeClock(T0);
    const v1 = cfg({ metrics: { orders: { event: 'purchase', agg: 'count' } } });
    const events = [event('purchase', { value: 10 }, T0), event('purchase', { value: 15 }, T0 + HOUR)];
    const engine = createEngine(v1, { now: clock.now });
    for (const e of events) engine.ingest(e);
    clock.set(T0 + 2 * HOUR);
    const state = JSON.parse(JSON.stringify(engine.snapshot()));

    // Key order differs, same definition: the aggregate is kept.
    const v2 = cfg({
      metrics: { orders: { agg: 'count', event: 'purchase' }, spend: { event: 'purchase', agg: 'sum', field: 'value' } },
      segments: [{ id: 'spender', when: { 'metrics.spend': { $gte: 30 } } }],
    });
    expect(createEngine(v1, { now: clock.now, state }).needsBackfill()).toBe(false);
    const next = createEngine(v2, { now: clock.now, state });
    expect(next.needsBackfill()).toBe(true);
    expect(next.context().metrics).toEqual({ orders: 2, spend: 0 });
    const third = event('purchase', { value: 5 }, clock.now());
    next.ingest(third); // arrives before the backfill
    expect(next.backfill([...events, third])).toEqual({ entered: ['spender'], exited: [] });
    expect(next.context().metrics).toEqual({ orders: 3, spend: 30 });
    expect(next.needsBackfill()).toBe(false);
    next.backfill(events); // a second call changes nothing
    expect(next.context().metrics).toEqual({ orders: 3, spend: 30 });
  });

  it('rebuilds everything, campaign history included, when there is no state', () => {
    const clock = fakeClock(T0);
    const engine = createEngine(cfg({ metrics: { orders: { event: 'purchase', agg: 'count' } } }), { now: clock.now });
    engine.backfill([event('purchase', {}, T0 - DAY), event('$exposure', { campaign: 'c1', slot: 'hero' }, T0 - DAY)]);
    const ctx = engine.context();
    expect(ctx.metrics.orders).toBe(1);
    expect(ctx.campaigns).toEqual({ c1: { exposures: 1, clicks: 0, lastAt: T0 - DAY } });
    expect(ctx.profile.firstSeen).toBe(T0 - DAY);
  });
});
