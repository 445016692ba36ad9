// Journey steps on the device. An exposure (a campaign's `$exposure`, or any event matching a
// condition) opens a window; the goal inside it is a progression, the window closing without it
// an aversion.
//
// One window per (visitor, step): the windows live in one stored record that every change reads,
// changes and writes in a single IndexedDB transaction, so pages, tabs and restarts all work from
// the same windows (never from a page's own, possibly stale, copy). An exposure while the step's
// window is open, or one before the moment the last window ended, opens nothing. Exposure
// and outcome ids derive from the exposing event's id, so a resend is the same message.
import type { JourneyDef, MicrosegConfig } from '../config/types';
import type { TrackedEvent } from '../shared/types';
import type { StoredEvents } from '../store';
import { parseDuration } from '../config/time';
import { dict } from '../shared/dict';
import { setTimer } from '../shared/timer';
import { MAX_LISTED_BATCHES } from '../shared/constants';
import { compileCondition, type Matcher } from '../engine';

export interface JourneyExposure {
  /** `<journey>:<exposure event id>`: the same on every tab, so messages are deduplicated. */
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
  /** The visitor who was exposed: the outcome is theirs, whichever tab settles it. */
  aid?: string;
}

export type Outcome = 'progression' | 'aversion';

export interface JourneyOutcome extends JourneyExposure {
  outcome: Outcome;
  /** The goal event's id and time, for a progression. */
  goal?: string;
  goalAt?: number;
}

/** What is stored: open windows, recently settled keys, and when each step's last window ended. */
export interface JourneyState {
  open: JourneyExposure[];
  settled: Record<string, number>;
  /** Per journey: the goal's time or the window's end. An exposure up to then belongs to that window. */
  closed?: Record<string, number>;
}

interface Step {
  id: string;
  within: number;
  exposes(e: TrackedEvent): boolean;
  isGoal(e: TrackedEvent): boolean;
}

/**
 * What the last settling scan read: the stored batches it checked against these windows. A batch never
 * changes, so the next scan reads only the batches stored since (a start stays flat in history), unless a
 * window is open that this scan did not check (then it reads them all again).
 */
export interface JourneyScan {
  batches: string[];
  windows: string[];
}

type Change = { exposure: JourneyExposure } | { outcome: JourneyOutcome };

const MAX_OPEN = 500;
const MAX_SETTLED = 1000;
const MAX_EARLY = 1000;

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

/** A turn that only reads the stored windows: it writes nothing back. */
const READ = (): Change[] => [];

const emptyState = (): JourneyState => ({ open: [], settled: dict<number>(), closed: dict<number>() });

/** A stored record as a state (anything unusable is an empty one); copied, so changes stay local. */
function normalize(s: JourneyState | undefined): JourneyState {
  const out = emptyState();
  if (!s || typeof s !== 'object') return out;
  if (Array.isArray(s.open)) out.open = s.open.filter((o) => o && typeof o.key === 'string' && typeof o.until === 'number');
  if (s.settled && typeof s.settled === 'object') Object.assign(out.settled, s.settled);
  if (s.closed && typeof s.closed === 'object') Object.assign(out.closed!, s.closed);
  return out;
}

/** Two views of the state (one kept while nothing could be stored): settled wins, open windows are the union. */
export function mergeStates(a: JourneyState, b: JourneyState | undefined): JourneyState {
  const x = normalize(a);
  const y = normalize(b);
  const settled = Object.assign(dict<number>(), y.settled, x.settled);
  const closed = dict<number>(y.closed);
  for (const [k, v] of Object.entries(x.closed!)) closed[k] = Math.max(v, closed[k] ?? -Infinity);
  const open = new Map<string, JourneyExposure>();
  for (const o of [...y.open, ...x.open]) if (!(o.key in settled)) open.set(o.key, o);
  return bound({ open: [...open.values()].sort((p, q) => p.at - q.at), settled, closed });
}

function bound(s: JourneyState): JourneyState {
  const keys = Object.keys(s.settled);
  if (keys.length > MAX_SETTLED) {
    keys.sort((x, y) => s.settled[x]! - s.settled[y]!);
    for (const k of keys.slice(0, keys.length - MAX_SETTLED)) delete s.settled[k];
  }
  s.open = s.open.slice(-MAX_OPEN);
  return s;
}

/** A stored scan is checked: another version of the SDK may have written it. */
const isScan = (s: unknown): s is JourneyScan =>
  typeof s === 'object' && s !== null && Array.isArray((s as JourneyScan).batches) && Array.isArray((s as JourneyScan).windows);

const sameList = (a: string[], b: unknown) => Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]);

