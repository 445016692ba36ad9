// Main-thread cost of track() and ingestion throughput into IndexedDB, in Chromium, over the built IIFE.
import { html, launch, startServer } from '../test/browser/harness';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))]!;
};

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

    // Ingestion: a burst of 50,000 events, timed until the store has committed them all.
    const fresh = await (await browser.newContext()).newPage();
    await fresh.goto(server.url + '/bench');
    await fresh.evaluate(() => (window as any).microseg.ready);
    const ingest = await fresh.evaluate(async () => {
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
    return {
      track: {
        unit: 'µs per call (main thread)',
        median: +median(batches).toFixed(2),
        p95: +pct(batches, 95).toFixed(2),
        target: '≤ 10 µs median',
      },
      ingestion: {
        events: ingest.events,
        stored: ingest.stored,
        lost: ingest.events - ingest.stored,
        seconds: +(ingest.ms / 1000).toFixed(2),
        eventsPerSecond: Math.round(ingest.events / (ingest.ms / 1000)),
        target: '≥ 20,000 events/s, zero loss',
      },
    };
  } finally {
    await browser.close();
    await server.close();
  }
}
