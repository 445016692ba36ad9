// The dependency graph: which segment and score reads which context key, the order segments are
// evaluated in (after the segments their rules name; fallbacks last), and which paths and
// whole-day thresholds any rule reads (so timers wake only when a rule can flip).

import type { Condition, MicrosegConfig, SegmentDef } from '../config/types';
import { collectPaths, compileCondition, ConditionError, walkOperands, type Matcher } from '../condition';
import type { CompiledMetric } from './metrics';
import type { CompiledScore } from './scores';
import { buildThresholds, eachComparison, type Thresholds } from './thresholds';

const DAY_PATH = /^profile\.daysSince|^labels\.[^.]+\.ageDays$/;
const ROOTS = new Set(['profile', 'traits', 'metrics', 'scores', 'params', 'labels', 'segments', 'campaigns']);

export interface SegmentNode {
  def: SegmentDef;
  /** position in the config (segments() reports in config order) */
  configIndex: number;
  fallback: boolean;
  matcher: Matcher;
  /** evaluation positions of segments whose rules name this one */
  dependents: number[];
}

export interface DependencyGraph {
  /** segments in evaluation order */
  order: SegmentNode[];
  /** context key ("metrics.orders", "profile", …) → evaluation positions of the segments reading it (but those in `thresholds`) */
  readers: Map<string, number[]>;
  /** context key → the segments that only compare its value with number constants, by constant */
  thresholds: Map<string, Thresholds>;
  /** root ("profile") → the segments reading anything under it */
  readersUnder: Map<string, number[]>;
  scoreReaders: Map<string, CompiledScore[]>;
  scoreReadersUnder: Map<string, CompiledScore[]>;
  /** a path is read directly, through a part of it, or through a parent of it */
  isUsed(path: string): boolean;
  /** The whole-day values at which rules on `path` can flip; null: any day. */
  dayThresholds(path: string): number[] | null;
  /** A changed context key ("metrics.orders", "labels.complaint", a root) that decisions read: a suppression's, or a label. */
  decisionReads(key: string): boolean;
}

/** Throws ConditionError on a path no context has, an unknown id, a duplicate id or a cycle. */
export function buildGraph(config: MicrosegConfig, metrics: CompiledMetric[], scores: CompiledScore[], lazy: boolean): DependencyGraph {
  const metricIds = new Set(metrics.map((m) => m.id));
  const scoreIds = new Set(scores.map((s) => s.id));
  function checkPath(path: string, at: string): void {
    const { root, id } = splitPath(path);
    if (!ROOTS.has(root)) throw new ConditionError(at, `unknown context path "${path}" (it starts with one of ${[...ROOTS].join(', ')})`);
    if (root === 'metrics' && id !== undefined && !metricIds.has(id)) throw new ConditionError(at, `unknown metric "${id}"`);
    if (root === 'scores' && id !== undefined && !scoreIds.has(id)) throw new ConditionError(at, `unknown score "${id}"`);
  }
  for (const s of scores) {
    for (const path of s.inputs) {
      const root = path.split('.')[0];
      if (root === 'scores' || root === 'segments') {
        throw new ConditionError(`scores.${s.id}`, `a score cannot read "${path}" (scores are computed before segments and from non-score inputs)`);
      }
      checkPath(path, `scores.${s.id}`);
    }
  }
  const { order, usedPaths, readers, thresholds, dayOperands } = compileSegments(config.segments, checkPath, lazy);

  const scoreReaders = new Map<string, CompiledScore[]>();
  for (const s of scores) for (const key of new Set(s.inputs.map(keyOf))) push(scoreReaders, key, s);
  const scoreInputs = new Set(scores.flatMap((s) => s.inputs));
  for (const p of scoreInputs) usedPaths.add(p);
  /** every used path and all its prefixes ("labels.complaint.ageDays", "labels.complaint", "labels"); only later events and timers ask, so built on first use */
  let usedPrefixes: Set<string> | undefined;
  const hasUsedParent = (path: string) => {
    for (let i = path.lastIndexOf('.'); i > 0; i = path.lastIndexOf('.', i - 1)) if (usedPaths.has(path.slice(0, i))) return true;
    return false;
  };

  function thresholdsOf(path: string): number[] | null {
    const operands = dayOperands.get(path);
    // A score, or a rule on a parent ("labels.complaint", "profile"), sees the value change every day.
    if (scoreInputs.has(path) || hasUsedParent(path)) return null;
    if (!operands) return [];
    // The whole-day value rises by one a day: where can the comparison with c flip?
    const out: number[] = [];
    return eachComparison(operands, (spec, c) => out.push(...spec.dayFlips!(c))) ? out : null;
  }
  // Asked on every clock check: computed once per path.
  return {
    order,
    readers,
    thresholds,
    readersUnder: byRoot(readerLists(readers, thresholds)),
    scoreReaders,
    scoreReadersUnder: byRoot(scoreReaders),
    isUsed: memo((path) => (usedPrefixes ??= prefixesOf(usedPaths)).has(path) || hasUsedParent(path)),
    dayThresholds: memo(thresholdsOf),
    decisionReads: decisionReads(config.suppressions ?? []),
  };
}

/** The readers of each key, then the thresholded segments of each key, without copying either map. */
function* readerLists(readers: Map<string, number[]>, thresholds: Map<string, Thresholds>): Iterable<[string, number[]]> {
  yield* readers;
  for (const [key, t] of thresholds) yield [key, t.positions];
}

