// (a) Our compiled conditions against GrowthBook's evalCondition, sift and json-logic-js on the
// same conditions and the same evaluation contexts. Every peer must agree on every answer
// before anything is timed.
import { evalCondition } from '@growthbook/growthbook';
import jsonLogic from 'json-logic-js';
import sift from 'sift';
import { pathToFileURL } from 'node:url';
import { compileCondition } from '../../src/engine';
import { rng } from './workload';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Query } from 'mingo';

type Doc = Record<string, unknown>;

/** Segment rules as a marketer writes them, with the json-logic equivalent of each. */
const CASES: { name: string; mongo: Record<string, unknown>; logic: unknown }[] = [
  {
    name: 'new handbag browsers',
    mongo: { 'profile.daysSinceFirstSeen': { $lt: 7 }, 'metrics.orders': 0, 'metrics.handbag_views_7d': { $gte: 1 } },
    logic: { and: [{ '<': [{ var: 'profile.daysSinceFirstSeen' }, 7] }, { '==': [{ var: 'metrics.orders' }, 0] }, { '>=': [{ var: 'metrics.handbag_views_7d' }, 1] }] },
  },
  {
    name: 'churning skiers',
    mongo: { 'scores.churn': { $gt: 0.7 }, 'metrics.ski_items': { $gte: 2 } },
    logic: { and: [{ '>': [{ var: 'scores.churn' }, 0.7] }, { '>=': [{ var: 'metrics.ski_items' }, 2] }] },
  },
  {
    name: 'mobile or email/social',
    mongo: { $or: [{ 'profile.device': 'mobile' }, { 'profile.channel': { $in: ['email', 'social'] } }] },
    logic: { or: [{ '==': [{ var: 'profile.device' }, 'mobile'] }, { in: [{ var: 'profile.channel' }, ['email', 'social']] }] },
  },
  {
    name: 'not vip, evening weekend',
    mongo: { segments: { $nin: ['vip', 'staff'] }, 'profile.hour': { $gte: 18, $lt: 23 }, 'profile.weekday': { $in: [0, 5, 6] } },
    logic: {
      and: [
        { none: [{ var: 'segments' }, { in: [{ var: '' }, ['vip', 'staff']] }] },
        { '>=': [{ var: 'profile.hour' }, 18] },
        { '<': [{ var: 'profile.hour' }, 23] },
        { in: [{ var: 'profile.weekday' }, [0, 5, 6]] },
      ],
    },
  },
  {
    name: 'url contains /handbags/',
    mongo: { 'profile.url': { $regex: '/handbags/' } },
    logic: { in: ['/handbags/', { var: 'profile.url' }] },
  },
  {
    name: 'cart has a ski item ≥ 100',
    mongo: { 'cart.items': { $elemMatch: { category: 'ski', price: { $gte: 100 } } } },
    logic: { some: [{ var: 'cart.items' }, { and: [{ '==': [{ var: 'category' }, 'ski'] }, { '>=': [{ var: 'price' }, 100] }] }] },
  },
  {
    name: 'big spender, no response',
    mongo: { 'metrics.spend': { $gt: 500 }, 'metrics.campaign_exposures': { $gte: 1 }, 'metrics.campaign_clicks': 0 },
    logic: { and: [{ '>': [{ var: 'metrics.spend' }, 500] }, { '>=': [{ var: 'metrics.campaign_exposures' }, 1] }, { '==': [{ var: 'metrics.campaign_clicks' }, 0] }] },
  },
  {
    name: 'gold tier and not complained',
    mongo: { 'traits.tier': 'gold', 'labels.complaint': { $exists: false } },
    logic: { and: [{ '==': [{ var: 'traits.tier' }, 'gold'] }, { '!': { var: 'labels.complaint' } }] },
  },
];

