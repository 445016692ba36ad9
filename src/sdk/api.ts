// The public methods: each checks its arguments (a bad one is an error event, never an exception
// in the page), then hands the work to the part that owns it.
import type { Reporter } from '../shared/errors';
import { guard } from '../shared/errors';
import { isPlainObject, toPlainData } from '../shared/util';
import type { Emitter } from '../shared/emitter';
import type { SegmentRuntime } from '../engine/runtime';
import type { Decision } from '../decide/decide';
import type { Renderer } from '../render/renderer';
import { isLabelName, type LabelsRuntime } from '../labels';
import type { PreviewHost } from '../preview/host';
import type { Persona } from '../preview/types';
import type { Consent } from './consent';
import type { Visitor } from './visitor';
import type { IdentifyOptions, LabelOptions, Microseg } from './options';
import type { ConsentState, MicrosegEvents, MicrosegEventType } from './events';

const EVENT_NAME = /^[\w$][\w$ .:/-]{0,99}$/;

/** What the methods reach: the parts, and the few acts that span several of them. */
export interface ApiParts {
  report: Reporter;
  emitter: Emitter<MicrosegEvents>;
  visitor: Visitor;
  segments: SegmentRuntime;
  decisions: { decide(slot: string): Decision; suppressedOffers(): string[]; schedule(): void };
  renderer: Renderer;
  labels: LabelsRuntime;
  preview: PreviewHost;
  consent: Consent;
  identity: { token?: string };
  destroyed(): boolean;
  record(type: string, props: Record<string, unknown>): void;
  /** The visitor said yes or no to storage (consent moved). */
  consented(state: 'granted' | 'denied'): void;
  forget(): Promise<void>;
  flush(): Promise<void>;
  storage(): 'indexeddb' | 'memory';
  destroy(): void;
}

type Methods<K extends keyof Microseg> = Pick<Microseg, K>;

const plain = (props: Record<string, unknown> | undefined) => (props ? toPlainData(props) : {}) as Record<string, unknown>;

/** track, page, identify, label, unlabel: what the visitor does and is. */
function recordingMethods(p: ApiParts, bad: (message: string) => void): Methods<'track' | 'page' | 'identify' | 'label' | 'unlabel'> {
  const { report } = p;
  return {
    track: guard(report, 'track', (event: string, props?: Record<string, unknown>) => {
      if (p.destroyed()) return;
      if (typeof event !== 'string' || !EVENT_NAME.test(event)) {
        return bad(`track(event): event must be a name of 1–100 letters, digits or _ $ . : / - (got ${JSON.stringify(event)?.slice(0, 60)})`);
      }
      if (props !== undefined && !isPlainObject(props)) return bad(`track("${event}", props): props must be an object`);
      p.record(event, plain(props));
    }),

    page: guard(report, 'page', (props?: Record<string, unknown>) => {
      if (p.destroyed()) return;
      if (props !== undefined && !isPlainObject(props)) return bad('page(props): props must be an object');
      p.visitor.newView();
      p.record('page', plain(props));
      p.decisions.schedule(); // a new page view: caps count it
    }),

    identify: guard(report, 'identify', (userId: string, traits?: Record<string, unknown>, opts?: IdentifyOptions) => {
      if (p.destroyed()) return;
      if (typeof userId !== 'string' || !userId || userId.length > 200) {
        return bad('identify(userId, traits): userId must be a non-empty string of at most 200 characters');
      }
      if (traits !== undefined && !isPlainObject(traits)) return bad('identify(userId, traits): traits must be an object');
      const given = plain(traits);
      const token = typeof opts?.token === 'string' && opts.token ? opts.token : undefined;
      const changed = userId !== p.visitor.profile().userId || token !== p.identity.token;
      p.identity.token = token;
      p.visitor.identify(userId, given);
      p.visitor.save();
      p.segments.setProfile(p.visitor.profile());
      p.record('identify', { userId, traits: given });
      if (changed) {
        void p.labels.refresh(); // the backend may know this user from other channels
        p.decisions.schedule(); // hold-out groups hash the user id from now on
      }
    }),

    label: guard(report, 'label', (name: string, opts: LabelOptions = {}) => {
      if (p.destroyed()) return;
      if (!isLabelName(name)) return bad(`label(name): ${JSON.stringify(name)} is not a label name (letters, digits, _ . : -; at most 64)`);
      if (!isPlainObject(opts)) return bad(`label("${name}", options): options must be an object`);
      const problem = p.labels.set(name, opts, p.segments.config()?.labels?.defaultTtl);
      if (problem) bad(problem);
    }),

    unlabel: guard(report, 'unlabel', (name: string) => {
      if (p.destroyed()) return;
      if (!isLabelName(name)) return bad(`unlabel(name): ${JSON.stringify(name)} is not a label name`);
      p.labels.remove(name);
    }),
  };
}

