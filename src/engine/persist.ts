// The engine's state as storage records, written in proportion to what changed: `engine:meta`
// (memberships, history, profile, labels, the list of metrics) and one record per metric, keyed
// by the hash of its definition. An older page stored everything as one `engine` record: it is
// read once and replaced.

import type { EngineState } from './types';
import type { MetricState } from './metrics';
import { dict } from '../shared/dict';

export const META_KEY = 'engine:meta';
/** The single record older versions wrote. */
export const LEGACY_KEY = 'engine';
export const metricKey = (hash: string) => `engine:metric:${hash}`;

/** engine:meta: the state without its metrics, and the hashes of the metrics stored beside it. */
export type EngineMeta = Omit<EngineState, 'metrics'> & { metricHashes: string[] };

/** What changed since the last records: the state without metrics, and the metrics that moved. */
export interface EngineDelta {
  meta: EngineMeta;
  metrics: Record<string, MetricState>;
}

/** The records to write for a delta; `dropped`: hashes no longer in use, cleared. */
export function recordsOf(delta: EngineDelta, dropped: Iterable<string>, legacy: boolean): Record<string, unknown> {
  const records: Record<string, unknown> = { [META_KEY]: delta.meta };
  for (const [hash, state] of Object.entries(delta.metrics)) records[metricKey(hash)] = state;
  for (const hash of dropped) records[metricKey(hash)] = null;
  if (legacy) records[LEGACY_KEY] = null; // migrated: the old whole record goes
  return records;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The stored state: from engine:meta and its metric records, else from an older page's single
 * record (`legacy`). A metric record that is missing leaves that metric to be rebuilt from events.
 */
export async function loadState(get: (key: string) => Promise<unknown>): Promise<{ state: EngineState; legacy: boolean } | undefined> {
  const meta = await get(META_KEY);
  if (isObject(meta) && Array.isArray(meta.metricHashes)) {
    const hashes = meta.metricHashes.filter((h): h is string => typeof h === 'string');
    const metrics = dict<MetricState>();
    const stored = await Promise.all(hashes.map((h) => get(metricKey(h))));
    hashes.forEach((h, i) => {
      const m = stored[i];
      if (isObject(m)) metrics[h] = m as MetricState;
    });
    const { metricHashes: _, ...rest } = meta as EngineMeta;
    return { state: { ...rest, metrics }, legacy: false };
  }
  const old = await get(LEGACY_KEY);
  return isObject(old) ? { state: old as unknown as EngineState, legacy: true } : undefined;
}

/** What is stored, as far as this page wrote or read it: the metric records, and whether an older page's single record is still there. */
export function createRecordBook() {
  /** metric hashes with a record: those a new config no longer uses are cleared */
  let stored = new Set<string>();
  /** the state came from an older page's single record: it is cleared at the next write */
  let legacy = false;
  return {
    records(delta: EngineDelta): Record<string, unknown> {
      const hashes = new Set(delta.meta.metricHashes);
      const records = recordsOf(delta, [...stored].filter((h) => !hashes.has(h)), legacy);
      stored = hashes;
      legacy = false;
      return records;
    },
    async load(get: (key: string) => Promise<unknown>): Promise<EngineState | undefined> {
      const loaded = await loadState(get);
      if (!loaded) return undefined;
      legacy = loaded.legacy;
      for (const h of Object.keys(loaded.state.metrics ?? {})) stored.add(h);
      return loaded.state;
    },
  };
}
