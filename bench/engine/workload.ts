// A realistic large engine workload: 200 metrics and 1,000 segments over a shop's event mix.
// Browser-safe (no Node imports), so the Chromium benchmark can bundle it as is.
import type { Condition, MetricAgg, MetricDef, MicrosegConfig, SegmentDef } from '../../src/config/types';
import type { TrackedEvent } from '../../src/shared/types';
import { createEngine, type Engine } from '../../src/engine';

const MINUTE = 60_000;
const DAY = 86_400_000;
export const START = Date.UTC(2026, 0, 1, 9, 0);

export const EVENT_TYPES = [
  'page', 'view_item', 'view_item_list', 'select_item', 'add_to_cart', 'remove_from_cart', 'begin_checkout',
  'add_payment_info', 'purchase', 'refund', 'search', 'login', 'sign_up', 'share', 'view_promotion',
  'select_promotion', 'add_to_wishlist', 'generate_lead', '$exposure', '$click',
];
// Roughly how often each type occurs on a shop (pages and product views dominate).
const WEIGHTS = [30, 25, 8, 5, 5, 1, 2, 1, 1, 0.2, 4, 1, 0.3, 0.3, 3, 1, 1, 0.2, 3, 1];
const CATEGORIES = ['handbags', 'shoes', 'ski', 'jackets', 'watches', 'beauty', 'kids', 'home'];
const CHANNELS = ['direct', 'search', 'social', 'email', 'paid'];

/** A small seeded PRNG, so every run (Node or browser) measures the same workload. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function largeConfig(metricCount = 200, segmentCount = 1000, seed = 1): MicrosegConfig {
  const r = rng(seed);
  const pick = <T>(list: T[]): T => list[Math.floor(r() * list.length)]!;
  const aggs: MetricAgg[] = ['count', 'count', 'count', 'sum', 'max', 'avg', 'lastAt', 'distinct'];
  const windows = [undefined, undefined, '30m', '24h', '7d', '30d', '60d', '90d'];
  const metrics: Record<string, MetricDef> = {};
  for (let i = 0; i < metricCount; i++) {
    const agg = pick(aggs);
    const def: MetricDef = { event: pick(EVENT_TYPES), agg };
    if (agg === 'sum' || agg === 'max' || agg === 'avg') def.field = pick(['value', 'items.price']);
    if (agg === 'distinct') def.field = 'items.item_id';
    const window = pick(windows);
    if (window) def.window = window;
    if (r() < 0.5) def.where = { items: { $elemMatch: { item_category: pick(CATEGORIES) } } };
    else if (r() < 0.2) def.where = { value: { $gte: Math.round(r() * 200) } };
    metrics[`m${i}`] = def;
  }
  const metricIds = Object.keys(metrics);
  const clause = (i: number): Condition => {
    const x = r();
    if (x < 0.6) return { [`metrics.${pick(metricIds)}`]: { [pick(['$gte', '$lt', '$gt', '$eq'])]: Math.floor(r() * 5) } };
    if (x < 0.7) return { 'profile.daysSinceFirstSeen': { $lt: 1 + Math.floor(r() * 60) } };
    if (x < 0.75) return { 'profile.channel': { $in: [pick(CHANNELS), pick(CHANNELS)] } };
    if (x < 0.8) return { 'profile.device': pick(['mobile', 'desktop']) };
    if (x < 0.85) return { 'scores.churn': { $gt: Math.round(r() * 100) / 100 } };
    if (x < 0.9) return { 'labels.complaint.ageDays': { $lt: 14 } };
    if (x < 0.95 && i > 10) return { segments: `s${Math.floor(r() * i)}` };
    return { 'traits.tier': pick(['gold', 'silver']) };
  };
  const segments: SegmentDef[] = [];
  for (let i = 0; i < segmentCount - 1; i++) {
    const n = 2 + Math.floor(r() * 3);
    const clauses = Array.from({ length: n }, () => clause(i));
    segments.push({ id: `s${i}`, when: r() < 0.2 ? { $or: clauses } : Object.assign({}, ...clauses) });
  }
  segments.push({ id: 'everyone', fallback: true });
  return {
    schema: 1,
    version: 'bench',
    metrics,
    scores: {
      churn: {
        model: 'logistic',
        bias: -1,
        weights: { 'profile.daysSinceLastVisit': 0.05, [`metrics.${metricIds[0]}`]: -0.2, [`metrics.${metricIds[1]}`]: -0.1 },
      },
    },
    segments,
  };
}

/** A visitor's event stream: `count` events spread over `days`, in time order. */
export function eventStream(count: number, days: number, seed = 2, start = START): TrackedEvent[] {
  const r = rng(seed);
  const total = WEIGHTS.reduce((a, b) => a + b, 0);
  const step = (days * DAY) / count;
  const events: TrackedEvent[] = [];
  for (let i = 0; i < count; i++) {
    let x = r() * total;
    let t = 0;
    while (x > WEIGHTS[t]! && t < WEIGHTS.length - 1) x -= WEIGHTS[t++]!;
    events.push(makeEvent(i, EVENT_TYPES[t]!, start + Math.floor(i * step), r));
  }
  return events;
}

