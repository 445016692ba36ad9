// Consent granted: storage opens and what earlier pages kept comes back, in the order the parts need it.
import type { TrackedEvent } from '../shared/types';
import { MAX_LISTED_BATCHES, MINUTE } from '../shared/constants';
import { replayableAfter, type EngineState } from '../engine';
import type { SegmentRuntime } from '../engine/runtime';
import type { LabelsRuntime } from '../labels';
import type { Store } from '../store';

/** How far behind another tab's events a stored engine record can be: its write races their arrival. */
const RECORD_LAG = MINUTE;

export interface RestoreDeps {
  store: Pick<Store, 'persist' | 'get' | 'eventsSince'>;
  segments: Pick<SegmentRuntime, 'config' | 'restore' | 'ingest' | 'useHashes'>;
  labels: Pick<LabelsRuntime, 'restore'>;
  decisions: { restore(history: unknown): void };
  /** Storage is open from now on: what a closing page has not stored gets journaled. */
  opened: () => void;
  saveProfile: () => void;
  /** When this page started: its events are replayed when a config is already in force. */
  startedAt: number;
}

/** The batches a record has counted every event of from `since` on (a stored record is checked: any version wrote it). */
function countedBatches(saved: EngineState, since: number): Set<string> | undefined {
  const r = saved.replayed;
  const usable = typeof r === 'object' && r !== null && typeof r.from === 'number' && r.from <= since && Array.isArray(r.batches);
  return usable ? new Set(r.batches.filter((b) => typeof b === 'string')) : undefined;
}

export async function restoreStored(deps: RestoreDeps): Promise<void> {
  const { store, segments } = deps;
  const moving = store.persist();
  deps.opened();
  const recovered: TrackedEvent[] = await moving;
  segments.useHashes(await store.get('hashes'));
  deps.saveProfile();
  deps.labels.restore(await store.get('labels'));
  deps.decisions.restore(await store.get('exposures'));
  // The stored state, then the stored events it may lack: tabs write it in turn, and the last write can
  // come from a tab that had not yet heard of another's newest events. Ids it counted are skipped; under a
  // config already (storage was blocked or slow) this page's events are replayed the same way.
  const saved = await store.get<EngineState>('engine');
  const wanted = Math.min(segments.config() ? deps.startedAt : Infinity, typeof saved?.at === 'number' ? saved.at - RECORD_LAG : Infinity);
  // Never before the record stops knowing what it counted by id: no event is counted twice.
  const since = saved && typeof saved.at === 'number' ? Math.max(wanted, replayableAfter(saved) + 1) : wanted;
  if (typeof saved !== 'object' || saved === null || !Number.isFinite(since)) await segments.restore(saved, []);
  else {
    // The stored batches an earlier start read back are counted in the record: not read again.
    const replay = await store.eventsSince(since, countedBatches(saved, since));
    const replayed = replay.batches.length <= MAX_LISTED_BATCHES ? { from: since, batches: replay.batches } : undefined;
    await segments.restore({ ...saved, replayed }, replay.events);
  }
  // Events a closed page could not commit: the engine counts each id once.
  for (const event of recovered) segments.ingest(event);
}
