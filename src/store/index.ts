// The store: raw events and typed key-value records, behind one face whatever keeps them (see
// backend.ts). Writes are queued and flushed in batches, one transaction per flush. Until
// `persist()` (consent granted) nothing touches any storage; if IndexedDB cannot be used the
// store keeps everything in memory and says so once.
import type { TrackedEvent } from '../shared/types';
import { describe, type Reporter } from '../shared/errors';
import { DAY } from '../shared/constants';
import { clearLocal } from './local';
import type { IndexedDbBackend, StartRead } from './indexeddb';
import { deleteDatabase, idbFactory } from './idb';
import { createQueue, type Queue } from './queue';
import { createPlace } from './place';
import { createIdleTask } from './idle';
import { byTime, COUNT, UPKEPT, type KvKey, type KvSchema, type Upkept } from './schema';

export { readLocal, writeLocal, removeLocal } from './local';
export type { KvKey, KvSchema } from './schema';
export type { Message } from './backend';
export type { Queue } from './queue';

export interface StoreOptions {
  /** IndexedDB database name. */
  name: string;
  report: Reporter;
  /** Raw events older than this are deleted by the upkeep after the store opens. */
  retentionDays?: number;
  /** At most this many raw events are kept (the oldest go first). */
  maxEvents?: number;
  /** Delay between a write and its flush, so that bursts share one transaction. */
  flushDelay?: number;
  /** Delay between opening and the full upkeep (retention and the bound): after the start, when the page is idle. */
  upkeepDelay?: number;
  now?: () => number;
  /**
   * Records to write in the same transaction as the last batch of events (state derived from
   * them, e.g. the segment engine's aggregates), so that the two can never disagree.
   */
  derived?: () => Record<string, unknown> | undefined;
}

export type StoreMode = 'indexeddb' | 'memory';

const UPKEEP_DELAY = 5000;
/** The upkeep runs at least this often even when the last one left nothing for it to do. */
const UPKEEP_EVERY = DAY;
const NO_RECORDS = new Map<string, unknown>();

/** The SDK's storage: raw events, typed records and the outbox's queue, in IndexedDB or in memory. */
export interface Store {
  /** Where data lives now. */
  readonly mode: StoreMode;
  append(event: TrackedEvent): void;
  /** Sets the source of the derived records (StoreOptions.derived), for parts made after the store. */
  derive(source: () => Record<string, unknown> | undefined): void;
  /** Derived state changed: write it with the next flush. */
  touch(): void;
  put<K extends KvKey>(key: K, value: KvSchema[K]): void;
  put(key: string, value: unknown): void;
  get<K extends KvKey>(key: K): Promise<KvSchema[K] | undefined>;
  get<T>(key: string): Promise<T | undefined>;
  /** Read, change and write one record in one transaction; false, without calling `change`, when nothing is stored. */
  update<T>(key: string, change: (stored: T | undefined) => T): Promise<boolean>;
  /** Raw events (retained ones), oldest first. */
  events(since?: number): Promise<TrackedEvent[]>;
  /** The messages waiting for the collector. */
  readonly outbox: Queue;
  /** The page is going away: flush, and journal what is not committed yet. */
  journal(): void;
  /** Consent granted: open IndexedDB and move memory into it; resolves with events recovered from closed pages. */
  persist(): Promise<TrackedEvent[]>;
  /** Writes everything queued. */
  flush(): Promise<void>;
  /** Consent denied: keep nothing of this page and write nothing more. */
  discard(): void;
  /** forget(): delete every byte on the device. */
  erase(): Promise<void>;
  close(): void;
}

