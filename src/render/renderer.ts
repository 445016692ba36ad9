// The SDK's renderer: paints slots from the first-paint snapshot until the store and the config
// are ready (taking over from the first-paint script if it ran), then shows the live decisions,
// re-renders when they change, records exposures and clicks, and keeps the snapshot current.
import type { MicrosegConfig } from '../config/types';
import type { Decision } from '../decide/decide';
import type { Reporter } from '../shared/errors';
import { listen, ownGlobal, pageHidden } from '../shared/page';
import { contentTree } from './content';
import { createSlots, OWNER, SLOT, type Entry, type View } from './slots';
import { hideOffers, pageNonce, readSnapshot, removeSnapshot, snapshotView, writeSnapshot, type Snapshot } from './snapshot';
import { plainJson } from '../shared/util';
import { handoverView, readHandover, viewKey } from './handover';

export interface RendererDeps {
  doc: Document | undefined;
  decide(slot: string): Decision;
  config(): MicrosegConfig | undefined;
  offers(): string[];
  recordExposure(decision: Decision): boolean;
  recordClick(decision: Decision): boolean;
  /** Consent granted: the snapshot may be written. */
  canWrite(): boolean;
  report: Reporter;
}

/** What the first-paint script (entry/paint.ts) leaves for the SDK. */
export interface PaintHandover {
  /** undefined: nothing to hand over (the SDK itself left this marker). */
  take(): { entries: Map<Element, Entry>; release(): void } | undefined;
}

const MAX_SLOT_BYTES = 64_000;

export interface Renderer {
  render(root?: ParentNode): void;
  /** Decisions, content or the config changed. */
  update(): void;
  /** The store and the config are ready: from now on the live decisions rule. */
  live(): void;
  /** Call before the offer watcher applies the live suppressions. */
  releaseOffers(): void;
  forget(): void;
  stop(): void;
}

