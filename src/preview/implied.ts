// A segment preview implies the labels its rule reads: forcing "recent-complainers" sets a recent
// `complaint` label, so the suppressions that read the same label hide the promotions, as they
// would for a real member. Label paths come from the paths the condition compiler reads
// (collectPaths); candidate values come from the rule's own operands and are checked by
// evaluating the rule, so any label rule works, not only "ageDays < n".
import type { Condition, MicrosegConfig, SegmentDef } from '../config/types';
import { collectPaths, explainCondition, compileCondition, walkOperands, type ClauseResult } from '../condition';
import type { EvaluationContext, LabelContext } from '../engine';
import { DAY } from '../shared/constants';

/** Enough to try every operand of an ordinary rule; bounded so a large rule cannot stall the preview. */
const MAX_TRIES = 512;
/** Channels to try when a rule wants a label from anywhere but the ones it names. */
const OTHER_CHANNELS = ['call-centre', 'email', 'store'];

export interface ImpliedLabels {
  /** label name → the forced segment whose rule implied it */
  implied: Map<string, string>;
  /** Why a forced segment's labels could not be implied, one sentence each. */
  unmet: string[];
}

/** The label names a condition reads ("labels.complaint.ageDays" → "complaint"). */
export function labelsRead(when: Condition | undefined): string[] {
  return [...labelOperands(when).keys()];
}

/**
 * Sets, in `ctx.labels`, the labels that the rules of the forced segments need and the visitor
 * does not have. Labels the persona sets or clears itself (`keep`) are left alone.
 */
export function implyLabels(config: MicrosegConfig, forced: string[], ctx: EvaluationContext, now: number, keep: Set<string>): ImpliedLabels {
  const result: ImpliedLabels = { implied: new Map(), unmet: [] };
  for (const id of forced) {
    const rules = rulesBehind(config, id);
    const reads = new Map<string, Map<string, unknown[]>>();
    for (const r of rules) for (const [name, fields] of labelOperands(r.when)) if (!keep.has(name) && !result.implied.has(name)) merge(reads, name, fields);
    if (!reads.size) continue;
    const matchers = rules.map((r) => ({ when: r.when!, match: compileCondition(r.when!, `segment ${r.id}`) }));
    const best = bestLabels(reads, now, (labels) => {
      Object.assign(ctx.labels, labels);
      for (const name of reads.keys()) if (!labels[name]) delete ctx.labels[name];
      return score(matchers, ctx);
    });
    for (const name of reads.keys()) {
      const label = best.labels[name];
      if (label) ctx.labels[name] = label;
      else delete ctx.labels[name];
      if (best.met) result.implied.set(name, id);
    }
    if (!best.met) {
      const names = [...reads.keys()].join(', ');
      result.unmet.push(`${id}: no value of the label${reads.size > 1 ? 's' : ''} ${names} satisfies its rule on its own; set ${reads.size > 1 ? 'them' : 'it'} under Labels`);
    }
  }
  return result;
}

/** The forced segment's rule and the rules of the segments it names, each once. */
function rulesBehind(config: MicrosegConfig, id: string, seen = new Set<string>()): SegmentDef[] {
  if (seen.has(id)) return [];
  seen.add(id);
  const def = config.segments.find((s) => s.id === id);
  if (!def?.when) return [];
  const paths = new Map<string, unknown[]>();
  collectPaths(def.when, paths);
  const named = strings(paths.get('segments') ?? []);
  return [def, ...named.flatMap((ref) => rulesBehind(config, ref, seen))];
}

/** label name → field ("ageDays", "channel", "value", "at", "" for the label itself) → operands */
function labelOperands(when: Condition | undefined): Map<string, Map<string, unknown[]>> {
  const paths = new Map<string, unknown[]>();
  collectPaths(when, paths);
  const out = new Map<string, Map<string, unknown[]>>();
  for (const [path, operands] of paths) {
    const [root, name, field = ''] = path.split('.');
    if (root !== 'labels' || !name) continue;
    merge(out, name, new Map([[field, operands]]));
  }
  return out;
}

