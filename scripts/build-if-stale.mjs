// `npm start`: rebuild the SDK only when a source is newer than the build (a fresh clone has no dist/).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const SOURCES = ['src', 'rollup.config.mjs', 'package.json', 'scripts/schema.ts'];
const OUTPUTS = ['dist/microseg.iife.js', 'dist/microseg.mjs', 'dist/microseg.paint.js', 'dist/microseg.schema.js', 'dist/microseg.preview.js', 'dist/microseg.extras.js', 'dist/microseg.collect.js', 'dist/microseg.labels.js', 'dist/microseg.sync.js', 'dist/snippet.min.js', 'dist/microseg.config.schema.json'];

/** The newest modification time under a file or folder. */
function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(path).reduce((t, name) => Math.max(t, newest(join(path, name))), st.mtimeMs);
}

const built = OUTPUTS.every(existsSync) ? Math.min(...OUTPUTS.map((f) => statSync(f).mtimeMs)) : -Infinity;
const changed = Math.max(...SOURCES.filter(existsSync).map(newest));
if (changed > built) {
  const res = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  process.exit(res.status ?? 1);
}
console.log('microseg: dist/ is up to date (npm run build rebuilds it)');
