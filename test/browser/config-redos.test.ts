// ReDoS: the config (a regex with nested repetition on profile.url) and a visitor on
// ?tag=aaaa…a! must not freeze the page: the validator refuses the config with its path, and
// the page keeps running. Today the config is taken and the page's main thread never comes back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { html, launch, snippet, startServer, watchedPage, type TestServer } from './harness';

let browser: Browser;
let server: TestServer;
const slow = { schema: 1, version: 'redos', segments: [{ id: 'tagged', when: { 'profile.url': { $regex: 'tag=(\\w+-?)+$' } } }, { id: 'everyone', fallback: true }] };
const page = (config: unknown) =>
  html(`<script>${snippet()}</script><script>
    window.__errors = [];
    microseg.on('error', (e) => window.__errors.push({ code: e.code, path: e.path, message: e.message }));
    microseg.init({ config: ${JSON.stringify(config)} });
  </script>`);

beforeAll(async () => {
  browser = await launch();
  server = await startServer({ '/slow': page(slow) });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('regexes that backtrack', () => {
  it('the issue\'s config is refused with the path, and a visitor on ?tag=aaaa…a! keeps a responsive page', async () => {
    const context = await browser.newContext();
    const w = await watchedPage(context);
    // 40 characters: at 2 s for 28 and doubling per character, the old behaviour never returns.
    await w.page.goto(`${server.url}/slow?tag=${'a'.repeat(40)}!`);
    await w.page.waitForFunction(() => (window as any).__errors.some((e: { code: string }) => e.code === 'config-invalid'), undefined, { timeout: 20_000 });
    const state = await w.page.evaluate(() => ({ config: (window as any).microseg.config()?.version, errors: (window as any).__errors }));
    expect(state.config).toBeUndefined();
    expect(state.errors[0]).toMatchObject({ path: 'segments[0].when["profile.url"].$regex', message: expect.stringContaining('exponential time') });
    // The page still runs its own work: a frame and a timer come back.
    expect(await w.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(() => r('alive'), 0))))).toBe('alive');
    expect(w.errors).toEqual([]);
    await context.close();
  });
});
