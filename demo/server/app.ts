// The demo backend: the shop and the console as pages, the SDK build as static files, and the
// API the SDK talks to (config, labels, event collection).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, statSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ConfigStore, matchesEtag } from './config-store';
import { openDb, type Db } from './db';
import { registerReport } from './report';
import { previewKeys, registerPreview } from './preview';
import { Hub, StreamRegistry } from './sse';
import { cookieSecret, isVisitorId, visitorCookie, type VisitorEnv } from './visitor';
import { registerShop } from '../shop/pages';

export interface DemoServerOptions {
  /** 0 = a random free port. Default 8080. */
  port?: number;
  /** Default 127.0.0.1: the console carries the admin token, keep it off the network. */
  host?: string;
  /** PGlite data directory, or 'memory://'. Default demo/data. */
  dataDir?: string;
  /** A PostgreSQL connection string; replaces PGlite. */
  databaseUrl?: string;
  /** The published config file. Default examples/shop.config.json. */
  configPath?: string;
  /** Bearer token for the admin API and the console. Default: random per start. */
  adminToken?: string;
}

export interface DemoServer {
  url: string;
  adminToken: string;
  db: Db;
  close(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MAX_BATCH_EVENTS = 500;
const MAX_BODY_BYTES = 1_000_000;
const DAY_MS = 86_400_000;
const TOMBSTONE_KEPT_MS = 30 * DAY_MS;
const CHANNELS = ['email', 'call-centre', 'store', 'web'] as const;
const LABEL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$/; // as the SDK's isLabelName

export async function startDemoServer(opts: DemoServerOptions = {}): Promise<DemoServer> {
  const db = await openDb({ dataDir: opts.dataDir ?? `${ROOT}demo/data`, databaseUrl: opts.databaseUrl });
  const config = await ConfigStore.open(opts.configPath ?? `${ROOT}examples/shop.config.json`);
  const adminToken = opts.adminToken ?? randomBytes(18).toString('base64url');
  const secret = await cookieSecret(db);
  const labelChanges = new Hub<{ type: 'labels'; uid: string }>();
  const streams = new StreamRegistry();

  const app = new Hono<VisitorEnv>();
  const admin = requireAdmin(adminToken);

  app.onError((err, c) => {
    console.error('[demo]', err);
    return c.json({ error: 'internal error' }, 500);
  });

  app.use('/api/*', visitorCookie(db, secret));

  // ---- config -------------------------------------------------------------------------------
  // Default (unnamed) events carry each config version; `labels` events tell this visitor's
  // pages that their labels changed, so one stream is enough for a page.
  const configStream = (c: Context<VisitorEnv>) =>
    streams.stream(c, async (stream) => {
      const send = (text: string, etag: string) => void stream.writeSSE({ data: text, id: etag }).catch(() => {});
      const current = config.get();
      if (c.req.header('Last-Event-ID') !== current.etag) send(current.text, current.etag);
      const stops = [
        config.onChange((next) => send(next.text, next.etag)),
        ...c.get('visitorIds').map((uid) =>
          labelChanges.subscribe(uid, (m) => void stream.writeSSE({ event: 'labels', data: JSON.stringify(m) }).catch(() => {})),
        ),
      ];
      return () => stops.forEach((stop) => stop());
    });

  app.get('/api/config', (c) => {
    // An EventSource on the config URL itself (the SDK's `sse: true`) gets the stream.
    if (c.req.header('Accept')?.includes('text/event-stream')) return configStream(c);
    const current = config.get();
    c.header('ETag', current.etag);
    c.header('Cache-Control', 'no-cache');
    if (matchesEtag(c.req.header('If-None-Match'), current.etag)) return c.body(null, 304);
    return c.body(current.text, 200, { 'Content-Type': 'application/json; charset=utf-8' });
  });
  app.get('/api/config/stream', configStream);

  app.post('/api/config', admin, bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge }), async (c) => {
    const result = await config.replace(await c.req.text());
    if (!result.ok) return c.json({ error: 'invalid config', errors: result.errors }, 422);
    return c.json({ version: result.config.version, etag: result.config.etag });
  });

