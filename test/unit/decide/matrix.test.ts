// The marketer's plan (`microseg matrix`) and what the device decides must agree for every
// segment, slot and date of the demo config, for a visitor with no history.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { campaignMatrix } from '../../../src/config/matrix';
import { createEngine } from '../../../src/engine';
import { decide, localDate, activeSuppressions, suppressedOffers } from '../../../src/decide';
import type { MicrosegConfig } from '../../../src/config/types';

const shop = JSON.parse(readFileSync('examples/shop.config.json', 'utf8')) as MicrosegConfig;
const DAY = 86_400_000;

describe('the campaign matrix and decide()', () => {
  it('agree for every segment, slot and date of the demo config', () => {
    // From before the first campaign starts to after the last one ends.
    const dates = shop.campaigns!.flatMap((c) => [c.start, c.end]).filter((d): d is string => !!d).sort();
    const from = new Date(`${dates[0]}T00:00:00Z`);
    from.setUTCDate(from.getUTCDate() - 2);
    const days = Math.ceil((Date.parse(`${dates.at(-1)}T00:00:00Z`) - from.getTime()) / DAY) + 3;
    const matrix = campaignMatrix(shop, { from: from.toISOString().slice(0, 10), days });
    expect(matrix.dates.at(-1)! > dates.at(-1)!).toBe(true);
    let cells = 0;
    let filled = 0;
    for (const row of matrix.rows) {
      for (const slot of matrix.slots) {
        matrix.dates.forEach((date, i) => {
          const [y, m, d] = date.split('-').map(Number) as [number, number, number];
          const now = new Date(y, m - 1, d, 12).getTime();
          expect(localDate(now)).toBe(date);
          const decision = decide(shop, slot, { segments: [row.segment], labels: {} }, { now, date, visit: 1, view: 'v', visitor: `visitor-${i}`, history: {} });
          expect(decision.campaign ?? null, `${row.segment} × ${slot} on ${date}`).toBe(row.slots[slot]![i]?.campaign ?? null);
          cells++;
          if (decision.campaign) filled++;
        });
      }
    }
    expect(cells).toBe(shop.segments.length * matrix.slots.length * days);
    expect(filled).toBeGreaterThan(1000);
  });
});

describe('the brief’s example, through the segment engine', () => {
  it('a complaint set by the call-centre yesterday hides every promotional offer and switches the hero to the apology', () => {
    const now = new Date(2026, 10, 23, 15).getTime();
    const engine = createEngine(shop, { now: () => now });
    engine.setProfile({ anonymousId: 'a', firstSeen: now - 2 * DAY, lastSeen: now, visits: 2, visitStart: now, device: 'desktop', channel: 'direct', utm: {}, referrer: '', url: '/', traits: {} });
    engine.ingest({ id: 'e1', type: 'view_item', ts: now, seq: 1, props: { items: [{ item_category: 'handbags' }] }, page: { url: '/', path: '/', title: '', referrer: '' }, aid: 'a', visit: 2 });
    const state = { now, date: localDate(now), visit: 2, view: 'v', visitor: 'a', history: {} };
    // a visitor whose hash falls outside the 10 % hold-out of handbag-welcome
    const visitor = ['a', 'b', 'c', 'd', 'e'].find((v) => decide(shop, 'hero', engine.context(), { ...state, visitor: v }).control === false)!;
    const before = decide(shop, 'hero', engine.context(), { ...state, visitor });
    expect(before.campaign).toBe('handbag-welcome');
    expect(suppressedOffers(activeSuppressions(shop, engine.context()))).toEqual([]);

    engine.setLabels({ complaint: { name: 'complaint', at: now - DAY, channel: 'call-centre' } });
    const ctx = engine.context();
    expect(ctx.segments).toContain('recent-complainers');
    expect(suppressedOffers(activeSuppressions(shop, ctx))).toEqual(['*']);
    const after = decide(shop, 'hero', ctx, { ...state, visitor });
    expect(after).toMatchObject({ campaign: 'complaint-apology', control: false, content: { template: 'apology' } });
    expect(after.reason).toMatchObject({ segment: 'recent-complainers', priority: 100 });
    expect(after.reason.considered.find((c) => c.campaign === 'handbag-welcome')!.outcome).toBe('outranked');
    // handbag recs are promotional: blocked, the recs slot keeps its default content
    const recs = decide(shop, 'recs', ctx, { ...state, visitor });
    expect(recs.reason.suppressedBy).toEqual({ campaign: 'handbag-recs', suppression: 'recent-complaint' });
    expect(recs.campaign).toBeUndefined();
  });
});
