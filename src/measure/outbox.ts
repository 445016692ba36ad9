// Forwarding to the backend: a persisted, bounded outbox in IndexedDB, sent in batches with
// exponential backoff. Messages carry ids and the backend keeps each id once, so sending twice
// is always safe, while losing one is not: a message leaves the outbox only after a 2xx, or when
// the collector has shown it will never take it (then an `error` event counts what was dropped).
import type { IDBPDatabase } from 'idb';
import type { MicrosegDB } from '../store';
import { localKeys, readLocal, removeLocal, writeLocal } from '../store/local';
import type { Reporter } from '../shared/errors';
import { describe } from '../shared/errors';
import { setTimer } from '../shared/timer';
import { REQUEST_REFERRER_POLICY } from '../track/url';
import { toJson } from '../shared/util';
import { DAY } from '../shared/constants';
import { backoffDelay, MAX_BACKOFF } from '../shared/backoff';

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
  /** Deletes every stored message, also when storing is no longer allowed (consent denied). */
  erase?: () => Promise<void>;
}

/** keepalive requests and beacons share a 64 KB budget per page. */
const MAX_BYTES = 60_000;
const JOURNAL = 'outbox:';
const RECENT = 500;
/** Failed tries (5xx, 408, 429) of one batch before it is split to find a message the collector chokes on. */
const SPLIT_AFTER = 3;
/** A Retry-After further ahead than this is read as this (a new page tries again anyway). */
const MAX_RETRY_AFTER = DAY;

/** What one request came to. */
type Answer = { ok: true } | { ok: false; retry: boolean; status?: number; retryAfter?: string | null };

/**
 * Reads a response to its end: an unread body holds its connection (and a keepalive request its
 * share of the page's 64 KB budget), and after a dozen such answers every later fetch fails.
 * Collector answers are small; the request's 30 s timeout also bounds the read.
 */
async function discardBody(res: Response): Promise<void> {
  try {
    if (res.body) await res.arrayBuffer();
  } catch {
    /* already read or closed */
  }
}

/** The collector is on another origin (then a missing CORS header looks like a network failure). */
function crossOrigin(url: string): boolean {
  try {
    const here = globalThis.location?.href;
    return !!here && new URL(url, here).origin !== new URL(here).origin;
  } catch {
    return false;
  }
}

