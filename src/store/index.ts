// The store: raw events and typed key-value records, behind one face whatever keeps them (see
// backend.ts). Writes are queued and flushed in batches, one transaction per flush. Until
// `persist()` (consent granted) nothing touches any storage; if IndexedDB cannot be used the
// store keeps everything in memory and says so once.
import type { TrackedEvent } from '../shared/types';
import { describe, type Reporter, type RuntimeErrorCode } from '../shared/errors';
import { DAY } from '../shared/constants';
import { clearLocal } from './local';
import { createMemoryBackend, StoreFailure, type Backend } from './backend';
import { createIndexedDbBackend, type IndexedDbBackend, type StartRead } from './indexeddb';
import { deleteDatabase, idbFactory } from './idb';
import { createJournal } from './journal';
import { createQueue } from './queue';
import { createWriter } from './writer';
import { createIdleTask } from './idle';
import { byTime, type KvKey, type KvSchema } from './schema';

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
const NO_RECORDS = new Map<string, unknown>();

export function createStore(options: StoreOptions) {
  const { name, report } = options;
  const now = options.now ?? Date.now;
  const retention = (options.retentionDays ?? 30) * DAY;
  const maxEvents = options.maxEvents ?? 100_000;
  const journal = createJournal<TrackedEvent>('journal:');

  /** Holds everything until consent, and when IndexedDB fails. */
  let memory = createMemoryBackend(maxEvents);
  /** IndexedDB while storing is allowed (from `persist()`), open or opening. */
  let idb: IndexedDbBackend | null = null;
  /** Where reads go: memory until IndexedDB is open (an old tab may block it for long). */
  let backend: Backend = memory;
  let persisting = false;

  /** The records as the start read them: each answers its first read, until the upkeep. */
  let startKv = new Map<string, unknown>();
  let moving: Promise<unknown> = Promise.resolve();
  const writer = createWriter({
    flushDelay: options.flushDelay ?? 30,
    derived: options.derived,
    target: () => opened(),
    current: (target) => idb === target,
    committed: (keys) => {
      for (const key of keys) startKv.delete(key);
    },
    failed: (failure) => fallBackToMemory(failure.code, failure.message, failure.cause),
    journal,
  });
  const upkeep = createIdleTask(options.upkeepDelay ?? UPKEEP_DELAY, () => writer.busy, () => runUpkeep());

  function setPersisting(value: boolean): void {
    persisting = writer.on = value;
  }

  function fallBackToMemory(code: RuntimeErrorCode, message: string, cause?: unknown): void {
    const held = writer.take();
    void memory.write(held.events, held.kv);
    startKv = new Map();
    setPersisting(false);
    idb?.close();
    idb = null;
    backend = memory;
    report({ code, message: `${message}; microseg keeps working in memory`, cause });
  }

  /** IndexedDB once open (null when it failed and memory took over, or storing stopped). */
  async function opened(): Promise<IndexedDbBackend | null> {
    const target = idb;
    if (!target) return null;
    try {
      await target.open();
      return idb === target ? target : null;
    } catch (cause) {
      if (idb === target) fallBackToMemory('storage-unavailable', `IndexedDB could not be opened (${describe(cause)})`, cause);
      return null;
    }
  }

  /** Retention and the bound in full, once per page: when it is idle after the start, or when it closes before. */
  async function runUpkeep(target: IndexedDbBackend | null = idb): Promise<void> {
    startKv = new Map(); // the start is over: reads go to the database again
    if (!target || backend !== target) return;
    try {
      await target.upkeep();
    } catch (cause) {
      report({ code: 'storage-failed', message: `pruning old events failed (${describe(cause)})`, cause });
    }
  }

  /** Consent granted: open IndexedDB, read what the start needs, then move what memory holds (and any journal) into it. */
  async function openAndMove(): Promise<TrackedEvent[]> {
    const target = await opened();
    if (!target) return [];
    const journaled = journal.recover();
    const start: StartRead = await target.start(journaled).catch(() => ({ kv: new Map(), seen: new Set() }));
    const recovered = journaled.filter((e) => !start.seen.has(e.id));
    startKv = start.kv;
    const held = memory.take();
    writer.prepend([...recovered, ...held.events], held.kv);
    backend = target;
    await writer.flush();
    upkeep.schedule();
    return recovered;
  }

  /** Where the outbox's queue is now. */
  const queueTarget = async (): Promise<Backend> => (persisting && (await opened())) || memory;

  function get<K extends KvKey>(key: K): Promise<KvSchema[K] | undefined>;
  /** The loose form, for records outside the schema (a config sync's own key). */
  function get<T>(key: string): Promise<T | undefined>;
  async function get(key: string): Promise<unknown> {
    if (writer.has(key)) return writer.value(key);
    if (startKv.has(key)) {
      const value = startKv.get(key);
      startKv.delete(key);
      return value;
    }
    return upkeep.busy(() => backend.get(key));
  }

  function put<K extends KvKey>(key: K, value: KvSchema[K]): void;
  function put(key: string, value: unknown): void;
  function put(key: string, value: unknown): void {
    if (!persisting) void memory.write([], new Map([[key, value]]));
    else writer.put(key, value);
  }

  return {
    get mode(): StoreMode {
      return persisting ? 'indexeddb' : 'memory';
    },

    append(event: TrackedEvent): void {
      if (!persisting) void memory.write([event], NO_RECORDS);
      else writer.append(event);
    },

    /** Derived state changed: write it with the next flush. */
    touch(): void {
      if (persisting) writer.touch();
    },

    put,
    get,

    /**
     * Read, change and write one record in a single IndexedDB transaction: transactions on the
     * same store run one after another across tabs, so no tab works from a stale copy. Resolves
     * false, without calling `change`, when nothing is stored (memory mode, or blocked).
     */
    async update<T>(key: string, change: (stored: T | undefined) => T): Promise<boolean> {
      if (!backend.durable) return false;
      writer.forget(key); // the transaction writes the newest value itself
      startKv.delete(key);
      return upkeep.busy(() => backend.update(key, change));
    },

    /** Raw events (retained ones), oldest first. */
    async events(since = 0): Promise<TrackedEvent[]> {
      const byId = new Map<string, TrackedEvent>();
      for (const e of await upkeep.busy(() => backend.events(since))) byId.set(e.id, e);
      for (const e of writer.uncommitted()) byId.set(e.id, e);
      return [...byId.values()].filter((e) => e.ts >= since).sort(byTime);
    },

    /** The messages waiting for the collector (src/measure/outbox.ts). */
    outbox: createQueue('outbox', name, queueTarget, () => memory),

    /**
     * The page is going away: start the flush, and copy what is not committed yet into
     * localStorage synchronously, because the browser may end the page before IndexedDB commits.
     */
    journal: writer.journal,

    /**
     * Consent granted: open IndexedDB and move what memory holds into it. Returns events
     * recovered from pages that closed before their last commit.
     */
    persist(): Promise<TrackedEvent[]> {
      if (persisting) return Promise.resolve([]);
      setPersisting(true);
      const factory = idbFactory();
      if (!factory) {
        fallBackToMemory('storage-unavailable', 'IndexedDB is not available here');
        return Promise.resolve([]);
      }
      idb = createIndexedDbBackend({ factory, name, report, cutoff: () => now() - retention, maxEvents });
      const task = openAndMove();
      moving = task;
      return task;
    },

    /** Writes everything queued (after any move into IndexedDB under way). */
    async flush(): Promise<void> {
      await moving;
      await writer.flush();
    },

    /** Consent denied: keep nothing of this page and write nothing more. */
    discard(): void {
      setPersisting(false);
      upkeep.cancel();
      writer.take();
      startKv = new Map();
      memory = createMemoryBackend(maxEvents);
      backend = memory;
      journal.discard(); // nor anything journaled
      idb?.close();
      idb = null;
    },

    /** Consent denied: the stored outbox is emptied, whatever the mode now. */
    eraseOutbox(): Promise<void> {
      return this.outbox.erase();
    },

    /** forget(): delete every byte on the device. */
    async erase(): Promise<void> {
      this.discard();
      await eraseDatabase(name, report);
      clearLocal();
    },

    close(): void {
      const target = idb;
      const due = upkeep.cancel();
      writer.take(); // nothing more is written (a flush under way ends on its own)
      idb = null;
      setPersisting(false);
      // A page closed before the upkeep ran: it runs now, then the connection goes.
      if (due && target && backend === target) void runUpkeep(target).finally(() => target.close());
      else target?.close();
      backend = memory;
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

export type Store = ReturnType<typeof createStore>;
