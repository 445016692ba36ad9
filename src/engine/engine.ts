// Real-time membership: every event updates only the metrics listening to its type, then the
// scores and segments that read them; time moving on rolls windows and days-since values at the
// exact moments they can change (nextChangeAt), never by polling.

import type { Condition, MicrosegConfig, SegmentDef } from '../config/types';
import type { Profile, TrackedEvent } from '../shared/types';
import { asRecords, labelsInForce, recordList, type Label, type LabelInput, type LabelRecords } from '../labels/labels';
import { dict } from '../shared/dict';
import { collectPaths, compileCondition, ConditionError, explainCondition, IMPLICIT_OPERATOR, operatorSpec, walkOperands, type ClauseResult, type Matcher } from '../condition';
import { compileMetric, hash, MetricRuntime, type MetricState } from './metrics';
import { compileScore, type CompiledScore } from './scores';
import { toJson } from '../shared/util';
import { DAY, MINUTE, VISIT_IDLE } from '../shared/constants';
import { isPlainObject } from '../shared/util';

/** Recent event ids kept for deduplication (a replayed batch, another tab). */
const SEEN_IDS = 512;
/** A step back of the device clock this large is a clock set back (followed), not a sync (ignored). */
const CLOCK_SET_BACK = 5 * MINUTE;
const DAY_PATH = /^profile\.daysSince|^labels\.[^.]+\.ageDays$/;
const ROOTS = new Set(['profile', 'traits', 'metrics', 'scores', 'params', 'labels', 'segments', 'campaigns']);

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
  activity: Activity;
  profile?: Profile;
  /** every label record (older versions stored a name → label object: still read) */
  labels?: Label[];
}

interface Activity {
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
  context(): EvaluationContext;
  explain(segmentId: string): Explanation;
  snapshot(): EngineState;
  /** Rebuilds metrics new in this config from retained raw events. */
  backfill(events: TrackedEvent[]): MembershipChange;
  /** Whether backfill() has anything to rebuild (so callers read raw events only then). */
  needsBackfill(): boolean;
}

interface SegmentRuntime {
  def: SegmentDef;
  /** position in the config (segments() reports in config order) */
  configIndex: number;
  fallback: boolean;
  matcher: Matcher;
  /** evaluation positions of segments whose rules name this one */
  dependents: number[];
}

