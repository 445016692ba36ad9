// Keeps the config current in the browser: inline or last good copy at once, then the network
// (ETag revalidation), optional polling and Server-Sent Events. A document is accepted whole
// or not at all; whatever fails becomes onError and the config in force stays.
import { RULES_VERSION, SCHEMA_VERSION, newerSchemaMessage, type MicrosegConfig } from './types';
import type { ConfigIssue } from './schema';
import { loadValidator, type Validate } from './validator';
import { isEnvelope, verifyEnvelope, type PublicKeyInput } from './signature';
import { REQUEST_REFERRER_POLICY } from '../track/url';
import { toJson } from '../shared/util';
import { listen, pageHidden } from '../shared/page';
import { setTimer } from '../shared/timer';
import { backoffDelay, MAX_BACKOFF } from '../shared/backoff';
import type { ConfigErrorCode } from '../shared/errors';

/** Where the last good config is kept between pages (the core passes its IndexedDB key-value store). */
export interface ConfigStorage {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
}

export type ConfigSource = 'cache' | 'network' | 'inline' | 'sse' | 'tab';

export interface ConfigSyncError {
  code: ConfigErrorCode | 'internal';
  message: string;
  /** JSON path of the first offending node, when the config itself is at fault. */
  path?: string;
  /** Every problem found, for config-invalid. */
  errors?: ConfigIssue[];
  source?: ConfigSource;
}

export interface ConfigSyncOptions {
  /** Where the config (or its signed envelope) is published. */
  configUrl?: string;
  /** A config given in the page: object, JSON text or signed envelope. Used instead of the cached copy. */
  config?: unknown;
  /** Poll every this many ms (paused while the tab is hidden). Without it, one fetch per page. */
  refresh?: number;
  /** Server-Sent Events: a URL, or true for configUrl itself (an EventSource asks for text/event-stream). Each message is a config or envelope. */
  sse?: string | boolean;
  /** With a key (or several, for rotation), only correctly signed envelopes are accepted. */
  publicKey?: PublicKeyInput | PublicKeyInput[];
  storage?: ConfigStorage;
  /** Key of the last good config in `storage`; default "config". */
  storageKey?: string;
  /** `text`: the document as received (an envelope keeps its signature). */
  onConfig?: (config: MicrosegConfig, info: { source: ConfigSource; text: string }) => void;
  /**
   * The document in force, exactly as received, after every successful fetch (a 304 too) or push:
   * for the other tabs, so one that missed a change catches up by the next poll.
   */
  onShare?: (text: string) => void;
  /**
   * false: another tab polls and holds the stream (see lead()); this one fetches once per page,
   * and again whenever it is shown (at most once a second). Default true.
   */
  leader?: boolean;
  onError?: (error: ConfigSyncError) => void;
  /** Longest wait between retries after errors, ms; default 5 minutes. */
  maxBackoff?: number;
  /** For tests and odd environments. */
  fetch?: typeof fetch;
  loadValidator?: () => Promise<Validate>;
  EventSource?: new (url: string) => EventSourceLike;
  random?: () => number;
}

export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void;
  onerror: ((event: unknown) => void) | null;
  close(): void;
}

export interface ConfigSync {
  /** Settles (never rejects) once a config is in force from inline/cache, or the first fetch is over. */
  ready: Promise<MicrosegConfig | undefined>;
  current(): MicrosegConfig | undefined;
  /** Fetch now. */
  refresh(): Promise<void>;
  /** This tab becomes (true) or stops being (false) the one that polls and holds the stream. */
  lead(on: boolean): void;
  /**
   * A document another tab passed on, never stored here. It is verified (signature) and validated
   * like any other; the one in force again, or an older one, is a no-op.
   */
  offer(text: string): Promise<boolean>;
  stop(): void;
}

interface StoredConfig {
  url?: string;
  etag?: string;
  /** The document exactly as received (an envelope keeps its signature, and is checked again on load). */
  text: string;
  /** RULES_VERSION it was validated under: the same rules need not load the validator again. */
  checked?: number;
}

