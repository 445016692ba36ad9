// The public face of createMicroseg(): its options, the API object's type, and options read as plain data.
import type { Profile } from '../shared/types';
import { isPlainObject } from '../shared/util';
import type { Label } from '../labels';
import type { Decision } from '../decide/decide';
import type { PublicKeyInput } from '../config';
import type { MicrosegConfig } from '../config/types';
import type { SignedEnvelope } from '../config/signature';
import type { Explanation } from '../engine';
import type { CollectOptions } from '../measure';
import type { Persona } from '../preview/types';
import type { ConsentState, MicrosegEvents, MicrosegEventType } from './events';

export interface MicrosegOptions {
  /** Where the backend publishes the segment configuration (or its signed envelope). */
  configUrl?: string;
  /** A configuration given in the page (object, JSON text or signed envelope). */
  config?: MicrosegConfig | SignedEnvelope | string;
  /** With a public key (JWK, PEM or base64 SPKI; several for rotation), only signed configs are accepted. */
  publicKey?: PublicKeyInput | PublicKeyInput[];
  /** Re-fetch the configuration every this many ms (paused while the tab is hidden). */
  refresh?: number;
  /** Receive new configurations over Server-Sent Events: a URL, or true for configUrl itself. */
  sse?: string | boolean;
  /**
   * `granted` (default): behaviour is stored on the device. `pending`: the SDK works in memory
   * only and writes nothing until `consent('granted')`. `denied`: memory only.
   */
  consent?: ConsentState;
  /** Read GA4 / Google Tag Manager events from `window.dataLayer` (or the named array). */
  dataLayer?: boolean | string;
  /** Track a `page` event on load and on single-page-app navigations (default true). */
  autoPage?: boolean;
  /** Raw events are kept this many days (default 30); long-term knowledge lives in aggregates. */
  retentionDays?: number;
  /** At most this many raw events are kept (default 100,000). */
  maxEvents?: number;
  /** IndexedDB database name (default "microseg"). */
  dbName?: string;
  /**
   * Where events, journey exposures and outcomes, and segment changes are sent (POST, JSON
   * `{ events: [...] }`), in batches, from an outbox that survives reloads and offline periods.
   * Never without consent.
   */
  collectUrl?: string;
  /** Batching and retries for `collectUrl`. */
  collect?: CollectOptions;
  /**
   * Labels set on other channels: `GET labelsUrl?uid=…` (with the X-Microseg-Visitor header),
   * fetched on start, on identify and when the tab comes back after `labelsRefresh`. Never
   * without consent.
   */
  labelsUrl?: string;
  /** forget() posts here so the backend unlinks the device (default: `forget` beside labelsUrl, else collectUrl). */
  forgetUrl?: string;
  /** Server-Sent Events that say this visitor's labels changed: a URL, or true for `${labelsUrl}/stream`. */
  labelsSse?: string | boolean;
  /** A tab coming back re-fetches labels when the last fetch is older than this (ms, default 5 minutes). */
  labelsRefresh?: number;
  /** The clock, for tests and previews (default Date.now). */
  now?: () => number;
  /** The backend's public key for preview tokens (`?microseg_preview=`); default: `publicKey`. */
  previewKey?: PublicKeyInput | PublicKeyInput[];
  /**
   * Query parameters kept in every URL microseg records or sends (events' `page.url`,
   * `profile.url`), besides `utm_*` and ad click ids (gclid, fbclid, msclkid…), e.g.
   * `['ref', 'tag']`. Every other parameter and the fragment are dropped; referrers are kept as
   * their origin only. Never name a parameter that can carry personal data or secrets.
   */
  urlParams?: string[];
  /** Logs config, segment changes (with explain), decisions, labels and errors to the console; also `?microseg_debug=1`. */
  debug?: boolean;
}

export interface LabelOptions {
  value?: unknown;
  /** Time to live: milliseconds or a duration such as "14d", "12h". */
  ttl?: number | string;
  /** The channel that set it (default "web"). */
  channel?: string;
}

export interface IdentifyOptions {
  /** A token the site's server made for this user id; sent to `labelsUrl` only, kept in memory only. */
  token?: string;
}

export interface Microseg {
  /** Resolves once stored state is loaded (or the SDK fell back to memory). Never rejects. */
  readonly ready: Promise<void>;
  track(event: string, props?: Record<string, unknown>): void;
  page(props?: Record<string, unknown>): void;
  /**
   * Links this device to a user of the site. `userId` must be an opaque id (a database key or a
   * keyed hash), never an e-mail address, phone number or name: it is stored on the device and
   * sent to the collector and the labels backend. Traits follow the same rule.
   * `options.token`: the site's server signed this user id (identity verification); the labels
   * backend needs it.
   */
  identify(userId: string, traits?: Record<string, unknown>, options?: IdentifyOptions): void;
  label(name: string, options?: LabelOptions): void;
  unlabel(name: string): void;
  labels(): Label[];
  profile(): Profile;
  /** The ids of the micro-segments the visitor is in now (in config order). */
  segments(): string[];
  /** Why the visitor is or is not in a segment: each clause, pass or fail, with the value seen. */
  explain(segmentId: string): Explanation | undefined;
  /** The configuration in force. */
  config(): MicrosegConfig | undefined;
  /** The campaign a slot shows now (if any), whether the visitor is its control, and why. A query: records nothing. */
  decide(slot: string): Decision;
  /** Offer names (`data-microseg-offer`) that suppressions hide now; `["*"]` when every offer is hidden. */
  suppressedOffers(): string[];
  /** Fills the slots under `root` (default: the document) now; for frameworks that render outside the parser. */
  render(root?: ParentNode): void;
  consent(state: ConsentState): void;
  /** Deletes every byte the SDK stored on this device and stops storing (consent becomes `denied`); with labelsUrl/collectUrl, asks the backend to unlink this device too. */
  forget(): Promise<void>;
  /** Listens to one of the SDK's events; returns the function that stops listening. */
  on<K extends MicrosegEventType>(type: K, handler: (payload: MicrosegEvents[K]) => void): () => void;
  /** Writes what is queued; resolves when it is committed. */
  flush(): Promise<void>;
  /** Where data lives now: `indexeddb`, or `memory` (consent not granted, or storage unusable). */
  storage(): 'indexeddb' | 'memory';
  /** Shows the page as `persona` would see it, with the preview overlay; stores and sends nothing. */
  preview(persona?: Persona): Promise<void>;
  /** Leaves the preview: the page shows the visitor's own decisions again. */
  endPreview(): void;
  destroy(): void;
}

const NUMERIC_OPTIONS = ['retentionDays', 'maxEvents', 'refresh', 'labelsRefresh'] as const;

/** Options as plain data: a getter or proxy that throws, or a number that is not one, never reaches the SDK's parts. */
export function plainOptions(input: MicrosegOptions): MicrosegOptions {
  let options: MicrosegOptions;
  try {
    options = isPlainObject(input) ? { ...input } : {};
  } catch {
    options = {};
  }
  for (const key of NUMERIC_OPTIONS) {
    const v: unknown = options[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) delete options[key];
  }
  const clock = options.now;
  // A clock that stops answering with numbers falls back to the device's.
  if (clock !== undefined) {
    options.now = () => {
      try {
        const t = typeof clock === 'function' ? clock() : NaN;
        return Number.isFinite(t) ? t : Date.now();
      } catch {
        return Date.now();
      }
    };
  }
  return options;
}
