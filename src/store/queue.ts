// A queue of messages the store keeps (the outbox): append, peek at the oldest, remove what was
// handled, and a journal for what the page has not handed to it yet. Durable once consent is
// granted, in memory before and when IndexedDB cannot be used.
import type { Backend, Message } from './backend';
import { createJournal, type Journal } from './journal';
import { idbFactory, openExisting, transact } from './idb';
import type { QueueName } from './schema';

export interface Queue {
  /** Adds messages, keeping the newest `max`: how many older ones went, and whether they are on disk now (or only in memory). */
  append(messages: Message[], max: number): Promise<{ dropped: number; durable: boolean }>;
  /** The oldest `count` messages. */
  peek(count: number): Promise<Message[]>;
  remove(ids: string[]): Promise<void>;
  /** Empties it, the stored copy too, whatever the consent now (never creating a database). */
  erase(): Promise<void>;
  journal: Journal<Message>;
}

export function createQueue(name: QueueName, dbName: string, target: () => Promise<Backend>, memory: () => Backend): Queue {
  return {
    async append(messages, max) {
      const backend = await target();
      return { dropped: await backend.enqueue(messages, max), durable: backend.durable };
    },
    peek: async (count) => (await target()).peek(count),
    remove: async (ids) => (await target()).dequeue(ids),
    async erase() {
      const held = memory();
      await held.dequeue((await held.peek(Infinity)).map((m) => m.id));
      await eraseStored(name, dbName);
    },
    journal: createJournal<Message>(`${name}:`),
  };
}

async function eraseStored(name: QueueName, dbName: string): Promise<void> {
  const factory = idbFactory();
  const db = factory && (await openExisting(factory, dbName));
  if (!db) return;
  try {
    if (db.objectStoreNames.contains(name)) await transact(db, name, 'readwrite', (tx) => void tx.objectStore(name).clear());
  } finally {
    db.close();
  }
}
