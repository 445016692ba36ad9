// The composition root: makes the SDK's parts in the order they depend on each other, wires what
// each tells the others, and starts them. Every public method lives in ./api.ts; every part in its folder.
import { createEmitter, type Emitter } from '../shared/emitter';
import { createReporter, type MicrosegError, type Reporter } from '../shared/errors';
import { isPlainObject } from '../shared/util';
import { MINUTE } from '../shared/constants';
import { hostileThen } from '../shared/inert';
import { createStore, type Store } from '../store';
import { urlParamNames } from '../track';
import { createLabelsRuntime, forgetUrlBeside, unlinkDevice } from '../labels';
import { attachDecisions, createDecisionRuntime } from '../decide/runtime';
import { watchOffers } from '../render/offers';
import { createRenderer } from '../render/renderer';
import { createSegmentRuntime, type SegmentRuntime } from '../engine/runtime';
import { lazyMeasurement, type LazyMeasurement } from '../measure/lazy';
import { loadPart } from './extras-load';
import { createPreviewHost, type PreviewHost } from '../preview/host';
import { createTabChannel, type TabChannel, type TabMessage } from './tabs';
import { inertMicroseg } from './inert';
import { debugWanted, logDebug } from './debug';
import { createConsent, type Consent } from './consent';
import { createVisitor, type Visitor } from './visitor';
import { wireConfig } from './config';
import { restoreStored } from './restore';
import { autoTrack, watchLifecycle } from './lifecycle';
import { publicApi } from './api';
import { plainOptions, type Microseg, type MicrosegOptions } from './options';
import type { ConsentState, MicrosegEvents, MicrosegEventType } from './events';

export type { ConsentState, MicrosegEvents, MicrosegEventType };
export type { MicrosegOptions, Microseg, LabelOptions, IdentifyOptions } from './options';

/** Signals between the parts, so that each is made after what it reads and never refers ahead. */
interface Signals {
  /** Membership, labels, events or the config changed: decisions are refreshed. */
  stale: undefined;
  /** The preview's answers changed: slots and offers paint again. */
  repaint: undefined;
  /** The live suppressions changed: the offers they hide. */
  offers: string[];
}

/** The parts every other part reads, made first. */
interface Base {
  options: MicrosegOptions;
  emitter: Emitter<MicrosegEvents>;
  report: Reporter;
  now: () => number;
  signals: Emitter<Signals>;
  /** Decisions follow a change (see Signals.stale). */
  stale: () => void;
  life: { destroyed: boolean; cleanups: Array<() => void> };
  preview: PreviewHost;
  consent: Consent;
  canWrite: () => boolean;
  store: Store;
  segments: SegmentRuntime;
  urlParams: ReadonlySet<string>;
  visitor: Visitor;
  tabs: TabChannel;
  measure: LazyMeasurement;
  record: (type: string, props: Record<string, unknown>) => void;
}

/** The labels backend's stream: a URL, or true (or a bare data-labels-sse attribute) for the one next to the labels URL. */
function labelsStream(url: string, sse: MicrosegOptions['labelsSse']): string | undefined {
  const own = sse === true || sse === '' || sse === 'true';
  return own ? `${url.replace(/\/$/, '')}/stream` : typeof sse === 'string' ? sse : undefined;
}

