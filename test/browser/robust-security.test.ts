// Cookies and other visitors' data, through a real browser: the SDK sets no cookie; the demo
// backend lets a browser read only its own labels and change none, and a visitor cannot turn on
// the marketer preview.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { html, launch, snippet, startServer, watchedPage, type TestServer } from './harness';
import { startDemo, type TestDemo } from './demo-support';
import { generateKeys } from '../../src/config/keys';
import { signPreviewToken } from '../../src/preview/token';

let browser: Browser;
let demo: TestDemo;
let server: TestServer;

beforeAll(async () => {
  browser = await launch();
  demo = await startDemo();
  server = await startServer({
    '/': html(`<script>${snippet()}</script><script>
      microseg.init({ config: { schema: 1, version: 'c', segments: [{ id: 'everyone', fallback: true }] } });
      microseg.track('x'); microseg.label('vip'); microseg.identify('user-1');
    </script>`),
  });
});

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  await server?.close();
});

describe('security through the browser', () => {
  it('the SDK sets no cookie, whatever the page does with it', async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context);
    await w.page.goto(server.url + '/');
    await w.page.evaluate(() => (window as any).microseg.ready);
    await w.page.evaluate(() => (window as any).microseg.flush());
    await w.page.reload();
    await w.page.evaluate(() => (window as any).microseg.ready);
    expect(await context.cookies()).toEqual([]);
    expect(await w.page.evaluate(() => document.cookie)).toBe('');
    expect(w.errors).toEqual([]);
    await context.close();
  });

  it("through the demo backend a visitor can neither read nor change another visitor's labels", async () => {
    const a = await browser.newContext();
    const b = await browser.newContext();
    const pa = await watchedPage(a);
    const pb = await watchedPage(b);
    for (const w of [pa, pb]) {
      await w.page.goto(demo.url + '/');
      await w.page.evaluate(() => (window as any).microseg.ready);
    }
    const idA = await pa.page.evaluate(() => (window as any).microseg.profile().anonymousId as string);
    const idB = await pb.page.evaluate(() => (window as any).microseg.profile().anonymousId as string);
    // The only cookie is the demo backend's own: HttpOnly, for /api, binding this browser to its ids.
    const cookies = await a.cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.path])).toEqual([['ms_vid', true, '/api']]);
    expect(await pa.page.evaluate(() => document.cookie)).toBe('');

    const attempts = await pb.page.evaluate(async ({ idA, idB }) => {
      const status = async (p: Promise<Response>) => (await p).status;
      return {
        ownRead: await status(fetch(`/api/labels?uid=${encodeURIComponent(idB)}`, { headers: { 'X-Microseg-Visitor': idB } })),
        // Claiming someone else's id in the header does not work: the first browser to report it owns it.
        otherRead: await status(fetch(`/api/labels?uid=${encodeURIComponent(idA)}`, { headers: { 'X-Microseg-Visitor': idA } })),
        otherSet: await status(fetch('/api/labels', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ uid: idA, name: 'complaint', channel: 'web' }) })),
        ownSet: await status(fetch('/api/labels', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ uid: idB, name: 'vip', channel: 'web' }) })),
        otherDelete: await status(fetch(`/api/labels/${encodeURIComponent(idA)}/complaint`, { method: 'DELETE' })),
        forgedAdmin: await status(fetch('/api/labels', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer guess' }, body: JSON.stringify({ uid: idA, name: 'complaint', channel: 'web' }) })),
        events: await status(fetch(`/api/events?aid=${encodeURIComponent(idA)}`)),
      };
    }, { idA, idB });
    expect(attempts).toEqual({ ownRead: 200, otherRead: 403, otherSet: 401, ownSet: 401, otherDelete: 401, forgedAdmin: 401, events: 401 });
    expect(pa.errors).toEqual([]);
    expect(pb.errors).toEqual([]);
    await a.close();
    await b.close();
  });

  it('through the demo backend a visitor cannot enable the preview: no token without the admin token, and a self-made one is refused', async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context);
    await w.page.goto(demo.url + '/');
    await w.page.evaluate(() => (window as any).microseg.ready);
    const mint = await w.page.evaluate(async () => {
      const post = (headers: Record<string, string>) =>
        fetch('/api/preview', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ segment: 'vip' }) }).then((r) => r.status);
      return { none: await post({}), guessed: await post({ authorization: 'Bearer admin' }) };
    });
    expect(mint).toEqual({ none: 401, guessed: 401 });
    // A token the visitor signed with a key of their own: refused, the page stays the visitor's.
    const own = await generateKeys();
    const token = await signPreviewToken({ segments: ['vip'] }, own.privatePem);
    await w.page.addInitScript(() => {
      (window as any).__codes = [];
      window.addEventListener('DOMContentLoaded', () => (window as any).microseg.on('error', (e: any) => (window as any).__codes.push(e.code)));
    });
    await w.page.goto(`${demo.url}/?microseg_preview=${token}`);
    await w.page.evaluate(() => (window as any).microseg.ready);
    await w.page.waitForFunction(() => (window as any).__codes.includes('preview-token-invalid'));
    expect(await w.page.evaluate(() => (window as any).microseg.segments())).not.toContain('vip');
    expect(w.errors).toEqual([]);
    await context.close();
  });
});
