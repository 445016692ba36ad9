// Keeps the segment engine running inside the SDK: builds it from each new config with the
// persisted state, feeds it events, profile and labels, wakes it exactly when time can change a
// membership, and turns its changes into `segment:enter` / `segment:exit` events.
import type { MicrosegConfig } from '../config/types';
import type { Profile, TrackedEvent } from '../shared/types';
import type { Reporter } from '../shared/errors';
import { describe } from '../shared/errors';
import { setTimer } from '../shared/timer';
import { createEngine, knownHashes, takeHashes, type Engine, type EngineState, type EvaluationContext, type Explanation, type MembershipChange } from './';
import type { LabelRecords } from '../labels';

export interface SegmentRuntimeDeps {
  now: () => number;
  emit: (type: 'segment:enter' | 'segment:exit', payload: { id: string }) => void;
  report: Reporter;
  /** Retained raw events, for metrics that a new config adds. */
  events: () => Promise<TrackedEvent[]>;
}

export interface SegmentRuntime {
  /**
   * The engine state stored by an earlier page. Normally it arrives before any config; when
   * storage was slow or blocked, a config is already in force: the engine is rebuilt on the
   * stored state and `replay` (this page's events; ids deduplicate) is counted again, so the
   * stored aggregates are never overwritten by this page's alone. `replay` also holds the stored
   * events the record may have missed (another tab's write that landed last).
   */
  restore(saved: EngineState | undefined, replay?: TrackedEvent[]): Promise<void>;
  setConfig(next: MicrosegConfig): Promise<void>;
  /**
   * Counts an event. True when decisions should be recomputed for it: a value a suppression
   * reads or a label moved (membership changes are announced through `emit` already), or no
   * engine runs yet.
   */
  ingest(event: TrackedEvent): boolean;
  setProfile(next: Profile): void;
  setLabels(next: LabelRecords): void;
  /** Time may have jumped (a tab waking up): catch up at once. */
  wake(): void;
  segments(): string[];
  explain(id: string): Explanation | undefined;
  /** What conditions see now, live: decisions and suppressions read it at once and never change it; undefined before any config. */
  context(): Readonly<EvaluationContext> | undefined;
  config(): MicrosegConfig | undefined;
  /** A copy of the engine's state now (the preview builds its own engine from it). */
  peek(): EngineState | undefined;
  /** The state to persist, when it changed since the last call. */
  takeSnapshot(): EngineState | undefined;
  /** The hashes an earlier page stored (anything: checked); the configs this page compiles later do not hash those texts again. */
  useHashes(stored: unknown): void;
  /** The config's hashes to store, when they differ from the stored ones. */
  takeHashes(): ReadonlyMap<string, string> | undefined;
  /** forget(): start again from nothing, under the same config. */
  reset(): void;
  stop(): void;
}