/**
 * Whether a changed key is one decisions read: a suppression reads the key, its root, or (for a
 * changed root) a key under it; labels always (decisions wake when a label's age ticks over).
 */
function decisionReads(suppressions: { when: Condition }[]): (key: string) => boolean {
  const paths = new Map<string, unknown[]>();
  for (const s of suppressions) collectPaths(s.when, paths);
  const keys = new Set([...paths.keys()].map(keyOf));
  keys.add('labels');
  const roots = new Set([...keys].map((k) => splitPath(k).root));
  return (key) => (key.includes('.') ? keys.has(key) || keys.has(splitPath(key).root) : roots.has(key));
}

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
    return { def, matcher, keys: readsByKey(paths), deps: [...deps] };
  });

  // Dependency order: a segment comes after the segments its rule names; fallbacks come last.
  const order: number[] = [];
  const mark = new Uint8Array(defs.length); // 0 new, 1 visiting, 2 done
  /** the segments being visited, outermost first (one list, pushed and popped: no copy per step) */
  const stack: number[] = [];
  const visit = (i: number) => {
    if (mark[i] === 2) return;
    if (mark[i] === 1) {
      const cycle = [...stack.slice(stack.indexOf(i)), i].map((j) => defs[j]!.id).join(' → ');
      throw new ConditionError(`segments[${i}].when.segments`, `segment cycle: ${cycle}`);
    }
    mark[i] = 1;
    stack.push(i);
    for (const d of compiled[i]!.deps) {
      if (defs[d]!.fallback) throw new ConditionError(`segments[${i}].when.segments`, `cannot depend on the fallback segment "${defs[d]!.id}"`);
      visit(d);
    }
    stack.pop();
    mark[i] = 2;
    order.push(i);
  };
  defs.forEach((d, i) => !d.fallback && visit(i));
  defs.forEach((d, i) => d.fallback && order.push(i));

  const position = new Map(order.map((ci, pos) => [ci, pos]));
  const runtimes: SegmentNode[] = order.map((ci) => ({
    def: defs[ci]!,
    configIndex: ci,
    fallback: !!defs[ci]!.fallback,
    matcher: compiled[ci]!.matcher,
    dependents: [],
  }));
  // Compiled on first evaluation, then the closure replaces itself.
  if (lazy) for (const r of runtimes) r.matcher = (doc) => (r.matcher = compileCondition(r.def.when ?? {}, `segments[${r.configIndex}].when`))(doc);
  const readers = new Map<string, number[]>();
  const constants = new Map<string, Array<[number, number]>>();
  order.forEach((ci, pos) => {
    for (const [key, cs] of compiled[ci]!.keys) {
      if (cs) for (const c of cs) push(constants, key, [c, pos]);
      else push(readers, key, pos);
    }
    for (const d of compiled[ci]!.deps) runtimes[position.get(d)!]!.dependents.push(pos);
  });
  const thresholds = new Map([...constants].map(([key, entries]) => [key, buildThresholds(entries)]));
  return { order: runtimes, usedPaths, readers, thresholds, dayOperands };
}

/**
 * The keys a rule reads, each with the number constants its value is compared with, or null
 * when the rule reads it any other way (a path below the key, a string, $exists…).
 */
function readsByKey(paths: Map<string, unknown[]>): Map<string, number[] | null> {
  const out = new Map<string, number[] | null>();
  for (const [path, operands] of paths) {
    const key = keyOf(path);
    let cs = out.get(key);
    if (cs === null) continue; // read some other way already: stays so
    // Only a keyed value ("metrics.orders"), read whole: a root or a path below the key may change unreported.
    const whole = path === key && key.includes('.');
    const list = cs ?? [];
    cs = whole && eachComparison(operands, (_, c) => list.push(c)) ? list : null;
    out.set(key, cs);
  }
  return out;
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

/** Every path and each of its dotted prefixes: "a.b.c" → "a", "a.b", "a.b.c". */
export function prefixesOf(paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const p of paths) {
    for (let i = p.indexOf('.'); i > 0; i = p.indexOf('.', i + 1)) out.add(p.slice(0, i));
    out.add(p);
  }
  return out;
}

/**
 * root → everything registered under it ("profile" → readers of profile.hour, profile.device, …),
 * each once, in first-registered order: one list per root, and beside it the set of what it holds.
 */
export function byRoot<T>(entries: Iterable<[string, T[]]>): Map<string, T[]> {
  const out = new Map<string, T[]>();
  const seen = new Map<string, Set<T>>();
  for (const [key, list] of entries) {
    const dot = key.indexOf('.');
    const root = dot < 0 ? key : key.slice(0, dot);
    const into = out.get(root);
    if (!into) {
      const set = new Set(list);
      seen.set(root, set);
      out.set(root, set.size === list.length ? list.slice() : [...set]);
      continue;
    }
    const set = seen.get(root)!;
    for (const x of list) if (!set.has(x)) set.add(x), into.push(x);
  }
  return out;
}

/** Asked on every event and clock check, for a few paths: computed once per path. */
export function memo<T>(fn: (path: string) => T): (path: string) => T {
  const cache = new Map<string, T>();
  return (path) => {
    let v = cache.get(path);
    if (v !== undefined || cache.has(path)) return v!; // one lookup when known (asked per event)
    v = fn(path);
    cache.set(path, v);
    return v;
  };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
