// The evaluation context: what conditions see, refreshed from the profile, labels and visit
// history at a given time. Each refresh returns the context keys that changed, so only the
// segments reading them are evaluated again.

import type { MicrosegConfig } from '../config/types';
import type { Profile } from '../shared/types';
import { labelsInForce, type LabelRecords } from '../labels/labels';
import { dict } from '../shared/dict';
import { lastVisitEnd, wholeDays } from './history';
import type { Activity, CampaignHistory, EvaluationContext, LabelContext, ProfileContext } from './types';

export function createContext(config: MicrosegConfig, campaigns: Record<string, CampaignHistory>): EvaluationContext {
  return {
    profile: { hour: 0, weekday: 0, identified: false },
    traits: dict(),
    metrics: dict(),
    scores: dict(),
    params: Object.assign(dict<number>(), config.params),
    labels: dict(),
    segments: [],
    campaigns,
  };
}

/** Recomputes the profile context at `t`; returns the keys of the time-dependent values that changed. */
export function refreshProfile(ctx: EvaluationContext, p: Profile | undefined, activity: Activity, t: number): string[] {
  const firstSeen = minDefined(p?.firstSeen, activity.first);
  const visitEnd = lastVisitEnd(activity, t);
  const d = new Date(t);
  const next: ProfileContext = {
    firstSeen,
    daysSinceFirstSeen: firstSeen === undefined ? undefined : wholeDays(t - firstSeen),
    daysSinceLastVisit: visitEnd === undefined ? undefined : wholeDays(t - visitEnd),
    visits: p?.visits,
    device: p?.device,
    hour: d.getHours(),
    weekday: d.getDay(),
    channel: p?.channel,
    utm: p?.utm,
    url: p?.url,
    referrer: p?.referrer,
    identified: !!p?.userId,
  };
  const prev = ctx.profile;
  ctx.profile = next;
  const keys: string[] = [];
  for (const f of Object.keys(next) as (keyof ProfileContext)[]) {
    const same = f === 'utm' ? shallowEqual(prev.utm, next.utm) : prev[f] === next[f];
    if (!same) keys.push(`profile.${f}`);
  }
  return keys;
}

/** Recomputes the labels in force at `t`; returns "labels.<name>" for each that came, went or aged. */
export function refreshLabels(ctx: EvaluationContext, labels: LabelRecords, t: number): string[] {
  // Null prototype: a label may be called "constructor" or "toString".
  const next = dict<LabelContext>();
  for (const [name, l] of labelsInForce(labels, t)) {
    next[name] = { at: l.at, ageDays: wholeDays(t - l.at), channel: l.channel, value: l.value, expires: l.expires };
  }
  const prev = ctx.labels;
  ctx.labels = next;
  const keys: string[] = [];
  for (const name of new Set([...Object.keys(prev), ...Object.keys(next)])) {
    const a = prev[name];
    const b = next[name];
    if (a?.ageDays !== b?.ageDays || a?.at !== b?.at || a?.value !== b?.value || a?.channel !== b?.channel) keys.push(`labels.${name}`);
  }
  return keys;
}

function shallowEqual(a?: Record<string, string>, b?: Record<string, string>): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

const minDefined = (a?: number, b?: number) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
