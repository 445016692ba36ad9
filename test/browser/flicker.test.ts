// Zero flicker: on a second visit the default content of a personalized slot is never painted,
// for a slot in the initial HTML (streamed slowly, so frames are painted while it is parsed) and
// for one a script adds later; suppressed offers are never painted either.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { stream } from 'hono/streaming';
import { launch, startServer, watchedPage, type TestServer } from './harness';
import { FRAME_RECORDER, TEMPLATES, shopHead, type FrameRecord } from './render-support';

let browser: Browser;
let server: TestServer;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  browser = await launch();
  server = await startServer();
  // The body arrives in pieces: the browser paints frames between them.
  server.app.get('/shop', (c) => {
    c.header('content-type', 'text/html; charset=utf-8');
    return stream(c, async (s) => {
      await s.write(`<!doctype html><html><head><meta charset="utf-8"><title>shop</title>${shopHead()}</head><body>
<header style="height:40px">Maison</header>
<section data-microseg-slot="hero" style="min-height:120px"><h1>DEFAULT hero</h1>`);
      await sleep(150);
      await s.write(`<p>DEFAULT more of the hero</p></section>
<p data-microseg-offer="sale">SALE 20% off</p>`);
      await sleep(150);
      await s.write(`<main><p>Products…</p></main>
<script>setTimeout(() => { const el = document.createElement('aside'); el.setAttribute('data-microseg-slot', 'late'); el.innerHTML = '<p>DEFAULT late</p>'; document.body.append(el); }, 40);</script>
${TEMPLATES}</body></html>`);
    });
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function visit(page: import('playwright-core').Page): Promise<FrameRecord[]> {
  await page.goto(server.url + '/shop');
  await page.evaluate(() => (window as any).microseg.ready);
  await page.waitForFunction(() => document.querySelector('[data-microseg-slot=late]')?.getAttribute('data-microseg-state') === 'personalized');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  return page.evaluate(() => (window as any).__frames);
}

describe('first paint', () => {
  it('a returning visitor never sees the default content of a personalized slot, nor a suppressed offer', async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context);
    await w.page.addInitScript(FRAME_RECORDER);

    // First visit: the default shows at once, the personalization follows once the SDK is ready.
    const first = await visit(w.page);
    expect(first.some((f) => f.name === 'hero' && f.text.startsWith('DEFAULT'))).toBe(true);
    await w.page.waitForFunction(() => localStorage.getItem('microseg:paint')?.includes('hero-hello'));

    // Second visit: every frame that shows the slot shows the personalized content.
    const frames = await visit(w.page);
    const hero = frames.filter((f) => f.name === 'hero');
    const late = frames.filter((f) => f.name === 'late');
    expect(hero.length).toBeGreaterThan(5);
    expect(late.length).toBeGreaterThan(0);
    expect(hero.filter((f) => f.text.includes('DEFAULT'))).toEqual([]);
    expect(late.filter((f) => f.text.includes('DEFAULT'))).toEqual([]);
    expect(hero[0]!.text).toContain('PERSONAL returning friend');
    expect(late[0]!.text).toBe('PERSONAL late');
    expect(frames.filter((f) => f.name === 'offer:sale' && f.visible)).toEqual([]);
    // Nor after any mutation, once every observer has run.
    const mutations: FrameRecord[] = await w.page.evaluate(() => (window as any).__mutations);
    expect(mutations.filter((m) => m.name === 'hero').length).toBeGreaterThan(0);
    expect(mutations.filter((m) => (m.name === 'hero' || m.name === 'late') && m.text.includes('DEFAULT'))).toEqual([]);

    // Reconciled with the live decisions: the slot says where it stands, the default is kept aside.
    const state = await w.page.evaluate(() => {
      const el = document.querySelector('[data-microseg-slot=hero]')!;
      return { state: el.getAttribute('data-microseg-state'), campaign: el.getAttribute('data-microseg-campaign'), html: el.innerHTML };
    });
    expect(state).toEqual({ state: 'personalized', campaign: 'hero-hello', html: '<div class="hello"><h1>PERSONAL <span data-microseg-text="name">returning friend</span></h1><a href="/welcome" data-microseg-attr="href:url">go</a></div>' });
    expect(await w.page.evaluate(() => getComputedStyle(document.querySelector('[data-microseg-offer=sale]')!).display)).toBe('none');
    expect(w.errors).toEqual([]);
    await context.close();
  });

  it('a first-time visitor sees the default content at once, and a visitor without consent leaves no snapshot', async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context);
    await w.page.addInitScript(FRAME_RECORDER);
    const frames = await visit(w.page);
    const hero = frames.filter((f) => f.name === 'hero');
    expect(hero[0]!.text).toContain('DEFAULT hero');
    expect(await w.page.evaluate(() => document.querySelector('[data-microseg-slot=hero]')!.textContent)).toContain('PERSONAL');
    await w.page.evaluate(async () => {
      await (window as any).microseg.forget();
    });
    expect(await w.page.evaluate(() => localStorage.getItem('microseg:paint'))).toBeNull();
    expect(w.errors).toEqual([]);
    await context.close();
  });
});
