import type { Profile, TrackedEvent } from '../shared/types';
import { createEmitter } from '../shared/emitter';
import { createReporter, guard, type MicrosegError } from '../shared/errors';
import { randomId, toPlainData, isPlainObject } from '../shared/util';
import { setTimer } from '../shared/timer';
import { createStore, readLocal, writeLocal } from '../store';
import { ingestDataLayer, isProfile, newProfile, pageContext, touchProfile, urlParamNames, watchNavigation, type PageContext } from '../track';
import { activeKey, activeLabels, boundedValue, createRemoteLabels, forgetUrlBeside, unlinkDevice, EVERY_CHANNEL, isLabelName, localStamp, mergeLabels, mergeRemote, nextExpiry, pruneLabels, readLabels, recordList, refusedError, storedList, type Label, type LabelRecords, type RemoteLabels } from '../labels';
import { attachDecisions, createDecisionRuntime } from '../decide/runtime';
import type { Decision } from '../decide/decide';
import { watchOffers, type OfferWatcher } from '../render/offers';
import { createRenderer } from '../render/renderer';
import { parseDuration } from '../config/time';
import { createSegmentRuntime } from '../engine/runtime';
import { createConfigSync, type ConfigSync, type PublicKeyInput } from '../config';
import type { MicrosegConfig } from '../config/types';
import type { EngineState, Explanation } from '../engine';
import { createMeasurement, type CollectOptions } from '../measure';
import { createPreviewHost } from '../preview/host';
import type { Persona } from '../preview/types';
import { createTabChannel, type TabMessage } from './tabs';
import { acquireLease, type Lease } from './lease';
import { hostileThen } from '../shared/inert';
import { inertMicroseg } from './inert';
import { debugWanted, logDebug } from './debug';
import type { ConsentState, MicrosegEvents, MicrosegEventType } from './events';
import type { SignedEnvelope } from '../config/signature';
import { listen, pageHidden } from '../shared/page';
import { MINUTE } from '../shared/constants';

export type { ConsentState, MicrosegEvents, MicrosegEventType };

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

/** How far behind another tab's events a stored engine record can be: its write races their arrival. */
const RECORD_LAG = MINUTE;
const EVENT_NAME = /^[\w$][\w$ .:/-]{0,99}$/;
const NUMERIC_OPTIONS = ['retentionDays', 'maxEvents', 'refresh', 'labelsRefresh'] as const;

