// Real-time membership: every event updates only the metrics listening to its type, then the
// scores and segments that read them; time moving on rolls windows and days-since values at the
// exact moments they can change (nextChangeAt), never by polling.
//
// createEngine composes the parts: the dependency graph (graph.ts), the live metrics
// (metric-set.ts), the evaluation context (context.ts) and the visit history (history.ts), the
// clock's next change (clock.ts), and membership with its net changes (membership.ts).

import type { MicrosegConfig } from '../config/types';
import type { Profile, TrackedEvent } from '../shared/types';
import { asRecords, recordList, type LabelRecords } from '../labels/labels';
import { compileMetric, type CompiledMetric, type MetricRuntime } from './metrics';
import { digest } from './digest';
import { compileScore, type CompiledScore } from './scores';
import { MINUTE, VISIT_IDLE } from '../shared/constants';
import { buildGraph } from './graph';
import { createMetricSet } from './metric-set';
import { createContext, refreshLabels, refreshProfile } from './context';
import { lastVisitEnd, recordCampaign, recordVisit, rememberId, restoreCampaigns, seenIdsOf } from './history';
import { clockFor, nextClockChange } from './clock';
import { createMembership } from './membership';
import type { Activity, Engine, EngineOptions } from './types';

export type * from './types';

/** A step back of the device clock this large is a clock set back (followed), not a sync (ignored). */
const CLOCK_SET_BACK = 5 * MINUTE;

interface Prepared {
  compiled: CompiledMetric[];
  scores: CompiledScore[];
  fingerprint: string;
  /** The hashes taken, by text, until the runtime takes them to store (a later page's start under this config then hashes nothing). */
  hashes?: Map<string, string>;
}

/** Metrics and scores compiled and the config hashed, once per config object (a page builds several engines from one). */
const prepared = new WeakMap<MicrosegConfig, Prepared>();
function prepare(config: MicrosegConfig, known: ReadonlyMap<string, string> | undefined): Prepared {
  let p = prepared.get(config);
  if (p) return p;
  // Collected only for a caller that stores them (the SDK's runtime), not kept by the server's engines.
  const hashes = known && { known, taken: new Map<string, string>() };
  const compiled = Object.entries(config.metrics ?? {}).map(([id, def]) => compileMetric(id, def, hashes));
  const scores = Object.entries(config.scores ?? {}).map(([id, def]) => compileScore(id, def));
  const fingerprint = digest([config.segments, config.scores ?? null, compiled.map((m) => [m.id, m.hash]), (config.campaigns ?? []).map((c) => c.id)], hashes);
  prepared.set(config, (p = { compiled, scores, fingerprint, hashes: hashes?.taken }));
  return p;
}

/** The hashes a config's first engine took, by the text hashed, once (to be stored, and given back as `EngineOptions.hashes`). */
export function takeHashes(config: MicrosegConfig): ReadonlyMap<string, string> | undefined {
  const p = prepared.get(config);
  const hashes = p?.hashes;
  if (p) p.hashes = undefined; // the texts are large: not kept once handed over
  return hashes;
}

