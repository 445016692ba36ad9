// The persona's page: forced segments and labels, overridden metrics and traits, another date,
// all on a private engine; the same decide() as the live page. And preview tokens.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine } from '../../../src/engine';
import { generateKeys } from '../../../src/config/keys';
import { atDate, evaluatePersona } from '../../../src/preview/persona';
import { signPreviewToken, verifyPreviewToken } from '../../../src/preview/token';
import type { MicrosegConfig } from '../../../src/config/types';

const shop = JSON.parse(readFileSync(join(import.meta.dirname, '../../../examples/shop.config.json'), 'utf8')) as MicrosegConfig;
const NOW = new Date(2026, 10, 23, 15, 0).getTime();
const base = { config: shop, now: NOW, visitor: 'v1', visit: 1 };

describe('evaluatePersona', () => {
  it('a new visitor today is in the fallback segment only and gets its campaigns', () => {
    const r = evaluatePersona({ ...base, persona: { blank: true } });
    expect(r.segments).toEqual(['everyone']);
    expect(r.date).toBe('2026-11-23');
    expect(r.decide('recs').campaign).toBe('bestseller-recs');
    expect(r.decide('promo-banner').campaign).toBeUndefined();
  });

  it('exact segments and a date pick that day’s campaign; hold-outs are noted, not hidden', () => {
    const early = evaluatePersona({ ...base, persona: { blank: true, segments: ['ski-prospects'], date: '2026-11-20' } });
    expect(early.segments).toEqual(['ski-prospects']);
    expect(early.ruled).toEqual(['everyone']);
    expect(early.explain('ski-prospects')).toMatchObject({ member: true, forced: true });
    expect(early.explain('everyone')).toMatchObject({ member: false, forced: true });
    expect(early.decide('promo-banner')).toMatchObject({ campaign: 'ski-early-bird', control: false, content: { data: { text: expect.stringContaining('Early-bird') } } });
    const bf = evaluatePersona({ ...base, persona: { blank: true, segments: ['ski-prospects'], date: '2026-11-28' } });
    expect(bf.decide('promo-banner').campaign).toBe('black-friday-banner');
    expect(new Date(bf.now).getHours()).toBe(15); // the same time of day, another date
  });

  it('metrics and traits overrides drive the rules, scores and segment-of-segment rules', () => {
    const r = evaluatePersona({ ...base, persona: { blank: true, metrics: { spend: 2500, orders: 4, orders_60d: 0 }, traits: { ltv: 900 } } });
    expect(r.ctx.scores.predicted_value).toBeGreaterThan(400);
    expect(r.segments).toContain('vip');
    expect(r.segments).not.toContain('high-value'); // $nor vip: settles on the second pass
    expect(r.explain('vip').clauses.every((c) => c.pass)).toBe(true);
  });

  it('a forced label suppresses offers and campaigns; false removes a label the visitor has', () => {
    const r = evaluatePersona({ ...base, persona: { blank: true, labels: { complaint: { ageDays: 3, channel: 'call-centre' } } } });
    expect(r.segments).toContain('recent-complainers');
    expect(r.view.offers()).toEqual(['*']);
    expect(r.decide('hero').campaign).toBe('complaint-apology');
    expect(r.ctx.labels.complaint).toMatchObject({ ageDays: 3, channel: 'call-centre' });
    expect(r.labelNames).toContain('complaint');

    const engine = createEngine(shop, { now: () => NOW });
    engine.setLabels({ complaint: { name: 'complaint', at: NOW - 86_400_000, channel: 'email' } });
    const state = engine.snapshot();
    expect(evaluatePersona({ ...base, state, persona: {} }).segments).toContain('recent-complainers');
    expect(evaluatePersona({ ...base, state, persona: { labels: { complaint: false } } }).segments).not.toContain('recent-complainers');
  });

  it('works on a copy: the state it was given is unchanged', () => {
    const engine = createEngine(shop, { now: () => NOW });
    const state = engine.snapshot();
    const before = JSON.stringify(state);
    evaluatePersona({ ...base, state, persona: { metrics: { orders: 9 }, date: '2026-12-24', labels: { vip: { value: true } } } });
    expect(JSON.stringify(state)).toBe(before);
  });

  it('atDate keeps the time of day and ignores what is not a date', () => {
    expect(new Date(atDate('2027-01-02', NOW)).toDateString()).toBe(new Date(2027, 0, 2).toDateString());
    expect(atDate('soon', NOW)).toBe(NOW);
    expect(atDate(undefined, NOW)).toBe(NOW);
  });
});

describe('preview tokens', () => {
  it('verify what the backend signed, and refuse another key, a changed payload, an expired token or junk', async () => {
    const keys = await generateKeys();
    const other = await generateKeys();
    const persona = { segments: ['vip'], date: '2026-12-01' };
    const token = await signPreviewToken(persona, keys.privatePem, { now: NOW, ttl: 60_000 });
    await expect(verifyPreviewToken(token, keys.publicJwk, NOW + 1000)).resolves.toEqual({ persona, exp: NOW + 60_000 });
    await expect(verifyPreviewToken(token, keys.publicJwk, NOW + 60_000)).rejects.toMatchObject({ code: 'preview-token-expired' });
    await expect(verifyPreviewToken(token, other.publicJwk, NOW)).rejects.toMatchObject({ code: 'preview-token-invalid' });
    const [, sig] = token.split('.');
    const swapped = `${Buffer.from(JSON.stringify({ persona: { segments: ['everyone'] }, exp: NOW + 60_000 })).toString('base64url')}.${sig}`;
    await expect(verifyPreviewToken(swapped, keys.publicJwk, NOW)).rejects.toMatchObject({ code: 'preview-token-invalid' });
    for (const junk of ['', 'abc', 'a.b.c', '%%%.###']) await expect(verifyPreviewToken(junk, keys.publicJwk, NOW)).rejects.toMatchObject({ code: 'preview-token-invalid' });
    expect(token).not.toMatch(/[+/=]/); // URL-safe as it is
  });
});
