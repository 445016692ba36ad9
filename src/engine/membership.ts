// Membership: which segments hold, kept in step with the context by marking the readers of each
// changed key dirty and evaluating only those, in dependency order; net changes are reported
// once per segment since the previous report.

import { explainCondition } from '../condition';
import type { CompiledScore } from './scores';
import type { DependencyGraph } from './graph';
import type { EvaluationContext, Explanation, MembershipChange } from './types';
import { crossed, type Thresholds } from './thresholds';

/** What a change of one context key touches. */
interface KeyPlan {
  /** segments to evaluate: the key's readers and its root's ("metrics.orders" → also readers of "metrics") */
  readers: number[] | undefined;
  /** scores to recompute */
  scores: CompiledScore[];
  /** the segments comparing the value with constants, how to read it, and its value when they were last in step with it */
  thresholds?: Thresholds;
  read?: () => unknown;
  seen?: unknown;
  /** for a root: the thresholded keys under it */
  resets?: string[];
  /** decisions read it (graph.decisionReads) */
  decisions: boolean;
}

export interface Membership {
  /**
   * Context keys changed ("metrics.orders", "profile.hour", or a whole root such as "profile"):
   * recompute the scores reading them, then evaluate the segments that read them or their root
   * (and those depending on these); the context's `segments` follows.
   */
  update(keys: Iterable<string>): void;
  /** Net changes since the last report (a segment entered and left in between is no change). */
  netChanges(): MembershipChange;
  /** Whether a key decisions read (graph.decisionReads) changed since the last call. */
  takeDecisionInputs(): boolean;
  /** member ids in evaluation order */
  memberIds(): string[];
  /** member ids in config order */
  segments(): string[];
  explain(segmentId: string, version: string): Explanation;
}

/**
 * `reportedIds`: the memberships last reported (a snapshot's). `resumable`: they are correct for
 * this config, so they are trusted; otherwise every segment is evaluated now.
 */
