// The marketer's campaign matrix: for each segment and date, the campaign each slot shows.
// Pure; the CLI prints it and the marketer console draws it. Per-visitor state (caps, a running
// duration period, suppressions by labels) is deliberately left out: this is the plan.
import type { CampaignDef, MicrosegConfig } from './types';
import { addDays, dayNumber } from './time';

export interface MatrixCell {
  campaign: string;
  priority: number;
  /** Share of the segment held out as a control group, in [0, 1). */
  holdout: number;
  /** How long a visitor who got it is kept out of other campaigns. */
  duration?: string;
}

export interface MatrixRow {
  segment: string;
  name?: string;
  fallback: boolean;
  /** slot → one cell per date (null: the slot keeps its default content). */
  slots: Record<string, (MatrixCell | null)[]>;
}

export interface CampaignMatrix {
  dates: string[];
  /** In order of first appearance in the config. */
  slots: string[];
  rows: MatrixRow[];
}

/** Whether a campaign runs on a date: start and end are inclusive local dates. */
export function isActiveOn(c: CampaignDef, date: string): boolean {
  return (!c.start || c.start <= date) && (!c.end || date <= c.end);
}

/**
 * The campaign a segment gets in a slot on a date: active, serving the segment, highest
 * priority; on equal priority the one listed first in the config.
 */
export function pickCampaign(config: MicrosegConfig, segment: string, slot: string, date: string): CampaignDef | undefined {
  let best: CampaignDef | undefined;
  for (const c of config.campaigns ?? []) {
    if (c.slot === slot && c.segments.includes(segment) && isActiveOn(c, date) && (!best || (c.priority ?? 0) > (best.priority ?? 0))) best = c;
  }
  return best;
}

export function campaignMatrix(config: MicrosegConfig, opts: { from: string; days: number }): CampaignMatrix {
  if (Number.isNaN(dayNumber(opts.from))) throw new RangeError(`"${opts.from}" is not a date like 2026-11-23`);
  const days = Math.max(0, Math.floor(opts.days));
  const dates = Array.from({ length: days }, (_, i) => addDays(opts.from, i));
  const slots = [...new Set((config.campaigns ?? []).map((c) => c.slot))];
  const rows = config.segments.map((s): MatrixRow => ({
    segment: s.id,
    ...(s.name ? { name: s.name } : {}),
    fallback: s.fallback === true,
    slots: Object.fromEntries(
      slots.map((slot) => [
        slot,
        dates.map((date) => {
          const c = pickCampaign(config, s.id, slot, date);
          return c ? { campaign: c.id, priority: c.priority ?? 0, holdout: c.holdout ?? 0, ...(c.duration ? { duration: c.duration } : {}) } : null;
        }),
      ]),
    ),
  }));
  return { dates, slots, rows };
}
