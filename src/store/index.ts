import { openDB, deleteDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { TrackedEvent } from '../shared/types';
import { describe, type Reporter } from '../shared/errors';
import { DAY } from '../shared/constants';
import { clearLocal, localKeys, readLocal, removeLocal, writeLocal } from './local';
import type { RuntimeErrorCode } from '../shared/errors';

export { readLocal, writeLocal, removeLocal } from './local';

/**
 * Raw events are stored in chunks, one record per flush: IndexedDB's cost is per record, so a
 * burst of thousands of events costs one put. The key sorts by the chunk's first timestamp and
 * carries its event count, so counting needs keys only.
 */
interface Chunk {
  key: string;
  first: number;
  last: number;
  events: TrackedEvent[];
}

export interface MicrosegDB extends DBSchema {
  chunks: { key: string; value: Chunk; indexes: { last: number } };
  kv: { key: string; value: unknown };
  /** Messages waiting to be sent to the backend (src/measure/outbox.ts), by id, oldest first by `ts`. */
  outbox: { key: string; value: { id: string; ts: number }; indexes: { ts: number } };
}

function chunkOf(events: TrackedEvent[]): Chunk {
  let first = Infinity;
  let last = -Infinity;
  for (const e of events) {
    if (e.ts < first) first = e.ts;
    if (e.ts > last) last = e.ts;
  }
  const stamp = Math.max(0, first).toString(36).padStart(10, '0');
  return { key: `${stamp}:${events.length}:${Math.random().toString(36).slice(2, 8)}`, first, last, events };
}

const countOf = (key: string) => Number(key.split(':')[1]) || 0;

const byTime = (a: TrackedEvent, b: TrackedEvent) => a.ts - b.ts || a.seq - b.seq;

/** Bump with a new step in `migrate` whenever the object stores change. */
const DB_VERSION = 2;

function migrate(db: IDBPDatabase<MicrosegDB>, oldVersion: number): void {
  // Each step runs once, in order, from the version this browser holds (a switch cannot fall
  // through under noFallthroughCasesInSwitch).
  if (oldVersion < 1) {
    db.createObjectStore('chunks', { keyPath: 'key' }).createIndex('last', 'last');
    db.createObjectStore('kv');
  }
  if (oldVersion < 2) {
    db.createObjectStore('outbox', { keyPath: 'id' }).createIndex('ts', 'ts');
  }
}

/** The IndexedDB factory, or null where it is missing or merely touching it throws (sandboxes, policies). */
function idbFactory(): IDBFactory | null {
  try {
    return typeof indexedDB === 'undefined' ? null : indexedDB || null;
  } catch {
    return null;
  }
}

export interface StoreOptions {
  /** IndexedDB database name. */
  name: string;
  report: Reporter;
  /** Raw events older than this are deleted when the store opens. */
  retentionDays?: number;
  /** At most this many raw events are kept (the oldest go first). */
  maxEvents?: number;
  /** Delay between a write and its flush, so that bursts share one transaction. */
  flushDelay?: number;
  now?: () => number;
  /**
   * Records to write in the same transaction as the last batch of events (state derived from
   * them, e.g. the segment engine's aggregates), so that the two can never disagree.
   */
  derived?: () => Record<string, unknown> | undefined;
}

export type StoreMode = 'indexeddb' | 'memory';

const BATCH = 5000;
/** What a full disk costs, step by step: expired raw events, then half the oldest, then all raw events. */
const RELIEF = [0, 0.5, 1];
const JOURNAL = 'journal:';

/**
 * Raw events and small key-value records. Writes are queued and flushed in batches, one
 * transaction per flush. Until `persist()` (consent granted) nothing touches any storage;
 * if IndexedDB cannot be used the store keeps everything in memory and says so once.
 */
export function createStore(options: StoreOptions) {
  const { name, report } = options;
  const now = options.now ?? Date.now;
  const retention = (options.retentionDays ?? 30) * DAY;
  const maxEvents = options.maxEvents ?? 100_000;
  const flushDelay = options.flushDelay ?? 30;
  const tabId = Math.random().toString(36).slice(2, 10);
  let deriving = options.derived;

  let mode: StoreMode = 'memory';
  let persisting = false;
  let db: IDBPDatabase<MicrosegDB> | null = null;
  let opening: Promise<IDBPDatabase<MicrosegDB> | null> | null = null;
  /** An old tab holds the database and will not let go: reads answer from memory instead of waiting. */
  let blocked = false;

  // Memory mode: the store itself. IndexedDB mode: what waits for the next flush.
  let memEvents = new Map<string, TrackedEvent>();
  let memKv = new Map<string, unknown>();
  let pendingEvents: TrackedEvent[] = [];
  let pendingKv = new Map<string, unknown>();
  let inflight: TrackedEvent[] = [];
  let journalsToClear: string[] = [];
  let moving: Promise<unknown> = Promise.resolve();
  /** Derived records changed without new events: the next flush must still write them. */
  let touched = false;
  /** Raw events dropped to make room, reported once the write succeeds. */
  let shed = 0;

  let timer: ReturnType<typeof setTimeout> | undefined;
  let flushing: Promise<void> | null = null;

  function fallBackToMemory(code: RuntimeErrorCode, message: string, cause?: unknown): void {
    shed = 0;
    for (const e of [...inflight, ...pendingEvents]) memEvents.set(e.id, e);
    for (const [k, v] of pendingKv) memKv.set(k, v);
    inflight = [];
    pendingEvents = [];
    pendingKv = new Map();
    mode = 'memory';
    persisting = false;
    try {
      db?.close();
    } catch {
      /* already closed */
    }
    db = null;
    report({ code, message: `${message}; microseg keeps working in memory`, cause });
  }

  function open(): Promise<IDBPDatabase<MicrosegDB> | null> {
    if (db) return Promise.resolve(db);
    if (opening) return opening;
    if (!idbFactory()) {
      fallBackToMemory('storage-unavailable', 'IndexedDB is not available here');
      return Promise.resolve(null);
    }
    opening = (async () => {
      try {
        const conn = await openDB<MicrosegDB>(name, DB_VERSION, {
          upgrade: (database, oldVersion) => migrate(database, oldVersion),
          blocked: () => {
            blocked = true;
            report({ code: 'storage-blocked', message: 'an older tab holds the database open; writes wait in memory' });
          },
          // A newer tab wants to upgrade: step aside at once so we never freeze it.
          blocking: () => {
            conn.close();
            if (db === conn) db = null;
          },
          terminated: () => {
            if (db === conn) db = null;
          },
        });
        blocked = false;
        if (!persisting) {
          conn.close();
          return null;
        }
        db = conn;
        return conn;
      } catch (cause) {
        fallBackToMemory('storage-unavailable', `IndexedDB could not be opened (${describe(cause)})`, cause);
        return null;
      } finally {
        opening = null;
      }
    })();
    return opening;
  }

  function schedule(): void {
    if (timer !== undefined || mode !== 'indexeddb') return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, pendingEvents.length >= BATCH ? 0 : flushDelay);
  }

  async function writeBatch(): Promise<void> {
    let conn = await open();
    if (!conn) return;
    const batch = pendingEvents.splice(0, BATCH);
    touched = false;
    if (!pendingEvents.length) {
      const derived = deriving?.();
      if (derived) for (const [k, v] of Object.entries(derived)) pendingKv.set(k, v);
    }
    const kv = pendingKv;
    pendingKv = new Map();
    inflight = batch;
    for (let attempt = 0; ; attempt++) {
      try {
        // Relaxed durability: the journal covers a crash between commit and disk.
        const tx = conn.transaction(['chunks', 'kv'], 'readwrite', { durability: 'relaxed' });
        const kvStore = tx.objectStore('kv');
        if (batch.length) void tx.objectStore('chunks').put(chunkOf(batch));
        for (const [k, v] of kv) void kvStore.put(v, k);
        await tx.done;
        inflight = [];
        if (shed) {
          report({ code: 'storage-quota', message: `storage was full: the ${shed} oldest raw events were dropped to make room; aggregates, labels and new events are kept` });
          shed = 0;
        }
        return;
      } catch (cause) {
        const err = cause as DOMException;
        if (err?.name === 'QuotaExceededError' && attempt < RELIEF.length) {
          // Full: make room (raw events only; aggregates and labels stay) and try again.
          const dropped = await relieve(conn, RELIEF[attempt]!);
          if (dropped >= 0) {
            shed += dropped;
            continue;
          }
        }
        if (attempt === 0 && err?.name !== 'QuotaExceededError') {
          // The connection was closed under us (another tab upgraded, the browser reclaimed it): reopen once.
          db = null;
          conn = await open();
          if (conn) continue;
          return;
        }
        pendingEvents = batch.concat(pendingEvents);
        for (const [k, v] of kv) if (!pendingKv.has(k)) pendingKv.set(k, v);
        inflight = [];
        const code = err?.name === 'QuotaExceededError' ? 'storage-quota' : 'storage-failed';
        fallBackToMemory(code, `writing to IndexedDB failed (${describe(cause)})`, cause);
        return;
      }
    }
  }

  /**
   * Room when storage is full, with deletes only (a put could fail for want of space): first raw
   * events past the retention, then the oldest `share` of the rest. Returns how many events went,
   * or -1 when nothing could be deleted.
   */
  async function relieve(conn: IDBPDatabase<MicrosegDB>, share: number): Promise<number> {
    try {
      const tx = conn.transaction('chunks', 'readwrite');
      const keys = await tx.store.getAllKeys(); // oldest first: keys sort by first timestamp
      const total = keys.reduce((n, k) => n + countOf(k), 0);
      let dropped = 0;
      if (share === 0) {
        const cutoff = now() - retention;
        let cursor = await tx.store.index('last').openCursor(IDBKeyRange.upperBound(cutoff, true));
        while (cursor) {
          dropped += cursor.value.events.length;
          void cursor.delete();
          cursor = await cursor.continue();
        }
      } else {
        for (const key of keys) {
          if (dropped >= total * share) break;
          void tx.store.delete(key);
          dropped += countOf(key);
        }
      }
      await tx.done;
      return dropped || (share === 0 ? 0 : -1);
    } catch {
      return -1;
    }
  }

  async function drain(): Promise<void> {
    while (mode === 'indexeddb' && (pendingEvents.length || pendingKv.size || touched)) await writeBatch();
    if (mode === 'indexeddb' && !inflight.length) {
      removeLocal(JOURNAL + tabId);
      for (const key of journalsToClear.splice(0)) removeLocal(key);
    }
  }

  /** Writes everything queued; resolves when it is committed (or kept in memory). */
  function flush(): Promise<void> {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (!flushing) flushing = drain().finally(() => (flushing = null));
    return flushing;
  }

  /** Consent granted: open IndexedDB, then move what memory holds (and any journal) into it. */
  async function openAndMove(): Promise<TrackedEvent[]> {
    const conn = await open();
    if (!conn) return [];
    const recovered = await unseen(conn, recoverJournals());
    pendingEvents = [...recovered, ...memEvents.values(), ...pendingEvents];
    for (const [k, v] of memKv) if (!pendingKv.has(k)) pendingKv.set(k, v);
    memEvents = new Map();
    memKv = new Map();
    await flush();
    void prune();
    return recovered;
  }

  /**
   * The page is going away: start the flush, and copy what is not committed yet into
   * localStorage synchronously, because the browser may end the page before IndexedDB commits.
   */
  function journal(): void {
    if (mode !== 'indexeddb') return;
    void flush();
    const uncommitted = [...inflight, ...pendingEvents];
    if (uncommitted.length) writeLocal(JOURNAL + tabId, uncommitted);
  }

  /** Events left in journals by pages that closed before their last commit. */
  function recoverJournals(): TrackedEvent[] {
    const recovered: TrackedEvent[] = [];
    for (const key of localKeys()) {
      if (!key.startsWith(JOURNAL)) continue;
      const events = readLocal<TrackedEvent[]>(key);
      if (Array.isArray(events)) recovered.push(...events.filter((e) => e && typeof e.id === 'string'));
      journalsToClear.push(key);
    }
    return recovered;
  }

  /** Retention and the bound: drop whole old chunks, trim the one that straddles the line. */
  async function prune(): Promise<void> {
    const conn = await open();
    if (!conn) return;
    try {
      const cutoff = now() - retention;
      const tx = conn.transaction('chunks', 'readwrite');
      let cursor = await tx.store.index('last').openCursor();
      while (cursor && cursor.value.first < cutoff) {
        const kept = cursor.value.events.filter((e) => e.ts >= cutoff);
        void cursor.delete();
        if (kept.length) void tx.store.put(chunkOf(kept));
        cursor = await cursor.continue();
      }
      const keys = await tx.store.getAllKeys();
      let excess = keys.reduce((n, k) => n + countOf(k), 0) - maxEvents;
      for (const key of keys) {
        if (excess <= 0) break;
        const n = countOf(key);
        if (n <= excess) void tx.store.delete(key);
        else {
          const chunk = await tx.store.get(key);
          void tx.store.delete(key);
          if (chunk) void tx.store.put(chunkOf(chunk.events.sort(byTime).slice(excess)));
        }
        excess -= n;
      }
      await tx.done;
    } catch (cause) {
      report({ code: 'storage-failed', message: `pruning old events failed (${describe(cause)})`, cause });
    }
  }

  /** Drops recovered events that a chunk already holds (the page did commit after all). */
  async function unseen(conn: IDBPDatabase<MicrosegDB>, events: TrackedEvent[]): Promise<TrackedEvent[]> {
    if (!events.length) return events;
    const since = Math.min(...events.map((e) => e.ts));
    const seen = new Set<string>();
    for (const chunk of await conn.getAllFromIndex('chunks', 'last', IDBKeyRange.lowerBound(since))) {
      for (const e of chunk.events) seen.add(e.id);
    }
    return events.filter((e) => !seen.has(e.id));
  }

  return {
    get mode(): StoreMode {
      return mode;
    },

    append(event: TrackedEvent): void {
      if (mode === 'memory') {
        memEvents.set(event.id, event);
        if (memEvents.size > maxEvents) memEvents.delete(memEvents.keys().next().value!);
        return;
      }
      pendingEvents.push(event);
      schedule();
    },

    /** Derived state changed: write it with the next flush. */
    /** Sets the source of the derived records (see StoreOptions.derived), for parts made after the store. */
    derive(source: () => Record<string, unknown> | undefined): void {
      deriving = source;
    },

    touch(): void {
      if (mode === 'memory') return;
      touched = true;
      schedule();
    },

    put(key: string, value: unknown): void {
      if (mode === 'memory') memKv.set(key, value);
      else {
        pendingKv.set(key, value);
        schedule();
      }
    },

    /** The open database while storing is allowed (for the outbox); null in memory mode. */
    database(): Promise<IDBPDatabase<MicrosegDB> | null> {
      return mode === 'indexeddb' ? open() : Promise.resolve(null);
    },

    async get<T>(key: string): Promise<T | undefined> {
      if (mode === 'memory') return memKv.get(key) as T | undefined;
      if (pendingKv.has(key)) return pendingKv.get(key) as T;
      const conn = blocked ? null : await open();
      if (!conn) return memKv.get(key) as T | undefined;
      return (await conn.get('kv', key)) as T | undefined;
    },

    /**
     * Read, change and write one record in a single IndexedDB transaction: transactions on the
     * same store run one after another across tabs, so no tab works from a stale copy. Resolves
     * false, without calling `change`, when nothing is stored (memory mode, or blocked).
     */
    async update<T>(key: string, change: (stored: T | undefined) => T): Promise<boolean> {
      const conn = mode === 'indexeddb' && !blocked ? await open() : null;
      if (!conn) return false;
      pendingKv.delete(key); // the transaction writes the newest value itself
      const tx = conn.transaction('kv', 'readwrite');
      const next = change((await tx.store.get(key)) as T | undefined);
      void tx.store.put(next, key);
      await tx.done;
      return true;
    },

    /** Raw events (retained ones), oldest first. */
    async events(since = 0): Promise<TrackedEvent[]> {
      const byId = new Map<string, TrackedEvent>();
      if (mode === 'indexeddb') {
        const conn = blocked ? null : await open();
        if (conn) {
          for (const chunk of await conn.getAllFromIndex('chunks', 'last', IDBKeyRange.lowerBound(since))) {
            for (const e of chunk.events) byId.set(e.id, e);
          }
        }
        for (const e of [...inflight, ...pendingEvents]) byId.set(e.id, e);
      }
      for (const e of memEvents.values()) byId.set(e.id, e);
      return [...byId.values()].filter((e) => e.ts >= since).sort(byTime);
    },

    journal,

    /**
     * Consent granted: open IndexedDB and move what memory holds into it. Returns events
     * recovered from pages that closed before their last commit.
     */
    persist(): Promise<TrackedEvent[]> {
      if (persisting) return Promise.resolve([]);
      persisting = true;
      mode = 'indexeddb';
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
      mode = 'memory';
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      pendingEvents = [];
      pendingKv = new Map();
      memEvents = new Map();
      memKv = new Map();
      inflight = [];
      for (const key of localKeys()) if (key.startsWith(JOURNAL)) removeLocal(key); // nor anything journaled
      journalsToClear = [];
      db?.close();
      db = null;
    },

    /**
     * Consent denied: the stored outbox is emptied, whatever the mode now (never creating a
     * database that is not there), so a later grant sends nothing tracked before.
     */
    async eraseOutbox(): Promise<void> {
      const factory = idbFactory();
      if (!factory) return;
      const conn = await new Promise<IDBDatabase | null>((resolve, reject) => {
        const req = factory.open(name);
        req.onupgradeneeded = () => req.transaction?.abort(); // no database: nothing to empty
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => (req.error?.name === 'AbortError' ? resolve(null) : reject(req.error));
        req.onblocked = () => resolve(null);
      });
      if (!conn) return;
      try {
        if (!conn.objectStoreNames.contains('outbox')) return;
        await new Promise<void>((resolve, reject) => {
          const tx = conn.transaction('outbox', 'readwrite');
          tx.objectStore('outbox').clear();
          tx.oncomplete = () => resolve();
          tx.onerror = tx.onabort = () => reject(tx.error);
        });
      } finally {
        conn.close();
      }
    },

    /** forget(): delete every byte on the device. */
    async erase(): Promise<void> {
      this.discard();
      if (idbFactory()) {
        try {
          await deleteDB(name);
        } catch (cause) {
          report({ code: 'storage-failed', message: `deleting the database failed (${describe(cause)})`, cause });
        }
      }
      clearLocal();
    },

    close(): void {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      db?.close();
      db = null;
      persisting = false;
    },
  };
}

export type Store = ReturnType<typeof createStore>;
