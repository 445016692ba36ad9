import { describe, expect, it } from 'vitest';
import { storedEvents, watchedPage } from './harness';
import { useDemo } from './demo-support';

const env = useDemo();

describe('the demo shop', () => {
  it("its GA4 dataLayer pushes arrive as microseg events with their items and values", async () => {
    const context = await env.browser.newContext();
    const w = await watchedPage(context);
    const ready = () => w.page.evaluate(() => (window as any).microseg.ready);

    await w.page.goto(env.demo.url + '/p/hb-alma');
    await ready();
    await w.page.locator('.product-info [data-add-to-cart]').first().click();
    await w.page.goto(env.demo.url + '/checkout');
    await ready();
    const form = w.page.locator('[data-checkout-form]');
    await form.locator('[name=name]').fill('A. Visitor');
    await form.locator('[name=address]').fill('1 Demo Street');
    await form.locator('[name=city]').fill('Lyon');
    await form.locator('button[type=submit]').click();
    await w.page.waitForURL('**/checkout/complete');
    await ready();
    await w.page.evaluate(() => (window as any).microseg.flush());

    const events = (await storedEvents(w.page)).sort((a, b) => a.ts - b.ts || a.seq - b.seq);
    const byType = (type: string) => events.filter((e) => e.type === type);
    expect(byType('view_item')).toHaveLength(1);
    expect(byType('view_item')[0]!.props).toMatchObject({
      currency: 'EUR', value: 420, items: [{ item_id: 'hb-alma', item_category: 'handbags', price: 420 }],
    });
    expect(byType('add_to_cart')[0]!.props).toMatchObject({ value: 420, items: [{ item_id: 'hb-alma' }] });
    expect(byType('begin_checkout')[0]!.props).toMatchObject({ value: 420 });
    const [purchase] = byType('purchase');
    expect(purchase!.props).toMatchObject({ currency: 'EUR', value: 420, items: [{ item_id: 'hb-alma', item_category: 'handbags' }] });
    expect(String(purchase!.props.transaction_id)).toMatch(/^MD-/);
    // Every page view was recorded too, and no page saw an uncaught error.
    expect(byType('page').length).toBeGreaterThanOrEqual(3);
    expect(w.errors).toEqual([]);
    await context.close();
  });
});
