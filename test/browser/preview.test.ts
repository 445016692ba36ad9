// Marketer preview in real Chromium: a console link shows the product page as a segment on a date,
// the overlay (shadow root, keyboard) re-renders as the marketer moves the date and toggles
// segments, the visitor's stored data is byte-for-byte the same afterwards, forged and expired
// tokens are refused, and the overlay is its own file.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { html, launch, ROOT, snippet, startServer, watchedPage, type TestServer } from './harness';
import { startDemo, type TestDemo } from './demo-support';
import { generateKeys } from '../../src/config/keys';
import { signPreviewToken } from '../../src/preview/token';

let browser: Browser;
let demo: TestDemo;
let server: TestServer;
const keys = await generateKeys();
const SHOTS = join(ROOT, 'test-results');

const CONFIG = {
  schema: 1,
  version: 'preview-1',
  segments: [
    { id: 'vip', name: 'Spent 1000+', when: { 'traits.spend': { $gte: 1000 } } },
    { id: 'everyone', fallback: true },
  ],
  campaigns: [
    { id: 'vip-note', slot: 'banner', segments: ['vip'], priority: 10, content: { text: 'VIP: free express delivery' } },
    { id: 'hello', slot: 'banner', segments: ['everyone'], priority: 1, content: { text: 'Hello, new friend' } },
  ],
  suppressions: [{ id: 'complaint', when: { 'labels.complaint.ageDays': { $lt: 14 } }, offers: '*' }],
};
const fixture = () =>
  html(
    `<script>${snippet()}
microseg.init(${JSON.stringify({ config: CONFIG, previewKey: keys.publicJwk })});</script>`,
    `<div data-microseg-slot="banner">Default banner</div><p data-microseg-offer="sale">Sale: 20% off</p>`,
  );

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launch();
  demo = await startDemo();
  server = await startServer({ '/': fixture, '/blank': html('') });
});

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  await server?.close();
});

const ready = (p: Page) => p.evaluate(() => (window as any).microseg.ready);
const text = (p: Page, selector: string) => p.evaluate((s) => document.querySelector(s)!.textContent!.replace(/\s+/g, ' ').trim(), selector);

/** Every record of every object store of the SDK's database, and localStorage: what a session may not change. */
function storedState(p: Page): Promise<unknown> {
  return p.evaluate(async () => {
    const out: Record<string, unknown> = { localStorage: { ...localStorage } };
    if (!(await indexedDB.databases()).some((d) => d.name === 'microseg')) return out;
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('microseg');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    for (const name of db.objectStoreNames) {
      out[name] = await new Promise((resolve) => {
        const store = db.transaction(name).objectStore(name);
        const keys = store.getAllKeys();
        const values = store.getAll();
        values.onsuccess = () => resolve({ keys: keys.result, values: values.result });
      });
    }
    db.close();
    return out;
  });
}

