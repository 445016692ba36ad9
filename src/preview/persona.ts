// The page as a persona would see it: a private engine built from a copy of the visitor's state
// (or from nothing, for a new visitor) at the persona's moment, the persona's overrides on top,
// then the same decide() the live page uses. Pure: nothing here is stored or sent.
import { dict } from '../shared/dict';
import type { MicrosegConfig, SuppressionDef } from '../config/types';
import { activeSuppressions, decide, localDate, slotsOf, suppressedOffers, type Decision } from '../decide/decide';
import type { ExposureHistory } from '../decide/history';
import { compileCondition, createEngine, explainCondition, type EngineState, type EvaluationContext, type Explanation } from '../engine';
import { compileScore } from '../engine/scores';
import { newProfile, pageContext } from '../track';
import { implyLabels, labelsRead } from './implied';
import type { Persona, PreviewView } from './types';
import { toJson } from '../shared/util';
import { DAY } from '../shared/constants';


export interface PersonaInput {
  config: MicrosegConfig;
  persona: Persona;
  /** The real clock now. */
  now: number;
  state?: EngineState;
  history?: ExposureHistory;
  visitor: string;
  visit: number;
}

export interface PersonaResult {
  /** The persona's moment and local date. */
  now: number;
  date: string;
  ctx: EvaluationContext;
  segments: string[];
  /** Membership by the rules alone (before the persona's exact list). */
  ruled: string[];
  explain(id: string): Explanation & { forced: boolean };
  /** Every label name the config reads or the persona has. */
  labelNames: string[];
  /** Labels set because a forced segment's rule reads them: label name → that segment. */
  impliedLabels: Map<string, string>;
  /** Forced segments whose labels the preview could not imply, and why. */
  unmetLabels: string[];
  suppressions: SuppressionDef[];
  /** Slots whose campaign this visitor would get as its hold-out group (the preview shows the campaign anyway). */
  holdout: Set<string>;
  decide(slot: string): Decision;
  view: PreviewView;
}

/** The same time of day on another local date. */
export function atDate(date: string | undefined, now: number): number {
  const m = date && /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return now;
  const d = new Date(now);
  d.setFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return d.getTime();
}

export function evaluatePersona(input: PersonaInput): PersonaResult {
  const { config, persona } = input;
  const t = atDate(persona.date, input.now);
  const engine = createEngine(config, { now: () => t, state: persona.blank ? undefined : structuredClone(input.state) });
  if (persona.blank) engine.setProfile(newProfile(t, pageContext(), 'microseg-preview'));
  const ctx = engine.context();

  ctx.traits = Object.assign(dict(), ctx.traits, persona.traits); // names from the token: no prototype
  Object.assign(ctx.metrics, persona.metrics);
  for (const [name, label] of Object.entries(persona.labels ?? {})) {
    if (label === false) delete ctx.labels[name];
    else {
      const age = Math.max(0, Number(label.ageDays) || 0);
      ctx.labels[name] = { at: t - age * DAY, ageDays: Math.floor(age), channel: label.channel ?? 'web', ...(label.value !== undefined ? { value: label.value } : {}) };
    }
  }
  for (const [id, def] of Object.entries(config.scores ?? {})) ctx.scores[id] = compileScore(id, def).compute(ctx);

  // Rules over the overridden context; segment-of-segment rules settle within a few passes.
  const rules = config.segments.filter((s) => !s.fallback).map((s, i) => ({ id: s.id, match: compileCondition(s.when ?? {}, `segments[${i}].when`) }));
  let ruled: string[] = [];
  for (let pass = 0; pass <= rules.length; pass++) {
    ctx.segments = ruled;
    const next = rules.filter((r) => r.match(ctx)).map((r) => r.id);
    if (next.join() === ruled.join()) break;
    ruled = next;
  }
  const fallbacks = config.segments.filter((s) => s.fallback).map((s) => s.id);
  if (!ruled.length) ruled = fallbacks;
  let segments = ruled;
  if (persona.segments) {
    const wanted = new Set(persona.segments);
    segments = config.segments.filter((s) => wanted.has(s.id)).map((s) => s.id);
    if (!segments.length) segments = fallbacks;
  }
  ctx.segments = segments;
  const forced = persona.segments ? segments.filter((id) => !ruled.includes(id)) : [];
  const { implied, unmet } = implyLabels(config, forced, ctx, t, new Set(Object.keys(persona.labels ?? {})));
  if (implied.size) for (const [id, def] of Object.entries(config.scores ?? {})) ctx.scores[id] = compileScore(id, def).compute(ctx);

  const suppressions = activeSuppressions(config, ctx);
  const state = {
    now: t,
    date: localDate(t),
    visit: input.visit,
    view: 'microseg-preview',
    visitor: persona.blank ? 'microseg-preview' : input.visitor,
    history: persona.blank ? {} : structuredClone(input.history ?? {}),
    onScreen: [],
  };
  const holdout = new Set<string>();
  const decisions = new Map<string, Decision>();
  const decideSlot = (slot: string): Decision => {
    let d = decisions.get(slot);
    if (!d) {
      d = decide(config, slot, ctx, state, suppressions);
      // The marketer wants to see the campaign: a hold-out visitor is noted, not shown the default.
      if (d.control) {
        holdout.add(slot);
        d = { ...d, control: false, content: config.campaigns?.find((c) => c.id === d!.campaign)?.content };
      }
      decisions.set(slot, d);
    }
    return d;
  };
  for (const slot of slotsOf(config)) decideSlot(slot);
  const offers = suppressedOffers(suppressions);

  const labelNames = new Set<string>(Object.keys(ctx.labels));
  for (const rule of [...config.segments, ...(config.suppressions ?? [])]) for (const name of labelsRead(rule.when)) labelNames.add(name);
  for (const name of Object.keys(persona.labels ?? {})) labelNames.add(name);

  return {
    now: t,
    date: state.date,
    ctx,
    segments,
    ruled,
    explain(id) {
      const def = config.segments.find((s) => s.id === id);
      const member = segments.includes(id);
      const forced = member !== ruled.includes(id);
      if (!def) return { segment: id, member: false, fallback: false, reason: `no segment "${id}"`, clauses: [], forced: false };
      if (def.fallback) {
        const others = segments.filter((s) => !fallbacks.includes(s));
        return { segment: id, member, fallback: true, reason: others.length ? `not needed: in ${others.join(', ')}` : 'in no other segment', clauses: [], forced };
      }
      return { segment: id, member, fallback: false, clauses: explainCondition(def.when, ctx), forced };
    },
    labelNames: [...labelNames].sort(),
    impliedLabels: implied,
    unmetLabels: unmet,
    suppressions,
    holdout,
    decide: decideSlot,
    view: { decide: decideSlot, offers: () => offers },
  };
}
