// microseg/react in Chromium: client rendering, server rendering + hydration over the
// first-paint script for a returning visitor (no hydration error, personalized from the first
// frame), a slot switching live when a label is set, and a server's decisions handed over.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { build } from 'esbuild';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { launch, startServer, storedEvents, watchedPage, type TestServer } from './harness';
import { FRAME_RECORDER, type FrameRecord } from './render-support';
import { App, CONFIG } from './react/app';
import { evaluate, handoverScript } from '../../dist/microseg.server.mjs';

let browser: Browser;
let server: TestServer;

/** The React page: `ssr` is the server's HTML of the app (hydrated), or nothing (rendered in the browser). */
function page(opts: { ssr?: string; head?: string; mode: string }): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>react</title>${opts.head ?? ''}
<script src="/microseg.paint.js"></script></head>
<body data-mode="${opts.ssr === undefined ? 'client' : 'hydrate'}"><div id="root">${opts.ssr ?? ''}</div>
<script>window.__heroFirst = document.querySelector('[data-microseg-slot=hero] > *');</script>
<script type="module" src="/react-app-${opts.mode}.js"></script></body></html>`;
}

// React's production build reports hydration errors (#418) to onRecoverableError; its
// development build also logs attribute mismatches with console.error. Both must stay silent.
const MODES = ['production', 'development'] as const;

beforeAll(async () => {
  const bundles: Record<string, string> = {};
  for (const mode of MODES) {
    const out = await build({
      entryPoints: [new URL('./react/client.ts', import.meta.url).pathname],
      bundle: true, format: 'esm', write: false, platform: 'browser', target: 'es2022',
      define: { 'process.env.NODE_ENV': JSON.stringify(mode) },
    });
    bundles[mode] = out.outputFiles[0]!.text;
  }
  browser = await launch();
  server = await startServer();
  for (const m of MODES) server.app.get(`/react-app-${m}.js`, (c) => c.body(bundles[m]!, 200, { 'content-type': 'text/javascript' }));
  const mode = (c: { req: { query(k: string): string | undefined } }) => c.req.query('mode') ?? 'production';
  server.app.get('/client', (c) => c.html(page({ mode: mode(c) })));
  server.app.get('/ssr', (c) => c.html(page({ mode: mode(c), ssr: renderToString(createElement(App, {})) })));
  // A server function: decides from the request, renders the decision, hands it to the page.
  server.app.get('/ssr-server', (c) => {
    const result = evaluate(CONFIG as never, { url: c.req.url, userAgent: c.req.header('user-agent') });
    return c.html(page({ mode: mode(c), ssr: renderToString(createElement(App, { handover: result.handover })), head: handoverScript(result) }));
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const heroText = (p: Page) => p.evaluate(() => document.querySelector('[data-microseg-slot=hero]')?.textContent);
const reactErrors = (p: Page): Promise<string[]> => p.evaluate(() => (window as any).__reactErrors);
const settled = (p: Page, campaign: string) =>
  p.waitForFunction((c) => (window as any).__ms && document.getElementById('status')?.textContent?.includes(`hero:${c}`), campaign);

describe.each(MODES)('microseg/react (React %s build)', (mode) => {
  it('renders in the browser: the default first, the campaign once ready, and switches live when a label is set', async () => {
    const w = await watchedPage(await browser.newContext());
    await w.page.goto(`${server.url}/client?mode=${mode}`);
    await settled(w.page, 'hello-hero');
    expect(await heroText(w.page)).toBe('PERSONAL hello');
    await w.page.evaluate(() => (window as any).__ms.label('vip'));
    await settled(w.page, 'vip-hero');
    expect(await w.page.evaluate(() => document.querySelector('[data-microseg-slot=hero] p.vip')?.textContent)).toBe('PERSONAL vip');
    expect(await w.page.evaluate(() => document.getElementById('status')!.textContent)).toContain('segments:vip labels:vip');
    expect(await w.page.evaluate(() => document.querySelector('[data-microseg-slot=hero]')!.getAttribute('data-microseg-campaign'))).toBe('vip-hero');
    // The slot records its exposures (once per campaign and view) and clicks, as a DOM slot does.
    await w.page.click('[data-microseg-slot=hero] p');
    await w.page.evaluate(() => (window as any).__ms.flush());
    const events = await storedEvents(w.page);
    const exposed = events.filter((e) => e.type === '$exposure').map((e) => e.props.campaign);
    expect(exposed).toEqual(['hello-hero', 'vip-hero']);
    expect(events.filter((e) => e.type === '$click').map((e) => e.props.campaign)).toEqual(['vip-hero']);
    await w.page.evaluate(() => (window as any).__ms.unlabel('vip'));
    await settled(w.page, 'hello-hero');
    expect(await heroText(w.page)).toBe('PERSONAL hello');
    expect(await reactErrors(w.page)).toEqual([]);
    await w.page.context().close();
  });

  it('hydrates a returning visitor over the first-paint script: no hydration error, personalized from the first frame', async () => {
    const w = await watchedPage(await browser.newContext());
    await w.page.addInitScript(FRAME_RECORDER);
    await w.page.goto(`${server.url}/client?mode=${mode}`);
    await settled(w.page, 'hello-hero');
    await w.page.waitForFunction(() => localStorage.getItem('microseg:paint')?.includes('hello-hero'));

    await w.page.goto(`${server.url}/ssr?mode=${mode}`);
    await w.page.waitForFunction(() => (window as any).__reactStarted);
    await settled(w.page, 'hello-hero');
    expect(await reactErrors(w.page)).toEqual([]);
    const frames: FrameRecord[] = (await w.page.evaluate(() => (window as any).__frames)).filter((f: FrameRecord) => f.name === 'hero');
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.filter((f) => f.text !== 'PERSONAL hello')).toEqual([]);
    // The node the first-paint script built is the one React adopted and kept.
    expect(await w.page.evaluate(() => (window as any).__heroFirst?.isConnected && (window as any).__heroFirst.textContent)).toBe('PERSONAL hello');
    await w.page.context().close();
  });

  it('continues from a server\'s decisions: rendered on the server, hydrated, kept by the SDK without a content change', async () => {
    const w = await watchedPage(await browser.newContext());
    await w.page.addInitScript(FRAME_RECORDER);
    await w.page.goto(`${server.url}/ssr-server?utm_medium=email&utm_source=news&mode=${mode}`);
    await settled(w.page, 'email-hero');
    expect(await reactErrors(w.page)).toEqual([]);
    const frames: FrameRecord[] = (await w.page.evaluate(() => (window as any).__frames)).filter((f: FrameRecord) => f.name === 'hero');
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.filter((f) => f.text !== 'PERSONAL email')).toEqual([]);
    expect(await w.page.evaluate(() => (window as any).__heroFirst?.isConnected && (window as any).__heroFirst.textContent)).toBe('PERSONAL email');
    await w.page.context().close();
  });
});
