// Cold start of a returning visitor over a stored history written by the SDK itself: track N
// events in the page, flush, then open the page again and again (CPU ×4). Script → ready and
// → first decision, p50 and p95, at 1k / 10k / 100k events; the 100k ÷ 1k ratio; IndexedDB usage.
import type { Page } from 'playwright-core';
import { throttledTab, visitor } from './lib/browser';
import { microsegPage, startTimes, writeHistory } from './lib/microseg-page';
import { SHOP_CONFIG_TEXT } from './lib/peers';
import { benchServer } from './lib/server';
import { median, p95, ratio, round, rounds } from './lib/stats';

const DEFAULT_SIZES = [1_000, 10_000, 100_000];

function sizes(): number[] {
  const listed = (process.env.BENCH_HISTORY_SIZES ?? '').split(',').map(Number).filter((n) => n > 0);
  return listed.length ? listed : DEFAULT_SIZES;
}

const storageUsage = (page: Page) => page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);

async function oneSize(origin: string, events: number, loads: number) {
  const { context, close } = await visitor();
  try {
    const first = await context.newPage();
    await first.goto(`${origin}/shop`);
    await startTimes(first);
    await writeHistory(first, events);
    const usage = await storageUsage(first);
    await first.close();
    const ready: number[] = [];
    const decision: number[] = [];
    for (let i = 0; i < loads; i++) {
      const { page } = await throttledTab(context, origin);
      await page.goto(`${origin}/shop`);
      const t = await startTimes(page);
      ready.push(t.readyMs);
      decision.push(t.decisionMs);
      await page.close();
    }
    return { events, ready, decision, usage };
  } finally {
    await close();
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const loads = rounds() * 2;
  const server = await benchServer({
    pages: { '/shop': microsegPage('/shop.config.json'), '/blank': '<!doctype html><title>blank</title>' },
    json: { '/shop.config.json': SHOP_CONFIG_TEXT },
  });
  const rows: Array<Record<string, number>> = [];
  try {
    for (const events of sizes()) {
      const r = await oneSize(server.url, events, loads);
      rows.push({
        'stored events': events,
        'ready ms p50': round(median(r.ready)),
        'ready ms p95': round(p95(r.ready)),
        'first decision ms p50': round(median(r.decision)),
        'first decision ms p95': round(p95(r.decision)),
        'IndexedDB usage KB': round(r.usage / 1024),
      });
    }
  } finally {
    await server.close();
  }
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  return {
    conditions: `Chromium, CPU ×4, shop config, ${loads} page loads per size after the history was written; script bytes arrived → ready / → every slot decided`,
    goal: `flat in history: ${last['stored events']} events ≤ 1.1 × ${first['stored events']}`,
    history: rows,
    [`ready ${last['stored events']} ÷ ${first['stored events']}`]: ratio(last['ready ms p50']!, first['ready ms p50']!),
    [`first decision ${last['stored events']} ÷ ${first['stored events']}`]: ratio(last['first decision ms p50']!, first['first decision ms p50']!),
  };
}
