// Where a returning visitor's start goes: a sampling CPU profile (CPU ×4) from navigation to
// every slot decided and the writes of the start settled, with 10k events stored by the SDK.
// Top functions by self time, minified positions mapped back through dist/microseg.iife.js.map.
// `npm run bench -- profile-start` writes bench/results/profile-start.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import { cpuProfiled, throttledTab, visitor, type CpuProfile } from './lib/browser';
import { SETTLED, microsegPage, startTimes, writeHistory } from './lib/microseg-page';
import { SHOP_CONFIG_TEXT } from './lib/peers';
import { benchServer, ROOT } from './lib/server';
import { median, round, rounds } from './lib/stats';

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

/** Self time by function over several profiles (one per page load), per load on average. */
export function topFunctions(profiles: CpuProfile[], top = TOP): { totalMs: number; sdkMs: number; rows: Row[]; parts: Array<{ part: string; 'self ms': number }> } {
  const locate = locator();
  const totals = new Map<string, { name: string; where: string; us: number }>();
  const parts = new Map<string, number>();
  let total = 0;
  let sdk = 0;
  for (const profile of profiles) {
    const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
    for (const [id, us] of selfTimes(profile)) {
      const frame = byNode.get(id)!.callFrame;
      if (frame.functionName === '(idle)' || frame.functionName === '(program)') continue;
      total += us;
      if (frame.url.includes('microseg.')) sdk += us;
      const { name, where } = locate(frame);
      const key = `${name}|${where}`;
      const entry = totals.get(key) ?? totals.set(key, { name, where, us: 0 }).get(key)!;
      entry.us += us;
      const part = /^src\/[^/]+/.exec(where)?.[0] ?? (where ? where.split(':')[0]! : name);
      parts.set(part, (parts.get(part) ?? 0) + us);
    }
  }
  const loads = profiles.length;
  const rows = [...totals.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ function: e.name, where: e.where, 'self ms': round(e.us / 1000 / loads, 2), 'self %': round((100 * e.us) / total, 1) }));
  const byPart = [...parts].sort((a, b) => b[1] - a[1]).slice(0, top).map(([part, us]) => ({ part, 'self ms': round(us / 1000 / loads, 1) }));
  return { totalMs: round(total / 1000 / loads), sdkMs: round(sdk / 1000 / loads), rows, parts: byPart };
}

export async function run(): Promise<Record<string, unknown>> {
  const loads = rounds(5);
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
    // One profile per load, over several loads: a busy machine moves samples around in any one.
    // The first load after the history was written reads back the events of its last minute (the
    // record's lag): reported on its own, so that the steady state of a returning visitor shows.
    const profiles: CpuProfile[] = [];
    const ready: number[] = [];
    const decision: number[] = [];
    for (let i = 0; i <= loads; i++) {
      const { page, cdp } = await throttledTab(context, server.url);
      // The page says when it has settled (a console message): nothing of the driver's runs in it meanwhile.
      const settled = page.waitForEvent('console', { predicate: (m) => m.text() === SETTLED, timeout: 60_000 });
      profiles.push(
        await cpuProfiled(cdp, async () => {
          await page.goto(`${server.url}/shop`);
          await settled;
        }),
      );
      const t = await startTimes(page);
      ready.push(t.readyMs);
      decision.push(t.decisionMs);
      await page.close();
    }
    const [afterWrite, ...steady] = profiles;
    const summary = topFunctions(steady);
    const firstLoad = topFunctions([afterWrite!], 3);
    return {
      conditions: `Chromium, CPU ×4, returning visitor with ${STORED_EVENTS} stored events, shop config; navigation → decisions → start's writes flushed; 100 µs sampling; ${loads} loads after the first, self time per load`,
      loads,
      'ready ms p50': round(median(ready.slice(1))),
      'first decision ms p50': round(median(decision.slice(1))),
      'the first load after the history was written (it reads back the last minute of events)': {
        'ready ms': round(ready[0]!),
        'profiled JS ms': firstLoad.totalMs,
        top: firstLoad.rows,
      },
      'profiled JS ms per load (not idle)': summary.totalMs,
      'in microseg.* files ms per load': summary.sdkMs,
      top: summary.rows,
      'self time by part (SDK folder, or browser function)': summary.parts,
    };
  } finally {
    await close();
    await server.close();
  }
}
