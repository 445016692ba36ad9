// Metrics as persisted, incremental aggregates.
//
// Exact windows. An event leaves a window at its timestamp + the window, for every window length
// (`7d` is 7 × 24 h), to the millisecond for an event alone in its minute and at most one minute
// late (never early) when several share a minute. For scale a windowed metric keeps coarse
// buckets (at least 24 per window: minutes, hours or days), each with its accumulator, and inside
// each bucket one accumulator per minute that had events ("cells"), with the time of the cell's
// latest event: the cell leaves when that event does. The body of the window is the merge of
// whole buckets; only the one bucket the trailing edge cuts through is made exact from its cells:
// as the edge passes a cell, the cell is dropped and that bucket's accumulator is rebuilt from the
// cells left. So every aggregate (count,
// sum, min, max, avg, first/last, distinct) is exact at the edge; an event costs O(1); stored
// state is bounded by the window in minutes (and by the events in it), and start-up merges
// buckets, not events.

import type { MetricAgg, MetricDef } from '../config/types';
import type { TrackedEvent } from '../shared/types';
import { parseDuration } from '../config/time';
import { dict } from '../shared/dict';
import { compileCondition, compilePath, ConditionError, Fanout, type Matcher } from '../condition';
import { canonicalHash, type Hashes } from './digest';
import { addTo, mergeInto, newAcc, restoreAcc, saveAcc, valueOf, type Acc, type AnyAcc, type SerializedAcc } from './accumulators';
import { DAY, HOUR, MINUTE } from '../shared/constants';

const DEFAULT_DISTINCT_LIMIT = 1000;
const NEEDS_FIELD: MetricAgg[] = ['sum', 'min', 'max', 'avg', 'first', 'last', 'distinct'];
const AGGS: MetricAgg[] = ['count', 'sum', 'min', 'max', 'avg', 'first', 'last', 'firstAt', 'lastAt', 'distinct'];

/** JSON form of a metric's state. */
export interface MetricState {
  /** all-time accumulator */
  a?: SerializedAcc;
  /** [bucket index, accumulator, latest event time, minute cells] of a windowed metric, oldest first */
  b?: StoredBucket[];
}
/**
 * A minute's events: [time of its latest event, as ms after the bucket's start; accumulator].
 * The same form live and stored, so stored cells are read in place.
 */
type Cell = [latest: number, acc: AnyAcc];
type StoredBucket = [index: number, acc: SerializedAcc, latest: number, cells?: [number, SerializedAcc][], width?: number];
interface Bucket {
  i: number;
  acc: AnyAcc;
  /** time of the bucket's latest event: the bucket has left the window once it has */
  t: number;
  /** minute cells, ascending; absent when the bucket is itself one minute */
  cells?: Cell[];
  /** the bucket's start: cell times count from here */
  start: number;
  /** cell width in minutes: 1, doubled each time the bucket would hold more than CELLS_PER_BUCKET */
  w: number;
  /** false while acc and cells are still the stored (read-only) objects */
  owned: boolean;
}

/** A window: its length, and coarse buckets of `size` ms made of `cellsPer` one-minute cells. */
export interface WindowGrid {
  ms: number;
  size: number;
  cellsPer: number;
}

/** At least 24 buckets per window, as coarse as possible: "7d" → hours, "60d" → days, "12h" → minutes. */
function windowGrid(windowMs: number): WindowGrid {
  const size = windowMs >= 24 * DAY ? DAY : windowMs >= 24 * HOUR ? HOUR : MINUTE;
  return { ms: windowMs, size, cellsPer: size / MINUTE };
}

/** Does an event at `ts` still count at `now`? */
export const inWindow = (ts: number, now: number, grid: WindowGrid): boolean => ts + grid.ms > now;

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

