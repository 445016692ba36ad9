// Strict Content-Security-Policy: no unsafe-inline, no unsafe-eval, Trusted Types enforced. The
// SDK, the first-paint script and their style (carrying the page's nonce, or a constructed sheet
// when there is none) work without a single violation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launch, snippet, startServer, watchedPage, type TestServer } from './harness';
import { CONFIG, FRAME_RECORDER, TEMPLATES } from './render-support';

let browser: Browser;
let server: TestServer;

const NONCE = 'r4nd0mN0nce';
const CSP_CONFIG = {
  ...CONFIG,
  campaigns: [
    ...CONFIG.campaigns,
    { id: 'note-html', slot: 'note', segments: ['everyone'], content: { html: '<p>A <strong>NOTE</strong> <a href="/n">read</a></p>' } },
  ],
};

const body = `<section data-microseg-slot="hero"><h1>DEFAULT hero</h1></section>
<div data-microseg-slot="note">DEFAULT note</div>
<p data-microseg-offer="sale">SALE 20% off</p>
${TEMPLATES}`;

beforeAll(async () => {
  browser = await launch();
  server = await startServer();
  server.app.get('/render-config.json', (c) => c.json(CSP_CONFIG));
  server.app.get('/favicon.ico', (c) => c.body(null, 204));
  // A collector and a config stream: the optional parts (microseg.extras.js, microseg.collect.js, microseg.sync.js) load under the same policy.
  server.app.post('/collect', (c) => c.json({ received: 0 }, 202));
  server.app.get('/config-events', () => new Response(new ReadableStream(), { headers: { 'content-type': 'text/event-stream' } }));
  server.app.get('/nonce', (c) => {
    c.header(
      'content-security-policy',
      `default-src 'self'; script-src 'nonce-${NONCE}' 'strict-dynamic'; style-src 'self' 'nonce-${NONCE}'; object-src 'none'; base-uri 'none'; ` +
        `require-trusted-types-for 'script'; trusted-types microseg microseg#loader microseg#schema microseg#extras microseg#sync`,
    );
    return c.html(`<!doctype html><html><head><meta charset="utf-8"><title>csp</title>
<script nonce="${NONCE}" src="/microseg.paint.js"></script>
<script nonce="${NONCE}">${snippet()}
microseg.init({ configUrl: '/render-config.json', collectUrl: '/collect', sse: '/config-events', autoPage: false });</script>
</head><body>${body}</body></html>`);
  });
  server.app.get('/self', (c) => {
    c.header('content-security-policy', `default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; require-trusted-types-for 'script'`);
    return c.html(`<!doctype html><html><head><meta charset="utf-8"><title>csp</title>
<script src="/microseg.paint.js"></script>
<script async src="/microseg.iife.js" data-config-url="/render-config.json" data-collect-url="/collect" data-sse="/config-events" data-auto-page="false"></script>
</head><body>${body}</body></html>`);
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function visit(page: Page, path: string) {
  await page.goto(server.url + path);
  await page.waitForFunction(() => (window as any).microseg?._loaded);
  await page.evaluate(() => (window as any).microseg.ready);
  await page.waitForFunction(() => document.querySelector('[data-microseg-slot=note]')?.getAttribute('data-microseg-state') === 'personalized');
  return page.evaluate(() => ({
    hero: document.querySelector('[data-microseg-slot=hero]')!.textContent!.trim(),
    note: document.querySelector('[data-microseg-slot=note]')!.innerHTML,
    offer: getComputedStyle(document.querySelector('[data-microseg-offer=sale]')!).display,
    violations: (window as any).__violations as string[],
    firstHero: ((window as any).__frames as Array<{ name: string; text: string }>).find((f) => f.name === 'hero')?.text,
  }));
}

describe('a page with a strict Content-Security-Policy', () => {
  for (const [path, what] of [['/nonce', 'nonce-based, strict-dynamic, Trusted Types with named policies'], ['/self', "'self' only, Trusted Types"]] as const) {
    it(`works with no violation (${what})`, async () => {
      const context = await browser.newContext();
      const w = await watchedPage(context);
      const consoleErrors: string[] = [];
      w.page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
      await w.page.addInitScript(FRAME_RECORDER);

      const first = await visit(w.page, path);
      const loaded = (file: string) => w.page.evaluate((f) => performance.getEntriesByType('resource').some((e) => e.name.endsWith(f)), file);
      expect(await loaded('/microseg.extras.js')).toBe(true);
      expect(await loaded('/microseg.collect.js')).toBe(true);
      await expect.poll(() => loaded('/microseg.sync.js')).toBe(true);
      expect(first.hero).toContain('PERSONAL returning friend');
      expect(first.note).toBe('<p>A <strong>NOTE</strong> <a href="/n">read</a></p>');
      expect(first.offer).toBe('none');
      await w.page.waitForFunction(() => localStorage.getItem('microseg:paint')?.includes('note-html'));

      // The second visit paints from the snapshot, and hides the offer with a style of its own.
      const second = await visit(w.page, path);
      expect(second.firstHero).toContain('PERSONAL');
      expect(second.offer).toBe('none');
      expect([...first.violations, ...second.violations]).toEqual([]);
      expect(consoleErrors).toEqual([]);
      expect(w.errors).toEqual([]);
      // The listener does hear violations: a style without the nonce is one.
      await w.page.evaluate(() => document.head.append(Object.assign(document.createElement('style'), { textContent: 'p{}' })));
      await w.page.waitForFunction(() => (window as any).__violations.length === 1);
      await context.close();
    });
  }
});