export function createStore(options: StoreOptions): Store {
  const { name, report } = options;
  const now = options.now ?? Date.now;
  const retention = (options.retentionDays ?? 30) * DAY;
  const maxEvents = options.maxEvents ?? 100_000;
  /** The records as the start read them: each key's first read is answered from here, until the upkeep. */
  let start: { kv: Map<string, unknown>; taken: Set<string> } | null = null;
  const taken = (key: string) => start?.taken.add(key);
  let moving: Promise<unknown> = Promise.resolve();
  const place = createPlace({
    name,
    report,
    maxEvents,
    cutoff: () => now() - retention,
    flushDelay: options.flushDelay ?? 30,
    derived: options.derived,
    committed: (keys) => {
      for (const key of keys) taken(key);
    },
    left: () => (start = null),
  });
  const { writer, journal } = place;
  const upkeep = createIdleTask(options.upkeepDelay ?? UPKEEP_DELAY, () => writer.busy, () => runUpkeep(place.durable));
  /** The upkeep has work on this page (as the start read saw it). */
  let upkeepDue = true;

  /** Whether the last upkeep (any tab's) left work: events past the bound or the retention, other settings, or a day gone by. */
  function upkeepNeeded(last: Upkept | undefined, count: unknown): boolean {
    if (!last || typeof last !== 'object' || last.retention !== retention || last.maxEvents !== maxEvents) return true;
    const t = now();
    if (typeof last.at !== 'number' || t < last.at || t - last.at >= UPKEEP_EVERY) return true;
    if (typeof count !== 'number' || count > maxEvents) return true;
    return typeof last.oldest === 'number' && last.oldest < t - retention;
  }

  /** Retention and the bound in full, when they have work: when the page is idle after the start, or when it closes before. */
  async function runUpkeep(target: IndexedDbBackend | null): Promise<void> {
    start = null; // the start is over: reads go to the database again
    if (!upkeepDue) return;
    upkeepDue = false;
    try {
      await target?.upkeep({ at: now(), retention, maxEvents });
    } catch (cause) {
      report({ code: 'storage-failed', message: `pruning old events failed (${describe(cause)})`, cause });
    }
  }

  /** Consent granted: open IndexedDB, read what the start needs, then move what memory holds (and any journal) into it. */
  async function openAndMove(): Promise<TrackedEvent[]> {
    const target = await place.opened();
    if (!target) return [];
    const journaled = journal.recover();
    const read: StartRead | undefined = await target.start(journaled).catch(() => undefined);
    const recovered = journaled.filter((e) => !read?.seen.has(e.id));
    start = read ? { kv: read.kv, taken: new Set() } : null;
    upkeepDue = !read || upkeepNeeded(read.kv.get(UPKEPT) as Upkept | undefined, read.kv.get(COUNT));
    const held = place.memory.take();
    writer.prepend([...recovered, ...held.events], held.kv);
    place.use(target);
    await writer.flush();
    upkeep.schedule();
    return recovered;
  }

  function get<K extends KvKey>(key: K): Promise<KvSchema[K] | undefined>;
  /** The loose form, for records outside the schema (a config sync's own key). */
  function get<T>(key: string): Promise<T | undefined>;
  async function get(key: string): Promise<unknown> {
    if (writer.has(key)) return writer.value(key);
    if (start && !start.taken.has(key)) {
      taken(key);
      return start.kv.get(key);
    }
    return upkeep.busy(() => place.backend.get(key));
  }

  function put<K extends KvKey>(key: K, value: KvSchema[K]): void;
  function put(key: string, value: unknown): void;
  function put(key: string, value: unknown): void {
    if (!place.persisting) void place.memory.write([], new Map([[key, value]]));
    else writer.put(key, value);
  }

  return {
    get mode(): StoreMode {
      return place.persisting ? 'indexeddb' : 'memory';
    },

    append(event: TrackedEvent): void {
      if (!place.persisting) void place.memory.write([event], NO_RECORDS);
      else writer.append(event);
    },

    /** Sets the source of the derived records (StoreOptions.derived), for parts made after the store. */
    derive: writer.derive,
    /** Derived state changed: write it with the next flush. */
    touch(): void {
      if (place.persisting) writer.touch();
    },

    put, get,

    /**
     * Read, change and write one record in one transaction: they run one after another across tabs, so no
     * tab works from a stale copy. False, without calling `change`, when nothing is stored (memory, blocked).
     */
    async update<T>(key: string, change: (stored: T | undefined) => T): Promise<boolean> {
      const { backend } = place;
      if (!backend.durable) return false;
      writer.forget(key); // the transaction writes the newest value itself
      taken(key);
      return upkeep.busy(() => backend.update(key, change));
    },

    /** Raw events (retained ones), oldest first. */
    async events(since = 0): Promise<TrackedEvent[]> {
      const byId = new Map<string, TrackedEvent>();
      for (const e of await upkeep.busy(() => place.backend.events(since))) byId.set(e.id, e);
      for (const e of writer.uncommitted()) byId.set(e.id, e);
      return [...byId.values()].filter((e) => e.ts >= since).sort(byTime);
    },

    /** The messages waiting for the collector (src/measure/outbox.ts). */
    outbox: createQueue('outbox', name, async () => (place.persisting && (await place.opened())) || place.memory, () => place.memory),

    /** The page is going away: flush, and journal what is not committed yet (the browser may end the page first). */
    journal: writer.journal,

    /** Consent granted: open IndexedDB and move memory into it. Resolves with events recovered from pages that closed before their commit. */
    persist(): Promise<TrackedEvent[]> {
      if (place.persisting || !place.begin()) return Promise.resolve([]);
      moving = openAndMove();
      return moving as Promise<TrackedEvent[]>;
    },

    /** Writes everything queued (after any move into IndexedDB under way). */
    async flush(): Promise<void> {
      await moving;
      await writer.flush();
    },

    /** Consent denied: keep nothing of this page and write nothing more. */
    discard(): void {
      upkeep.cancel();
      place.stop(true)?.close();
      start = null;
      journal.discard(); // nor anything journaled
    },

    /** forget(): delete every byte on the device. */
    async erase(): Promise<void> {
      this.discard();
      await eraseDatabase(name, report);
      clearLocal();
    },

    close(): void {
      const open = upkeep.cancel() ? place.durable : null;
      const target = place.stop(false);
      // A page closed before the upkeep ran: it runs now, then the connection goes.
      if (open) void runUpkeep(open).finally(() => open.close());
      else target?.close();
    },
  };
}

/** Deletes the database (an open one in another tab is asked to let go first). */
async function eraseDatabase(name: string, report: Reporter): Promise<void> {
  const factory = idbFactory();
  if (!factory) return;
  try {
    await deleteDatabase(factory, name);
  } catch (cause) {
    report({ code: 'storage-failed', message: `deleting the database failed (${describe(cause)})`, cause });
  }
}

