// Prints the size of each built file: raw, gzip and brotli bytes (what a visitor downloads).
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

export function sizes(path) {
  const buf = readFileSync(path);
  return {
    raw: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    brotli: brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

const FILES = ['dist/microseg.iife.js', 'dist/microseg.schema.js', 'dist/microseg.preview.js', 'dist/microseg.extras.js', 'dist/microseg.collect.js', 'dist/microseg.labels.js', 'dist/microseg.sync.js', 'dist/snippet.min.js', 'dist/microseg.mjs'];

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = FILES.filter((f) => existsSync(f)).map((f) => ({ file: f, ...sizes(f) }));
  console.log('\nmicroseg build sizes (bytes)');
  console.table(Object.fromEntries(rows.map(({ file, ...s }) => [file, s])));
}
