// One retry rule for everything the SDK fetches or sends (config sync, the measurement outbox).
import { SECOND, MINUTE } from './constants';

/** The longest wait between two tries unless the caller says otherwise. */
export const MAX_BACKOFF = 5 * MINUTE;

export interface BackoffOptions {
  /** The first wait, doubled after each further failure. */
  first?: number;
  /** The longest wait. */
  max?: number;
  random: () => number;
}

/**
 * The wait before try `attempt + 1` after `attempt` failures in a row (1-based): exponential,
 * capped, and half of it random so that many tabs or visitors that failed together do not
 * come back in lockstep.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const first = opts.first ?? SECOND;
  const wait = Math.min(opts.max ?? MAX_BACKOFF, first * 2 ** Math.min(Math.max(attempt, 1) - 1, 30));
  return wait * (0.5 + opts.random() * 0.5);
}
