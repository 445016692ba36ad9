// First paint with and without microseg, side by side in one run, on the demo product page:
// first contentful paint, and when the personalized recommendations strip is on screen. A
// returning visitor (snapshot in place) should see it in the first paint; the SDK should cost
// the first contentful paint at most 5 %.
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startDemoServer } from '../demo/server/app';

// Not the test harness: it registers vitest hooks. Same browser, same flags.
const launch = () =>
  chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });

/** The demo backend in memory, with a private copy of the demo config. */
function startDemo() {
  const configPath = join(mkdtempSync(join(tmpdir(), 'microseg-bench-')), 'config.json');
  copyFileSync(join(import.meta.dirname, '..', 'examples/shop.config.json'), configPath);
  return startDemoServer({ port: 0, dataDir: 'memory://', configPath });
}

const RUNS = 25;
const PAGE = '/p/hb-alma';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** Before any page script: FCP, and the first frame whose recommendations strip is personalized. */
const RECORDER = `(() => {
  window.__bench = { fcp: 0, personalized: 0, firstSlotFrame: 0, slotFrames: 0, defaultFrames: 0, cls: 0, observed: [] };
  // Main-thread time in MutationObserver callbacks (the first-paint script's, the SDK's): [start, duration].
  const MO = window.MutationObserver;
  window.MutationObserver = class extends MO {
    constructor(cb) {
      super((records, o) => { const t = performance.now(); try { cb(records, o); } finally { __bench.observed.push([t, performance.now() - t]); } });
    }
  };
  new PerformanceObserver((l) => l.getEntries().forEach((e) => { if (!e.hadRecentInput) __bench.cls += e.value; })).observe({ type: 'layout-shift', buffered: true });
  new PerformanceObserver((l) => l.getEntries().forEach((e) => { if (e.name === 'first-contentful-paint') __bench.fcp = e.startTime; })).observe({ type: 'paint', buffered: true });
  const frame = () => {
    const el = document.querySelector('[data-microseg-slot=recs]');
    if (el) {
      const now = performance.now();
      __bench.slotFrames++;
      if (!__bench.firstSlotFrame) __bench.firstSlotFrame = now;
      if (el.getAttribute('data-microseg-state') === 'personalized') { if (!__bench.personalized) __bench.personalized = now; }
      else __bench.defaultFrames++;
    }
    if (!__bench.personalized || !__bench.fcp) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
})();`;

interface Sample {
  fcp: number;
  personalized: number;
  firstSlotFrame: number;
  defaultFrames: number;
  cls: number;
  /** ms spent in MutationObserver callbacks before the first contentful paint */
  observed: number;
}

type Variant = 'without SDK' | 'with SDK, first visit' | 'with SDK, returning visitor';

async function context(browser: Browser, strip: boolean, firstVisit = false): Promise<BrowserContext> {
  const ctx = await browser.newContext();
  await ctx.addInitScript(RECORDER);
  // A first visit, as far as painting goes: no snapshot (the HTTP cache stays warm, as for the others).
  if (firstVisit) await ctx.addInitScript(() => localStorage.removeItem('microseg:paint'));
  // Both variants go through the same interception; one also removes microseg from the page.
  await ctx.route('**/p/*', async (route) => {
    const res = await route.fetch();
    let body = await res.text();
    if (strip) body = body.replace(/<!-- microseg -->[\s\S]*?<!-- \/microseg -->/, '');
    await route.fulfill({ response: res, body });
  });
  return ctx;
}

async function measure(page: Page, url: string, sdk: boolean) {
  await page.goto(url);
  await page.waitForFunction(() => (window as any).__bench.fcp > 0);
  if (sdk) {
    await page.evaluate(() => (window as any).microseg.ready);
    await page.waitForFunction(() => (window as any).__bench.personalized > 0);
  }
  return page.evaluate(() => {
    const b = (window as any).__bench;
    return { ...b, observed: b.observed.filter(([t]: number[]) => t < b.fcp).reduce((sum: number, [, d]: number[]) => sum + d, 0) } as Sample;
  });
}

export async function run() {
  const browser = await launch();
  const demo = await startDemo();
  try {
    const url = demo.url + PAGE;
    const without = await context(browser, true);
    const returning = await context(browser, false);
    const first = await context(browser, false, true);
    // Warm the HTTP caches alike; the returning visitor's first visit leaves its snapshot.
    for (const ctx of [without, returning, first]) {
      const p = await ctx.newPage();
      await measure(p, url, ctx !== without);
      if (ctx === returning) await p.waitForFunction(() => localStorage.getItem('microseg:paint'));
      await p.close();
    }
    const samples: Record<Variant, Sample[]> = {
      'without SDK': [],
      'with SDK, first visit': [],
      'with SDK, returning visitor': [],
    };
    for (let i = 0; i < RUNS; i++) {
      // Alternate the order so that neither variant always runs on a warmer machine.
      const order: Variant[] = i % 2 ? ['without SDK', 'with SDK, returning visitor', 'with SDK, first visit'] : ['with SDK, first visit', 'with SDK, returning visitor', 'without SDK'];
      for (const v of order) {
        const ctx = v === 'without SDK' ? without : v === 'with SDK, first visit' ? first : returning;
        const p = await ctx.newPage();
        samples[v].push(await measure(p, url, v !== 'without SDK'));
        await p.close();
      }
    }
    const fcpWithout = median(samples['without SDK'].map((s) => s.fcp));
    const rows = (Object.keys(samples) as Variant[]).map((v) => {
      const s = samples[v];
      const sdk = v !== 'without SDK';
      return {
        variant: v,
        'FCP median (ms)': Math.round(median(s.map((x) => x.fcp)) * 10) / 10,
        'FCP vs without': Math.round((median(s.map((x) => x.fcp)) / fcpWithout) * 1000) / 1000,
        // Each round loads every variant back to back: the ratio within a round cancels the machine's drift.
        'FCP vs without, paired': Math.round(median(s.map((x, i) => x.fcp / samples['without SDK'][i]!.fcp)) * 1000) / 1000,
        'personalized visible, median (ms)': sdk ? Math.round(median(s.map((x) => x.personalized)) * 10) / 10 : '—',
        'personalized in the first frame': sdk ? `${s.filter((x) => x.defaultFrames === 0).length}/${s.length}` : '—',
        'layout shift (CLS), median': Math.round(median(s.map((x) => x.cls)) * 1000) / 1000,
        'observer time before FCP, median (ms)': Math.round(median(s.map((x) => x.observed)) * 100) / 100,
      };
    });
    const returningRow = rows.find((r) => r.variant === 'with SDK, returning visitor')!;
    return {
      page: PAGE,
      runs: RUNS,
      results: rows,
      goal: 'returning visitor: personalized content in the first paint; FCP with the SDK ≤ 1.05 × without',
      met: returningRow['FCP vs without, paired'] <= 1.05 && returningRow['personalized in the first frame'] === `${RUNS}/${RUNS}`,
    };
  } finally {
    await browser.close();
    await demo.close();
  }
}
