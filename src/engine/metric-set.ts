// The config's metrics, live: events routed to the metrics listening to their type, windows
// rolled when a bucket expires, and the earliest expiry kept so time checks stay cheap.

import type { TrackedEvent } from '../shared/types';
import { dict } from '../shared/dict';
import { MetricRuntime, type CompiledMetric, type MetricState } from './metrics';

/** The earliest expiry of some metrics, and the one it is of. */
interface Earliest {
  at: number;
  holder: MetricRuntime | undefined;
}

/** no metric listens to this event type */
const NONE: MetricRuntime[] = [];

export interface MetricSet {
  /** the next bucket expiry of any metric (Infinity: none) */
  checkAt: number;
  /** metrics with no stored state: backfill() rebuilds them */
  fresh: Set<MetricRuntime>;
  /** Adds an event to the metrics of its type (to `only` of them if given); pushes "metrics.<id>" of each value that changed. */
  add(event: TrackedEvent, t: number, keys: string[], only?: Set<MetricRuntime>): void;
  /** Rolls every window to `t`; pushes "metrics.<id>" of each value that changed. */
  roll(t: number, keys: string[]): void;
  /** Recomputes `checkAt` from every metric. */
  recheck(): void;
  /** The next expiry after `t` of a metric `isUsed` accepts (Infinity: none). */
  nextChange(t: number, isUsed: (path: string) => boolean): number;
  state(): Record<string, MetricState>;
}

/**
 * Metrics resume from the state stored under their definition's hash, as of `builtAt`. `values`
 * (the context's metrics) always holds each metric's current value.
 */
export function createMetricSet(metrics: CompiledMetric[], stored: Record<string, MetricState> | undefined, builtAt: number, values: Record<string, unknown>): MetricSet {
  const runtimes = new Map<string, MetricRuntime>();
  const byEventType = new Map<string, MetricRuntime[]>();
  const fresh = new Set<MetricRuntime>();
  for (const m of metrics) {
    const saved = stored?.[m.hash];
    const rt = new MetricRuntime(m, saved, builtAt);
    if (!saved) fresh.add(rt);
    runtimes.set(m.id, rt);
    values[m.id] = rt.value;
    for (const type of m.events) {
      const listeners = byEventType.get(type);
      if (listeners) listeners.push(rt);
      else byEventType.set(type, [rt]);
    }
  }
  /**
   * The windowed metrics `isUsed` accepts (asked after every event, always with the graph's), and
   * the earliest expiry among them kept up to date as they change: no scan of them per event.
   */
  let used: { isUsed: (path: string) => boolean; list: Set<MetricRuntime>; earliest: Earliest | undefined } | undefined;
  function usedBy(isUsed: (path: string) => boolean) {
    if (used?.isUsed !== isUsed) used = { isUsed, list: new Set([...runtimes.values()].filter((rt) => rt.metric.grid && isUsed(rt.key))), earliest: undefined };
    return used;
  }
  /** `rt`'s expiry moved: the kept earliest follows it, or is found again when its holder moved later. */
  function noteUsedExpiry(rt: MetricRuntime, expires: number | undefined): void {
    const earliest = used?.earliest;
    if (!earliest || !used!.list.has(rt)) return;
    const at = expires ?? Infinity;
    if (at <= earliest.at) (earliest.at = at), (earliest.holder = rt);
    else if (earliest.holder === rt) used!.earliest = undefined;
  }
  function noteExpiry(rt: MetricRuntime, expires = rt.expiresAt()): void {
    if (expires !== undefined && expires < set.checkAt) set.checkAt = expires;
  }
  /** After `rt` changed: its value into `values` (and its key into `keys` if it moved), its expiry into `checkAt`. */
  function changed(rt: MetricRuntime, keys: string[]): void {
    const id = rt.metric.id;
    if (rt.value !== values[id]) {
      values[id] = rt.value;
      keys.push(rt.key);
    }
    const expires = rt.expiresAt();
    noteExpiry(rt, expires);
    noteUsedExpiry(rt, expires);
  }
  /** The earliest expiry of `list` after `after`, by asking each. */
  function scan(list: Iterable<MetricRuntime>, after = -Infinity): Earliest {
    const earliest: Earliest = { at: Infinity, holder: undefined };
    for (const rt of list) {
      const at = rt.expiresAt();
      if (at !== undefined && at > after && at < earliest.at) (earliest.at = at), (earliest.holder = rt);
    }
    return earliest;
  }
  const set: MetricSet = {
    checkAt: Infinity,
    fresh,
    add(event, t, keys, only) {
      for (const rt of byEventType.get(event.type) ?? NONE) if ((!only || only.has(rt)) && rt.add(event, t)) changed(rt, keys);
    },
    roll(t, keys) {
      set.checkAt = Infinity;
      if (used) used.earliest = undefined;
      for (const rt of runtimes.values()) rt.roll(t) ? changed(rt, keys) : noteExpiry(rt);
    },
    recheck() {
      set.checkAt = Infinity;
      if (used) used.earliest = undefined;
      for (const rt of runtimes.values()) noteExpiry(rt);
    },
    nextChange(t, isUsed) {
      const u = usedBy(isUsed);
      u.earliest ??= scan(u.list);
      // Before a roll one may have expired already: then the earliest after `t`, asking each.
      return u.earliest.at > t ? u.earliest.at : scan(u.list, t).at;
    },
    state() {
      const m = dict<MetricState>();
      for (const rt of runtimes.values()) m[rt.metric.hash] = rt.state();
      return m;
    },
  };
  set.recheck();
  return set;
}
