// track() cost in Chromium on the built IIFE with a real config loaded: the shop config, then
// generated configs of 1,000 and 5,000 segments. Per call on the main thread (batches of calls
// timed together: performance.now() is coarse in a page that is not cross-origin isolated), and
// per event with the work track() defers (each call followed by a task, minus an empty task).
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from '../test/browser/harness';
import { scaledConfig } from './lib/configs';
import { microsegPage, startTimes } from './lib/microseg-page';
import { SHOP_CONFIG, SHOP_CONFIG_TEXT } from './lib/peers';
import { benchServer } from './lib/server';
import { median, p95, ratio, round } from './lib/stats';

const CONFIGS: Array<[name: string, config: unknown]> = [
  ['shop', SHOP_CONFIG_TEXT],
  ['1,000 segments', scaledConfig(1000)],
  ['5,000 segments', scaledConfig(5000)],
];
const BATCH = 100;
const BATCHES = 100;

async function measure(browser: Browser, origin: string, index: number, segments: number) {
  const context = await browser.newContext();
  // tsx keeps function names through a __name() helper, absent from the page the function runs in.
  await context.addInitScript('window.__name = function (f) { return f; };');
  const page = await context.newPage();
  try {
    await page.goto(`${origin}/track/${index}`);
    await startTimes(page);
    const loaded = await page.evaluate(() => (window as any).microseg.config()?.segments.length ?? 0);
    if (loaded !== segments) throw new Error(`config ${index}: the SDK has ${loaded} segments, expected ${segments}`);
    return await page.evaluate(
      async ({ batch, batches }) => {
        const ms = (window as any).microseg;
        const categories = ['handbags', 'shoes', 'ski', 'jackets'];
        const types = ['view_item', 'add_to_cart', 'view_item_list', 'search', 'begin_checkout'];
        let n = 0;
        const next = () => {
          n++;
          ms.track(types[n % types.length], { value: n % 300, currency: 'EUR', items: [{ item_id: `sku-${n % 97}`, item_category: categories[n % 4], price: n % 300, quantity: 1 }] });
        };
        const task = () => new Promise<void>((resolve) => { const c = new MessageChannel(); c.port1.onmessage = () => resolve(); c.port2.postMessage(0); });
        for (let i = 0; i < 1000; i++) next(); // JIT warm-up
        await ms.flush();
        const perCall: number[] = [];
        for (let b = 0; b < batches; b++) {
          const t0 = performance.now();
          for (let i = 0; i < batch; i++) next();
          perCall.push(((performance.now() - t0) * 1000) / batch);
          await task();
        }
        await ms.flush();
        // One event per task, deferred work included; the same loop without track() is subtracted.
        // Pairs of runs, alternating, and the median difference: a task's own time varies more than
        // one event costs, so one pair alone can even come out below zero.
        const timeTasks = async (withTrack: boolean) => {
          const t0 = performance.now();
          for (let i = 0; i < 500; i++) {
            if (withTrack) next();
            await task();
          }
          return performance.now() - t0;
        };
        const differences: number[] = [];
        for (let pair = 0; pair < 9; pair++) {
          const empty = await timeTasks(false);
          const full = await timeTasks(true);
          differences.push(((full - empty) * 1000) / 500);
        }
        await ms.flush();
        differences.sort((x, y) => x - y);
        return { perCall, deferredUs: differences[4]! };
      },
      { batch: BATCH, batches: BATCHES },
    );
  } finally {
    await context.close();
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const pages: Record<string, string> = {};
  const json: Record<string, unknown> = {};
  CONFIGS.forEach(([, config], i) => {
    pages[`/track/${i}`] = microsegPage(`/config/${i}.json`, { autoPage: false });
    json[`/config/${i}.json`] = config;
  });
  const server = await benchServer({ pages, json });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const rows: Array<Record<string, string | number>> = [];
  try {
    for (let i = 0; i < CONFIGS.length; i++) {
      const config = CONFIGS[i]![1];
      const segments = (typeof config === 'string' ? SHOP_CONFIG : (config as { segments: unknown[] })).segments.length;
      const r = await measure(browser, server.url, i, segments);
      rows.push({
        config: CONFIGS[i]![0],
        segments,
        'µs per call p50': round(median(r.perCall), 2),
        'µs per call p95': round(p95(r.perCall), 2),
        'µs per event incl. deferred work': round(r.deferredUs, 2),
      });
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const at = (name: string) => rows.find((r) => r.config === name)!;
  return {
    conditions: `Chromium (no throttling), built IIFE, config served; ${BATCHES} batches of ${BATCH} calls after 1,000 warm-up calls`,
    goal: 'shop and 1,000 segments ≤ 10 µs median; 5,000 segments ≤ 5 × 1,000',
    track: rows,
    '5,000 ÷ 1,000 (per call p50)': ratio(at('5,000 segments')['µs per call p50'] as number, at('1,000 segments')['µs per call p50'] as number),
    '5,000 ÷ 1,000 (incl. deferred)': ratio(at('5,000 segments')['µs per event incl. deferred work'] as number, at('1,000 segments')['µs per event incl. deferred work'] as number),
  };
}
