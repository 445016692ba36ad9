// Labels set on other channels (email, call-centre, store), from the site's backend:
// `GET labelsUrl?uid=…` with the visitor id also in the X-Microseg-Visitor header (the backend
// binds it to a cookie, so a browser reads only its own labels), optionally re-fetched when a
// Server-Sent Events stream says they changed. Server times are moved onto the device's clock.
import { REQUEST_REFERRER_POLICY } from '../track/url';
import { mergeLabels, recordList, type Label, type LabelRecords } from './labels';
import { readLabels, refusedError } from './ingest';
import type { RuntimeError } from '../shared/errors';
import { elapsedNow } from '../shared/timer';

/** Offsets below this are within the Date header's one-second resolution and network noise. */
const MIN_SKEW = 1000;
const FETCH_TIMEOUT = 10_000;
/** Records read from one answer; the rest is ignored. */
const MAX_RECORDS = 1000;

/**
 * How far the server clock is ahead of the device's (ms), from the server's time at the response
 * (`now` in the body, else the Date header) and when the request left and the answer came.
 */
export function clockOffset(serverNow: number | undefined, sentAt: number, receivedAt: number): number {
  if (serverNow === undefined || !Number.isFinite(serverNow)) return 0;
  const offset = serverNow - (sentAt + receivedAt) / 2;
  return Math.abs(offset) < MIN_SKEW ? 0 : Math.round(offset);
}

/** The server's labels as device-clock labels; each malformed record is refused, the others kept. */
export function parseRemoteLabels(body: unknown, offset: number): { labels: Label[]; refused: string[] } {
  const list = (body as { labels?: unknown } | null)?.labels;
  if (!Array.isArray(list)) return { labels: [], refused: ['the answer has no "labels" list'] };
  return readLabels(list.length > MAX_RECORDS ? list.slice(0, MAX_RECORDS) : list, { offset, remote: true });
}

/**
 * Merges a full answer from the backend: it replaces every record that came from the backend
 * before (one it no longer lists is gone there, so it goes here too); per (name, channel) the
 * later record wins against local ones.
 */
export function mergeRemote(records: LabelRecords, remote: Label[]): LabelRecords {
  const local: Label[] = [];
  for (const l of recordList(records)) if (!l.remote) local.push(l);
  return mergeLabels(mergeLabels(new Map(), local), remote);
}

export interface RemoteLabelsOptions {
  url: string;
  /** Server-Sent Events telling that this visitor's labels changed (any message triggers a fetch). */
  sse?: string;
  /** The id whose labels are asked for: the user id (with its token), else the anonymous id. */
  visitor: () => string;
  /** The device's anonymous id, reported for the backend's visitor cookie (default: visitor()). */
  device?: () => string;
  /** The identity token the site's server signed for the user id (X-Microseg-Identity). */
  identity?: () => string | undefined;
  /** False while consent is not granted: nothing is sent then. */
  allowed: () => boolean;
  now: () => number;
  onLabels: (labels: Label[]) => void;
  onError: (error: RuntimeError) => void;
  fetch?: typeof fetch;
  EventSource?: new (url: string) => EventSource;
}

export interface RemoteLabels {
  /** Fetch now; calls made meanwhile coalesce into one more fetch afterwards. */
  refresh(): Promise<void>;
  /** Fetch if the last fetch is older than `maxAge` (a tab coming back after a while). */
  refreshIfOlder(maxAge: number): void;
  stop(): void;
  /** Consent withdrawn: close the stream but keep the ability to start again. */
  pause(): void;
}

