// The store's durable backend: one IndexedDB connection, reopened when the browser takes it away;
// writes that make room when the disk is full. Upkeep (retention, the bound) is in upkeep.ts.
import type { TrackedEvent } from '../shared/types';
import { describe, type Reporter } from '../shared/errors';
import type { Backend, Message } from './backend';
import { StoreFailure } from './backend';
import { openDatabase, request, transact, walk } from './idb';
import { chunksOf, COUNT, countOf, DB_VERSION, migrate, UPKEPT, type Chunk, type QueueName, type Upkept } from './schema';
import { oldestOf, readCount, recount, trim } from './upkeep';

/** What a start needs from the database. */
export interface StartRead {
  /** Every key-value record. */
  kv: Map<string, unknown>;
  /** Ids of the given recovered events that a chunk already holds. */
  seen: Set<string>;
}

/** What a full disk costs, step by step: expired raw events, then half the oldest, then all raw events. */
const RELIEF = [0, 0.5, 1];
const QUEUE: QueueName = 'outbox';

export interface IndexedDbOptions {
  factory: IDBFactory;
  name: string;
  report: Reporter;
  /** Raw events older than this go. */
  cutoff: () => number;
  /** At most this many raw events stay. */
  maxEvents: number;
  /** Another tab deleted the database (its forget()): this connection is closed for good. */
  deleted: () => void;
}

export interface IndexedDbBackend extends Backend {
  /** Opens the database; rejects when it cannot be. Reports (once per wait) an old tab that blocks it. */
  open(): Promise<IDBDatabase>;
  /** Retention and the bound in full, for when the page is idle; kept with the oldest event it leaves. */
  upkeep(settings: Omit<Upkept, 'oldest'>): Promise<void>;
  /** What a start reads, in one readonly transaction. */
  start(recovered: TrackedEvent[]): Promise<StartRead>;
}

/** One connection, opened on demand and again after the browser (or a newer tab) took it away. */
function createConnection({ factory, name, report, deleted }: IndexedDbOptions) {
  let db: IDBDatabase | null = null;
  let opening: Promise<IDBDatabase> | null = null;
  let closed = false;
  const gone = () => new DOMException('the store was closed', 'InvalidStateError');

  function open(): Promise<IDBDatabase> {
    if (db) return Promise.resolve(db);
    if (closed) return Promise.reject(gone());
    opening ??= openDatabase(factory, name, DB_VERSION, {
      upgrade: migrate,
      blocked: () => report({ code: 'storage-blocked', message: 'an older tab holds the database open; writes wait in memory' }),
      // A newer tab wants to upgrade: step aside at once so we never freeze it. One that deletes the
      // database is forgetting the visitor: opening it again would bring the database back.
      blocking: (conn, deleting) => {
        conn.close();
        if (db === conn) db = null;
        if (deleting && !closed) {
          closed = true;
          deleted();
        }
      },
      terminated: (conn) => {
        if (db === conn) db = null;
      },
    })
      .then((conn) => {
        if (!closed) return (db = conn);
        conn.close();
        throw gone();
      })
      .finally(() => (opening = null));
    return opening;
  }

  return {
    open,
    /** The connection, or a StoreFailure saying why there is none. */
    async connect(): Promise<IDBDatabase> {
      try {
        return await open();
      } catch (cause) {
        throw new StoreFailure('storage-unavailable', `IndexedDB could not be opened (${describe(cause)})`, cause);
      }
    },
    /** The connection failed under us: the next use opens a new one. */
    drop(): void {
      db = null;
    },
    close(): void {
      closed = true;
      db?.close();
      db = null;
    },
  };
}

