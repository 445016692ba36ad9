// The visitor's history as events tell it: visits (first, last, the end of the one before) and
// campaign responses. Pure updates of the records the engine persists.

import type { MicrosegConfig } from '../config/types';
import type { TrackedEvent } from '../shared/types';
import { dict } from '../shared/dict';
import { DAY, VISIT_IDLE } from '../shared/constants';
import type { Activity, CampaignHistory, EngineState } from './types';

/** Recent event ids kept for deduplication (a replayed batch, another tab). */
const SEEN_IDS = 512;

export const wholeDays = (ms: number) => Math.floor(ms / DAY);

/** When the last visit ended: the current one once idle for long enough, else the one before. */
export function lastVisitEnd(activity: Activity, t: number): number | undefined {
  return activity.last !== undefined && t - activity.last > VISIT_IDLE ? activity.last : activity.previousVisitEnd;
}

/** An event at `ts`: a pause longer than a visit's idle time ends the visit before it. */
export function recordVisit(a: Activity, ts: number): void {
  if (a.last !== undefined && ts - a.last > VISIT_IDLE) a.previousVisitEnd = a.last;
  if (a.last === undefined || ts > a.last) a.last = ts;
  if (a.first === undefined || ts < a.first) a.first = ts;
}

/** An `$exposure` or `$click` of a campaign; false when it is not part of the response history. */
export function recordCampaign(campaigns: Record<string, CampaignHistory>, event: TrackedEvent): boolean {
  const id = event.props.campaign;
  if (typeof id !== 'string' || !id) return false;
  // A hold-out visitor never saw the campaign: it is not part of their response history.
  if (event.type === '$exposure' && event.props.control === true) return false;
  const h = (campaigns[id] ??= { exposures: 0, clicks: 0 });
  if (event.type === '$click') {
    h.clicks++;
    if (h.lastClickAt === undefined || event.ts > h.lastClickAt) h.lastClickAt = event.ts;
  } else {
    h.exposures++;
    if (h.lastAt === undefined || event.ts > h.lastAt) h.lastAt = event.ts;
  }
  return true;
}

/** The stored campaign history, with every configured campaign present. */
export function restoreCampaigns(config: MicrosegConfig, stored: Record<string, CampaignHistory> | undefined): Record<string, CampaignHistory> {
  // Ids from events and storage key null-prototype maps: "__proto__" is a campaign like any other.
  const campaigns = dict<CampaignHistory>(stored && structuredClone(stored));
  // Configured campaigns start at zero, so "campaigns.spring.clicks": 0 holds before any exposure.
  for (const c of config.campaigns ?? []) campaigns[c.id] ??= { exposures: 0, clicks: 0 };
  return campaigns;
}

/**
 * The ids of the events counted last, with their times. `upTo`: the latest time of an id forgotten
 * beyond the limit — a counted event later than it is always still known, so stored events after
 * it can be offered again (another tab's write may lack them) without one being counted twice.
 */
export interface SeenIds {
  ids: Map<string, number>;
  upTo: number;
}

/** The ids a stored state remembers; an older state kept no times: its ids count as of its write. */
export function seenIdsOf(state: SeenState | undefined): SeenIds {
  const ids = new Map<string, number>();
  if (!state) return { ids, upTo: -Infinity };
  const times = timesOf(state);
  (Array.isArray(state.seen) ? state.seen : []).forEach((id, i) => ids.set(id, typeof times?.[i] === 'number' ? times[i] : state.at));
  return { ids, upTo: replayableAfter(state) };
}

type SeenState = Pick<EngineState, 'seen' | 'seenTs' | 'seenUpTo' | 'at'>;

/** The times of a state's ids, when it kept them (older states did not). */
const timesOf = (state: SeenState) =>
  Array.isArray(state.seenTs) && Array.isArray(state.seen) && state.seenTs.length === state.seen.length ? state.seenTs : undefined;

/** Stored events after this time can be offered to `state` again: the ones it counted are known by id. */
export function replayableAfter(state: SeenState): number {
  if (typeof state.seenUpTo === 'number') return state.seenUpTo;
  return timesOf(state) ? -Infinity : state.at;
}

/** Adds an event id to the recent ones, forgetting the oldest beyond the limit. */
export function rememberId(seen: SeenIds, id: string, ts: number): void {
  seen.ids.set(id, ts);
  if (seen.ids.size <= SEEN_IDS) return;
  const [oldest, at] = seen.ids.entries().next().value as [string, number];
  seen.ids.delete(oldest);
  if (at > seen.upTo) seen.upTo = at;
}
