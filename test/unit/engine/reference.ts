// A plain, obviously-correct evaluator: it keeps nothing between calls and recomputes every
// metric, score and membership from the raw events each time. The property test holds the
// incremental engine to it. Conditions use compileCondition (tested operator by operator).
import type { MetricDef, MicrosegConfig, ScoreDef } from '../../../src/config/types';
import type { Profile, TrackedEvent } from '../../../src/shared/types';
import { compileCondition } from '../../../src/engine';
import type { Label } from '../../../src/engine';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const IDLE = 30 * MINUTE;
const UNITS: Record<string, number> = { s: 1000, m: MINUTE, h: HOUR, d: DAY, w: 7 * DAY };

export interface ReferenceResult {
  metrics: Record<string, unknown>;
  scores: Record<string, number>;
  segments: string[];
  context: Record<string, unknown>;
}

export function evaluate(
  config: MicrosegConfig,
  ingested: TrackedEvent[],
  now: number,
  profile?: Profile,
  labels: Record<string, Label> = {},
): ReferenceResult {
  // Each id counts once: the first arrival.
  const ids = new Set<string>();
  const events = ingested.filter((e) => !ids.has(e.id) && ids.add(e.id));

  const metrics: Record<string, unknown> = {};
  for (const [id, def] of Object.entries(config.metrics ?? {})) metrics[id] = metricValue(def, events, now);

  let first: number | undefined;
  let last: number | undefined;
  let previousVisitEnd: number | undefined;
  const campaigns: Record<string, { exposures: number; clicks: number; lastAt?: number; lastClickAt?: number }> = {};
  for (const c of config.campaigns ?? []) campaigns[c.id] = { exposures: 0, clicks: 0 };
  for (const e of events) {
    if (last !== undefined && e.ts - last > IDLE) previousVisitEnd = last;
    if (last === undefined || e.ts > last) last = e.ts;
    if (first === undefined || e.ts < first) first = e.ts;
    const c = e.props.campaign;
    if ((e.type === '$exposure' && e.props.control !== true) || e.type === '$click') {
      if (typeof c !== 'string' || !c) continue;
      const h = (campaigns[c] ??= { exposures: 0, clicks: 0 });
      if (e.type === '$click') {
        h.clicks++;
        h.lastClickAt = Math.max(h.lastClickAt ?? -Infinity, e.ts);
      } else {
        h.exposures++;
        h.lastAt = Math.max(h.lastAt ?? -Infinity, e.ts);
      }
    }
  }
  const firstSeen = profile ? Math.min(profile.firstSeen, first ?? Infinity) : first;
  const lastVisitEnd = last !== undefined && now - last > IDLE ? last : previousVisitEnd;
  const days = (ms: number) => Math.floor(ms / DAY);
  const date = new Date(now);
  const ctx: Record<string, any> = {
    profile: {
      firstSeen,
      daysSinceFirstSeen: firstSeen === undefined ? undefined : days(now - firstSeen),
      daysSinceLastVisit: lastVisitEnd === undefined ? undefined : days(now - lastVisitEnd),
      visits: profile?.visits,
      device: profile?.device,
      hour: date.getHours(),
      weekday: date.getDay(),
      channel: profile?.channel,
      utm: profile?.utm,
      identified: !!profile?.userId,
    },
    traits: profile?.traits ?? {},
    metrics,
    scores: {},
    labels: Object.fromEntries(
      Object.entries(labels)
        .filter(([, l]) => !l.deleted && (l.expires === undefined || l.expires > now))
        .map(([name, l]) => [name, { at: l.at, ageDays: days(now - l.at), channel: l.channel, value: l.value }]),
    ),
    campaigns,
    segments: [],
  };
  for (const [id, def] of Object.entries(config.scores ?? {})) ctx.scores[id] = scoreValue(def, ctx);

  // Memberships by recursion over segment references.
  const byId = new Map(config.segments.map((s) => [s.id, s]));
  const memo = new Map<string, boolean>();
  const holds = (id: string): boolean => {
    if (memo.has(id)) return memo.get(id)!;
    const seg = byId.get(id)!;
    const refs = JSON.stringify(seg.when ?? {}).match(/"[^"]*"/g)?.map((s) => JSON.parse(s) as string).filter((s) => byId.has(s) && s !== id) ?? [];
    const segments = [...new Set(refs)].filter(holds);
    const result = compileCondition(seg.when ?? {})({ ...ctx, segments });
    memo.set(id, result);
    return result;
  };
  const regular = config.segments.filter((s) => !s.fallback).map((s) => s.id).filter(holds);
  const fallbacks = regular.length ? [] : config.segments.filter((s) => s.fallback).map((s) => s.id);
  const member = new Set([...regular, ...fallbacks]);
  return { metrics, scores: ctx.scores, segments: config.segments.map((s) => s.id).filter((id) => member.has(id)), context: ctx };
}

