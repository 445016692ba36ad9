import { describe, expect, it } from 'vitest';
import type { CampaignDef, MicrosegConfig } from '../../../src/config/types';
import {
  activeSuppressions,
  addClick,
  addExposure,
  decide,
  holdoutBucket,
  localDate,
  nextDecisionChange,
  suppressedOffers,
  type DecideState,
  type ExposureHistory,
} from '../../../src/decide';

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Noon, local time, so local dates are unambiguous whatever the machine's time zone. */
const NOV23 = new Date(2026, 10, 23, 12).getTime();

const campaign = (c: Partial<CampaignDef> & { id: string }): CampaignDef => ({ slot: 'hero', segments: ['all'], content: { text: c.id }, ...c });

function config(campaigns: CampaignDef[], suppressions: MicrosegConfig['suppressions'] = []): MicrosegConfig {
  return { schema: 1, version: 't', segments: [{ id: 'all', fallback: true }], campaigns, suppressions };
}

function state(over: Partial<DecideState> = {}): DecideState {
  const now = over.now ?? NOV23;
  return { now, date: localDate(now), visit: 1, view: 'v1', visitor: 'visitor-1', history: {}, ...over };
}

const ctx = (segments: string[] = ['all'], rest: Record<string, unknown> = {}) => ({ segments, labels: {}, metrics: {}, ...rest });

/** Shows whatever `decide` picks in a new page view, as the renderer will. */
function expose(cfg: MicrosegConfig, s: DecideState, slot = 'hero'): DecideState {
  const d = decide(cfg, slot, ctx(), s);
  const c = cfg.campaigns!.find((x) => x.id === d.campaign)!;
  return { ...s, history: addExposure(s.history, c, s, d.control) ?? s.history };
}

describe('priority', () => {
  it('gives the highest-priority campaign serving one of the visitor’s segments; ties go to the first listed', () => {
    const cfg = config([
      campaign({ id: 'low', priority: 1 }),
      campaign({ id: 'other-segment', priority: 99, segments: ['vip'] }),
      campaign({ id: 'high-a', priority: 10 }),
      campaign({ id: 'high-b', priority: 10 }),
      campaign({ id: 'other-slot', priority: 50, slot: 'recs' }),
    ]);
    const d = decide(cfg, 'hero', ctx(), state());
    expect(d).toMatchObject({ slot: 'hero', campaign: 'high-a', control: false, content: { text: 'high-a' } });
    expect(d.reason).toMatchObject({ segment: 'all', priority: 10 });
    expect(d.reason.considered.map((r) => [r.campaign, r.outcome])).toEqual([
      ['other-segment', 'not-in-segment'],
      ['high-a', 'chosen'],
      ['high-b', 'outranked'],
      ['low', 'outranked'],
    ]);
    expect(decide(cfg, 'hero', ctx(['vip']), state()).campaign).toBe('other-segment');
    expect(decide(cfg, 'nowhere', ctx(), state())).toEqual({ slot: 'nowhere', control: false, reason: { considered: [] } });
  });

  it('names the qualifying segment in the campaign’s own order', () => {
    const cfg = config([campaign({ id: 'c', segments: ['vip', 'all'] })]);
    expect(decide(cfg, 'hero', ctx(['all', 'vip']), state()).reason.segment).toBe('vip');
  });
});

describe('schedules', () => {
  it('runs from start to end inclusive, by the visitor’s local date', () => {
    const cfg = config([campaign({ id: 'bf', priority: 5, start: '2026-11-27', end: '2026-11-30' }), campaign({ id: 'always' })]);
    const on = (y: number, m: number, d: number, h = 12) => decide(cfg, 'hero', ctx(), state({ now: new Date(y, m - 1, d, h).getTime() })).campaign;
    expect(on(2026, 11, 26, 23)).toBe('always');
    expect(on(2026, 11, 27, 0)).toBe('bf');
    expect(on(2026, 11, 30, 23)).toBe('bf');
    expect(on(2026, 12, 1, 0)).toBe('always');
    expect(decide(cfg, 'hero', ctx(), state({ now: new Date(2026, 10, 26).getTime() })).reason.considered[0]).toMatchObject({ campaign: 'bf', outcome: 'not-scheduled' });
  });
});

