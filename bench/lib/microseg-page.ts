// A page that loads the built script-tag SDK with a served config and records, in the page,
// when the script arrived, when the SDK was ready and when every slot had its decision.
import type { Page } from 'playwright-core';
import { SLOTS, shopTemplates } from './peers';

export interface StartTimes {
  /** Script bytes arrived → `ready` resolved, ms. */
  readyMs: number;
  /** Script bytes arrived → every slot decided, ms. */
  decisionMs: number;
}

/** Logged once the start's writes are flushed: a driver can wait for it without running code in the page. */
export const SETTLED = 'microseg-bench:settled';

export function microsegPage(configUrl: string, init: Record<string, unknown> = {}): string {
  const options = JSON.stringify({ configUrl, ...init });
  return `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>
<script>window.__benchDone = new Promise(function (resolve) { window.__benchResolve = resolve; });</script>
<script src="/dist/microseg.iife.js"></script>
<script>microseg.init(${options});
microseg.ready.then(function () {
  var readyAt = performance.now();
  ${JSON.stringify(SLOTS)}.forEach(function (slot) { microseg.decide(slot); });
  var decidedAt = performance.now();
  var script = performance.getEntriesByType('resource').filter(function (e) { return /microseg\\.iife\\.js/.test(e.name); })[0];
  var start = script ? script.responseEnd : 0;
  __benchResolve({ readyMs: readyAt - start, decisionMs: decidedAt - start });
  microseg.flush().then(function () { console.debug(${JSON.stringify(SETTLED)}); });
});</script></head><body>${SLOTS.map((s) => `<section data-microseg-slot="${s}">default</section>`).join('')}${shopTemplates()}</body></html>`;
}

/** Waits for the page's start times (a promise in the page: no polling that would cost it CPU). */
export const startTimes = (page: Page): Promise<StartTimes> => page.evaluate(() => (window as any).__benchDone as Promise<StartTimes>);

/** A shop's event mix, tracked through the public API in batches, then flushed to IndexedDB. */
export async function writeHistory(page: Page, events: number): Promise<void> {
  await page.evaluate(async (count) => {
    const ms = (window as any).microseg;
    const categories = ['handbags', 'shoes', 'ski', 'jackets'];
    const types = ['view_item', 'view_item', 'view_item_list', 'add_to_cart', 'search', 'purchase'];
    for (let i = 0; i < count; i++) {
      const category = categories[i % categories.length];
      ms.track(types[i % types.length], { value: (i * 37) % 300, currency: 'EUR', items: [{ item_id: `sku-${i % 500}`, item_category: category, price: (i * 37) % 300 }] });
      if (i % 5000 === 4999) await ms.flush();
    }
    await ms.flush();
  }, events);
}
