// Which campaign each slot shows now, and why: pure functions over the config, the evaluation
// context (segments, labels, metrics…), the exposure history and the clock. The marketer's plan
// is the campaign matrix (config/matrix.ts); this adds what only the visitor's device knows:
// suppressions, running duration periods, caps and the hold-out group.
import type { CampaignContent, CampaignDef, MicrosegConfig, SuppressionDef } from '../config/types';
import { isActiveOn } from '../config/matrix';
import { parseDuration } from '../config/time';
import { compileCondition, type Matcher } from '../condition';
import type { ExposureHistory, Moment } from './history';
import { holdoutBucket } from './hash';
import { own } from '../shared/dict';
import { DAY } from '../shared/constants';

/** What conditions see; the segment engine's EvaluationContext, or a preview's stand-in. */
export interface DecideContext {
  segments: string[];
  /** labels.<name>.at, for the moment a label's age in days ticks over */
  labels?: unknown;
}

export interface DecideState extends Moment {
  /** The id hold-out groups hash (user id, else anonymous id). */
  visitor: string;
  history: ExposureHistory;
  /** Campaigns exposed in this page view: on screen, so never capped away under the visitor's eyes. */
  onScreen?: string[];
}

export type Outcome =
  | 'chosen' // shown
  | 'control' // chosen, but the visitor is in its hold-out group: the slot keeps its default content
  | 'not-scheduled' // outside its start/end dates
  | 'not-in-segment'
  | 'suppressed'
  | 'excluded' // another campaign's duration period keeps it out
  | 'capped'
  | 'outranked'; // a campaign above it was chosen

export type CapKind = 'perVisit' | 'perDay' | 'total';

export interface Considered {
  campaign: string;
  priority: number;
  outcome: Outcome;
  /** The segment it qualified through. */
  segment?: string;
  suppressedBy?: string;
  excludedBy?: { campaign: string; until: number };
  capped?: { cap: CapKind; limit: number };
}

export interface Decision {
  slot: string;
  /** The chosen campaign (also when the visitor is its control). */
  campaign?: string;
  /** In the chosen campaign's hold-out group: shows the default content, recorded as control. */
  control: boolean;
  /** What to render; absent for control and when no campaign applies (default content). */
  content?: CampaignContent;
  reason: {
    /** The segment the chosen campaign serves that the visitor is in. */
    segment?: string;
    priority?: number;
    /** The first campaign ranked above the result that a running duration period kept out. */
    excludedBy?: { campaign: string; by: string; until: number };
    /** The first campaign ranked above the result that a frequency cap kept out. */
    capped?: { campaign: string; cap: CapKind; limit: number };
    /** The first campaign ranked above the result that a suppression blocked. */
    suppressedBy?: { campaign: string; suppression: string };
    /** Every campaign of the slot, highest priority first. */
    considered: Considered[];
  };
}

interface Compiled {
  suppressions: Array<{ def: SuppressionDef; match: Matcher }>;
  bySlot: Map<string, CampaignDef[]>;
  /** campaigns with a duration period, and its length */
  durations: Array<{ def: CampaignDef; ms: number }>;
}

const compiledConfigs = new WeakMap<MicrosegConfig, Compiled>();

function compile(config: MicrosegConfig): Compiled {
  let c = compiledConfigs.get(config);
  if (c) return c;
  const suppressions = (config.suppressions ?? []).map((def, i) => {
    let match: Matcher;
    try {
      match = compileCondition(def.when, `suppressions[${i}].when`);
    } catch {
      match = () => false; // validation rejects such configs; never let one break a page
    }
    return { def, match };
  });
  // Highest priority first; equal priorities keep config order (as the matrix does).
  const ranked = (config.campaigns ?? []).map((def, i) => ({ def, i }));
  ranked.sort((a, b) => (b.def.priority ?? 0) - (a.def.priority ?? 0) || a.i - b.i);
  // Slots in order of first appearance, each slot's campaigns by rank.
  const bySlot = new Map<string, CampaignDef[]>();
  for (const def of config.campaigns ?? []) if (!bySlot.has(def.slot)) bySlot.set(def.slot, []);
  for (const { def } of ranked) bySlot.get(def.slot)!.push(def);
  const durations = (config.campaigns ?? []).filter((def) => def.duration).map((def) => ({ def, ms: parseDuration(def.duration!) }));
  compiledConfigs.set(config, (c = { suppressions, bySlot, durations }));
  return c;
}

/** The suppressions whose conditions hold in this context. */
export function activeSuppressions(config: MicrosegConfig, ctx: DecideContext): SuppressionDef[] {
  return compile(config).suppressions.filter((s) => safe(s.match, ctx)).map((s) => s.def);
}

/** Offer names (data-microseg-offer) to hide, sorted; "*" when every offer is. */
export function suppressedOffers(active: SuppressionDef[]): string[] {
  if (active.some((s) => s.offers === '*')) return ['*'];
  return [...new Set(active.flatMap((s) => (Array.isArray(s.offers) ? s.offers : [])))].sort();
}

export function isOfferSuppressed(name: string, offers: string[]): boolean {
  return offers.includes('*') || offers.includes(name);
}

