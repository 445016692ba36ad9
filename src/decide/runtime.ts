// Keeps the decisions live inside the SDK: recomputes every slot when something they read may
// have moved (segments, labels, config, events, a page view, the clock), announces the slots
// whose decision changed with `decision` events, and records exposures and clicks.
import { dict, own } from '../shared/dict';
import type { MicrosegConfig } from '../config/types';
import type { Reporter } from '../shared/errors';
import { describe } from '../shared/errors';
import { setTimer } from '../shared/timer';
import {
  activeSuppressions,
  decide,
  localDate,
  nextDecisionChange,
  slotsOf,
  suppressedOffers,
  type DecideContext,
  type DecideState,
  type Decision,
} from './decide';
import { addClick, addExposure, isHistory, type ExposureHistory } from './history';
import { toJson } from '../shared/util';

export interface DecisionRuntimeDeps {
  now: () => number;
  config: () => MicrosegConfig | undefined;
  /** The live evaluation context (undefined before any config). */
  context: () => DecideContext | undefined;
  visitor: () => string;
  visit: () => number;
  /** The current page view's id (one exposure per campaign and page view). */
  view: () => string;
  track: (type: string, props: Record<string, unknown>) => void;
  emit: (type: 'decision', payload: Decision) => void;
  save: (history: ExposureHistory) => void;
  report: Reporter;
  /** The suppressed offers changed. */
  onOffers: (offers: string[]) => void;
}

const EMPTY: DecideContext = { segments: [] };
const keyOf = (d: Decision) => `${d.campaign ?? ''}|${d.control}`;

/** Decisions while the page runs: the campaign per slot and the suppressed offers, refreshed when what they read moves. */
export interface DecisionRuntime {
  decide(slot: string): Decision;
  suppressedOffers(): string[];
  /** Something a decision reads may have moved: recompute once, after the current task's work. */
  schedule(): void;
  /** The renderer shows a decision: records `$exposure` once per page view; whether it counted. */
  recordExposure(decision: Decision): boolean;
  /** A click inside a rendered slot (never for control). */
  recordClick(decision: Decision): boolean;
  /** An `$exposure` another tab recorded: caps and duration periods count it too (once per id). */
  observe(event: { type: string; ts: number; visit: number; id: string; props: Record<string, unknown> }): void;
  /** The history stored by earlier pages, merged with this page's. */
  restore(stored: unknown): void;
  history(): ExposureHistory;
  offers(): string[];
  reset(): void;
  stop(): void;
}

export function createDecisionRuntime(deps: DecisionRuntimeDeps): DecisionRuntime {
  let history: ExposureHistory = dict();
  /** slot → the last announced decision */
  const announced = new Map<string, string>();
  /** slots asked about that the config does not name (still announced when they change) */
  const asked = new Set<string>();
  let offers: string[] = [];
  let offersKey = '[]';
  let queued = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  /** Campaigns this tab exposed in its current page view. */
  let shown: string[] = [];
  let shownView = '';

  function state(): DecideState {
    const now = deps.now();
    const view = deps.view();
    if (view !== shownView) (shown = []), (shownView = view);
    return { now, date: localDate(now), visit: deps.visit(), view, visitor: deps.visitor(), history, onScreen: shown };
  }

  function refresh(): void {
    queued = false;
    if (stopped) return;
    try {
      const config = deps.config();
      const ctx = deps.context() ?? EMPTY;
      const s = state();
      const active = config ? activeSuppressions(config, ctx) : [];
      const nextOffers = suppressedOffers(active);
      const nextKey = toJson(nextOffers);
      if (nextKey !== offersKey) {
        offers = nextOffers;
        offersKey = nextKey;
        deps.onOffers(offers);
      }
      const members = new Set(ctx.segments);
      for (const slot of new Set([...slotsOf(config), ...asked])) {
        const d = decide(config, slot, ctx, s, active, members);
        const key = keyOf(d);
        if (announced.get(slot) === key) continue;
        announced.set(slot, key);
        deps.emit('decision', d);
      }
      if (timer !== undefined) clearTimeout(timer);
      const at = nextDecisionChange(config, ctx, s);
      timer = at === undefined ? undefined : setTimer(refresh, at - deps.now());
    } catch (cause) {
      deps.report({ code: 'decide', message: `updating decisions failed (${describe(cause)})`, cause });
    }
  }

  const api = {
    decide(slot: string): Decision {
      asked.add(slot);
      return decide(deps.config(), slot, deps.context() ?? EMPTY, state());
    },

    suppressedOffers(): string[] {
      const config = deps.config();
      return config ? suppressedOffers(activeSuppressions(config, deps.context() ?? EMPTY)) : [];
    },

    /** Something a decision reads may have moved: recompute once, after the current task's work. */
    schedule(): void {
      if (queued || stopped) return;
      queued = true;
      queueMicrotask(refresh);
    },

    /**
     * The renderer shows a decision: records `$exposure` (control too, flagged) for its campaign,
     * once per page view. Returns whether it counted.
     */
    recordExposure(decision: Decision): boolean {
      const c = deps.config()?.campaigns?.find((x) => x.id === decision?.campaign);
      if (!c) return false;
      const s = state();
      if (shown.includes(c.id)) return false;
      const next = addExposure(history, c, s, decision.control === true);
      if (!next) return false;
      history = next;
      shown = [...shown, c.id];
      deps.save(history);
      deps.track('$exposure', { campaign: c.id, slot: c.slot, control: decision.control === true });
      api.schedule();
      return true;
    },

    /** A click inside a rendered slot (never for control: it showed the default content). */
    recordClick(decision: Decision): boolean {
      if (!decision?.campaign || decision.control) return false;
      history = addClick(history, decision.campaign);
      deps.save(history);
      deps.track('$click', { campaign: decision.campaign, slot: decision.slot, control: false });
      return true;
    },

    /**
     * An `$exposure` recorded by another tab (through the tab channel): caps and duration periods
     * count it too. Its event id keys it, so a repeat of the same message counts once.
     */
    observe(event: { type: string; ts: number; visit: number; id: string; props: Record<string, unknown> }): void {
      if (event?.type !== '$exposure') return;
      const c = deps.config()?.campaigns?.find((x) => x.id === event.props.campaign);
      if (!c) return;
      const next = addExposure(history, c, { now: event.ts, date: localDate(event.ts), visit: event.visit, view: event.id }, event.props.control === true);
      if (!next) return;
      history = next;
      deps.save(history);
      api.schedule();
    },

    /** The history stored by earlier pages, merged with this page's (the later exposure wins). */
    restore(stored: unknown): void {
      if (!isHistory(stored)) return;
      const merged: ExposureHistory = dict(stored);
      for (const [id, h] of Object.entries(history)) if (!own(merged, id) || h.last >= merged[id]!.last) merged[id] = h;
      history = merged;
      api.schedule();
    },

    history(): ExposureHistory {
      return history;
    },

    offers(): string[] {
      return offers;
    },

    reset(): void {
      history = dict();
      announced.clear();
      api.schedule();
    },

    stop(): void {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
  return api;
}


/** The decision runtime behind each SDK instance, for the renderer in the same bundle: not public API. */
const runtimes = new WeakMap<object, DecisionRuntime>();
export const attachDecisions = (api: object, runtime: DecisionRuntime) => void runtimes.set(api, runtime);
export const decisionsOf = (api: object): DecisionRuntime | undefined => runtimes.get(api);
