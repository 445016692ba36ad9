// Metrics as persisted, incremental aggregates. A windowed metric keeps one accumulator per
// time bucket, so an event costs O(1) and a window roll only drops whole buckets.

import type { MetricAgg, MetricDef } from '../config/types';
import type { TrackedEvent } from '../core/types';
import { parseDuration } from '../config/time';
import { dict } from '../core/dict';
import { compileCondition, compilePath, ConditionError, Fanout, type Matcher } from './condition';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const DEFAULT_DISTINCT_LIMIT = 1000;
const NEEDS_FIELD: MetricAgg[] = ['sum', 'min', 'max', 'avg', 'first', 'last', 'distinct'];
const AGGS: MetricAgg[] = ['count', 'sum', 'min', 'max', 'avg', 'first', 'last', 'firstAt', 'lastAt', 'distinct'];

/** One accumulator; which fields are used depends on the aggregate. */
export interface Acc {
  /** count, or the number of numeric values (avg) */
  n: number;
  s: number;
  lo?: number;
  hi?: number;
  /** first value and its time, last value and its time */
  fv?: unknown;
  fa?: number;
  lv?: unknown;
  la?: number;
  /** distinct value keys (an array in snapshots) */
  d?: Set<string>;
}

/** JSON form of a metric's state. */
export interface MetricState {
  /** all-time accumulator */
  a?: SerializedAcc;
  /** [bucket index, accumulator] of a windowed metric, oldest first */
  b?: [number, SerializedAcc][];
}
export type SerializedAcc = Omit<Acc, 'd'> & { d?: string[] };
/** A live accumulator, or a stored one not yet copied (buckets are copied when written to). */
type AnyAcc = Acc | SerializedAcc;

/** The time grid of a window: `count` buckets of `size` ms, the current one included. */
export interface WindowGrid {
  size: number;
  count: number;
}

/**
 * At least 24 buckets per window, as coarse as possible: "7d" → 168 hours, "60d" → 60 days,
 * "12h" → 720 minutes. The window then errs by less than one bucket (≤ 1/24 of its length).
 */
export function windowGrid(windowMs: number): WindowGrid {
  const size = windowMs >= 24 * DAY ? DAY : windowMs >= 24 * HOUR ? HOUR : MINUTE;
  return { size, count: Math.max(1, Math.ceil(windowMs / size)) };
}

export const bucketOf = (ts: number, grid: WindowGrid) => Math.floor(ts / grid.size);

/** Is an event at `ts` inside the window at `now`? (The definition the reference evaluator shares.) */
export function inWindow(ts: number, now: number, grid: WindowGrid): boolean {
  return bucketOf(ts, grid) > bucketOf(now, grid) - grid.count;
}

export interface CompiledMetric {
  id: string;
  def: MetricDef;
  /** identifies the state: equal definitions share it across config versions */
  hash: string;
  events: string[];
  agg: MetricAgg;
  limit: number;
  grid?: WindowGrid;
  where?: Matcher;
  field?: (props: unknown) => unknown;
  /** per-item filter: `where` clauses on the array the field crosses ("items.item_category") */
  items?: { key: string; where: Matcher; field: (item: unknown) => unknown };
}

export function compileMetric(id: string, def: MetricDef): CompiledMetric {
  const at = `metrics.${id}`;
  if (!AGGS.includes(def.agg)) throw new ConditionError(`${at}.agg`, `unknown aggregate ${JSON.stringify(def.agg)}`);
  if (NEEDS_FIELD.includes(def.agg) && !def.field) throw new ConditionError(`${at}.field`, `aggregate "${def.agg}" needs a field`);
  const events = Array.isArray(def.event) ? def.event : [def.event];
  if (events.length === 0 || events.some((e) => typeof e !== 'string' || !e)) {
    throw new ConditionError(`${at}.event`, 'needs an event type or a list of them');
  }
  let grid: WindowGrid | undefined;
  if (def.window !== undefined) {
    const ms = parseDuration(def.window);
    if (!ms) throw new ConditionError(`${at}.window`, `bad duration ${JSON.stringify(def.window)} (e.g. "30m", "12h", "7d")`);
    grid = windowGrid(ms);
  }
  const limit = def.limit ?? DEFAULT_DISTINCT_LIMIT;
  const { eventWhere, itemWhere, head, rest } = splitWhere(def);
  return {
    id,
    def,
    hash: hashMetric(def, limit),
    events,
    agg: def.agg,
    limit,
    grid,
    where: eventWhere ? compileCondition(eventWhere, `${at}.where`) : undefined,
    field: def.field ? compilePath(def.field, `${at}.field`) : undefined,
    items: itemWhere
      ? { key: head, where: compileCondition(itemWhere, `${at}.where`), field: compilePath(rest, `${at}.field`) }
      : undefined,
  };
}