/** The window by its definition alone: an event counts until exactly its timestamp + the window. */
function windowFilter(def: MetricDef, now: number): (ts: number) => boolean {
  if (!def.window) return () => true;
  const m = /^(\d+)([smhdw])$/.exec(def.window)!;
  const ms = Number(m[1]) * UNITS[m[2]!]!;
  return (ts) => now - ts < ms;
}

/** Every value a dotted path reaches, through arrays, leaf arrays flattened, null/missing dropped. */
function valuesAt(doc: unknown, path: string[]): unknown[] {
  if (path.length === 0) return Array.isArray(doc) ? doc.filter((v) => v != null) : doc == null ? [] : [doc];
  if (Array.isArray(doc)) return /^\d+$/.test(path[0]!) ? valuesAt(doc[Number(path[0])], path.slice(1)) : doc.flatMap((el) => (typeof el === 'object' && el !== null ? valuesAt(el, path) : []));
  if (typeof doc !== 'object' || doc === null) return [];
  return valuesAt((doc as Record<string, unknown>)[path[0]!], path.slice(1));
}

function observations(def: MetricDef, e: TrackedEvent): unknown[] | undefined {
  const where = def.where ?? {};
  if (!def.field) return compileCondition(where)(e.props) ? [true] : undefined;
  const [head, ...rest] = def.field.split('.');
  const itemClauses = Object.entries(where).filter(([k]) => rest.length > 0 && k.startsWith(`${head}.`));
  const eventClauses = Object.entries(where).filter(([k]) => !(rest.length > 0 && k.startsWith(`${head}.`)));
  if (!compileCondition(Object.fromEntries(eventClauses))(e.props)) return undefined;
  if (itemClauses.length === 0) return valuesAt(e.props, def.field.split('.'));
  const itemWhere = compileCondition(Object.fromEntries(itemClauses.map(([k, v]) => [k.slice(head!.length + 1), v])));
  const list = e.props[head!];
  const items = (Array.isArray(list) ? list : [list]).filter((it) => typeof it === 'object' && it !== null && itemWhere(it));
  return items.flatMap((it) => valuesAt(it, rest));
}

function metricValue(def: MetricDef, events: TrackedEvent[], now: number): unknown {
  const types = Array.isArray(def.event) ? def.event : [def.event];
  const inWindow = windowFilter(def, now);
  const obs: { ts: number; values: unknown[] }[] = [];
  for (const e of events) {
    if (!types.includes(e.type) || !inWindow(e.ts)) continue;
    const values = observations(def, e);
    if (values && values.length) obs.push({ ts: e.ts, values });
  }
  const all = obs.flatMap((o) => o.values);
  const nums = all.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  let firstObs: (typeof obs)[number] | undefined;
  let lastObs: (typeof obs)[number] | undefined;
  for (const o of obs) {
    if (!firstObs || o.ts < firstObs.ts) firstObs = o;
    if (!lastObs || o.ts >= lastObs.ts) lastObs = o;
  }
  switch (def.agg) {
    case 'count':
      return all.length;
    case 'sum':
      return nums.reduce((a, b) => a + b, 0);
    case 'avg':
      return nums.length ? nums.reduce((a, b) => a + b, 0) / nums.length : undefined;
    case 'min':
      return nums.length ? Math.min(...nums) : undefined;
    case 'max':
      return nums.length ? Math.max(...nums) : undefined;
    case 'first':
      return firstObs?.values[0];
    case 'last':
      return lastObs?.values[lastObs.values.length - 1];
    case 'firstAt':
      return firstObs?.ts;
    case 'lastAt':
      return lastObs?.ts;
    case 'distinct':
      return Math.min(new Set(all.map((v) => JSON.stringify(v))).size, def.limit ?? 1000);
  }
}

function scoreValue(def: ScoreDef, ctx: Record<string, any>): number {
  const read = (path: string) => {
    let v: any = ctx;
    for (const k of path.split('.')) v = v?.[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    return def.defaults?.[path] ?? 0;
  };
  if (def.model === 'lookalike') {
    const x = def.features.map(read);
    const dot = x.reduce((a, v, i) => a + v * def.centroid[i]!, 0);
    const nx = Math.hypot(...x);
    const nc = Math.hypot(...def.centroid);
    return nx === 0 || nc === 0 ? 0 : dot / (nx * nc);
  }
  const z = Object.entries(def.weights).reduce((a, [p, w]) => a + w * read(p), def.bias);
  return def.model === 'logistic' ? 1 / (1 + Math.exp(-z)) : z;
}
