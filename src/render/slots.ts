// Keeps every `data-microseg-slot` element showing what its view says, from the moment the parser
// inserts it: a MutationObserver callback runs before the next frame is painted, so default
// content that the parser (or a framework) puts into a personalized slot is moved aside before
// anyone sees it. The same code runs in the first-paint script and in the SDK.
import { build, type Tree } from './tree';
import { nodeFactory, queryAll, rootElement } from '../shared/page';
import { elapsedNow, setTimer } from '../shared/timer';
import { MINUTE } from '../shared/constants';

export const SLOT = 'data-microseg-slot';
const STATE = 'data-microseg-state';
const CAMPAIGN = 'data-microseg-campaign';
/** A slot a framework binding renders itself (microseg/react's <Slot>): the first-paint script paints it, the SDK leaves it alone. */
export const OWNER = 'data-microseg-owner';

export interface View {
  /** Equal keys render the same content. */
  key: string;
  state: 'personalized' | 'default' | 'control';
  campaign?: string;
  /** The content; absent = the slot's own (default) content. */
  tree?: Tree;
  /** The decision behind a live view (exposures and clicks). */
  decision?: unknown;
}

export interface Entry {
  name: string;
  /** The slot's own content while ours is shown (null: the slot shows its own content). */
  defaults: Node[] | null;
  /** The top-level nodes we put in. */
  ours: Node[];
  key: string;
  view?: View;
  /** Times (monotonic clock) of recent re-applies after someone else re-rendered the slot. */
  fights: number[];
  /** Standing back until then (monotonic clock: a device clock set back does not lengthen it). */
  pausedUntil: number;
  backoff: number;
}

export interface SlotHooks {
  /** A slot's view was applied (or re-applied after a framework re-rendered it). */
  shown?(el: Element, entry: Entry): void;
  /** Someone keeps re-rendering this slot: we stood back. */
  fight?(name: string, count: number): void;
  error(cause: unknown): void;
  /** Slots to leave alone (and forget, if a previous owner handed them over). */
  skip?(el: Element): boolean;
}

// A framework may re-render a slot many times a second; one that fights us (re-renders in answer
// to our change) would loop forever. Bounded: this many re-applies per window, then stand back.
const FIGHT_MAX = 50;
const FIGHT_WINDOW = 250;

export interface Slots {
  entries: Map<Element, Entry>;
  /** Applies the current views to the slots under `root` (default: the whole document). */
  render(root?: ParentNode): void;
  /** Stops watching and hands the slots over as they are (the first-paint script → the SDK). */
  handOver(): Map<Element, Entry>;
  /** Stops and gives every slot its own content back. */
  stop(): void;
}

/** Counts one more re-render by someone else; true while the slot should show their content (paused, or just paused). */
function standsBack(entry: Entry, now: number, hooks: SlotHooks): boolean {
  if (now < entry.pausedUntil) return true;
  entry.fights = entry.fights.filter((t) => now - t < FIGHT_WINDOW);
  if (entry.fights.push(now) <= FIGHT_MAX) return false;
  entry.pausedUntil = now + entry.backoff;
  hooks.fight?.(entry.name, entry.fights.length);
  entry.backoff = Math.min(entry.backoff * 2, MINUTE);
  entry.fights = [];
  return true;
}