  // ---- events -------------------------------------------------------------------------------
  // sendBeacon posts text/plain, so the body is read as text whatever its content type.
  app.post('/api/collect', bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge }), async (c) => {
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      return c.json({ error: 'body is not JSON' }, 400);
    }
    const events = (body as { events?: unknown } | null)?.events;
    if (!Array.isArray(events)) return c.json({ error: 'expected { events: [...] }' }, 400);
    if (events.length > MAX_BATCH_EVENTS) return c.json({ error: `at most ${MAX_BATCH_EVENTS} events per batch` }, 413);
    const rows = events.filter(isTrackedEvent).map(toEventRow).filter((row): row is EventRow => row !== undefined);
    const stored = await insertEvents(db, rows);
    return c.json({ received: events.length, stored, duplicates: rows.length - stored, rejected: events.length - rows.length }, 202);
  });

  app.get('/api/events', admin, async (c) => {
    const aid = c.req.query('aid');
    const type = c.req.query('type');
    const limit = Math.min(Number(c.req.query('limit')) || 1000, 10_000);
    const { rows } = await db.query<Record<string, unknown>>(
      `SELECT id, type, ts, aid, uid, visit, page, props FROM events
        WHERE ($1::text IS NULL OR aid = $1 OR uid = $1) AND ($2::text IS NULL OR type = $2)
        ORDER BY ts, id LIMIT $3`,
      [aid ?? null, type ?? null, limit],
    );
    return c.json({ events: rows.map((r) => ({ ...r, ts: Number(r.ts), uid: r.uid ?? undefined })) });
  });

  // Visitors seen through their events or bound by their cookie, most recent first.
  app.get('/api/visitors', admin, async (c) => {
    const { rows } = await db.query<{ uid: string; last_seen: string; events: string; bound: boolean }>(
      `SELECT uid, max(last_seen) AS last_seen, sum(events) AS events, bool_or(bound) AS bound
         FROM (SELECT uid, bound_at AS last_seen, 0 AS events, true AS bound FROM visitors
               UNION ALL
               SELECT aid, max(ts), count(*), false FROM events GROUP BY aid) AS seen
        GROUP BY uid
        ORDER BY max(last_seen) DESC
        LIMIT 50`,
    );
    return c.json({
      visitors: rows.map((r) => ({ uid: r.uid, lastSeen: Number(r.last_seen), events: Number(r.events), bound: r.bound })),
    });
  });

  // ---- labels -------------------------------------------------------------------------------
  app.get('/api/labels', async (c) => {
    const uid = c.req.query('uid');
    if (!isVisitorId(uid)) return c.json({ error: 'uid required' }, 400);
    if (!c.get('visitorIds').includes(uid) && !isAdmin(c, adminToken)) {
      return c.json({ error: 'this browser may read only its own labels' }, 403);
    }
    const now = Date.now();
    const { rows } = await db.query<LabelRow>(
      `SELECT name, channel, value, at, expires, deleted FROM labels
        WHERE uid = $1
          AND (deleted OR expires IS NULL OR expires > $2)
          AND (NOT deleted OR at > $3)
        ORDER BY at, name, channel`,
      [uid, now, now - TOMBSTONE_KEPT_MS],
    );
    c.header('Cache-Control', 'no-store');
    return c.json({ labels: rows.map(toLabel), now });
  });

  app.get('/api/labels/stream', (c) => {
    const ids = c.get('visitorIds');
    if (!ids.length) return c.json({ error: 'no visitor cookie' }, 403);
    return streams.stream(c, (stream) => {
      const stops = ids.map((uid) => labelChanges.subscribe(uid, (m) => void stream.writeSSE({ data: JSON.stringify(m) }).catch(() => {})));
      return () => stops.forEach((stop) => stop());
    });
  });

  app.post('/api/labels', admin, bodyLimit({ maxSize: 64_000, onError: tooLarge }), async (c) => {
    const body = (await c.req.json().catch(() => null)) as Record<string, unknown> | null;
    const problem = labelProblem(body);
    if (problem || !body) return c.json({ error: problem }, 400);
    const uid = body.uid as string;
    const at = Math.round(typeof body.at === 'number' ? body.at : Date.now());
    const expires = typeof body.ttlDays === 'number' ? Math.round(at + body.ttlDays * DAY_MS) : null;
    let value: string | null;
    try {
      value = body.value === undefined ? null : JSON.stringify(forJsonb(body.value));
    } catch {
      return c.json({ error: 'value: nested too deep' }, 400);
    }
    await db.query(
      `INSERT INTO labels (uid, name, channel, value, at, expires, deleted)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, false)
       ON CONFLICT (uid, name, channel)
       DO UPDATE SET value = excluded.value, at = excluded.at, expires = excluded.expires, deleted = false`,
      [uid, body.name, body.channel, value, at, expires],
    );
    labelChanges.notify(uid, { type: 'labels', uid });
    return c.json(toLabel({ name: body.name as string, channel: body.channel as string, value: body.value ?? null, at, expires, deleted: false }), 201);
  });

  // A tombstone, not a row removal: the SDK must learn that an older set no longer holds.
  app.delete('/api/labels/:uid/:name', admin, async (c) => {
    const { uid, name } = c.req.param();
    if (!isVisitorId(uid) || !LABEL_NAME.test(name)) return c.json({ error: 'unknown visitor id or label name' }, 400);
    const at = Date.now();
    const updated = await db.query(
      `UPDATE labels SET deleted = true, value = NULL, expires = NULL, at = $3 WHERE uid = $1 AND name = $2`,
      [uid, name, at],
    );
    if (updated.rowCount === 0) {
      const channel = CHANNELS.find((ch) => ch === c.req.query('channel')) ?? 'web';
      await db.query(
        `INSERT INTO labels (uid, name, channel, value, at, expires, deleted) VALUES ($1, $2, $3, NULL, $4, NULL, true)
         ON CONFLICT (uid, name, channel) DO UPDATE SET deleted = true, at = excluded.at`,
        [uid, name, channel, at],
      );
    }
    labelChanges.notify(uid, { type: 'labels', uid });
    return c.json({ name, at, deleted: true });
  });

  // ---- progression/aversion report ----------------------------------------------------------
  registerReport(app, db, admin);
  const keys = await previewKeys();
  registerPreview(app, { db, admin, config: () => JSON.parse(config.get().text), keys });

  app.all('/api/*', (c) => c.json({ error: 'not found' }, 404));

  // ---- pages and files ----------------------------------------------------------------------
  // Cache-Control set before serveStatic: a rebuild shows up on the next reload.
  const revalidate: MiddlewareHandler = async (c, next) => {
    c.header('Cache-Control', 'no-cache');
    await next();
  };
  app.use('/dist/*', revalidate, serveStatic({ root: `${ROOT}dist`, rewriteRequestPath: (p) => p.replace(/^\/dist/, '') }));
  // The snippet's default src is /microseg.iife.js (a site hosts the file at its root), and the
  // SDK fetches its config validator, microseg.schema.js, from beside it.
  for (const file of ['/microseg.iife.js', '/microseg.iife.js.map', '/microseg.schema.js', '/microseg.schema.js.map', '/microseg.preview.js', '/microseg.preview.js.map']) {
    app.get(file, revalidate, serveStatic({ root: `${ROOT}dist` }));
  }
  app.use('/console/assets/*', serveStatic({ root: `${ROOT}demo/console`, rewriteRequestPath: (p) => p.replace(/^\/console\/assets/, '') }));
  app.get('/console', (c) => {
    // The token is handed only to a console opened on this machine.
    const token = isLoopback(c) ? adminToken : '';
    const html = readFileSync(`${ROOT}demo/console/index.html`, 'utf8').replace('__MICROSEG_ADMIN_TOKEN__', escapeAttr(token));
    c.header('Cache-Control', 'no-store');
    return c.html(html);
  });
  registerShop(app, { root: ROOT, microsegHead: () => microsegHead(keys.publicJwk) });

  let server: Server;
  try {
    server = await listen(app, opts.port ?? 8080, opts.host ?? '127.0.0.1');
  } catch (err) {
    config.close();
    await db.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1'}:${port}`,
    adminToken,
    db,
    async close() {
      streams.closeAll();
      config.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await db.close();
    },
  };
}