describe('duration periods', () => {
  const cfg = config([
    campaign({ id: 'welcome', priority: 10, duration: '3d', segments: ['new'] }),
    campaign({ id: 'launch', priority: 20, segments: ['ski'] }),
    campaign({ id: 'apology', priority: 100, segments: ['complained'], promotional: false }),
    campaign({ id: 'recs-promo', slot: 'recs', priority: 5 }),
  ]);

  it('keeps a visitor who received a campaign out of the slot’s other campaigns until it ends', () => {
    let s = state({ view: 'v1' });
    expect(decide(cfg, 'hero', ctx(['new']), s).campaign).toBe('welcome');
    s = { ...s, history: addExposure(s.history, cfg.campaigns![0]!, s, false)! };
    const later = { ...s, now: NOV23 + 2 * DAY, date: localDate(NOV23 + 2 * DAY), view: 'v2' };
    const d = decide(cfg, 'hero', ctx(['new', 'ski']), later);
    expect(d.campaign).toBe('welcome');
    expect(d.reason.excludedBy).toEqual({ campaign: 'launch', by: 'welcome', until: NOV23 + 3 * DAY });
    expect(d.reason.considered.find((r) => r.campaign === 'launch')).toMatchObject({ outcome: 'excluded', excludedBy: { campaign: 'welcome' } });
    // left the segment: the slot keeps its default content until the period ends
    expect(decide(cfg, 'hero', ctx(['ski']), later).campaign).toBeUndefined();
    // the period ends exactly at its duration
    const after = { ...later, now: NOV23 + 3 * DAY, date: localDate(NOV23 + 3 * DAY) };
    expect(decide(cfg, 'hero', ctx(['ski']), { ...after, now: after.now - 1 }).campaign).toBeUndefined();
    expect(decide(cfg, 'hero', ctx(['ski']), after).campaign).toBe('launch');
    // other slots are free with exclusive "slot" (the default)
    expect(decide(cfg, 'recs', ctx(['ski', 'all']), later).campaign).toBe('recs-promo');
    // service content is never held back
    expect(decide(cfg, 'hero', ctx(['complained']), later).campaign).toBe('apology');
  });

  it('with exclusive "all", keeps the visitor out of every slot', () => {
    const all = config(cfg.campaigns!.map((c) => (c.id === 'welcome' ? { ...c, exclusive: 'all' as const } : c)));
    const s = state();
    const next = { ...s, view: 'v2', history: addExposure(s.history, all.campaigns![0]!, s, false)! };
    const d = decide(all, 'recs', ctx(['new', 'all']), next);
    expect(d.campaign).toBeUndefined();
    expect(d.reason.excludedBy).toMatchObject({ campaign: 'recs-promo', by: 'welcome' });
  });

  it('a control exposure starts the period too (a fair hold-out), and repeated exposures do not extend it', () => {
    let s = state();
    s = { ...s, history: addExposure(s.history, cfg.campaigns![0]!, s, true)! };
    expect(s.history.welcome).toMatchObject({ periodStart: NOV23, control: true });
    const day2 = { ...s, now: NOV23 + DAY, date: localDate(NOV23 + DAY), view: 'v2' };
    const h2 = addExposure(day2.history, cfg.campaigns![0]!, day2, true)!;
    expect(h2.welcome!.periodStart).toBe(NOV23);
    expect(decide(cfg, 'hero', ctx(['ski']), { ...day2, history: h2 }).campaign).toBeUndefined();
  });
});

