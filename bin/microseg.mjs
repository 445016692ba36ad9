#!/usr/bin/env node
// The published CLI runs the bundled build (dist/cli.mjs); `npm run build` makes it.
let cli;
try {
  cli = await import('../dist/cli.mjs');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('cli.mjs')) throw err;
  console.error('microseg: dist/cli.mjs is missing; run `npm run build` first');
  process.exit(1);
}
process.exitCode = await cli.run(process.argv.slice(2));
