// Identity verification and forget() through the demo backend, with the real SDK: a page that
// claims a user id reads that user's labels only with the token the site's server signed, and
// forget() unlinks the device on the backend (the visitor cookie is gone with its ids).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { html, launch, snippet, watchedPage } from './harness';
import { startDemo, type TestDemo } from './demo-support';
import { signIdentityToken } from '../../demo/server/identity';

let browser: Browser;
let demo: TestDemo;
let context: BrowserContext;
const USER = 'customer-10042';

beforeAll(async () => {
  [browser, demo] = await Promise.all([launch(), startDemo()]);
  context = await browser.newContext();
  await context.route(`${demo.url}/identity-page`, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: html(`<script>${snippet()}</script><script>
        microseg.init({ configUrl: '/api/config', labelsUrl: '/api/labels', labelsSse: '/api/labels/stream', collectUrl: '/api/collect' });
      </script>`, '<p>identity</p>'),
    }),
  );
  const res = await fetch(`${demo.url}/api/labels`, {
    method: 'POST',
    headers: { authorization: `Bearer ${demo.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ uid: USER, name: 'refund-asked', channel: 'call-centre', value: 'card ending 4242' }),
  });
  expect(res.status).toBe(201);
}, 90_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await demo?.close();
});

const labelNames = () => (window as any).microseg.labels().map((l: { name: string }) => l.name);

describe('identify(userId, traits, { token })', () => {
  it('reads nothing of a user id claimed without a token, and its labels with the token', async () => {
    const w = await watchedPage(context);
    await w.page.goto(`${demo.url}/identity-page`);
    await w.page.evaluate(() => (window as any).microseg.ready);

    // An attacker's page claims the customer's id: the backend gives it nothing.
    const refused = w.page.waitForResponse((r) => r.url().includes(`uid=${USER}`) || (r.url().includes('/api/labels?') && r.request().headers()['x-microseg-identity'] === undefined));
    await w.page.evaluate((uid) => (window as any).microseg.identify(uid), USER);
    await refused;
    expect(await w.page.evaluate(labelNames)).not.toContain('refund-asked');
    const direct = await w.page.evaluate(async (uid) => (await fetch(`/api/labels?uid=${uid}`, { headers: { 'X-Microseg-Visitor': uid } })).status, USER);
    expect(direct).toBe(403);

    // The site's server signed the id: the labels arrive.
    const token = signIdentityToken(USER, demo.identitySecret);
    await w.page.evaluate(([uid, t]) => (window as any).microseg.identify(uid, {}, { token: t }), [USER, token]);
    await w.page.waitForFunction(() => (window as any).microseg.labels().some((l: { name: string }) => l.name === 'refund-asked'));
    expect(w.errors).toEqual([]);
    await w.page.close();
  });
});

describe('forget()', () => {
  it('unlinks the device on the backend: the cookie and its ids are gone, the new id is linked to nothing', async () => {
    const ctx = await browser.newContext();
    await ctx.route(`${demo.url}/identity-page`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: html(`<script>${snippet()}</script><script>
          microseg.init({ configUrl: '/api/config', labelsUrl: '/api/labels', collectUrl: '/api/collect' });
        </script>`, '<p>forget</p>'),
      }),
    );
    const page = await ctx.newPage();
    const bound = page.waitForResponse((r) => r.url().includes('/api/labels?') && r.status() === 200);
    await page.goto(`${demo.url}/identity-page`);
    await bound;
    const oldId = await page.evaluate(() => (window as any).microseg.profile().anonymousId as string);
    expect((await ctx.cookies()).map((c) => c.name)).toContain('ms_vid');

    const unlinked = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/forget');
    await page.evaluate(() => (window as any).microseg.forget());
    expect((await unlinked).status()).toBe(200);
    expect((await ctx.cookies()).map((c) => c.name)).not.toContain('ms_vid');
    // The browser can no longer read the old id's labels.
    expect(await page.evaluate(async (id) => (await fetch(`/api/labels?uid=${id}`)).status, oldId)).toBe(403);

    // Consent again: a fresh id, bound on its own, and the old one is not in the cookie.
    const rebound = page.waitForResponse((r) => r.url().includes('/api/labels?') && r.status() === 200);
    await page.evaluate(() => (window as any).microseg.consent('granted'));
    await rebound;
    const newId = await page.evaluate(() => (window as any).microseg.profile().anonymousId as string);
    expect(newId).not.toBe(oldId);
    expect(await page.evaluate(async (id) => (await fetch(`/api/labels?uid=${id}`)).status, oldId)).toBe(403);
    await ctx.close();
  });
});