/** Evaluation contexts like the engine's, varied so every rule sometimes passes and sometimes fails. */
export function contexts(count = 256, seed = 7): Doc[] {
  const r = rng(seed);
  const pick = <T>(l: T[]) => l[Math.floor(r() * l.length)]!;
  return Array.from({ length: count }, () => ({
    profile: {
      daysSinceFirstSeen: Math.floor(r() * 14), visits: 1 + Math.floor(r() * 20), device: pick(['mobile', 'desktop', 'tablet']),
      channel: pick(['direct', 'search', 'social', 'email', 'paid']), hour: Math.floor(r() * 24), weekday: Math.floor(r() * 7),
      url: pick(['https://shop.test/handbags/tote-12', 'https://shop.test/shoes/loafer', 'https://shop.test/']),
    },
    traits: { tier: pick(['gold', 'silver', 'bronze']) },
    metrics: {
      orders: pick([0, 0, 1, 3]), handbag_views_7d: pick([0, 1, 4]), ski_items: pick([0, 1, 2, 5]),
      spend: Math.floor(r() * 1000), campaign_exposures: pick([0, 1, 2]), campaign_clicks: pick([0, 0, 1]),
    },
    scores: { churn: r() },
    labels: r() < 0.2 ? { complaint: { at: 1, ageDays: 3, channel: 'call-centre' } } : {},
    segments: r() < 0.3 ? ['vip', 'b'] : ['a', 'b', 'c'],
    cart: { items: Array.from({ length: Math.floor(r() * 4) }, () => ({ category: pick(['ski', 'shoes', 'jackets']), price: Math.floor(r() * 300) })) },
  }));
}

type Evaluator = (doc: Doc) => boolean;
const PEERS: { name: string; prepare: (c: (typeof CASES)[number]) => Evaluator }[] = [
  { name: 'microseg (compiled)', prepare: (c) => compileCondition(c.mongo) },
  { name: 'sift', prepare: (c) => sift(c.mongo) as Evaluator },
  { name: 'growthbook evalCondition', prepare: (c) => (doc) => evalCondition(doc, c.mongo as never) },
  { name: 'json-logic-js', prepare: (c) => (doc) => !!jsonLogic.apply(c.logic as never, doc) },
];

function opsPerSecond(fn: Evaluator, docs: Doc[], ms: number): number {
  let hits = 0;
  let n = 0;
  const began = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < docs.length; i++) if (fn(docs[i]!)) hits++;
    n += docs.length;
    elapsed = performance.now() - began;
  }
  if (hits < 0) console.log(hits); // keeps the loop observable
  return (n / elapsed) * 1000;
}

export async function run(msPerCase = 40, rounds = 7): Promise<Record<string, unknown>> {
  const docs = contexts();
  // Same answers first: a fast wrong answer is no result.
  for (const c of CASES) {
    const expected = docs.map(compileCondition(c.mongo));
    for (const p of PEERS.slice(1)) {
      const got = docs.map(p.prepare(c));
      const diff = got.findIndex((v, i) => v !== expected[i]);
      if (diff >= 0) throw new Error(`${p.name} disagrees on "${c.name}" for context #${diff}`);
    }
  }
  // Interleaved rounds, best of each: a busy machine slows a round, never speeds one up.
  const best = new Map<string, number>();
  const prepared = CASES.map((c) => PEERS.map((p) => p.prepare(c)));
  for (let round = 0; round < rounds; round++) {
    CASES.forEach((c, ci) =>
      PEERS.forEach((p, pi) => {
        const key = `${c.name}|${p.name}`;
        best.set(key, Math.max(best.get(key) ?? 0, opsPerSecond(prepared[ci]![pi]!, docs, msPerCase)));
      }),
    );
  }
  const rows: Record<string, string | number>[] = [];
  const totals = new Map<string, number>();
  for (const c of CASES) {
    const row: Record<string, string | number> = { condition: c.name };
    for (const p of PEERS) {
      const ops = best.get(`${c.name}|${p.name}`)!;
      row[p.name] = Math.round(ops);
      // Time per evaluation summed over cases: the cost of evaluating this whole rule set once.
      totals.set(p.name, (totals.get(p.name) ?? 0) + 1 / ops);
    }
    const fastestPeer = Math.max(...PEERS.slice(1).map((p) => row[p.name] as number));
    row['× fastest peer'] = +((row[PEERS[0]!.name] as number) / fastestPeer).toFixed(1);
    rows.push(row);
  }
  const overall = PEERS.map((p) => ({ evaluator: p.name, 'ops/s (all rules)': Math.round(CASES.length / totals.get(p.name)!) }));
  const ours = overall[0]!['ops/s (all rules)'];
  const fastest = Math.max(...overall.slice(1).map((o) => o['ops/s (all rules)']));
  for (const o of overall) (o as Record<string, unknown>)['ours ÷ this'] = +(ours / o['ops/s (all rules)']).toFixed(1);
  return {
    runtime: `node ${process.version}`,
    contexts: docs.length,
    goal: '≥ 5× the fastest peer, on the mix and on every shape; compile + first evaluation of 1,000 conditions in a fresh process faster than GrowthBook',
    ratioToFastestPeer: +(ours / fastest).toFixed(1),
    overall,
    perCondition: rows,
    perShape: perShape(msPerCase, rounds),
    freshProcess: freshProcess(),
  };
}