const inWindow = (e: TrackedEvent, o: JourneyExposure) => e.id !== o.exposure && e.ts >= o.at && e.ts <= o.until;

function settle(s: JourneyState, o: JourneyExposure, t: number, goal?: TrackedEvent): Change[] {
  if (o.key in s.settled) return [];
  s.settled[o.key] = t;
  s.open = s.open.filter((x) => x.key !== o.key);
  s.closed![o.journey] = Math.max(goal ? goal.ts : o.until, s.closed![o.journey] ?? -Infinity);
  const outcome: JourneyOutcome = { ...o, outcome: goal ? 'progression' : 'aversion' };
  if (goal) {
    outcome.goal = goal.id;
    outcome.goalAt = goal.ts;
  }
  return [{ outcome }];
}

/** One event against the windows: goals first (an event never reaches the window it opens), then exposures. */
function applyEvent(s: JourneyState, steps: Map<string, Step>, e: TrackedEvent, t: number, segments: string[]): Change[] {
  const changes: Change[] = [];
  for (const o of s.open.slice()) {
    if (inWindow(e, o) && steps.get(o.journey)?.isGoal(e)) changes.push(...settle(s, o, t, e));
    // Ended before this event and not settled yet (its timer slept): an aversion, before the event counts.
    else if (o.until < e.ts && steps.has(o.journey)) changes.push(...settle(s, o, t));
  }
  for (const step of steps.values()) {
    if (!step.exposes(e) || s.open.some((o) => o.journey === step.id)) continue;
    const key = `${step.id}:${e.id}`;
    // Already had its window, or inside the one that just ended (another tab's exposure, late).
    if (key in s.settled || e.ts < (s.closed![step.id] ?? -Infinity)) continue;
    const exposure: JourneyExposure = {
      key, journey: step.id, exposure: e.id, at: e.ts, until: e.ts + step.within, segments, control: e.props.control === true,
    };
    if (typeof e.props.campaign === 'string') exposure.campaign = e.props.campaign;
    if (typeof e.aid === 'string') exposure.aid = e.aid;
    s.open.push(exposure);
    changes.push({ exposure });
  }
  return changes;
}

/** Windows that closed (progression if a goal is stored inside them), and open ones whose goal is stored. */
function closeWindows(s: JourneyState, steps: Map<string, Step>, events: TrackedEvent[], t: number): Change[] {
  const changes: Change[] = [];
  for (const o of s.open.slice()) {
    const step = steps.get(o.journey);
    if (!step) {
      if (o.until < t) s.open = s.open.filter((x) => x.key !== o.key); // journey withdrawn
      continue;
    }
    const goal = events.find((e) => inWindow(e, o) && step.isGoal(e));
    if (goal || o.until < t) changes.push(...settle(s, o, t, goal));
  }
  return changes;
}

export interface JourneyDeps {
  now: () => number;
  /** The visitor's segments now. */
  segments: () => string[];
  /** Stored events (every tab's) since a time, oldest first, but none of the stored batches `known` names. */
  events: (since: number, known?: ReadonlySet<string>) => Promise<StoredEvents>;
  /** The last scan, kept beside the windows. */
  scanned: () => Promise<JourneyScan | undefined>;
  saveScan: (scan: JourneyScan) => void;
  /** Read, change and write the stored state in one transaction; false when nothing can be stored. */
  update: (change: (stored: JourneyState | undefined) => JourneyState) => Promise<boolean>;
  /** The stored state, only read (the first read of a page is the store's start read). */
  read: () => Promise<JourneyState | undefined>;
  onExposure: (exposure: JourneyExposure) => void;
  onOutcome: (outcome: JourneyOutcome) => void;
  onError: (cause: unknown) => void;
}

export interface Journeys {
  /** A new config: its steps, then the stored windows, this page's early events and what stored events settle. */
  setConfig(config: MicrosegConfig): Promise<void>;
  observe(event: TrackedEvent): void;
  /** Closes the windows whose time is up (a tab coming back: its timers slept). */
  check(): Promise<void>;
  /** Resolves when every change asked for so far is written and told (flush() waits for it). */
  idle(): Promise<void>;
  /** Consent denied or forget(): nothing remains here. */
  reset(): void;
  stop(): void;
}