async function previewLink(segment: string, date: string): Promise<string> {
  const res = await fetch(`${demo.url}/api/preview`, {
    method: 'POST',
    headers: { authorization: `Bearer ${demo.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ segment, date }),
  });
  expect(res.status).toBe(200);
  const { url } = (await res.json()) as { url: string };
  return demo.url + url;
}

const overlay = (p: Page) => p.locator('[data-microseg-preview]');

describe('marketer preview', () => {
  it('a console link shows the product page as the segment on the date; the overlay follows date and toggles; nothing stored changes', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const w = await watchedPage(context);
    // A real visit first, so there is something to keep intact.
    await w.page.goto(demo.url + '/p/hb-alma');
    await ready(w.page);
    await w.page.evaluate(() => (window as any).microseg.flush());
    await w.page.goto(demo.url + '/api/config'); // same origin, no SDK: nothing writes while we look
    const before = await storedState(w.page);
    expect(JSON.stringify(before)).toContain('hb-alma');

    const link = await previewLink('ski-prospects', '2026-11-20');
    expect(link).not.toMatch(/hb-alma.*uid|aid=/); // the link names a segment and a date, no person
    await w.page.goto(link);
    await overlay(w.page).waitFor({ state: 'attached' });
    await w.page.waitForFunction(() => document.querySelector('[data-microseg-slot=promo-banner]')!.textContent!.includes('Early-bird ski passes'));
    expect(await text(w.page, '[data-microseg-slot=recs]')).toContain('Gear up for the slopes');
    const panel = overlay(w.page);
    await expect(panel.locator('li[data-slot=promo-banner]').getAttribute('data-campaign')).resolves.toBe('ski-early-bird');
    await expect(panel.locator('li[data-segment=ski-prospects]').getAttribute('data-member')).resolves.toBe('true');
    await expect(panel.locator('li[data-segment=new-handbag-browsers]').getAttribute('data-member')).resolves.toBe('false');

    // Another date: Black Friday outranks the early-bird offer.
    await panel.locator('input[type=date]').fill('2026-11-28');
    await w.page.waitForFunction(() => document.querySelector('[data-microseg-slot=promo-banner]')!.textContent!.includes('Black Friday weekend'));

    // Keyboard only: a complaint label (focus its checkbox, Space) suppresses every offer.
    await panel.locator('input[data-key="label:complaint"]').focus();
    await w.page.keyboard.press('Space');
    await w.page.waitForFunction(() => document.querySelector<HTMLElement>('[data-microseg-offer=free-shipping]')!.getClientRects().length === 0);
    await expect(panel.locator('li[data-offer=free-shipping]').getAttribute('data-suppressed')).resolves.toBe('true');
    await w.page.keyboard.press('Space'); // focus stays on the same checkbox across the re-render
    await w.page.waitForFunction(() => document.querySelector<HTMLElement>('[data-microseg-offer=free-shipping]')!.getClientRects().length > 0);

    // Hovering a slot's row outlines the slot on the page.
    await panel.locator('li[data-slot=recs] .row').hover();
    expect(await panel.locator('.hl').count()).toBeGreaterThan(0);
    await w.page.screenshot({ path: join(SHOTS, 'preview-overlay.png') });
    await panel.locator('li[data-segment=ski-prospects] summary').click();
    await panel.locator('li[data-segment=ski-prospects]').scrollIntoViewIfNeeded();
    await w.page.screenshot({ path: join(SHOTS, 'preview-overlay-explain.png') });

    // The page's CSS cannot reach into the overlay.
    await w.page.addStyleTag({ content: '* { color: red !important; font-size: 40px !important; } div { display: none !important; }' });
    expect(await panel.locator('header strong').evaluate((el) => getComputedStyle(el).fontSize)).toBe('14px');
    await w.page.goto(demo.url + '/api/config');
    expect(await storedState(w.page)).toEqual(before);
    expect(w.errors).toEqual([]);
    await context.close();
  });

  it('a published config reaches the preview; leaving it shows the page as it was', async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context);
    await w.page.goto(await previewLink('ski-prospects', '2026-11-20'));
    await overlay(w.page).waitFor({ state: 'attached' });
    await w.page.waitForFunction(() => document.querySelector('[data-microseg-slot=promo-banner]')!.textContent!.includes('Early-bird'));
    // A config published meanwhile reaches the preview too.
    await demo.publish((config) => {
      config.version = 'preview-republished';
      config.campaigns.find((c: any) => c.id === 'ski-early-bird').content.data.text = 'Early-bird ski passes: 25% off';
    });
    await w.page.waitForFunction(() => document.querySelector('[data-microseg-slot=promo-banner]')!.textContent!.includes('25% off'));
    await overlay(w.page).getByRole('button', { name: 'Leave preview' }).click();
    await w.page.waitForURL((u) => !u.search.includes('microseg_preview'));
    await ready(w.page);
    expect(await overlay(w.page).count()).toBe(0);
    expect(await text(w.page, '[data-microseg-slot=promo-banner]')).not.toContain('Early-bird');
    expect(w.errors).toEqual([]);
    await context.close();
  });

  it('preview(persona) from code forces segments and labels, then endPreview() restores the page; nothing is stored', async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context);
    await w.page.goto(server.url + '/');
    await ready(w.page);
    await w.page.waitForFunction(() => document.querySelector('[data-microseg-slot=banner]')!.textContent === 'Hello, new friend');
    await w.page.evaluate(() => (window as any).microseg.flush());
    const before = await storedState(w.page);

    await w.page.evaluate(() => (window as any).microseg.preview({ traits: { spend: 1500 }, labels: { complaint: { ageDays: 2, channel: 'call-centre' } } }));
    await w.page.waitForFunction(() => document.querySelector('[data-microseg-slot=banner]')!.textContent === 'VIP: free express delivery');
    expect(await w.page.locator('[data-microseg-offer=sale]').isVisible()).toBe(false);
    expect(await w.page.evaluate(() => (window as any).microseg.segments())).toEqual(['everyone']); // the real visitor is untouched
    expect(await w.page.evaluate(() => (window as any).microseg.labels())).toEqual([]);

    await w.page.evaluate(() => (window as any).microseg.endPreview());
    await w.page.waitForFunction(() => document.querySelector('[data-microseg-slot=banner]')!.textContent === 'Hello, new friend');
    expect(await w.page.locator('[data-microseg-offer=sale]').isVisible()).toBe(true);
    expect(await overlay(w.page).count()).toBe(0);
    await w.page.evaluate(() => (window as any).microseg.flush());
    expect(await storedState(w.page)).toEqual(before);
    expect(w.errors).toEqual([]);
    await context.close();
  });

  it('a forged or expired token is refused: no overlay, the page as it is, an error event', async () => {
    const other = await generateKeys();
    const persona = { segments: ['vip'] };
    const tokens = {
      forged: await signPreviewToken(persona, other.privatePem),
      expired: await signPreviewToken(persona, keys.privatePem, { ttl: -1000 }),
      tampered: (await signPreviewToken({ segments: ['everyone'] }, keys.privatePem)).replace(/^[^.]+/, Buffer.from(JSON.stringify({ persona, exp: Date.now() + 1e6 })).toString('base64url')),
      valid: await signPreviewToken(persona, keys.privatePem),
    };
    const codes: Record<string, string[]> = {};
    for (const [kind, token] of Object.entries(tokens)) {
      const context = await browser.newContext();
      const w = await watchedPage(context);
      await w.page.addInitScript(() => {
        (window as any).__errors = [];
        window.addEventListener('DOMContentLoaded', () => (window as any).microseg.on('error', (e: any) => (window as any).__errors.push(e.code)));
      });
      await w.page.goto(`${server.url}/?microseg_preview=${token}`);
      await ready(w.page);
      if (kind === 'valid') await w.page.waitForFunction(() => document.querySelector('[data-microseg-slot=banner]')!.textContent === 'VIP: free express delivery');
      else await w.page.waitForFunction(() => (window as any).__errors.some((c: string) => c.startsWith('preview-token')));
      await w.page.waitForTimeout(100);
      codes[kind] = await w.page.evaluate(() => (window as any).__errors);
      if (kind !== 'valid') {
        expect(await overlay(w.page).count()).toBe(0);
        expect(await text(w.page, '[data-microseg-slot=banner]')).toBe('Hello, new friend');
      }
      expect(w.errors).toEqual([]);
      await context.close();
    }
    expect(codes).toEqual({ forged: ['preview-token-invalid'], expired: ['preview-token-expired'], tampered: ['preview-token-invalid'], valid: [] });
  });

  it('the overlay is its own file: none of its code is in the core IIFE', () => {
    const core = readFileSync(join(ROOT, 'dist/microseg.iife.js'), 'utf8');
    const chunk = readFileSync(join(ROOT, 'dist/microseg.preview.js'), 'utf8');
    for (const marker of ['Leave preview', 'Back to the rules', 'data-microseg-preview', 'attachShadow', 'the preview token is not']) {
      expect(chunk.includes(marker), marker).toBe(true);
      expect(core.includes(marker), marker).toBe(false);
    }
    // What the core holds of the preview is the loader: it names the chunk's file.
    expect(core).toContain('microseg.preview.js');
  });
});
