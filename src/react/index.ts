// microseg/react: a provider, hooks and <Slot> for React 18/19 apps. React is the app's own
// (an optional peer dependency), never part of the core bundle.
//
// Hydration: a <Slot>'s first render is what the page already shows. On the server that is the
// server's decision (microseg/server's handover) or the default children; in the browser it is
// the same handover, or else the first-paint snapshot when microseg.paint.js painted it before
// React loaded (both paint the same tree with the same functions), so hydration finds the DOM it
// expects. Live decisions take over once the SDK is ready; the same campaign is the same tree.
import { createContext, createElement, Fragment, useContext, useEffect, useMemo, useRef, useState, type ReactElement, type ReactNode } from 'react';
import { createMicroseg, type Microseg, type MicrosegOptions } from '../sdk/microseg';
import type { Decision } from '../decide/decide';
import { decisionsOf } from '../decide/runtime';
import type { Label } from '../labels/labels';
import { contentTree } from '../render/content';
import { handoverView, readHandover, type Handover } from '../render/handover';
import { OWNER, SLOT, type View } from '../render/slots';
import { readSnapshot, snapshotView } from '../render/snapshot';
import { toReact } from './tree';
import { pageHidden } from '../shared/page';

export type { Handover, Decision, Label, Microseg, MicrosegOptions };

interface Context {
  ms?: Microseg;
  handover?: Handover;
}

const MicrosegContext = createContext<Context>({});

export interface MicrosegProviderProps {
  /** An instance the app created (it stays the app's: not destroyed on unmount). */
  instance?: Microseg;
  /** Or options: the provider creates the instance in the browser (never on the server) and destroys it on unmount. */
  options?: MicrosegOptions;
  /** The server's decisions (microseg/server `evaluate(...).handover`); in the browser, read from the page when absent. */
  handover?: Handover;
  children?: ReactNode;
}

export function MicrosegProvider({ instance, options, handover, children }: MicrosegProviderProps): ReactElement {
  const [created, setCreated] = useState<Microseg>();
  const optionsRef = useRef(options);
  useEffect(() => {
    if (instance || !optionsRef.current) return;
    const ms = createMicroseg(optionsRef.current);
    setCreated(ms);
    return () => ms.destroy();
  }, [instance]);
  const [pageHandover] = useState(() => handover ?? (typeof document === 'undefined' ? undefined : readHandover(document)));
  const value = useMemo(() => ({ ms: instance ?? created, handover: pageHandover }), [instance, created, pageHandover]);
  return createElement(MicrosegContext.Provider, { value }, children);
}

/** The instance (undefined on the server and until the provider created it). */
export function useMicroseg(): Microseg | undefined {
  return useContext(MicrosegContext).ms;
}

/** A value of the SDK that follows some of its events, read once it is ready; `initial` before (server, hydration). */
function useReady<T>(read: (ms: Microseg) => T, events: Array<'segment:enter' | 'segment:exit' | 'label' | 'decision' | 'config'>, initial: T): T {
  const ms = useMicroseg();
  const [value, setValue] = useState<T>(initial);
  const readRef = useRef(read);
  readRef.current = read;
  useEffect(() => {
    if (!ms) return;
    let on = true;
    let ready = false;
    const update = () => on && ready && setValue(readRef.current(ms));
    void ms.ready.then(() => {
      ready = true;
      update();
    });
    const offs = events.map((type) => ms.on(type, update));
    return () => {
      on = false;
      offs.forEach((off) => off());
    };
  }, [ms, events.join()]);
  return value;
}

const NO_SEGMENTS: string[] = [];
const NO_LABELS: Label[] = [];

/** The visitor's segment ids, live ([] before the SDK is ready). */
export function useSegments(): string[] {
  return useReady((ms) => ms.segments(), ['segment:enter', 'segment:exit', 'config'], NO_SEGMENTS);
}

/** The labels in force, live ([] before the SDK is ready). */
export function useLabels(): Label[] {
  return useReady((ms) => ms.labels(), ['label'], NO_LABELS);
}

/** The slot's live decision (undefined before the SDK is ready). */
export function useDecision(slot: string): Decision | undefined {
  const d = useReady<Decision | undefined>((ms) => ms.decide(slot), ['decision', 'config', 'segment:enter', 'segment:exit', 'label'], undefined);
  return d;
}

/** What a decision shows, built as the DOM renderer builds it. */
function liveView(d: Decision): View {
  if (d.control) return { key: `control:${d.campaign}`, state: 'control', campaign: d.campaign, decision: d };
  const tree = d.campaign && d.content && typeof document !== 'undefined' ? contentTree(document, d.content) : undefined;
  return tree ? { key: `${d.campaign}`, state: 'personalized', campaign: d.campaign, tree, decision: d } : { key: '', state: 'default', decision: d };
}

/** What the page shows before the SDK is ready: the same on the server and in hydration. */
function firstView(name: string, handover: Handover | undefined): View | undefined {
  // Handed-over content that needs no page (the server has none): the first-paint script paints
  // a React slot by the same rule.
  if (typeof document === 'undefined') return handoverView(undefined as unknown as Document, handover, name, () => undefined, true);
  // The first-paint script painted the snapshot only if it ran (it leaves its mark on window).
  const painted = (window as { __microsegPaint?: unknown }).__microsegPaint !== undefined;
  return handoverView(document, handover, name, () => (painted ? snapshotView(readSnapshot(), name) : undefined), true);
}

export interface SlotProps {
  /** The slot's name (campaigns' `slot`). */
  name: string;
  /** The element to render (default "div"). */
  as?: string;
  className?: string;
  /** The default content: shown when no campaign applies, for hold-out visitors and until the SDK is ready. */
  children?: ReactNode;
}

/**
 * A place a campaign may fill: the campaign's content (a page template filled with its data, or
 * text / image / attributes), or the children as the default.
 */
export function Slot({ name, as = 'div', className, children }: SlotProps): ReactElement {
  const { ms, handover } = useContext(MicrosegContext);
  const [first] = useState(() => firstView(name, handover));
  const decision = useDecision(name);
  const view = decision ? liveView(decision) : first;
  const shown = useRef<string>(undefined);
  useEffect(() => {
    // An exposure is recorded when a live decision is on screen (for hold-out visitors: the default).
    if (!ms || !decision?.campaign || shown.current === `${decision.campaign}:${view?.key}`) return;
    if (pageHidden()) return;
    shown.current = `${decision.campaign}:${view?.key}`;
    decisionsOf(ms)?.recordExposure(decision);
  });
  const props: Record<string, unknown> = {
    [SLOT]: name,
    [OWNER]: 'react',
    'data-microseg-state': view?.state ?? 'default',
    className,
    onClickCapture: () => {
      if (ms && decision?.campaign && !decision.control) decisionsOf(ms)?.recordClick(decision);
    },
  };
  if (view?.campaign) props['data-microseg-campaign'] = view.campaign;
  return createElement(as, props, view?.tree ? toReact(view.tree) : createElement(Fragment, null, children));
}
