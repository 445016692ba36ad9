// On random configs, random event streams and random clock jumps, the incremental engine
// (snapshots and restarts included) agrees with the reference evaluator at every step. The clock
// is often moved to just before, at and just after the moment an event leaves a window.
// Event times are whole minutes here: the engine is exact to the millisecond for them, and at most
// one minute late for events sharing a minute (windows.test.ts checks that bound).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Condition, MetricAgg, MetricDef, MicrosegConfig, SegmentDef } from '../../../src/config/types';
import type { TrackedEvent } from '../../../src/shared/types';
import { createEngine, type Engine, type Label } from '../../../src/engine';
import { parseDuration } from '../../../src/config/time';
import { DAY, HOUR, MINUTE, profile } from './helpers';
import { evaluate } from './reference';

const T0 = Date.UTC(2026, 0, 5, 8, 30);
/**
 * Events per scenario: no more than a bucket keeps one-minute cells for (24), so every edge is
 * exact here; windows.test.ts covers buckets with events in more minutes than that.
 */
const MAX_EVENTS = 24;
const TYPES = ['view', 'purchase', '$exposure', '$click'];
const AGGS: MetricAgg[] = ['count', 'sum', 'min', 'max', 'avg', 'first', 'last', 'firstAt', 'lastAt', 'distinct'];

const metricDef: fc.Arbitrary<MetricDef> = fc
  .record({
    event: fc.oneof(fc.constantFrom(...TYPES), fc.subarray(TYPES, { minLength: 1, maxLength: 2 })),
    agg: fc.constantFrom(...AGGS),
    field: fc.constantFrom(undefined, 'value', 'items.price', 'tags'),
    window: fc.constantFrom(undefined, undefined, '90s', '20m', '2h', '1d', '3d', '7d', '30d', '60d'),
    where: fc.constantFrom<Condition | undefined>(
      undefined,
      { value: { $gt: 50 } },
      { 'items.cat': 'a' },
      { items: { $elemMatch: { cat: 'b', price: { $gte: 10 } } } },
      { tags: { $in: ['x', 'y'] } },
      { $or: [{ value: { $lt: 20 } }, { tags: 'z' }] },
    ),
    limit: fc.constantFrom(undefined, 2, 3),
  })
  .map((m) => {
    const def: MetricDef = { event: m.event, agg: m.agg };
    const needsField = !['count', 'firstAt', 'lastAt'].includes(m.agg);
    if (m.field || needsField) def.field = m.field ?? 'value';
    if (m.window) def.window = m.window;
    if (m.where) def.where = m.where;
    if (m.agg === 'distinct' && m.limit) def.limit = m.limit;
    return def;
  });

const threshold = fc.integer({ min: -2, max: 12 });
const op = fc.constantFrom('$gt', '$gte', '$lt', '$lte', '$eq', '$ne');

function clause(metricIds: string[], earlier: string[]): fc.Arbitrary<Condition> {
  const options: fc.Arbitrary<Condition>[] = [
    fc.tuple(fc.constantFrom(...metricIds), op, threshold).map(([m, o, t]) => ({ [`metrics.${m}`]: { [o]: t * 10 } })),
    fc.tuple(fc.constantFrom(...metricIds), op, threshold).map(([m, o, t]) => ({ [`metrics.${m}`]: { [o]: t } })),
    fc.tuple(fc.constantFrom(...metricIds)).map(([m]) => ({ [`metrics.${m}`]: { $exists: true } })),
    fc.tuple(op, threshold).map(([o, t]) => ({ 'profile.daysSinceFirstSeen': { [o]: t } })),
    fc.tuple(op, threshold).map(([o, t]) => ({ 'profile.daysSinceLastVisit': { [o]: t } })),
    fc.tuple(op, threshold).map(([o, t]) => ({ 'labels.vip.ageDays': { [o]: t } })),
    fc.constant({ 'labels.blocked': { $exists: true } }),
    fc.integer({ min: 0, max: 23 }).map((h) => ({ 'profile.hour': { $gte: h } })),
    fc.tuple(op, fc.double({ min: 0, max: 1, noNaN: true })).map(([o, t]) => ({ 'scores.p': { [o]: t } })),
    fc.constantFrom({ 'campaigns.c1.exposures': { $gte: 1 } }, { 'campaigns.c2.clicks': 0 }),
    fc.constantFrom({ 'profile.device': 'mobile' }, { 'profile.visits': { $gte: 3 } }, { 'traits.tier': 'gold' }, { 'profile.utm.medium': 'email' }),
  ];
  if (earlier.length) {
    options.push(fc.constantFrom(...earlier).map((id) => ({ segments: id })));
    options.push(fc.constantFrom(...earlier).map((id) => ({ segments: { $nin: [id] } })));
  }
  return fc.oneof(...options);
}

