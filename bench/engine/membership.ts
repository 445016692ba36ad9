// (b) Per-event membership update with 1,000 segments and 200 metrics, in Node.
// The workload itself lives in workload.ts so the Chromium run can bundle it.
import { pathToFileURL } from 'node:url';
import { membershipWorkload } from './workload';

export async function run(): Promise<Record<string, unknown>> {
  membershipWorkload({ events: 3000, warmup: 1000 }); // JIT warm-up
  const result = membershipWorkload();
  return { runtime: `node ${process.version}`, goal: 'p95 ≤ 1000 µs', ...result };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await run();
  console.table([{ runtime: r.runtime, segments: r.segments, metrics: r.metrics, events: r.events, ...(r.perEventUs as object), batchMeanUs: r.batchMeanUs }]);
}
