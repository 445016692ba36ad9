// The demo's flows, walked in Chromium as a visitor and as a marketer, each checked against what
// the README promises and photographed into test-results/ (demo-*.png).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { ROOT, watchedPage } from './harness';
import { openConsole, useDemo } from './demo-support';
import { campaignMatrix } from '../../src/config/matrix';
import { holdoutBucket } from '../../src/decide/hash';
import type { MicrosegConfig } from '../../src/config/types';

const env = useDemo();
const SHOTS = join(ROOT, 'test-results');
mkdirSync(SHOTS, { recursive: true });
const config = JSON.parse(readFileSync(join(ROOT, 'examples/shop.config.json'), 'utf8')) as MicrosegConfig;

/** The visitor flows happen on one December morning, whatever day the tests run. */
const VISIT_DAY = '2026-12-03';
const VISIT_TIME = new Date(2026, 11, 3, 11, 0);
/** The marketer's plan is looked at from the first of December, for two weeks. */
const PLAN_FROM = '2026-12-01';

const ready = (page: Page) => page.evaluate(() => (window as any).microseg.ready);
const segmentsOf = (page: Page): Promise<string[]> => page.evaluate(() => (window as any).microseg.segments());
const campaignIn = (page: Page, slot: string) => page.locator(`[data-microseg-slot="${slot}"]`).getAttribute('data-microseg-campaign');
const waitForCampaign = (page: Page, slot: string, campaign: string | null) =>
  page.waitForFunction(
    ([s, c]) => document.querySelector(`[data-microseg-slot="${s}"]`)?.getAttribute('data-microseg-campaign') === c,
    [slot, campaign] as const,
  );
const waitForSegment = (page: Page, id: string) => page.waitForFunction((s) => (window as any).microseg.segments().includes(s), id);

/**
 * A new visitor on the visit day, landed on the home page. Hold-out groups are real (a stable
 * share of visitors sees the default instead): the flows show the treated experience, so a
 * visitor who would be held out of one of `campaigns` is set aside for a fresh one.
 */
async function newVisitor(campaigns: string[]): Promise<{ context: BrowserContext; page: Page; aid: string }> {
  for (;;) {
    const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.clock.setFixedTime(VISIT_TIME);
    const { page } = await watchedPage(context);
    await page.goto(env.demo.url + '/');
    await ready(page);
    const aid: string = await page.evaluate(() => (window as any).microseg.profile().anonymousId);
    const heldOut = campaigns.some((id) => holdoutBucket(aid, id) < (config.campaigns!.find((c) => c.id === id)!.holdout ?? 0));
    if (!heldOut) return { context, page, aid };
    await context.close();
  }
}