export function compileMetric(id: string, def: MetricDef, hashes?: Hashes): CompiledMetric {
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
    hash: hashMetric(def, limit, hashes),
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

/** Bumped when the stored form of a windowed metric changes: older state is rebuilt by backfill. */
const WINDOW_STATE = 2;

function hashMetric(def: MetricDef, limit: number, hashes: Hashes | undefined): string {
  const events = (Array.isArray(def.event) ? [...def.event] : [def.event]).sort();
  const form = def.window === undefined ? undefined : WINDOW_STATE;
  return canonicalHash({ ...def, event: events, limit: def.agg === 'distinct' ? limit : undefined, $state: form }, hashes);
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
  if (r instanceof Fanout) for (const v of r.values) collectOne(v, out);
  else collectOne(r, out); // the common case: one value, no list made for it
}

function collectOne(v: unknown, out: unknown[]): void {
  if (Array.isArray(v)) {
    for (const x of v) if (x !== null && x !== undefined) out.push(x);
  } else if (v !== null && v !== undefined) out.push(v);
}

// ---- live state -----------------------------------------------------------------------------

/** A metric's live state: an all-time accumulator, or buckets plus their running total. */
export class MetricRuntime {
  total: Acc = newAcc();
  /** windowed only: ascending by index; stored buckets are borrowed until written */
  buckets: Bucket[] = [];
  value: unknown;
  /** its context key, "metrics.<id>" (made once: change tracking looks it up per event) */
  readonly key: string;

  constructor(
    readonly metric: CompiledMetric,
    state: MetricState | undefined,
    now: number,
  ) {
    this.key = `metrics.${metric.id}`;
    const grid = metric.grid;
    if (state?.a && !grid) this.total = restoreAcc(state.a);
    if (state?.b && grid) {
      // Buckets that left the window while the page was closed are not even restored, and the
      // others are read in place: start-up cost stays small with thousands of buckets.
      for (const [i, acc, t, cells, w] of state.b) {
        if (inWindow(t, now, grid)) this.buckets.push({ i, acc, t, cells: grid.cellsPer > 1 ? (cells ?? []) : undefined, start: i * grid.size, w: w ?? 1, owned: false });
      }
      this.dropExpired(now);
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
    if (grid) {
      const bucket = this.bucketAt(Math.floor(event.ts / grid.size));
      addTo(bucket.acc as Acc, metric, values, event.ts);
      if (event.ts > bucket.t) bucket.t = event.ts;
      if (bucket.cells) addTo(cellAt(bucket, event.ts - bucket.start), metric, values, event.ts);
    }
    this.value = valueOf(this.total, metric);
    return true;
  }

  private bucketAt(index: number): Bucket {
    const b = this.buckets;
    let i = b.length;
    while (i > 0 && b[i - 1]!.i > index) i--;
    const found = i > 0 && b[i - 1]!.i === index ? b[i - 1]! : undefined;
    if (found) return own(found);
    const grid = this.metric.grid!;
    const bucket: Bucket = { i: index, acc: newAcc(), t: -Infinity, cells: grid.cellsPer > 1 ? [] : undefined, start: index * grid.size, w: 1, owned: true };
    b.splice(i, 0, bucket); // events arrive in time order: almost always an append
    return bucket;
  }

  /** Drops what left the window; true when the value may have changed. */
  roll(now: number): boolean {
    if (!this.metric.grid || !this.dropExpired(now)) return false;
    this.rebuildTotal();
    return true;
  }

  /** Drops whole buckets behind the trailing edge, and the cells it passed in the bucket it cuts. */
  private dropExpired(now: number): boolean {
    const grid = this.metric.grid!;
    const b = this.buckets;
    let drop = 0;
    let changed = false;
    while (drop < b.length) {
      const first = b[drop]!;
      if (!inWindow(first.t, now, grid)) {
        drop++;
        continue;
      }
      const cells = first.cells;
      let gone = 0;
      while (cells && gone < cells.length && !inWindow(first.start + cells[gone]![0], now, grid)) gone++;
      if (cells && gone === cells.length) {
        drop++;
        continue;
      }
      if (gone > 0) {
        own(first).cells!.splice(0, gone);
        first.acc = newAcc();
        for (const [, acc] of first.cells!) mergeInto(first.acc as Acc, acc);
        changed = true;
      }
      break;
    }
    if (drop > 0) b.splice(0, drop);
    return changed || drop > 0;
  }

  /** When the next event leaves the window (undefined: nothing to expire). */
  expiresAt(): number | undefined {
    const grid = this.metric.grid;
    const first = this.buckets[0];
    if (!grid || !first) return undefined;
    return (first.cells?.length ? first.start + first.cells[0]![0] : first.t) + grid.ms;
  }

  private rebuildTotal(): void {
    if (this.metric.grid) {
      this.total = newAcc();
      for (const { acc } of this.buckets) mergeInto(this.total, acc);
    }
    this.value = valueOf(this.total, this.metric);
  }

  state(): MetricState {
    if (!this.metric.grid) return { a: saveAcc(this.total) };
    return {
      b: this.buckets.map(({ i, acc, t, cells, w, owned }): StoredBucket => {
        // A bucket never written since it was restored is still its stored form.
        const stored: StoredBucket = owned ? [i, saveAcc(acc), t] : [i, acc as SerializedAcc, t];
        if (cells) stored.push(owned ? cells.map(([at, a]) => [at, saveAcc(a)]) : (cells as [number, SerializedAcc][]));
        if (cells && w > 1) stored.push(w);
        return stored;
      }),
    };
  }
}

/** Makes a stored bucket writable: its accumulators become live copies. */
function own(bucket: Bucket): Bucket {
  if (!bucket.owned) {
    bucket.acc = restoreAcc(bucket.acc as SerializedAcc);
    if (bucket.cells) bucket.cells = bucket.cells.map(([at, a]) => [at, restoreAcc(a as SerializedAcc)]);
    bucket.owned = true;
  }
  return bucket;
}

/**
 * Cells one bucket keeps. A bucket with events in more minutes than this doubles its cells'
 * width (merging neighbours), so stored state stays bounded by the number of buckets however
 * dense the history; the edge is then exact to the cell's width (a day with events in every
 * minute: 64-minute cells), never early.
 */
const CELLS_PER_BUCKET = 24;

/**
 * The accumulator of the cell of `at` (ms after the bucket's start) in a bucket's ascending
 * cell list, created when missing. Buckets start on whole minutes, so a cell is known by the
 * time of its latest event.
 */
function cellAt(bucket: Bucket, at: number): Acc {
  const cells = bucket.cells!;
  const span = bucket.w * MINUTE;
  const key = Math.floor(at / span);
  let i = cells.length;
  while (i > 0 && Math.floor(cells[i - 1]![0] / span) > key) i--;
  const found = i > 0 && Math.floor(cells[i - 1]![0] / span) === key ? cells[i - 1]! : undefined;
  if (found) {
    if (at > found[0]) found[0] = at;
    return found[1] as Acc;
  }
  const acc = newAcc();
  cells.splice(i, 0, [at, acc]);
  if (cells.length <= CELLS_PER_BUCKET) return acc;
  coarsen(bucket);
  return cellAt(bucket, at);
}

/** Doubles a bucket's cell width: neighbouring cells merge, each leaving with its latest event. */
function coarsen(bucket: Bucket): void {
  bucket.w *= 2;
  const span = bucket.w * MINUTE;
  const merged: Cell[] = [];
  for (const [at, acc] of bucket.cells!) {
    const last = merged[merged.length - 1];
    if (last && Math.floor(last[0] / span) === Math.floor(at / span)) {
      mergeInto(last[1] as Acc, acc);
      last[0] = at;
    } else {
      const copy = newAcc();
      mergeInto(copy, acc);
      merged.push([at, copy]);
    }
  }
  bucket.cells = merged;
}

