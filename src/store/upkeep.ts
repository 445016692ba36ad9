// Retention and the bound on raw events, run when the page is idle, never on the start path, and
// without reading every key: expired chunks are found through the `last` index, those that
// straddle the cutoff through the key (it sorts by the first event's time), and the number of
// events is a running count (the `eventCount` record) brought up to date from the chunks added
// since the last upkeep, not by counting them all.
import { byTime, chunkOf, COUNT, countOf, stampOf, type Chunk, type KvSchema } from './schema';
import { request, transact, walk } from './idb';

export interface UpkeepOptions {
  /** Raw events older than this go. */
  cutoff: number;
  /** At most this many raw events stay (the oldest go first). */
  maxEvents: number;
  /** Events this page deleted meanwhile to make room on a full disk (not in the count yet). */
  shed: number;
}

/** One readwrite transaction; resolves with the number of raw events stored after it. */
export function upkeep(db: IDBDatabase, { cutoff, maxEvents, shed }: UpkeepOptions): Promise<number> {
  return transact(db, ['chunks', 'kv'], 'readwrite', async (tx) => {
    const chunks = tx.objectStore('chunks');
    const kv = tx.objectStore('kv');
    const counted = (await request(kv.get(COUNT))) as KvSchema['eventCount'] | undefined;
    // A database that never had an upkeep is counted once, from all of its keys.
    let count = (counted?.count ?? 0) - shed;
    await walk(chunks.openKeyCursor(counted ? IDBKeyRange.lowerBound(counted.through, true) : null), (c) => {
      count += countOf(c.primaryKey);
    });
    count -= await expire(chunks, cutoff);
    count -= await bound(chunks, Math.max(0, count) - maxEvents);
    count = Math.max(0, count);
    let through = counted?.through ?? '';
    await walk(chunks.openKeyCursor(null, 'prev'), (c) => {
      through = String(c.primaryKey);
      return false;
    });
    kv.put({ count, through } satisfies KvSchema['eventCount'], COUNT);
    return count;
  });
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

/** Deletes the oldest `excess` raw events: whole chunks, then the older part of the one that straddles. */
async function bound(chunks: IDBObjectStore, excess: number): Promise<number> {
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
  if (straddling !== undefined) {
    const chunk = (await request(chunks.get(straddling))) as Chunk | undefined;
    chunks.delete(straddling);
    if (chunk) chunks.put(chunkOf(chunk.events.sort(byTime).slice(left)));
    left = 0;
  }
  return excess - left;
}