function baseParts(options: MicrosegOptions, emitter: Emitter<MicrosegEvents>, report: Reporter): Base {
  const now = options.now ?? Date.now;
  const dbName = options.dbName ?? 'microseg';
  const signals = createEmitter<Signals>();
  const stale = () => signals.emit('stale');
  const life = { destroyed: false, cleanups: [] as Array<() => void> };
  // A preview link runs the page in memory only: nothing of the marketer's visit is stored or sent.
  const preview = createPreviewHost({ key: options.previewKey ?? options.publicKey, now, report });
  const consent = createConsent(options.consent ?? 'granted', preview.link);
  const canWrite = () => consent.state() === 'granted' && !life.destroyed;
  const store = createStore({ name: dbName, report, retentionDays: options.retentionDays, maxEvents: options.maxEvents, now });
  const segments = createSegmentRuntime({
    now,
    emit: (type, payload) => {
      emitter.emit(type, payload);
      store.touch();
      stale();
    },
    report,
    events: () => store.events(),
  });
  store.derive(() => {
    const engine = segments.takeSnapshot();
    const hashes = segments.takeHashes();
    return engine || hashes ? { ...(engine && { engine }), ...(hashes && { hashes }) } : undefined;
  });
  const urlParams = urlParamNames(options.urlParams);
  const visitor = createVisitor(now, urlParams, canWrite);
  segments.setProfile(visitor.profile());
  const tabs = createTabChannel(`microseg:${dbName}`);
  const measure = lazyMeasurement({
    collectUrl: options.collectUrl,
    collect: options.collect,
    now,
    report,
    store,
    on: emitter.on,
    emit: emitter.emit,
    segments: () => segments.segments(),
    config: () => segments.config(),
    visitor: () => {
      const { anonymousId: aid, userId: uid, visits: visit } = visitor.profile();
      return { aid, uid, visit, page: visitor.page() };
    },
  }, async () => {
    const [{ createMeasurement }, collect] = await Promise.all([loadPart('extras'), options.collectUrl ? loadPart('collect') : undefined]);
    return (deps) => createMeasurement({ ...deps, createOutbox: collect?.createOutbox });
  });

  function record(type: string, props: Record<string, unknown>): void {
    const { event, newVisit } = visitor.event(type, props);
    store.append(event);
    if (canWrite()) tabs.event(event); // the other tabs count it too (never events a visitor kept out of storage)
    if (newVisit) {
      visitor.save();
      segments.setProfile(visitor.profile());
    }
    // Membership changes refresh decisions through the segments' own signal; this covers a
    // suppression's input, a label, or a new visit (caps count visits).
    if (segments.ingest(event) || newVisit) stale();
    emitter.emit('track', event);
  }

  return { options, emitter, report, now, signals, stale, life, preview, consent, canWrite, store, segments, urlParams, visitor, tabs, measure, record };
}

/** Decisions, and the page they show in: slots, offers, and the preview's answers in their place. */
function pageParts(base: Base) {
  const { report, emitter, signals, segments, visitor, store, preview, canWrite } = base;
  const offers = watchOffers(typeof document === 'undefined' ? undefined : document, (cause) =>
    report({ code: 'render', message: 'offers could not be updated', cause }),
  );
  const decisions = createDecisionRuntime({
    now: base.now,
    config: () => segments.config(),
    context: () => segments.context(),
    visitor: visitor.id,
    visit: () => visitor.profile().visits,
    view: visitor.view,
    track: base.record,
    emit: (type, payload) => emitter.emit(type, payload),
    save: (history) => store.put('exposures', history),
    report,
    onOffers: (names) => signals.emit('offers', names),
  });
  signals.on('stale', () => decisions.schedule());
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
  signals.on('offers', (names) => {
    renderer.releaseOffers(); // the first-paint snapshot's hidden offers hand over to the live ones
    if (!preview.active()) offers.update(names);
  });
  signals.on('repaint', () => {
    renderer.update();
    offers.update(preview.offers() ?? decisions.offers());
  });
  return { decisions, offers, renderer };
}

