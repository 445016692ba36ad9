// The store: raw events and typed key-value records, behind one face whatever keeps them (see
// backend.ts). Writes are queued and flushed in batches, one transaction per flush. Until
// `persist()` (consent granted) nothing touches any storage; if IndexedDB cannot be used the
// store keeps everything in memory and says so once.
import type { TrackedEvent } from '../shared/types';
import { describe, type Reporter } from '../shared/errors';
import { DAY } from '../shared/constants';
import { clearLocal } from './local';
import type { IndexedDbBackend, StartRead } from './indexeddb';
import type { StoredEvents } from './backend';
import { deleteDatabase, idbFactory } from './idb';
import { createQueue, type Queue } from './queue';
import { createPlace } from './place';
import { createIdleTask } from './idle';
import { byTime, COUNT, UPKEPT, type KvKey, type KvSchema, type Upkept } from './schema';
import { upkeepNeeded } from './upkeep';

export { readLocal, writeLocal, removeLocal } from './local';
export type { KvKey, KvSchema } from './schema';
export type { Message, StoredEvents } from './backend';
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
  /**
   * Raw events since a time, oldest first, without reading the stored batches `known` names (a batch
   * never changes: what was checked once need not be read again); `batches` names every one from then on.
   */
  eventsSince(since: number, known?: ReadonlySet<string>): Promise<StoredEvents>;
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
  /** Another tab's forget(): keep nothing; delete the database too if this tab still held it (it may have opened it afresh). */
  forgotten(): Promise<void>;
  close(): void;
}

/** Retention and the bound in full, when the last run (any tab's) left them work. */
function upkeepRun(settings: () => Omit<Upkept, 'oldest'>, report: Reporter) {
  let due = true;
  return {
    /** What the start read says of the last run. */
    read(kv: Map<string, unknown>): void {
      due = upkeepNeeded(kv.get(UPKEPT) as Upkept | undefined, kv.get(COUNT), settings());
    },
    async run(target: IndexedDbBackend | null): Promise<void> {
      if (!due) return;
      due = false;
      try {
        await target?.upkeep(settings());
      } catch (cause) {
        report({ code: 'storage-failed', message: `pruning old events failed (${describe(cause)})`, cause });
      }
    },
  };
}

/** Stored events and the ones not committed yet, each id once, from `since` on, oldest first. */
function withUncommitted(stored: StoredEvents, uncommitted: TrackedEvent[], since: number): StoredEvents {
  const byId = new Map<string, TrackedEvent>();
  for (const e of stored.events) byId.set(e.id, e);
  for (const e of uncommitted) byId.set(e.id, e);
  return { events: [...byId.values()].filter((e) => e.ts >= since).sort(byTime), batches: stored.batches };
}

/** The records as the start read them: each key's first read is answered from here, until the upkeep. */
function createStartRecords() {
  let records: { kv: Map<string, unknown>; taken: Set<string> } | null = null;
  /** The record was written or read since: the start's copy is stale for it, and not kept alive (a config's text, the engine's record). */
  const take = (key: string): void => {
    records?.taken.add(key);
    records?.kv.delete(key);
  };
  return {
    set(kv: Map<string, unknown> | null): void {
      records = kv ? { kv, taken: new Set() } : null;
    },
    take,
    /** The start's copy of a record, the first time it is asked for. */
    first(key: string): { value: unknown } | undefined {
      if (!records || records.taken.has(key)) return undefined;
      const value = records.kv.get(key);
      take(key);
      return { value };
    },
  };
}

/** Keep nothing of this page and write nothing more; true when an IndexedDB connection was held. */
function keepNothing(place: ReturnType<typeof createPlace>, start: ReturnType<typeof createStartRecords>, upkeep: { cancel(): unknown }): boolean {
  upkeep.cancel();
  const held = place.stop(true);
  held?.close();
  start.set(null);
  place.journal.discard(); // nor anything journaled
  return held !== null;
}

export function createStore(options: StoreOptions): Store {
  const { name, report } = options;
  const now = options.now ?? Date.now;
  const retention = (options.retentionDays ?? 30) * DAY;
  const maxEvents = options.maxEvents ?? 100_000;
  const start = createStartRecords();
  let moving: Promise<unknown> = Promise.resolve();
  const place = createPlace({
    name,
    report,
    maxEvents,
    cutoff: () => now() - retention,
    flushDelay: options.flushDelay ?? 30,
    derived: options.derived,
    committed: (keys) => {
      for (const key of keys) start.take(key);
    },
    left: () => start.set(null),
  });
  const { writer, journal } = place;
  const upkeep = createIdleTask(options.upkeepDelay ?? UPKEEP_DELAY, () => writer.busy, () => runUpkeep(place.durable));
  const pruning = upkeepRun(() => ({ at: now(), retention, maxEvents }), report);

  /** Once per page: when it is idle after the start, or when it closes before. */
  async function runUpkeep(target: IndexedDbBackend | null): Promise<void> {
    start.set(null); // the start is over: reads go to the database again
    await pruning.run(target);
  }

  /** Consent granted: open IndexedDB, read what the start needs, then move what memory holds (and any journal) into it. */
  async function openAndMove(): Promise<TrackedEvent[]> {
    const target = await place.opened();
    if (!target) return [];
    const journaled = journal.recover();
    const read: StartRead | undefined = await target.start(journaled).catch(() => undefined);
    if (!place.use(target)) return []; // another tab erased the device meanwhile: what it read is gone
    const recovered = journaled.filter((e) => !read?.seen.has(e.id));
    start.set(read?.kv ?? null);
    if (read) pruning.read(read.kv);
    const held = place.memory.take();
    writer.prepend([...recovered, ...held.events], held.kv);
    await writer.flush();
    upkeep.schedule();
    return recovered;
  }

  function get<K extends KvKey>(key: K): Promise<KvSchema[K] | undefined>;
  /** The loose form, for records outside the schema (a config sync's own key). */
  function get<T>(key: string): Promise<T | undefined>;
  async function get(key: string): Promise<unknown> {
    if (writer.has(key)) return writer.value(key);
    const first = start.first(key);
    if (first) return first.value;
    return upkeep.busy(() => place.backend.get(key));
  }

  function put<K extends KvKey>(key: K, value: KvSchema[K]): void;
  function put(key: string, value: unknown): void;
  function put(key: string, value: unknown): void {
    if (!place.persisting) void place.memory.write([], new Map([[key, value]]));
    else writer.put(key, value);
  }

  const discard = () => keepNothing(place, start, upkeep);

  const eventsSince = async (since: number, known?: ReadonlySet<string>): Promise<StoredEvents> =>
    withUncommitted(await upkeep.busy(() => place.backend.events(since, known)), writer.uncommitted(), since);

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
      start.take(key);
      return upkeep.busy(() => backend.update(key, change));
    },

    /** Raw events (retained ones), oldest first. */
    events: async (since = 0): Promise<TrackedEvent[]> => (await eventsSince(since)).events,
    eventsSince,

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
    discard: (): void => void discard(),

    /** forget(): delete every byte on the device. */
    async erase(): Promise<void> {
      discard();
      await eraseDatabase(name, report);
      clearLocal();
    },

    async forgotten(): Promise<void> {
      // The erasing tab's deletion closed every connection it reached; one still held here was opened
      // after it (or before it ran, when it is still to come): deleting again is harmless either way.
      if (discard()) await eraseDatabase(name, report);
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

