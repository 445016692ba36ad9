// Forwarding to the backend: a persisted, bounded outbox (the store's queue), sent in batches with
// exponential backoff. Messages carry ids and the backend keeps each id once, so sending twice
// is always safe, while losing one is not: a message leaves the outbox only after a 2xx, or when
// the collector has shown it will never take it (then an `error` event counts what was dropped).
import type { Message, Queue } from '../store';
import type { Reporter } from '../shared/errors';
import { describe } from '../shared/errors';
import { MAX_BACKOFF } from '../shared/backoff';
import { beacon } from './outbox-http';
import { createSender } from './outbox-sender';

export { parseHttpDate, parseRetryAfter } from './outbox-http';
export type { Message } from '../store';

export interface CollectOptions {
  /** Messages per request (default 50; the demo backend accepts up to 500). */
  batchSize?: number;
  /** A smaller batch waits at most this many ms (default 5000). */
  interval?: number;
  /** At most this many messages wait in the outbox; the oldest go first (default 10,000). */
  maxQueued?: number;
  /** The longest wait between retries, in ms (default 5 minutes). */
  maxBackoff?: number;
}

export interface OutboxDeps extends CollectOptions {
  url: string;
  /** Where the messages wait: durable while storing is allowed, in memory otherwise. */
  queue: Queue;
  report: Reporter;
  fetch?: typeof fetch;
  random?: () => number;
}

const RECENT = 500;

/** Messages on their way to the collector: kept (journal, IndexedDB) until the collector confirms them. */
export interface Outbox {
  add(message: Message): void;
  /** Consent granted: messages go to storage (with those left by closed pages) and out. */
  enable(): void;
  /** Consent denied: drop what is held here, in every page's journal and in the stored outbox; send nothing more. */
  disable(): Promise<void>;
  /** Writes what is buffered and starts sending; resolves when written. */
  commit(): Promise<void>;
  /** Sends what the outbox holds now; resolves when it is empty or a request failed. */
  flush(): Promise<void>;
  /** The page is going away: journal what is not stored yet, beacon what was not confirmed. */
  pagehide(): void;
  stop(): void;
}

export function createOutbox(deps: OutboxDeps): Outbox {
  const { queue, report } = deps;
  const batchSize = Math.max(1, Math.min(500, deps.batchSize ?? 50));
  const interval = deps.interval ?? 5000;
  const maxQueued = deps.maxQueued ?? 10_000;
  const { maxBackoff = MAX_BACKOFF, random = Math.random } = deps;
  const doFetch = ((...args: Parameters<typeof fetch>) => (deps.fetch ?? fetch)(...args)) as typeof fetch;

  let enabled = false;
  /** Not in storage yet: waiting for consent, or for the next write. */
  let buffer: Message[] = [];
  /** Being written now: not committed yet either. */
  let inflight: Message[] = [];
  /** Added by this page and not confirmed sent: what a beacon carries when the page goes away. */
  let recent: Message[] = [];
  let writing: Promise<void> = Promise.resolve();
  let stopped = false;
  let journalDue = false;

  function add(message: Message): void {
    if (stopped) return;
    buffer.push(message);
    if (!enabled) {
      // Before consent: held in memory only, bounded, dropped if consent is denied.
      if (buffer.length > maxQueued) buffer.shift();
      return;
    }
    recent.push(message);
    if (recent.length > RECENT) recent.shift();
    // A browser killed now loses only what this task added: the journal is written when it ends,
    // and the queue gets the batch in the same moment (one write per burst of calls).
    if (!journalDue) {
      journalDue = true;
      queueMicrotask(() => {
        journalDue = false;
        journal();
        if (live()) void write();
      });
    }
  }

  /** What is not committed yet, synchronously in localStorage: a killed page leaves it for the next. */
  function journal(): void {
    if (enabled) queue.journal.write(inflight.concat(buffer));
  }

  function write(): Promise<void> {
    writing = writing.then(async () => {
      if (!enabled || !buffer.length) return;
      const batch = buffer;
      buffer = [];
      inflight = batch;
      try {
        const { dropped, durable } = await queue.append(batch, maxQueued);
        if (dropped) report({ code: 'outbox-full', message: `the outbox holds more than ${maxQueued} messages; the oldest are dropped` });
        sender.stored();
        inflight = [];
        if (durable) queue.journal.committed(!buffer.length); // else the journal still covers the rest
      } catch (cause) {
        inflight = [];
        if (!enabled) return; // denied meanwhile (the store let go of the database): nothing to keep
        buffer = batch.concat(buffer);
        report({ code: 'storage-failed', message: `writing the outbox failed (${describe(cause)})`, cause });
      }
      sender.later(batch.length >= batchSize ? 0 : interval);
    });
    return writing;
  }

  async function remove(ids: string[]): Promise<void> {
    const gone = new Set(ids);
    recent = recent.filter((m) => !gone.has(m.id));
    await queue.remove(ids);
  }

  const live = () => enabled && !stopped;
  const sender = createSender({ ...deps, batchSize, interval, maxBackoff, random, doFetch, live, write: () => write(), remove });
  const onOnline = () => sender.resume();
  if (typeof window !== 'undefined' && typeof window.addEventListener === 'function') window.addEventListener('online', onOnline);

  return {
    add,

    /** Consent granted: messages go to storage (with those left by closed pages) and out. */
    enable(): void {
      if (enabled || stopped) return;
      enabled = true;
      buffer.unshift(...queue.journal.recover());
      recent = buffer.slice(-RECENT);
      void write().then(() => sender.later(0));
    },

    /**
     * Consent denied: drop what is held here, in every page's journal and in the stored outbox,
     * and send nothing more: nothing tracked before a denial is ever sent.
     */
    async disable(): Promise<void> {
      enabled = false;
      buffer = [];
      inflight = [];
      recent = [];
      sender.reset();
      queue.journal.discard();
      await writing.catch(() => {}); // a write under way lands first, then goes too
      try {
        await queue.erase();
      } catch (cause) {
        report({ code: 'storage-failed', message: `emptying the outbox failed (${describe(cause)})`, cause });
      }
    },

    /** Writes what is buffered and starts sending; resolves when written. */
    async commit(): Promise<void> {
      await write();
      sender.resume();
      void sender.send();
    },

    /** Sends what the outbox holds now; resolves when it is empty or a request failed. */
    async flush(): Promise<void> {
      await write();
      sender.resume();
      await sender.sendStored();
    },

    /**
     * The page is going away: keep what is not stored yet in localStorage (IndexedDB may not
     * commit in time), and beacon what this page added and did not see confirmed.
     */
    pagehide(): void {
      if (!enabled) return;
      journal();
      void write();
      if (typeof navigator === 'undefined' || navigator.onLine === false || !recent.length) return;
      beacon(doFetch, deps.url, recent, batchSize);
      // They stay in the outbox until a confirmed send: the backend drops the duplicates.
      recent = [];
    },

    stop(): void {
      // destroy(): what is not stored yet waits in the journal for the next page.
      if (!stopped) journal();
      stopped = true;
      sender.reset();
      if (typeof window !== 'undefined' && typeof window.removeEventListener === 'function') window.removeEventListener('online', onOnline);
    },
  };
}

