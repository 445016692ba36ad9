// microseg/server: the same condition compiler, segment engine and decide() as the browser, with
// no DOM and no storage, for a server or edge function that renders a first visit's slots from
// what it knows (the request's URL and user agent, a verified user's traits and labels) and
// hands its decisions to the page, whose SDK continues from them without a content change.
import type { CampaignContent, MicrosegConfig } from '../config/types';
import type { DeviceClass, Profile, TrackedEvent } from '../shared/types';
import { randomId } from '../shared/util';
import { activeSuppressions, decide, localDate, slotsOf, suppressedOffers, type Decision } from '../decide/decide';
import { createEngine, type EvaluationContext, type Explanation } from '../engine';
import { mergeLabels, type Label } from '../labels/labels';
import { acquisition, deviceClass } from '../track/context';
import { HANDOVER_ATTR, type Handover } from '../render/handover';

export { HANDOVER_ATTR, type Handover };
export { parseConfig, type ParseResult, type ConfigIssue } from '../config/schema';
export { verifyEnvelope, isEnvelope, type SignedEnvelope } from '../config/signature';
export type { Decision, EvaluationContext, Explanation, Label, MicrosegConfig };

/** What the server knows about the request and the visitor. */
export interface ServerVisitor {
  /** The URL requested: utm_* and click ids give the channel, as in the browser. */
  url?: string;
  /** The Referer header. */
  referrer?: string;
  /** The User-Agent header (device class); or give `device`. */
  userAgent?: string;
  device?: DeviceClass;
  /** A user id the server verified (session, signed token): hold-out groups hash it, as the SDK does after identify(). */
  userId?: string;
  /** The visitor's anonymous id, if the page sent it (a cookie); hold-out groups hash it when there is no userId. */
  anonymousId?: string;
  /** What `identify(userId, traits)` would give: traits.* in conditions. */
  traits?: Record<string, unknown>;
  /** Labels from the labels store (any channel): labels.* in conditions. */
  labels?: Label[];
  /** Events the server knows of (type, props, ts); the request's own page view is added unless `page: false`. */
  events?: Array<{ type: string; props?: Record<string, unknown>; ts?: number }>;
  page?: boolean;
  /** The moment to evaluate at (default now). */
  now?: number;
}

export interface ServerEvaluation {
  now: number;
  /** The local date campaigns run by (the server's time zone). */
  date: string;
  segments: string[];
  context: EvaluationContext;
  explain(segmentId: string): Explanation;
  decide(slot: string): Decision;
  /** Every slot the config names → its decision. */
  decisions: Record<string, Decision>;
  /** Offer names suppressions hide ("*" = all). */
  suppressedOffers: string[];
  /** What the page's SDK continues from: put handoverScript() in the page's <head>. */
  handover: Handover;
}

/** Segments and decisions for one visitor, from what the server knows. Pure: nothing is stored or sent. */
export function evaluate(config: MicrosegConfig, visitor: ServerVisitor = {}): ServerEvaluation {
  const now = visitor.now ?? Date.now();
  const url = visitor.url ?? '';
  const engine = createEngine(config, { now: () => now });
  engine.setProfile(profileOf(visitor, now));
  if (visitor.labels?.length) engine.setLabels(mergeLabels(new Map(), visitor.labels));
  const events = [...(visitor.events ?? [])];
  if (visitor.page !== false) events.push({ type: 'page', props: {}, ts: now });
  let seq = 0;
  for (const e of events) engine.ingest(eventOf(e, seq++, now, url, visitor));

  const ctx = engine.context();
  const active = activeSuppressions(config, ctx);
  const state = { now, date: localDate(now), visit: 1, view: randomId(), visitor: visitor.userId ?? visitor.anonymousId ?? 'server', history: {} };
  const decideSlot = (slot: string) => decide(config, slot, ctx, state, active);
  const decisions: Record<string, Decision> = {};
  for (const slot of slotsOf(config)) decisions[slot] = decideSlot(slot);
  const offers = suppressedOffers(active);
  return {
    now,
    date: state.date,
    segments: engine.segments(),
    context: ctx,
    explain: (id) => engine.explain(id),
    decide: decideSlot,
    decisions,
    suppressedOffers: offers,
    handover: handoverOf(config, decisions, offers, now),
  };
}

function profileOf(v: ServerVisitor, now: number): Profile {
  const acq = acquisition(v.url ?? '', v.referrer ?? '');
  const profile: Profile = {
    anonymousId: v.anonymousId ?? 'server',
    firstSeen: now,
    lastSeen: now,
    visits: 1,
    visitStart: now,
    device: v.device ?? deviceClass({ userAgent: v.userAgent ?? '' }),
    channel: acq.channel,
    utm: acq.utm,
    referrer: acq.referrer,
    url: v.url ?? '',
    traits: { ...v.traits },
  };
  if (v.userId) profile.userId = v.userId;
  return profile;
}

function eventOf(e: { type: string; props?: Record<string, unknown>; ts?: number }, seq: number, now: number, url: string, v: ServerVisitor): TrackedEvent {
  let path = '';
  try {
    path = new URL(url).pathname;
  } catch {
    /* no URL */
  }
  const event: TrackedEvent = {
    id: randomId(), type: e.type, ts: e.ts ?? now, seq, props: { ...e.props },
    page: { url, path, title: '', referrer: v.referrer ?? '' }, aid: v.anonymousId ?? 'server', visit: 1,
  };
  if (v.userId) event.uid = v.userId;
  return event;
}

function handoverOf(config: MicrosegConfig, decisions: Record<string, Decision>, offers: string[], now: number): Handover {
  const d: Handover['d'] = {};
  for (const [slot, decision] of Object.entries(decisions)) {
    const entry: { c?: string; control?: true; content?: CampaignContent } = {};
    if (decision.campaign) entry.c = decision.campaign;
    if (decision.control) entry.control = true;
    if (decision.content) entry.content = decision.content;
    d[slot] = entry;
  }
  return { v: 1, version: config.version, at: now, d, o: offers };
}

/**
 * The handover as a `<script type="application/json" data-microseg-decisions>` for the page's
 * <head> (before microseg.paint.js). JSON only, `<` escaped: nothing in it can end the script.
 */
export function handoverScript(result: Pick<ServerEvaluation, 'handover'>): string {
  const json = JSON.stringify(result.handover).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return `<script type="application/json" ${HANDOVER_ATTR}>${json}</script>`;
}