/** One condition shape, as each evaluator writes it (json-logic only where it has the operator). */
interface Shape {
  name: string;
  mongo: Record<string, unknown>;
  logic?: unknown;
  /** Semantic versions: only GrowthBook has the operators. */
  semver?: boolean;
}

const SHAPES: Shape[] = [
  { name: 'equality', mongo: { 'traits.tier': 'gold' }, logic: { '==': [{ var: 'traits.tier' }, 'gold'] } },
  {
    name: 'range',
    mongo: { 'metrics.spend': { $gte: 100, $lt: 500 } },
    logic: { and: [{ '>=': [{ var: 'metrics.spend' }, 100] }, { '<': [{ var: 'metrics.spend' }, 500] }] },
  },
  { name: 'regex', mongo: { 'profile.url': { $regex: '^https://shop\\.test/(handbags|shoes)/' } } },
  {
    name: '$or',
    mongo: { $or: [{ 'profile.device': 'tablet' }, { 'metrics.orders': { $gte: 3 } }, { 'profile.channel': 'email' }] },
    logic: { or: [{ '==': [{ var: 'profile.device' }, 'tablet'] }, { '>=': [{ var: 'metrics.orders' }, 3] }, { '==': [{ var: 'profile.channel' }, 'email'] }] },
  },
  {
    name: '$elemMatch',
    mongo: { 'cart.items': { $elemMatch: { category: 'ski', price: { $gte: 100 } } } },
    logic: { some: [{ var: 'cart.items' }, { and: [{ '==': [{ var: 'category' }, 'ski'] }, { '>=': [{ var: 'price' }, 100] }] }] },
  },
  { name: 'semver', mongo: { 'profile.appVersion': { $vgte: '2.3.0', $vlt: '3.0.0' } }, semver: true },
];

const SHAPE_PEERS: { name: string; supports: (s: Shape) => boolean; prepare: (s: Shape) => Evaluator }[] = [
  { name: 'microseg (compiled)', supports: () => true, prepare: (s) => compileCondition(s.mongo) },
  { name: 'growthbook evalCondition', supports: () => true, prepare: (s) => (doc) => evalCondition(doc, s.mongo as never) },
  { name: 'sift', supports: (s) => !s.semver, prepare: (s) => sift(s.mongo) as Evaluator },
  { name: 'mingo', supports: (s) => !s.semver, prepare: (s) => { const q = new Query(s.mongo); return (doc) => q.test(doc); } },
  { name: 'json-logic-js', supports: (s) => s.logic !== undefined, prepare: (s) => (doc) => !!jsonLogic.apply(s.logic as never, doc) },
];

/** The evaluation contexts above, with an app version for the semver shape. */
function shapeContexts(): Doc[] {
  const versions = ['1.9.4', '2.2.10', '2.3.0', '2.10.1', '3.0.0-beta.1', '3.1.0'];
  return contexts().map((doc, i) => ({ ...doc, profile: { ...(doc.profile as Doc), appVersion: versions[i % versions.length] } }));
}

