// Main-thread cost of track() and ingestion throughput into IndexedDB, in Chromium, over the built IIFE.
import type { Browser } from 'playwright-core';
import { html, launch, startServer } from '../test/browser/harness';
import { median, p95, rounds } from './lib/stats';

/** A burst of 50,000 events in a fresh context, timed until the store has committed them all. */
async function ingestOnce(browser: Browser, url: string) {
  const fresh = await (await browser.newContext()).newPage();
  await fresh.goto(url);
  await fresh.evaluate(() => (window as any).microseg.ready);
  const got = await fresh.evaluate(async () => {
    const ms = (window as any).microseg;
    const N = 50_000;
    const t0 = performance.now();
    for (let i = 0; i < N; i++) ms.track('view_item', { i, value: i % 300, items: [{ item_id: `p${i % 97}`, item_category: 'shoes' }] });
    await ms.flush();
    const ms_ = performance.now() - t0;
    const stored: number = await new Promise((resolve, reject) => {
      const req = indexedDB.open('microseg');
      req.onsuccess = () => {
        const all = req.result.transaction('chunks').objectStore('chunks').getAll();
        all.onsuccess = () => resolve(new Set(all.result.flatMap((c: { events: { id: string }[] }) => c.events.map((e) => e.id))).size);
        all.onerror = () => reject(all.error);
      };
    });
    return { events: N, ms: ms_, stored };
  });
  await fresh.context().close();
  return got;
}

export async function run() {
  const browser = await launch();
  const server = await startServer({
    '/bench': html('<script src="/microseg.iife.js"></script><script>microseg.init({ autoPage: false })</script>'),
  });
  try {
    // track(): batches of 200 calls timed together (performance.now() is coarse in a page that is
    // not cross-origin isolated), 100 batches; the per-call figure is batch time / 200.
    const page = await browser.newPage();
    await page.goto(server.url + '/bench');
    await page.evaluate(() => (window as any).microseg.ready);
    const batches: number[] = await page.evaluate(() => {
      const ms = (window as any).microseg;
      const props = { currency: 'EUR', value: 129.9, items: [{ item_id: 'bag-1', item_category: 'handbags', price: 129.9, quantity: 1 }] };
      for (let i = 0; i < 2000; i++) ms.track('warmup', props); // JIT warm-up
      const out: number[] = [];
      for (let b = 0; b < 100; b++) {
        const t0 = performance.now();
        for (let i = 0; i < 200; i++) ms.track('add_to_cart', props);
        out.push(((performance.now() - t0) * 1000) / 200);
      }
      return out;
    });
    await page.close();

    // Ingestion: p50 and p95 over rounds, each in a fresh context.
    const ingests = [];
    for (let r = 0; r < rounds(); r++) ingests.push(await ingestOnce(browser, server.url + '/bench'));
    const perSecond = ingests.map((i) => i.events / (i.ms / 1000));
    const seconds = ingests.map((i) => i.ms / 1000);
    return {
      track: {
        unit: 'µs per call (main thread), no config loaded (with configs: the track bench)',
        p50: +median(batches).toFixed(2),
        p95: +p95(batches).toFixed(2),
        target: '≤ 10 µs median',
      },
      ingestion: {
        events: ingests[0]!.events,
        rounds: ingests.length,
        'lost (worst round)': Math.max(...ingests.map((i) => i.events - i.stored)),
        'seconds p50': +median(seconds).toFixed(2),
        'seconds p95': +p95(seconds).toFixed(2),
        'events/s p50': Math.round(median(perSecond)),
        // The slow tail: the 95th percentile of the time is the 5th percentile of the rate.
        'events/s at p95 time': Math.round(ingests[0]!.events / p95(seconds)),
        target: '≥ 20,000 events/s, zero loss',
      },
    };
  } finally {
    await browser.close();
    await server.close();
  }
}
