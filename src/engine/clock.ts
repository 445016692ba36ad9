// The next change by time alone: the next local hour, the next whole day a rule's threshold can
// be crossed, the end of the visit, a label expiring. Pure: the engine passes what it knows.

import { labelsInForce, type LabelRecords } from '../labels/labels';
import { DAY, VISIT_IDLE } from '../shared/constants';
import { wholeDays } from './history';
import type { Activity } from './types';
import type { DependencyGraph } from './graph';

type Reads = Pick<DependencyGraph, 'isUsed' | 'dayThresholds'>;

/**
 * The next moment after `t` a profile or label value changes with the clock alone. With `reads`,
 * only the values some segment or score reads (the public timer); without, every value (the
 * internal check that keeps the context itself fresh).
 */
export function nextClockChange(t: number, firstSeen: number | undefined, activity: Activity, labels: LabelRecords, reads?: Reads): number {
  return Math.min(nextSteadyChange(t, firstSeen, activity.previousVisitEnd, labels, reads), nextLastVisitChange(t, activity.last, reads));
}

/**
 * nextClockChange for one reader, asked after every event: the part an event leaves alone (the
 * hour, the days since first seen and since the previous visit, the labels) is worked out again
 * only when its inputs change or time reaches it. Until then no input of it can move it. (Label
 * records are replaced on every change, never changed in place: the same object is the same labels.)
 */
export function clockFor(reads: Reads): (t: number, firstSeen: number | undefined, activity: Activity, labels: LabelRecords) => number {
  let kept: { from: number; at: number; firstSeen: number | undefined; previous: number | undefined; labels: LabelRecords } | undefined;
  return (t, firstSeen, activity, labels) => {
    const previous = activity.previousVisitEnd;
    const fresh = kept && kept.firstSeen === firstSeen && kept.previous === previous && kept.labels === labels && t >= kept.from && t < kept.at;
    if (!fresh) kept = { from: t, at: nextSteadyChange(t, firstSeen, previous, labels, reads), firstSeen, previous, labels };
    return Math.min(kept!.at, nextLastVisitChange(t, activity.last, reads));
  };
}

/** The earliest of the moments after `t` (Infinity: none). */
function earliestAfter(t: number, next: number, at: number | undefined): number {
  return at !== undefined && at > t && at < next ? at : next;
}

const uses = (reads: Reads | undefined, path: string) => !reads || reads.isUsed(path);

/** Whole-day values: the next of the days a rule's threshold can be crossed. */
function nextDay(t: number, path: string, base: number | undefined, reads: Reads | undefined): number | undefined {
  if (base === undefined || !uses(reads, path)) return undefined;
  return nextCrossing(base, t, reads ? reads.dayThresholds(path) : null);
}

/** The next local hour, the days since first seen and since the previous visit, the labels' expiries and ages. */
function nextSteadyChange(t: number, firstSeen: number | undefined, previousVisitEnd: number | undefined, labels: LabelRecords, reads: Reads | undefined): number {
  let next = Infinity;
  if (uses(reads, 'profile.hour') || uses(reads, 'profile.weekday')) {
    const d = new Date(t);
    d.setMinutes(60, 0, 0);
    next = earliestAfter(t, next, d.getTime());
  }
  next = earliestAfter(t, next, nextDay(t, 'profile.daysSinceFirstSeen', firstSeen, reads));
  next = earliestAfter(t, next, nextDay(t, 'profile.daysSinceLastVisit', previousVisitEnd, reads));
  // The record in force changes only when it expires (another may take its place then).
  for (const [name, l] of labelsInForce(labels, t)) {
    if (!uses(reads, `labels.${name}`)) continue;
    next = earliestAfter(t, next, l.expires);
    next = earliestAfter(t, next, nextDay(t, `labels.${name}.ageDays`, l.at, reads));
  }
  return next;
}

/** The end of the visit (it becomes the last visit) and the days since it. */
function nextLastVisitChange(t: number, last: number | undefined, reads: Reads | undefined): number {
  if (last === undefined) return Infinity;
  const end = uses(reads, 'profile.daysSinceLastVisit') ? earliestAfter(t, Infinity, last + VISIT_IDLE + 1) : Infinity;
  return earliestAfter(t, end, nextDay(t, 'profile.daysSinceLastVisit', last, reads));
}

/** The next moment (after t) the whole days since `base` reach one of `values` (null: any value). */
function nextCrossing(base: number, t: number, values: number[] | null): number | undefined {
  const current = wholeDays(t - base);
  if (values === null) return base + (current + 1) * DAY;
  let k = Infinity;
  for (const v of values) if (v > current && v < k) k = v;
  return k === Infinity ? undefined : base + k * DAY;
}