describe('frequency caps', () => {
  it('counts exposures per visit, per local day and in total; a page view counts once', () => {
    const cfg = config([campaign({ id: 'capped', priority: 10, caps: { perVisit: 2, perDay: 3, total: 4 } }), campaign({ id: 'next' })]);
    let s = state({ view: 'p1', visit: 1 });
    s = expose(cfg, s);
    expect(addExposure(s.history, cfg.campaigns![0]!, s, false)).toBeUndefined(); // same view: not another exposure
    expect(decide(cfg, 'hero', ctx(), s).campaign).toBe('capped'); // still on screen in this view
    s = expose(cfg, { ...s, view: 'p2' });
    expect(s.history.capped).toMatchObject({ total: 2, visitCount: 2, dayCount: 2 });
    let d = decide(cfg, 'hero', ctx(), { ...s, view: 'p3' });
    expect(d.campaign).toBe('next');
    expect(d.reason.capped).toEqual({ campaign: 'capped', cap: 'perVisit', limit: 2 });
    s = expose(cfg, { ...s, view: 'p3', visit: 2 });
    d = decide(cfg, 'hero', ctx(), { ...s, view: 'p4' });
    expect(d.reason.capped).toMatchObject({ cap: 'perDay', limit: 3 });
    const tomorrow = NOV23 + DAY;
    s = expose(cfg, { ...s, view: 'p5', visit: 3, now: tomorrow, date: localDate(tomorrow) });
    expect(s.history.capped).toMatchObject({ total: 4, dayCount: 1 });
    d = decide(cfg, 'hero', ctx(), { ...s, view: 'p6', visit: 4, now: tomorrow + DAY, date: localDate(tomorrow + DAY) });
    expect(d.reason.capped).toMatchObject({ cap: 'total', limit: 4 });
    expect(d.reason.considered[0]).toMatchObject({ outcome: 'capped', capped: { cap: 'total' } });
  });

  it('clicks are counted on the campaign', () => {
    const cfg = config([campaign({ id: 'c' })]);
    const s = expose(cfg, state());
    expect(addClick(s.history, 'c').c!.clicks).toBe(1);
    expect(addClick(s.history, 'unknown')).toBe(s.history);
  });
});

describe('hold-out', () => {
  it('is stable for a visitor and campaign, and independent between campaigns', () => {
    expect(holdoutBucket('visitor-42', 'welcome')).toBe(holdoutBucket('visitor-42', 'welcome'));
    expect(holdoutBucket('visitor-42', 'welcome')).not.toBe(holdoutBucket('visitor-42', 'launch'));
    let both = 0;
    for (let i = 0; i < 10_000; i++) if (holdoutBucket(`v${i}`, 'a') < 0.5 && holdoutBucket(`v${i}`, 'b') < 0.5) both++;
    expect(Math.abs(both / 10_000 - 0.25)).toBeLessThan(0.015);
  });

  it('keeps the group of the first exposure when the visitor id changes (identify), until the hold-out is switched off', () => {
    const cfg = config([campaign({ id: 'c', holdout: 0.5 })]);
    const ids = Array.from({ length: 50 }, (_, i) => `v${i}`);
    const a = ids.find((v) => decide(cfg, 'hero', ctx(), state({ visitor: v })).control)!;
    const b = ids.find((v) => !decide(cfg, 'hero', ctx(), state({ visitor: v })).control)!;
    const history = addExposure({}, cfg.campaigns![0]!, state(), true)!;
    expect(decide(cfg, 'hero', ctx(), state({ visitor: b, history, view: 'v2' })).control).toBe(true);
    expect(decide(cfg, 'hero', ctx(), state({ visitor: a, history: addExposure({}, cfg.campaigns![0]!, state(), false)!, view: 'v2' })).control).toBe(false);
    const off = config([campaign({ id: 'c', holdout: 0 })]);
    expect(decide(off, 'hero', ctx(), state({ visitor: a, history, view: 'v2' })).control).toBe(false);
  });

  it.each([0.05, 0.1, 0.2, 0.5])('holds out %d of 10,000 visitors within ±1.5 points', (share) => {
    const cfg = config([campaign({ id: 'handbag-welcome', holdout: share })]);
    let control = 0;
    for (let i = 0; i < 10_000; i++) {
      const d = decide(cfg, 'hero', ctx(), state({ visitor: `anon-${i.toString(36)}-${(i * 7919) % 1000}` }));
      expect(d.campaign).toBe('handbag-welcome');
      if (d.control) {
        control++;
        expect(d.content).toBeUndefined();
        expect(d.reason.considered[0]!.outcome).toBe('control');
      }
    }
    expect(Math.abs(control / 10_000 - share)).toBeLessThanOrEqual(0.015);
  });
});

