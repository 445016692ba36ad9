// (c) Start-up: createEngine from a persisted snapshot, for profiles built from 10k, 100k and
// 1M events, with 1,000 segments. The snapshot holds aggregates, not events, so the cost
// must stay flat as the history grows.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createEngine } from '../../src/engine';
import { eventStream, largeConfig, quantiles } from './workload';

const DAY = 86_400_000;
/** Fresh processes per size for the cold start (its p50 and p95). */
const COLD_RUNS = 7;

/**
 * Builds a profile from `events` events over two years and returns its snapshot as the last
 * page stored it (JSON), under the same config.
 */
function persistedProfile(events: number, config: ReturnType<typeof largeConfig>): { json: string; at: number } {
  const stream = eventStream(events, 730, 3);
  let now = stream[0]!.ts;
  // Aggregates do not depend on the segments: build them with the metrics alone, much faster.
  const engine = createEngine({ ...config, segments: [{ id: 'everyone', fallback: true }] }, { now: () => now });
  for (const e of stream) {
    now = e.ts;
    engine.ingest(e);
  }
  now += 3600_000;
  const lastPage = createEngine(config, { now: () => now, state: engine.snapshot() });
  return { json: JSON.stringify(lastPage.snapshot()), at: now };
}

/** The first createEngine in a fresh process, as on a page load: nothing compiled by the JIT yet. */
function coldStart(json: string, opened: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'microseg-startup-'));
  try {
    const file = join(dir, 'state.json');
    writeFileSync(file, json);
    const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--cold', file, String(opened)], { encoding: 'utf8' });
    return Number(out.trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(sizes = [10_000, 100_000, 1_000_000], repeats = 30): Promise<Record<string, unknown>> {
  const config = largeConfig(200, 1000);
  const rows: Record<string, number | string>[] = [];
  for (const events of sizes) {
    const built = Date.now();
    const { json, at } = persistedProfile(events, config);
    const buildSeconds = (Date.now() - built) / 1000;
    const parse: number[] = [];
    const create: number[] = [];
    const changed: number[] = [];
    // A newly published config (one segment's description edited): every rule compiled and evaluated.
    const republished = { ...config, segments: config.segments.map((s, i) => (i === 0 ? { ...s, description: 'edited' } : s)) };
    // The page opens a day later: windows have rolled while nobody watched.
    const opened = at + DAY;
    for (let i = 0; i < repeats + 3; i++) {
      const t0 = performance.now();
      const state = JSON.parse(json);
      const t1 = performance.now();
      const engine = createEngine(config, { now: () => opened, state }); // compiles, restores, evaluates all
      engine.segments();
      const t2 = performance.now();
      createEngine(republished, { now: () => opened, state: JSON.parse(json) }).segments();
      const t3 = performance.now();
      if (i >= 3) parse.push(t1 - t0), create.push(t2 - t1), changed.push(t3 - t2); // the first runs warm the JIT up
    }
    const cold = quantiles(Array.from({ length: COLD_RUNS }, () => coldStart(json, opened)));
    const p = quantiles(parse);
    const c = quantiles(create);
    const n = quantiles(changed);
    rows.push({
      events,
      'snapshot KB': +(json.length / 1024).toFixed(1),
      'JSON.parse ms (p50)': +p.p50.toFixed(2),
      'cold first createEngine ms (p50)': +cold.p50.toFixed(2),
      'cold first createEngine ms (p95)': +cold.p95.toFixed(2),
      'createEngine ms (p50)': +c.p50.toFixed(2),
      'createEngine ms (p95)': +c.p95.toFixed(2),
      'new config: createEngine ms (p50)': +n.p50.toFixed(2),
      'new config: createEngine ms (p95)': +n.p95.toFixed(2),
      'build profile s': buildSeconds,
    });
  }
  return { runtime: `node ${process.version}`, segments: 1000, metrics: 200, goal: 'flat in history length, ≤ 20 ms', startup: rows };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && process.argv[2] === '--cold') {
  const config = largeConfig(200, 1000);
  const state = JSON.parse(readFileSync(process.argv[3]!, 'utf8'));
  const opened = Number(process.argv[4]);
  const t0 = performance.now();
  createEngine(config, { now: () => opened, state }).segments();
  console.log(performance.now() - t0);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await run();
  console.log(`${r.runtime}, ${r.segments} segments, ${r.metrics} metrics (goal: ${r.goal})`);
  console.table(r.startup);
}
