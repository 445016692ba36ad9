// @vitest-environment node
import { existsSync, readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../../../demo/shop/pages';
import { startTestServer } from './helpers';

let server: Awaited<ReturnType<typeof startTestServer>>;
// Starting PGlite takes seconds, more on a busy machine.
beforeAll(async () => {
  server = await startTestServer();
}, 60_000);
afterAll(() => server?.close(), 30_000);

const page = async (path: string) => {
  const res = await fetch(server.url + path);
  expect(res.status, path).toBe(200);
  return res.text();
};

/** Runs the page's inline dataLayer scripts as a browser would, and returns what they pushed. */
function dataLayerOf(html: string): unknown[] {
  const window: Record<string, unknown> = {};
  window.window = window;
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]).filter((s) => /dataLayer|gtag\(/.test(s) && !s.includes('microseg'));
  for (const code of scripts) runInNewContext(code, window);
  return (window.dataLayer as unknown[]).map((entry) =>
    Object.prototype.toString.call(entry) === '[object Arguments]' ? ['gtag', ...Array.from(entry as ArrayLike<unknown>)] : entry,
  );
}

const SHOP_PAGES = ['/', '/c/handbags', '/c/shoes', '/c/ski', '/p/hb-alma', '/cart', '/checkout', '/checkout/complete'];

describe('the shop pages', () => {
  it('has a dozen products in three categories', () => {
    expect(catalog.products.length).toBeGreaterThanOrEqual(12);
    expect(catalog.categories.map((c) => c.id)).toEqual(['handbags', 'shoes', 'ski']);
    for (const p of catalog.products) expect(p.price).toBeGreaterThan(0);
  });

  it('every page carries the snippet inline in <head>, the init call and the promo-banner slot', async () => {
    const snippetPath = new URL('../../../dist/snippet.min.js', import.meta.url);
    for (const path of SHOP_PAGES) {
      const html = await page(path);
      const head = html.slice(0, html.indexOf('</head>'));
      if (existsSync(snippetPath)) expect(head).toContain(readFileSync(snippetPath, 'utf8').trim().slice(0, 200));
      else expect(head).toContain('<!-- microseg: dist/snippet.min.js is not built yet');
      if (existsSync(snippetPath)) {
        expect(head).toContain(
          "microseg.init({ configUrl: '/api/config', labelsUrl: '/api/labels', labelsSse: '/api/labels/stream', collectUrl: '/api/collect', sse: '/api/config/stream', dataLayer: true, previewKey: {\"kty\":\"EC\",\"crv\":\"P-256\",",
        );
      }
      expect(head).not.toContain('<script src="/dist/snippet.min.js"');
      expect(head.indexOf('window.dataLayer = window.dataLayer || []')).toBeGreaterThan(0);
      expect(html).toContain('data-microseg-slot="promo-banner"');
      expect(html).toContain('data-microseg-offer="free-returns"');
      expect(html).toMatch(/<template data-microseg-template="welcome-handbags">[\s\S]*data-microseg-text="code"[\s\S]*data-microseg-attr="href:url"/);
    }
  });

  it('marks the hero, recs and checkout-upsell slots where they belong', async () => {
    expect(await page('/')).toContain('data-microseg-slot="hero"');
    expect(await page('/p/sh-opera')).toContain('data-microseg-slot="recs"');
    expect(await page('/checkout')).toContain('data-microseg-slot="checkout-upsell"');
    expect(await page('/c/ski')).toContain('data-microseg-offer="ski-bundle"');
  });

  it('the product page pushes view_item in the GTM form, after an ecommerce reset', async () => {
    const pushes = dataLayerOf(await page('/p/hb-alma'));
    expect(pushes).toEqual([
      { ecommerce: null },
      {
        event: 'view_item',
        ecommerce: {
          currency: 'EUR',
          value: 420,
          items: [expect.objectContaining({ item_id: 'hb-alma', item_name: 'Alma Leather Tote', item_category: 'handbags', price: 420, quantity: 1 })],
        },
      },
    ]);
  });

  it('category pages push view_item_list with every product of the category', async () => {
    const pushes = dataLayerOf(await page('/c/shoes')) as Array<{ event?: string; ecommerce?: { items: Array<{ item_category: string }> } }>;
    const list = pushes.find((p) => p.event === 'view_item_list')!;
    expect(list.ecommerce!.items).toHaveLength(catalog.products.filter((p) => p.category === 'shoes').length);
    expect(new Set(list.ecommerce!.items.map((i) => i.item_category))).toEqual(new Set(['shoes']));
  });

  it('the home page uses the gtag form: view_promotion and view_item_list as arguments objects', async () => {
    const pushes = dataLayerOf(await page('/')) as unknown[][];
    expect(pushes.map((p) => p.slice(0, 3).filter((x) => typeof x === 'string'))).toEqual([
      ['gtag', 'event', 'view_promotion'],
      ['gtag', 'event', 'view_item_list'],
    ]);
    expect(pushes[0][3]).toMatchObject({ items: [expect.objectContaining({ promotion_id: 'aw26-hero' }), expect.objectContaining({ promotion_id: 'free-returns' })] });
  });

  it('has every template and offer the demo config names, and the pages its links point to', async () => {
    const configUrl = new URL('../../../examples/shop.config.json', import.meta.url);
    if (!existsSync(configUrl)) return;
    const demoConfig = JSON.parse(readFileSync(configUrl, 'utf8')) as {
      campaigns?: Array<{ slot: string; content: { template?: string; data?: Record<string, unknown>; attributes?: Record<string, string> } }>;
      suppressions?: Array<{ offers?: string[] | '*' }>;
    };
    const pages = (await Promise.all(['/', '/p/hb-alma', '/checkout', '/c/ski'].map(page))).join('\n');
    for (const campaign of demoConfig.campaigns ?? []) {
      expect(pages, `slot ${campaign.slot}`).toContain(`data-microseg-slot="${campaign.slot}"`);
      if (campaign.content.template) expect(pages, `template ${campaign.content.template}`).toContain(`data-microseg-template="${campaign.content.template}"`);
      const links = [campaign.content.attributes?.href, campaign.content.data?.href, campaign.content.data?.url, campaign.content.data?.contact];
      for (const link of links) {
        if (typeof link === 'string' && link.startsWith('/')) expect((await fetch(server.url + link)).status, link).toBe(200);
      }
    }
    for (const suppression of demoConfig.suppressions ?? []) {
      if (Array.isArray(suppression.offers)) for (const offer of suppression.offers) expect(pages, `offer ${offer}`).toContain(`data-microseg-offer="${offer}"`);
    }
  });

  it('answers 404 for an unknown product or category, still as a shop page', async () => {
    for (const path of ['/p/nope', '/c/nope', '/nowhere']) {
      const res = await fetch(server.url + path);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('data-microseg-slot="promo-banner"');
    }
  });

  it('serves the shop script that pushes the interaction and checkout events', async () => {
    const js = await page('/assets/shop.js');
    for (const event of ['add_to_cart', 'remove_from_cart', 'view_cart', 'begin_checkout', 'purchase', 'select_item', 'select_promotion']) {
      expect(js).toContain(`'${event}'`);
    }
    expect(js).toContain('transaction_id');
  });
});

describe('the console', () => {
  it('is served at /console with the admin token injected for a local browser', async () => {
    const html = await page('/console');
    expect(html).toContain('<meta name="microseg-admin-token" content="test-admin-token">');
    expect(html).toContain('data-label-form');
    expect(html).toContain('id="matrix"');
    expect(html).toContain('id="report"');
  });
});
