// The engine's public face: what conditions see, what it reports, what it persists.

import type { Profile, TrackedEvent } from '../shared/types';
import type { ClauseResult } from '../condition';
import type { Label, LabelInput } from '../labels/labels';
import type { MetricState } from './metrics';

/** A cross-journey label ("sticky note"), as the labels part keeps it. */
export type { Label };

export interface CampaignHistory {
  /** exposures the visitor actually saw (hold-out "exposures" do not count) */
  exposures: number;
  clicks: number;
  lastAt?: number;
  lastClickAt?: number;
}

export interface ProfileContext {
  firstSeen?: number;
  /** whole days since first seen, at evaluation time */
  daysSinceFirstSeen?: number;
  /** whole days since the previous visit ended; missing on the first visit */
  daysSinceLastVisit?: number;
  visits?: number;
  device?: string;
  /** local hour 0–23 and weekday 0 (Sunday)–6 at evaluation time */
  hour: number;
  weekday: number;
  channel?: string;
  utm?: Record<string, string>;
  url?: string;
  referrer?: string;
  identified: boolean;
}

export interface LabelContext {
  at: number;
  ageDays: number;
  channel: string;
  value?: unknown;
  expires?: number;
}

/** What conditions see. */
export interface EvaluationContext {
  profile: ProfileContext;
  traits: Record<string, unknown>;
  metrics: Record<string, unknown>;
  scores: Record<string, number>;
  /** The config's population parameters. */
  params: Record<string, number>;
  labels: Record<string, LabelContext>;
  segments: string[];
  campaigns: Record<string, CampaignHistory>;
}

export interface MembershipChange {
  entered: string[];
  exited: string[];
}

/** JSON-serializable: persist it (IndexedDB) and pass it back to createEngine on the next page. */
export interface EngineState {
  v: 1;
  at: number;
  /** metric state by definition hash: a config change keeps the aggregates of unchanged metrics */
  metrics: Record<string, MetricState>;
  campaigns: Record<string, CampaignHistory>;
  memberships: string[];
  /** the config the memberships were computed with (see `resumable` in createEngine) */
  fingerprint?: string;
  seen: string[];
  /** the times of the events in `seen`, in the same order */
  seenTs?: number[];
  /** events up to this time may be counted without their id in `seen` (see SeenIds) */
  seenUpTo?: number;
  /**
   * Stored batches of raw events whose every event from `from` on this state has counted (a start's
   * replay read them): the next start's replay need not read them again. Set by the store's reader.
   */
  replayed?: { from: number; batches: string[] };
  activity: Activity;
  profile?: Profile;
  /** every label record (older versions stored a name → label object: still read) */
  labels?: Label[];
}

export interface Activity {
  first?: number;
  last?: number;
  /** when the visit before the current one ended */
  previousVisitEnd?: number;
}

export interface Explanation {
  segment: string;
  member: boolean;
  fallback: boolean;
  /** for a fallback segment: why it holds or not */
  reason?: string;
  clauses: ClauseResult[];
}

export interface EngineOptions {
  now: () => number;
  state?: EngineState;
  /** Hashes an earlier page took, by the JSON text hashed: equal texts are not hashed again, and the ones taken are kept for `takeHashes` (only when given). */
  hashes?: ReadonlyMap<string, string>;
}

export interface Engine {
  ingest(event: TrackedEvent): MembershipChange;
  setProfile(profile: Profile): MembershipChange;
  /** Label records (per name and channel); the one in force per name is what conditions see. */
  setLabels(labels: LabelInput): MembershipChange;
  tick(): MembershipChange;
  /** The earliest future moment a membership can change by time alone; undefined: never. */
  nextChangeAt(): number | undefined;
  segments(): string[];
  /** A copy of what conditions see now. */
  context(): EvaluationContext;
  /** What conditions see now, live and not copied: read it at once, never change or keep it. */
  view(): Readonly<EvaluationContext>;
  /** Whether a value decisions read (a suppression's input, a label) changed since the last call; membership changes are reported apart. */
  takeDecisionInputs(): boolean;
  explain(segmentId: string): Explanation;
  snapshot(): EngineState;
  /** Rebuilds metrics new in this config from retained raw events. */
  backfill(events: TrackedEvent[]): MembershipChange;
  /** Whether backfill() has anything to rebuild (so callers read raw events only then). */
  needsBackfill(): boolean;
}
