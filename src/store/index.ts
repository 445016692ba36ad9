// The store: raw events and typed key-value records, behind one face whatever keeps them (see
// backend.ts). Writes are queued and flushed in batches, one transaction per flush. Until
// `persist()` (consent granted) nothing touches any storage; if IndexedDB cannot be used the
// store keeps everything in memory and says so once.
import type { TrackedEvent } from '../shared/types';
import { describe, type Reporter, type RuntimeErrorCode } from '../shared/errors';
import { DAY } from '../shared/constants';
import { setTimer } from '../shared/timer';
import { clearLocal } from './local';
import { createMemoryBackend, StoreFailure, type Backend } from './backend';
import { createIndexedDbBackend, type IndexedDbBackend, type StartRead } from './indexeddb';
import { deleteDatabase, idbFactory } from './idb';
import { createJournal } from './journal';
import { createQueue } from './queue';
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

const BATCH = 5000;
const UPKEEP_DELAY = 5000;
const NO_RECORDS = new Map<string, unknown>();

export function createStore(options: StoreOptions) {
  const { name, report } = options;
  const now = options.now ?? Date.now;
  const retention = (options.retentionDays ?? 30) * DAY;
  const maxEvents = options.maxEvents ?? 100_000;
  const flushDelay = options.flushDelay ?? 30;
  const upkeepDelay = options.upkeepDelay ?? UPKEEP_DELAY;
  const journal = createJournal<TrackedEvent>('journal:');

  /** Holds everything until consent, and when IndexedDB fails. */
  let memory = createMemoryBackend(maxEvents);
  /** IndexedDB while storing is allowed (from `persist()`), open or opening. */
  let idb: IndexedDbBackend | null = null;
  /** Where reads go: memory until IndexedDB is open (an old tab may block it for long). */
  let backend: Backend = memory;
  let persisting = false;

  // What waits for the next flush (IndexedDB only).
  let pendingEvents: TrackedEvent[] = [];
  let pendingKv = new Map<string, unknown>();
  let inflight: TrackedEvent[] = [];
  /** The records as the start read them: each answers its first read, until the upkeep. */
  let startKv = new Map<string, unknown>();
  let moving: Promise<unknown> = Promise.resolve();
  /** Derived records changed without new events: the next flush must still write them. */
  let touched = false;

  let timer: ReturnType<typeof setTimeout> | undefined;
  let upkeepTimer: ReturnType<typeof setTimeout> | undefined;
  let flushing: Promise<void> | null = null;
  /** Reads and updates under way: the upkeep waits until there are none (the page is idle). */
  let active = 0;

  async function busy<T>(work: () => Promise<T>): Promise<T> {
    active++;
    try {
      return await work();
    } finally {
      active--;
    }
  }

  function stopTimers(): void {
    clearTimeout(timer);
    clearTimeout(upkeepTimer);
    timer = upkeepTimer = undefined;
  }

  function fallBackToMemory(code: RuntimeErrorCode, message: string, cause?: unknown): void {
    void memory.write([...inflight, ...pendingEvents], pendingKv);
    inflight = [];
    pendingEvents = [];
    pendingKv = new Map();
    startKv = new Map();
    persisting = false;
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

  function schedule(): void {
    if (timer !== undefined || !persisting) return;
    timer = setTimer(() => {
      timer = undefined;
      void flush();
    }, pendingEvents.length >= BATCH ? 0 : flushDelay);
  }

  function scheduleUpkeep(): void {
    if (upkeepTimer !== undefined) return;
    upkeepTimer = setTimer(() => {
      upkeepTimer = undefined;
      if (active || flushing) scheduleUpkeep(); // not idle yet: later
      else void runUpkeep();
    }, upkeepDelay);
  }

  /** Retention and the bound in full, once per page: when it is idle after the start, or when it closes before. */
  async function runUpkeep(target: IndexedDbBackend | null = idb): Promise<void> {
    clearTimeout(upkeepTimer);
    upkeepTimer = undefined;
    startKv = new Map(); // the start is over: reads go to the database again
    if (!target || backend !== target) return;
    try {
      await target.upkeep();
    } catch (cause) {
      report({ code: 'storage-failed', message: `pruning old events failed (${describe(cause)})`, cause });
    }
  }

  async function writeBatch(): Promise<void> {
    const target = await opened();
    if (!target) return;
    const batch = pendingEvents.splice(0, BATCH);
    touched = false;
    if (!pendingEvents.length) {
      const derived = options.derived?.();
      if (derived) for (const [k, v] of Object.entries(derived)) pendingKv.set(k, v);
    }
    const kv = pendingKv;
    pendingKv = new Map();
    inflight = batch;
    try {
      await target.write(batch, kv);
      inflight = [];
      for (const key of kv.keys()) startKv.delete(key);
    } catch (cause) {
      inflight = [];
      if (idb !== target) return; // discarded or closed meanwhile: nothing to keep
      pendingEvents = batch.concat(pendingEvents);
      for (const [k, v] of kv) if (!pendingKv.has(k)) pendingKv.set(k, v);
      const failure = cause instanceof StoreFailure ? cause : new StoreFailure('storage-failed', `writing to IndexedDB failed (${describe(cause)})`, cause);
      fallBackToMemory(failure.code, failure.message, failure.cause);
    }
  }

  async function drain(): Promise<void> {
    while (persisting && (pendingEvents.length || pendingKv.size || touched)) await writeBatch();
    if (persisting && !inflight.length) journal.committed(true);
  }

  /** Writes everything queued; resolves when it is committed (or kept in memory). */
  function flush(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    if (!flushing) flushing = drain().finally(() => (flushing = null));
    return flushing;
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
    pendingEvents = [...recovered, ...held.events, ...pendingEvents];
    for (const [k, v] of held.kv) if (!pendingKv.has(k)) pendingKv.set(k, v);
    backend = target;
    await flush();
    scheduleUpkeep();
    return recovered;
  }

  /** Where the outbox's queue is now. */
  const queueTarget = async (): Promise<Backend> => (persisting && (await opened())) || memory;

  function get<K extends KvKey>(key: K): Promise<KvSchema[K] | undefined>;
  /** The loose form, for records outside the schema (a config sync's own key). */
  function get<T>(key: string): Promise<T | undefined>;
  async function get(key: string): Promise<unknown> {
    if (pendingKv.has(key)) return pendingKv.get(key);
    if (startKv.has(key)) {
      const value = startKv.get(key);
      startKv.delete(key);
      return value;
    }
    return busy(() => backend.get(key));
  }

  function put<K extends KvKey>(key: K, value: KvSchema[K]): void;
  function put(key: string, value: unknown): void;
  function put(key: string, value: unknown): void {
    if (!persisting) void memory.write([], new Map([[key, value]]));
    else {
      pendingKv.set(key, value);
      schedule();
    }
  }

  return {
    get mode(): StoreMode {
      return persisting ? 'indexeddb' : 'memory';
    },

    append(event: TrackedEvent): void {
      if (!persisting) void memory.write([event], NO_RECORDS);
      else {
        pendingEvents.push(event);
        schedule();
      }
    },

    /** Derived state changed: write it with the next flush. */
    touch(): void {
      if (!persisting) return;
      touched = true;
      schedule();
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
      pendingKv.delete(key); // the transaction writes the newest value itself
      startKv.delete(key);
      return busy(() => backend.update(key, change));
    },

    /** Raw events (retained ones), oldest first. */
    async events(since = 0): Promise<TrackedEvent[]> {
      const byId = new Map<string, TrackedEvent>();
      for (const e of await busy(() => backend.events(since))) byId.set(e.id, e);
      for (const e of [...inflight, ...pendingEvents]) byId.set(e.id, e);
      return [...byId.values()].filter((e) => e.ts >= since).sort(byTime);
    },

    /** The messages waiting for the collector (src/measure/outbox.ts). */
    outbox: createQueue('outbox', name, queueTarget, () => memory),

    /**
     * The page is going away: start the flush, and copy what is not committed yet into
     * localStorage synchronously, because the browser may end the page before IndexedDB commits.
     */
    journal(): void {
      if (!persisting) return;
      void flush();
      journal.write([...inflight, ...pendingEvents]);
    },

    /**
     * Consent granted: open IndexedDB and move what memory holds into it. Returns events
     * recovered from pages that closed before their last commit.
     */
    persist(): Promise<TrackedEvent[]> {
      if (persisting) return Promise.resolve([]);
      persisting = true;
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
      await flush();
    },

    /** Consent denied: keep nothing of this page and write nothing more. */
    discard(): void {
      persisting = false;
      stopTimers();
      pendingEvents = [];
      pendingKv = new Map();
      inflight = [];
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
      const factory = idbFactory();
      if (factory) {
        try {
          await deleteDatabase(factory, name);
        } catch (cause) {
          report({ code: 'storage-failed', message: `deleting the database failed (${describe(cause)})`, cause });
        }
      }
      clearLocal();
    },

    close(): void {
      const target = idb;
      const due = upkeepTimer !== undefined;
      stopTimers();
      idb = null;
      persisting = false;
      // A page closed before the upkeep ran: it runs now, then the connection goes.
      if (due && target && backend === target) void runUpkeep(target).finally(() => target.close());
      else target?.close();
      backend = memory;
    },
  };
}

export type Store = ReturnType<typeof createStore>;
