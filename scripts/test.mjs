// `npm test`: every unit test, then every browser test in real Chromium, then one summary line.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const browserOnly = process.argv.includes('--browser-only');

function ensureChromium() {
  if (existsSync(CHROMIUM)) return true;
  const allowed = process.env.CI === 'true' || process.env.MICROSEG_INSTALL_CHROMIUM === '1';
  const how = 'sudo apt-get update && sudo apt-get install -y chromium   (Debian/Ubuntu; or set CHROMIUM_PATH)';
  if (!allowed) {
    console.error(`\nThe browser tests need Chromium at ${CHROMIUM}, and it is missing.\nInstall it with:\n  ${how}\nor let npm test install it: MICROSEG_INSTALL_CHROMIUM=1 npm test\n`);
    return false;
  }
  console.log(`Chromium is missing: installing Debian's package (CI=${process.env.CI ?? ''})`);
  const sh = (cmd) => spawnSync('sh', ['-c', cmd], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  const root = process.getuid?.() === 0 ? '' : 'sudo ';
  sh(`${root}apt-get update && ${root}apt-get install -y chromium`);
  return existsSync(CHROMIUM);
}

function vitest(config, report) {
  mkdirSync('.tmp', { recursive: true });
  const res = spawnSync(
    'npx',
    ['vitest', 'run', '--config', config, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
    { stdio: 'inherit', env: process.env },
  );
  let passed = 0;
  let failed = 0;
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    passed = json.numPassedTests;
    failed = json.numFailedTests;
  } catch {
    failed = 1; // the runner itself failed
  }
  if (res.status !== 0 && failed === 0) failed = 1; // a file that failed to load counts as a failure
  return { passed, failed };
}

const results = [];
if (!browserOnly) results.push(['unit', vitest('vitest.config.ts', '.tmp/unit.json')]);
if (ensureChromium()) results.push(['browser', vitest('vitest.browser.config.ts', '.tmp/browser.json')]);
else results.push(['browser', { passed: 0, failed: 1 }]);

const passed = results.reduce((n, [, r]) => n + r.passed, 0);
const failed = results.reduce((n, [, r]) => n + r.failed, 0);
for (const [name, r] of results) console.log(`${name}: ${r.passed} passed, ${r.failed} failed`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