export function createIndexedDbBackend(options: IndexedDbOptions): IndexedDbBackend {
  const { report } = options;
  const { open, connect, drop, close } = createConnection(options);

  /** One transaction: the chunks, the records, the running count (less what relief shed), whole chunks past the bound. */
  function put(conn: IDBDatabase, events: TrackedEvent[], kv: Map<string, unknown>, shed: number): Promise<void> {
    // Relaxed durability: the journal covers a crash between commit and disk.
    return transact(conn, ['chunks', 'kv'], 'readwrite', async (tx) => {
      const chunks = tx.objectStore('chunks');
      const kvStore = tx.objectStore('kv');
      for (const chunk of chunksOf(events)) chunks.put(chunk);
      for (const [k, v] of kv) kvStore.put(v, k);
      if (!events.length && !shed) return;
      const count = await readCount(kvStore);
      if (count === undefined) return; // lost: the upkeep counts again
      const next = count + events.length - shed;
      if (next > options.maxEvents) await trim(chunks, kvStore, next, { cutoff: options.cutoff(), maxEvents: options.maxEvents, full: false });
      else kvStore.put(Math.max(0, next), COUNT);
    }, { durability: 'relaxed' });
  }

  async function write(events: TrackedEvent[], kv: Map<string, unknown>): Promise<void> {
    let conn = await connect();
    let shed = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        await put(conn, events, kv, shed);
        if (shed) {
          report({ code: 'storage-quota', message: `storage was full: the ${shed} oldest raw events were dropped to make room; aggregates, labels and new events are kept` });
        }
        return;
      } catch (cause) {
        const quota = (cause as DOMException)?.name === 'QuotaExceededError';
        if (quota && attempt < RELIEF.length) {
          // Full: make room (raw events only; aggregates and labels stay) and try again.
          const dropped = await relieve(conn, RELIEF[attempt]!, options.cutoff());
          if (dropped >= 0) {
            shed += dropped;
            continue;
          }
        }
        if (attempt === 0 && !quota) {
          // The connection was closed under us (another tab upgraded, the browser reclaimed it): reopen once.
          drop();
          conn = await connect();
          continue;
        }
        throw new StoreFailure(quota ? 'storage-quota' : 'storage-failed', `writing to IndexedDB failed (${describe(cause)})`, cause);
      }
    }
  }

  const read = async <R>(stores: string | string[], body: (tx: IDBTransaction) => Promise<R>) =>
    transact(await connect(), stores, 'readonly', body);

  return {
    durable: true,
    open,
    write,
    async upkeep(settings) {
      await transact(await connect(), ['chunks', 'kv'], 'readwrite', async (tx) => {
        const chunks = tx.objectStore('chunks');
        const kv = tx.objectStore('kv');
        const count = (await readCount(kv)) ?? (await recount(chunks));
        await trim(chunks, kv, count, { cutoff: options.cutoff(), maxEvents: options.maxEvents, full: true });
        kv.put({ ...settings, oldest: await oldestOf(chunks) } satisfies Upkept, UPKEPT);
      });
    },
    start: async (recovered) => transact(await connect(), ['kv', 'chunks'], 'readonly', (tx) => startRead(tx, recovered)),
    get: (key) => read('kv', (tx) => request(tx.objectStore('kv').get(key))),
    async update<T>(key: string, change: (stored: T | undefined) => T) {
      await transact(await connect(), 'kv', 'readwrite', async (tx) => {
        const kv = tx.objectStore('kv');
        kv.put(change((await request(kv.get(key))) as T | undefined), key);
      });
      return true;
    },
    events: (since, known) =>
      read('chunks', async (tx) => {
        const store = tx.objectStore('chunks');
        const range = IDBKeyRange.lowerBound(since);
        let chunks: Chunk[];
        let batches: string[];
        if (known?.size) {
          // Only the names first: a batch already known is never read (nor its events copied out).
          batches = (await request(store.index('last').getAllKeys(range))).map(String);
          chunks = await Promise.all(batches.filter((key) => !known.has(key)).map((key) => request(store.get(key) as IDBRequest<Chunk>)));
        } else {
          chunks = await request(store.index('last').getAll(range) as IDBRequest<Chunk[]>);
          batches = chunks.map((chunk) => chunk.key);
        }
        return { events: chunks.flatMap((chunk) => chunk.events.filter((e) => e.ts >= since)), batches };
      }),
    enqueue: async (messages, max) => enqueue(await connect(), messages, max),
    peek: async (count) => transact(await connect(), QUEUE, 'readonly', (tx) => request(tx.objectStore(QUEUE).index('ts').getAll(undefined, count) as IDBRequest<Message[]>)),
    dequeue: async (ids) =>
      transact(await connect(), QUEUE, 'readwrite', (tx) => {
        const queue = tx.objectStore(QUEUE);
        for (const id of ids) queue.delete(id);
      }),
    close,
  };
}

/**
 * Room when storage is full, with deletes only (a put could fail for want of space): first raw
 * events past the retention, then the oldest `share` of the rest. Returns how many events went,
 * or -1 when nothing could be deleted.
 */
async function relieve(conn: IDBDatabase, share: number, cutoff: number): Promise<number> {
  try {
    return await transact(conn, 'chunks', 'readwrite', async (tx) => {
      const chunks = tx.objectStore('chunks');
      let dropped = 0;
      if (share === 0) {
        await walk(chunks.index('last').openKeyCursor(IDBKeyRange.upperBound(cutoff, true)), (c) => {
          dropped += countOf(c.primaryKey);
          chunks.delete(c.primaryKey);
        });
        return dropped;
      }
      // Rare (a full disk): the keys are read, oldest first.
      const keys = await request(chunks.getAllKeys());
      const total = keys.reduce<number>((n, k) => n + countOf(k), 0);
      for (const key of keys) {
        if (dropped >= total * share) break;
        chunks.delete(key);
        dropped += countOf(key);
      }
      return dropped || -1;
    });
  } catch {
    return -1;
  }
}


/** Every record, and which recovered events a chunk already holds. */
async function startRead(tx: IDBTransaction, recovered: TrackedEvent[]): Promise<StartRead> {
  const kv = tx.objectStore('kv');
  const [keys, values] = await Promise.all([request(kv.getAllKeys()), request(kv.getAll())]);
  const seen = new Set<string>();
  if (recovered.length) {
    const since = Math.min(...recovered.map((e) => e.ts));
    const chunks = await request(tx.objectStore('chunks').index('last').getAll(IDBKeyRange.lowerBound(since)) as IDBRequest<Chunk[]>);
    for (const chunk of chunks) for (const e of chunk.events) seen.add(e.id);
  }
  return { kv: new Map(keys.map((k, i) => [String(k), values[i]])), seen };
}

/** Adds messages to the queue, keeping the newest `max`; resolves with how many older ones went. */
function enqueue(db: IDBDatabase, messages: Message[], max: number): Promise<number> {
  return transact(db, QUEUE, 'readwrite', async (tx) => {
    const queue = tx.objectStore(QUEUE);
    for (const m of messages) queue.put(m);
    let excess = (await request(queue.count())) - max;
    const dropped = Math.max(0, excess);
    if (excess > 0) {
      await walk(queue.index('ts').openKeyCursor(), (c) => {
        queue.delete(c.primaryKey);
        return --excess > 0;
      });
    }
    return dropped;
  });
}
