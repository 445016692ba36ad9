// A local origin for the browser benchmarks: the built SDK, peers' browser bundles from
// node_modules and the pages under test, with the cache headers a CDN sends (scripts are
// immutable per URL, so repeat loads of one URL can use the code cache; a new query string is a
// cold load).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';

export const ROOT = join(import.meta.dirname, '..', '..');
const CACHED = 'public, max-age=31536000, immutable';

export interface BenchServer {
  url: string;
  app: Hono;
  close(): Promise<void>;
}

/** A file under `dir`, never above it. */
function fileUnder(dir: string, path: string): Buffer | undefined {
  const full = normalize(join(dir, path));
  if (!full.startsWith(dir)) return undefined;
  try {
    return readFileSync(full);
  } catch {
    return undefined;
  }
}

const typeOf = (path: string) => (path.endsWith('.json') ? 'application/json' : path.endsWith('.html') ? 'text/html' : 'text/javascript');

/** Files under `dir` at `prefix/*`, immutable per URL. */
function serveDir(app: Hono, prefix: string, dir: string): void {
  app.get(`${prefix}/*`, (c) => {
    const rel = c.req.path.slice(prefix.length);
    const body = fileUnder(dir, rel);
    return body ? c.body(new Uint8Array(body), 200, { 'content-type': typeOf(rel), 'cache-control': CACHED }) : c.notFound();
  });
}

/**
 * `routes` first, then `/dist/*` the built SDK, `/nm/*` node_modules, `pages` (path → HTML, never cached), `json`
 * (path → body, with an ETag answered by 304), and `{}` for anything else (peers' collectors).
 */
export async function benchServer(options: {
  pages?: Record<string, string | ((query: URLSearchParams) => string)>;
  json?: Record<string, unknown>;
  routes?: (app: Hono) => void;
} = {}): Promise<BenchServer> {
  const { pages = {}, json = {}, routes } = options;
  const app = new Hono();
  routes?.(app);
  for (const [path, page] of Object.entries(pages)) {
    app.get(path, (c) => c.html(typeof page === 'function' ? page(new URL(c.req.url).searchParams) : page, 200, { 'cache-control': 'no-store' }));
  }
  for (const [path, value] of Object.entries(json)) {
    const body = typeof value === 'string' ? value : JSON.stringify(value);
    const etag = `"${createHash('sha1').update(body).digest('hex').slice(0, 16)}"`;
    app.get(path, (c) => {
      if (c.req.header('if-none-match') === etag) return c.body(null, 304, { etag });
      return c.body(body, 200, { 'content-type': 'application/json', etag, 'cache-control': 'no-cache' });
    });
  }
  serveDir(app, '/dist', join(ROOT, 'dist'));
  serveDir(app, '/nm', join(ROOT, 'node_modules'));
  serveDir(app, '/analytics-next/bundles', join(ROOT, 'node_modules/@segment/analytics-next/dist/umd')); // Segment's lazy chunks, from `${cdn}`
  serveDir(app, '/static', join(ROOT, 'node_modules/posthog-js/dist')); // PostHog's extensions, from `${api_host}`
  app.all('*', (c) => c.json({}));
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({ url: `http://127.0.0.1:${info.port}`, app, close: () => new Promise<void>((done) => server.close(() => done())) });
    });
  });
}
