// A label another channel sets for this visitor reaches the open page over the demo backend's
// labels stream, hides the page's offers and switches the hero decision without a reload; when
// the label expires, the offers come back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { html, launch, snippet, watchedPage } from './harness';
import { openConsole, startDemo, type TestDemo } from './demo-support';

const DAY = 86_400_000;
let browser: Browser;
let demo: TestDemo;
let context: BrowserContext;

beforeAll(async () => {
  browser = await launch();
  demo = await startDemo();
  context = await browser.newContext();
  // A page of the demo's own origin (labels are read with the visitor cookie, same-origin).
  await context.route(`${demo.url}/labels-page`, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: html(
        `<script>${snippet()}</script><script>
          window.__loadedAt = Date.now();
          window.__labelEvents = 0;
          microseg.init({ configUrl: '/api/config', labelsUrl: '/api/labels', labelsSse: '/api/labels/stream' });
          microseg.on('label', () => window.__labelEvents++);
        </script>`,
        `<p data-microseg-offer="spring-sale">Spring sale: 20% off</p>
         <div data-microseg-offer="free-shipping" style="display: flex">Free shipping</div>
         <p id="always">not an offer</p>`,
      ),
    }),
  );
}, 90_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await demo?.close();
});

const offerStates = () =>
  [...document.querySelectorAll<HTMLElement>('[data-microseg-offer]')].map((el) => ({
    name: el.dataset.microsegOffer,
    hidden: el.hidden,
    visible: el.offsetParent !== null,
    state: el.getAttribute('data-microseg-state'),
  }));

describe('labels from another channel, live', () => {
  it('hide the offers of an open page without a reload, and bring them back at expiry', async () => {
    const w = await watchedPage(context);
    const stream = w.page.waitForResponse((res) => new URL(res.url()).pathname === '/api/labels/stream', { timeout: 10_000 });
    await w.page.goto(`${demo.url}/labels-page`);
    await w.page.evaluate(() => (window as any).microseg.ready);
    await stream; // subscribed: the backend can tell this page
    const before = await w.page.evaluate(() => ({
      aid: (window as any).microseg.profile().anonymousId as string,
      loadedAt: (window as any).__loadedAt as number,
      hero: (window as any).microseg.decide('hero').campaign as string | undefined,
    }));
    expect((await w.page.evaluate(offerStates)).every((o) => o.visible && !o.state)).toBe(true);
    expect(before.hero).not.toBe('complaint-apology');

    // The call-centre took a complaint yesterday; it lapses a few seconds from now.
    const now = Date.now();
    const res = await fetch(`${demo.url}/api/labels`, {
      method: 'POST',
      headers: { authorization: `Bearer ${demo.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ uid: before.aid, name: 'complaint', channel: 'call-centre', value: 'late delivery', at: now - DAY, ttlDays: 1 + 6_000 / DAY }),
    });
    expect(res.status).toBe(201);

    await w.page.waitForFunction(() => document.querySelectorAll('[data-microseg-state="suppressed"]').length === 2, undefined, { timeout: 5000 });
    const arrivedIn = Date.now() - now;
    const during = await w.page.evaluate(() => {
      const ms = (window as any).microseg;
      return {
        loadedAt: (window as any).__loadedAt,
        labels: ms.labels().map((l: any) => [l.name, l.channel, l.value]),
        segments: ms.segments(),
        suppressed: ms.suppressedOffers(),
        hero: ms.decide('hero'),
      };
    });
    expect(during.loadedAt).toBe(before.loadedAt); // the same page: no reload
    expect(during.labels).toEqual([['complaint', 'call-centre', 'late delivery']]);
    expect(during.segments).toContain('recent-complainers');
    expect(during.suppressed).toEqual(['*']);
    expect(during.hero).toMatchObject({ campaign: 'complaint-apology', control: false, reason: { segment: 'recent-complainers', priority: 100 } });
    expect((await w.page.evaluate(offerStates)).map((o) => [o.name, o.hidden, o.visible, o.state])).toEqual([
      ['spring-sale', true, false, 'suppressed'],
      ['free-shipping', true, false, 'suppressed'], // its own display:flex does not show it
    ]);
    expect(await w.page.locator('#always').isVisible()).toBe(true);

    // At expiry the offers come back as they were, still without a reload.
    await w.page.waitForFunction(() => document.querySelectorAll('[data-microseg-state]').length === 0, undefined, { timeout: 15_000 });
    const expiredAt = Date.now();
    const after = await w.page.evaluate(() => {
      const ms = (window as any).microseg;
      return { loadedAt: (window as any).__loadedAt, labels: ms.labels(), events: (window as any).__labelEvents, hero: ms.decide('hero').campaign };
    });
    expect(after.loadedAt).toBe(before.loadedAt);
    expect(after.labels).toEqual([]);
    expect(after.events).toBeGreaterThanOrEqual(2); // set, then expired
    expect(after.hero).toBe(before.hero);
    expect(expiredAt - now).toBeGreaterThanOrEqual(5_000);
    const restored = await w.page.evaluate(offerStates);
    expect(restored.every((o) => o.visible && !o.hidden)).toBe(true);
    expect(await w.page.evaluate(() => document.querySelector<HTMLElement>('[data-microseg-offer="free-shipping"]')!.getAttribute('style'))).toBe('display: flex;');
    expect(w.errors).toEqual([]);
    console.log(`label reached the page in ${arrivedIn} ms; offers back ${expiredAt - now - 6000} ms after expiry`);
  }, 60_000);

  it('the console’s label form, as the call-centre, reaches an open shop page', async () => {
    const shop = await watchedPage(context);
    const stream = shop.page.waitForResponse((res) => new URL(res.url()).pathname === '/api/labels/stream', { timeout: 10_000 });
    await shop.page.goto(`${demo.url}/`);
    await shop.page.evaluate(() => (window as any).microseg.ready);
    await stream;
    const aid = await shop.page.evaluate(() => (window as any).microseg.profile().anonymousId as string);
    // an offer outside any slot (a slot's content may be swapped by a campaign)
    const offer = shop.page.locator('p[data-microseg-offer="free-shipping"]');
    await offer.waitFor({ state: 'visible', timeout: 5000 });

    const consolePage = await context.newPage();
    await openConsole(consolePage, demo);
    const form = consolePage.locator('[data-label-form]');
    await form.locator('[name="uid"]').fill(aid);
    await form.locator('[name="name"]').fill('complaint');
    await form.locator('[name="channel"]').selectOption('call-centre');
    await form.locator('[name="daysAgo"]').fill('1');
    await form.locator('[name="ttlDays"]').fill('14');
    await form.locator('button[type="submit"]').click();
    await consolePage.locator('[data-label-result].ok').waitFor({ timeout: 5000 });

    await offer.waitFor({ state: 'hidden', timeout: 5000 });
    const seen = await shop.page.evaluate(() => {
      const ms = (window as any).microseg;
      const [l] = ms.labels();
      return { channel: l.channel, ageDays: Math.floor((Date.now() - l.at) / 86_400_000), hero: ms.decide('hero').campaign, offers: ms.suppressedOffers() };
    });
    expect(seen).toEqual({ channel: 'call-centre', ageDays: 1, hero: 'complaint-apology', offers: ['*'] });
    expect(shop.errors).toEqual([]);
    await consolePage.close();
  }, 60_000);
});