/**
 * With a field inside an array ("items.price"), `where` clauses on that array
 * ("items.item_category": "ski") pick the items that count, like SQL over unwound rows;
 * the other clauses filter the event.
 */
function splitWhere(def: MetricDef) {
  const dot = def.field ? def.field.indexOf('.') : -1;
  const head = dot > 0 ? def.field!.slice(0, dot) : '';
  const rest = dot > 0 ? def.field!.slice(dot + 1) : '';
  let eventWhere: Record<string, unknown> | undefined;
  let itemWhere: Record<string, unknown> | undefined;
  for (const [key, operand] of Object.entries(def.where ?? {})) {
    if (head && key.startsWith(`${head}.`)) (itemWhere ??= dict())[key.slice(head.length + 1)] = operand;
    else (eventWhere ??= dict())[key] = operand;
  }
  return { eventWhere, itemWhere, head, rest };
}

function hashMetric(def: MetricDef, limit: number): string {
  const events = (Array.isArray(def.event) ? [...def.event] : [def.event]).sort();
  return hash(canonical({ ...def, event: events, limit: def.agg === 'distinct' ? limit : undefined }));
}

/** JSON with sorted keys, so key order in the config does not change the hash. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** cyrb53: a fast 53-bit string hash, plenty for telling metric definitions apart. */
export function hash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

// ---- observations -------------------------------------------------------------------------

const NONE: unknown[] = [];
const ONE: unknown[] = [true];

/** What an event contributes: one mark per event without a field, else every value the field reaches. */
export function observe(metric: CompiledMetric, event: TrackedEvent): unknown[] {
  if (metric.where && !metric.where(event.props)) return NONE;
  if (!metric.field) return ONE;
  const out: unknown[] = [];
  if (metric.items) {
    const { key, where, field } = metric.items;
    const list = event.props[key];
    for (const item of Array.isArray(list) ? list : [list]) {
      if (typeof item === 'object' && item !== null && where(item)) collect(field(item), out);
    }
    return out;
  }
  collect(metric.field(event.props), out);
  return out;
}