export function createSegmentRuntime(deps: SegmentRuntimeDeps): SegmentRuntime {
  const { now, emit, report } = deps;
  let engine: Engine | undefined;
  let config: MicrosegConfig | undefined;
  let state: EngineState | undefined;
  /** Memberships before any engine exists (stored by an earlier page). */
  let known: string[] = [];
  let profile: Profile | undefined;
  let labels: LabelRecords = new Map();
  /** Events of this page that arrived before any config: ingested when one arrives. */
  let early: TrackedEvent[] = [];
  const alarm = createAlarm(() => tick());
  let dirty = false;
  let stopped = false;
  const hashes = hashesKeeper();

  function announce(change: MembershipChange): void {
    // Enter before exit: a listener never sees the visitor in no segment at all.
    for (const id of change.entered) emit('segment:enter', { id });
    for (const id of change.exited) emit('segment:exit', { id });
  }

  function apply(change: MembershipChange): void {
    dirty = true;
    announce(change);
    schedule();
  }

  function schedule(): void {
    alarm.set(stopped ? undefined : engine?.nextChangeAt(), now());
  }

  function tick(): void {
    if (!engine) return;
    try {
      apply(engine.tick());
    } catch (cause) {
      report({ code: 'engine', message: `updating segments failed (${describe(cause)})`, cause });
    }
  }

  return {
    restore(saved: EngineState | undefined, replay: TrackedEvent[] = []): Promise<void> {
      if (!saved || typeof saved !== 'object') return Promise.resolve();
      state = saved;
      if (!engine || !config) {
        if (Array.isArray(saved.memberships)) known = saved.memberships;
        early.push(...replay); // counted once a config arrives; ids the record holds are skipped
        return Promise.resolve();
      }
      known = engine.segments();
      engine = undefined;
      early = [...replay];
      return this.setConfig(config);
    },

    async setConfig(next: MicrosegConfig): Promise<void> {
      const before = engine ? engine.segments() : known;
      let built: Engine;
      try {
        built = createEngine(next, { now, state: engine?.snapshot() ?? state, hashes: hashes.forCompile() });
      } catch (cause) {
        report({ code: 'config-invalid', message: `config ${next.version} could not be compiled (${describe(cause)}); the previous one stays`, cause });
        return;
      }
      engine = built;
      config = next;
      hashes.compiled(next);
      if (profile) engine.setProfile(profile);
      engine.setLabels(labels);
      for (const event of early.splice(0)) engine.ingest(event);
      if (engine.needsBackfill()) {
        try {
          engine.backfill(await deps.events());
        } catch (cause) {
          report({ code: 'storage-failed', message: `reading stored events failed (${describe(cause)})`, cause });
        }
      }
      if (engine !== built) return; // a newer config arrived meanwhile
      const after = engine.segments();
      dirty = true;
      announce({ entered: after.filter((id) => !before.includes(id)), exited: before.filter((id) => !after.includes(id)) });
      schedule();
    },

    ingest(event: TrackedEvent): boolean {
      if (!engine) {
        early.push(event);
        return true;
      }
      apply(engine.ingest(event));
      return engine.takeDecisionInputs();
    },

    setProfile(next: Profile): void {
      profile = next;
      if (engine) apply(engine.setProfile(next));
    },

    setLabels(next: LabelRecords): void {
      labels = next;
      if (engine) apply(engine.setLabels(next));
    },

    wake: () => void (engine && tick()),

    segments: () => (engine ? engine.segments() : [...known]),

    explain: (id) => engine?.explain(id),

    context: () => engine?.view(),

    config: () => config,

    peek: () => engine?.snapshot(),

    takeSnapshot(): EngineState | undefined {
      if (!engine || !dirty) return undefined;
      dirty = false;
      return engine.snapshot();
    },

    useHashes: (stored: unknown) => hashes.use(stored, config !== undefined),

    takeHashes: () => hashes.take(),

    reset(): void {
      known = this.segments();
      engine = undefined;
      state = undefined;
      early = [];
      if (config) void this.setConfig(config);
    },

    stop(): void {
      stopped = true;
      alarm.set(undefined, now());
    },
  };
}

/** The config hashes an earlier page stored, and those a compiled config took that are not stored yet. */
function hashesKeeper() {
  /** An earlier page's hashes, until a config is compiled with them. */
  let stored: ReadonlyMap<string, string> = new Map();
  /** The hashes a config took that differ from the stored ones, until they are stored. */
  let unsaved: ReadonlyMap<string, string> | undefined;
  return {
    forCompile: () => stored,
    compiled(config: MicrosegConfig): void {
      const taken = takeHashes(config);
      if (taken && !sameEntries(taken, stored)) unsaved = taken;
      stored = new Map(); // large texts: not kept once used
    },
    use(from: unknown, configured: boolean): void {
      const known = knownHashes(from);
      if (unsaved && sameEntries(unsaved, known)) unsaved = undefined; // a config came first, and took the very ones stored
      else if (!configured) stored = known;
    },
    take(): ReadonlyMap<string, string> | undefined {
      const taken = unsaved;
      unsaved = undefined;
      return taken;
    },
  };
}

function sameEntries(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/**
 * One timer for the next moment something can change. Most events leave that moment where it
 * was, or move it later (a visit's end follows each event): the timer is kept then, not cleared
 * and set again per event. One that fires early finds nothing due and is set again for the new moment.
 */
function createAlarm(fire: () => void) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerAt: number | undefined;
  return {
    set(at: number | undefined, now: number): void {
      if (timer !== undefined && at !== undefined && timerAt! <= at) return;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      timerAt = at;
      // clamped: a later moment is reached in steps
      if (at !== undefined) timer = setTimer(() => ((timer = undefined), fire()), at - now);
    },
  };
}