export function createMembership(graph: DependencyGraph, ctx: EvaluationContext, reportedIds: string[] | undefined, resumable: boolean): Membership {
  const { order } = graph;
  const n = order.length;
  const member = new Uint8Array(n);
  const reported = new Uint8Array(n);
  const dirty = new Uint8Array(n);
  /** segments whose membership changed since the last report, once each */
  const touched: number[] = [];
  const isTouched = new Uint8Array(n);
  let nonFallbackMembers = 0;
  let decisionInputs = false;
  let firstDirty = n;
  const fallbacks = order.map((s, i) => (s.fallback ? i : -1)).filter((i) => i >= 0);

  const markOne = (i: number) => {
    dirty[i] = 1;
    if (i < firstDirty) firstDirty = i;
  };
  function mark(list: number[] | undefined): void {
    if (list) for (const i of list) markOne(i);
  }
  const { planOf, inStep } = keyPlans(graph, ctx);
  const scoreKeys = new Map<CompiledScore, string>();
  const scoreKey = (s: CompiledScore) => scoreKeys.get(s) ?? (scoreKeys.set(s, `scores.${s.id}`), `scores.${s.id}`);
  /** reused by every update: scores to recompute */
  const changedScores = new Set<CompiledScore>();

  /** A key changed: its readers, of the segments comparing it with constants those it moved across, the scores reading it. */
  function markKey(key: string): void {
    const plan = planOf(key);
    if (plan.decisions) decisionInputs = true;
    mark(plan.readers);
    for (const sc of plan.scores) changedScores.add(sc);
    if (plan.thresholds) {
      const now = plan.read!();
      crossed(plan.thresholds, plan.seen, now, markOne);
      plan.seen = now;
    }
    // A whole root changed: every segment under it is evaluated, so every key under it is in step.
    if (plan.resets) inStep(plan.resets);
  }

  function changed(keys: Iterable<string>): void {
    for (const key of keys) markKey(key);
    for (const sc of changedScores) {
      const v = sc.compute(ctx);
      if (v !== ctx.scores[sc.id]) {
        ctx.scores[sc.id] = v;
        markKey(scoreKey(sc));
      }
    }
    changedScores.clear();
  }

  function evaluate(): void {
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

  function netChanges(): MembershipChange {
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

  function segments(): string[] {
    const ids: [number, string][] = [];
    for (let i = 0; i < n; i++) if (member[i]) ids.push([order[i]!.configIndex, order[i]!.def.id]);
    return ids.sort((a, b) => a[0] - b[0]).map(([, id]) => id);
  }

  function explain(segmentId: string, version: string): Explanation {
    const i = order.findIndex((s) => s.def.id === segmentId);
    if (i < 0) {
      return { segment: segmentId, member: false, fallback: false, reason: `no segment "${segmentId}" in config ${version}`, clauses: [] };
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
  }

  if (reportedIds) {
    const ids = new Set(reportedIds);
    order.forEach((s, i) => (reported[i] = ids.has(s.def.id) ? 1 : 0));
  }
  if (resumable) {
    member.set(reported);
    for (let i = 0; i < n; i++) if (member[i] && !order[i]!.fallback) nonFallbackMembers++;
    ctx.segments = memberIds();
  } else {
    for (let i = 0; i < n; i++) (dirty[i] = 1), touched.push(i), (isTouched[i] = 1);
    firstDirty = 0;
    evaluate();
  }
  function takeDecisionInputs(): boolean {
    const moved = decisionInputs;
    decisionInputs = false;
    return moved;
  }
  return { update: (keys) => (changed(keys), evaluate()), netChanges, takeDecisionInputs, memberIds, segments, explain };
}

/**
 * What a change of each context key touches, worked out on its first change and kept; with each
 * thresholded key's value when its readers were last in step with it (the memberships, trusted or
 * evaluated, are in step with the values now).
 */
function keyPlans(graph: DependencyGraph, ctx: EvaluationContext): { planOf(key: string): KeyPlan; inStep(keys: string[]): void } {
  const { readers, thresholds, readersUnder, scoreReaders, scoreReadersUnder } = graph;
  const thresholdedUnder = (root: string) => [...thresholds.keys()].filter((k) => k.startsWith(`${root}.`));
  const valueOf = (key: string) => {
    const dot = key.indexOf('.');
    return (ctx[key.slice(0, dot) as keyof EvaluationContext] as Record<string, unknown>)[key.slice(dot + 1)];
  };
  /** the plans of the keys changed so far (one lookup per changed key and event) */
  const plans = new Map<string, KeyPlan>();
  /** a thresholded key's value in step, until it has a plan (which keeps it then) */
  const seen = new Map<string, unknown>();
  for (const key of thresholds.keys()) seen.set(key, valueOf(key));

  function plan(key: string): KeyPlan {
    const dot = key.indexOf('.');
    if (dot < 0) return { readers: readersUnder.get(key), scores: scoreReadersUnder.get(key) ?? [], resets: thresholdedUnder(key), decisions: graph.decisionReads(key) };
    const root = key.slice(0, dot);
    const id = key.slice(dot + 1);
    return {
      readers: [...(readers.get(key) ?? []), ...(readers.get(root) ?? [])],
      scores: [...(scoreReaders.get(key) ?? []), ...(scoreReaders.get(root) ?? [])],
      thresholds: thresholds.get(key),
      read: () => (ctx[root as keyof EvaluationContext] as Record<string, unknown>)[id],
      seen: seen.get(key),
      decisions: graph.decisionReads(key),
    };
  }
  return {
    planOf(key) {
      let p = plans.get(key);
      if (!p) plans.set(key, (p = plan(key)));
      return p;
    },
    /** Every reader of these keys was just evaluated: they are in step with their values now. */
    inStep(keys) {
      for (const key of keys) {
        const p = plans.get(key);
        if (p) p.seen = valueOf(key);
        else seen.set(key, valueOf(key));
      }
    },
  };
}