export function createEngine(config: MicrosegConfig, opts: EngineOptions): Engine {
  const now = opts.now;
  const state = opts.state?.v === 1 ? opts.state : undefined;
  const { compiled, scores, fingerprint } = prepare(config, opts.hashes);
  // A snapshot taken under this very config carries memberships that were correct at its time:
  // resume from there, re-evaluate only what changed since, and compile each rule on first use
  // (it compiled before). This keeps a page's start-up small with a thousand segments.
  const startedAt = now();
  const resumable =
    !!state && state.fingerprint === fingerprint && typeof state.at === 'number' && state.at <= startedAt &&
    Array.isArray(state.memberships) && compiled.every((m) => state.metrics?.[m.hash]);
  const graph = buildGraph(config, compiled, scores, resumable);
  const builtAt = resumable ? state!.at : startedAt;
  const campaigns = restoreCampaigns(config, state?.campaigns);
  const ctx = createContext(config, campaigns);
  const metrics = createMetricSet(compiled, state?.metrics, builtAt, ctx.metrics);
  const activity: Activity = state ? { ...state.activity } : {};
  const rebuildHistory = !state; // no history at all: backfill() derives campaigns and activity too
  let profile: Profile | undefined = state?.profile;
  let labels: LabelRecords = asRecords(state?.labels);
  const seen = seenIdsOf(state);
  const replayed = state?.replayed;
  let pendingBackfill = metrics.fresh.size > 0 || rebuildHistory;
  /** ids ingested before backfill(), so it does not count them twice */
  const ingestedHere = new Set<string>();

  let lastNow = builtAt;
  /** the profile and label values at `t`; the keys of those that changed */
  const profileKeys = (t = lastNow) => refreshProfile(ctx, profile, activity, t);
  const labelKeys = (t = lastNow) => refreshLabels(ctx, labels, t);
  profileKeys();
  labelKeys();
  ctx.traits = profile?.traits ?? {};
  for (const s of scores) ctx.scores[s.id] = s.compute(ctx);
  const membership = createMembership(graph, ctx, state?.memberships, resumable);
  /** the next moment a profile or label value changes, whether read or not (keeps ctx fresh) */
  const nextClock = () => nextClockChange(lastNow, ctx.profile.firstSeen, activity, labels);
  let clockCheckAt = nextClock();
  /** the next moment a value some segment or score reads changes with the clock (the public timer's) */
  const nextReadClock = clockFor(graph);

  /** Brings everything time-dependent up to `t` if a boundary has passed. */
  function advance(t: number): void {
    if (t < lastNow) {
      // A small step back (a clock sync): engine time never runs backwards, nothing un-rolls.
      if (lastNow - t < CLOCK_SET_BACK) return;
      // The clock was set back: follow it, so that events recorded from now on count in their
      // windows; what already left a window stays out. Time-dependent values are read again.
      metrics.recheck();
      clockCheckAt = -Infinity;
    }
    lastNow = t;
    if (t < metrics.checkAt && t < clockCheckAt) return;
    const keys: string[] = [];
    if (t >= metrics.checkAt) metrics.roll(t, keys);
    if (t >= clockCheckAt) {
      keys.push(...profileKeys(t), ...labelKeys(t));
      clockCheckAt = nextClock();
    }
    membership.update(keys);
  }

  /** An event into the history (unless `history` is false) and the metrics (`only` some of them). */
  function apply(event: TrackedEvent, only?: Set<MetricRuntime>, history = true): string[] {
    const keys: string[] = [];
    if (history) {
      recordVisit(activity, event.ts);
      if ((event.type === '$exposure' || event.type === '$click') && recordCampaign(campaigns, event)) keys.push('campaigns');
    }
    metrics.add(event, lastNow, keys, only);
    return keys;
  }

  /** Everything persisted but the metrics, copied. */
  const stateBesideMetrics = () => ({
    v: 1 as const, at: lastNow, campaigns: structuredClone(campaigns), memberships: membership.memberIds(), fingerprint,
    seen: [...seen.ids.keys()], seenTs: [...seen.ids.values()], seenUpTo: Number.isFinite(seen.upTo) ? seen.upTo : undefined, replayed, activity: { ...activity }, profile: profile && structuredClone(profile), labels: structuredClone(recordList(labels)),
  });

  // Windows that rolled and days that passed while the page was closed.
  if (resumable) advance(startedAt);

  /** Every public call first brings time-dependent values up to now. */
  const at = <A extends unknown[], R>(fn: (...args: A) => R) => (...args: A): R => (advance(now()), fn(...args));
  /** Every mutating call returns the net membership change since the previous report. */
  const change = <A extends unknown[]>(fn: (...args: A) => void) => at((...args: A) => (fn(...args), membership.netChanges()));
  return {
    ingest: change((event) => {
      if (seen.ids.has(event.id)) return;
      rememberId(seen, event.id, event.ts);
      if (pendingBackfill) ingestedHere.add(event.id);
      const before = lastVisitEnd(activity, lastNow);
      const firstBefore = activity.first;
      const keys = apply(event);
      if (lastVisitEnd(activity, lastNow) !== before || activity.first !== firstBefore) {
        keys.push(...profileKeys());
        clockCheckAt = nextClock();
      }
      // This visit ends after a pause: from then on it is the "last visit".
      const visitOver = activity.last! + VISIT_IDLE + 1;
      if (visitOver > lastNow && visitOver < clockCheckAt) clockCheckAt = visitOver;
      membership.update(keys);
    }),
    setProfile: change((p) => {
      profile = p;
      // The tracker calls this on every page: only the fields that moved mark segments dirty.
      const keys = profileKeys();
      ctx.traits = p.traits ?? {};
      membership.update([...keys, 'traits']);
      clockCheckAt = nextClock();
    }),
    setLabels: change((records) => {
      labels = asRecords(records);
      membership.update(labelKeys());
      clockCheckAt = nextClock();
    }),
    tick: change(() => {}),
    nextChangeAt: at(() => {
      const next = Math.min(nextReadClock(lastNow, ctx.profile.firstSeen, activity, labels), metrics.nextChange(lastNow, graph.isUsed));
      return next === Infinity ? undefined : next;
    }),
    needsBackfill: () => pendingBackfill,
    segments: at(() => membership.segments()),
    context: at(() => structuredClone(ctx)),
    view: at(() => ctx),
    takeDecisionInputs: () => membership.takeDecisionInputs(),
    explain: at((segmentId) => membership.explain(segmentId, config.version)),
    snapshot: at(() => ({ ...stateBesideMetrics(), metrics: metrics.state() })),
    backfill: change((events) => {
      if (!pendingBackfill) return;
      pendingBackfill = false;
      const keys = new Set<string>();
      const counted = new Set<string>();
      for (const e of events) {
        if (counted.has(e.id) || ingestedHere.has(e.id)) continue;
        counted.add(e.id);
        for (const k of apply(e, metrics.fresh, rebuildHistory)) keys.add(k);
      }
      metrics.fresh.clear();
      ingestedHere.clear();
      for (const k of profileKeys()) keys.add(k);
      membership.update(keys);
      metrics.recheck();
      clockCheckAt = nextClock();
    }),
  };
}