/** Options as plain data: a getter or proxy that throws, or a number that is not one, never reaches the SDK's parts. */
function plainOptions(input: MicrosegOptions): MicrosegOptions {
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

export function createMicroseg(input: MicrosegOptions = {}): Microseg {
  const options = plainOptions(input);
  const emitter = createEmitter<MicrosegEvents>();
  const report = createReporter((error) => emitter.emit('error', error));
  const hostile = hostileThen();
  if (hostile) return inertMicroseg(emitter, report, hostile);
  const now = options.now ?? Date.now;
  const startedAt = now();
  const preview = createPreviewHost({
    key: options.previewKey ?? options.publicKey,
    now,
    report,
    ready: () => api.ready,
    bridge: () => ({
      config: () => segments.config(),
      engineState: () => segments.peek(),
      history: () => decisions.history(),
      visitor: () => profile.userId ?? profile.anonymousId,
      visit: () => profile.visits,
      now,
      onConfig: (handler) => emitter.on('config', handler),
    }),
    repaint: () => {
      renderer.update();
      offers.update(preview.offers() ?? decisions.offers());
    },
  });
  // A preview link runs the page in memory only: nothing of the marketer's visit is stored or sent.
  // Until its token is checked nothing is stored; a refused one gets the consent asked meanwhile.
  let consentState: ConsentState = preview.link() === 'checking' ? 'pending' : options.consent ?? 'granted';
  let consentAsked: ConsentState = options.consent ?? 'granted';
  const store = createStore({
    name: options.dbName ?? 'microseg',
    report,
    retentionDays: options.retentionDays,
    maxEvents: options.maxEvents,
    now,
    derived: () => {
      const engine = segments.takeSnapshot();
      return engine ? { engine } : undefined;
    },
  });
  const segments = createSegmentRuntime({
    now,
    emit: (type, payload) => {
      emitter.emit(type, payload);
      store.touch();
      decisions.schedule();
    },
    report,
    events: () => store.events(),
  });
  let sync: ConfigSync | undefined;
  let offeredEarly: string | undefined;
  const measure = createMeasurement({
    collectUrl: options.collectUrl,
    collect: options.collect,
    now,
    report,
    store,
    on: emitter.on,
    emit: emitter.emit,
    segments: () => segments.segments(),
    config: () => segments.config(),
    visitor: () => ({ aid: profile.anonymousId, uid: profile.userId, visit: profile.visits, page }),
  });

  const urlParams = urlParamNames(options.urlParams);
  let page: PageContext = pageContext(urlParams);
  const stored = readLocal<Profile>('profile');
  // A profile an older version stored may hold a full URL: this page's recorded one replaces it.
  let profile: Profile = isProfile(stored) ? { ...stored, url: page.url } : newProfile(now(), page);
  let labelRecords: LabelRecords = new Map();
  /** identify()'s token: memory only, the site hands a fresh one with every page. */
  let identityToken: string | undefined;
  let labelsKey = '[]';
  let labelTimer: ReturnType<typeof setTimeout> | undefined;
  /** This page view, for exposures (one per campaign and view). */
  let view = randomId();
  const visitorId = () => profile.userId ?? profile.anonymousId;
  segments.setProfile(profile);
  const cleanups: Array<() => void> = [];
  let destroyed = false;
  let seq = 0;
  const tabs = createTabChannel(`microseg:${options.dbName ?? 'microseg'}`, (message) => onTab(message));
  /** Held by the one tab that polls the config and holds its stream. */
  let configLease: Lease | undefined;

  const canWrite = () => consentState === 'granted' && !destroyed;
  const badArgument = (message: string) => report({ code: 'bad-argument', message });

  function saveProfile(): void {
    if (canWrite()) writeLocal('profile', profile);
  }

  function record(type: string, props: Record<string, unknown>): TrackedEvent {
    const ts = now();
    const visits = profile.visits;
    profile = touchProfile(profile, ts, page);
    const event: TrackedEvent = {
      id: randomId(),
      type,
      ts,
      seq: seq++,
      props,
      page,
      aid: profile.anonymousId,
      visit: profile.visits,
    };
    if (profile.userId) event.uid = profile.userId;
    store.append(event);
    if (canWrite()) tabs.event(event); // the other tabs count it too (never events a visitor kept out of storage)
    if (profile.visits !== visits) {
      saveProfile();
      segments.setProfile(profile);
    }
    segments.ingest(event);
    decisions.schedule(); // suppressions may read metrics no segment reads
    emitter.emit('track', event);
    return event;
  }

  const offers: OfferWatcher = watchOffers(typeof document === 'undefined' ? undefined : document, (cause) =>
    report({ code: 'render', message: 'offers could not be updated', cause }),
  );
  const decisions = createDecisionRuntime({
    now,
    config: () => segments.config(),
    context: () => segments.context(),
    visitor: visitorId,
    visit: () => profile.visits,
    view: () => view,
    track: (type, props) => void record(type, props),
    emit: (type, payload) => emitter.emit(type, payload),
    save: (history) => store.put('exposures', history),
    report,
    onOffers: (names) => {
      renderer.releaseOffers(); // the first-paint snapshot's hidden offers hand over to the live ones
      if (!preview.active()) offers.update(names);
    },
  });
  const renderer = createRenderer({
    doc: typeof document === 'undefined' ? undefined : document,
    decide: (slot) => preview.decide(slot) ?? decisions.decide(slot),
    config: () => segments.config(),
    offers: () => preview.offers() ?? decisions.offers(),
    // A preview records nothing and leaves the first-paint snapshot alone.
    recordExposure: (d) => !preview.active() && decisions.recordExposure(d),
    recordClick: (d) => !preview.active() && decisions.recordClick(d),
    canWrite: () => canWrite() && !preview.active(),
    report,
  });
  // Segment, label and config changes reach the slots at once.
  emitter.on('decision', () => renderer.update());
  emitter.on('config', () => renderer.update());
  let remote: RemoteLabels | undefined;
  if (options.labelsUrl) {
    // true (or a bare data-labels-sse attribute): the stream next to the labels URL
    const own = options.labelsSse === true || options.labelsSse === '' || options.labelsSse === 'true';
    const sse = own ? `${options.labelsUrl.replace(/\/$/, '')}/stream` : typeof options.labelsSse === 'string' ? options.labelsSse : undefined;
    remote = createRemoteLabels({
      url: options.labelsUrl,
      sse,
      // A user id's labels need its token; without one, the device's own.
      visitor: () => (identityToken && profile.userId) || profile.anonymousId,
      device: () => profile.anonymousId,
      identity: () => identityToken,
      allowed: () => consentState === 'granted' && !destroyed,
      now,
      onLabels: (list) => {
        setLabels(mergeRemote(labelRecords, list));
        share({ t: 'labels', remote: list });
      },
      onError: (error) => report(error),
    });
  }

  /** Every label change goes through here: segments and decisions follow at once. */
  function setLabels(records: LabelRecords): void {
    labelRecords = pruneLabels(records, now());
    store.put('labels', recordList(labelRecords));
    segments.setLabels(labelRecords);
    decisions.schedule();
    scheduleExpiry();
    const key = activeKey(labelRecords, now());
    if (key === labelsKey) return;
    labelsKey = key;
    emitter.emit('label', activeLabels(labelRecords, now()));
  }

  /** An expired label leaves at its expiry, not on the next page load. */
  function scheduleExpiry(): void {
    if (labelTimer !== undefined) clearTimeout(labelTimer);
    labelTimer = undefined;
    const at = nextExpiry(labelRecords, now());
    if (at === undefined || destroyed) return;
    labelTimer = setTimer(() => setLabels(labelRecords), at - now() + 1);
  }

  /** Records from another tab or storage, checked one by one: the bad ones are refused with one error event. */
  function ingestLabels(list: unknown, source: string, remote = false): Label[] {
    const { labels, refused } = readLabels(list, { remote });
    if (refused.length) report(refusedError(source, refused, labels.length));
    return labels;
  }

  /** Tells the other tabs, unless this visitor keeps their data out of storage. */
  function share(message: TabMessage): void {
    if (canWrite()) tabs.post(message);
  }

  /** What another tab of this site did; applied here without telling anyone else. */
  function onTab(m: TabMessage): void {
    if (destroyed) return;
    try {
      if (m.t === 'events' && Array.isArray(m.events)) {
        for (const e of m.events) {
          if (!e || typeof e.id !== 'string' || typeof e.type !== 'string' || typeof e.ts !== 'number' || !isPlainObject(e.props)) continue;
          segments.ingest(e); // event ids deduplicate: a repeat counts once
          decisions.observe(e); // its exposures count towards caps and periods here too
          if (canWrite()) measure.observe(e); // its goals settle journey windows here at once
        }
        decisions.schedule();
      } else if (m.t === 'labels') {
        let next = labelRecords;
        if (m.set) next = mergeLabels(next, ingestLabels(m.set, 'another tab'));
        if (m.remote) next = mergeRemote(next, ingestLabels(m.remote, 'another tab', true));
        setLabels(next);
      } else if (m.t === 'config') {
        if (sync) void sync.offer(m.text);
        else offeredEarly = m.text; // before this tab's sync started: offered once it has
      } else if (m.t === 'forget') {
        void forgetHere(false);
      }
    } catch (cause) {
      report({ code: 'internal', message: 'a message from another tab could not be applied', cause });
    }
  }

  /** forget(): the tab that was asked erases the device; every other open tab drops what it holds. */
  async function forgetHere(erase: boolean): Promise<void> {
    const unlink = erase ? options.forgetUrl ?? forgetUrlBeside(options.labelsUrl ?? options.collectUrl) : undefined;
    if (unlink) void unlinkDevice(unlink).catch((cause) => report({ code: 'forget-remote', message: `the backend could not unlink this device (${unlink})`, cause }));
    identityToken = undefined;
    consentState = 'denied';
    remote?.pause();
    if (erase) await store.erase();
    else store.discard();
    profile = newProfile(now(), page);
    segments.setProfile(profile);
    setLabels(new Map());
    segments.reset();
    decisions.reset();
    renderer.forget();
    emitter.emit('consent', 'denied');
  }

  const api: Microseg = {
    ready: Promise.resolve(),

    track: guard(report, 'track', (event: string, props?: Record<string, unknown>) => {
      if (destroyed) return;
      if (typeof event !== 'string' || !EVENT_NAME.test(event)) {
        return badArgument(`track(event): event must be a name of 1–100 letters, digits or _ $ . : / - (got ${JSON.stringify(event)?.slice(0, 60)})`);
      }
      if (props !== undefined && !isPlainObject(props)) return badArgument(`track("${event}", props): props must be an object`);
      record(event, (props ? toPlainData(props) : {}) as Record<string, unknown>);
    }),

    page: guard(report, 'page', (props?: Record<string, unknown>) => {
      if (destroyed) return;
      if (props !== undefined && !isPlainObject(props)) return badArgument('page(props): props must be an object');
      page = pageContext(urlParams);
      view = randomId();
      record('page', (props ? toPlainData(props) : {}) as Record<string, unknown>);
      decisions.schedule(); // a new page view: caps count it
    }),

    identify: guard(report, 'identify', (userId: string, traits?: Record<string, unknown>, opts?: IdentifyOptions) => {
      if (destroyed) return;
      if (typeof userId !== 'string' || !userId || userId.length > 200) {
        return badArgument('identify(userId, traits): userId must be a non-empty string of at most 200 characters');
      }
      if (traits !== undefined && !isPlainObject(traits)) return badArgument('identify(userId, traits): traits must be an object');
      const plain = (traits ? toPlainData(traits) : {}) as Record<string, unknown>;
      const token = typeof opts?.token === 'string' && opts.token ? opts.token : undefined;
      const changed = userId !== profile.userId || token !== identityToken;
      identityToken = token;
      profile = { ...profile, userId, traits: { ...profile.traits, ...plain } };
      saveProfile();
      segments.setProfile(profile);
      record('identify', { userId, traits: plain });
      if (changed) {
        void remote?.refresh(); // the backend may know this user from other channels
        decisions.schedule(); // hold-out groups hash the user id from now on
      }
    }),

    label: guard(report, 'label', (name: string, opts: LabelOptions = {}) => {
      if (destroyed) return;
      if (!isLabelName(name)) return badArgument(`label(name): ${JSON.stringify(name)} is not a label name (letters, digits, _ . : -; at most 64)`);
      if (!isPlainObject(opts)) return badArgument(`label("${name}", options): options must be an object`);
      const at = now();
      const defaultTtl = segments.config()?.labels?.defaultTtl;
      const given = opts.ttl as unknown;
      const ttl =
        given === undefined ? (defaultTtl ? parseDuration(defaultTtl) || undefined : undefined)
        : typeof given === 'number' ? (Number.isFinite(given) && given > 0 ? given : NaN)
        : parseDuration(given as string);
      if (Number.isNaN(ttl)) return badArgument(`label("${name}"): ttl must be a positive number of ms or a duration like "14d"`);
      const channel = typeof opts.channel === 'string' && opts.channel ? opts.channel.slice(0, 40) : 'web';
      if (channel === EVERY_CHANNEL) return badArgument(`label("${name}"): "${EVERY_CHANNEL}" is not a channel`);
      const value = opts.value === undefined ? undefined : boundedValue(opts.value);
      if (value && 'refused' in value) return badArgument(`label("${name}"): ${value.refused}`);
      const label: Label = { name, channel, ...localStamp(labelRecords, name, at) };
      if (value && value.value !== undefined) label.value = value.value;
      if (ttl !== undefined) label.expires = label.at + ttl;
      setLabels(mergeLabels(labelRecords, [label]));
      share({ t: 'labels', set: [label] });
    }),

    unlabel: guard(report, 'unlabel', (name: string) => {
      if (destroyed) return;
      if (!isLabelName(name)) return badArgument(`unlabel(name): ${JSON.stringify(name)} is not a label name`);
      const tombstone: Label = { name, channel: EVERY_CHANNEL, deleted: true, ...localStamp(labelRecords, name, now()) };
      setLabels(mergeLabels(labelRecords, [tombstone]));
      share({ t: 'labels', set: [tombstone] });
    }),

    labels: guard(report, 'labels', () => activeLabels(labelRecords, now()), []),

    profile: guard(report, 'profile', () => ({ ...profile, traits: { ...profile.traits } })),

    segments: guard(report, 'segments', () => segments.segments(), []),

    explain: guard(report, 'explain', (id: string) => {
      if (typeof id === 'string') return segments.explain(id);
      badArgument('explain(segmentId): segmentId must be a string');
      return undefined;
    }),

    config: guard(report, 'config', () => segments.config()),

    decide: guard(report, 'decide', (slot: string): Decision => {
      if (typeof slot !== 'string' || !slot) {
        badArgument('decide(slot): slot must be a non-empty string');
        return { slot: String(slot), control: false, reason: { considered: [] } };
      }
      return decisions.decide(slot);
    }),

    suppressedOffers: guard(report, 'suppressedOffers', () => decisions.suppressedOffers(), []),

    render: guard(report, 'render', (root?: ParentNode) => {
      if (destroyed) return;
      if (root !== undefined && typeof (root as ParentNode)?.querySelectorAll !== 'function') return badArgument('render(root): root must be an element or document');
      renderer.render(root);
    }),

    consent: guard(report, 'consent', (state: ConsentState) => {
      if (destroyed) return;
      if (state !== 'granted' && state !== 'denied' && state !== 'pending') {
        return badArgument(`consent(state): state must be 'granted', 'pending' or 'denied'`);
      }
      if (preview.link() === 'checking' && state !== 'pending') return void (consentAsked = state);
      if (state === consentState || preview.link() === 'verified') return; // a preview link never starts storing
      if (state === 'pending') return badArgument(`consent('pending'): consent cannot go back to pending; use 'denied'`);
      consentState = state;
      if (state === 'granted') void persist().then(() => remote?.refresh());
      else {
        store.discard();
        remote?.pause();
      }
      emitter.emit('consent', state);
    }),

    forget: async () => {
      try {
        tabs.post({ t: 'forget' }); // every open tab forgets too, and lets go of the database
        await forgetHere(true);
      } catch (cause) {
        report({ code: 'internal', message: 'forget() failed', cause });
      }
    },

    on: guard(report, 'on', (type: MicrosegEventType, handler: (payload: any) => void) => {
      if (typeof type !== 'string' || typeof handler !== 'function') {
        badArgument('on(type, handler): type must be a string and handler a function');
        return () => {};
      }
      return emitter.on(type, handler);
    }, () => {}),

    flush: async () => {
      try {
        await api.ready;
        await store.flush();
        await measure.flush();
      } catch (cause) {
        report({ code: 'internal', message: 'flush() failed', cause });
      }
    },

    storage: () => store.mode,

    preview: async (persona: Persona = {}) => {
      try {
        if (destroyed) return;
        if (!isPlainObject(persona)) return badArgument('preview(persona): persona must be an object');
        await preview.start(toPlainData(persona) as Persona);
      } catch (cause) {
        report({ code: 'preview', message: 'preview() failed', cause });
      }
    },

    endPreview: guard(report, 'endPreview', () => preview.stop()),

    destroy: guard(report, 'destroy', () => {
      if (destroyed) return;
      saveProfile();
      store.journal();
      destroyed = true;
      segments.stop();
      sync?.stop();
      configLease?.release();
      tabs.close();
      measure.stop();
      remote?.stop();
      decisions.stop();
      preview.stop();
      renderer.stop();
      offers.stop();
      if (labelTimer !== undefined) clearTimeout(labelTimer);
      for (const cleanup of cleanups.splice(0)) cleanup();
      void store.flush().finally(() => store.close());
      emitter.clear();
    }),
  };

  async function persist(): Promise<void> {
    const moving = store.persist();
    measure.enable(); // from here on, what a closing page has not stored is journaled
    const recovered = await moving;
    saveProfile();
    const storedLabels = ingestLabels(storedList(await store.get('labels')), 'storage');
    if (storedLabels.length) setLabels(mergeLabels(labelRecords, storedLabels));
    decisions.restore(await store.get('exposures'));
    // The stored state, then the stored events it may lack: tabs write it in turn, and the last write can
    // come from a tab that had not yet heard of another's newest events. Ids it counted are skipped; under a
    // config already (storage was blocked or slow) this page's events are replayed the same way.
    const saved = await store.get<EngineState>('engine');
    const since = Math.min(segments.config() ? startedAt : Infinity, typeof saved?.at === 'number' ? saved.at - RECORD_LAG : Infinity);
    await segments.restore(saved, Number.isFinite(since) ? await store.events(since) : []);
    // Events a closed page could not commit: the engine counts each id once.
    for (const event of recovered) segments.ingest(event);
  }

  function startConfigSync(): Promise<unknown> {
    if (destroyed || (!options.configUrl && options.config === undefined)) return Promise.resolve();
    // Polling and the stream are one tab's work: the others hear of new configs through the tab channel.
    const shared = !!options.configUrl && (!!options.refresh || !!options.sse);
    sync = createConfigSync({
      leader: !shared,
      configUrl: options.configUrl,
      config: options.config,
      refresh: options.refresh,
      sse: options.sse,
      publicKey: options.publicKey,
      storage: {
        get: (key) => store.get(key),
        set: async (key, value) => store.put(key, value),
      },
      onConfig: (config, { source }) => {
        applying = segments
          .setConfig(config)
          .then(() => {
            emitter.emit('config', { version: config.version, source });
            decisions.schedule();
          });
      },
      onShare: (text) => tabs.post({ t: 'config', text }),
      onError: (error) => report(error),
    });
    if (offeredEarly !== undefined) void sync.offer(offeredEarly);
    if (shared) configLease = acquireLease(`microseg-config:${options.dbName ?? 'microseg'}`, (held) => sync?.lead(held));
    let applying: Promise<void> = Promise.resolve();
    return sync.ready.then(() => applying);
  }

  /** Resolves when the store says an old tab blocks the database (its writes wait in memory meanwhile). */
  function storageBlocked(): Promise<void> {
    return new Promise((resolve) => {
      const off = emitter.on('error', (e: MicrosegError) => {
        if (e?.code !== 'storage-blocked') return;
        off();
        resolve();
      });
    });
  }

  function start(): Promise<void> {
    try {
      if (typeof window !== 'undefined' && typeof window.addEventListener === 'function') {
        const onHide = () => {
          saveProfile();
          store.journal();
        };
        const onBack = () => {
          segments.wake(); // timers sleep in background tabs
          if (labelsKey !== activeKey(labelRecords, now())) setLabels(labelRecords);
          decisions.schedule();
          remote?.refreshIfOlder(options.labelsRefresh ?? 5 * MINUTE);
        };
        const onVisibility = () => {
          if (pageHidden()) onHide();
          else onBack();
        };
        window.addEventListener('pagehide', onHide);
        window.addEventListener('focus', onBack);
        const offVisibility = listen(document, 'visibilitychange', onVisibility);
        cleanups.push(() => {
          window.removeEventListener('pagehide', onHide);
          window.removeEventListener('focus', onBack);
          offVisibility();
        });
      }
      if (options.autoPage !== false) {
        api.page();
        cleanups.push(watchNavigation(() => api.page()));
      }
      if (options.dataLayer) {
        const name = typeof options.dataLayer === 'string' ? options.dataLayer : 'dataLayer';
        cleanups.push(
          ingestDataLayer(
            name,
            (type, props) => api.track(type, props),
            (cause) => report({ code: 'datalayer', message: 'a dataLayer entry could not be read', cause }),
            urlParams,
          ),
        );
      }
    } catch (cause) {
      report({ code: 'internal', message: 'start-up failed', cause });
    }
    // Opening storage waits a microtask, so that handlers attached right after
    // createMicroseg() hear about a storage failure.
    return preview.checked
      .then(() => void (preview.link() === 'refused' && (consentState = consentAsked)))
      // An old tab blocking the database must not hold the page: work in memory until it lets go.
      .then(() => (consentState === 'granted' ? Promise.race([persist(), storageBlocked()]) : consentState === 'denied' ? measure.deny() : undefined))
      // `ready` waits for the first labels answer, but not for a slow labels backend.
      .then(() => Promise.all([startConfigSync(), remote && Promise.race([remote.refresh(), new Promise((r) => setTimeout(r, 3000))])]))
      .catch((cause) => report({ code: 'internal', message: 'loading stored state failed', cause }))
      .then(() => emitter.emit('ready'));
  }

  attachDecisions(api, decisions); // the renderer records exposures through it
  if (debugWanted(options.debug)) logDebug(api);
  (api as { ready: Promise<void> }).ready = start();
  // Until now slots showed the first-paint snapshot; from here the live decisions rule.
  void api.ready.then(() => !destroyed && renderer.live());
  return api;
}

export type { MicrosegError };
