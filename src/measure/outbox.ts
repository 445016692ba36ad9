// Forwarding to the backend: a persisted, bounded outbox in IndexedDB, sent in batches with
// exponential backoff. Messages carry ids and the backend keeps each id once, so sending twice
// is always safe, while losing one is not: a message leaves the outbox only after a 2xx.
import type { IDBPDatabase } from 'idb';
import type { MicrosegDB } from '../store';
import { localKeys, readLocal, removeLocal, writeLocal } from '../store/local';
import type { Reporter } from '../core/errors';
import { describe } from '../core/errors';
import { REQUEST_REFERRER_POLICY } from '../track/url';
import { toJson } from '../core/util';

/** Anything with an id and a time (tracked events, and messages shaped like them). */
export interface Message {
  id: string;
  ts: number;
}

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
  /** The database while storing is allowed; null means memory only. */
  database: () => Promise<IDBPDatabase<MicrosegDB> | null>;
  report: Reporter;
  fetch?: typeof fetch;
  random?: () => number;
}

/** keepalive requests and beacons share a 64 KB budget per page. */
const MAX_BYTES = 60_000;
const WRITE_DELAY = 30;
const JOURNAL = 'outbox:';
const RECENT = 500;

export function createOutbox(deps: OutboxDeps) {
  const batchSize = Math.max(1, Math.min(500, deps.batchSize ?? 50));
  const interval = deps.interval ?? 5000;
  const maxQueued = deps.maxQueued ?? 10_000;
  const maxBackoff = deps.maxBackoff ?? 300_000;
  const random = deps.random ?? Math.random;
  const doFetch = (...args: Parameters<typeof fetch>) => (deps.fetch ?? fetch)(...args);
  const tabId = Math.random().toString(36).slice(2, 10);

  let enabled = false;
  /** Not in storage yet: waiting for consent, or for the next write. */
  let buffer: Message[] = [];
  /** Being written now: not committed yet either. */
  let inflight: Message[] = [];
  /** The outbox itself when IndexedDB cannot be used. */
  const memory = new Map<string, Message>();
  /** Added by this page and not confirmed sent: what a beacon carries when the page goes away. */
  let recent: Message[] = [];
  let journalsToClear: string[] = [];
  let writeTimer: ReturnType<typeof setTimeout> | undefined;
  let sendTimer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> = Promise.resolve();
  let sending: Promise<void> | null = null;
  let attempt = 0;
  let backingOff = false;
  let stopped = false;
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
    if (writeTimer === undefined) writeTimer = setTimeout(() => void write(), WRITE_DELAY);
  }

  function write(): Promise<void> {
    if (writeTimer !== undefined) clearTimeout(writeTimer);
    writeTimer = undefined;
    writing = writing.then(async () => {
      if (!enabled || !buffer.length) return;
      const batch = buffer;
      buffer = [];
      inflight = batch;
      try {
        const db = await deps.database();
        if (!db) {
          for (const m of batch) memory.set(m.id, m);
          for (const id of memory.keys()) if (memory.size > maxQueued) memory.delete(id);
        } else {
          const tx = db.transaction('outbox', 'readwrite');
          for (const m of batch) void tx.store.put(m);
          let excess = (await tx.store.count()) - maxQueued;
          if (excess > 0) {
            deps.report({ code: 'outbox-full', message: `the outbox holds more than ${maxQueued} messages; the oldest are dropped` });
            let cursor = await tx.store.index('ts').openCursor();
            while (cursor && excess-- > 0) {
              void cursor.delete();
              cursor = await cursor.continue();
            }
          }
          await tx.done;
        }
        stored = true;
        inflight = [];
        if (!buffer.length) removeLocal(JOURNAL + tabId); // else the journal still covers the rest
        for (const key of journalsToClear.splice(0)) removeLocal(key);
      } catch (cause) {
        inflight = [];
        buffer = batch.concat(buffer);
        deps.report({ code: 'storage-failed', message: `writing the outbox failed (${describe(cause)})`, cause });
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
    sendTimer = setTimeout(() => {
      sendTimer = undefined;
      void send();
    }, delay);
  }

  async function head(db: IDBPDatabase<MicrosegDB> | null): Promise<Message[]> {
    const items = db ? await db.getAllFromIndex('outbox', 'ts', undefined, batchSize) : [...memory.values()].slice(0, batchSize);
    return fit(items);
  }

  /** The longest prefix whose JSON stays under the keepalive budget (at least one message). */
  function fit(items: Message[]): Message[] {
    let bytes = 20;
    for (let i = 0; i < items.length; i++) {
      bytes += toJson(items[i]).length + 1;
      if (bytes > MAX_BYTES && i > 0) return items.slice(0, i);
    }
    return items;
  }

  async function remove(db: IDBPDatabase<MicrosegDB> | null, ids: string[]): Promise<void> {
    const gone = new Set(ids);
    recent = recent.filter((m) => !gone.has(m.id));
    if (!db) for (const id of ids) memory.delete(id);
    else {
      const tx = db.transaction('outbox', 'readwrite');
      for (const id of ids) void tx.store.delete(id);
      await tx.done;
    }
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
        .catch((cause) => deps.report({ code: 'collect-failed', message: `sending events failed (${describe(cause)})`, cause }))
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
      const db = await deps.database();
      const batch = await head(db);
      if (!batch.length) return;
      let res: Response;
      const body = toJson({ events: batch });
      try {
        res = await doFetch(deps.url, {
          method: 'POST',
          // text/plain: a simple request, no CORS preflight; the backend reads the body as JSON.
          headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
          body,
          referrerPolicy: REQUEST_REFERRER_POLICY,
          // keepalive refuses bodies over its 64 KB budget (one huge message can make one).
          keepalive: body.length < MAX_BYTES,
          // A request that hangs must not hold the sending lock for every tab.
          signal: typeof AbortSignal !== 'undefined' && AbortSignal.timeout ? AbortSignal.timeout(30_000) : undefined,
        });
      } catch {
        return retry(undefined); // offline, DNS, connection reset
      }
      if (res.ok) {
        attempt = 0;
        await remove(db, batch.map((m) => m.id));
        continue;
      }
      if (res.status === 408 || res.status === 429 || res.status >= 500) return retry(res.headers.get('Retry-After'));
      // The backend refuses these messages for good: keeping them would block the queue forever.
      await remove(db, batch.map((m) => m.id));
      deps.report({ code: 'collect-rejected', message: `the collector answered ${res.status}; ${batch.length} messages dropped` });
    }
  }

  function retry(retryAfter: string | null | undefined): void {
    attempt++;
    const backoff = Math.min(maxBackoff, 1000 * 2 ** Math.min(attempt - 1, 20));
    // Jitter: visitors that went offline together must not come back in lockstep.
    let delay = backoff / 2 + (random() * backoff) / 2;
    const after = parseRetryAfter(retryAfter);
    if (after !== undefined) delay = Math.max(after, 0);
    backingOff = true;
    sendTimer = setTimeout(() => {
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
      for (const key of localKeys()) {
        if (!key.startsWith(JOURNAL)) continue;
        const saved = readLocal<Message[]>(key);
        if (Array.isArray(saved)) buffer.unshift(...saved.filter((m) => m && typeof m.id === 'string'));
        journalsToClear.push(key);
      }
      recent = buffer.slice(-RECENT);
      void write().then(() => later(0));
    },

    /** Consent denied: drop what is held and send nothing more. */
    disable(): void {
      enabled = false;
      buffer = [];
      recent = [];
      memory.clear();
      clearTimeout(writeTimer);
      clearTimeout(sendTimer);
      writeTimer = sendTimer = undefined;
      backingOff = false;
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
      const uncommitted = inflight.concat(buffer);
      if (uncommitted.length) writeLocal(JOURNAL + tabId, uncommitted);
      void write();
      if (typeof navigator === 'undefined' || navigator.onLine === false || !recent.length) return;
      const beacon = typeof navigator.sendBeacon === 'function' ? navigator.sendBeacon.bind(navigator) : undefined;
      let rest = recent;
      while (rest.length) {
        const batch = fit(rest.slice(0, batchSize));
        const body = toJson({ events: batch });
        let sent = false;
        try {
          sent = beacon ? beacon(deps.url, new Blob([body], { type: 'text/plain;charset=UTF-8' })) : false;
        } catch {
          sent = false;
        }
        if (!sent) {
          void doFetch(deps.url, { method: 'POST', body, keepalive: true, referrerPolicy: REQUEST_REFERRER_POLICY, headers: { 'Content-Type': 'text/plain;charset=UTF-8' } }).catch(() => {});
        }
        rest = rest.slice(batch.length);
      }
      // They stay in the outbox until a confirmed send: the backend drops the duplicates.
      recent = [];
    },

    /** How many messages wait (stored and buffered). */
    async size(): Promise<number> {
      const db = enabled ? await deps.database() : null;
      return buffer.length + (db ? await db.count('outbox') : memory.size);
    },

    stop(): void {
      // destroy(): what is not stored yet waits in the journal for the next page.
      const uncommitted = inflight.concat(buffer);
      if (enabled && !stopped && uncommitted.length) writeLocal(JOURNAL + tabId, uncommitted);
      stopped = true;
      clearTimeout(writeTimer);
      clearTimeout(sendTimer);
      if (typeof window !== 'undefined' && typeof window.removeEventListener === 'function') window.removeEventListener('online', onOnline);
    },
  };
}

/** Retry-After: seconds, or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export type Outbox = ReturnType<typeof createOutbox>;
