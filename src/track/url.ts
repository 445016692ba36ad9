// What of a URL microseg records: query strings and fragments carry e-mail addresses, reset
// tokens and session ids, so page URLs keep only the parameters that say where a visit came
// from (utm_*, ad click ids) and those the site names (`urlParams`), and referrers keep only
// their origin. Every URL the SDK records or sends passes through here.

/** Click ids of ad platforms: kept like utm_* (they name the campaign, not the person). */
const CLICK_IDS = new Set([
  'gclid', 'gclsrc', 'dclid', 'gbraid', 'wbraid', 'fbclid', 'msclkid', 'ttclid', 'li_fat_id',
  'twclid', 'yclid', 'epik', 'rdt_cid', 'sccid', 'irclickid', 'mc_cid',
]);
const MAX_VALUE = 200;

/** Whether a query parameter survives recording. */
function kept(key: string, siteKeys: ReadonlySet<string>): boolean {
  const k = key.toLowerCase();
  return k.startsWith('utm_') || CLICK_IDS.has(k) || siteKeys.has(key);
}

/** The site's `urlParams` option as a set of names (anything but strings is ignored). */
export function urlParamNames(option: unknown): ReadonlySet<string> {
  return new Set(Array.isArray(option) ? option.filter((k): k is string => typeof k === 'string' && k.length > 0) : []);
}

/**
 * A page URL as microseg records it: origin and path, plus only the kept query parameters
 * (values cut at 200 characters); no fragment, no user or password. Not a URL: "".
 */
export function recordedUrl(url: string, siteKeys: ReadonlySet<string> = new Set()): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '';
  }
  if (u.origin === 'null') return '';
  const params = new URLSearchParams();
  for (const [key, value] of u.searchParams) if (kept(key, siteKeys)) params.append(key, value.slice(0, MAX_VALUE));
  const query = params.toString();
  return `${u.origin}${u.pathname}${query ? `?${query}` : ''}`;
}

/** A referrer as microseg records it: its origin only ("" when none or not a web origin). */
export function recordedReferrer(referrer: string): string {
  try {
    const origin = referrer ? new URL(referrer).origin : '';
    return origin === 'null' ? '' : origin;
  } catch {
    return '';
  }
}

/** The Referer the SDK's own requests carry: the page's origin at most, never its path or query. */
export const REQUEST_REFERRER_POLICY: ReferrerPolicy = 'strict-origin';
