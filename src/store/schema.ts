// What the database holds: its object stores and their versions, raw-event chunks, and the
// typed key-value records.
import type { TrackedEvent } from '../shared/types';
import type { EngineState } from '../engine/types';
import type { JourneyScan, JourneyState } from '../measure/journeys';

/**
 * Raw events are stored in chunks, one record per flush: IndexedDB's cost is per record, so a
 * burst of thousands of events costs one put. The key sorts by the chunk's first timestamp and
 * carries its event count, so counting needs keys only.
 */
export interface Chunk {
  key: string;
  first: number;
  last: number;
  events: TrackedEvent[];
}

/** The key-value records and their types. */
export interface KvSchema {
  /** The segment engine's aggregates, written with the events they count. */
  engine: EngineState;
  /** The hashes the engine took of the config in force, by the text hashed (checked when read). */
  hashes: unknown;
  /** Local label records (checked when read: another version may have written them). */
  labels: unknown;
  /** Campaign exposure history (checked when read). */
  exposures: unknown;
  journeys: JourneyState;
  /** What the last settling scan of the journeys read (src/measure/journeys.ts). */
  journeysScan: JourneyScan;
  /** The last good configuration document (config/sync.ts). */
  config: unknown;
  /** Raw events stored: kept in step by every transaction that adds or deletes chunks. */
  eventCount: number;
  /** What the last upkeep (retention, the bound) left: the next start runs it only when it has work. */
  upkeep: Upkept;
}

export interface Upkept {
  /** When it ran, by the store's clock. */
  at: number;
  /** The settings it ran under. */
  retention: number;
  maxEvents: number;
  /** The oldest raw event's time it left (null: none). */
  oldest: number | null;
}
export type KvKey = keyof KvSchema;

export const COUNT: KvKey = 'eventCount';
export const UPKEPT: KvKey = 'upkeep';

/** Message stores used as queues (the outbox): records with an id and a time, oldest first by `ts`. */
export type QueueName = 'outbox';

/** Padded base 36: sorts as the number does. */
export const stampOf = (ts: number) => Math.max(0, ts).toString(36).padStart(10, '0');

export function chunkOf(events: TrackedEvent[]): Chunk {
  let first = Infinity;
  let last = -Infinity;
  for (const e of events) {
    if (e.ts < first) first = e.ts;
    if (e.ts > last) last = e.ts;
  }
  return { key: `${stampOf(first)}:${events.length}:${Math.random().toString(36).slice(2, 8)}`, first, last, events };
}

/**
 * Events per stored chunk at most: reading back what a stale engine record missed reads whole
 * chunks, so a burst of thousands of events is kept as several small ones.
 */
export const CHUNK_EVENTS = 500;

/** A batch as chunks of at most CHUNK_EVENTS, in the batch's order. */
export function chunksOf(events: TrackedEvent[]): Chunk[] {
  const chunks: Chunk[] = [];
  for (let i = 0; i < events.length; i += CHUNK_EVENTS) chunks.push(chunkOf(events.slice(i, i + CHUNK_EVENTS)));
  return chunks;
}

export const countOf = (key: IDBValidKey) => Number(String(key).split(':')[1]) || 0;
/** The time of a chunk's first (oldest) event, from its key. */
export const firstOf = (key: IDBValidKey) => parseInt(String(key).split(':')[0]!, 36);

export const byTime = (a: TrackedEvent, b: TrackedEvent) => a.ts - b.ts || a.seq - b.seq;

/** Bump with a new step in `migrate` whenever the object stores change. */
export const DB_VERSION = 3;

export function migrate(db: IDBDatabase, oldVersion: number, tx: IDBTransaction): void {
  // Each step runs once, in order, from the version this browser holds (a switch cannot fall
  // through under noFallthroughCasesInSwitch).
  if (oldVersion < 1) {
    db.createObjectStore('chunks', { keyPath: 'key' }).createIndex('last', 'last');
    db.createObjectStore('kv');
  }
  if (oldVersion < 2) {
    db.createObjectStore('outbox', { keyPath: 'id' }).createIndex('ts', 'ts');
  }
  if (oldVersion < 3) {
    // The running count starts from the keys once, so that no later start has to read them.
    const keys = tx.objectStore('chunks').getAllKeys();
    keys.onsuccess = () => tx.objectStore('kv').put(keys.result.reduce<number>((n, k) => n + countOf(k), 0), COUNT);
  }
}
