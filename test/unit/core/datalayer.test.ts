import { afterEach, describe, expect, it } from 'vitest';
import { createMicroseg, type TrackedEvent } from '../../../src';

declare global {
  interface Window { dataLayer?: unknown[]; gtag?: (...args: unknown[]) => void }
}

function start() {
  const ms = createMicroseg({ autoPage: false, consent: 'denied', dataLayer: true });
  const events: TrackedEvent[] = [];
  ms.on('track', (e) => events.push(e));
  return { ms, events };
}

afterEach(() => {
  delete window.dataLayer;
  delete window.gtag;
});

describe('GA4 / Google Tag Manager dataLayer', () => {
  it('reads entries already there once, then every later push, in GTM object form', () => {
    window.dataLayer = [
      { 'gtm.start': 1, event: 'gtm.js' },
      { ecommerce: null },
      { event: 'view_item', ecommerce: { currency: 'EUR', value: 320, items: [{ item_id: 'b1', item_category: 'handbags', price: 320 }] } },
    ];
    const ms = createMicroseg({ autoPage: false, consent: 'denied', dataLayer: true });
    const events: TrackedEvent[] = [];
    ms.on('track', (e) => events.push(e));
    // Entries before start were read during createMicroseg: count them through the profile of the store-less run.
    window.dataLayer.push({ ecommerce: null });
    const ret = window.dataLayer.push({ event: 'purchase', ecommerce: { transaction_id: 'T1', value: 320, currency: 'EUR', items: [{ item_id: 'b1' }] } });
    expect(ret).toBe(5);
    expect(events.map((e) => e.type)).toEqual(['purchase']);
    expect(events[0]!.props).toMatchObject({ transaction_id: 'T1', value: 320, currency: 'EUR', items: [{ item_id: 'b1' }] });
    ms.destroy();
  });

  it('keeps the ecommerce object until a reset, as GTM does', () => {
    const { ms, events } = start();
    window.dataLayer!.push({ event: 'view_item_list', ecommerce: { item_list_name: 'Handbags', items: [{ item_id: 'b1' }] } });
    window.dataLayer!.push({ event: 'select_item' }); // no ecommerce of its own: GTM still has the last one
    window.dataLayer!.push({ ecommerce: null });
    window.dataLayer!.push({ event: 'login', method: 'email' });
    expect(events.map((e) => [e.type, e.props])).toEqual([
      ['view_item_list', { item_list_name: 'Handbags', items: [{ item_id: 'b1' }] }],
      ['select_item', { item_list_name: 'Handbags', items: [{ item_id: 'b1' }] }],
      ['login', { method: 'email' }],
    ]);
    ms.destroy();
  });

  it("reads gtag's arguments objects and ignores config/set commands and page_view", () => {
    const { ms, events } = start();
    window.gtag = function gtag() {
      // eslint-disable-next-line prefer-rest-params
      window.dataLayer!.push(arguments);
    };
    window.gtag('js', new Date());
    window.gtag('config', 'G-XXXX');
    window.gtag('event', 'page_view');
    window.gtag('event', 'add_to_cart', { currency: 'EUR', value: 89, items: [{ item_id: 's1', item_category: 'shoes' }] });
    expect(events.map((e) => e.type)).toEqual(['add_to_cart']);
    expect(events[0]!.props).toEqual({ currency: 'EUR', value: 89, items: [{ item_id: 's1', item_category: 'shoes' }] });
    ms.destroy();
  });

  it('chains with a push that another tag wrapped before us, and unwraps on destroy', () => {
    const calls: unknown[] = [];
    window.dataLayer = [];
    const native = window.dataLayer.push;
    window.dataLayer.push = function (...args: unknown[]) {
      calls.push(...args);
      return native.apply(this, args);
    };
    const { ms, events } = start();
    window.dataLayer.push({ event: 'sign_up' });
    expect(calls).toHaveLength(1);
    expect(events).toHaveLength(1);
    ms.destroy();
    window.dataLayer.push({ event: 'sign_up' });
    expect(calls).toHaveLength(2);
    expect(events).toHaveLength(1);
  });

  it('creates the dataLayer when the site has none, and survives junk entries', () => {
    const { ms, events } = start();
    expect(Array.isArray(window.dataLayer)).toBe(true);
    window.dataLayer!.push(null, 42, 'x', { event: 42 }, { event: 'ok' });
    expect(events.map((e) => e.type)).toEqual(['ok']);
    ms.destroy();
  });
});
