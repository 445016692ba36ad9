// One rule for every timer the SDK sets: setTimeout treats a delay above 2^31-1 ms (about 24.8
// days) as 0, so a far-off moment (a Retry-After weeks ahead, a window that closes in 60 days)
// would fire at once and again and again. Delays are clamped; a later moment is reached in steps.

import { MAX_TIMER_DELAY } from './constants';

export { MAX_TIMER_DELAY };

/** A delay setTimeout honours: negative is 0, too long (or not a number) is the longest one. */
export function clampDelay(ms: number): number {
  if (Number.isNaN(ms)) return MAX_TIMER_DELAY; // bad data waits, it never spins
  return Math.min(MAX_TIMER_DELAY, Math.max(0, ms));
}

/** setTimeout with a clamped delay. */
export function setTimer(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
  return setTimeout(fn, clampDelay(ms));
}

/**
 * Milliseconds on the page's monotonic clock, for how long something took or was ago within the page:
 * a device clock set back or forward (by the visitor, a sync, a test) does not move it.
 */
export function elapsedNow(): number {
  try {
    return performance.now();
  } catch {
    return Date.now(); // a page (or runtime) without a usable performance object
  }
}