/** A document's place in the order of publications; one without a whole `issued` comes before all that have one. */
function issuedOf(doc: unknown): number {
  const issued = (doc as { issued?: unknown } | null)?.issued;
  return typeof issued === 'number' && Number.isSafeInteger(issued) && issued >= 0 ? issued : -1;
}

/** Sources whose older documents are worth an error: what the site publishes or puts in the page. */
const TELLS_OLDER: ConfigSource[] = ['network', 'sse', 'inline'];

const STORAGE_TIMEOUT = 1000;
const VISIBLE_RECHECK = 1000;

export function createConfigSync(opts: ConfigSyncOptions): ConfigSync {
  const url = opts.configUrl;
  const key = opts.storageKey ?? 'config';
  const random = opts.random ?? Math.random;
  const maxBackoff = opts.maxBackoff ?? MAX_BACKOFF;
  const doFetch = opts.fetch ?? (typeof fetch === 'function' ? fetch.bind(globalThis) : undefined);

  let current: MicrosegConfig | undefined;
  /** The document in force as received, for the other tabs. */
  let currentText: string | undefined;
  /** The last older document refused, so that polling a lagging copy reports it once. */
  let olderText: string | undefined;
  /** The ETag of the network copy in force: sent as If-None-Match. */
  let etag: string | undefined;
  let stored: StoredConfig | undefined;
  let stopped = false;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let due = false;
  let inflight: AbortController | undefined;
  let events: EventSourceLike | undefined;
  let leading = opts.leader !== false;
  let fetchedAt = -Infinity;
  // Every fetch and message is handled in arrival order, one at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task);
    queue = run.catch(() => undefined);
    return run;
  };

  const fail = (error: ConfigSyncError): false => {
    if (!stopped) {
      try {
        opts.onError?.(error);
      } catch {
        // the host's handler; its bug is not ours to throw
      }
    }
    return false;
  };

  /** Checks a document (text or value) and puts it in force if its version is new. */
  async function accept(input: unknown, source: ConfigSource, meta?: { etag?: string | null }): Promise<boolean> {
    const from = `config from ${source} rejected`;
    const text = typeof input === 'string' ? input : toJson(input);
    if (source === 'tab' && text === currentText) return true; // the one in force, passed on again
    let doc = input;
    if (typeof input === 'string') {
      try {
        doc = JSON.parse(input);
      } catch {
        return fail({ code: 'config-not-json', message: `${from}: not valid JSON (truncated?)`, source });
      }
    }
    if (isEnvelope(doc)) {
      let payload = doc.payload;
      if (opts.publicKey) {
        try {
          payload = await verifyEnvelope(doc, opts.publicKey);
        } catch (err) {
          return fail({ code: (err as { code?: ConfigErrorCode }).code ?? 'config-signature-invalid', message: `${from}: ${(err as Error).message}`, source });
        }
      }
      try {
        doc = JSON.parse(payload as string);
      } catch {
        return fail({ code: 'config-not-json', message: `${from}: the signed payload is not valid JSON`, source });
      }
    } else if (opts.publicKey) {
      return fail({ code: 'config-unsigned', message: `${from}: it is not signed, and a publicKey is set`, source });
    }
    const schema = (doc as { schema?: unknown } | null)?.schema;
    if (typeof schema === 'number' && schema > SCHEMA_VERSION) {
      return fail({ code: 'config-schema-newer', message: `${from}: ${newerSchemaMessage(schema)}`, path: 'schema', source });
    }
    // Order before anything costly: a validly signed older document is still older.
    const issued = issuedOf(doc);
    if (current && issued < issuedOf(current)) {
      // Another tab was behind: nothing to tell. A lagging edge answering the same again: told once.
      if (!TELLS_OLDER.includes(source) || text === olderText) return false;
      olderText = text;
      return fail({ code: 'config-older', message: `${from}: it is older (issued ${issued < 0 ? 'missing' : issued}) than the config in force (issued ${issuedOf(current)})`, path: 'issued', source });
    }
    let result: ReturnType<Validate>;
    // The very document this device already checked under these rules (from the cache, or pushed again).
    if (stored?.checked === RULES_VERSION && stored.text === text) {
      result = { ok: true, config: doc as MicrosegConfig };
    } else {
      try {
        result = (await (opts.loadValidator ?? loadValidator)())(doc);
      } catch (err) {
        return fail({ code: 'config-validator-unavailable', message: `${from}: the validator could not be loaded (${(err as Error)?.message})`, source });
      }
    }
    if (!result.ok) {
      const [first] = result.errors;
      const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : '';
      return fail({ code: 'config-invalid', message: `${from}: ${first!.path || 'config'}: ${first!.message}${more}`, path: first!.path, errors: result.errors, source });
    }
    if (stopped) return false;
    // Validation took time: a newer document may have come in meanwhile.
    if (current && issued < issuedOf(current)) return false;
    if (source === 'cache' && stored && stored.checked !== RULES_VERSION) {
      stored = { ...stored, checked: RULES_VERSION }; // validated now: the next page can skip it
      keep(stored);
    }
    if (source === 'network' || source === 'sse') {
      // A pushed copy has no ETag of its own; the same text pushed again keeps the one we have.
      if (source === 'network') etag = meta?.etag || undefined;
      else if (stored?.text !== text) etag = undefined;
      if (opts.storage && (stored?.text !== text || stored.etag !== etag)) {
        stored = { url, etag, text, checked: RULES_VERSION };
        keep(stored);
      }
    }
    if (result.config.version !== current?.version || issued !== issuedOf(current)) {
      current = result.config;
      currentText = text;
      try {
        opts.onConfig?.(current, { source, text });
      } catch {
        // the host's handler
      }
    }
    return true;
  }

  /**
   * Stores the last good copy at once (a page may close right after). Only documents not older
   * than the one in force get here; a tab that stored an older copy than another tab's learns of
   * the newer one from that tab, and the next page from the network.
   */
  function keep(record: StoredConfig): void {
    opts.storage?.set(key, record).catch(() => undefined); // the store reports its own failures
  }

  /** Tells the other tabs which document is in force here, after each of this tab's own fetches and pushes. */
  function share(): void {
    if (stopped || currentText === undefined) return;
    try {
      opts.onShare?.(currentText);
    } catch {
      // the host's channel
    }
  }

  async function fetchOnce(): Promise<boolean> {
    if (!url || !doFetch || stopped) return true;
    fetchedAt = Date.now();
    const ctrl = typeof AbortController === 'function' ? new AbortController() : undefined;
    inflight = ctrl;
    try {
      const res = await doFetch(url, { headers: etag ? { 'If-None-Match': etag } : {}, cache: 'no-store', referrerPolicy: REQUEST_REFERRER_POLICY, signal: ctrl?.signal });
      if (res.status === 304) return true;
      if (!res.ok) return fail({ code: 'config-fetch', message: `could not fetch the config: ${url} answered ${res.status}`, source: 'network' });
      const text = await res.text();
      return await accept(text, 'network', { etag: res.headers.get('ETag') });
    } catch (err) {
      return fail({ code: 'config-fetch', message: `could not fetch the config from ${url}: ${(err as Error)?.message ?? err}`, source: 'network' });
    } finally {
      inflight = undefined;
    }
  }

  const hidden = () => pageHidden(typeof document === 'undefined' ? undefined : document);

  /** Next fetch: `refresh` after a success, exponential backoff with jitter after a failure. */
  function schedule(ok: boolean): void {
    if (stopped || !url) return;
    failures = ok ? 0 : failures + 1;
    let delay = opts.refresh;
    if (!ok) delay = backoffDelay(failures, { max: maxBackoff, random });
    if (!delay || delay <= 0) return;
    clearTimeout(timer);
    timer = setTimer(() => {
      timer = undefined;
      if (hidden() || !leading) due = true;
      else void poll();
    }, delay);
  }

  async function poll(): Promise<void> {
    const ok = await serial(fetchOnce);
    if (ok) share();
    schedule(ok);
  }

  let offVisibility = () => {};
  const onVisibility = () => {
    if (hidden() || stopped) return;
    // A tab that does not poll may have missed a change (a frozen or restored page hears no tab
    // messages): shown again, it revalidates (a 304 costs nothing), at most once a second.
    if (due || (!leading && Date.now() - fetchedAt >= VISIBLE_RECHECK)) {
      due = false;
      void poll();
    }
  };

  async function start(): Promise<void> {
    if (opts.config !== undefined) {
      await serial(() => accept(opts.config, 'inline'));
    } else if (opts.storage) {
      // A blocked IndexedDB must not hold the network back.
      let wait: ReturnType<typeof setTimeout> | undefined;
      const record = (await Promise.race([
        opts.storage.get(key).catch(() => undefined),
        new Promise((r) => (wait = setTimeout(r, STORAGE_TIMEOUT))),
      ])) as StoredConfig | undefined;
      clearTimeout(wait);
      if (record && typeof record.text === 'string' && record.url === url) {
        stored = record;
        if (await serial(() => accept(record.text, 'cache'))) etag = record.etag;
      }
    }
    offVisibility = listen(typeof document === 'undefined' ? undefined : document, 'visibilitychange', onVisibility);
    if (opts.sse && leading && !stopped && !events) openEvents(opts.sse === true ? url : opts.sse);
    // The first fetch runs even in a hidden tab: only polling waits for the tab to show.
    if (url) {
      const first = poll();
      if (!current) await first;
    }
  }

  function openEvents(sseUrl: string | undefined): void {
    const ES = opts.EventSource ?? (typeof EventSource === 'function' ? (EventSource as unknown as ConfigSyncOptions['EventSource']) : undefined);
    if (!sseUrl || !ES) {
      fail({ code: 'config-sse', message: sseUrl ? 'Server-Sent Events are not available here' : 'sse: true needs a configUrl', source: 'sse' });
      return;
    }
    try {
      const es = (events = new ES(sseUrl));
      const onMessage = (event: { data?: unknown }) => void serial(() => accept(String(event.data), 'sse')).then((ok) => ok && share());
      es.addEventListener('message', onMessage);
      es.addEventListener('config', onMessage);
      // What was published before the stream was open is not pushed by every server: revalidate.
      es.addEventListener('open', () => void serial(fetchOnce).then((ok) => ok && share()));
      // EventSource reconnects by itself; only a closed stream is worth telling.
      es.onerror = () => {
        if (es.readyState === 2) fail({ code: 'config-sse', message: `the config stream ${sseUrl} closed`, source: 'sse' });
      };
    } catch (err) {
      fail({ code: 'config-sse', message: `could not open ${sseUrl}: ${(err as Error)?.message ?? err}`, source: 'sse' });
    }
  }

  const ready = start().then(
    () => current,
    (err) => (fail({ code: 'internal', message: `config sync failed to start: ${(err as Error)?.message ?? err}` }), current),
  );

  return {
    ready,
    current: () => current,
    refresh: () => (stopped ? Promise.resolve() : poll()),
    lead(on) {
      if (stopped || on === leading) return;
      leading = on;
      if (!on) {
        events?.close();
        events = undefined;
        return;
      }
      if (opts.sse && !events) openEvents(opts.sse === true ? url : opts.sse);
      if (due && !hidden()) {
        due = false;
        void poll();
      }
    },
    offer: (text) => (stopped || typeof text !== 'string' ? Promise.resolve(false) : serial(() => accept(text, 'tab'))),
    stop() {
      stopped = true;
      clearTimeout(timer);
      inflight?.abort();
      events?.close();
      offVisibility();
    },
  };
}
