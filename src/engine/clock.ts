// The next change by time alone: the next local hour, the next whole day a rule's threshold can
// be crossed, the end of the visit, a label expiring. Pure: the engine passes what it knows.

import { labelsInForce, type LabelRecords } from '../labels/labels';
import { DAY, VISIT_IDLE } from '../shared/constants';
import { wholeDays } from './history';
import type { Activity } from './types';
import type { DependencyGraph } from './graph';

/**
 * The next moment after `t` a profile or label value changes with the clock alone. With `reads`,
 * only the values some segment or score reads (the public timer); without, every value (the
 * internal check that keeps the context itself fresh).
 */
export function nextClockChange(
  t: number,
  firstSeen: number | undefined,
  activity: Activity,
  labels: LabelRecords,
  reads?: Pick<DependencyGraph, 'isUsed' | 'dayThresholds'>,
): number {
  let next = Infinity;
  const consider = (at: number | undefined) => {
    if (at !== undefined && at > t && at < next) next = at;
  };
  const uses = (path: string) => !reads || reads.isUsed(path);
  if (uses('profile.hour') || uses('profile.weekday')) {
    const d = new Date(t);
    d.setMinutes(60, 0, 0);
    consider(d.getTime());
  }
  // Whole-day values: wake up only on the days a rule's threshold can be crossed.
  const days = (path: string, base: number | undefined) => {
    if (base === undefined || !uses(path)) return;
    consider(nextCrossing(base, t, reads ? reads.dayThresholds(path) : null));
  };
  days('profile.daysSinceFirstSeen', firstSeen);
  if (activity.last !== undefined && uses('profile.daysSinceLastVisit')) consider(activity.last + VISIT_IDLE + 1);
  days('profile.daysSinceLastVisit', activity.last);
  days('profile.daysSinceLastVisit', activity.previousVisitEnd);
  // The record in force changes only when it expires (another may take its place then).
  for (const [name, l] of labelsInForce(labels, t)) {
    if (!uses(`labels.${name}`)) continue;
    consider(l.expires);
    days(`labels.${name}.ageDays`, l.at);
  }
  return next;
}

/** The next moment (after t) the whole days since `base` reach one of `values` (null: any value). */
function nextCrossing(base: number, t: number, values: number[] | null): number | undefined {
  const current = wholeDays(t - base);
  if (values === null) return base + (current + 1) * DAY;
  let k = Infinity;
  for (const v of values) if (v > current && v < k) k = v;
  return k === Infinity ? undefined : base + k * DAY;
}
