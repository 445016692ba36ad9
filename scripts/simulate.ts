// `npm run simulate`: synthetic visitors for the progression/aversion report. Most go through the
// backend protocol (POST /api/collect, exactly what the SDK's outbox sends); a few are real
// headless pages of the demo shop running the real SDK.
//
//   npm run simulate                       # against http://127.0.0.1:8080, or starts the demo on demo/data
//   npm run simulate -- --visitors 5000 --pages 3 --url http://localhost:8080 --seed 7
import { pathToFileURL } from 'node:url';

export interface SimEvent {
  id: string;
  type: string;
  ts: number;
  seq: number;
  aid: string;
  visit: number;
  page: { url: string; path: string; title: string; referrer: string };
  props: Record<string, unknown>;
}

interface Step {
  journey: string;
  campaign: string;
  slot: string;
  holdout: number;
  within: number;
  goal: (rand: () => number) => { type: string; props: Record<string, unknown> };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const purchase = (category: string) => (rand: () => number) => ({
  type: 'purchase',
  props: { currency: 'EUR', value: Math.round(80 + rand() * 900), items: [{ item_id: `${category}-1`, item_category: category, quantity: 1 }] },
});

// The journeys and hold-outs of examples/shop.config.json.
const STEPS: Record<string, Step> = {
  handbag: { journey: 'handbag-welcome-step', campaign: 'handbag-welcome', slot: 'hero', holdout: 0.1, within: 3 * DAY, goal: purchase('handbags') },
  cart: { journey: 'cart-recovery', campaign: 'free-shipping', slot: 'promo-banner', holdout: 0.2, within: 2 * DAY, goal: purchase('shoes') },
  ski: {
    journey: 'ski-launch-step', campaign: 'ski-season-launch', slot: 'hero', holdout: 0.05, within: 5 * DAY,
    goal: () => ({ type: 'add_to_cart', props: { items: [{ item_id: 'ski-1', item_category: 'ski', quantity: 1 }] } }),
  },
  vip: { journey: 'vip-winback-step', campaign: 'vip-winback', slot: 'hero', holdout: 0.1, within: 7 * DAY, goal: purchase('handbags') },
};

/** Behaviours: who they are (segments), which steps reach them, how likely they progress with and without the campaign. */
const PERSONAS = [
  { weight: 30, segments: ['new-handbag-browsers'], extra: { 'evening-mobile': 0.3 }, steps: { handbag: [0.06, 0.14] } },
  { weight: 25, segments: ['cart-abandoners'], extra: { 'email-responders': 0.4, 'shoe-lovers': 0.3 }, steps: { cart: [0.22, 0.34] } },
  // Promotions annoy people who just complained: the banner makes them less likely to buy.
  { weight: 8, segments: ['recent-complainers', 'cart-abandoners'], extra: {}, steps: { cart: [0.3, 0.06] } },
  { weight: 15, segments: ['ski-prospects'], extra: { 'high-value': 0.2 }, steps: { ski: [0.12, 0.21], cart: [0.2, 0.27] } },
  { weight: 10, segments: ['vip', 'churn-risk', 'vip-at-risk'], extra: {}, steps: { vip: [0.15, 0.3] } },
  { weight: 12, segments: ['everyone'], extra: { 'evening-mobile': 0.2 }, steps: { handbag: [0.03, 0.05], cart: [0.15, 0.18] } },
] as const;

/** A small seeded generator (mulberry32): the same seed, the same population. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The messages the SDK would send for `visitors` synthetic visitors over the last two weeks:
 * pages and product views, campaign exposures, journey exposures, goals and outcomes (windows
 * still open at `now` have no outcome yet), and segment entries.
 */
export function simulatePopulation({ visitors, seed = 1, now = Date.now() }: { visitors: number; seed?: number; now?: number }): SimEvent[] {
  const rand = prng(seed);
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  const total = PERSONAS.reduce((n, p) => n + p.weight, 0);
  const out: SimEvent[] = [];

  for (let v = 0; v < visitors; v++) {
    let pick = rand() * total;
    const persona = PERSONAS.find((p) => (pick -= p.weight) < 0) ?? PERSONAS[0];
    const segments: string[] = [...persona.segments];
    for (const [id, p] of Object.entries(persona.extra)) if (rand() < (p as number)) segments.push(id);
    const aid = `sim-${seed}-${v}-${hex(6)}`;
    let seq = 0;
    const page = (path: string) => ({ url: `https://shop.example${path}`, path, title: 'Maison Demo', referrer: '' });
    const emit = (type: string, ts: number, props: Record<string, unknown>, id = uuid(), path = '/') =>
      out.push({ id, type, ts: Math.round(ts), seq: seq++, aid, visit: 1, page: page(path), props });

    const start = now - 14 * DAY + rand() * 13 * DAY;
    emit('page', start, {});
    for (const id of segments) emit('$segment.enter', start + 1, { segment: id });
    for (let i = 0, n = 1 + Math.floor(rand() * 4); i < n; i++) emit('view_item', start + 2 + i, { items: [{ item_id: `p${i}` }] }, uuid(), `/p/p${i}`);

    let t = start + 60_000;
    for (const [key, [base, treated]] of Object.entries(persona.steps) as Array<[keyof typeof STEPS, readonly [number, number]]>) {
      const step = STEPS[key]!;
      const control = rand() < step.holdout;
      const exposure = uuid();
      const journeyKey = `${step.journey}:${exposure}`;
      const props = { journey: step.journey, exposure, at: Math.round(t), until: Math.round(t + step.within), segments, control, campaign: step.campaign };
      emit('$exposure', t, { campaign: step.campaign, slot: step.slot, control }, exposure);
      emit('$journey.exposure', t, props, `x:${journeyKey}`);
      const progressed = rand() < (control ? base : treated);
      const goalAt = t + rand() * step.within;
      if (progressed && goalAt <= now) {
        const goal = step.goal(rand);
        const goalId = uuid();
        emit(goal.type, goalAt, goal.props, goalId, '/checkout/complete');
        emit('$journey.outcome', goalAt, { ...props, outcome: 'progression', goal: goalId, goalAt: Math.round(goalAt) }, `o:${journeyKey}`);
      } else if (t + step.within < now) {
        // Settled by a timer or by the visitor's next page, some time after the window closed.
        emit('$journey.outcome', t + step.within + rand() * DAY, { ...props, outcome: 'aversion' }, `o:${journeyKey}`);
      }
      t += rand() * DAY;
    }
  }
  return out;
}

/** Posts messages to the collector in batches, as the outbox does. */
export async function postEvents(url: string, events: SimEvent[], batch = 500): Promise<{ stored: number; duplicates: number }> {
  let stored = 0;
  let duplicates = 0;
  for (let i = 0; i < events.length; i += batch) {
    const res = await fetch(`${url}/api/collect`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({ events: events.slice(i, i + batch) }),
    });
    if (!res.ok) throw new Error(`collect answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { stored: number; duplicate: number };
    stored += body.stored;
    duplicates += body.duplicate;
  }
  return { stored, duplicates };
}

/** A few real visitors: headless Chromium browsing the demo shop with the real SDK. */
async function realVisitors(url: string, count: number): Promise<number> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  let pages = 0;
  try {
    for (let i = 0; i < count; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      for (const path of ['/', '/c/handbags', '/p/hb-alma', '/c/shoes', '/cart', '/']) {
        await page.goto(url + path);
        await page.evaluate(() => (window as any).microseg?.ready);
        pages++;
      }
      await page.evaluate(() => (window as any).microseg?.flush());
      await page.waitForTimeout(500);
      await context.close(); // pagehide: the outbox beacons what is left
    }
  } finally {
    await browser.close();
  }
  return pages;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const visitors = Number(arg('visitors') ?? 2000);
  const seed = Number(arg('seed') ?? Date.now() % 100_000);
  const real = Number(arg('pages') ?? 3);
  let url = arg('url') ?? process.env.MICROSEG_URL ?? 'http://127.0.0.1:8080';
  let server: { url: string; close(): Promise<void> } | undefined;
  const up = await fetch(`${url}/api/config`).then((r) => r.ok, () => false);
  if (!up) {
    // No demo running: start one on its usual data directory, so `npm start` shows the result.
    const { startDemoServer } = await import('../demo/server/app');
    server = await startDemoServer({ port: 0, databaseUrl: process.env.DATABASE_URL || undefined, dataDir: process.env.MICROSEG_DATA_DIR || undefined });
    url = server.url;
  }
  try {
    const events = simulatePopulation({ visitors, seed });
    const { stored, duplicates } = await postEvents(url, events);
    const outcomes = events.filter((e) => e.type === '$journey.outcome').length;
    console.log(`${visitors} synthetic visitors (seed ${seed}): ${events.length} messages, ${stored} stored, ${duplicates} duplicates, ${outcomes} journey outcomes`);
    if (real > 0) {
      try {
        console.log(`${real} real headless visitors: ${await realVisitors(url, real)} shop pages with the SDK`);
      } catch (err) {
        console.warn(`headless visitors skipped: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    console.log(server ? 'Start the demo (npm start) and open /console to see the report.' : `Open ${url}/console to see the report.`);
  } finally {
    await server?.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
