// `npm run bench`: every benchmark, results as JSON under bench/results/, and a table each.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const BENCHES: Array<[name: string, module: string]> = [
  ['sizes', './sizes.ts'],
  ['browser-sdk', './browser-sdk.ts'],
  ['engine-conditions', './engine/conditions.ts'],
  ['engine-membership', './engine/membership.ts'],
  ['engine-membership-chromium', './engine/membership-chromium.ts'],
  ['engine-startup', './engine/startup.ts'],
  ['render', './render.ts'],
  ['boot', './boot.ts'],
  ['heap', './heap.ts'],
  ['history', './history.ts'],
  ['track', './track.ts'],
  ['profile-start', './profile.ts'],
];

const only = process.argv.slice(2);
const outDir = join(import.meta.dirname, 'results');
mkdirSync(outDir, { recursive: true });

function print(name: string, result: unknown): void {
  console.log(`\n## ${name}`);
  if (result && typeof result === 'object') {
    for (const [key, value] of Object.entries(result)) {
      if (Array.isArray(value)) console.table(value);
      else if (value && typeof value === 'object') {
        console.log(key);
        console.table(value);
      } else console.log(`${key}: ${value}`);
    }
  }
}

let failed = 0;
for (const [name, module] of BENCHES) {
  if (only.length && !only.includes(name)) continue;
  if (!existsSync(join(import.meta.dirname, module))) continue;
  try {
    const mod = await import(module);
    const started = Date.now();
    const result = await mod.run();
    const record = { bench: name, date: new Date().toISOString(), node: process.version, seconds: (Date.now() - started) / 1000, result };
    writeFileSync(join(outDir, `${name}.json`), JSON.stringify(record, null, 2) + '\n');
    print(name, result);
  } catch (err) {
    failed++;
    console.error(`bench ${name} failed:`, err);
  }
}
process.exit(failed ? 1 : 0);
