// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { evaluate, handoverScript } from '../../../src/server';
import { defineConfig } from '../../../src';

const config = defineConfig({
  schema: 1,
  version: 'server-1',
  segments: [
    { id: 'from-email', when: { 'profile.channel': 'email' } },
    { id: 'mobile-vip', when: { 'profile.device': 'mobile', 'traits.tier': 'vip' } },
    { id: 'complainers', when: { 'labels.complaint.ageDays': { $lt: 14 } } },
    { id: 'everyone', fallback: true },
  ],
  campaigns: [
    { id: 'vip', slot: 'hero', segments: ['mobile-vip'], priority: 20, content: { text: 'For you, VIP' } },
    { id: 'email-welcome', slot: 'hero', segments: ['from-email'], priority: 10, content: { template: 'welcome', data: { code: 'MAIL10' } } },
    { id: 'sale', slot: 'banner', segments: ['from-email', 'everyone'], content: { text: 'Sale </script><script>alert(1)</script>' } },
  ],
  suppressions: [{ id: 'quiet', when: { 'labels.complaint.ageDays': { $lt: 14 } }, offers: '*' }],
});
const NOW = new Date(2026, 10, 23, 12).getTime();
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148';

describe('microseg/server', () => {
  it('runs without a DOM', () => {
    expect(typeof (globalThis as { document?: unknown }).document).toBe('undefined');
  });

  it('decides a first visit from the request: channel from utm, device from the user agent', () => {
    const r = evaluate(config, { url: 'https://shop.example/?utm_medium=email&utm_source=news', now: NOW });
    expect(r.segments).toEqual(['from-email']);
    expect(r.decisions.hero).toMatchObject({ campaign: 'email-welcome', content: { template: 'welcome' } });
    expect(r.decisions.banner.campaign).toBe('sale');
    expect(r.explain('from-email')).toMatchObject({ member: true, clauses: [{ path: 'profile.channel', actual: 'email', pass: true }] });
    expect(evaluate(config, { now: NOW }).segments).toEqual(['everyone']);
  });

  it('a verified user\'s traits and labels count', () => {
    const vip = evaluate(config, { userAgent: IPHONE, userId: 'u1', traits: { tier: 'vip' }, now: NOW });
    expect(vip.context.profile.device).toBe('mobile');
    expect(vip.decide('hero').campaign).toBe('vip');
    const upset = evaluate(config, { labels: [{ name: 'complaint', at: NOW - 86_400_000, channel: 'call-centre' }], now: NOW });
    expect(upset.segments).toContain('complainers');
    expect(upset.suppressedOffers).toEqual(['*']);
    expect(upset.handover.o).toEqual(['*']);
  });

  it('hands over decisions as JSON that cannot end its script element', () => {
    const r = evaluate(config, { url: 'https://shop.example/?utm_medium=email', now: NOW });
    expect(r.handover).toEqual({
      v: 1, version: 'server-1', at: NOW, o: [],
      d: { hero: { c: 'email-welcome', content: { template: 'welcome', data: { code: 'MAIL10' } } }, banner: { c: 'sale', content: { text: 'Sale </script><script>alert(1)</script>' } } },
    });
    const html = handoverScript(r);
    expect(html.startsWith('<script type="application/json" data-microseg-decisions>')).toBe(true);
    expect(html.match(/<\/script>/g)).toHaveLength(1);
    expect(JSON.parse(html.slice(html.indexOf('>') + 1, html.lastIndexOf('</script>')))).toEqual(r.handover);
  });

  it('hold-out groups hash the same id as the SDK: the user id, else the anonymous id', () => {
    const held = { ...config, campaigns: [{ id: 'half', slot: 'hero', segments: ['everyone'], holdout: 0.5, content: { text: 'x' } }] };
    const groups = new Set<boolean>();
    for (let i = 0; i < 40; i++) groups.add(evaluate(held, { userId: `user-${i}`, now: NOW }).decisions.hero.control);
    expect([...groups].sort()).toEqual([false, true]);
    expect(evaluate(held, { userId: 'user-7', now: NOW }).decisions.hero.control).toBe(evaluate(held, { userId: 'user-7', now: NOW + 1 }).decisions.hero.control);
  });
});
