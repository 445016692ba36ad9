// The outbox's requests to the collector: a batch as one POST, the beacons of a closing page,
// the CORS probe, and reading Retry-After.
import type { Message } from '../store';
import { REQUEST_REFERRER_POLICY } from '../track/url';
import { plainJson } from '../shared/util';

/** keepalive requests and beacons share a 64 KB budget per page. */
const MAX_BYTES = 60_000;
const TEXT = 'text/plain;charset=UTF-8';

/** What one request came to. */
export type Answer = { ok: true } | { ok: false; retry: boolean; status?: number; retryAfter?: string | null };

/**
 * Reads a response to its end: an unread body holds its connection (and a keepalive request its
 * share of the page's 64 KB budget), and after a dozen such answers every later fetch fails.
 * Collector answers are small; the request's 30 s timeout also bounds the read.
 */
export async function discardBody(res: Response): Promise<void> {
  try {
    if (res.body) await res.arrayBuffer();
  } catch {
    /* already read or closed */
  }
}

/** The collector is on another origin (then a missing CORS header looks like a network failure). */
export function crossOrigin(url: string): boolean {
  try {
    const here = globalThis.location?.href;
    return !!here && new URL(url, here).origin !== new URL(here).origin;
  } catch {
    return false;
  }
}

/** The longest prefix whose JSON stays under the keepalive budget (at least one message). */
export function fit(items: Message[]): Message[] {
  let bytes = 20;
  for (let i = 0; i < items.length; i++) {
    bytes += plainJson(items[i]).length + 1;
    if (bytes > MAX_BYTES && i > 0) return items.slice(0, i);
  }
  return items;
}

export async function post(doFetch: typeof fetch, url: string, batch: Message[]): Promise<Answer> {
  const body = plainJson({ events: batch });
  let res: Response;
  try {
    res = await doFetch(url, {
      method: 'POST',
      // text/plain: a simple request, no CORS preflight; the backend reads the body as JSON.
      headers: { 'Content-Type': TEXT },
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

/** The page is going away: beacon the messages in batches (a keepalive POST where a beacon is refused). */
export function beacon(doFetch: typeof fetch, url: string, messages: Message[], batchSize: number): void {
  const send = typeof navigator.sendBeacon === 'function' ? navigator.sendBeacon.bind(navigator) : undefined;
  let rest = messages;
  while (rest.length) {
    const batch = fit(rest.slice(0, batchSize));
    const body = plainJson({ events: batch });
    let sent = false;
    try {
      sent = send ? send(url, new Blob([body], { type: TEXT })) : false;
    } catch {
      sent = false;
    }
    if (!sent) {
      void doFetch(url, { method: 'POST', body, keepalive: true, referrerPolicy: REQUEST_REFERRER_POLICY, headers: { 'Content-Type': TEXT } })
        .then(discardBody)
        .catch(() => {});
    }
    rest = rest.slice(batch.length);
  }
}

/** A no-cors probe: true when the collector is reachable at all (its answer hidden by CORS). */
export async function reachable(doFetch: typeof fetch, url: string): Promise<boolean> {
  try {
    await doFetch(url, { method: 'HEAD', mode: 'no-cors', cache: 'no-store', credentials: 'omit', referrerPolicy: REQUEST_REFERRER_POLICY }).then(discardBody);
    return true;
  } catch {
    return false; // really unreachable (offline)
  }
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