/** Warm evaluations per second by shape, every peer that has the shape; ratio to the fastest. */
function perShape(msPerCase: number, rounds: number): Record<string, string | number>[] {
  const docs = shapeContexts();
  return SHAPES.map((shape) => {
    const peers = SHAPE_PEERS.filter((p) => p.supports(shape));
    const evaluators = peers.map((p) => p.prepare(shape));
    const expected = docs.map(evaluators[0]!);
    if (!expected.some(Boolean) || expected.every(Boolean)) throw new Error(`shape ${shape.name}: contexts must both pass and fail`);
    peers.forEach((p, i) => {
      const diff = docs.map(evaluators[i]!).findIndex((v, j) => v !== expected[j]);
      if (diff >= 0) throw new Error(`${p.name} disagrees on shape "${shape.name}" for context #${diff}`);
    });
    const best = peers.map(() => 0);
    for (let r = 0; r < rounds; r++) evaluators.forEach((fn, i) => (best[i] = Math.max(best[i]!, opsPerSecond(fn, docs, msPerCase))));
    const row: Record<string, string | number> = { shape: shape.name };
    for (const p of SHAPE_PEERS) row[p.name] = p.supports(shape) ? Math.round(best[peers.indexOf(p)]!) : '—';
    const fastest = Math.max(...best.slice(1));
    row['fastest peer'] = peers[best.indexOf(fastest)]!.name;
    row['× fastest peer'] = +(best[0]! / fastest).toFixed(1);
    return row;
  });
}

/** 1,000 conditions of the shapes every library has, with varied constants (no cache can share them). */
function thousandConditions(): Shape[] {
  const common = SHAPES.filter((s) => !s.semver && s.logic !== undefined);
  return Array.from({ length: 1000 }, (_, i) => {
    const k = i + 1;
    switch (common[i % common.length]!.name) {
      case 'equality': return { name: 'equality', mongo: { 'traits.tier': `tier-${k}` }, logic: { '==': [{ var: 'traits.tier' }, `tier-${k}`] } };
      case 'range': return { name: 'range', mongo: { 'metrics.spend': { $gte: k, $lt: k + 400 } }, logic: { and: [{ '>=': [{ var: 'metrics.spend' }, k] }, { '<': [{ var: 'metrics.spend' }, k + 400] }] } };
      case '$or': return { name: '$or', mongo: { $or: [{ 'profile.device': `d${k}` }, { 'metrics.orders': { $gte: k } }] }, logic: { or: [{ '==': [{ var: 'profile.device' }, `d${k}`] }, { '>=': [{ var: 'metrics.orders' }, k] }] } };
      default: return { name: '$elemMatch', mongo: { 'cart.items': { $elemMatch: { category: 'ski', price: { $gte: k } } } }, logic: { some: [{ var: 'cart.items' }, { and: [{ '==': [{ var: 'category' }, 'ski'] }, { '>=': [{ var: 'price' }, k] }] }] } };
    }
  });
}

/** In this (fresh) process: compile 1,000 conditions with one library and evaluate each once; ms. */
function compileAndFirstEvaluation(library: string): number {
  const peer = SHAPE_PEERS.find((p) => p.name === library)!;
  const conditions = thousandConditions();
  const doc = shapeContexts()[3]!;
  let hits = 0;
  const t0 = performance.now();
  for (const c of conditions) if (peer.prepare(c)(doc)) hits++;
  const ms = performance.now() - t0;
  if (hits < 0) console.log(hits);
  return ms;
}

/** Compile + first evaluation of 1,000 conditions, each library in its own fresh Node process (median of 3). */
function freshProcess(): Record<string, string | number>[] {
  const runs = new Map<string, number[]>(SHAPE_PEERS.map((p) => [p.name, []]));
  for (let r = 0; r < 3; r++) {
    for (const p of SHAPE_PEERS) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--fresh', p.name], { encoding: 'utf8' });
      runs.get(p.name)!.push(Number(out.trim()));
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const ours = med(runs.get(SHAPE_PEERS[0]!.name)!);
  return SHAPE_PEERS.map((p) => ({
    library: p.name,
    'compile + first evaluation, 1,000 conditions (ms)': +med(runs.get(p.name)!).toFixed(2),
    'this ÷ microseg': +(med(runs.get(p.name)!) / ours).toFixed(2),
  }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && process.argv[2] === '--fresh') {
  console.log(compileAndFirstEvaluation(process.argv[3]!));
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await run();
  console.log(`${r.runtime}, ${r.contexts} contexts; ours ÷ fastest peer: ${r.ratioToFastestPeer}× (goal ${r.goal})`);
  console.table(r.overall);
  console.table(r.perCondition);
  console.table(r.perShape);
  console.table(r.freshProcess);
}