/** What comes from outside the page: labels from other channels and the configuration. */
function syncParts(base: Base) {
  const { options, report, store, segments, visitor, tabs, stale } = base;
  /** identify()'s token: memory only, the site hands a fresh one with every page. */
  const identity: { token?: string } = {};
  const labels = createLabelsRuntime({
    now: base.now,
    report,
    save: (list) => store.put('labels', list),
    changed: (records) => {
      segments.setLabels(records);
      stale();
    },
    announce: (list) => base.emitter.emit('label', list),
    // Tells the other tabs, unless this visitor keeps their data out of storage.
    share: (change) => base.canWrite() && tabs.post({ t: 'labels', ...change }),
    remote: options.labelsUrl
      ? {
          options: {
            url: options.labelsUrl,
            sse: labelsStream(options.labelsUrl, options.labelsSse),
            // A user id's labels need its token; without one, the device's own.
            visitor: () => (identity.token && visitor.profile().userId) || visitor.profile().anonymousId,
            device: () => visitor.profile().anonymousId,
            identity: () => identity.token,
            allowed: base.canWrite,
          },
          load: () => loadPart('labels').then((x) => x.createRemoteLabels),
        }
      : undefined,
  });
  const config = wireConfig({
    leaseName: `microseg-config:${options.dbName ?? 'microseg'}`,
    configUrl: options.configUrl,
    config: options.config,
    refresh: options.refresh,
    sse: options.sse,
    publicKey: options.publicKey,
    storage: { get: (key) => store.get(key), set: async (key, value) => store.put(key, value) },
    apply: (next, source) =>
      segments.setConfig(next).then(() => {
        base.emitter.emit('config', { version: next.version, source });
        stale();
      }),
    share: (text) => tabs.post({ t: 'config', text }),
    onError: report,
  });
  return { identity, labels, config };
}

type Parts = Base & ReturnType<typeof pageParts> & ReturnType<typeof syncParts>;

/** What another tab of this site did; applied here without telling anyone else. */
function hearTabs(p: Parts, forget: () => void): void {
  p.tabs.listen((m: TabMessage) => {
    if (p.life.destroyed) return;
    try {
      if (m.t === 'events' && Array.isArray(m.events)) {
        for (const e of m.events) {
          if (!e || typeof e.id !== 'string' || typeof e.type !== 'string' || typeof e.ts !== 'number' || !isPlainObject(e.props)) continue;
          p.segments.ingest(e); // event ids deduplicate: a repeat counts once
          p.decisions.observe(e); // its exposures count towards caps and periods here too
          if (p.canWrite()) p.measure.observe(e); // its goals settle journey windows here at once
        }
        p.stale();
      } else if (m.t === 'labels') p.labels.fromTab(m);
      else if (m.t === 'config') p.config.offer(m.text);
      else if (m.t === 'forget') forget();
    } catch (cause) {
      p.report({ code: 'internal', message: 'a message from another tab could not be applied', cause });
    }
  });
}

/** forget(): the tab that was asked erases the device; every other open tab drops what it holds. */
async function forgetHere(p: Parts, erase: boolean): Promise<void> {
  const { options, report } = p;
  const unlink = erase ? options.forgetUrl ?? forgetUrlBeside(options.labelsUrl ?? options.collectUrl) : undefined;
  if (unlink) void unlinkDevice(unlink).catch((cause) => report({ code: 'forget-remote', message: `the backend could not unlink this device (${unlink})`, cause }));
  p.identity.token = undefined;
  p.tabs.discard(); // what waits for the other tabs is never sent
  p.consent.deny();
  p.labels.pause();
  await (erase ? p.store.erase() : p.store.forgotten());
  p.visitor.reset();
  p.segments.setProfile(p.visitor.profile());
  p.labels.clear();
  p.segments.reset();
  p.decisions.reset();
  p.renderer.forget();
  p.emitter.emit('consent', 'denied');
}

function destroyAll(p: Parts): void {
  if (p.life.destroyed) return;
  p.visitor.save();
  p.store.journal();
  p.life.destroyed = true;
  for (const part of [p.segments, p.config, p.measure, p.labels, p.decisions, p.preview, p.renderer, p.offers]) part.stop();
  p.tabs.close();
  for (const cleanup of p.life.cleanups.splice(0)) cleanup();
  void p.store.flush().finally(() => p.store.close());
  p.emitter.clear();
}

/** Resolves when the store says an old tab blocks the database (its writes wait in memory meanwhile). */
function storageBlocked(emitter: Emitter<MicrosegEvents>): Promise<void> {
  return new Promise((resolve) => {
    const off = emitter.on('error', (e: MicrosegError) => {
      if (e?.code !== 'storage-blocked') return;
      off();
      resolve();
    });
  });
}

