// The small persisted exposure history that caps and duration periods need. Control-group
// "exposures" count too: a held-out visitor must be kept out of other campaigns and capped
// exactly like one who saw the content, or the comparison would not be fair.
import type { CampaignDef } from '../config/types';
import { parseDuration } from '../config/time';
import { dict, own } from '../shared/dict';

export interface CampaignExposures {
  total: number;
  /** The local date of the last exposure and the exposures on it. */
  day: string;
  dayCount: number;
  /** The visit of the last exposure and the exposures in it. */
  visit: number;
  visitCount: number;
  /** The page view of the last exposure: one exposure per page view. */
  view?: string;
  last: number;
  /** Start of the running (or last) duration period. */
  periodStart?: number;
  /** The visitor's group at the last exposure. */
  control: boolean;
  clicks: number;
}

/** Campaign id → its exposures: a null-prototype map (ids come from configs, events and storage). */
export type ExposureHistory = Record<string, CampaignExposures>;

/** Where the visitor is now, as caps count it. */
export interface Moment {
  now: number;
  /** Local date "YYYY-MM-DD". */
  date: string;
  visit: number;
  view: string;
}

/**
 * The history after an exposure, or undefined when this page view already counted one for the
 * campaign (a slot re-rendered by a framework is not a new exposure).
 */
export function addExposure(history: ExposureHistory, c: CampaignDef, at: Moment, control: boolean): ExposureHistory | undefined {
  const h = own(history, c.id);
  if (h && h.view === at.view) return undefined;
  const duration = c.duration ? parseDuration(c.duration) : NaN;
  const running = h?.periodStart !== undefined && at.now < h.periodStart + duration;
  const next: CampaignExposures = {
    total: (h?.total ?? 0) + 1,
    day: at.date,
    dayCount: h?.day === at.date ? h.dayCount + 1 : 1,
    visit: at.visit,
    visitCount: h?.visit === at.visit ? h.visitCount + 1 : 1,
    view: at.view,
    last: at.now,
    control,
    clicks: h?.clicks ?? 0,
  };
  const periodStart = running ? h!.periodStart : Number.isNaN(duration) ? undefined : at.now;
  if (periodStart !== undefined) next.periodStart = periodStart;
  return withEntry(history, c.id, next);
}

export function addClick(history: ExposureHistory, id: string): ExposureHistory {
  const h = own(history, id);
  return h ? withEntry(history, id, { ...h, clicks: h.clicks + 1 }) : history;
}

function withEntry(history: ExposureHistory, id: string, entry: CampaignExposures): ExposureHistory {
  const next = dict<CampaignExposures>(history);
  next[id] = entry;
  return next;
}

/** A stored history from an earlier page, or nothing if it is not one. */
export function isHistory(value: unknown): value is ExposureHistory {
  return typeof value === 'object' && value !== null && Object.values(value).every((h) => typeof h?.total === 'number' && typeof h?.last === 'number');
}
