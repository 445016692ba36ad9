// Accumulators: the running aggregate of one metric (whole, per bucket, per minute cell), its
// value, and its stored form.

import type { MetricAgg } from '../config/types';
import { toJson } from '../shared/util';

/** What an accumulator needs to know of its metric. */
export interface AccMetric {
  agg: MetricAgg;
  /** distinct values kept at most */
  limit: number;
}

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

/** Stored accumulators leave out zero counts and sums: most cells hold a count alone. */
export type SerializedAcc = Omit<Acc, 'd' | 'n' | 's'> & { n?: number; s?: number; d?: string[] };
/** A live accumulator, or a stored one not yet copied (buckets are copied when written to). */
export type AnyAcc = Acc | SerializedAcc;

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export const newAcc = (): Acc => ({ n: 0, s: 0, lo: undefined, hi: undefined, fv: undefined, fa: undefined, lv: undefined, la: undefined, d: undefined });

/** Adds an event's observations (non-empty) at time `ts`. */
export function addTo(acc: Acc, metric: AccMetric, values: unknown[], ts: number): void {
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
      for (const v of values) if (d.size < metric.limit) d.add(toJson(v));
      break;
    }
    default: // first, last, firstAt, lastAt: the earliest and the latest event win (ties: first arrival / last arrival)
      if (acc.fa === undefined || ts < acc.fa) (acc.fa = ts), (acc.fv = values[0]);
      if (acc.la === undefined || ts >= acc.la) (acc.la = ts), (acc.lv = values[values.length - 1]);
  }
}

/** Folds a bucket into a running total (buckets come oldest first). */
export function mergeInto(total: Acc, b: AnyAcc): void {
  total.n += b.n ?? 0;
  total.s += b.s ?? 0;
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
export function valueOf(acc: Acc, metric: AccMetric): unknown {
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


export function saveAcc(acc: AnyAcc): SerializedAcc {
  const out: SerializedAcc = {};
  if (acc.n) out.n = acc.n;
  if (acc.s) out.s = acc.s;
  if (acc.lo !== undefined) out.lo = acc.lo;
  if (acc.hi !== undefined) out.hi = acc.hi;
  if (acc.fa !== undefined) (out.fa = acc.fa), (out.fv = acc.fv);
  if (acc.la !== undefined) (out.la = acc.la), (out.lv = acc.lv);
  if (acc.d) out.d = [...acc.d];
  return out;
}

export function restoreAcc(s: SerializedAcc): Acc {
  // One object shape for every accumulator keeps property access fast.
  return { n: s.n ?? 0, s: s.s ?? 0, lo: s.lo, hi: s.hi, fv: s.fv, fa: s.fa, lv: s.lv, la: s.la, d: s.d ? new Set(s.d) : undefined };
}
