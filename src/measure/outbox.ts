// Forwarding to the backend: a persisted, bounded outbox (the store's queue), sent in batches with
// exponential backoff. Messages carry ids and the backend keeps each id once, so sending twice
// is always safe, while losing one is not: a message leaves the outbox only after a 2xx, or when
// the collector has shown it will never take it (then an `error` event counts what was dropped).
import type { Message, Queue } from '../store';
import type { Reporter } from '../shared/errors';
import { describe } from '../shared/errors';
import { setTimer } from '../shared/timer';
import { DAY } from '../shared/constants';
import { backoffDelay, MAX_BACKOFF } from '../shared/backoff';
import { beacon, crossOrigin, parseRetryAfter, post, reachable, type Answer } from './outbox-http';
import { createIsolation } from './outbox-isolate';

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
/** A Retry-After further ahead than this is read as this (a new page tries again anyway). */
const MAX_RETRY_AFTER = DAY;

export function createOutbox(deps: OutboxDeps) {
  const { queue, report } = deps;
  const batchSize = Math.max(1, Math.min(500, deps.batchSize ?? 50));
  const interval = deps.interval ?? 5000;
  const maxQueued = deps.maxQueued ?? 10_000;
  const maxBackoff = deps.maxBackoff ?? MAX_BACKOFF;
  const random = deps.random ?? Math.random;
  const doFetch = ((...args: Parameters<typeof fetch>) => (deps.fetch ?? fetch)(...args)) as typeof fetch;
  const isolation = createIsolation(batchSize);

  let enabled = false;
  /** Not in storage yet: waiting for consent, or for the next write. */
  let buffer: Message[] = [];
  /** Being written now: not committed yet either. */
  let inflight: Message[] = [];
  /** Added by this page and not confirmed sent: what a beacon carries when the page goes away. */
  let recent: Message[] = [];
  let sendTimer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> = Promise.resolve();
  let sending: Promise<void> | null = null;
  let attempt = 0;
  let backingOff = false;
  let stopped = false;
  let corsReported = false;
  let journalDue = false;
  /** Messages were stored since the sender last looked. */
  let stored = false;

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
        if (enabled && !stopped) void write();
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
        stored = true;
        inflight = [];
        if (durable) queue.journal.committed(!buffer.length); // else the journal still covers the rest
      } catch (cause) {
        inflight = [];
        if (!enabled) return; // denied meanwhile (the store let go of the database): nothing to keep
        buffer = batch.concat(buffer);
        report({ code: 'storage-failed', message: `writing the outbox failed (${describe(cause)})`, cause });
      }
      later(batch.length >= batchSize ? 0 : interval);
    });
    return writing;
  }

  function later(delay: number): void {
    if (!enabled || stopped || backingOff || sending) return;
    if (sendTimer !== undefined) {
      if (delay > 0) return; // a send is already due
      clearTimeout(sendTimer);
    }
    sendTimer = setTimer(() => {
      sendTimer = undefined;
      void send();
    }, delay);
  }

  async function remove(ids: string[]): Promise<void> {
    const gone = new Set(ids);
    recent = recent.filter((m) => !gone.has(m.id));
    await queue.remove(ids);
  }

  /** Sends batches until the outbox is empty or a request fails. */
  function send(): Promise<void> {
    if (!sending && enabled && !stopped) {
      // One tab sends at a time; the others' messages are in the same outbox.
      const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
      const run = locks ? locks.request('microseg-outbox', { ifAvailable: true }, (lock) => (lock ? drain() : 'busy')) : drain();
      sending = Promise.resolve(run)
        .then((result) => {
          if (result === 'busy') stored = true; // another tab is sending: look again later
        })
        .catch((cause) => report({ code: 'collect-failed', message: `sending events failed (${describe(cause)})`, cause }))
        .finally(() => {
          sending = null;
          if (stored) later(interval); // written while the last batch was read
        });
    }
    return sending ?? Promise.resolve();
  }

  async function drain(): Promise<void> {
    await write();
    for (;;) {
      if (!enabled || stopped) return;
      stored = false;
      const batch = await isolation.next((count) => queue.peek(count));
      if (!batch.length) return;
      const answer = await post(doFetch, deps.url, batch);
      const ids = batch.map((m) => m.id);
      if (answer.ok) {
        attempt = 0;
        isolation.sent(batch);
        await remove(ids);
      } else if (!answer.retry) {
        if (!isolation.refused(batch)) continue;
        await remove(ids);
        report({ code: 'collect-rejected', message: `the collector answered ${answer.status}; ${ids.length} message${ids.length === 1 ? '' : 's'} dropped` });
      } else if (isolation.condemned(batch) && answer.status !== undefined) {
        isolation.clear();
        await remove(ids);
        report({
          code: 'collect-dropped',
          message: `the collector failed on 1 message (id ${ids[0]}) every time it was sent while it took the others; 1 message dropped`,
        });
      } else return failed(batch, answer);
    }
  }

  /** A failure worth retrying: back off; a batch that keeps failing is split until one message is left. */
  function failed(batch: Message[], answer: Extract<Answer, { ok: false }>): void {
    if (answer.status !== undefined) return retry(answer.retryAfter, isolation.failed(batch));
    void checkCors();
    retry(null);
  }

  /**
   * A cross-origin collector that stores the batch but sends no CORS header looks like a network
   * failure. A no-cors probe that gets through tells the two apart: say so once, plainly.
   */
  async function checkCors(): Promise<void> {
    if (corsReported || !crossOrigin(deps.url) || !(await reachable(doFetch, deps.url)) || corsReported) return;
    corsReported = true;
    const origin = globalThis.location?.origin ?? 'the site';
    report({
      code: 'collect-cors',
      message:
        `the collector ${deps.url} is reachable but its answer is hidden by CORS: it must send ` +
        `"Access-Control-Allow-Origin: ${origin}" (or "*") on its POST answers; until then every batch is retried with backoff`,
    });
  }

  /** Waits before the next try: exponential backoff with jitter, never less; a quick step while isolating a bad message. */
  function retry(retryAfter: string | null | undefined, isolating = false): void {
    attempt++;
    let delay = isolating ? backoffDelay(1, { random }) : backoffDelay(attempt, { max: maxBackoff, random });
    // Retry-After may lengthen the wait, never shorten it below the backoff (no tight loop on "0").
    const after = parseRetryAfter(retryAfter);
    if (after !== undefined) delay = Math.max(delay, Math.min(after, MAX_RETRY_AFTER));
    backingOff = true;
    sendTimer = setTimer(() => {
      sendTimer = undefined;
      backingOff = false;
      void send();
    }, delay);
  }

  function resume(): void {
    // Back online, or a page of ours became visible: try at once.
    if (!backingOff) return;
    clearTimeout(sendTimer);
    sendTimer = undefined;
    backingOff = false;
    void send();
  }

  const onOnline = () => resume();
  if (typeof window !== 'undefined' && typeof window.addEventListener === 'function') window.addEventListener('online', onOnline);

  return {
    add,

    /** Consent granted: messages go to storage (with those left by closed pages) and out. */
    enable(): void {
      if (enabled || stopped) return;
      enabled = true;
      buffer.unshift(...queue.journal.recover());
      recent = buffer.slice(-RECENT);
      void write().then(() => later(0));
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
      isolation.clear();
      clearTimeout(sendTimer);
      sendTimer = undefined;
      backingOff = false;
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
      resume();
      void send();
    },

    /** Sends what the outbox holds now; resolves when it is empty or a request failed. */
    async flush(): Promise<void> {
      await write();
      resume();
      await send();
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
      clearTimeout(sendTimer);
      if (typeof window !== 'undefined' && typeof window.removeEventListener === 'function') window.removeEventListener('online', onOnline);
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
