// Bundle size of our script-tag build beside peers' browser bundles, measured the same way.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { sizes } from '../scripts/size-report.mjs';

function pkgFile(pkg: string, file: string): { path: string; version: string } {
  const root = join(import.meta.dirname, '..', 'node_modules', pkg);
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;
  return { path: join(root, file), version };
}

const PEERS: Array<[name: string, pkg: string, file: string, note: string]> = [
  ['@growthbook/growthbook', '@growthbook/growthbook', 'dist/bundles/index.min.js', 'UMD bundle (flags & experiments)'],
  ['@segment/analytics-next', '@segment/analytics-next', 'dist/umd/standalone.js', 'initial standalone bundle; more chunks load later'],
  ['posthog-js', 'posthog-js', 'dist/array.js', 'script-tag bundle, without lazy extensions'],
  ['@optimizely/optimizely-sdk', '@optimizely/optimizely-sdk', 'dist/optimizely.browser.umd.min.js', 'UMD browser bundle'],
];

export async function run() {
  const rows: Array<Record<string, unknown>> = [];
  const ours = sizes('dist/microseg.iife.js');
  const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
  rows.push({ library: 'microseg (IIFE)', version, ...ours, note: 'the always-loaded core, script-tag build' });
  const extras = sizes('dist/microseg.extras.js');
  rows.push({ library: 'microseg (extras)', version, ...extras, note: 'microseg.extras.js: measurement (journeys), loaded only with journeys or a collector' });
  const collect = sizes('dist/microseg.collect.js');
  rows.push({ library: 'microseg (collect)', version, ...collect, note: "microseg.collect.js: the collector's outbox, loaded only with a collectUrl" });
  const labels = sizes('dist/microseg.labels.js');
  rows.push({ library: 'microseg (labels)', version, ...labels, note: "microseg.labels.js: the labels backend's client, loaded only with a labelsUrl" });
  rows.push({ library: 'microseg (snippet)', version, ...sizes('dist/snippet.min.js'), note: 'inline loader' });
  // A first visit validates the config it fetches: the validator downloads beside the SDK.
  const validator = sizes('dist/microseg.schema.js');
  rows.push({ library: 'microseg (validator)', version, ...validator, note: 'microseg.schema.js, loaded on a first visit (and with an inline config)' });
  const firstVisit = { raw: ours.raw + validator.raw, gzip: ours.gzip + validator.gzip, brotli: ours.brotli + validator.brotli };
  rows.push({ library: 'microseg (first visit)', version, ...firstVisit, note: 'IIFE + validator (gzip and brotli per file, summed)' });
  const every = [firstVisit, extras, collect, labels];
  const sum = (k: 'raw' | 'gzip' | 'brotli') => every.reduce((n, f) => n + f[k], 0);
  rows.push({ library: 'microseg (every part)', version, raw: sum('raw'), gzip: sum('gzip'), brotli: sum('brotli'), note: 'IIFE + validator + extras + collect + labels: a first visit on a site with journeys, a collector and a labels backend' });
  for (const [name, pkg, file, note] of PEERS) {
    const { path, version: v } = pkgFile(pkg, file);
    const s = sizes(path);
    rows.push({ library: name, version: v, ...s, note, ratio: +(s.gzip / ours.gzip).toFixed(1), 'ratio to first visit': +(s.gzip / firstVisit.gzip).toFixed(1) });
  }
  return { unit: 'bytes', rows };
}