export function createRenderer(deps: RendererDeps): Renderer {
  const doc = deps.doc;
  if (!doc?.documentElement) return { render() {}, update() {}, live() {}, releaseOffers() {}, forget() {}, stop() {} };
  let live = false;
  let snap: Snapshot | undefined = readSnapshot();
  /** Decisions a server made for this page: shown, like the snapshot, until the live ones rule. */
  const handover = readHandover(doc);
  const views = new Map<string, View | undefined>();
  const shown = new WeakMap<Element, string>();
  const missing = new Set<string>();

  const w = window as { __microsegPaint?: PaintHandover };
  let handed: ReturnType<PaintHandover['take']> | undefined;
  try {
    handed = (ownGlobal('__microsegPaint') as PaintHandover | undefined)?.take?.();
  } catch {
    /* an older or broken first-paint script: start from the page as it is */
  }
  // A first-paint script that runs after the SDK (misplaced) must not become a second owner.
  w.__microsegPaint = { take: () => undefined };
  // Offers the snapshot suppresses stay hidden until the live suppressions are known.
  const firstOffers = handover?.o ?? snap?.o ?? [];
  let releaseOffers: (() => void) | undefined = handed?.release ?? (firstOffers.length ? hideOffers(doc, firstOffers, pageNonce(doc)) : undefined);

  /** `quiet`: for the snapshot of a slot this page does not have; a missing template is no news. */
  function liveView(name: string, quiet = false): View | undefined {
    const d = deps.decide(name);
    if (d.control) return { key: `control:${d.campaign}`, state: 'control', campaign: d.campaign, decision: d };
    if (!d.campaign || !d.content) return { key: '', state: 'default', decision: d };
    const tree = contentTree(doc!, d.content);
    if (!tree) {
      if (quiet || doc!.readyState === 'loading') return undefined; // templates often close the body: try again when it is parsed
      if (!missing.has(d.content.template!)) {
        missing.add(d.content.template!);
        deps.report({ code: 'render', message: `slot "${name}": campaign "${d.campaign}" names template "${d.content.template}", which this page does not have; the slot keeps its default content` });
      }
      return { key: '', state: 'default', decision: d };
    }
    return { key: viewKey(d.campaign, tree), state: 'personalized', campaign: d.campaign, tree, decision: d };
  }

  function view(name: string): View | undefined {
    if (!live) return handoverView(doc!, handover, name, () => snapshotView(snap, name));
    if (!views.has(name)) views.set(name, liveView(name));
    return views.get(name);
  }

  const slots = createSlots(
    doc,
    view,
    {
      shown(el, entry) {
        // An exposure is recorded when the live decision is on screen (control: the default is).
        const d = entry.view?.decision as Decision | undefined;
        // A background tab or a prerendered page shows nothing yet: recorded when it becomes visible.
        if (!d?.campaign || shown.get(el) === entry.key || pageHidden(doc)) return;
        shown.set(el, entry.key);
        deps.recordExposure(d);
      },
      fight(name, count) {
        if (missing.has(`fight:${name}`)) return; // once per slot: it stands back again and again, quietly
        missing.add(`fight:${name}`);
        deps.report({ code: 'render-fight', message: `slot "${name}" was re-rendered by another script ${count} times in a moment; microseg stands back for a while instead of fighting it` });
      },
      error: (cause) => deps.report({ code: 'render', message: 'a slot could not be rendered', cause }),
      skip: (el) => el.hasAttribute(OWNER), // a framework binding renders it (and records its exposures)
    },
    handed?.entries,
  );

  const onClick = (e: Event) => {
    try {
      const el = (e.target as Element | null)?.closest?.(`[${SLOT}]`);
      const d = el && slots.entries.get(el)?.view?.decision;
      if (d) deps.recordClick(d as Decision);
    } catch (cause) {
      deps.report({ code: 'render', message: 'a click could not be recorded', cause });
    }
  };
  const onParsed = () => api.update();
  const offListeners = [listen(doc, 'click', onClick, true), listen(doc, 'DOMContentLoaded', onParsed), listen(doc, 'visibilitychange', onParsed)];

  let saving = false;
  function save(): void {
    if (saving || !deps.canWrite()) return;
    saving = true;
    setTimeout(() => {
      saving = false;
      try {
        if (deps.canWrite()) writeSnapshot((snap = snapshot()));
      } catch {
        /* the next visit paints the default first */
      }
    }, 0);
  }

  /** Every slot the config names, personalized content only; slots this page cannot render keep their old entry. */
  function snapshot(): Snapshot {
    const next: Snapshot = { v: 1, s: {}, o: deps.offers() };
    const here = new Set([...slots.entries.values()].map((e) => e.name));
    for (const name of new Set([...(deps.config()?.campaigns ?? []).map((c) => c.slot), ...here])) {
      const v = here.has(name) ? view(name) : liveView(name, true);
      const old = snap?.s[name];
      if (v?.tree && v.campaign) {
        const end = deps.config()?.campaigns?.find((c) => c.id === v.campaign)?.end;
        const entry = { c: v.campaign, k: v.key, n: v.tree, ...(end ? { e: end } : {}) };
        if (plainJson(entry).length <= MAX_SLOT_BYTES) next.s[name] = entry;
      } else if (!v && old && old.c === (deps.decide(name).campaign ?? '')) next.s[name] = old;
    }
    return next;
  }

  const api: Renderer = {
    render(root?: ParentNode): void {
      views.clear();
      slots.render(root);
    },
    update(): void {
      if (!live) return;
      api.render();
      save();
    },
    live(): void {
      if (live) return;
      live = true;
      api.update();
      api.releaseOffers();
    },
    releaseOffers(): void {
      releaseOffers?.();
      releaseOffers = undefined;
    },
    forget(): void {
      snap = undefined;
      removeSnapshot();
    },
    stop(): void {
      for (const off of offListeners) off();
      api.releaseOffers();
      slots.stop();
    },
  };
  return api;
}

