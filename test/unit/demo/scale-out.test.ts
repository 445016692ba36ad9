// @vitest-environment node
// Many instances on one PostgreSQL: two backend processes share the database, and a label set
// through one reaches a page streaming from the other (LISTEN/NOTIFY), as does a published
// config. Runs when MICROSEG_TEST_DATABASE_URL names a PostgreSQL server (.ci/run starts one).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, admin, anonymousId, Browser, config, freshPostgresDatabase, readSse } from './helpers';

const DATABASE = process.env.MICROSEG_TEST_DATABASE_URL;
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Instance {
  url: string;
  child: ChildProcess;
}

/** `npm start` as a process of its own, on a random port. */
function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'demo/server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', MICROSEG_PRINT_URL: '1', MICROSEG_ADMIN_TOKEN: ADMIN_TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const m = /MICROSEG_URL=(\S+)/.exec(out);
      if (m) resolve({ url: m[1], child });
    });
    child.once('exit', (code) => reject(new Error(`the backend exited (${code}) before listening:\n${out}`)));
  });
}

function stop(instance: Instance | undefined): Promise<void> {
  if (!instance || instance.child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    instance.child.once('exit', () => resolve());
    instance.child.kill('SIGTERM');
  });
}

describe.skipIf(!DATABASE)('two backend processes on one PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    db = await freshPostgresDatabase(DATABASE!);
    const dir = mkdtempSync(join(tmpdir(), 'microseg-scale-'));
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(config('v1')));
    const env = { DATABASE_URL: db.url, MICROSEG_CONFIG: configPath };
    a = await startInstance(env);
    b = await startInstance(env);
  }, 90_000);

  afterAll(async () => {
    await Promise.all([stop(a), stop(b)]);
    await db?.drop();
  }, 30_000);

  it('a label set through one instance reaches a page streaming from the other', async () => {
    expect(new URL(a.url).port).not.toBe(new URL(b.url).port);
    const visitor = anonymousId('scale-out-visitor');
    const page = new Browser(b.url);
    expect((await page.fetch('/api/config', { headers: { 'X-Microseg-Visitor': visitor } })).status).toBe(200);
    const stream = readSse(await page.fetch('/api/labels/stream'));
    const configStream = readSse(await page.fetch('/api/config/stream'));
    try {
      await configStream.next(); // the current config
      const set = await fetch(`${a.url}/api/labels`, {
        method: 'POST',
        headers: { ...admin, 'Content-Type': 'application/json' },
        body: JSON.stringify({ uid: visitor, name: 'complaint', channel: 'call-centre' }),
      });
      expect(set.status).toBe(201);
      expect(JSON.parse((await stream.next(undefined, 5000)).data)).toMatchObject({ type: 'labels', uid: visitor });
      expect(JSON.parse((await configStream.next((e) => e.event === 'labels', 5000)).data)).toMatchObject({ uid: visitor });
      // the page then reads the label from its own instance
      const labels = await (await page.fetch(`/api/labels?uid=${visitor}`)).json();
      expect(labels.labels.map((l: { name: string }) => l.name)).toEqual(['complaint']);

      // a config published through one instance is served and pushed by the other
      const published = await fetch(`${a.url}/api/config`, { method: 'POST', headers: admin, body: JSON.stringify(config('v2-from-a')) });
      expect(published.status).toBe(200);
      expect(JSON.parse((await configStream.next((e) => e.event === 'message', 5000)).data).version).toBe('v2-from-a');
      expect((await (await fetch(`${b.url}/api/config`)).json()).version).toBe('v2-from-a');
    } finally {
      await Promise.all([stream.close(), configStream.close()]);
    }
  }, 60_000);
});
