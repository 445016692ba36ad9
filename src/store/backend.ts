// One interface for where the store keeps things, with two implementations: memory (before
// consent, and when IndexedDB cannot be used) here, IndexedDB in indexeddb.ts.
import type { TrackedEvent } from '../shared/types';
import type { RuntimeErrorCode } from '../shared/errors';
import { byTime } from './schema';

/** Anything with an id and a time: what a queue holds, oldest first by `ts`. */
export interface Message {
  id: string;
  ts: number;
}

export interface Backend {
  /** IndexedDB: survives the page. */
  readonly durable: boolean;
  /** Commits raw events and records together. */
  write(events: TrackedEvent[], kv: Map<string, unknown>): Promise<void>;
  get(key: string): Promise<unknown>;
  /** Read, change and write one record in one transaction; false (without calling `change`) when not durable. */
  update<T>(key: string, change: (stored: T | undefined) => T): Promise<boolean>;
  /**
   * Raw events with `ts >= since`, in no particular order, but none of the stored batches `known` names
   * (they are not read at all); `batches` names every stored batch that holds events from `since` on.
   */
  events(since: number, known?: ReadonlySet<string>): Promise<StoredEvents>;
  /** Adds messages to the queue; keeps the newest `max`; resolves with how many older ones went. */
  enqueue(messages: Message[], max: number): Promise<number>;
  /** The oldest `count` messages. */
  peek(count: number): Promise<Message[]>;
  dequeue(ids: string[]): Promise<void>;
  close(): void;
}

/** Raw events, and the names of the stored batches (chunks) they are kept in: a batch never changes. */
export interface StoredEvents {
  events: TrackedEvent[];
  batches: string[];
}

/** Why a durable backend gave up: the store falls back to memory with this. */
export class StoreFailure extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

export interface MemoryBackend extends Backend {
  /** Everything it holds, handed over (to IndexedDB once consent is granted); it is empty after. */
  take(): { events: TrackedEvent[]; kv: Map<string, unknown> };
}

export function createMemoryBackend(maxEvents: number): MemoryBackend {
  let events = new Map<string, TrackedEvent>();
  let kv = new Map<string, unknown>();
  const queue = new Map<string, Message>();
  return {
    durable: false,
    async write(batch, records) {
      for (const e of batch) {
        events.set(e.id, e);
        if (events.size > maxEvents) events.delete(events.keys().next().value!);
      }
      for (const [k, v] of records) kv.set(k, v);
    },
    async get(key) {
      return kv.get(key);
    },
    async update() {
      return false;
    },
    async events(since) {
      return { events: [...events.values()].filter((e) => e.ts >= since).sort(byTime), batches: [] };
    },
    async enqueue(messages, max) {
      for (const m of messages) queue.set(m.id, m);
      let dropped = 0;
      for (const id of queue.keys()) if (queue.size > max && queue.delete(id)) dropped++;
      return dropped;
    },
    async peek(count) {
      return [...queue.values()].slice(0, count);
    },
    async dequeue(ids) {
      for (const id of ids) queue.delete(id);
    },
    close() {},
    take() {
      const held = { events: [...events.values()], kv };
      events = new Map();
      kv = new Map();
      return held;
    },
  };
}