export function createJourneys(deps: JourneyDeps): Journeys {
  const { now } = deps;
  let steps = new Map<string, Step>();
  let configured = false;
  /** The last state read or written; the stored one is the truth whenever there is one. */
  let state: JourneyState = emptyState();
  /** `state` holds windows opened while nothing could be stored: merge them in, do not drop them. */
  let local = false;
  /** Events seen before the config and the stored windows were read: observed then, in order. */
  let early: Array<[TrackedEvent, string[]]> = [];
  let accepting = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let queue: Promise<void> = Promise.resolve();
  let generation = 0;

  /** Changes waiting for their transaction: what is tracked together is written together, in order. */
  let waiting: Array<(s: JourneyState) => Change[]> | undefined;

  /** Runs one change of the windows against the stored state, in order; tells what changed once written. */
  function transact(work: (s: JourneyState) => Change[]): Promise<void> {
    if (waiting) {
      waiting.push(work);
      return queue; // the waiting batch's turn
    }
    const batch = (waiting = [work]);
    const gen = generation;
    queue = queue.then(async () => {
      waiting = undefined; // what comes from now on waits for the next turn
      if (gen !== generation) return; // reset() since
      let changes: Change[] = [];
      let next = state;
      const change = (stored: JourneyState | undefined) => {
        next = stored ? (local ? mergeStates(state, stored) : normalize(stored)) : normalize(state);
        changes = batch.flatMap((w) => w(next));
        return bound(next);
      };
      let stored = false;
      try {
        // A turn that only reads needs no read-write transaction (unless memory's windows are to merge in).
        if (!local && batch.every((w) => w === READ)) {
          change(await deps.read());
          stored = true; // nothing of this page's is left unstored
        } else stored = await deps.update(change);
      } catch (cause) {
        deps.onError(cause);
      }
      if (!stored) change(undefined); // memory only: this page's windows
      if (gen !== generation) return;
      state = next;
      local = !stored;
      for (const c of changes) 'exposure' in c ? deps.onExposure(c.exposure) : deps.onOutcome(c.outcome);
      schedule();
    });
    return queue;
  }

  function schedule(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (stopped || !state.open.length) return;
    const next = Math.min(...state.open.map((o) => o.until));
    timer = setTimer(() => void check(), next - now() + 1);
  }

  const matters = (e: TrackedEvent) => [...steps.values()].some((s) => s.exposes(e) || s.isGoal(e));

  /** `segments`: as they were at this event, not when the write comes round. */
  function observe(event: TrackedEvent, segments = deps.segments()): void {
    if (!accepting) {
      if (early.length < MAX_EARLY) early.push([event, segments]);
      return;
    }
    const applied = matters(event) ? transact((s) => applyEvent(s, steps, event, now(), segments)) : queue;
    // Time moved past a window (a tab that slept): settle it now.
    void applied.then(() => {
      if (state.open.some((o) => o.until < now())) void check();
    });
  }

  let checking: Promise<void> | null = null;
  /** Settles what the stored events settle: windows that closed, and open ones whose goal another page saw. */
  function check(read = true): Promise<void> {
    if (!checking) {
      checking = run(read)
        .catch((cause) => deps.onError(cause))
        .finally(() => {
          checking = null;
        });
    }
    return checking;
  }

  /** `read`: the stored windows as they are now (another tab may have changed them); else the ones just read, with what is queued. */
  async function run(read: boolean): Promise<void> {
    if (!configured) return;
    await (read ? transact(READ) : queue);
    if (!state.open.length) return;
    const windows = state.open.map((o) => o.key);
    const last = await deps.scanned();
    const known = isScan(last) && windows.every((key) => last.windows.includes(key)) ? new Set(last.batches) : undefined;
    const { events, batches } = await deps.events(Math.min(...state.open.map((o) => o.at)), known);
    // Most scans settle nothing: then no read-write transaction (a window another tab opened since is
    // not in this scan's list, so the next scan reads every batch for it).
    if (closeWindows(normalize(state), steps, events, now()).length) await transact((s) => closeWindows(s, steps, events, now()));
    const changed = !isScan(last) || !sameList(batches, last.batches) || !sameList(windows, last.windows);
    if (changed && batches.length <= MAX_LISTED_BATCHES) deps.saveScan({ batches, windows });
  }

  return {
    async setConfig(config: MicrosegConfig): Promise<void> {
      steps = new Map(compileSteps(config.journeys).map((s) => [s.id, s]));
      configured = true;
      // The stored windows first, then this page's events in order (a window that ended before one of
      // them closes first), then what the stored events settle.
      await transact(READ);
      accepting = true;
      for (const [event, segments] of early.splice(0)) observe(event, segments);
      await check(false); // the windows were read a moment ago
    },
    observe: (event: TrackedEvent) => observe(event),
    check,
    idle: (): Promise<void> => queue,
    reset(): void {
      generation++;
      waiting = undefined; // skipped with its generation: what comes next starts a batch of its own
      state = emptyState();
      local = false;
      early = [];
      schedule();
    },
    stop(): void {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
