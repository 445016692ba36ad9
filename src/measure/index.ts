// Measurement: journey steps (progression and aversion) on the device, and forwarding of
// events, exposures, outcomes and segment changes to the site's collector.
import type { MicrosegConfig } from '../config/types';
import type { TrackedEvent } from '../shared/types';
import type { Reporter } from '../shared/errors';
import { describe } from '../shared/errors';
import { randomId } from '../shared/util';
import type { Store } from '../store';
import { createJourneys, type JourneyExposure, type JourneyOutcome, type JourneyState } from './journeys';
import type { CollectOptions, createOutbox } from './outbox';
import { listen, pageHidden } from '../shared/page';
import type { Emitter } from '../shared/emitter';

export type { JourneyExposure, JourneyOutcome, JourneyState, Outcome } from './journeys';
export { createJourneys, compileSteps, mergeStates } from './journeys';
export { createOutbox, parseRetryAfter, type CollectOptions, type Message, type Outbox } from './outbox';

/** The SDK events measurement listens to and the ones it emits. */
export interface MeasureEvents {
  track: TrackedEvent;
  'segment:enter': { id: string };
  'segment:exit': { id: string };
  config: unknown;
  consent: 'granted' | 'pending' | 'denied';
  'journey:exposure': JourneyExposure;
  'journey:outcome': JourneyOutcome;
}

export interface MeasureDeps {
  collectUrl?: string;
  collect?: CollectOptions;
  /** The collector's outbox, a part of its own (loaded only with `collectUrl`). */
  createOutbox?: typeof createOutbox;
  now: () => number;
  report: Reporter;
  store: Store;
  on: Emitter<MeasureEvents>['on'];
  emit: Emitter<Pick<MeasureEvents, 'journey:exposure' | 'journey:outcome'>>['emit'];
  segments: () => string[];
  /** The configuration in force. */
  config: () => MicrosegConfig | undefined;
  /** Who and where, for messages the SDK makes itself. */
  visitor: () => Pick<TrackedEvent, 'aid' | 'uid' | 'visit' | 'page'>;
}

export interface Measurement {
  /** Consent granted and storage open: messages are stored and sent from now on. */
  enable(): void;
  /** Consent denied when the page starts: what earlier pages left unsent goes too. */
  deny(): Promise<void>;
  /** An event another tab recorded (that tab forwards it): its goals count here too. */
  observe(event: TrackedEvent): void;
  /** Writes the windows of what was tracked so far, commits the outbox and starts sending (not waiting for the network). */
  flush(): Promise<void>;
  stop(): void;
}

export function createMeasurement(deps: MeasureDeps): Measurement {
  const { now, report, store } = deps;
  const outbox = deps.collectUrl && deps.createOutbox
    ? deps.createOutbox({ ...deps.collect, url: deps.collectUrl, queue: store.outbox, report })
    : undefined;

  const safely =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A): void => {
      try {
        fn(...args);
      } catch (cause) {
        report({ code: 'measure', message: `measurement failed (${describe(cause)})`, cause });
      }
    };

  /** A message shaped like a tracked event, so the collector stores it like one. */
  function send(type: string, ts: number, props: Record<string, unknown>, id = randomId(), aid?: string): void {
    const v = deps.visitor();
    const message: TrackedEvent = { id, type, ts, seq: 0, props, page: v.page, aid: aid ?? v.aid, visit: v.visit };
    if (v.uid) message.uid = v.uid;
    outbox?.add(message);
  }

  const stepProps = (x: JourneyExposure) => {
    const props: Record<string, unknown> = {
      journey: x.journey, exposure: x.exposure, at: x.at, until: x.until, segments: x.segments, control: x.control,
    };
    if (x.campaign) props.campaign = x.campaign;
    return props;
  };

  const journeys = createJourneys({
    now,
    segments: deps.segments,
    events: (since, known) => store.eventsSince(since, known),
    scanned: () => store.get('journeysScan'),
    saveScan: (scan) => store.put('journeysScan', scan),
    update: (change) => store.update<JourneyState>('journeys', change),
    read: () => store.get<JourneyState>('journeys'),
    onExposure: (x) => {
      deps.emit('journey:exposure', x);
      send('$journey.exposure', x.at, stepProps(x), `x:${x.key}`, x.aid);
    },
    onOutcome: (o: JourneyOutcome) => {
      deps.emit('journey:outcome', o);
      const props = { ...stepProps(o), outcome: o.outcome } as Record<string, unknown>;
      if (o.goal) Object.assign(props, { goal: o.goal, goalAt: o.goalAt });
      // The outcome's id is the exposure's: tabs that settle the same window send one message.
      send('$journey.outcome', now(), props, `o:${o.key}`, o.aid);
    },
    onError: (cause) => report({ code: 'measure', message: `settling journeys failed (${describe(cause)})`, cause }),
  });

  const offs = [
    deps.on('track', safely((event: TrackedEvent) => {
      outbox?.add(event);
      journeys.observe(event);
    })),
    deps.on('segment:enter', safely(({ id }: { id: string }) => send('$segment.enter', now(), { segment: id }))),
    deps.on('segment:exit', safely(({ id }: { id: string }) => send('$segment.exit', now(), { segment: id }))),
    deps.on('config', safely(() => {
      const config = deps.config();
      if (config) journeys.setConfig(config).catch((cause) => report({ code: 'measure', message: describe(cause), cause }));
    })),
    // Denied (or forget()): nothing of this visitor's journeys or unsent messages is kept.
    deps.on('consent', safely((state: string) => {
      if (state !== 'denied') return;
      void outbox?.disable();
      journeys.reset();
    })),
  ];

  if (typeof window !== 'undefined' && typeof window.addEventListener === 'function') {
    const onHide = safely(() => outbox?.pagehide());
    // A tab coming back: windows may have closed while its timers slept.
    const onVisibility = () => (pageHidden() ? onHide() : void journeys.check());
    window.addEventListener('pagehide', onHide);
    const offVisibility = listen(document, 'visibilitychange', onVisibility);
    offs.push(() => {
      window.removeEventListener('pagehide', onHide);
      offVisibility();
    });
  }

  return {
    enable: () => outbox?.enable(),
    deny: () => outbox?.disable() ?? Promise.resolve(),
    observe: safely((event: TrackedEvent) => journeys.observe(event)),
    flush: async () => {
      await journeys.idle();
      await outbox?.commit();
    },
    stop(): void {
      for (const off of offs) off();
      journeys.stop();
      outbox?.stop();
    },
  };
}