const scenario = fc
  .record({
    metrics: fc.array(metricDef, { minLength: 1, maxLength: 4 }),
    segmentCount: fc.integer({ min: 1, max: 5 }),
    seed: fc.integer(),
  })
  .chain(({ metrics, segmentCount }) => {
    const metricIds = metrics.map((_, i) => `m${i}`);
    const segs: fc.Arbitrary<SegmentDef>[] = [];
    for (let i = 0; i < segmentCount; i++) {
      const earlier = Array.from({ length: i }, (_, j) => `s${j}`);
      segs.push(
        fc.array(clause(metricIds, earlier), { minLength: 1, maxLength: 3 }).chain((clauses) =>
          fc.constantFrom<Condition>(
            Object.assign({}, ...clauses),
            { $or: clauses },
            { $and: clauses },
            { $nor: clauses.slice(0, 1) },
          ).map((when) => ({ id: `s${i}`, when })),
        ),
      );
    }
    const config = fc.tuple(...segs, fc.boolean()).map((list) => {
      const withFallback = list[list.length - 1] as boolean;
      const segments = (list.slice(0, -1) as SegmentDef[]).reverse(); // dependents before their dependencies in the config
      if (withFallback) segments.push({ id: 'rest', fallback: true });
      const c: MicrosegConfig = {
        schema: 1,
        version: 'prop',
        metrics: Object.fromEntries(metrics.map((m, i) => [`m${i}`, m])),
        scores: { p: { model: 'logistic', bias: -1, weights: { [`metrics.m0`]: 0.05, 'profile.daysSinceLastVisit': 0.3 } } },
        segments,
        campaigns: [{ id: 'c2', slot: 'hero', segments: [], content: {} }],
      };
      return c;
    });
    const item = fc.record({ cat: fc.constantFrom('a', 'b', 'c'), price: fc.integer({ min: 0, max: 100 }) });
    const props = fc.record(
      {
        value: fc.oneof(fc.integer({ min: 0, max: 120 }), fc.constant('n/a')),
        items: fc.array(item, { maxLength: 3 }),
        tags: fc.subarray(['x', 'y', 'z']),
        campaign: fc.constantFrom('c1', 'c2'),
        control: fc.boolean(),
      },
      { requiredKeys: [] },
    );
    const action = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('event' as const), type: fc.constantFrom(...TYPES), props, lag: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 4 * DAY })) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), pick: fc.nat() }) },
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant('jump' as const),
          ms: fc.oneof(fc.integer({ min: 0, max: 10 * MINUTE }), fc.integer({ min: 0, max: 6 * HOUR }), fc.integer({ min: 0, max: 8 * DAY })),
        }),
      },
      { weight: 1, arbitrary: fc.constant({ kind: 'timer' as const }) },
      // To an event's leaving time in some metric's window, give or take a millisecond or a minute.
      {
        weight: 3,
        arbitrary: fc.record({ kind: fc.constant('edge' as const), pick: fc.nat(), metric: fc.nat(), delta: fc.constantFrom(-MINUTE, -1, 0, 1, MINUTE) }),
      },
      // The page closes and reopens later: a new engine from the stored snapshot.
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), closedFor: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10 * DAY })) }) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('profile' as const),
          device: fc.constantFrom('mobile' as const, 'desktop' as const),
          tier: fc.constantFrom('gold', 'silver'),
          medium: fc.constantFrom('email', 'cpc'),
        }),
      },
    );
    const labels = fc.record({
      vipAt: fc.integer({ min: -5 * DAY, max: 5 * DAY }),
      blockedFor: fc.option(fc.integer({ min: HOUR, max: 6 * DAY })),
    });
    return fc.tuple(config, fc.array(action, { minLength: 5, maxLength: 60 }), labels, fc.integer({ min: 0, max: 10 * DAY }));
  });