export function createRemoteLabels(opts: RemoteLabelsOptions): RemoteLabels {
  let inflight: Promise<void> | undefined;
  /** The one more fetch that calls made while one was under way coalesce into. */
  let again: Promise<void> | undefined;
  let stopped = false;
  /** When the last fetch went out (monotonic clock: the device clock being set does not make labels look fresh). */
  let lastFetch = -Infinity;
  let source: EventSource | undefined;
  let streamFor: string | undefined;

  async function fetchOnce(): Promise<void> {
    const uid = opts.visitor();
    const token = opts.identity?.();
    const doFetch = opts.fetch ?? globalThis.fetch;
    const url = new URL(opts.url, globalThis.location?.href);
    url.searchParams.set('uid', uid);
    const headers: Record<string, string> = { 'X-Microseg-Visitor': opts.device?.() ?? uid, Accept: 'application/json' };
    if (token) headers['X-Microseg-Identity'] = token;
    const sentAt = opts.now();
    lastFetch = elapsedNow();
    // A backend that never answers must not hold every later fetch behind this one.
    const abort = typeof AbortController === 'function' ? new AbortController() : undefined;
    const timer = setTimeout(() => abort?.abort(), FETCH_TIMEOUT);
    const res = await doFetch(url.href, {
      headers,
      credentials: 'same-origin',
      referrerPolicy: REQUEST_REFERRER_POLICY,
      cache: 'no-store',
      signal: abort?.signal,
    }).finally(() => clearTimeout(timer));
    if (!res.ok) throw new Error(`${res.status} ${res.statusText}`.trim());
    const body: unknown = await res.json();
    const receivedAt = opts.now();
    const bodyNow = (body as { now?: unknown } | null)?.now;
    const date = Date.parse(res.headers.get('Date') ?? '');
    const serverNow = typeof bodyNow === 'number' ? bodyNow : Number.isNaN(date) ? undefined : date + 500; // mid-second
    if (stopped) return;
    const { labels, refused } = parseRemoteLabels(body, clockOffset(serverNow, sentAt, receivedAt));
    if (refused.length) opts.onError(refusedError(`the labels backend ${opts.url}`, refused, labels.length));
    // An answer without a list is not "no labels": what is known stays.
    if (Array.isArray((body as { labels?: unknown } | null)?.labels)) opts.onLabels(labels);
    listen(uid, token);
  }

  /** The stream subscribes the ids the backend bound when it opened: reopen it for a new id. */
  function listen(uid: string, token?: string): void {
    const ES = opts.EventSource ?? (typeof EventSource === 'function' ? EventSource : undefined);
    if (!opts.sse || !ES || stopped) return;
    const key = `${uid} ${token ?? ''}`;
    if (source && source.readyState !== 2 && streamFor === key) return;
    source?.close();
    streamFor = key;
    try {
      // EventSource sends no headers: a verified user id goes in the query.
      const url = new URL(opts.sse, globalThis.location?.href);
      if (token) (url.searchParams.set('uid', uid), url.searchParams.set('token', token));
      source = new ES(url.href);
      source.onmessage = () => void api.refresh();
      source.addEventListener('labels', () => void api.refresh());
    } catch (cause) {
      opts.onError({ code: 'labels-sse', message: `the labels stream ${opts.sse} could not be opened`, cause });
    }
  }

  const api: RemoteLabels = {
    refresh(): Promise<void> {
      if (stopped || !opts.allowed()) return Promise.resolve();
      // Labels as of this call (the user just identified, say): after the fetch under way, one more.
      if (inflight) {
        again ??= inflight.then(() => {
          again = undefined;
          return api.refresh();
        });
        return again;
      }
      inflight = fetchOnce()
        .catch((cause) => opts.onError({ code: 'labels-fetch', message: `labels could not be fetched from ${opts.url} (${(cause as Error)?.message ?? cause})`, cause }))
        .finally(() => (inflight = undefined));
      return inflight;
    },
    refreshIfOlder(maxAge: number): void {
      if (elapsedNow() - lastFetch >= maxAge) void api.refresh();
    },
    stop(): void {
      stopped = true;
      source?.close();
      source = undefined;
    },
    pause(): void {
      source?.close();
      source = undefined;
    },
  };
  return api;
}

/** forget()'s default backend URL: `forget` beside the labels (or collect) URL, e.g. /api/forget. */
export function forgetUrlBeside(url: string | undefined): string | undefined {
  return url ? new URL('forget', new URL(url, globalThis.location?.href)).href : undefined;
}

/** Asks the backend to unlink this device (clear its cookie and the ids it links). */
export async function unlinkDevice(url: string, doFetch: typeof fetch = globalThis.fetch): Promise<void> {
  const res = await doFetch(url, { method: 'POST', credentials: 'same-origin', cache: 'no-store', keepalive: true });
  if (!res.ok) throw new Error(`${res.status} ${res.statusText}`.trim());
}