// ---- helpers ----------------------------------------------------------------------------------

function listen(app: Hono<VisitorEnv>, port: number, hostname: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname }, () => resolve(server as Server)) as Server;
    server.once('error', reject);
  });
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function isAdmin(c: Context, adminToken: string): boolean {
  const auth = c.req.header('Authorization') ?? '';
  const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
  return token !== '' && timingSafeEqual(digest(token), digest(adminToken));
}

function requireAdmin(adminToken: string): MiddlewareHandler {
  return async (c, next) => {
    if (!isAdmin(c, adminToken)) {
      c.header('WWW-Authenticate', 'Bearer');
      return c.json({ error: 'admin token required' }, 401);
    }
    await next();
  };
}

function isLoopback(c: Context): boolean {
  try {
    const address = getConnInfo(c).remote.address ?? '';
    return address === '::1' || address.startsWith('127.') || address === '::ffff:127.0.0.1';
  } catch {
    return false;
  }
}

// The rest of the body stays unread, so the connection cannot be reused.
function tooLarge(c: Context): Response {
  c.header('Connection', 'close');
  return c.json({ error: 'body too large' }, 413);
}

interface EventRow {
  id: string;
  aid: string;
  uid: string | null;
  type: string;
  ts: number;
  visit: number | null;
  page: unknown;
  props: unknown;
}

function isTrackedEvent(e: unknown): e is Record<string, unknown> {
  if (!e || typeof e !== 'object') return false;
  const event = e as Record<string, unknown>;
  return (
    isShortString(event.id) &&
    isShortString(event.type) &&
    isShortString(event.aid) &&
    typeof event.ts === 'number' &&
    Number.isFinite(event.ts) &&
    (event.uid === undefined || event.uid === null || isShortString(event.uid)) &&
    (event.props === undefined || (typeof event.props === 'object' && event.props !== null))
  );
}