function merge(into: Map<string, Map<string, unknown[]>>, name: string, fields: Map<string, unknown[]>): void {
  const at = into.get(name) ?? new Map<string, unknown[]>();
  for (const [field, ops] of fields) at.set(field, [...(at.get(field) ?? []), ...ops]);
  into.set(name, at);
}

/** Literal values inside operands: numbers, strings, booleans, members of lists, values of operator objects. */
function literals(operands: unknown[]): unknown[] {
  const out: unknown[] = [];
  walkOperands(operands, { literal: (v) => out.push(v) });
  return out;
}

const strings = (operands: unknown[]) => literals(operands).filter((v): v is string => typeof v === 'string');

/** Values to try for one label: every combination of the rule's own literals, a fresh web label first. */
function candidates(fields: Map<string, unknown[]>, now: number): Array<LabelContext | undefined> {
  const numbers = (field: string) => literals(fields.get(field) ?? []).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const ages = unique([0, ...numbers('ageDays').flatMap((n) => [n, n + 1, n - 1])].filter((n) => n >= 0).map(Math.floor));
  const ats = numbers('at').flatMap((n) => [n, n + 1, n - 1]);
  const channels = unique(['web', ...strings(fields.get('channel') ?? []), ...OTHER_CHANNELS]);
  const values = unique([undefined, ...literals(fields.get('value') ?? []), true]);
  const out: Array<LabelContext | undefined> = [];
  for (const ageDays of ages) for (const channel of channels) for (const value of values) out.push(label(now - ageDays * DAY, now, channel, value));
  for (const at of ats) out.push(label(at, now, 'web', undefined));
  out.push(undefined); // not set: a rule may want the label absent
  return out;
}

function label(at: number, now: number, channel: string, value: unknown): LabelContext {
  return { at, ageDays: Math.max(0, Math.floor((now - at) / DAY)), channel, ...(value !== undefined ? { value } : {}) };
}

const unique = <T>(list: T[]): T[] => [...new Set(list)];

interface Scored {
  /** every rule holds, or at least every clause that reads a label passes */
  met: boolean;
  rank: number;
}

function score(matchers: Array<{ when: Condition; match: (ctx: unknown) => boolean }>, ctx: EvaluationContext): Scored {
  let holds = 0;
  let labelClauses = 0;
  let passing = 0;
  for (const m of matchers) {
    if (m.match(ctx)) holds++;
    for (const c of flatten(explainCondition(m.when, ctx))) {
      if (!c.path?.startsWith('labels.')) continue;
      labelClauses++;
      if (c.pass) passing++;
    }
  }
  const met = holds === matchers.length || passing === labelClauses;
  return { met, rank: holds === matchers.length ? Infinity : passing };
}

function flatten(clauses: ClauseResult[]): ClauseResult[] {
  return clauses.flatMap((c) => [c, ...flatten(c.clauses ?? [])]);
}

/** The first combination (in candidate order) with the best score. */
function bestLabels(reads: Map<string, Map<string, unknown[]>>, now: number, evaluate: (labels: Record<string, LabelContext | undefined>) => Scored): { labels: Record<string, LabelContext | undefined>; met: boolean } {
  const names = [...reads.keys()];
  const options = names.map((n) => candidates(reads.get(n)!, now));
  let best: { labels: Record<string, LabelContext | undefined>; met: boolean; rank: number } | undefined;
  let tries = 0;
  const walk = (i: number, picked: Record<string, LabelContext | undefined>) => {
    if (tries >= MAX_TRIES || best?.rank === Infinity) return;
    if (i === names.length) {
      tries++;
      const s = evaluate(picked);
      if (!best || s.rank > best.rank) best = { labels: { ...picked }, met: s.met, rank: s.rank };
      return;
    }
    for (const option of options[i]!) walk(i + 1, { ...picked, [names[i]!]: option });
  };
  walk(0, {});
  return best ?? { labels: {}, met: false };
}