/** The suppression that blocks a campaign: by id, or "*" for promotional ones (the default). */
export function blockingSuppression(c: CampaignDef, active: SuppressionDef[]): SuppressionDef | undefined {
  return active.find((s) => (s.campaigns === '*' ? c.promotional !== false : s.campaigns?.includes(c.id)));
}

/** Local "YYYY-MM-DD" of a moment: campaigns run by the visitor's own calendar. */
export function localDate(t: number): string {
  const d = new Date(t);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Running duration periods: campaign → when it ends. */
function periods(config: MicrosegConfig, state: DecideState): Array<{ def: CampaignDef; until: number }> {
  const out: Array<{ def: CampaignDef; until: number }> = [];
  for (const { def, ms } of compile(config).durations) {
    const start = own(state.history, def.id)?.periodStart;
    if (start === undefined) continue;
    const until = start + ms;
    if (state.now < until) out.push({ def, until });
  }
  return out;
}

function capOf(c: CampaignDef, state: DecideState): Considered['capped'] {
  const h = own(state.history, c.id);
  // Already shown on this page view: a re-render is the same exposure, not a new one.
  if (!h || !c.caps || h.view === state.view || state.onScreen?.includes(c.id)) return undefined;
  const { perVisit, perDay, total } = c.caps;
  if (total !== undefined && h.total >= total) return { cap: 'total', limit: total };
  if (perDay !== undefined && h.day === state.date && h.dayCount >= perDay) return { cap: 'perDay', limit: perDay };
  if (perVisit !== undefined && h.visit === state.visit && h.visitCount >= perVisit) return { cap: 'perVisit', limit: perVisit };
  return undefined;
}

export function decide(
  config: MicrosegConfig | undefined,
  slot: string,
  ctx: DecideContext,
  state: DecideState,
  active: SuppressionDef[] = config ? activeSuppressions(config, ctx) : [],
  /** ctx.segments as a set (a visitor can be in hundreds): pass one to decide many slots */
  members: ReadonlySet<string> = new Set(ctx.segments),
): Decision {
  const decision: Decision = { slot, control: false, reason: { considered: [] } };
  if (!config) return decision;
  const { reason } = decision;
  const running = periods(config, state);
  for (const c of compile(config).bySlot.get(slot) ?? []) {
    const row: Considered = { campaign: c.id, priority: c.priority ?? 0, outcome: 'outranked' };
    reason.considered.push(row);
    if (decision.campaign) continue;
    const segment = c.segments.find((s) => members.has(s));
    if (!isActiveOn(c, state.date)) {
      row.outcome = 'not-scheduled';
      continue;
    }
    if (!segment) {
      row.outcome = 'not-in-segment';
      continue;
    }
    row.segment = segment;
    const blocked = blockingSuppression(c, active);
    // Service content (promotional: false, e.g. an apology) is never held back by a period.
    const holder = c.promotional === false ? undefined : running.find((p) => p.def.id !== c.id && (p.def.exclusive === 'all' || p.def.slot === c.slot));
    const capped = capOf(c, state);
    if (blocked) {
      row.outcome = 'suppressed';
      row.suppressedBy = blocked.id;
      reason.suppressedBy ??= { campaign: c.id, suppression: blocked.id };
    } else if (holder) {
      row.outcome = 'excluded';
      row.excludedBy = { campaign: holder.def.id, until: holder.until };
      reason.excludedBy ??= { campaign: c.id, by: holder.def.id, until: holder.until };
    } else if (capped) {
      row.outcome = 'capped';
      row.capped = capped;
      reason.capped ??= { campaign: c.id, ...capped };
    } else {
      decision.campaign = c.id;
      // A visitor keeps the group they were first exposed in (identify() changes the id hashed).
      const seen = own(state.history, c.id);
      decision.control = (c.holdout ?? 0) > 0 && (seen ? seen.control : holdoutBucket(state.visitor, c.id) < c.holdout!);
      row.outcome = decision.control ? 'control' : 'chosen';
      if (!decision.control) decision.content = c.content;
      reason.segment = segment;
      reason.priority = row.priority;
    }
  }
  return decision;
}

/** The slots the config knows, in order of first appearance. */
export function slotsOf(config: MicrosegConfig | undefined): string[] {
  return config ? [...compile(config).bySlot.keys()] : [];
}

/**
 * The next moment a decision can change with the clock alone: local midnight (schedules, daily
 * caps), the end of a duration period, a label's age in days ticking over (suppressions often
 * read `labels.<name>.ageDays`). Label expiry and segment changes are announced elsewhere.
 */
export function nextDecisionChange(config: MicrosegConfig | undefined, ctx: DecideContext, state: DecideState): number | undefined {
  if (!config?.campaigns?.length && !config?.suppressions?.length) return undefined;
  const d = new Date(state.now);
  let next = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
  for (const p of periods(config, state)) next = Math.min(next, p.until);
  const labels = ctx.labels as Record<string, { at?: number }> | undefined;
  if (config.suppressions?.length && labels) {
    for (const l of Object.values(labels)) {
      if (typeof l?.at !== 'number') continue;
      const age = Math.floor((state.now - l.at) / DAY);
      next = Math.min(next, l.at + (age + 1) * DAY);
    }
  }
  return next;
}

function safe(match: Matcher, ctx: DecideContext): boolean {
  try {
    return match(ctx);
  } catch {
    return false;
  }
}
