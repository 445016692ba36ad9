// Boot cost of a returning visitor, side by side: microseg and peers' browser bundles, each
// initialised as its documentation shows with a comparable config, against a page without any
// SDK. CPU ×4; cold (a script URL the browser never compiled) and warm (the same URL after two
// loads: the code cache). JS main-thread time in the 6 s after load (trace of the renderer's
// main thread, minus the page without SDK), heap after a full GC, bytes the first visit downloads.
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { heapAfterGc, mainThreadTime, throttledTab, traced, visitor } from './lib/browser';
import { benchServer, ROOT } from './lib/server';
import { SHOP_CONFIG_TEXT, SLOTS, VISITOR_ATTRIBUTES, flatAttributes, growthbookPayload, optimizelyDatafile, shopTemplates } from './lib/peers';
import { median, ratio, round, rounds } from './lib/stats';

/** The fixed observation window after the load event. */
export const WINDOW_MS = 6000;

/** The shop page around every SDK: the same markup, the SDK's tags in the head. */
function shopPage(head: string): string {
  const slots = SLOTS.map((s) => `<section data-microseg-slot="${s}"><h2>${s}</h2><p>Default content</p></section>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>
<script>window.__bench = { done: false }; function benchDone(decisions) { window.__bench = { done: true, readyMs: performance.now(), decisions: decisions }; }</script>
${head}</head><body><header>Shop</header><main>${slots}<div data-microseg-offer="spring-sale">Spring sale</div></main>${shopTemplates()}</body></html>`;
}

const json = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

export interface Sdk {
  name: string;
  /** The page's head; `v` makes the SDK's script URL unique (a cold load). */
  head: (v: string) => string;
  /** After the first visit: let the SDK persist what it keeps (returning visitor). */
  settle?: (page: Page) => Promise<void>;
}

const microsegSnippet = readFileSync(join(ROOT, 'dist/snippet.min.js'), 'utf8');

export const BASELINE: Sdk = { name: 'no SDK (baseline)', head: () => `<script>benchDone([])</script>` };

export const SDKS: Sdk[] = [
  BASELINE,
  {
    name: 'microseg',
    // The snippet as the README gives it, then init() with the config URL.
    head: (v) => `<script>${microsegSnippet.replace('"/microseg.iife.js"', json(`/dist/microseg.iife.js?v=${v}`))}</script>
<script>microseg.init({ configUrl: '/shop.config.json' });
microseg.ready.then(function () { benchDone(${json(SLOTS)}.map(function (s) { return microseg.decide(s).campaign; })); });</script>`,
    settle: (page) => page.evaluate(() => (window as any).microseg.flush()),
  },
  {
    name: 'GrowthBook',
    head: (v) => `<script src="/nm/@growthbook/growthbook/dist/bundles/index.min.js?v=${v}"></script>
<script>var gb = new growthbook.GrowthBook({ attributes: ${json(VISITOR_ATTRIBUTES)} });
gb.init({ payload: ${json(growthbookPayload())} }).then(function () { benchDone(${json(SLOTS)}.map(function (s) { return gb.getFeatureValue(s, null); })); });</script>`,
  },
  {
    name: 'Optimizely',
    head: (v) => `<script src="/nm/@optimizely/optimizely-sdk/dist/optimizely.browser.umd.min.js?v=${v}"></script>
<script>var o = optimizelySdk; var client = o.createInstance({ projectConfigManager: o.createStaticProjectConfigManager({ datafile: ${json(JSON.stringify(optimizelyDatafile()))} }) });
client.onReady().then(function () { var user = client.createUserContext('visitor-42', ${json(flatAttributes())});
benchDone(${json(SLOTS)}.map(function (s) { return user.decide(s).ruleKey; })); });</script>`,
  },
  {
    name: 'Segment',
    // The analytics.js snippet's queue, loading the npm standalone bundle from this origin.
    head: (v) => `<script>var analytics = window.analytics = []; analytics._writeKey = 'bench'; analytics._cdn = location.origin;
['page', 'track', 'identify', 'ready'].forEach(function (m) { analytics[m] = function () { var a = Array.prototype.slice.call(arguments); a.unshift(m); analytics.push(a); return analytics; }; });
analytics.page(); analytics.ready(function () { benchDone([]); });</script>
<script async src="/nm/@segment/analytics-next/dist/umd/standalone.js?v=${v}"></script>`,
  },
  {
    name: 'PostHog',
    head: (v) => `<script src="/static/array.js?v=${v}"></script>
<script>posthog.init('phc_bench', { api_host: location.origin, person_profiles: 'identified_only', loaded: function () { benchDone([]); } });</script>`,
  },
];

function segmentSettings(origin: string) {
  return { integrations: { 'Segment.io': { apiKey: 'bench', apiHost: `${origin.replace(/^https?:\/\//, '')}/v1`, protocol: 'http' } }, plan: { track: { __default: { enabled: true } } } };
}

/** Gzip and brotli bytes of everything but the document that a page downloads. */
function downloads(page: Page): () => Promise<Bytes> {
  const bodies: Array<Promise<{ url: string; body?: Buffer }>> = [];
  page.on('response', (r) => {
    if (r.request().resourceType() === 'document' || r.status() !== 200) return;
    bodies.push(r.body().then((body) => ({ url: r.url(), body }), () => ({ url: r.url() })));
  });
  return async () => {
    const got = await Promise.all(bodies);
    let gzip = 0;
    let brotli = 0;
    for (const { body } of got) {
      if (!body) continue;
      gzip += gzipSync(body, { level: 9 }).length;
      brotli += brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
    }
    return { gzip, brotli, files: got.map((g) => new URL(g.url).pathname) };
  };
}

export const waitDone = (page: Page) => page.waitForFunction(() => (window as any).__bench.done, undefined, { timeout: 30_000 });

/** A plain visit (no throttling, no trace): the first visit and the loads that build the code cache. */
export async function visit(context: BrowserContext, url: string, sdk: Sdk, measureBytes = false) {
  const page = await context.newPage();
  const bytes = measureBytes ? downloads(page) : undefined;
  await page.goto(url);
  await waitDone(page);
  await sdk.settle?.(page);
  const result = await bytes?.();
  await page.close();
  return result;
}

interface Load {
  jsMs: number;
  compileMs: number;
  gcMs: number;
  cacheHits: number;
  heap: number;
  readyMs: number;
}
type MeasuredLoad = Load & { files: string[]; decisions: string };
interface Bytes {
  gzip: number;
  brotli: number;
  files: string[];
}

/**
 * A measured returning visit: CPU ×4, traced from navigation to 6 s after load, then the heap.
 * Nothing is evaluated in the page until the trace ends: the driver's own scripts would count.
 */
async function measuredVisit(context: BrowserContext, origin: string, url: string): Promise<MeasuredLoad> {
  const { page, cdp } = await throttledTab(context, origin);
  const files: string[] = [];
  page.on('request', (r) => r.resourceType() !== 'document' && files.push(new URL(r.url()).pathname));
  const events = await traced(cdp, async () => {
    await page.goto(url);
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
  });
  const heap = await heapAfterGc(cdp);
  await waitDone(page);
  const { readyMs, decisions } = await page.evaluate(() => (window as any).__bench as { readyMs: number; decisions: unknown[] });
  await page.close();
  return { ...mainThreadTime(events, origin), heap, readyMs, files, decisions: JSON.stringify(decisions) };
}

/** One visitor of one SDK: first visit, a second (the code cache is written), warm, then cold. */
async function oneVisitor(origin: string, sdk: Sdk, index: number, measureBytes: boolean) {
  const { context, close } = await visitor();
  try {
    const pageUrl = `${origin}/page/${index}`;
    // The page without SDK has no script to cache: one load stands for cold and warm.
    if (sdk === BASELINE) {
      const load = await measuredVisit(context, origin, `${pageUrl}?v=cold`);
      return { bytes: { gzip: 0, brotli: 0, files: [] }, warm: load, cold: load };
    }
    const bytes = await visit(context, `${pageUrl}?v=warm`, sdk, measureBytes);
    await visit(context, `${pageUrl}?v=warm`, sdk);
    const warm = await measuredVisit(context, origin, `${pageUrl}?v=warm`);
    const cold = await measuredVisit(context, origin, `${pageUrl}?v=cold-${Date.now()}`);
    return { bytes, warm, cold };
  } finally {
    await close();
  }
}

/** BENCH_BOOT_SDKS="microseg,GrowthBook" measures those only (beside the page without SDK). */
export function chosen(): Sdk[] {
  const names = (process.env.BENCH_BOOT_SDKS ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  return names.length ? SDKS.filter((s) => s === BASELINE || names.includes(s.name.toLowerCase())) : SDKS;
}

/** The shop page of every SDK at `/page/<index in SDKS>?v=…`, and what the SDKs fetch. */
export async function bootServer() {
  const pages: Record<string, (q: URLSearchParams) => string> = {};
  SDKS.forEach((sdk, i) => (pages[`/page/${i}`] = (q) => shopPage(sdk.head(q.get('v') ?? 'x'))));
  pages['/blank'] = () => '<!doctype html><title>blank</title>';
  let origin = '';
  const server = await benchServer({
    pages,
    json: { '/shop.config.json': SHOP_CONFIG_TEXT },
    routes: (app) => app.get('/v1/projects/:key/settings', (c) => c.json(segmentSettings(origin))),
  });
  origin = server.url;
  return server;
}

export async function run(): Promise<Record<string, unknown>> {
  const n = rounds();
  const sdks = chosen();
  const server = await bootServer();
  const origin = server.url;
  const samples = sdks.map(() => ({ warm: [] as MeasuredLoad[], cold: [] as MeasuredLoad[], bytes: undefined as Bytes | undefined }));
  try {
    // Rounds interleave the SDKs, so a slow moment of the machine hits every row alike.
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < sdks.length; i++) {
        const got = await oneVisitor(origin, sdks[i]!, SDKS.indexOf(sdks[i]!), r === 0);
        samples[i]!.warm.push(got.warm);
        samples[i]!.cold.push(got.cold);
        samples[i]!.bytes ??= got.bytes;
      }
    }
  } finally {
    await server.close();
  }
  return summarise(sdks, samples, n);
}