/** Consent granted: storage opens and what earlier pages kept comes back. */
function persist(p: Parts, startedAt: number): Promise<void> {
  return restoreStored({ ...p, startedAt, opened: () => p.measure.enable(), saveProfile: p.visitor.save });
}

/** Page lifecycle and automatic tracking, then storage, config and labels; resolves as `ready`. */
function start(p: Parts, api: Microseg, startedAt: number): Promise<void> {
  const { options, report, consent } = p;
  try {
    p.life.cleanups.push(
      watchLifecycle({
        hide: () => (p.visitor.save(), p.store.journal()),
        back: () => {
          p.segments.wake(); // timers sleep in background tabs
          p.labels.revisit();
          p.stale();
          p.labels.refreshIfOlder(options.labelsRefresh ?? 5 * MINUTE);
        },
      }),
      ...autoTrack({ ...options, urlParams: p.urlParams, page: () => api.page(), track: (type, props) => api.track(type, props), report }),
    );
  } catch (cause) {
    report({ code: 'internal', message: 'start-up failed', cause });
  }
  // Opening storage waits a microtask, so that handlers attached right after
  // createMicroseg() hear about a storage failure.
  return p.preview.checked
    .then(() => consent.settle())
    // An old tab blocking the database must not hold the page: work in memory until it lets go.
    .then(() => (consent.state() === 'granted' ? Promise.race([persist(p, startedAt), storageBlocked(p.emitter)]) : consent.state() === 'denied' ? p.measure.deny() : undefined))
    // `ready` waits for the first labels answer, but not for a slow labels backend.
    .then(() => Promise.all([!p.life.destroyed && p.config.start(), options.labelsUrl && Promise.race([p.labels.refresh(), new Promise((r) => setTimeout(r, 3000))])]))
    // Measurement the page needs (a collector, or journeys in the config) is loaded before `ready`.
    .then(() => p.measure.loaded())
    .catch((cause) => report({ code: 'internal', message: 'loading stored state failed', cause }))
    .then(() => p.emitter.emit('ready'));
}

export function createMicroseg(input: MicrosegOptions = {}): Microseg {
  const options = plainOptions(input);
  const emitter = createEmitter<MicrosegEvents>();
  const report = createReporter((error) => emitter.emit('error', error));
  const hostile = hostileThen();
  if (hostile) return inertMicroseg(emitter, report, hostile);
  const base = baseParts(options, emitter, report);
  const startedAt = base.now();
  const p: Parts = { ...base, ...pageParts(base), ...syncParts(base) };
  hearTabs(p, () => void forgetHere(p, false));
  const { store, measure, labels } = p;
  const api = publicApi({
    ...p,
    destroyed: () => p.life.destroyed,
    consented: (state) => {
      if (state === 'granted') void persist(p, startedAt).then(() => labels.refresh());
      else {
        store.discard();
        p.tabs.discard(); // nor what waits for the other tabs
        labels.pause();
      }
      emitter.emit('consent', state);
    },
    forget: async () => {
      try {
        // Every open tab forgets too, and lets go of the database (after this one dropped what waits for them).
        await Promise.all([forgetHere(p, true), p.tabs.post({ t: 'forget' })]);
      } catch (cause) {
        report({ code: 'internal', message: 'forget() failed', cause });
      }
    },
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
    destroy: () => destroyAll(p),
  });
  p.preview.connect({
    ready: () => api.ready,
    bridge: () => ({
      config: () => p.segments.config(),
      engineState: () => p.segments.peek(),
      history: () => p.decisions.history(),
      visitor: p.visitor.id,
      visit: () => p.visitor.profile().visits,
      now: p.now,
      onConfig: (handler) => emitter.on('config', handler),
    }),
    repaint: () => p.signals.emit('repaint'),
  });
  attachDecisions(api, p.decisions); // the renderer records exposures through it
  if (debugWanted(options.debug)) logDebug(api);
  (api as { ready: Promise<void> }).ready = start(p, api, startedAt);
  // Until now slots showed the first-paint snapshot; from here the live decisions rule.
  void api.ready.then(() => !p.life.destroyed && p.renderer.live());
  return api;
}

export type { MicrosegError };
