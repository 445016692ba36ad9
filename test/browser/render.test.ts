// Rendering in the demo shop: slots follow decisions in real time (a label, a config change),
// offers follow suppressions, exposures and clicks are recorded, and a returning visitor's first
// frame already shows their content.
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { storedEvents, watchedPage } from './harness';
import { useDemo } from './demo-support';
import { FRAME_RECORDER, type FrameRecord } from './render-support';

const env = useDemo();

const ready = (p: Page) => p.evaluate(() => (window as any).microseg.ready);
const slot = (p: Page, name: string) =>
  p.evaluate((n) => {
    const el = document.querySelector(`[data-microseg-slot="${n}"]`)!;
    return { state: el.getAttribute('data-microseg-state'), campaign: el.getAttribute('data-microseg-campaign'), text: el.textContent!.replace(/\s+/g, ' ').trim() };
  }, name);
const offerShown = (p: Page, name: string) => p.evaluate((n) => document.querySelector(`[data-microseg-offer="${n}"]`)!.getClientRects().length > 0, name);

describe('rendering in the demo shop', () => {
  it('fills the recommendations strip, records its exposure and a click inside it', async () => {
    const context = await env.browser.newContext();
    const w = await watchedPage(context);
    await w.page.goto(env.demo.url + '/p/hb-alma');
    await ready(w.page);
    // Viewing a handbag puts a new visitor among the handbag browsers.
    await w.page.waitForFunction(() => document.querySelector('[data-microseg-slot=recs]')!.getAttribute('data-microseg-campaign') === 'handbag-recs');
    expect(await slot(w.page, 'recs')).toMatchObject({ state: 'personalized', text: expect.stringContaining('Handbags you might like') });
    await w.page.locator('[data-microseg-slot=recs] h2').click();
    await w.page.evaluate(() => (window as any).microseg.flush());
    const events = await storedEvents(w.page);
    // (the promo banner may carry a campaign of its own on this date)
    expect(events.filter((e) => e.type === '$exposure' && e.props.slot === 'recs').map((e) => e.props)).toEqual([{ campaign: 'handbag-recs', slot: 'recs', control: false }]);
    expect(events.filter((e) => e.type === '$click').map((e) => e.props)).toEqual([{ campaign: 'handbag-recs', slot: 'recs', control: false }]);
    expect(w.errors).toEqual([]);
    await context.close();
  });

  it('a label switches the hero and hides every offer at once; the next page paints it in the first frame', async () => {
    const context = await env.browser.newContext();
    const w = await watchedPage(context);
    await w.page.addInitScript(FRAME_RECORDER);
    await w.page.goto(env.demo.url + '/');
    await ready(w.page);
    const before = await slot(w.page, 'hero');
    expect(before.campaign).not.toBe('complaint-apology');
    expect(await offerShown(w.page, 'free-shipping')).toBe(true);

    await w.page.evaluate(() => (window as any).microseg.label('complaint', { channel: 'call-centre' }));
    await w.page.waitForFunction(() => document.querySelector('[data-microseg-slot=hero]')!.getAttribute('data-microseg-campaign') === 'complaint-apology');
    expect(await slot(w.page, 'hero')).toMatchObject({ state: 'personalized', text: expect.stringContaining("We're sorry we let you down") });
    expect(await offerShown(w.page, 'free-shipping')).toBe(false);
    await w.page.waitForFunction(() => localStorage.getItem('microseg:paint')?.includes('complaint-apology'));

    // The next page: apology and hidden offers from the very first frame.
    await w.page.goto(env.demo.url + '/');
    await ready(w.page);
    const frames: FrameRecord[] = await w.page.evaluate(() => (window as any).__frames);
    const hero = frames.filter((f) => f.name === 'hero');
    expect(hero.length).toBeGreaterThan(0);
    expect(hero.filter((f) => !f.text.includes("We're sorry"))).toEqual([]);
    expect(frames.filter((f) => f.name.startsWith('offer:') && f.visible)).toEqual([]);

    // A new config version reaches the open page and its slot at once.
    await env.demo.publish((config) => {
      config.version += '-render';
      config.campaigns.find((c: any) => c.id === 'complaint-apology').content.data.headline = 'Truly sorry';
    });
    await w.page.waitForFunction(() => document.querySelector('[data-microseg-slot=hero] h1')?.textContent === 'Truly sorry', undefined, { timeout: 15_000 });

    // The label goes: the default content and the offers come back.
    await w.page.evaluate(() => (window as any).microseg.unlabel('complaint'));
    await w.page.waitForFunction(() => document.querySelector('[data-microseg-slot=hero]')!.getAttribute('data-microseg-campaign') !== 'complaint-apology');
    expect(await slot(w.page, 'hero')).toEqual(before);
    expect(await offerShown(w.page, 'free-shipping')).toBe(true);
    expect(w.errors).toEqual([]);
    await context.close();
  });
});