export function createEngine(config: MicrosegConfig, opts: EngineOptions): Engine {
  const now = opts.now;
  const state = opts.state?.v === 1 ? opts.state : undefined;

  // ---- compile ----------------------------------------------------------------------------
  const metrics = Object.entries(config.metrics ?? {}).map(([id, def]) => compileMetric(id, def));
  const metricIds = new Set(metrics.map((m) => m.id));
  const scores = Object.entries(config.scores ?? {}).map(([id, def]) => compileScore(id, def));
  const scoreIds = new Set(scores.map((s) => s.id));
  for (const s of scores) {
    for (const path of s.inputs) {
      const root = path.split('.')[0];
      if (root === 'scores' || root === 'segments') {
        throw new ConditionError(`scores.${s.id}`, `a score cannot read "${path}" (scores are computed before segments and from non-score inputs)`);
      }
      checkPath(path, `scores.${s.id}`);
    }
  }
  // A snapshot taken under this very config carries memberships that were correct at its time:
  // resume from there, re-evaluate only what changed since, and compile each rule on first use
  // (it compiled before). This keeps a page's start-up small with a thousand segments.
  const fingerprint = hash(toJson([config.segments, config.scores ?? null, metrics.map((m) => [m.id, m.hash]), (config.campaigns ?? []).map((c) => c.id)]));
  const startedAt = now();
  const resumable =
    !!state && state.fingerprint === fingerprint && typeof state.at === 'number' && state.at <= startedAt &&
    Array.isArray(state.memberships) && metrics.every((m) => state.metrics?.[m.hash]);
  const { order, usedPaths, readers, dayOperands } = compileSegments(config.segments, checkPath, resumable);

  function checkPath(path: string, at: string): void {
    const { root, id } = splitPath(path);
    if (!ROOTS.has(root)) throw new ConditionError(at, `unknown context path "${path}" (it starts with one of ${[...ROOTS].join(', ')})`);
    if (root === 'metrics' && id !== undefined && !metricIds.has(id)) throw new ConditionError(at, `unknown metric "${id}"`);
    if (root === 'scores' && id !== undefined && !scoreIds.has(id)) throw new ConditionError(at, `unknown score "${id}"`);
  }

  // Who reads what: context key ("metrics.orders", "profile", …) → readers.
  const scoreReaders = new Map<string, CompiledScore[]>();
  for (const s of scores) for (const key of new Set(s.inputs.map(keyOf))) push(scoreReaders, key, s);
  const scoreInputs = new Set(scores.flatMap((s) => s.inputs));
  for (const p of scoreInputs) usedPaths.add(p);
  /** every used path and all its prefixes ("labels.complaint.ageDays", "labels.complaint", "labels") */
  const usedPrefixes = new Set([...usedPaths].flatMap((p) => p.split('.').map((_, i, segs) => segs.slice(0, i + 1).join('.'))));
  /** a path is read directly, through a part of it, or through a parent of it */
  const isUsed = (path: string) => usedPrefixes.has(path) || hasUsedParent(path);
  const hasUsedParent = (path: string) => {
    for (let i = path.lastIndexOf('.'); i > 0; i = path.lastIndexOf('.', i - 1)) if (usedPaths.has(path.slice(0, i))) return true;
    return false;
  };

  /** The whole-day values at which rules on `path` can flip; null: any day. */
  function dayThresholds(path: string): number[] | null {
    const operands = dayOperands.get(path);
    // A score, or a rule on a parent ("labels.complaint", "profile"), sees the value change every day.
    if (scoreInputs.has(path) || hasUsedParent(path)) return null;
    if (!operands) return [];
    const out: number[] = [];
    for (const operand of operands) {
      const values = isPlainObject(operand) ? Object.entries(operand) : [[IMPLICIT_OPERATOR, operand] as const];
      for (const [op, x] of values) {
        const flips = operatorSpec(op)?.dayFlips;
        const list = operatorSpec(op)?.operand === 'list' ? x : [x];
        if (!flips || !Array.isArray(list) || !list.every((v) => typeof v === 'number')) return null;
        // The whole-day value rises by one a day: where can the comparison with c flip?
        for (const c of list as number[]) out.push(...flips(c));
      }
    }
    return out;
  }
  const scoreReadersUnder = byRoot(scoreReaders);
  const readersUnder = byRoot(readers);
  const byEventType = new Map<string, MetricRuntime[]>();

  // ---- state --------------------------------------------------------------------------------
  const runtimes = new Map<string, MetricRuntime>();
  /** metrics with no stored state: backfill() rebuilds them */
  const fresh = new Set<MetricRuntime>();
  const builtAt = resumable ? state!.at : startedAt;
  for (const m of metrics) {
    const saved = state?.metrics?.[m.hash];
    const rt = new MetricRuntime(m, saved, builtAt);
    if (!saved) fresh.add(rt);
    runtimes.set(m.id, rt);
    for (const type of m.events) push(byEventType, type, rt);
  }
  // Ids from events and storage key null-prototype maps: "__proto__" is a campaign like any other.
  const campaigns = dict<CampaignHistory>(state && structuredClone(state.campaigns));
  // Configured campaigns start at zero, so "campaigns.spring.clicks": 0 holds before any exposure.
  for (const c of config.campaigns ?? []) campaigns[c.id] ??= { exposures: 0, clicks: 0 };
  const activity: Activity = state ? { ...state.activity } : {};
  const rebuildHistory = !state; // no history at all: backfill() derives campaigns and activity too
  let profile: Profile | undefined = state?.profile;
  let labels: LabelRecords = asRecords(state?.labels);
  const seenIds = new Set<string>(state?.seen ?? []);
  let pendingBackfill = fresh.size > 0 || rebuildHistory;
  /** ids ingested before backfill(), so it does not count them twice */
  const ingestedHere = new Set<string>();

  const n = order.length;
  const member = new Uint8Array(n);
  const reported = new Uint8Array(n);
  const dirty = new Uint8Array(n);
  /** segments whose membership changed since the last report, once each */
  const touched: number[] = [];
  const isTouched = new Uint8Array(n);
  let nonFallbackMembers = 0;
  let firstDirty = n;
  const fallbacks = order.map((s, i) => (s.fallback ? i : -1)).filter((i) => i >= 0);

  const ctx: EvaluationContext = {
    profile: { hour: 0, weekday: 0, identified: false },
    traits: dict(),
    metrics: dict(),
    scores: dict(),
    params: Object.assign(dict<number>(), config.params),
    labels: dict(),
    segments: [],
    campaigns,
  };
  let lastNow = builtAt;
  for (const [id, rt] of runtimes) ctx.metrics[id] = rt.value;
  refreshProfile(lastNow);
  refreshLabels(lastNow);
  ctx.traits = profile?.traits ?? {};
  for (const s of scores) ctx.scores[s.id] = s.compute(ctx);
  if (state) {
    const ids = new Set(state.memberships);
    order.forEach((s, i) => (reported[i] = ids.has(s.def.id) ? 1 : 0));
  }
  if (resumable) {
    member.set(reported);
    for (let i = 0; i < n; i++) if (member[i] && !order[i]!.fallback) nonFallbackMembers++;
    ctx.segments = memberIds();
  } else {
    for (let i = 0; i < n; i++) (dirty[i] = 1), touched.push(i), (isTouched[i] = 1);
    firstDirty = 0;
    evaluateDirty();
  }
  /** the next bucket expiry of any metric, and the next profile/label time boundary */
  let metricsCheckAt = nextMetricExpiry();
  let clockCheckAt = nextClockChange(false);

  function nextMetricExpiry(): number {
    let next = Infinity;
    for (const rt of runtimes.values()) {
      const at = rt.expiresAt();
      if (at !== undefined && at < next) next = at;
    }
    return next;
  }

  // ---- propagation --------------------------------------------------------------------------
  function mark(list: number[] | undefined): void {
    if (!list) return;
    for (const i of list) {
      dirty[i] = 1;
      if (i < firstDirty) firstDirty = i;
    }
  }
  const markKey = (key: string) => mark(readers.get(key));

  /**
   * Context keys changed ("metrics.orders", "profile.hour", or a whole root such as "profile"):
   * recompute the scores reading them, then mark the segments that read them or their root.
   */
  function changed(keys: Iterable<string>): void {
    const changedScores = new Set<CompiledScore>();
    const addScores = (list: CompiledScore[] | undefined) => list && list.forEach((s) => changedScores.add(s));
    for (const key of keys) {
      const dot = key.indexOf('.');
      if (dot < 0) {
        mark(readersUnder.get(key));
        addScores(scoreReadersUnder.get(key));
        continue;
      }
      const root = key.slice(0, dot);
      markKey(key);
      markKey(root);
      addScores(scoreReaders.get(key));
      addScores(scoreReaders.get(root));
    }
    for (const s of changedScores) {
      const v = s.compute(ctx);
      if (v !== ctx.scores[s.id]) {
        ctx.scores[s.id] = v;
        markKey(`scores.${s.id}`);
        markKey('scores');
      }
    }
  }

  function evaluateDirty(): void {
    for (let i = firstDirty; i < n; i++) {
      if (!dirty[i]) continue;
      dirty[i] = 0;
      const seg = order[i]!;
      const holds = seg.fallback ? nonFallbackMembers === 0 : seg.matcher(ctx);
      if (holds === (member[i] === 1)) continue;
      member[i] = holds ? 1 : 0;
      if (!isTouched[i]) (isTouched[i] = 1), touched.push(i);
      if (!seg.fallback) {
        nonFallbackMembers += holds ? 1 : -1;
        for (const f of fallbacks) dirty[f] = 1;
      }
      for (const d of seg.dependents) dirty[d] = 1;
      if (holds) ctx.segments.push(seg.def.id);
      else ctx.segments.splice(ctx.segments.indexOf(seg.def.id), 1);
    }
    firstDirty = n;
  }

  function memberIds(): string[] {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) if (member[i]) ids.push(order[i]!.def.id);
    return ids;
  }

  /** Net changes since the last report (a segment entered and left in between is no change). */
  function report(): MembershipChange {
    const entered: string[] = [];
    const exited: string[] = [];
    if (touched.length > 1) touched.sort((a, b) => order[a]!.configIndex - order[b]!.configIndex);
    for (const i of touched) {
      isTouched[i] = 0;
      if (member[i] !== reported[i]) (member[i] ? entered : exited).push(order[i]!.def.id);
      reported[i] = member[i]!;
    }
    touched.length = 0;
    return { entered, exited };
  }

  // ---- time -----------------------------------------------------------------------------------
  /** Recomputes the profile context at `t`; returns the keys of the time-dependent values that changed. */
  function refreshProfile(t: number): string[] {
    const p = profile;
    const firstSeen = minDefined(p?.firstSeen, activity.first);
    const visitEnd = lastVisitEnd(t);
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

  /** When the last visit ended: the current one once idle for long enough, else the one before. */
  function lastVisitEnd(t: number): number | undefined {
    return activity.last !== undefined && t - activity.last > VISIT_IDLE ? activity.last : activity.previousVisitEnd;
  }

  /** Recomputes the labels in force at `t`; returns "labels.<name>" for each that came, went or aged. */
  function refreshLabels(t: number): string[] {
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

  /** Brings everything time-dependent up to `t` if a boundary has passed. */
  function advance(t: number): void {
    if (t < lastNow) {
      // A small step back (a clock sync): engine time never runs backwards, nothing un-rolls.
      if (lastNow - t < CLOCK_SET_BACK) return;
      // The clock was set back: follow it, so that events recorded from now on count in their
      // windows; what already left a window stays out. Time-dependent values are read again.
      metricsCheckAt = nextMetricExpiry();
      clockCheckAt = -Infinity;
    }
    lastNow = t;
    if (t < metricsCheckAt && t < clockCheckAt) return;
    const keys: string[] = [];
    if (t >= metricsCheckAt) {
      metricsCheckAt = Infinity;
      for (const [id, rt] of runtimes) {
        if (rt.roll(t) && rt.value !== ctx.metrics[id]) {
          ctx.metrics[id] = rt.value;
          keys.push(`metrics.${id}`);
        }
        const expires = rt.expiresAt();
        if (expires !== undefined && expires < metricsCheckAt) metricsCheckAt = expires;
      }
    }
    if (t >= clockCheckAt) {
      keys.push(...refreshProfile(t), ...refreshLabels(t));
      clockCheckAt = nextClockChange(false);
    }
    changed(keys);
    evaluateDirty();
  }

  /**
   * The next moment a time-dependent value changes. `onlyUsed` keeps the ones some segment or
   * score reads (the public timer); the internal check keeps the context itself fresh.
   */
  function nextTimeChange(onlyUsed: boolean): number {
    let next = nextClockChange(onlyUsed);
    for (const [id, rt] of runtimes) {
      const at = rt.expiresAt();
      if (at !== undefined && at > lastNow && at < next && (!onlyUsed || isUsed(`metrics.${id}`))) next = at;
    }
    return next;
  }

  /** The next moment a profile or label value changes with the clock alone. */
  function nextClockChange(onlyUsed: boolean): number {
    const t = lastNow;
    let next = Infinity;
    const consider = (at: number | undefined) => {
      if (at !== undefined && at > t && at < next) next = at;
    };
    const uses = (path: string) => !onlyUsed || isUsed(path);
    if (uses('profile.hour') || uses('profile.weekday')) {
      const d = new Date(t);
      d.setMinutes(60, 0, 0);
      consider(d.getTime());
    }
    // Whole-day values: wake up only on the days a rule's threshold can be crossed.
    const days = (path: string, base: number | undefined) => {
      if (base === undefined || !uses(path)) return;
      consider(nextCrossing(base, t, onlyUsed ? dayThresholds(path) : null));
    };
    days('profile.daysSinceFirstSeen', ctx.profile.firstSeen);
    if (activity.last !== undefined && uses('profile.daysSinceLastVisit')) consider(activity.last + VISIT_IDLE + 1);
    days('profile.daysSinceLastVisit', activity.last);
    days('profile.daysSinceLastVisit', activity.previousVisitEnd);
    // The record in force changes only when it expires (another may take its place then).
    for (const [name, l] of labelsInForce(labels, t)) {
      if (!uses(`labels.${name}`)) continue;
      consider(l.expires);
      days(`labels.${name}.ageDays`, l.at);
    }
    return next;
  }

  // ---- events ---------------------------------------------------------------------------------
  function apply(event: TrackedEvent, only?: Set<MetricRuntime>, history = true): string[] {
    const keys: string[] = [];
    const t = lastNow;
    if (history) {
      const a = activity;
      if (a.last !== undefined && event.ts - a.last > VISIT_IDLE) a.previousVisitEnd = a.last;
      if (a.last === undefined || event.ts > a.last) a.last = event.ts;
      if (a.first === undefined || event.ts < a.first) a.first = event.ts;
      if (event.type === '$exposure' || event.type === '$click') {
        if (recordCampaign(event)) keys.push('campaigns');
      }
    }
    const listeners = byEventType.get(event.type);
    if (listeners) {
      for (const rt of listeners) {
        if (only && !only.has(rt)) continue;
        if (!rt.add(event, t)) continue;
        const id = rt.metric.id;
        if (rt.value !== ctx.metrics[id]) {
          ctx.metrics[id] = rt.value;
          keys.push(`metrics.${id}`);
        }
        const expires = rt.expiresAt();
        if (expires !== undefined && expires < metricsCheckAt) metricsCheckAt = expires;
      }
    }
    return keys;
  }

  function recordCampaign(event: TrackedEvent): boolean {
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

  function remember(id: string): void {
    seenIds.add(id);
    if (seenIds.size > SEEN_IDS) seenIds.delete(seenIds.values().next().value as string);
  }

  // Windows that rolled and days that passed while the page was closed.
  if (resumable) advance(startedAt);

  // ---- the engine ---------------------------------------------------------------------------
  return {
    ingest(event) {
      advance(now());
      if (seenIds.has(event.id)) return report();
      remember(event.id);
      if (pendingBackfill) ingestedHere.add(event.id);
      const before = lastVisitEnd(lastNow);
      const firstBefore = activity.first;
      const keys = apply(event);
      if (lastVisitEnd(lastNow) !== before || activity.first !== firstBefore) {
        keys.push(...refreshProfile(lastNow));
        clockCheckAt = nextClockChange(false);
      }
      // This visit ends after a pause: from then on it is the "last visit".
      const visitOver = activity.last! + VISIT_IDLE + 1;
      if (visitOver > lastNow && visitOver < clockCheckAt) clockCheckAt = visitOver;
      changed(keys);
      evaluateDirty();
      return report();
    },

    setProfile(p) {
      advance(now());
      profile = p;
      // The tracker calls this on every page: only the fields that moved mark segments dirty.
      const keys = refreshProfile(lastNow);
      ctx.traits = p.traits ?? {};
      changed([...keys, 'traits']);
      evaluateDirty();
      clockCheckAt = nextClockChange(false);
      return report();
    },

    setLabels(records) {
      advance(now());
      labels = asRecords(records);
      changed(refreshLabels(lastNow));
      evaluateDirty();
      clockCheckAt = nextClockChange(false);
      return report();
    },

    tick() {
      advance(now());
      return report();
    },

    nextChangeAt() {
      advance(now());
      const next = nextTimeChange(true);
      return next === Infinity ? undefined : next;
    },

    needsBackfill() {
      return pendingBackfill;
    },

    segments() {
      advance(now());
      const ids: [number, string][] = [];
      for (let i = 0; i < n; i++) if (member[i]) ids.push([order[i]!.configIndex, order[i]!.def.id]);
      return ids.sort((a, b) => a[0] - b[0]).map(([, id]) => id);
    },

    context() {
      advance(now());
      return structuredClone(ctx);
    },

    explain(segmentId) {
      advance(now());
      const i = order.findIndex((s) => s.def.id === segmentId);
      if (i < 0) {
        return { segment: segmentId, member: false, fallback: false, reason: `no segment "${segmentId}" in config ${config.version}`, clauses: [] };
      }
      const seg = order[i]!;
      const out: Explanation = { segment: segmentId, member: member[i] === 1, fallback: seg.fallback, clauses: [] };
      if (seg.fallback) {
        const others = ctx.segments.filter((id) => !order.find((s) => s.def.id === id)?.fallback);
        out.reason = others.length
          ? `not needed: the visitor is in ${others.join(', ')}`
          : 'the visitor is in no other segment';
      } else {
        out.clauses = explainCondition(seg.def.when, ctx);
      }
      return out;
    },

    snapshot() {
      advance(now());
      const m = dict<MetricState>();
      for (const rt of runtimes.values()) m[rt.metric.hash] = rt.state();
      return {
        v: 1,
        at: lastNow,
        metrics: m,
        campaigns: structuredClone(campaigns),
        memberships: memberIds(),
        fingerprint,
        seen: [...seenIds],
        activity: { ...activity },
        profile: profile && structuredClone(profile),
        labels: structuredClone(recordList(labels)),
      };
    },

    backfill(events) {
      advance(now());
      if (!pendingBackfill) return report();
      pendingBackfill = false;
      const keys = new Set<string>();
      const seen = new Set<string>();
      for (const e of events) {
        if (seen.has(e.id) || ingestedHere.has(e.id)) continue;
        seen.add(e.id);
        for (const k of apply(e, fresh, rebuildHistory)) keys.add(k);
      }
      fresh.clear();
      ingestedHere.clear();
      for (const k of refreshProfile(lastNow)) keys.add(k);
      changed(keys);
      evaluateDirty();
      metricsCheckAt = nextMetricExpiry();
      clockCheckAt = nextClockChange(false);
      return report();
    },
  };
}

// ---- segments ------------------------------------------------------------------------------

function compileSegments(defs: SegmentDef[], checkPath: (path: string, at: string) => void, lazy: boolean) {
  const ids = new Map<string, number>();
  defs.forEach((s, i) => {
    if (ids.has(s.id)) throw new ConditionError(`segments[${i}].id`, `duplicate segment id "${s.id}"`);
    ids.set(s.id, i);
  });
  const allIds = [...ids.keys()];
  const usedPaths = new Set<string>();
  /** operands of rules on whole-day values, for the wake-up times */
  const dayOperands = new Map<string, unknown[]>();
  const compiled = defs.map((def, i) => {
    const at = `segments[${i}].when`;
    if (def.fallback && def.when) throw new ConditionError(at, 'a fallback segment has no condition: it holds when no other segment does');
    const when: Condition = def.when ?? {};
    const matcher = lazy ? (undefined as unknown as Matcher) : compileCondition(when, at);
    const paths = new Map<string, unknown[]>();
    collectPaths(when, paths);
    const deps = new Set<number>();
    for (const [path, operands] of paths) {
      checkPath(path, `${at}.${path}`);
      usedPaths.add(path);
      if (DAY_PATH.test(path)) for (const o of operands) push(dayOperands, path, o);
      if (path === 'segments') {
        for (const ref of referencedSegments(operands, allIds)) {
          const j = ids.get(ref);
          if (j === undefined) throw new ConditionError(`${at}.segments`, `unknown segment "${ref}"`);
          deps.add(j);
        }
      }
    }
    return { def, matcher, keys: [...new Set([...paths.keys()].map(keyOf))], deps: [...deps] };
  });

  // Dependency order: a segment comes after the segments its rule names; fallbacks come last.
  const order: number[] = [];
  const mark = new Uint8Array(defs.length); // 0 new, 1 visiting, 2 done
  const visit = (i: number, stack: number[]) => {
    if (mark[i] === 2) return;
    if (mark[i] === 1) {
      const cycle = [...stack.slice(stack.indexOf(i)), i].map((j) => defs[j]!.id).join(' → ');
      throw new ConditionError(`segments[${i}].when.segments`, `segment cycle: ${cycle}`);
    }
    mark[i] = 1;
    for (const d of compiled[i]!.deps) {
      if (defs[d]!.fallback) throw new ConditionError(`segments[${i}].when.segments`, `cannot depend on the fallback segment "${defs[d]!.id}"`);
      visit(d, [...stack, i]);
    }
    mark[i] = 2;
    order.push(i);
  };
  defs.forEach((d, i) => !d.fallback && visit(i, []));
  defs.forEach((d, i) => d.fallback && order.push(i));

  const position = new Map(order.map((ci, pos) => [ci, pos]));
  const runtimes: SegmentRuntime[] = order.map((ci) => ({
    def: defs[ci]!,
    configIndex: ci,
    fallback: !!defs[ci]!.fallback,
    matcher: compiled[ci]!.matcher,
    dependents: [],
  }));
  // Compiled on first evaluation, then the closure replaces itself.
  if (lazy) for (const r of runtimes) r.matcher = (doc) => (r.matcher = compileCondition(r.def.when ?? {}, `segments[${r.configIndex}].when`))(doc);
  const readers = new Map<string, number[]>();
  order.forEach((ci, pos) => {
    for (const key of compiled[ci]!.keys) push(readers, key, pos);
    for (const d of compiled[ci]!.deps) runtimes[position.get(d)!]!.dependents.push(pos);
  });
  return { order: runtimes, usedPaths, readers, dayOperands };
}

/** Segment ids a `segments` clause names: its strings, and the ids its regexes match. */
function referencedSegments(operands: unknown[], allIds: string[]): string[] {
  const refs: string[] = [];
  walkOperands(operands, {
    literal: (v) => typeof v === 'string' && refs.push(v),
    pattern: (source) => {
      if (typeof source !== 'string') return;
      const re = new RegExp(source);
      refs.push(...allIds.filter((id) => re.test(id)));
    },
  });
  return refs;
}

const KEYED = new Set(['metrics', 'scores', 'profile', 'labels']);

/** The unit of change tracking: "metrics.<id>", "profile.hour", "labels.<name>", or a root ("traits", "campaigns"). */
function keyOf(path: string): string {
  const { root, id } = splitPath(path);
  return KEYED.has(root) && id !== undefined ? `${root}.${id}` : root;
}

/** "labels.complaint.ageDays" → root "labels", id "complaint" (without array destructuring: start-up cost). */
function splitPath(path: string): { root: string; id: string | undefined } {
  const a = path.indexOf('.');
  if (a < 0) return { root: path, id: undefined };
  const b = path.indexOf('.', a + 1);
  return { root: path.slice(0, a), id: path.slice(a + 1, b < 0 ? undefined : b) };
}

/** root → everything registered under it ("profile" → readers of profile.hour, profile.device, …). */
function byRoot<T>(map: Map<string, T[]>): Map<string, T[]> {
  const out = new Map<string, Set<T>>();
  for (const [key, list] of map) {
    const root = key.split('.')[0]!;
    const set = out.get(root) ?? new Set<T>();
    for (const x of list) set.add(x);
    out.set(root, set);
  }
  return new Map([...out].map(([k, v]) => [k, [...v]]));
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const wholeDays = (ms: number) => Math.floor(ms / DAY);
/** The next moment (after t) the whole days since `base` reach one of `values` (null: any value). */
function nextCrossing(base: number, t: number, values: number[] | null): number | undefined {
  const current = wholeDays(t - base);
  if (values === null) return base + (current + 1) * DAY;
  let k = Infinity;
  for (const v of values) if (v > current && v < k) k = v;
  return k === Infinity ? undefined : base + k * DAY;
}
function shallowEqual(a?: Record<string, string>, b?: Record<string, string>): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

const minDefined = (a?: number, b?: number) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
