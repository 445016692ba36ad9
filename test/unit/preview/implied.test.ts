// A segment preview implies the labels its rule reads, so suppressions that read the same labels
// act as they would for a real member; when no value can satisfy the rule, the preview says so.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluatePersona } from '../../../src/preview/persona';
import type { MicrosegConfig } from '../../../src/config/types';

const shop = JSON.parse(readFileSync(join(import.meta.dirname, '../../../examples/shop.config.json'), 'utf8')) as MicrosegConfig;
const NOW = new Date(2026, 11, 3, 11, 0).getTime();
const base = { now: NOW, visitor: 'v1', visit: 1 };

/** A config whose only segment has `when` and whose suppression hides every offer while it holds. */
function withRule(when: Record<string, unknown>, suppress = when): MicrosegConfig {
  return {
    schema: 1, version: 't', metrics: { orders: { event: 'purchase', agg: 'count' } },
    segments: [{ id: 'flagged', when }, { id: 'everyone', fallback: true }],
    campaigns: [{ id: 'promo', slot: 'banner', segments: ['flagged', 'everyone'], content: { text: 'promo' } }],
    suppressions: [{ id: 'hide', when: suppress, offers: '*', campaigns: '*' }],
  } as MicrosegConfig;
}

describe('segment previews imply the labels their rules read', () => {
  it('recent-complainers: a recent complaint label, so every promotion is suppressed and the apology shows', () => {
    const r = evaluatePersona({ ...base, config: shop, persona: { blank: true, segments: ['recent-complainers'] } });
    expect(r.ctx.labels.complaint).toMatchObject({ ageDays: 0 });
    expect(r.impliedLabels.get('complaint')).toBe('recent-complainers');
    expect(r.unmetLabels).toEqual([]);
    expect(r.suppressions.map((s) => s.id)).toContain('recent-complaint');
    expect(r.view.offers()).toEqual(['*']);
    expect(r.decide('hero').campaign).toBe('complaint-apology');
    expect(r.decide('promo-banner').campaign).toBeUndefined();
  });

  it.each([
    ['a channel', { 'labels.complaint.channel': 'call-centre' }, { channel: 'call-centre' }],
    ['a value', { 'labels.tier.value': { $in: ['gold', 'platinum'] } }, { value: 'gold' }],
    ['an age above a bound', { 'labels.refund.ageDays': { $gt: 3, $lt: 10 } }, { ageDays: 4 }],
    ['a label in an $or', { $or: [{ 'labels.vip.value': true }, { 'metrics.orders': { $gte: 99 } }] }, { value: true }],
    ['age and channel together', { 'labels.returned.ageDays': { $lte: 30 }, 'labels.returned.channel': { $ne: 'web' }, 'metrics.orders': 0 }, { channel: expect.not.stringMatching(/^web$/) }],
  ])('%s', (_what, when, expected) => {
    const r = evaluatePersona({ ...base, config: withRule(when), persona: { blank: true, segments: ['flagged'] } });
    const [name] = [...r.impliedLabels.keys()];
    expect(r.impliedLabels.get(name!)).toBe('flagged');
    expect(r.ctx.labels[name!]).toMatchObject(expected);
    expect(r.unmetLabels).toEqual([]);
    expect(r.decide('banner').campaign).toBeUndefined(); // the suppression reads the same label
  });

  it('a rule that wants a label absent leaves it unset', () => {
    const r = evaluatePersona({ ...base, config: withRule({ 'labels.optout': { $exists: false } }, { 'labels.never': { $exists: true } }), persona: { blank: true, segments: ['flagged'] } });
    expect(r.ctx.labels.optout).toBeUndefined();
    expect(r.decide('banner').campaign).toBe('promo');
  });

  it('labels of the segments a forced segment names are implied too', () => {
    const config = withRule({ 'labels.complaint.ageDays': { $lt: 14 } });
    config.segments.unshift({ id: 'unhappy-regulars', when: { segments: 'flagged' } });
    const r = evaluatePersona({ ...base, config, persona: { blank: true, segments: ['unhappy-regulars'] } });
    expect(r.impliedLabels.get('complaint')).toBe('unhappy-regulars');
    expect(r.decide('banner').campaign).toBeUndefined();
  });

  it('says why when no label value satisfies the rule', () => {
    const r = evaluatePersona({ ...base, config: withRule({ 'labels.ghost.ageDays': { $lt: 0 } }), persona: { blank: true, segments: ['flagged'] } });
    expect(r.impliedLabels.size).toBe(0);
    expect(r.unmetLabels).toEqual([expect.stringContaining('flagged')]);
    expect(r.unmetLabels[0]).toContain('ghost');
  });

  it("the persona's own labels win: a label it clears stays cleared", () => {
    const r = evaluatePersona({ ...base, config: shop, persona: { blank: true, segments: ['recent-complainers'], labels: { complaint: false } } });
    expect(r.ctx.labels.complaint).toBeUndefined();
    expect(r.impliedLabels.size).toBe(0);
    expect(r.decide('hero').campaign).toBe('complaint-apology'); // forced, but nothing suppressed
    expect(r.view.offers()).toEqual([]);
  });

  it('rules that decide on their own imply nothing', () => {
    const r = evaluatePersona({ ...base, config: shop, persona: { blank: true } });
    expect(r.impliedLabels.size).toBe(0);
    expect(r.labelNames).toContain('complaint');
  });
});
