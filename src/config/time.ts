// Durations ("30m", "12h", "7d", "2w") and local dates ("2026-11-23") of the config contract.
import { SECOND, MINUTE, HOUR, DAY, WEEK } from '../shared/constants';

export const DURATION_RE = /^[1-9]\d*[smhdw]$/;
export const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

const UNIT: Record<string, number> = { s: SECOND, m: MINUTE, h: HOUR, d: DAY, w: WEEK };

/** Milliseconds in a duration such as "30m", "12h", "7d" or "2w"; NaN if it is not one. */
export function parseDuration(s: string): number {
  return typeof s === 'string' && DURATION_RE.test(s) ? parseInt(s, 10) * UNIT[s.slice(-1)]! : NaN;
}

/** Days since 1970-01-01 of a "YYYY-MM-DD" date, or NaN if it is not a real calendar date. */
export function dayNumber(date: string): number {
  if (typeof date !== 'string' || !DATE_RE.test(date)) return NaN;
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const t = Date.UTC(y, m - 1, d);
  // Date.UTC rolls "02-30" over into March: a real date survives the round trip.
  return new Date(t).getUTCDate() === d && new Date(t).getUTCMonth() === m - 1 ? t / DAY : NaN;
}

/** The "YYYY-MM-DD" date `n` days after `date`. */
export function addDays(date: string, n: number): string {
  return new Date((dayNumber(date) + n) * DAY).toISOString().slice(0, 10);
}