function isShortString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= 200;
}

function toEventRow(e: Record<string, unknown>): EventRow | undefined {
  try {
    return {
      id: e.id as string,
      aid: e.aid as string,
      uid: (e.uid as string | undefined) ?? null,
      type: e.type as string,
      ts: Math.round(e.ts as number),
      visit: typeof e.visit === 'number' && Number.isFinite(e.visit) ? Math.trunc(e.visit) : null,
      page: forJsonb(e.page ?? null),
      props: forJsonb(e.props ?? {}),
    };
  } catch {
    return undefined; // nested too deep to be a real event
  }
}

const MAX_JSON_DEPTH = 32;
const NOT_JSONB_SAFE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** PostgreSQL's jsonb refuses NUL characters and lone surrogates; one such string must not sink a batch. */
function forJsonb(value: unknown, depth = 0): unknown {
  if (depth > MAX_JSON_DEPTH) throw new RangeError('too deep');
  if (typeof value === 'string') return value.replace(NOT_JSONB_SAFE, '\uFFFD');
  if (Array.isArray(value)) return value.map((v) => forJsonb(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k.replace(NOT_JSONB_SAFE, '\uFFFD')] = forJsonb(v, depth + 1);
    return out;
  }
  return value;
}

/** One statement per batch; duplicates (within the batch or already stored) are skipped. */
async function insertEvents(db: Db, rows: EventRow[]): Promise<number> {
  if (!rows.length) return 0;
  const { rows: inserted } = await db.query(
    `INSERT INTO events (id, aid, uid, type, ts, visit, page, props, received_at)
     SELECT id, aid, uid, type, ts, visit, page, props, $2
       FROM jsonb_to_recordset($1::jsonb)
         AS e(id text, aid text, uid text, type text, ts bigint, visit integer, page jsonb, props jsonb)
     ON CONFLICT (id) DO NOTHING
     RETURNING id`,
    [JSON.stringify(rows), Date.now()],
  );
  return inserted.length;
}

interface LabelRow {
  name: string;
  channel: string;
  value: unknown;
  at: number | string;
  expires: number | string | null;
  deleted: boolean;
}

// Absent fields are omitted, never null: the SDK reads a missing `expires` as "never".
function toLabel(row: LabelRow): Record<string, unknown> {
  if (row.deleted) return { name: row.name, at: Number(row.at), channel: row.channel, deleted: true };
  const label: Record<string, unknown> = { name: row.name, at: Number(row.at), channel: row.channel };
  if (row.value !== null && row.value !== undefined) label.value = row.value;
  if (row.expires !== null) label.expires = Number(row.expires);
  return label;
}

function labelProblem(body: Record<string, unknown> | null): string | undefined {
  if (!body || typeof body !== 'object') return 'expected a JSON object';
  if (!isVisitorId(body.uid)) return 'uid: a visitor or user id is required';
  if (typeof body.name !== 'string' || !LABEL_NAME.test(body.name)) return 'name: letters, digits and _ . : - (at most 64)';
  if (!CHANNELS.includes(body.channel as (typeof CHANNELS)[number])) return `channel: one of ${CHANNELS.join(', ')}`;
  if (body.ttlDays !== undefined && (typeof body.ttlDays !== 'number' || !(body.ttlDays > 0))) return 'ttlDays: a positive number';
  if (body.at !== undefined && (typeof body.at !== 'number' || !Number.isFinite(body.at))) return 'at: milliseconds since the epoch';
  return undefined;
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

// ---- the snippet every shop page carries ---------------------------------------------------------

const SNIPPET_PATH = `${ROOT}dist/snippet.min.js`;
const INIT = `configUrl: '/api/config', labelsUrl: '/api/labels', labelsSse: '/api/labels/stream', collectUrl: '/api/collect', sse: '/api/config/stream', dataLayer: true`;
let snippetCache: { mtimeMs: number; html: string } | undefined;

/** The snippet is pasted inline, as a site would; read at serve time so a rebuild shows at once. */
function microsegHead(previewKey: JsonWebKey): string {
  if (!existsSync(SNIPPET_PATH)) return '<!-- microseg: dist/snippet.min.js is not built yet (npm run build) -->';
  const { mtimeMs } = statSync(SNIPPET_PATH);
  if (snippetCache?.mtimeMs !== mtimeMs) {
    const snippet = readFileSync(SNIPPET_PATH, 'utf8').replace(/<\/(script)/gi, '<\\/$1');
    snippetCache = { mtimeMs, html: `<script>${snippet}</script>\n` };
  }
  // The preview key is public: it only lets the page check links the console signed.
  return `${snippetCache.html}<script>microseg.init({ ${INIT}, previewKey: ${JSON.stringify(previewKey)} })</script>`;
}