function makeEvent(i: number, type: string, ts: number, r: () => number): TrackedEvent {
  const items = Array.from({ length: 1 + Math.floor(r() * 3) }, () => ({
    item_id: `sku-${Math.floor(r() * 500)}`,
    item_category: CATEGORIES[Math.floor(r() * CATEGORIES.length)],
    price: Math.round(r() * 300),
  }));
  return {
    id: `ev-${i}`,
    type,
    ts,
    seq: i,
    props: { value: items.reduce((a, it) => a + it.price, 0), currency: 'EUR', items, campaign: 'c1', slot: 'hero' },
    page: { url: 'https://shop.test/p', path: '/p', title: 'Shop', referrer: '' },
    aid: 'bench',
    visit: 1,
  };
}

export function quantiles(samples: number[]): { p50: number; p95: number; p99: number; max: number; mean: number } {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: s[s.length - 1]!, mean: s.reduce((a, b) => a + b, 0) / s.length };
}

export interface MembershipResult {
  segments: number;
  metrics: number;
  events: number;
  /** microseconds per ingest() (membership update included) */
  perEventUs: { p50: number; p95: number; p99: number; max: number; mean: number };
  /** total time / events: robust where the timer is coarse (browsers without isolation) */
  batchMeanUs: number;
  membershipChanges: number;
}

/**
 * Per-event membership update: ingest() of one event into an engine with 1,000 segments and
 * 200 metrics, after a warm-up history. Exported for the Chromium run.
 */
export function membershipWorkload(opts: { events?: number; warmup?: number; segments?: number; metrics?: number } = {}): MembershipResult {
  const { events = 20_000, warmup = 5_000, segments = 1000, metrics = 200 } = opts;
  const config = largeConfig(metrics, segments);
  const stream = eventStream(warmup + events, 30);
  let now = stream[0]!.ts;
  const engine: Engine = createEngine(config, { now: () => now });
  engine.setProfile({
    anonymousId: 'bench', firstSeen: now, lastSeen: now, visits: 1, visitStart: now, device: 'mobile',
    channel: 'email', utm: {}, referrer: '', url: 'https://shop.test/', traits: { tier: 'gold' },
  });
  engine.setLabels({ complaint: { name: 'complaint', at: now, channel: 'call-centre' } });
  for (let i = 0; i < warmup; i++) {
    now = stream[i]!.ts;
    engine.ingest(stream[i]!);
  }
  const samples = new Array<number>(events);
  let changes = 0;
  const began = performance.now();
  for (let i = 0; i < events; i++) {
    const e = stream[warmup + i]!;
    now = e.ts + MINUTE / 60;
    const t0 = performance.now();
    const change = engine.ingest(e);
    samples[i] = (performance.now() - t0) * 1000;
    changes += change.entered.length + change.exited.length;
  }
  const total = (performance.now() - began) * 1000;
  return { segments, metrics, events, perEventUs: round(quantiles(samples)), batchMeanUs: +(total / events).toFixed(2), membershipChanges: changes };
}

function round<T extends Record<string, number>>(o: T): T {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, +v.toFixed(2)])) as T;
}
