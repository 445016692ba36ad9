// Journey steps on the device. An exposure (a campaign's `$exposure`, or any event matching a
// condition) opens a window; the goal inside it is a progression, the window closing without it
// an aversion. Open windows are persisted, so a page closed mid-window is settled by the next
// page, and the goal is looked for among the stored events, which hold every tab's events.
import { dict } from '../core/dict';
import type { JourneyDef, MicrosegConfig } from '../config/types';
import type { TrackedEvent } from '../core/types';
import { parseDuration } from '../config/time';
import { compileCondition, type Matcher } from '../engine';

export interface JourneyExposure {
  /** `<journey>:<exposure event id>`: the same on every tab, so outcomes are deduplicated. */
  key: string;
  journey: string;
  /** The id of the event that exposed the visitor. */
  exposure: string;
  campaign?: string;
  at: number;
  /** The window's end: a goal at or before it counts. */
  until: number;
  /** The visitor's segments at exposure time. */
  segments: string[];
  /** In the campaign's hold-out group: exposed to nothing, the baseline for uplift. */
  control: boolean;
}

export type Outcome = 'progression' | 'aversion';

export interface JourneyOutcome extends JourneyExposure {
  outcome: Outcome;
  /** The goal event's id and time, for a progression. */
  goal?: string;
  goalAt?: number;
}

/** What is persisted: open windows, and recently settled keys so a stale tab cannot reopen them. */
export interface JourneyState {
  open: JourneyExposure[];
  settled: Record<string, number>;
}

interface Step {
  id: string;
  within: number;
  exposes(e: TrackedEvent): boolean;
  isGoal(e: TrackedEvent): boolean;
}

const MAX_OPEN = 500;
const MAX_SETTLED = 1000;
const MAX_EARLY = 1000;
/** setTimeout's longest delay; a later moment is reached in steps. */
const MAX_DELAY = 2_147_483_647;

function eventMatcher(m: { event: string; where?: Record<string, unknown> }): (e: TrackedEvent) => boolean {
  const where: Matcher | undefined = m.where ? compileCondition(m.where) : undefined;
  return (e) => e.type === m.event && (!where || where(e.props));
}

export function compileSteps(journeys: JourneyDef[] = []): Step[] {
  return journeys.map((j) => {
    const exposes =
      typeof j.exposure === 'string'
        ? ((campaign: string) => (e: TrackedEvent) => e.type === '$exposure' && e.props.campaign === campaign)(j.exposure)
        : eventMatcher(j.exposure);
    return { id: j.id, within: parseDuration(j.within), exposes, isGoal: eventMatcher(j.goal) };
  });
}

/** Two tabs' views of the state: settled wins, open windows are the union. */
export function mergeStates(a: JourneyState, b: JourneyState | undefined): JourneyState {
  if (!b || !Array.isArray(b.open) || typeof b.settled !== 'object' || !b.settled) b = { open: [], settled: {} };
  const settled = Object.assign(dict<number>(), b.settled, a.settled); // keys from storage: no prototype
  const keys = Object.keys(settled);
  if (keys.length > MAX_SETTLED) {
    keys.sort((x, y) => settled[x]! - settled[y]!);
    for (const k of keys.slice(0, keys.length - MAX_SETTLED)) delete settled[k];
  }
  const open = new Map<string, JourneyExposure>();
  for (const o of [...b.open, ...a.open]) if (!(o.key in settled)) open.set(o.key, o);
  return { open: [...open.values()].sort((x, y) => x.at - y.at).slice(-MAX_OPEN), settled };
}

export interface JourneyDeps {
  now: () => number;
  /** The visitor's segments now. */
  segments: () => string[];
  /** Stored events (every tab's) since a time, oldest first. */
  events: (since: number) => Promise<TrackedEvent[]>;
  load: () => Promise<JourneyState | undefined>;
  save: (state: JourneyState) => void;
  onExposure: (exposure: JourneyExposure) => void;
  onOutcome: (outcome: JourneyOutcome) => void;
  onError: (cause: unknown) => void;
}

