// microseg/server on a page without a framework: the server decides a first visit from the
// request and hands its decisions over in <head>; the first-paint script shows them as the slot
// is parsed (first frame) and the SDK continues from them without changing the content.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launch, snippet, startServer, watchedPage, type TestServer } from './harness';
import { FRAME_RECORDER, type FrameRecord } from './render-support';
import { evaluate, handoverScript } from '../../dist/microseg.server.mjs';

const CONFIG = {
  schema: 1,
  version: 'handover-1',
  segments: [
    { id: 'from-email', when: { 'profile.channel': 'email' } },
    { id: 'everyone', fallback: true },
  ],
  campaigns: [
    { id: 'email-welcome', slot: 'hero', segments: ['from-email'], content: { template: 'welcome', data: { code: 'MAIL10' } } },
  ],
  suppressions: [{ id: 'no-sale-for-mail', when: { 'profile.channel': 'email' }, offers: ['sale'] }],
};
const TEMPLATE = `<template data-microseg-template="welcome"><div class="welcome"><h1>PERSONAL welcome</h1><p>code <b data-microseg-text="code">…</b></p></div></template>`;

let browser: Browser;
let server: TestServer;

beforeAll(async () => {
  browser = await launch();
  server = await startServer();
  server.app.get('/page', (c) => {
    const result = evaluate(CONFIG as never, { url: c.req.url, referrer: c.req.header('referer'), userAgent: c.req.header('user-agent') });
    return c.html(`<!doctype html><html><head><meta charset="utf-8"><title>handover</title>
${handoverScript(result)}
${TEMPLATE}
<script src="/microseg.paint.js"></script>
<script>${snippet()}
microseg.init(${JSON.stringify({ config: CONFIG, autoPage: false })});</script></head><body>
<section data-microseg-slot="hero"><h1>DEFAULT hero</h1></section>
<p data-microseg-offer="sale">SALE</p>
<script>window.__heroFirst = document.querySelector('[data-microseg-slot=hero] > *');</script>
</body></html>`);
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('a server\'s decisions handed over', () => {
  it('show in the first frame and the SDK continues without a content change', async () => {
    const w = await watchedPage(await browser.newContext());
    await w.page.addInitScript(FRAME_RECORDER);
    await w.page.goto(server.url + '/page?utm_medium=email');
    await w.page.evaluate(() => (window as any).microseg.ready);
    await w.page.waitForFunction(() => (window as any).microseg.decide('hero').campaign === 'email-welcome');
    await w.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const frames: FrameRecord[] = await w.page.evaluate(() => (window as any).__frames);
    const hero = frames.filter((f) => f.name === 'hero');
    expect(hero.length).toBeGreaterThan(0);
    expect(hero.filter((f) => !f.text.startsWith('PERSONAL welcome'))).toEqual([]);
    expect(hero[0]!.text).toContain('MAIL10');
    expect(frames.filter((f) => f.name === 'offer:sale' && f.visible)).toEqual([]);
    const now = await w.page.evaluate(() => {
      const el = document.querySelector('[data-microseg-slot=hero]')!;
      return { same: (window as any).__heroFirst === el.firstElementChild, state: el.getAttribute('data-microseg-state'), campaign: el.getAttribute('data-microseg-campaign') };
    });
    // The very node painted first is still there: the live decision changed nothing.
    expect(now).toEqual({ same: true, state: 'personalized', campaign: 'email-welcome' });
    await w.page.context().close();
  });

  it('a visitor the server decided nothing for sees the default content', async () => {
    const w = await watchedPage(await browser.newContext());
    await w.page.goto(server.url + '/page');
    await w.page.evaluate(() => (window as any).microseg.ready);
    expect(await w.page.evaluate(() => document.querySelector('[data-microseg-slot=hero]')!.textContent)).toBe('DEFAULT hero');
    expect(await w.page.evaluate(() => document.querySelector<HTMLElement>('[data-microseg-offer=sale]')!.getClientRects().length)).toBeGreaterThan(0);
    await w.page.context().close();
  });
});
