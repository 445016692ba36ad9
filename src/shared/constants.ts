// Every time unit and limit the SDK uses, defined once.

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const WEEK = 7 * DAY;

/** A visit ends after this long without activity. */
export const VISIT_IDLE = 30 * MINUTE;

/**
 * At most this many stored batches are listed as read already (journeys' scan, the start replay):
 * beyond it a start reads them all, as if unlisted, so no record grows with a sparse history.
 */
export const MAX_LISTED_BATCHES = 1_000;

/** setTimeout's longest delay (2^31-1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_DELAY = 2_147_483_647;