/** labels, profile, segments, explain, config, decide, suppressedOffers, render: what is true now. */
function queryMethods(p: ApiParts, bad: (message: string) => void): Methods<'labels' | 'profile' | 'segments' | 'explain' | 'config' | 'decide' | 'suppressedOffers' | 'render'> {
  const { report } = p;
  return {
    labels: guard(report, 'labels', () => p.labels.active(), []),
    profile: guard(report, 'profile', () => {
      const profile = p.visitor.profile();
      return { ...profile, traits: { ...profile.traits } };
    }),
    segments: guard(report, 'segments', () => p.segments.segments(), []),
    explain: guard(report, 'explain', (id: string) => {
      if (typeof id === 'string') return p.segments.explain(id);
      bad('explain(segmentId): segmentId must be a string');
      return undefined;
    }),
    config: guard(report, 'config', () => p.segments.config()),
    decide: guard(report, 'decide', (slot: string): Decision => {
      if (typeof slot !== 'string' || !slot) {
        bad('decide(slot): slot must be a non-empty string');
        return { slot: String(slot), control: false, reason: { considered: [] } };
      }
      return p.decisions.decide(slot);
    }),
    suppressedOffers: guard(report, 'suppressedOffers', () => p.decisions.suppressedOffers(), []),
    render: guard(report, 'render', (root?: ParentNode) => {
      if (p.destroyed()) return;
      if (root !== undefined && typeof (root as ParentNode)?.querySelectorAll !== 'function') return bad('render(root): root must be an element or document');
      p.renderer.render(root);
    }),
  };
}

/** consent, forget, on, flush, storage, preview, endPreview, destroy: the SDK itself. */
function controlMethods(p: ApiParts, bad: (message: string) => void): Methods<'consent' | 'forget' | 'on' | 'flush' | 'storage' | 'preview' | 'endPreview' | 'destroy'> {
  const { report } = p;
  return {
    consent: guard(report, 'consent', (state: ConsentState) => {
      if (p.destroyed()) return;
      const outcome = p.consent.ask(state);
      if (outcome === 'changed') p.consented(state as 'granted' | 'denied');
      else if (outcome !== 'kept') bad(outcome);
    }),
    forget: p.forget,
    on: guard(report, 'on', (type: MicrosegEventType, handler: (payload: any) => void) => {
      if (typeof type !== 'string' || typeof handler !== 'function') {
        bad('on(type, handler): type must be a string and handler a function');
        return () => {};
      }
      return p.emitter.on(type, handler);
    }, () => {}),
    flush: p.flush,
    storage: p.storage,
    preview: async (persona: Persona = {}) => {
      try {
        if (p.destroyed()) return;
        if (!isPlainObject(persona)) return bad('preview(persona): persona must be an object');
        await p.preview.start(toPlainData(persona) as Persona);
      } catch (cause) {
        report({ code: 'preview', message: 'preview() failed', cause });
      }
    },
    endPreview: guard(report, 'endPreview', () => p.preview.stop()),
    destroy: guard(report, 'destroy', p.destroy),
  };
}

/** The API object; `ready` is set once start-up has begun. */
export function publicApi(parts: ApiParts): Microseg {
  const bad = (message: string) => parts.report({ code: 'bad-argument', message });
  return {
    ready: Promise.resolve(),
    ...recordingMethods(parts, bad),
    ...queryMethods(parts, bad),
    ...controlMethods(parts, bad),
  };
}
