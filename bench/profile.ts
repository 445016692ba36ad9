// Where a returning visitor's start goes: a sampling CPU profile (CPU ×4) from navigation to
// every slot decided and the writes of the start settled, with 10k events stored by the SDK.
// Top functions by self time, minified positions mapped back through dist/microseg.iife.js.map.
// `npm run bench -- profile-start` writes bench/results/profile-start.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import { cpuProfiled, throttledTab, visitor, type CpuProfile } from './lib/browser';
import { microsegPage, startTimes, writeHistory } from './lib/microseg-page';
import { SHOP_CONFIG_TEXT } from './lib/peers';
import { benchServer, ROOT } from './lib/server';
import { round } from './lib/stats';

const STORED_EVENTS = Number(process.env.BENCH_PROFILE_EVENTS) || 10_000;
const TOP = 20;

interface Row {
  function: string;
  where: string;
  'self ms': number;
  'self %': number;
}

/** Self time per function (name and position), from the samples and their time deltas. */
function selfTimes(profile: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0)));
  return self;
}

/** The SDK's positions as source file:line and original name; everything else as the profile has it. */
function locator(): (frame: CpuProfile['nodes'][number]['callFrame']) => { name: string; where: string } {
  const map = new TraceMap(readFileSync(join(ROOT, 'dist/microseg.iife.js.map'), 'utf8'));
  return (frame) => {
    const file = frame.url.split('/').pop()?.split('?')[0] ?? '';
    if (file === 'microseg.iife.js' && frame.lineNumber >= 0) {
      const pos = originalPositionFor(map, { line: frame.lineNumber + 1, column: frame.columnNumber });
      if (pos.source) return { name: pos.name ?? (frame.functionName || '(anonymous)'), where: `${pos.source.replace(/^.*?(node_modules\/|src\/)/, '$1')}:${pos.line}` };
    }
    return { name: frame.functionName || `(${frame.url ? 'anonymous' : 'native'})`, where: file ? `${file}:${frame.lineNumber + 1}` : '' };
  };
}

export function topFunctions(profile: CpuProfile, top = TOP): { totalMs: number; sdkMs: number; rows: Row[] } {
  const locate = locator();
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, { name: string; where: string; us: number }>();
  let total = 0;
  let sdk = 0;
  for (const [id, us] of selfTimes(profile)) {
    const frame = byNode.get(id)!.callFrame;
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') continue;
    total += us;
    if (frame.url.includes('microseg.')) sdk += us;
    const { name, where } = locate(frame);
    const key = `${name}|${where}`;
    const entry = totals.get(key) ?? totals.set(key, { name, where, us: 0 }).get(key)!;
    entry.us += us;
  }
  const rows = [...totals.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ function: e.name, where: e.where, 'self ms': round(e.us / 1000, 2), 'self %': round((100 * e.us) / total, 1) }));
  return { totalMs: round(total / 1000), sdkMs: round(sdk / 1000), rows };
}

export async function run(): Promise<Record<string, unknown>> {
  const server = await benchServer({
    pages: { '/shop': microsegPage('/shop.config.json'), '/blank': '<!doctype html><title>blank</title>' },
    json: { '/shop.config.json': SHOP_CONFIG_TEXT },
  });
  const { context, close } = await visitor();
  try {
    const first = await context.newPage();
    await first.goto(`${server.url}/shop`);
    await startTimes(first);
    await writeHistory(first, STORED_EVENTS);
    await first.close();
    const { page, cdp } = await throttledTab(context, server.url);
    let times = { readyMs: 0, decisionMs: 0 };
    const profile = await cpuProfiled(cdp, async () => {
      await page.goto(`${server.url}/shop`);
      times = await startTimes(page);
      await page.evaluate(() => (window as any).microseg.flush()); // the start's own writes
    });
    const summary = topFunctions(profile);
    return {
      conditions: `Chromium, CPU ×4, returning visitor with ${STORED_EVENTS} stored events, shop config; navigation → decisions → start's writes flushed; 100 µs sampling`,
      'ready ms': round(times.readyMs),
      'first decision ms': round(times.decisionMs),
      'profiled JS ms (not idle)': summary.totalMs,
      'in microseg.* files ms': summary.sdkMs,
      top: summary.rows,
    };
  } finally {
    await close();
    await server.close();
  }
}