const catalog = JSON.parse(readFileSync(join(ROOT, 'demo/shop/catalog.json'), 'utf8')) as { products: Array<{ id: string; color: string }> };
/** A product's catalog colour as the browser reports a computed fill ("rgb(160, 82, 45)"). */
function productFill(id: string | null): string {
  const hex = catalog.products.find((p) => p.id === id)!.color.slice(1);
  return `rgb(${[0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
}

/** The recommendation cards a visitor can see in the recs slot, with the colours their drawings are painted in. */
async function visibleRecs(page: Page) {
  const cards = await page.locator('[data-microseg-slot=recs] .product-card').evaluateAll((els) =>
    els
      .filter((c) => (c as HTMLElement).offsetParent !== null)
      .map((c) => {
        const svg = c.querySelector('svg');
        return {
          product: c.getAttribute('data-product') ?? c.getAttribute('href')!.replace('/p/', ''),
          category: c.getAttribute('data-category'),
          fills: [...(svg?.querySelectorAll('path, rect, circle') ?? [])].map((shape) => getComputedStyle(shape).fill),
          width: svg?.getBoundingClientRect().width ?? 0,
        };
      }),
  );
  // Drawn in the product's own colour, as in the default strip (not in the text colour).
  return cards.map((card) => ({ ...card, inItsColour: card.fills.includes(productFill(card.product)) }));
}

/** The recs slot shows `campaign`: at least three other products of `category`, drawn in their colours. */
async function expectRecs(page: Page, campaign: string, category: string, viewed: string): Promise<void> {
  await waitForCampaign(page, 'recs', campaign);
  const recs = await visibleRecs(page);
  expect(recs.length).toBeGreaterThanOrEqual(3);
  for (const card of recs) {
    expect(card.category).toBe(category);
    expect(card.product).not.toBe(viewed); // not the product being viewed
    expect(card.inItsColour).toBe(true);
    expect(card.width).toBeGreaterThan(100);
  }
}

describe('the demo, as a visitor', () => {
  it('a new visitor who browses handbags gets handbag recommendations, then the handbag welcome', async () => {
    const { context, page } = await newVisitor(['handbag-welcome']);
    // The first page: the home page's mixed featured list makes nobody a ski prospect.
    expect(await segmentsOf(page)).toEqual(['everyone']);
    expect(await campaignIn(page, 'hero')).not.toMatch(/^ski-/);
    await page.screenshot({ path: join(SHOTS, 'demo-visitor-first-page.png') });

    await page.goto(env.demo.url + '/c/handbags');
    await page.goto(env.demo.url + '/p/hb-alma');
    await ready(page);
    await waitForSegment(page, 'new-handbag-browsers');
    expect(await segmentsOf(page)).not.toContain('ski-prospects');
    await expectRecs(page, 'handbag-recs', 'handbags', 'hb-alma');
    await page.locator('[data-microseg-slot=recs]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'demo-handbag-recs.png') });

    await page.goto(env.demo.url + '/');
    await ready(page);
    await waitForCampaign(page, 'hero', 'handbag-welcome');
    await expect.poll(() => page.locator('[data-microseg-slot=hero] h1').textContent()).toContain('Your first handbag, 10% off');
    await page.screenshot({ path: join(SHOTS, 'demo-handbag-welcome.png') });
    await context.close();
  });

  it('a visitor who browses ski gets ski content: the season hero, ski recommendations, the early-bird banner', async () => {
    const { context, page } = await newVisitor(['ski-season-launch', 'ski-early-bird']);
    await page.goto(env.demo.url + '/c/ski');
    await page.goto(env.demo.url + '/p/sk-chamonix');
    await ready(page);
    await waitForSegment(page, 'ski-prospects');
    expect(await segmentsOf(page)).not.toContain('new-handbag-browsers');
    await expectRecs(page, 'ski-recs', 'ski', 'sk-chamonix');

    await page.goto(env.demo.url + '/');
    await ready(page);
    await waitForCampaign(page, 'hero', 'ski-season-launch');
    await waitForCampaign(page, 'promo-banner', 'ski-early-bird');
    expect(await page.locator('[data-microseg-slot=hero] h1').textContent()).toContain('ski season');
    await page.screenshot({ path: join(SHOTS, 'demo-ski-home.png') });
    await context.close();
  });

  it('a complaint label from the call-centre: the apology hero, every promotion hidden, live', async () => {
    const { context, page, aid } = await newVisitor(['handbag-welcome']);
    await page.goto(env.demo.url + '/p/hb-alma');
    await ready(page);
    await waitForSegment(page, 'new-handbag-browsers');
    await page.goto(env.demo.url + '/');
    await ready(page);
    await waitForCampaign(page, 'hero', 'handbag-welcome');
    expect(await page.locator('[data-microseg-offer]:visible').count()).toBeGreaterThan(0);

    const res = await fetch(`${env.demo.url}/api/labels`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.demo.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ uid: aid, name: 'complaint', channel: 'call-centre', ttlDays: 30 }),
    });
    expect(res.status).toBe(201);
    await waitForCampaign(page, 'hero', 'complaint-apology');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-microseg-offer]')].every((o) => (o as HTMLElement).offsetParent === null));
    expect(await campaignIn(page, 'promo-banner')).toBeNull();
    expect(await page.locator('[data-microseg-slot=hero] h1').textContent()).toContain("We're sorry");
    await page.screenshot({ path: join(SHOTS, 'demo-complaint-live.png') });

    // And on the next page, from the first frame.
    await page.goto(env.demo.url + '/p/hb-rivoli');
    await ready(page);
    await page.waitForFunction(() => [...document.querySelectorAll('[data-microseg-offer]')].every((o) => (o as HTMLElement).offsetParent === null));
    expect(await campaignIn(page, 'promo-banner')).toBeNull();
    await context.close();
  });

  it('a cart abandoner keeps the free-shipping banner from page to page; no spring sale in December', async () => {
    const { context, page } = await newVisitor(['free-shipping']);
    await page.goto(env.demo.url + '/p/hb-marais');
    await ready(page);
    await page.locator('.product-info [data-add-to-cart]').click();
    await waitForSegment(page, 'cart-abandoners');
    await waitForCampaign(page, 'promo-banner', 'free-shipping');
    for (const path of ['/', '/c/shoes', '/p/sh-canal', '/cart', '/']) {
      await page.goto(env.demo.url + path);
      await ready(page);
      await waitForCampaign(page, 'promo-banner', 'free-shipping');
      const banner = await page.locator('[data-microseg-slot=promo-banner]').innerText();
      expect(banner).toContain('ships free');
      expect(banner).not.toMatch(/spring/i);
    }
    await page.screenshot({ path: join(SHOTS, 'demo-free-shipping.png') });
    await context.close();
  });
});

describe('the demo, as a marketer', () => {
  it('the matrix over the next two weeks changes by date, and nothing in it is out of season', async () => {
    const plan = campaignMatrix(config, { from: PLAN_FROM, days: 14 });
    const changes = (segment: string, slot: string) => new Set(plan.rows.find((r) => r.segment === segment)!.slots[slot]!.map((c) => c?.campaign ?? null)).size;
    expect(changes('everyone', 'hero')).toBeGreaterThan(1);
    expect(changes('ski-prospects', 'hero')).toBeGreaterThan(1);
    expect(changes('ski-prospects', 'promo-banner')).toBeGreaterThan(1);
    expect(changes('everyone', 'promo-banner')).toBeGreaterThan(1);
    const december = plan.rows.flatMap((r) => Object.values(r.slots).flat()).map((c) => c?.campaign ?? '');
    expect(december.filter((c) => /spring|summer|black-friday/.test(c))).toEqual([]);

    // The console draws it: the two weeks from the first of December.
    const context = await env.browser.newContext({ viewport: { width: 1600, height: 1100 } });
    await context.route(/\/api\/matrix\?/, (route) => {
      const url = new URL(route.request().url());
      url.searchParams.set('from', PLAN_FROM);
      return route.continue({ url: url.toString() });
    });
    const { page } = await watchedPage(context);
    await openConsole(page, env.demo);
    const matrix = page.locator('[data-matrix]');
    await matrix.locator('table.matrix').waitFor();
    await matrix.locator('[data-matrix-days]').selectOption('14');
    await page.waitForFunction(() => document.querySelectorAll('[data-matrix] [data-preview-cell][data-segment=everyone]').length === 14);
    for (const slot of ['hero', 'promo-banner']) {
      await matrix.locator('[data-matrix-slot]').selectOption(slot);
      const everyone = await matrix.locator('[data-preview-cell][data-segment=everyone]').evaluateAll((els) => els.map((e) => e.getAttribute('data-campaign')));
      expect(everyone).toEqual(plan.rows.find((r) => r.segment === 'everyone')!.slots[slot]!.map((c) => c?.campaign ?? ''));
      await matrix.screenshot({ path: join(SHOTS, `demo-matrix-${slot}.png`) });
    }
    await context.close();
  });

  const plan = campaignMatrix(config, { from: VISIT_DAY, days: 1 });
  const planned = (segment: string, slot: string) => plan.rows.find((r) => r.segment === segment)!.slots[slot]![0]?.campaign ?? null;
  /** The marketer's preview link for a segment on the visit day, opened in a fresh context. */
  async function openPreview(segment: string, path: string): Promise<{ context: BrowserContext; page: Page }> {
    const res = await fetch(`${env.demo.url}/api/preview`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.demo.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ segment, date: VISIT_DAY, path }),
    });
    const { url } = (await res.json()) as { url: string };
    const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const { page } = await watchedPage(context);
    await page.goto(env.demo.url + url);
    await page.locator('[data-microseg-preview]').waitFor({ state: 'attached' });
    return { context, page };
  }
  const allOffersHidden = (page: Page) =>
    page.waitForFunction(() => [...document.querySelectorAll('[data-microseg-offer]')].every((o) => (o as HTMLElement).offsetParent === null));

  it.each(config.segments.map((s) => s.id))('a preview of %s shows what that segment would see on that date', async (segment) => {
    const { context, page } = await openPreview(segment, '/');
    const complainer = segment === 'recent-complainers';
    await waitForCampaign(page, 'hero', planned(segment, 'hero'));
    // A complainer's label suppresses every promotion, the banner's included.
    await waitForCampaign(page, 'promo-banner', complainer ? null : planned(segment, 'promo-banner'));
    if (complainer) {
      await allOffersHidden(page);
      const label = page.locator('[data-microseg-preview] [data-label=complaint]');
      expect(await label.getAttribute('data-implied-by')).toBe('recent-complainers');
      await label.scrollIntoViewIfNeeded();
    } else {
      expect(await page.locator('[data-microseg-offer]:visible').count()).toBeGreaterThan(0);
    }
    if (['recent-complainers', 'new-handbag-browsers', 'ski-prospects', 'everyone'].includes(segment)) {
      await page.screenshot({ path: join(SHOTS, `demo-preview-${segment}.png`) });
    }
    await context.close();
  });

  it.each([
    ['new-handbag-browsers', 'handbag-recs'],
    ['ski-prospects', 'ski-recs'],
    ['everyone', 'bestseller-recs'],
  ])('a preview of %s on a product page recommends with %s, never the product itself', async (segment, recs) => {
    const { context, page } = await openPreview(segment, '/p/hb-alma');
    await waitForCampaign(page, 'recs', recs);
    const cards = await visibleRecs(page);
    expect(cards.length).toBeGreaterThanOrEqual(3);
    for (const card of cards) {
      expect(card.product).not.toBe('hb-alma');
      expect(card.inItsColour).toBe(true);
    }
    await context.close();
  });
});
