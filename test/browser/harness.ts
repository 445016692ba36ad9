// Browser-test plumbing: the machine's Chromium through playwright-core, a local server for the
// built bundle and fixture pages, and a guard that no test lets an error reach the page.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, expect } from 'vitest';

export const ROOT = join(import.meta.dirname, '..', '..');

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/**
 * Every uncaught error (window.onerror, unhandled rejection) on any page of any context this
 * harness launched: the test during which one happens fails, so the whole browser suite asserts
 * that nothing ever reaches the page.
 */
const pageErrors: string[] = [];
const watchErrors = (page: Page) => page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`));
const noPageErrors = () => expect(pageErrors.splice(0), 'uncaught errors on a page (window.onerror)').toEqual([]);
// Benchmarks use this harness too, outside any test run.
if (process.env.VITEST) {
  afterEach(noPageErrors);
  afterAll(noPageErrors);
}

export async function launch(): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const newContext = browser.newContext.bind(browser);
  const newPage = browser.newPage.bind(browser);
  browser.newContext = async (...args) => {
    const context = await newContext(...args);
    context.on('page', watchErrors);
    return context;
  };
  browser.newPage = async (...args) => {
    const page = await newPage(...args);
    watchErrors(page);
    return page;
  };
  return browser;
}

/** The loader snippet exactly as a site pastes it, pointing at `src`. */
export function snippet(src = '/microseg.iife.js'): string {
  const code = readFileSync(join(ROOT, 'dist/snippet.min.js'), 'utf8');
  if (!code.includes('"/microseg.iife.js"')) throw new Error('snippet: the SDK URL placeholder moved');
  return code.replace('"/microseg.iife.js"', JSON.stringify(src));
}

export interface TestServer {
  url: string;
  app: Hono;
  close(): Promise<void>;
}

/** Serves dist/ at the root and `pages` (path → HTML) on top; tests may add routes to `app`. */
export async function startServer(pages: Record<string, string | (() => string)> = {}): Promise<TestServer> {
  const app = new Hono();
  for (const [path, html] of Object.entries(pages)) {
    app.get(path, (c) => c.html(typeof html === 'function' ? html() : html));
  }
  app.get('/:file{[a-z.]+\\.js(\\.map)?}', (c) => {
    try {
      const body = readFileSync(join(ROOT, 'dist', c.req.param('file')));
      return c.body(body, 200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' });
    } catch {
      return c.notFound();
    }
  });
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        app,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

/** A page that records every uncaught error and console warning from the site. */
export interface WatchedPage {
  page: Page;
  errors: string[];
  warnings: string[];
}

export async function watchedPage(context: BrowserContext): Promise<WatchedPage> {
  const page = await context.newPage();
  const watched: WatchedPage = { page, errors: [], warnings: [] };
  page.on('pageerror', (err) => watched.errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'warning') watched.warnings.push(msg.text());
  });
  return watched;
}

type StoredEvent = { id: string; type: string; seq: number; ts: number; props: Record<string, unknown> };

/** Reads the SDK's IndexedDB from inside the page. */
export function storedEvents(page: Page, dbName = 'microseg'): Promise<StoredEvent[]> {
  return page.evaluate(async (name) => {
    const names = (await indexedDB.databases()).map((d) => d.name);
    if (!names.includes(name)) return [];
    return new Promise((resolve, reject) => {
      const req = indexedDB.open(name);
      req.onerror = () => reject(req.error);
      req.onsuccess = () => {
        const db = req.result;
        const get = db.transaction('chunks').objectStore('chunks').getAll();
        get.onsuccess = () => {
          db.close();
          resolve(get.result.flatMap((chunk: { events: StoredEvent[] }) => chunk.events));
        };
        get.onerror = () => reject(get.error);
      };
    });
  }, dbName);
}

export function html(head: string, body = ''): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>test</title>${head}</head><body>${body}</body></html>`;
}
