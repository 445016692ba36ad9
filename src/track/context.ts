import type { DeviceClass } from '../shared/types';
import { recordedReferrer, recordedUrl } from './url';

export interface PageContext {
  url: string;
  path: string;
  title: string;
  referrer: string;
}

/** Where the visitor is, as recorded: see recordedUrl / recordedReferrer for what is kept. */
export function pageContext(siteKeys?: ReadonlySet<string>): PageContext {
  const loc = globalThis.location;
  const doc = globalThis.document;
  return {
    url: loc ? recordedUrl(loc.href, siteKeys) : '',
    path: loc ? loc.pathname : '',
    title: doc ? doc.title : '',
    referrer: doc ? recordedReferrer(doc.referrer) : '',
  };
}

type NavigatorLike = { userAgent?: string; maxTouchPoints?: number; userAgentData?: { mobile?: boolean } };

/** The device class of this browser, or of `nav` (a server passes the request's user agent). */
export function deviceClass(nav: NavigatorLike | undefined = globalThis.navigator as NavigatorLike | undefined): DeviceClass {
  const ua = nav?.userAgent ?? '';
  if (/iPad|Tablet|PlayBook|Silk|Kindle/i.test(ua) || (/Android/i.test(ua) && !/Mobile/i.test(ua))) return 'tablet';
  // iPadOS reports itself as a Mac: tell it apart by touch.
  if (/Macintosh/.test(ua) && (nav?.maxTouchPoints ?? 0) > 1) return 'tablet';
  if (nav?.userAgentData?.mobile || /Mobi|iPhone|iPod|Android|Opera Mini|IEMobile/i.test(ua)) return 'mobile';
  return 'desktop';
}

const SEARCH = /(^|\.)(google|bing|duckduckgo|yahoo|baidu|yandex|ecosia|qwant|startpage|naver|seznam)\./i;
const SOCIAL = /(^|\.)(facebook|instagram|linkedin|pinterest|tiktok|reddit|youtube|threads|snapchat|x|twitter|t)\.(com|co|net)$|^lnkd\.in$/i;
const UTM_KEYS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'];

export interface Acquisition {
  channel: string;
  utm: Record<string, string>;
  referrer: string;
}

/** Where this visit came from: utm_* first, then click ids, then the referrer's host. */
export function acquisition(url: string, referrer: string): Acquisition {
  let params: URLSearchParams;
  let host = '';
  try {
    const u = new URL(url);
    params = u.searchParams;
    host = u.hostname;
  } catch {
    params = new URLSearchParams();
  }
  const utm: Record<string, string> = {};
  for (const key of UTM_KEYS) {
    const value = params.get(key);
    if (value) utm[key.slice(4)] = value.slice(0, 200);
  }
  let refHost = '';
  try {
    refHost = referrer ? new URL(referrer).hostname : '';
  } catch {
    /* not a URL */
  }
  // Only the referrer's origin is kept: its path and query may carry personal data.
  const ref = refHost && refHost !== host ? refHost : '';
  return { channel: channelOf(utm, params, ref), utm, referrer: ref };
}

function channelOf(utm: Record<string, string>, params: URLSearchParams, refHost: string): string {
  const medium = (utm.medium ?? '').toLowerCase();
  if (medium) {
    if (/^(cpc|ppc|paid|paidsearch|cpm|display|paid[-_ ]?social|retargeting)/.test(medium)) return 'paid';
    if (/e-?mail|newsletter/.test(medium)) return 'email';
    if (/social|sm/.test(medium)) return 'social';
    if (/affiliate/.test(medium)) return 'affiliate';
    if (/organic/.test(medium)) return 'search';
    return medium;
  }
  if (params.has('gclid') || params.has('msclkid') || params.has('fbclid') || params.has('ttclid')) return 'paid';
  if (!refHost) return 'direct';
  if (SEARCH.test(refHost)) return 'search';
  if (SOCIAL.test(refHost)) return 'social';
  return 'referral';
}
