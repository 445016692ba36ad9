// The visitor's history as events tell it: visits (first, last, the end of the one before) and
// campaign responses. Pure updates of the records the engine persists.

import type { MicrosegConfig } from '../config/types';
import type { TrackedEvent } from '../shared/types';
import { dict } from '../shared/dict';
import { DAY, VISIT_IDLE } from '../shared/constants';
import type { Activity, CampaignHistory } from './types';

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

/** Adds an event id to the recent ones, forgetting the oldest beyond the limit. */
export function rememberId(seen: Set<string>, id: string): void {
  seen.add(id);
  if (seen.size > SEEN_IDS) seen.delete(seen.values().next().value as string);
}
