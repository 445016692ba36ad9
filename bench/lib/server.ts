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
  const files = (dir: string) => (c: { req: { path: string }; body: (b: Buffer, s: 200, h: Record<string, string>) => Response; notFound: () => Response | Promise<Response> }) => {
    const rel = c.req.path.replace(/^\/[^/]+/, '');
    const body = fileUnder(dir, rel);
    return body ? c.body(body, 200, { 'content-type': typeOf(rel), 'cache-control': CACHED }) : c.notFound();
  };
  app.get('/dist/*', files(join(ROOT, 'dist')));
  app.get('/nm/*', files(join(ROOT, 'node_modules')));
  // Segment loads its lazy chunks from `${cdn}/analytics-next/bundles/`.
  app.get('/analytics-next/bundles/*', (c) => {
    const body = fileUnder(join(ROOT, 'node_modules/@segment/analytics-next/dist/umd'), c.req.path.replace('/analytics-next/bundles', ''));
    return body ? c.body(body, 200, { 'content-type': 'text/javascript', 'cache-control': CACHED }) : c.notFound();
  });
  // PostHog loads its extensions from `${api_host}/static/`.
  app.get('/static/*', (c) => {
    const body = fileUnder(join(ROOT, 'node_modules/posthog-js/dist'), c.req.path.replace('/static', ''));
    return body ? c.body(body, 200, { 'content-type': 'text/javascript', 'cache-control': CACHED }) : c.notFound();
  });
  app.all('*', (c) => c.json({}));
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({ url: `http://127.0.0.1:${info.port}`, app, close: () => new Promise<void>((done) => server.close(() => done())) });
    });
  });
}