export function createOutbox(deps: OutboxDeps) {
  const batchSize = Math.max(1, Math.min(500, deps.batchSize ?? 50));
  const interval = deps.interval ?? 5000;
  const maxQueued = deps.maxQueued ?? 10_000;
  const maxBackoff = deps.maxBackoff ?? MAX_BACKOFF;
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
  let sendTimer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> = Promise.resolve();
  let sending: Promise<void> | null = null;
  let attempt = 0;
  let backingOff = false;
  let stopped = false;
  /** Messages per request now: halved while a batch keeps failing, to isolate what the collector chokes on. */
  let limit = batchSize;
  /** Failures of the batch at the head since it last changed size. */
  let failures = 0;
  /** Refusals (4xx) in a row: a collector that refuses everything gets whole batches dropped, not split. */
  let refusals = 0;
  /** One message the collector failed on alone: sent alone again once another batch went through (vouched), dropped if it fails again. */
  let suspect: Message | undefined;
  let vouched = false;
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
    // and IndexedDB gets the batch in the same moment (one write per burst of calls).
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
    const uncommitted = inflight.concat(buffer);
    if (enabled && uncommitted.length) writeLocal(JOURNAL + tabId, uncommitted);
  }

  function write(): Promise<void> {
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
        if (!enabled) return; // denied meanwhile (the store let go of the database): nothing to keep
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
    sendTimer = setTimer(() => {
      sendTimer = undefined;
      void send();
    }, delay);
  }

  async function head(db: IDBPDatabase<MicrosegDB> | null): Promise<Message[]> {
    if (suspect && vouched) return [suspect];
    const count = limit + (suspect ? 1 : 0);
    const items = db ? await db.getAllFromIndex('outbox', 'ts', undefined, count) : [...memory.values()].slice(0, count);
    return fit(items.filter((m) => m.id !== suspect?.id).slice(0, limit));
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
      if (!batch.length) {
        limit = batchSize;
        return;
      }
      const answer = await post(batch);
      const alone = !!suspect && batch.length === 1 && batch[0]!.id === suspect.id;
      if (answer.ok) {
        attempt = failures = refusals = 0;
        await remove(db, batch.map((m) => m.id));
        if (alone) clearSuspect();
        else if (suspect) vouched = true; // the collector works: the suspect gets one more try alone
        continue;
      }
      if (!answer.retry) {
        await refused(db, batch, answer.status!);
        continue;
      }
      if (alone && vouched && answer.status !== undefined) {
        await dropSuspect(db);
        continue;
      }
      return failed(batch, answer);
    }
  }

  async function post(batch: Message[]): Promise<Answer> {
    const body = toJson({ events: batch });
    let res: Response;
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
      return { ok: false, retry: true }; // offline, DNS, connection reset, or a collector without CORS
    }
    await discardBody(res);
    if (res.ok) return { ok: true };
    const retry = res.status === 408 || res.status === 429 || res.status >= 500;
    return { ok: false, retry, status: res.status, retryAfter: res.headers.get('Retry-After') };
  }

  /** The collector refuses these for good (4xx): split to keep the good ones, drop the one it refuses. */
  async function refused(db: IDBPDatabase<MicrosegDB> | null, batch: Message[], status: number): Promise<void> {
    refusals++;
    if (batch.length > 1 && refusals <= Math.log2(batchSize) + 2) {
      limit = Math.ceil(batch.length / 2);
      return;
    }
    await remove(db, batch.map((m) => m.id));
    limit = batchSize;
    deps.report({ code: 'collect-rejected', message: `the collector answered ${status}; ${batch.length} message${batch.length === 1 ? '' : 's'} dropped` });
  }

  function clearSuspect(): void {
    suspect = undefined;
    vouched = false;
    limit = batchSize;
  }

  async function dropSuspect(db: IDBPDatabase<MicrosegDB> | null): Promise<void> {
    const id = suspect!.id;
    clearSuspect();
    await remove(db, [id]);
    deps.report({
      code: 'collect-dropped',
      message: `the collector failed on 1 message (id ${id}) every time it was sent while it took the others; 1 message dropped`,
    });
  }

  /** A failure worth retrying: back off; a batch that keeps failing is split until one message is left. */
  function failed(batch: Message[], answer: Extract<Answer, { ok: false }>): void {
    if (answer.status === undefined) {
      void checkCors();
      return retry(null);
    }
    if (suspect) {
      // Everything fails, not just the suspect: the collector is down. Keep it and wait.
      clearSuspect();
      failures = 0;
      return retry(answer.retryAfter);
    }
    // Splitting starts after a few tries of the whole batch; once split, each failure halves at once.
    if (limit === batchSize && ++failures < SPLIT_AFTER) return retry(answer.retryAfter);
    failures = 0;
    if (batch.length > 1) limit = Math.ceil(batch.length / 2);
    else {
      suspect = batch[0];
      limit = batchSize;
    }
    return retry(answer.retryAfter, true);
  }

  /**
   * A cross-origin collector that stores the batch but sends no CORS header looks like a network
   * failure. A no-cors probe that gets through tells the two apart: say so once, plainly.
   */
  async function checkCors(): Promise<void> {
    if (corsReported || !crossOrigin(deps.url)) return;
    try {
      await doFetch(deps.url, { method: 'HEAD', mode: 'no-cors', cache: 'no-store', credentials: 'omit', referrerPolicy: REQUEST_REFERRER_POLICY }).then(discardBody);
    } catch {
      return; // really unreachable (offline): backoff as usual
    }
    if (corsReported) return;
    corsReported = true;
    const origin = globalThis.location?.origin ?? 'the site';
    deps.report({
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
      for (const key of localKeys()) {
        if (!key.startsWith(JOURNAL)) continue;
        const saved = readLocal<Message[]>(key);
        if (Array.isArray(saved)) buffer.unshift(...saved.filter((m) => m && typeof m.id === 'string'));
        journalsToClear.push(key);
      }
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
      clearSuspect();
      memory.clear();
      clearTimeout(sendTimer);
      sendTimer = undefined;
      backingOff = false;
      for (const key of localKeys()) if (key.startsWith(JOURNAL)) removeLocal(key);
      journalsToClear = [];
      await writing.catch(() => {}); // a write under way lands first, then goes too
      try {
        await deps.erase?.();
      } catch (cause) {
        deps.report({ code: 'storage-failed', message: `emptying the outbox failed (${describe(cause)})`, cause });
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
          void doFetch(deps.url, { method: 'POST', body, keepalive: true, referrerPolicy: REQUEST_REFERRER_POLICY, headers: { 'Content-Type': 'text/plain;charset=UTF-8' } })
            .then(discardBody)
            .catch(() => {});
        }
        rest = rest.slice(batch.length);
      }
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

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * An HTTP date (RFC 9110 section 5.6.7): IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete
 * RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT` and asctime `Sun Nov  6 08:49:37 1994`. Anything else: NaN.
 */
export function parseHttpDate(value: string): number {
  const v = value.trim();
  let m = /^[a-z]{3}, (\d{2}) ([a-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/i.exec(v);
  let day: string, mon: string, year: number, hms: string[];
  if (m) [day, mon, year, hms] = [m[1]!, m[2]!, Number(m[3]), m.slice(4, 7)];
  else if ((m = /^[a-z]{6,9}, (\d{2})-([a-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/i.exec(v))) {
    // Two-digit years: more than 50 years ahead means the last century (RFC 9110).
    const yy = Number(m[3]);
    year = 2000 + yy - (2000 + yy > new Date().getUTCFullYear() + 50 ? 100 : 0);
    [day, mon, hms] = [m[1]!, m[2]!, m.slice(4, 7)];
  } else if ((m = /^[a-z]{3} ([a-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/i.exec(v))) {
    [mon, day, year, hms] = [m[1]!, m[2]!.trim(), Number(m[6]), m.slice(3, 6)];
  } else return NaN;
  const month = MONTHS.indexOf(mon.toLowerCase());
  if (month < 0) return NaN;
  const [h, min, sec] = hms.map(Number) as [number, number, number];
  if (h > 23 || min > 59 || sec > 60) return NaN;
  return Date.UTC(year, month, Number(day), h, min, sec);
}

/** Retry-After: seconds, or an HTTP date; the wait in ms (0 for a date past), undefined if unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = parseHttpDate(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export type Outbox = ReturnType<typeof createOutbox>;