describe('suppressions', () => {
  const cfg = config(
    [
      campaign({ id: 'apology', priority: 100, segments: ['complained'], promotional: false }),
      campaign({ id: 'sale', priority: 10 }),
      campaign({ id: 'bestsellers', priority: 1, promotional: false }),
      campaign({ id: 'free-shipping', slot: 'banner' }),
    ],
    [
      { id: 'complaint', when: { 'labels.complaint.ageDays': { $lt: 14 } }, offers: '*', campaigns: '*' },
      { id: 'bought', when: { 'metrics.orders_7d': { $gte: 1 } }, offers: ['free-shipping', 'bag-bonus'], campaigns: ['free-shipping'] },
    ],
  );

  it('hide named offers, or every offer with "*"', () => {
    expect(suppressedOffers(activeSuppressions(cfg, ctx()))).toEqual([]);
    expect(suppressedOffers(activeSuppressions(cfg, ctx(['all'], { metrics: { orders_7d: 1 } })))).toEqual(['bag-bonus', 'free-shipping']);
    const complained = ctx(['all'], { labels: { complaint: { ageDays: 1 } }, metrics: { orders_7d: 1 } });
    expect(suppressedOffers(activeSuppressions(cfg, complained))).toEqual(['*']);
  });

  it('block campaigns by id, or every promotional one with "*"', () => {
    const complained = ctx(['all', 'complained'], { labels: { complaint: { ageDays: 1 } } });
    const d = decide(cfg, 'hero', complained, state());
    expect(d.campaign).toBe('apology');
    const plain = ctx(['all'], { labels: { complaint: { ageDays: 1 } } });
    const d2 = decide(cfg, 'hero', plain, state());
    expect(d2.campaign).toBe('bestsellers'); // not promotional: not blocked by "*"
    expect(d2.reason.suppressedBy).toEqual({ campaign: 'sale', suppression: 'complaint' });
    expect(decide(cfg, 'banner', ctx(['all'], { metrics: { orders_7d: 2 } }), state()).reason.considered[0]).toMatchObject({ outcome: 'suppressed', suppressedBy: 'bought' });
    // after 14 days the complaint no longer suppresses
    expect(decide(cfg, 'hero', ctx(['all'], { labels: { complaint: { ageDays: 14 } } }), state()).campaign).toBe('sale');
  });
});

describe('next change', () => {
  it('is local midnight, a period’s end or a label’s next birthday, whichever comes first', () => {
    const cfg = config([campaign({ id: 'c', duration: '2h' })], [{ id: 's', when: { 'labels.x.ageDays': { $lt: 1 } }, offers: '*' }]);
    const midnight = new Date(2026, 10, 24).getTime();
    expect(nextDecisionChange(cfg, ctx(), state())).toBe(midnight);
    const history: ExposureHistory = addExposure({}, cfg.campaigns![0]!, state(), false)!;
    expect(nextDecisionChange(cfg, ctx(), state({ history }))).toBe(NOV23 + 2 * HOUR);
    const labels = { x: { at: NOV23 - DAY + HOUR } };
    expect(nextDecisionChange(cfg, ctx(['all'], { labels }), state())).toBe(NOV23 + HOUR);
    expect(nextDecisionChange(undefined, ctx(), state())).toBeUndefined();
  });
});
