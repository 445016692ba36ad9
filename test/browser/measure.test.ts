// Forwarding in real Chromium: the collector is unreachable while 200 events are tracked across
// reloads; when it comes back the demo backend holds each of them exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { html, launch, snippet, startServer, watchedPage, type TestServer } from './harness';
import { startDemo, type TestDemo } from './demo-support';

let browser: Browser;
let server: TestServer;
let demo: TestDemo;
/** The collector is unreachable: connections are cut (beacons bypass Playwright's routing). */
let offline = false;
let cut = 0;

beforeAll(async () => {
  [browser, demo] = await Promise.all([launch(), startDemo()]);
  server = await startServer({
    '/measure': html(
      `<script>${snippet()}</script><script>
        microseg.init({ collectUrl: '/api/collect', autoPage: false, collect: { batchSize: 40, interval: 200, maxBackoff: 1500 } });
      </script>`,
    ),
  });
  // Same origin as the page, as a site's own collector would be: forward to the demo backend.
  server.app.post('/api/collect', async (c) => {
    if (offline) {
      cut++;
      (c.env as { incoming: { socket: { destroy(): void } } }).incoming.socket.destroy();
      return c.body(null, 503);
    }
    const res = await fetch(`${demo.url}/api/collect`, { method: 'POST', body: await c.req.text(), headers: { 'content-type': 'text/plain' } });
    return c.body(await res.text(), res.status as 202, { 'content-type': 'application/json' });
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await demo?.close();
});

async function collected(type: string): Promise<number[]> {
  const { rows } = await demo.db.query<{ n: number }>(`SELECT (props->>'n')::int AS n FROM events WHERE type = $1 ORDER BY 1`, [type]);
  return rows.map((r) => Number(r.n));
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('forwarding to collectUrl', () => {
  it('offline across reloads: 200 events tracked, exactly 200 stored once the network returns', async () => {
    const context = await browser.newContext();
    offline = true;
    let refused = 0;
    await context.route('**/api/collect', (route) => {
      refused++;
      return route.abort('internetdisconnected');
    });
    const w = await watchedPage(context);
    await w.page.goto(`${server.url}/measure`);
    for (let load = 0; load < 4; load++) {
      // The SDK is loaded (the snippet injects it after the first frame), its storage maybe not open yet.
      await w.page.waitForFunction(() => (window as any).microseg?._loaded === true);
      await w.page.evaluate((from) => {
        const ms = (window as any).microseg; // not waiting for ready: storage may still be opening
        for (let i = 0; i < 50; i++) ms.track('offline-test', { n: from + i });
      }, load * 50);
      // Reload at once: the last events are not in IndexedDB yet.
      await w.page.reload();
    }
    await w.page.evaluate(() => (window as any).microseg.ready);
    await eventually(async () => refused > 0); // the last page tried to send too
    expect(refused).toBeGreaterThan(0);
    expect(cut).toBeGreaterThan(0); // the pages did beacon on their way out
    expect(await collected('offline-test')).toEqual([]);
    const queued = await w.page.evaluate(() => new Promise<number>((resolve) => {
      const open = indexedDB.open('microseg');
      open.onsuccess = () => {
        const count = open.result.transaction('outbox').objectStore('outbox').count();
        count.onsuccess = () => {
          resolve(count.result);
          open.result.close();
        };
      };
    }));
    expect(queued).toBe(200);

    offline = false;
    await context.unroute('**/api/collect'); // the network is back: the next retry goes through
    await eventually(async () => (await collected('offline-test')).length >= 200);
    await new Promise((r) => setTimeout(r, 1000)); // and nothing more arrives
    expect(await collected('offline-test')).toEqual([...Array(200).keys()]);
    expect(w.errors).toEqual([]);
    await context.close();
  });
});