export function createSlots(doc: Document, view: (name: string, el: Element) => View | undefined, hooks: SlotHooks, prior?: Map<Element, Entry>): Slots {
  const entries = new Map<Element, Entry>(prior);
  let observer: MutationObserver | undefined;

  function apply(el: Element, entry: Entry, v: View | undefined, force = false): void {
    if (!v) return;
    entry.view = v;
    if (force || v.key !== entry.key) {
      if (v.tree) {
        const frag = nodeFactory(doc).fragment();
        const ours = build(doc, v.tree, frag);
        if (!entry.defaults) entry.defaults = Array.from(el.childNodes);
        el.replaceChildren(frag);
        entry.ours = ours;
      } else if (entry.defaults) {
        el.replaceChildren(...entry.defaults);
        entry.defaults = null;
        entry.ours = [];
      }
      entry.key = v.key;
    }
    if (el.getAttribute(STATE) !== v.state) el.setAttribute(STATE, v.state);
    if (v.campaign) el.setAttribute(CAMPAIGN, v.campaign);
    else el.removeAttribute(CAMPAIGN);
    hooks.shown?.(el, entry);
  }

  function slot(el: Element): void {
    const name = el.getAttribute(SLOT);
    if (hooks.skip?.(el)) return void entries.delete(el);
    let entry = entries.get(el);
    if (entry && entry.name !== name) {
      release(el, entry);
      entry = undefined;
    }
    if (!name) return;
    if (!entry) entries.set(el, (entry = { name, defaults: null, ours: [], key: '', fights: [], pausedUntil: 0, backoff: 1000 }));
    apply(el, entry, view(name, el));
  }

  /** Gives the slot its own content back and forgets it. */
  function release(el: Element, entry: Entry): void {
    entries.delete(el);
    if (entry.defaults) el.replaceChildren(...entry.defaults);
    el.removeAttribute(STATE);
    el.removeAttribute(CAMPAIGN);
  }

  function scan(root: ParentNode): void {
    if ((root as Element).hasAttribute?.(SLOT)) slot(root as Element);
    queryAll(root, `[${SLOT}]`).forEach(slot);
  }

  /** Someone else changed a personalized slot's children. */
  function foreign(el: Element, entry: Entry): void {
    if (!entry.defaults) return;
    const current = Array.from(el.childNodes);
    const ours = new Set(entry.ours);
    const theirs = current.filter((n) => !ours.has(n));
    if (!theirs.length && entry.ours.every((n) => n.parentNode === el)) return;
    if (entry.ours.every((n) => n.parentNode === el)) {
      // Ours is intact and more arrived: the parser still filling in the slot's default content.
      for (const n of theirs) entry.defaults.push(n);
      el.replaceChildren(...entry.ours);
      return;
    }
    // A framework re-rendered the slot: what it wrote is the new default.
    entry.defaults = theirs;
    entry.ours = entry.ours.filter((n) => n.parentNode === el);
    if (standsBack(entry, elapsedNow(), hooks)) return markDefault(el, entry);
    apply(el, entry, entry.view, true);
  }

  /** Standing back: the framework's content is shown, and the slot says so. */
  function markDefault(el: Element, entry: Entry): void {
    for (const n of entry.ours) el.removeChild(n);
    entry.ours = [];
    entry.defaults = null;
    entry.key = '';
    el.setAttribute(STATE, 'default');
    const retry = Math.max(0, entry.pausedUntil - elapsedNow());
    setTimer(() => guarded(() => entries.get(el) === entry && el.isConnected && apply(el, entry, view(entry.name, el))), retry + 1);
  }

  function onRecords(records: MutationRecord[]): void {
    for (const r of records) {
      if (r.type === 'attributes') slot(r.target as Element);
      else {
        const entry = entries.get(r.target as Element);
        if (entry) foreign(r.target as Element, entry);
        r.addedNodes.forEach((n) => n.nodeType === 1 && scan(n as Element));
      }
    }
    // Slots taken out of the page are forgotten, not kept alive.
    for (const el of entries.keys()) if (!el.isConnected) entries.delete(el);
  }

  function guarded(fn: () => void): void {
    try {
      fn();
      // Our own changes are not news.
      observer?.takeRecords();
    } catch (cause) {
      hooks.error(cause);
    }
  }

  /** Handles what happened since the last callback, then runs `fn`. */
  const run = (fn: () => void) =>
    guarded(() => {
      const pending = observer?.takeRecords();
      if (pending?.length) onRecords(pending);
      fn();
    });

  if (typeof MutationObserver === 'function' && rootElement(doc)) {
    observer = new MutationObserver((records) => guarded(() => onRecords(records)));
    observer.observe(doc, { childList: true, subtree: true, attributes: true, attributeFilter: [SLOT] });
  }
  // The first pass also settles slots a previous owner (the first-paint script) handed over.
  run(() => scan(doc));

  return {
    entries,
    /** Applies the current views to the slots under `root` (default: the whole document). */
    render(root?: ParentNode): void {
      run(() => scan(root ?? doc));
    },
    /** Stops watching and hands the slots over as they are (the first-paint script → the SDK). */
    handOver(): Map<Element, Entry> {
      run(() => {});
      observer?.disconnect();
      return entries;
    },
    /** Stops and gives every slot its own content back. */
    stop(): void {
      run(() => {});
      observer?.disconnect();
      guarded(() => [...entries].forEach(([el, entry]) => release(el, entry)));
    },
  };
}

