import { afterEach, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { createMicroseg } from '../../../src';
import { decisionsOf } from '../../../src/decide/runtime';

const shop = JSON.parse(readFileSync('examples/shop.config.json', 'utf8'));
// The cap tests below give the free-shipping banner a once-per-visit cap.
shop.campaigns.find((c: { id: string }) => c.id === 'free-shipping').caps = { perVisit: 1, total: 5 };
const HOUR = 3_600_000;
const NOV23 = new Date(2026, 10, 23, 12).getTime();
const handbag = { items: [{ item_id: 'b1', item_category: 'handbags' }] };
const cartAdd = { value: 10, items: [{ item_id: 'b1', item_category: 'handbags' }] };

afterEach(() => vi.useRealTimers());

describe('decisions inside the SDK', () => {
  it('decide() is a query; exposures and clicks recorded by the renderer feed caps and campaigns.<id>', async () => {
    let t = NOV23;
    const ms = createMicroseg({ config: shop, now: () => t, autoPage: false, dbName: 'decide-1' });
    await ms.ready;
    const tracked: Array<{ type: string; props: Record<string, unknown> }> = [];
    ms.on('track', (e) => tracked.push(e));
    ms.track('add_to_cart', cartAdd);
    const d = ms.decide('promo-banner');
    expect(d.campaign).toBe('free-shipping');
    expect(ms.decide('promo-banner')).toEqual(d);
    expect(tracked.map((e) => e.type)).toEqual(['add_to_cart']); // deciding recorded nothing

    const rt = decisionsOf(ms)!;
    expect(rt.recordExposure(d)).toBe(true);
    expect(rt.recordExposure(d)).toBe(false); // same page view
    expect(tracked.at(-1)).toMatchObject({ type: '$exposure' });
    expect(tracked.at(-1)!.props).toEqual({ campaign: 'free-shipping', slot: 'promo-banner', control: d.control });
    if (!d.control) {
      expect(rt.recordClick(d)).toBe(true);
      expect(tracked.at(-1)).toMatchObject({ type: '$click', props: { campaign: 'free-shipping' } });
    }
    // still on screen in this view: not capped yet
    expect(ms.decide('promo-banner').campaign).toBe('free-shipping');
    // a new page view in the same visit: perVisit 1 is used up, and its 2-day period keeps other banners out
    t += 1000;
    ms.page();
    const next = ms.decide('promo-banner');
    expect(next.campaign).toBeUndefined();
    expect(next.reason.capped).toEqual({ campaign: 'free-shipping', cap: 'perVisit', limit: 1 });
    await ms.flush();
    ms.destroy();

    // the next page (a new visit, hours later) remembers the history
    t += 3 * HOUR;
    const again = createMicroseg({ config: shop, now: () => t, autoPage: false, dbName: 'decide-1' });
    await again.ready;
    again.page(); // the first page view of a new visit
    expect(again.decide('promo-banner').campaign).toBe('free-shipping');
    expect(decisionsOf(again)!.history()['free-shipping']).toMatchObject({ total: 1, visitCount: 1 });
    again.destroy();
  });

  it('recorded exposures and clicks feed campaigns.<id> in segment rules; control exposures do not', async () => {
    const config = structuredClone(shop);
    config.campaigns.find((c: { id: string }) => c.id === 'handbag-welcome').holdout = 0;
    const ms = createMicroseg({ config, now: () => NOV23, autoPage: false });
    await ms.ready;
    ms.track('view_item', handbag);
    const d = ms.decide('hero');
    expect(d).toMatchObject({ campaign: 'handbag-welcome', control: false });
    const rt = decisionsOf(ms)!;
    rt.recordExposure(d);
    rt.recordClick(d);
    const clause = (path: string) => ms.explain('email-responders')!.clauses.find((c) => c.path === path);
    expect(clause('campaigns.handbag-welcome.clicks')).toMatchObject({ actual: 1, pass: true });
    expect(rt.recordClick({ ...d, control: true })).toBe(false); // control saw the default content
    rt.recordExposure({ ...ms.decide('recs'), control: true });
    expect(rt.history()['handbag-recs']).toMatchObject({ total: 1, control: true });
    ms.destroy();
  });

  it('counts exposures another tab recorded, without taking a campaign off this tab’s screen', async () => {
    let t = NOV23;
    const ms = createMicroseg({ config: shop, now: () => t, autoPage: false });
    await ms.ready;
    ms.track('add_to_cart', cartAdd);
    const d = ms.decide('promo-banner');
    const rt = decisionsOf(ms)!;
    rt.recordExposure(d);
    const fromOtherTab = { id: 'other-1', type: '$exposure', ts: t, visit: ms.profile().visits, props: { campaign: 'free-shipping', slot: 'promo-banner', control: d.control } };
    rt.observe(fromOtherTab);
    rt.observe(fromOtherTab); // the same message twice counts once
    expect(rt.history()['free-shipping']).toMatchObject({ total: 2, visitCount: 2 });
    expect(ms.decide('promo-banner').campaign).toBe('free-shipping'); // still on screen here
    t += 1000;
    ms.page();
    expect(ms.decide('promo-banner').reason.capped).toMatchObject({ campaign: 'free-shipping', cap: 'perVisit' });
    ms.destroy();
  });

  it('a decision event fires when a slot’s decision changes, not on every event', async () => {
    const ms = createMicroseg({ config: shop, now: () => NOV23, autoPage: false });
    await ms.ready;
    const seen: string[] = [];
    ms.on('decision', (d) => seen.push(`${d.slot}:${d.campaign ?? '-'}`));
    ms.track('view_item', handbag);
    await Promise.resolve();
    const heroes = () => seen.filter((s) => s.startsWith('hero:'));
    expect(heroes()).toEqual(['hero:handbag-welcome']);
    ms.track('view_item', handbag);
    ms.track('view_item', handbag);
    await Promise.resolve();
    expect(heroes()).toEqual(['hero:handbag-welcome']);
    ms.label('complaint', { channel: 'call-centre' });
    await Promise.resolve();
    expect(heroes()).toEqual(['hero:handbag-welcome', 'hero:complaint-apology']);
    ms.destroy();
  });

  it('hides suppressed offers in the page and restores them, including offers added later', async () => {
    document.body.innerHTML = `<p data-microseg-offer="spring-sale" class="x">sale</p><p data-microseg-offer="free-shipping" hidden>fs</p>`;
    const ms = createMicroseg({ config: shop, autoPage: false });
    await ms.ready;
    const [sale, fs] = [...document.querySelectorAll<HTMLElement>('[data-microseg-offer]')];
    ms.label('complaint', { channel: 'call-centre' });
    await Promise.resolve();
    expect(sale!.hidden).toBe(true);
    expect(sale!.getAttribute('data-microseg-state')).toBe('suppressed');
    const late = document.createElement('div');
    late.innerHTML = '<span data-microseg-offer="ski-bundle">ski</span>';
    document.body.append(late);
    await new Promise((r) => setTimeout(r, 0));
    expect(late.firstElementChild!.getAttribute('data-microseg-state')).toBe('suppressed');
    ms.unlabel('complaint');
    await Promise.resolve();
    expect(sale!.hidden).toBe(false);
    expect(sale!.hasAttribute('data-microseg-state')).toBe(false);
    expect(sale!.hasAttribute('style')).toBe(false);
    expect(fs!.hidden).toBe(true); // it was hidden by the page itself
    expect((late.firstElementChild as HTMLElement).hidden).toBe(false);
    ms.destroy();
    document.body.innerHTML = '';
  });
});
