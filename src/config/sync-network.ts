// The network source: one fetch with ETag revalidation, and polling (`refresh` after a success,
// backoff after a failure) that waits while the tab is hidden or another tab leads.
import { REQUEST_REFERRER_POLICY } from '../track/url';
import { pageHidden } from '../shared/page';
import { elapsedNow, setTimer } from '../shared/timer';
import { backoffDelay, MAX_BACKOFF } from '../shared/backoff';
import type { Accept, ConfigSyncOptions, Fail, Serial, SyncState } from './sync-types';

const VISIBLE_RECHECK = 1000;

export interface Polling {
  /** One fetch; true when it went well (a 304 too). */
  fetchOnce(): Promise<boolean>;
  /** One fetch in turn, shared with the other tabs when it went well, then the next one scheduled. */
  poll(): Promise<void>;
  /** The tab was shown: a poll that came due while hidden runs now (and a follower's revalidation). */
  onVisible(): void;
  /** This tab leads again: a poll that came due meanwhile runs now. */
  resume(): void;
  stop(): void;
}

const hidden = () => pageHidden(typeof document === 'undefined' ? undefined : document);

export function createPolling(opts: ConfigSyncOptions, state: SyncState, parts: { accept: Accept; serial: Serial; fail: Fail; share: () => void }): Polling {
  const { accept, serial, fail, share } = parts;
  const url = opts.configUrl;
  const random = opts.random ?? Math.random;
  const maxBackoff = opts.maxBackoff ?? MAX_BACKOFF;
  const doFetch = opts.fetch ?? (typeof fetch === 'function' ? fetch.bind(globalThis) : undefined);
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let due = false;
  let inflight: AbortController | undefined;
  /** When the last fetch went out (monotonic clock). */
  let fetchedAt = -Infinity;

  async function fetchOnce(): Promise<boolean> {
    if (!url || !doFetch || state.stopped) return true;
    fetchedAt = elapsedNow();
    const ctrl = typeof AbortController === 'function' ? new AbortController() : undefined;
    inflight = ctrl;
    try {
      const { etag } = state;
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

  /** Next fetch: `refresh` after a success, exponential backoff with jitter after a failure. */
  function schedule(ok: boolean): void {
    if (state.stopped || !url) return;
    failures = ok ? 0 : failures + 1;
    let delay = opts.refresh;
    if (!ok) delay = backoffDelay(failures, { max: maxBackoff, random });
    if (!delay || delay <= 0) return;
    clearTimeout(timer);
    timer = setTimer(() => {
      timer = undefined;
      if (hidden() || !state.leading) due = true;
      else void poll();
    }, delay);
  }

  async function poll(): Promise<void> {
    const ok = await serial(fetchOnce);
    if (ok) share();
    schedule(ok);
  }

  return {
    fetchOnce,
    poll,
    onVisible() {
      if (hidden() || state.stopped) return;
      // A tab that does not poll may have missed a change (a frozen or restored page hears no tab
      // messages): shown again, it revalidates (a 304 costs nothing), at most once a second.
      if (due || (!state.leading && elapsedNow() - fetchedAt >= VISIBLE_RECHECK)) {
        due = false;
        void poll();
      }
    },
    resume() {
      if (due && !hidden()) {
        due = false;
        void poll();
      }
    },
    stop() {
      clearTimeout(timer);
      inflight?.abort();
    },
  };
}
