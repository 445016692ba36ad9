// The public timer's clock, asked after every event, keeps the part an event leaves alone: it must
// answer exactly what working everything out again answers, whatever the sequence of calls.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clockFor, nextClockChange } from '../../../src/engine/clock';
import { asRecords, type Label } from '../../../src/labels/labels';
import type { Activity } from '../../../src/engine/types';
import { DAY, HOUR, MINUTE } from './helpers';

const T0 = Date.UTC(2026, 2, 3, 22, 17);
const PATHS = ['profile.hour', 'profile.weekday', 'profile.daysSinceFirstSeen', 'profile.daysSinceLastVisit', 'labels.vip', 'labels.complaint'];

const reads = fc.record({
  used: fc.subarray(PATHS),
  days: fc.dictionary(fc.constantFrom(...PATHS), fc.option(fc.uniqueArray(fc.integer({ min: 0, max: 9 }), { maxLength: 3 }), { nil: null })),
});

const label = (t: number) =>
  fc.record({ name: fc.constantFrom('vip', 'complaint'), ago: fc.integer({ min: 0, max: 5 * DAY }), lasts: fc.option(fc.integer({ min: 1, max: 3 * DAY }), { nil: undefined }) })
    .map(({ name, ago, lasts }): Label => ({ name, at: t - ago, channel: 'web', expires: lasts === undefined ? undefined : t - ago + lasts }));

/** One call: time moves (mostly on, sometimes back), an event may land, the labels or first-seen may change. */
const call = fc.record({
  gap: fc.oneof(fc.integer({ min: 0, max: 10 * MINUTE }), fc.integer({ min: 0, max: 2 * HOUR }), fc.integer({ min: 0, max: 3 * DAY }), fc.integer({ min: -HOUR, max: 0 })),
  event: fc.boolean(),
  labels: fc.option(fc.array(label(T0), { maxLength: 3 }), { nil: undefined }),
  firstSeenBack: fc.option(fc.integer({ min: 0, max: 20 * DAY }), { nil: undefined }),
});

describe('clock: the public timer', () => {
  it('answers what working it all out again answers', () => {
    fc.assert(
      fc.property(reads, fc.array(call, { maxLength: 40 }), ({ used, days }, calls) => {
        const graph = { isUsed: (p: string) => used.some((u) => p === u || p.startsWith(`${u}.`)), dayThresholds: (p: string) => days[p] ?? null };
        const clock = clockFor(graph);
        let t = T0;
        let firstSeen: number | undefined = T0 - 3 * DAY;
        let labels = asRecords([]);
        const activity: Activity = {};
        for (const c of calls) {
          t += c.gap;
          if (c.labels) labels = asRecords(c.labels);
          if (c.firstSeenBack !== undefined) firstSeen = t - c.firstSeenBack;
          if (c.event) {
            if (activity.last !== undefined && t - activity.last > 30 * MINUTE) activity.previousVisitEnd = activity.last;
            if (activity.last === undefined || t > activity.last) activity.last = t;
          }
          expect(clock(t, firstSeen, activity, labels)).toBe(nextClockChange(t, firstSeen, activity, labels, graph));
        }
      }),
      { numRuns: 500 },
    );
  });
});
