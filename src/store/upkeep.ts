// Retention and the bound on raw events, without reading every key: expired chunks are found
// through the `last` index, those that straddle the cutoff through the key (it sorts by the first
// event's time), and the number of events is a running count (the `eventCount` record) that every
// transaction adding or deleting chunks keeps in step. A write past the bound deletes the oldest
// whole chunks at once; the rest (retention, trimming a chunk) waits until the page is idle.
import { byTime, chunkOf, COUNT, countOf, firstOf, stampOf, type Chunk, type Upkept } from './schema';
import { request, walk } from './idb';
import { DAY } from '../shared/constants';

export interface TrimOptions {
  /** Raw events older than this go. */
  cutoff: number;
  /** At most this many raw events stay (the oldest go first). */
  maxEvents: number;
  /** All of it; else only whole chunks past the bound go (a write's step). */
  full: boolean;
}

/** The running count, or undefined where it was never kept. */
export async function readCount(kv: IDBObjectStore): Promise<number | undefined> {
  const count = await request(kv.get(COUNT));
  return typeof count === 'number' && count >= 0 ? count : undefined;
}

/** The upkeep runs at least this often even when the last one left nothing for it to do. */
const UPKEEP_EVERY = DAY;

/** Whether the last upkeep (any tab's) left work: events past the bound or the retention, other settings, or a day gone by. */
export function upkeepNeeded(last: Upkept | undefined, count: unknown, here: Omit<Upkept, 'oldest'>): boolean {
  if (!last || typeof last !== 'object' || last.retention !== here.retention || last.maxEvents !== here.maxEvents) return true;
  if (typeof last.at !== 'number' || here.at < last.at || here.at - last.at >= UPKEEP_EVERY) return true;
  if (typeof count !== 'number' || count > here.maxEvents) return true;
  return typeof last.oldest === 'number' && last.oldest < here.at - here.retention;
}

/** The oldest stored event's time (null: none), from the first key: keys sort by their first event's time. */
export async function oldestOf(chunks: IDBObjectStore): Promise<number | null> {
  const cursor = await request(chunks.openKeyCursor());
  return cursor ? firstOf(cursor.primaryKey) : null;
}

/** Counts the events of every chunk, from the keys: for a count that was lost (once). */
export async function recount(chunks: IDBObjectStore): Promise<number> {
  let count = 0;
  await walk(chunks.openKeyCursor(), (c) => void (count += countOf(c.primaryKey)));
  return count;
}

/** In a readwrite transaction over `chunks` and `kv`: applies retention and the bound, writes the new count. */
export async function trim(chunks: IDBObjectStore, kv: IDBObjectStore, count: number, options: TrimOptions): Promise<number> {
  if (options.full) count -= await expire(chunks, options.cutoff);
  count -= await bound(chunks, count - options.maxEvents, options.full);
  count = Math.max(0, count);
  kv.put(count, COUNT);
  return count;
}

/** Deletes raw events older than the cutoff; returns how many. */
async function expire(chunks: IDBObjectStore, cutoff: number): Promise<number> {
  let dropped = 0;
  await walk(chunks.index('last').openKeyCursor(IDBKeyRange.upperBound(cutoff, true)), (c) => {
    dropped += countOf(c.primaryKey);
    chunks.delete(c.primaryKey);
  });
  // What is left below the line straddles it: its older events go, the rest stays.
  const straddling = (await request(chunks.getAll(IDBKeyRange.upperBound(stampOf(cutoff), true)))) as Chunk[];
  for (const chunk of straddling) {
    const kept = chunk.events.filter((e) => e.ts >= cutoff);
    chunks.delete(chunk.key);
    if (kept.length) chunks.put(chunkOf(kept));
    dropped += chunk.events.length - kept.length;
  }
  return dropped;
}

/** Deletes the oldest `excess` raw events: whole chunks, then (`split`) the older part of the one that straddles. */
async function bound(chunks: IDBObjectStore, excess: number, split: boolean): Promise<number> {
  if (excess <= 0) return 0;
  let left = excess;
  let straddling: IDBValidKey | undefined;
  await walk(chunks.openKeyCursor(), (c) => {
    const n = countOf(c.primaryKey);
    if (n > left) {
      straddling = c.primaryKey;
      return false;
    }
    chunks.delete(c.primaryKey);
    left -= n;
    return left > 0;
  });
  if (straddling !== undefined && split) {
    const chunk = (await request(chunks.get(straddling))) as Chunk | undefined;
    chunks.delete(straddling);
    if (chunk) chunks.put(chunkOf(chunk.events.sort(byTime).slice(left)));
    left = 0;
  }
  return excess - left;
}
