// Starts the demo backend (embedded PostgreSQL in memory) on a random port with a private copy
// of the demo config, so tests can change the config without touching the repository.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoServer, type DemoServer } from '../../demo/server/app';
import { afterAll, beforeAll } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launch, ROOT } from './harness';

export interface TestDemo extends DemoServer {
  configPath: string;
  /** Publishes a new config version through the admin API (reaches open pages over SSE). */
  publish(mutate: (config: any) => void): Promise<any>;
}

export async function startDemo(): Promise<TestDemo> {
  const dir = mkdtempSync(join(tmpdir(), 'microseg-demo-'));
  const configPath = join(dir, 'config.json');
  copyFileSync(join(ROOT, 'examples/shop.config.json'), configPath);
  const server = await startDemoServer({ port: 0, dataDir: 'memory://', configPath });
  return {
    ...server,
    configPath,
    async publish(mutate) {
      const config = JSON.parse(readFileSync(configPath, 'utf8'));
      mutate(config);
      const res = await fetch(`${server.url}/api/config`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(config),
      });
      if (!res.ok) throw new Error(`publishing failed: ${res.status} ${await res.text()}`);
      return config;
    },
  };
}

/** Opens the console and signs in with the admin token, as a marketer does (the page holds no token). */
export async function openConsole(page: Page, demo: DemoServer): Promise<void> {
  await page.goto(`${demo.url}/console`);
  await page.locator('[data-login-form] [name="token"]').fill(demo.adminToken);
  await page.locator('[data-login-form] button[type="submit"]').click();
  await page.locator('[data-console-main]:not([hidden])').waitFor();
}

export function writeConfig(path: string, config: unknown): void {
  writeFileSync(path, JSON.stringify(config, null, 2));
}

/** One Chromium and one demo backend for a whole test file (filled in before its first test). */
export function useDemo(): { browser: Browser; demo: TestDemo } {
  const env = {} as { browser: Browser; demo: TestDemo };
  beforeAll(async () => {
    env.browser = await launch();
    env.demo = await startDemo();
  });
  afterAll(async () => {
    await env.browser?.close();
    await env.demo?.close();
  });
  return env;
}