function summarise(sdks: Sdk[], samples: Array<{ warm: MeasuredLoad[]; cold: MeasuredLoad[]; bytes?: Bytes }>, n: number) {
  const med = (loads: Load[], key: keyof Load) => median(loads.map((l) => l[key]));
  const base = samples[0]!;
  const baseBytes = base.bytes ?? { gzip: 0, brotli: 0 };
  const rows = sdks.map((sdk, i) => {
    const s = samples[i]!;
    return {
      SDK: sdk.name,
      'JS ms cold': round(med(s.cold, 'jsMs') - (i ? med(base.cold, 'jsMs') : 0)),
      'JS ms warm': round(med(s.warm, 'jsMs') - (i ? med(base.warm, 'jsMs') : 0)),
      'compile ms cold': round(med(s.cold, 'compileMs')),
      'compile ms warm': round(med(s.warm, 'compileMs')),
      'GC ms cold': round(med(s.cold, 'gcMs')),
      'code cache hits cold/warm': `${med(s.cold, 'cacheHits')}/${med(s.warm, 'cacheHits')}`,
      'heap KB': round((med(s.cold, 'heap') - (i ? med(base.cold, 'heap') : 0)) / 1024),
      'ready ms cold': round(med(s.cold, 'readyMs')),
      'ready ms warm': round(med(s.warm, 'readyMs')),
      'KB gzip': round(((s.bytes?.gzip ?? 0) - (i ? baseBytes.gzip : 0)) / 1024),
      'KB brotli': round(((s.bytes?.brotli ?? 0) - (i ? baseBytes.brotli : 0)) / 1024),
    };
  });
  const ours = rows.find((r) => r.SDK === 'microseg') ?? rows[0]!;
  const ratios = rows.filter((r) => r !== ours && r !== rows[0]).map((r) => ({
    SDK: r.SDK,
    'JS cold ÷ microseg': ratio(r['JS ms cold'], ours['JS ms cold']),
    'JS warm ÷ microseg': ratio(r['JS ms warm'], ours['JS ms warm']),
    'heap ÷ microseg': ratio(r['heap KB'], ours['heap KB']),
    'brotli ÷ microseg': ratio(r['KB brotli'], ours['KB brotli']),
  }));
  return {
    conditions: `Chromium, CPU ×4, returning visitor, ${n} rounds, medians; JS time in the ${WINDOW_MS / 1000} s after load minus the page without SDK; heap after GC minus that page`,
    goal: 'microseg below every peer in JS time (cold and warm) and heap',
    boot: rows,
    ratios,
    firstVisitDownloads: Object.fromEntries(sdks.map((sdk, i) => [sdk.name, samples[i]!.bytes?.files.join(' ') ?? ''])),
    // What each SDK decided for the four slots (same rules, same visitor): a check that all did the work.
    decisions: Object.fromEntries(sdks.map((sdk, i) => [sdk.name, samples[i]!.cold[0]?.decisions ?? ''])),
    returningVisitRequests: Object.fromEntries(
      sdks.map((sdk, i) => [sdk.name, `cold: ${[...new Set(samples[i]!.cold[0]?.files ?? [])].join(' ')}; warm: ${[...new Set(samples[i]!.warm[0]?.files ?? [])].join(' ')}`]),
    ),
  };
}