function collect(r: unknown, out: unknown[]): void {
  const raw = r instanceof Fanout ? r.values : [r];
  for (const v of raw) {
    if (Array.isArray(v)) {
      for (const x of v) if (x !== null && x !== undefined) out.push(x);
    } else if (v !== null && v !== undefined) out.push(v);
  }
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export const newAcc = (): Acc => ({ n: 0, s: 0, lo: undefined, hi: undefined, fv: undefined, fa: undefined, lv: undefined, la: undefined, d: undefined });

/** Adds an event's observations (non-empty) at time `ts`. */
export function addTo(acc: Acc, metric: CompiledMetric, values: unknown[], ts: number): void {
  switch (metric.agg) {
    case 'count':
      acc.n += values.length;
      break;
    case 'sum':
    case 'avg':
      for (const v of values) if (isNum(v)) (acc.s += v), acc.n++;
      break;
    case 'min':
      for (const v of values) if (isNum(v) && (acc.lo === undefined || v < acc.lo)) acc.lo = v;
      break;
    case 'max':
      for (const v of values) if (isNum(v) && (acc.hi === undefined || v > acc.hi)) acc.hi = v;
      break;
    case 'distinct': {
      const d = (acc.d ??= new Set());
      for (const v of values) if (d.size < metric.limit) d.add(JSON.stringify(v));
      break;
    }
    default: // first, last, firstAt, lastAt: the earliest and the latest event win (ties: first arrival / last arrival)
      if (acc.fa === undefined || ts < acc.fa) (acc.fa = ts), (acc.fv = values[0]);
      if (acc.la === undefined || ts >= acc.la) (acc.la = ts), (acc.lv = values[values.length - 1]);
  }
}

/** Folds a bucket into a running total (buckets come oldest first). */
export function mergeInto(total: Acc, b: AnyAcc): void {
  total.n += b.n;
  total.s += b.s;
  if (b.lo !== undefined && (total.lo === undefined || b.lo < total.lo)) total.lo = b.lo;
  if (b.hi !== undefined && (total.hi === undefined || b.hi > total.hi)) total.hi = b.hi;
  if (b.fa !== undefined && (total.fa === undefined || b.fa < total.fa)) (total.fa = b.fa), (total.fv = b.fv);
  if (b.la !== undefined && (total.la === undefined || b.la >= total.la)) (total.la = b.la), (total.lv = b.lv);
  if (b.d) {
    const d = (total.d ??= new Set());
    // Each bucket holds at most `limit` values, so the capped union is still exact up to `limit`.
    for (const k of b.d) d.add(k);
  }
}

/** The metric's value: counts and sums start at 0; the others are missing until there is data. */
export function valueOf(acc: Acc, metric: CompiledMetric): unknown {
  switch (metric.agg) {
    case 'count':
      return acc.n;
    case 'sum':
      return acc.s;
    case 'avg':
      return acc.n ? acc.s / acc.n : undefined;
    case 'min':
      return acc.lo;
    case 'max':
      return acc.hi;
    case 'first':
      return acc.fv;
    case 'last':
      return acc.lv;
    case 'firstAt':
      return acc.fa;
    case 'lastAt':
      return acc.la;
    case 'distinct':
      return Math.min(acc.d?.size ?? 0, metric.limit);
  }
}

// ---- live state -----------------------------------------------------------------------------

/** A metric's live state: an all-time accumulator, or buckets plus their running total. */
export class MetricRuntime {
  total: Acc = newAcc();
  /** windowed only: [bucket index, acc, owned], ascending; stored buckets are borrowed until written */
  buckets: [number, AnyAcc, boolean][] = [];
  value: unknown;

  constructor(
    readonly metric: CompiledMetric,
    state: MetricState | undefined,
    now: number,
  ) {
    const grid = metric.grid;
    if (state?.a && !grid) this.total = restoreAcc(state.a);
    if (state?.b && grid) {
      // Buckets that left the window while the page was closed are not even restored, and the
      // others are read in place: start-up cost stays small with thousands of buckets.
      const oldest = bucketOf(now, grid) - grid.count + 1;
      for (const [i, a] of state.b) if (i >= oldest) this.buckets.push([i, a, false]);
    }
    this.rebuildTotal();
  }

  /** Adds an event; false when it did not count (filtered out, or older than the window). */
  add(event: TrackedEvent, now: number): boolean {
    const { metric } = this;
    const grid = metric.grid;
    if (grid && !inWindow(event.ts, now, grid)) return false;
    const values = observe(metric, event);
    if (values.length === 0) return false;
    addTo(this.total, metric, values, event.ts);
    if (grid) addTo(this.bucketAt(bucketOf(event.ts, grid)), metric, values, event.ts);
    this.value = valueOf(this.total, metric);
    return true;
  }

  private bucketAt(index: number): Acc {
    const b = this.buckets;
    let i = b.length;
    while (i > 0 && b[i - 1]![0] > index) i--;
    const found = i > 0 && b[i - 1]![0] === index ? b[i - 1]! : undefined;
    if (found) {
      if (!found[2]) (found[1] = restoreAcc(found[1] as SerializedAcc)), (found[2] = true);
      return found[1] as Acc;
    }
    const acc = newAcc();
    b.splice(i, 0, [index, acc, true]); // events arrive in time order: almost always an append
    return acc;
  }

  /** Drops buckets that left the window; true when the value may have changed. */
  roll(now: number): boolean {
    const grid = this.metric.grid;
    if (!grid || this.buckets.length === 0) return false;
    const oldest = bucketOf(now, grid) - grid.count + 1;
    let drop = 0;
    while (drop < this.buckets.length && this.buckets[drop]![0] < oldest) drop++;
    if (drop === 0) return false;
    this.buckets.splice(0, drop);
    this.rebuildTotal();
    return true;
  }

  /** When the oldest bucket leaves the window (undefined: nothing to expire). */
  expiresAt(): number | undefined {
    const grid = this.metric.grid;
    if (!grid || this.buckets.length === 0) return undefined;
    return (this.buckets[0]![0] + grid.count) * grid.size;
  }

  private rebuildTotal(): void {
    if (this.metric.grid) {
      this.total = newAcc();
      for (const [, acc] of this.buckets) mergeInto(this.total, acc);
    }
    this.value = valueOf(this.total, this.metric);
  }

  state(): MetricState {
    return this.metric.grid ? { b: this.buckets.map(([i, a]) => [i, saveAcc(a)]) } : { a: saveAcc(this.total) };
  }
}

function saveAcc(acc: AnyAcc): SerializedAcc {
  const out: SerializedAcc = { n: acc.n, s: acc.s };
  if (acc.lo !== undefined) out.lo = acc.lo;
  if (acc.hi !== undefined) out.hi = acc.hi;
  if (acc.fa !== undefined) (out.fa = acc.fa), (out.fv = acc.fv);
  if (acc.la !== undefined) (out.la = acc.la), (out.lv = acc.lv);
  if (acc.d) out.d = [...acc.d];
  return out;
}

function restoreAcc(s: SerializedAcc): Acc {
  // One object shape for every accumulator keeps property access fast.
  return { n: s.n, s: s.s, lo: s.lo, hi: s.hi, fv: s.fv, fa: s.fa, lv: s.lv, la: s.la, d: s.d ? new Set(s.d) : undefined };
}
