// Write-behind for the durable backend: raw events and records wait here and are flushed in
// batches, one transaction per flush, so that a burst of calls costs one write. What is not
// committed yet can be read back, journaled when the page goes away, or handed to memory.
import type { TrackedEvent } from '../shared/types';
import { describe } from '../shared/errors';
import { elapsedNow, setTimer } from '../shared/timer';
import { MINUTE } from '../shared/constants';
import { StoreFailure } from './backend';
import type { IndexedDbBackend } from './indexeddb';
import type { Journal } from './journal';

const BATCH = 5000;
/**
 * While events keep coming, the derived records (the engine's state: ~10 ms to clone with 1,000
 * segments, ~80 ms to take with 5,000) are written this often at most, not with every batch, and
 * less often when taking them costs more than DERIVED_SHARE of the time. A stored state older than
 * the stored events is safe: the start replays the events after it and counts each id once (a
 * minute of them at the most).
 */
const DERIVED_EVERY = 1000;
const DERIVED_SHARE = 0.01;

export interface WriterDeps {
  /** Delay between a write and its flush, so that bursts share one transaction. */
  flushDelay: number;
  /** Records to write with the last batch of events (state derived from them). */
  derived?: () => Record<string, unknown> | undefined;
  /** Where to write: the durable backend once open; null when storing stopped or memory took over. */
  target: () => Promise<IndexedDbBackend | null>;
  /** The target is still the one storing (not discarded or closed meanwhile). */
  current: (target: IndexedDbBackend) => boolean;
  /** These records are committed. */
  committed: (keys: Iterable<string>) => void;
  /** Writing failed for good: the writer's content is to go to memory. */
  failed: (failure: StoreFailure) => void;
  journal: Journal<TrackedEvent>;
}

/** How often the derived records may be written: on the monotonic clock, so a device clock set back never holds them back. */
function derivedPacing() {
  let takenAt = -Infinity;
  /** How long after takenAt they may be written again (longer when taking them is slow). */
  let gap = DERIVED_EVERY;
  return {
    due: () => elapsedNow() - takenAt >= gap,
    /** In how many ms they are due. */
    dueIn: () => takenAt + gap - elapsedNow(),
    /** Takes them, and paces the next ones by what this cost. */
    take<T>(derive: () => T): T {
      const started = elapsedNow();
      const derived = derive();
      // Nothing taken (no config in force): the next flush may take them at once.
      if (derived) {
        takenAt = started;
        gap = Math.min(MINUTE, Math.max(DERIVED_EVERY, (elapsedNow() - started) / DERIVED_SHARE));
      }
      return derived;
    },
  };
}

export function createWriter(deps: WriterDeps) {
  let events: TrackedEvent[] = [];
  let records = new Map<string, unknown>();
  let inflight: TrackedEvent[] = [];
  /** The derived records may have changed since they were last written (events or touch()). */
  let owed = false;
  /** A flush() asked for them (even one that joined a timed flush already writing). */
  let fullAsked = false;
  const pacing = derivedPacing();
  let derivedTimer: ReturnType<typeof setTimeout> | undefined;
  let on = false;
  let derive = deps.derived;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let flushing: Promise<void> | null = null;

  function schedule(): void {
    if (timer !== undefined || !on) return;
    timer = setTimer(() => {
      timer = undefined;
      void flush(false);
    }, events.length >= BATCH ? 0 : deps.flushDelay);
  }

  /** Derived records go with this write: a flush asked for them, or the last ones are old enough. */
  const derivedDue = () => owed && (fullAsked || pacing.due());

  /** The derived records left out of the last flush are written when they are due. */
  function scheduleDerived(): void {
    if (derivedTimer !== undefined || !owed || !on) return;
    derivedTimer = setTimer(() => {
      derivedTimer = undefined;
      void flush();
    }, pacing.dueIn());
  }

  async function writeBatch(): Promise<void> {
    const target = await deps.target();
    if (!target) return;
    const batch = events.splice(0, BATCH);
    if (!events.length && derivedDue()) {
      owed = false;
      const derived = derive && pacing.take(derive);
      for (const [k, v] of Object.entries(derived ?? {})) records.set(k, v);
    }
    if (!batch.length && !records.size) return; // the derived records had not changed
    const kv = records;
    records = new Map();
    inflight = batch;
    try {
      await target.write(batch, kv);
      inflight = [];
      deps.committed(kv.keys());
    } catch (cause) {
      inflight = [];
      if (!deps.current(target)) return; // discarded or closed meanwhile: nothing to keep
      events = batch.concat(events);
      for (const [k, v] of kv) if (!records.has(k)) records.set(k, v);
      deps.failed(cause instanceof StoreFailure ? cause : new StoreFailure('storage-failed', `writing to IndexedDB failed (${describe(cause)})`, cause));
    }
  }

  async function drain(): Promise<void> {
    await undefined; // `flushing` holds this drain before it can end
    try {
      while (on && (events.length || records.size || derivedDue())) await writeBatch();
    } finally {
      // Ended in the same step as the last check: a flush() from now on starts a drain of its own.
      flushing = null;
      fullAsked = false;
    }
    if (on && !inflight.length) deps.journal.committed(true);
    scheduleDerived();
  }

  /**
   * Writes what is queued; resolves when everything queued at the call is committed (or handed to
   * memory). `full`: the derived records too, even if written a moment ago.
   */
  function flush(full = true): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    if (full) {
      fullAsked = true;
      clearTimeout(derivedTimer);
      derivedTimer = undefined;
    }
    return (flushing ??= drain());
  }

  return {
    flush,
    /** Storing is allowed from now on (or, false, no more). */
    set on(value: boolean) {
      on = value;
    },
    get busy(): boolean {
      return !!flushing;
    },
    append(event: TrackedEvent): void {
      events.push(event);
      owed = true; // the engine counted it
      schedule();
    },
    put(key: string, value: unknown): void {
      records.set(key, value);
      schedule();
    },
    /** Derived state changed: write it with the next flush. */
    touch(): void {
      owed = true;
      schedule();
    },
    /** Sets the source of the derived records. */
    derive(source: () => Record<string, unknown> | undefined): void {
      derive = source;
    },
    has: (key: string) => records.has(key),
    value: (key: string) => records.get(key),
    /** The record is written by other means (a transaction of its own): not by the next flush. */
    forget(key: string): void {
      records.delete(key);
    },
    /** Events not committed yet. */
    uncommitted: (): TrackedEvent[] => [...inflight, ...events],
    /** Goes before what waits (what memory held before consent): events first, records unless newer here. */
    prepend(held: TrackedEvent[], kv: Map<string, unknown>): void {
      events = [...held, ...events];
      if (held.length) owed = true; // counted by the engine meanwhile
      for (const [k, v] of kv) if (!records.has(k)) records.set(k, v);
    },
    /** Everything it holds, handed over; it is empty after. */
    take(): { events: TrackedEvent[]; kv: Map<string, unknown> } {
      const held = { events: [...inflight, ...events], kv: records };
      clearTimeout(timer);
      clearTimeout(derivedTimer);
      timer = derivedTimer = undefined;
      events = [];
      inflight = [];
      records = new Map();
      owed = false;
      return held;
    },
    /** The page is going away: copy what is not committed into the journal, synchronously. */
    journal(): void {
      if (!on) return;
      void flush();
      deps.journal.write([...inflight, ...events]);
    },
  };
}

export type Writer = ReturnType<typeof createWriter>;