export function createJourneys(deps: JourneyDeps) {
  const { now } = deps;
  let steps = new Map<string, Step>();
  let configured = false;
  let state: JourneyState = { open: [], settled: {} };
  /** Events seen before any config: observed once one arrives. */
  let early: TrackedEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let checking: Promise<void> | null = null;

  const inWindow = (e: TrackedEvent, o: JourneyExposure) => e.id !== o.exposure && e.ts >= o.at && e.ts <= o.until;

  function settle(o: JourneyExposure, goal?: TrackedEvent): void {
    if (o.key in state.settled) return;
    state.settled[o.key] = now();
    state.open = state.open.filter((x) => x.key !== o.key);
    const outcome: JourneyOutcome = { ...o, outcome: goal ? 'progression' : 'aversion' };
    if (goal) {
      outcome.goal = goal.id;
      outcome.goalAt = goal.ts;
    }
    deps.onOutcome(outcome);
  }

  let saving: Promise<void> = Promise.resolve();
  /** Read, merge, write: another tab may have written its windows since we last looked. */
  function save(): void {
    saving = saving
      .then(async () => {
        state = mergeStates(state, await deps.load());
        deps.save(state);
      })
      .catch((cause) => deps.onError(cause));
  }

  function schedule(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (stopped || !state.open.length) return;
    const next = Math.min(...state.open.map((o) => o.until));
    timer = setTimeout(() => void check(), Math.min(MAX_DELAY, Math.max(0, next - now() + 1)));
  }

  function observe(event: TrackedEvent): void {
    if (!configured) {
      if (early.length < MAX_EARLY) early.push(event);
      return;
    }
    let changed = false;
    // Goals first, so an event is never the goal of the exposure it opens.
    for (const o of state.open.slice()) {
      if (inWindow(event, o) && steps.get(o.journey)?.isGoal(event)) {
        settle(o, event);
        changed = true;
      }
    }
    for (const step of steps.values()) {
      // One window at a time per step: a campaign shown on every page is one exposure until it settles.
      if (!step.exposes(event) || state.open.some((o) => o.journey === step.id)) continue;
      const exposure: JourneyExposure = {
        key: `${step.id}:${event.id}`,
        journey: step.id,
        exposure: event.id,
        at: event.ts,
        until: event.ts + step.within,
        segments: deps.segments(),
        control: event.props.control === true,
      };
      if (typeof event.props.campaign === 'string') exposure.campaign = event.props.campaign;
      state.open.push(exposure);
      deps.onExposure(exposure);
      changed = true;
    }
    if (changed) {
      save();
      schedule();
    }
    if (state.open.some((o) => o.until < event.ts)) void check();
  }

  /**
   * Settles what can be settled from the stored events: windows that closed (progression if a
   * goal is stored inside them, aversion otherwise) and open windows whose goal another tab saw.
   */
  function check(): Promise<void> {
    if (!checking) {
      checking = run()
        .catch((cause) => deps.onError(cause))
        .finally(() => {
          checking = null;
          schedule();
        });
    }
    return checking;
  }

  async function run(): Promise<void> {
    if (!configured || (!steps.size && !state.open.length)) return; // no journeys: no storage traffic
    await saving;
    state = mergeStates(state, await deps.load()); // another tab may have settled or opened some
    const candidates = state.open.slice();
    if (!candidates.length) return;
    const events = await deps.events(Math.min(...candidates.map((o) => o.at)));
    const t = now();
    let changed = false;
    for (const o of candidates) {
      const step = steps.get(o.journey);
      if (!step) {
        if (o.until < t) {
          state.open = state.open.filter((x) => x.key !== o.key); // journey withdrawn
          changed = true;
        }
        continue;
      }
      const goal = events.find((e) => inWindow(e, o) && step.isGoal(e));
      if (goal || o.until < t) {
        settle(o, goal);
        changed = true;
      }
    }
    if (changed) save();
  }

  return {
    async setConfig(config: MicrosegConfig): Promise<void> {
      steps = new Map(compileSteps(config.journeys).map((s) => [s.id, s]));
      configured = true;
      for (const event of early.splice(0)) observe(event);
      await check();
    },
    observe,
    check,
    /** The windows still open. */
    open(): JourneyExposure[] {
      return state.open.slice();
    },
    /** forget(): nothing remains. */
    reset(): void {
      state = { open: [], settled: {} };
      early = [];
      schedule();
    },
    stop(): void {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

export type Journeys = ReturnType<typeof createJourneys>;
