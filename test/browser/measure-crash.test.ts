// The crash window, measured. 200 track() calls, then either the page's renderer crashes at once
// (the browser lives on), or the whole Chromium process group is killed with SIGKILL d ms later
// (no pagehide, no unload, no shutdown) and the same user-data-dir is opened again. The next page
// sends what survived. The figures go to test-results/crash-window.json for the README.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS, html, launch, ROOT, snippet, startServer, type TestServer } from './harness';

let server: TestServer;
/** First run: the collector fails (what survives must be on disk); afterwards it stores. */
let accepting = false;
const received = new Set<string>();

beforeAll(async () => {
  server = await startServer({
    '/crash': html(
      `<script>${snippet()}</script><script>
        microseg.init({ collectUrl: '/collect', autoPage: false, collect: { interval: 50, maxBackoff: 500 } });
      </script>`,
    ),
  });
  server.app.post('/collect', async (c) => {
    if (!accepting) return c.body(null, 503);
    for (const m of JSON.parse(await c.req.text()).events as Array<{ type: string; props: { run?: string; i?: number } }>) {
      if (m.type === 'burst') received.add(`${m.props.run}:${m.props.i}`);
    }
    return c.json({ ok: true }, 200);
  });
});
afterAll(() => server?.close());

/** Chromium as its own process group, so that SIGKILL takes the browser and every renderer at once. */
async function startChromium(dir: string): Promise<{ proc: ChildProcess; browser: Browser }> {
  const proc = spawn(
    process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    ['--headless=new', `--user-data-dir=${dir}`, '--remote-debugging-port=0', ...CHROMIUM_ARGS, 'about:blank'],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const ws = await new Promise<string>((resolve, reject) => {
    let text = '';
    proc.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (m) resolve(m[1]!);
    });
    proc.on('exit', () => reject(new Error(`chromium exited: ${text.slice(-500)}`)));
  });
  return { proc, browser: await chromium.connectOverCDP(ws) };
}

function kill(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    proc.on('exit', () => resolve());
    process.kill(-proc.pid!, 'SIGKILL');
  });
}

const burst = (page: import('playwright-core').Page, tag: string) =>
  page.evaluate((run) => {
    for (let i = 0; i < 200; i++) (window as any).microseg.track('burst', { run, i });
  }, tag);

/** Flushes until a flush sends nothing more (waits on the collector, not on time); the count of `tag`'s events. */
async function collect(page: import('playwright-core').Page, tag: string): Promise<number> {
  await page.goto(`${server.url}/crash`);
  await page.evaluate(() => (window as any).microseg.ready.then(() => (window as any).microseg.flush()));
  const count = () => [...received].filter((k) => k.startsWith(`${tag}:`)).length;
  let last = -1;
  while (count() !== last) {
    last = count();
    await page.evaluate(() => (window as any).microseg.flush());
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 200))));
  }
  return count();
}

/** One run: how many of the 200 events reach the collector after a kill `delay` ms after the calls. */
async function run(delay: number, tag: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'microseg-crash-'));
  try {
    accepting = false;
    const first = await startChromium(dir);
    const page = await first.browser.contexts()[0]!.newPage();
    await page.goto(`${server.url}/crash`);
    await page.waitForFunction(() => (window as any).microseg?.ready instanceof Promise);
    await page.evaluate(() => (window as any).microseg.ready.then(() => (window as any).microseg.flush()));
    await burst(page, tag);
    const t = Date.now();
    while (Date.now() - t < delay) { /* the kill comes `delay` ms after the calls returned */ }
    await kill(first.proc);

    accepting = true;
    const again = await startChromium(dir);
    const count = await collect(await again.browser.contexts()[0]!.newPage(), tag);
    await again.browser.close().catch(() => {});
    await kill(again.proc).catch(() => {});
    return count;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const results: Record<string, Array<{ delayMs: number; survived: number }>> = { rendererCrash: [], browserKill: [] };
afterAll(() => {
  mkdirSync(join(ROOT, 'test-results'), { recursive: true });
  writeFileSync(join(ROOT, 'test-results/crash-window.json'), JSON.stringify(results, null, 2));
  console.log('crash window', JSON.stringify(results));
});

describe('the crash window', () => {
  it('the renderer crashes right after 200 track() calls: all 200 are sent by the next page', async () => {
    accepting = false;
    const browser = await launch();
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${server.url}/crash`);
      await page.evaluate(() => (window as any).microseg.ready.then(() => (window as any).microseg.flush()));
      await burst(page, 'renderer');
      const cdp = await context.newCDPSession(page);
      const crashed = page.waitForEvent('crash');
      void cdp.send('Page.crash').catch(() => {}); // never answered: the renderer is gone
      await crashed;
      accepting = true;
      const survived = await collect(await context.newPage(), 'renderer');
      results.rendererCrash!.push({ delayMs: 0, survived });
      expect(survived).toBe(200);
    } finally {
      await browser.close();
    }
  });

  it('the whole browser is killed (SIGKILL) d ms after 200 track() calls: what survives', async () => {
    for (const delay of [0, 10, 100, 2000]) results.browserKill!.push({ delayMs: delay, survived: await run(delay, `d${delay}`) });
    // Below the disk commit of IndexedDB nothing in a page can be durable (localStorage reaches the
    // disk seconds later): the figures are recorded, and from 2 s on nothing may be lost.
    expect(results.browserKill!.at(-1)!.survived).toBe(200);
  }, 240_000);
});