describe('incremental engine = reference evaluator', () => {
  it('agrees on metrics, scores and memberships at every step', () => {
    fc.assert(
      fc.property(scenario, ([config, actions, lbl, firstSeenAgo]) => {
        let now = T0;
        const clock = () => now;
        const visitor = profile(T0 - firstSeenAgo);
        const labels: Record<string, Label> = {
          vip: { name: 'vip', at: T0 + lbl.vipAt, channel: 'store' },
        };
        if (lbl.blockedFor !== null) labels.blocked = { name: 'blocked', at: T0, channel: 'web', expires: T0 + lbl.blockedFor };
        let engine: Engine = createEngine(config, { now: clock });
        engine.setProfile(visitor);
        engine.setLabels(labels);
        const ingested: TrackedEvent[] = [];
        let n = 0;

        const check = (where: string) => {
          const ref = evaluate(config, ingested, now, visitor, labels);
          const ctx = engine.context();
          expect(ctx.metrics, `${where}: metrics`).toEqual(ref.metrics);
          for (const [id, v] of Object.entries(ref.scores)) expect(ctx.scores[id], `${where}: score ${id}`).toBeCloseTo(v, 9);
          expect(engine.segments(), `${where}: segments`).toEqual(ref.segments);
          // Nothing may change before the engine's next wake-up time.
          const next = engine.nextChangeAt();
          expect(next === undefined || next > now).toBe(true);
          const probe = next === undefined ? now + 40 * DAY : now + Math.floor((next - now) / 2);
          const before = next === undefined ? now + 40 * DAY : next - 1;
          for (const t of [probe, before]) {
            expect(evaluate(config, ingested, t, visitor, labels).segments, `${where}: nothing changes until ${t - now} ms later`).toEqual(ref.segments);
          }
        };

        for (const [i, a] of actions.entries()) {
          const where = `step ${i} (${a.kind})`;
          if (a.kind === 'event' && n >= MAX_EVENTS) {
            // (no more events: see MAX_EVENTS)
          } else if (a.kind === 'event') {
            const ts = Math.floor((now - a.lag) / MINUTE) * MINUTE;
            const e: TrackedEvent = { id: `e${++n}`, type: a.type, ts, seq: n, props: a.props, page: { url: '', path: '', title: '', referrer: '' }, aid: 'a', visit: 1 };
            ingested.push(e);
            engine.ingest(e);
          } else if (a.kind === 'duplicate' && ingested.length) {
            const e = ingested[a.pick % ingested.length]!;
            ingested.push(e);
            engine.ingest({ ...e });
          } else if (a.kind === 'jump') {
            now += a.ms;
          } else if (a.kind === 'edge' && ingested.length) {
            const windows = Object.values(config.metrics!).flatMap((m) => (m.window ? [parseDuration(m.window)] : []));
            const target = windows.length ? ingested[a.pick % ingested.length]!.ts + windows[a.metric % windows.length]! + a.delta : now;
            if (target > now) now = target;
          } else if (a.kind === 'timer') {
            const next = engine.nextChangeAt();
            if (next !== undefined) now = next;
            engine.tick();
          } else if (a.kind === 'profile') {
            // The tracker mutates one profile object in place and passes it again.
            visitor.visits++;
            visitor.device = a.device;
            visitor.traits.tier = a.tier;
            visitor.utm = { medium: a.medium };
            engine.setProfile(visitor);
          } else if (a.kind === 'restart') {
            const stored = JSON.stringify(engine.snapshot());
            now += a.closedFor;
            engine = createEngine(config, { now: clock, state: JSON.parse(stored) });
          }
          check(where);
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 1000) },
    );
  }, 120_000);
});
