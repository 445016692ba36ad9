// Measurement loads only where a page needs it: with a collector URL at once, else when a config with
// journeys arrives. Until it has loaded, what it listens to is kept in order and handed over, so it
// sees the page exactly as if it had been there from the start. The events a collector will get are
// journaled meanwhile, as the outbox journals its own: a page closed before the file arrived loses none.
import type { TrackedEvent } from '../shared/types';
import { describe } from '../shared/errors';
import { createEmitter } from '../shared/emitter';
import type { Measurement, MeasureDeps, MeasureEvents } from './index';

/** Calls kept while loading; beyond this a page that never needs measurement stops keeping them. */
const MAX_KEPT = 10_000;
const HEARD = ['track', 'segment:enter', 'segment:exit', 'config', 'consent'] as const;

export interface LazyMeasurement extends Measurement {
  /** Resolves once measurement is loaded (at once when the page does not need it). */
  loaded(): Promise<void>;
}

export function lazyMeasurement(deps: MeasureDeps, load: () => Promise<(deps: MeasureDeps) => Measurement>): LazyMeasurement {
  const heard = createEmitter<MeasureEvents>();
  let real: Measurement | undefined;
  let loading: Promise<void> | undefined;
  let kept: Array<(m: Measurement) => void> | undefined = [];
  let enabled = false;
  let stopped = false;
  /** Tracked events kept for a collector (journaled while consent allows storage). */
  let forCollector: TrackedEvent[] = [];
  let journalDue = false;

  function journal(): void {
    if (!deps.collectUrl || !enabled || journalDue || !forCollector.length) return;
    journalDue = true;
    queueMicrotask(() => {
      journalDue = false;
      if (!real && !stopped) deps.store.outbox.journal.write(forCollector);
    });
  }

  function start(): Promise<void> {
    loading ??= load()
      .then((create) => {
        if (stopped) return;
        // The outbox journals what it is handed from here on: this page's journal of the wait goes first.
        if (forCollector.length) deps.store.outbox.journal.committed(true);
        forCollector = [];
        real = create({ ...deps, on: heard.on });
        if (enabled) real.enable();
        for (const call of kept?.splice(0) ?? []) call(real);
        kept = undefined;
      })
      .catch((cause) => {
        kept = undefined; // nothing will take them; the journal keeps the collector's for the next page
        deps.report({ code: 'measure', message: `measurement could not be loaded (${describe(cause)})`, cause });
      });
    return loading;
  }

  /** Now when loaded, else kept for the moment it is (nothing once it is clear the page does not need it). */
  function whenLoaded(call: (m: Measurement) => void): void {
    if (real) call(real);
    else if (kept && kept.length < MAX_KEPT) kept.push(call);
  }

  const offs = HEARD.map((type) =>
    deps.on(type, (payload: unknown) => {
      if (type === 'config' && !loading) {
        if (deps.config()?.journeys?.length) {
          kept ??= [];
          void start();
        } else if (!deps.collectUrl) kept = undefined; // nothing to measure under this config
      }
      whenLoaded(() => heard.emit(type, payload as never));
      if (type === 'track' && !real && kept && forCollector.length < MAX_KEPT) {
        forCollector.push(payload as TrackedEvent);
        journal();
      }
      if (type === 'consent' && payload === 'denied' && !real) {
        forCollector = []; // nothing of before a denial is kept, nor sent
        if (deps.collectUrl) deps.store.outbox.journal.discard();
      }
    }),
  );
  if (deps.collectUrl) void start();

  return {
    enable() {
      enabled = true;
      real?.enable();
      journal();
    },
    deny: () => (deps.collectUrl ? start().then(() => real?.deny()) : Promise.resolve()),
    observe: (event: TrackedEvent) => whenLoaded((m) => m.observe(event)),
    flush: async () => {
      if (!loading) return;
      await loading;
      await real?.flush();
    },
    stop() {
      stopped = true;
      kept = undefined;
      forCollector = [];
      for (const off of offs) off();
      real?.stop();
    },
    loaded: () => loading ?? Promise.resolve(),
  };
}
