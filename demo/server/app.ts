// The demo backend: the shop and the console as pages, the SDK build as static files, and the
// API the SDK talks to (config, labels, event collection).
import { randomBytes } from 'node:crypto';
import { existsSync, statSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { adminAuth, loopbackOrigins } from './admin';
import { MAX_BATCH_EVENTS, forJsonb, storeEvents, toEventRow, type EventRow } from './collect';
import { ConfigStore, matchesEtag } from './config-store';
import { openDb, storedSecret, type Db } from './db';
import { IDENTITY_HEADER, verifyIdentityToken } from './identity';
import { registerParams, type ParamDef } from './params';
import { registerReport } from './report';
import { previewKeys, registerPreview } from './preview';
import { Fanout, StreamRegistry, type StreamLimits } from './sse';
import { cookieSecret, forgetBrowser, isAnonymousId, isVisitorId, visitorCookie, type VisitorEnv } from './visitor';
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
  /**
   * The origins this server answers for (Host must name one): e.g. https://shop.example.
   * Default: the loopback origins of its port (and `host`'s, when given).
   */
  origins?: string[];
  /** The secret the site's server signs identity tokens with (identity.ts). Default: kept in the database. */
  identitySecret?: string;
  /** Caps on open Server-Sent Events streams. */
  streams?: StreamLimits;
  /** Population parameter definitions (params.ts). Default: demo/server/shop.params.json, if present. */
  paramsPath?: string;
}

export interface DemoServer {
  url: string;
  adminToken: string;
  identitySecret: string;
  db: Db;
  close(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export { MAX_BATCH_EVENTS };
const MAX_BODY_BYTES = 1_000_000;
const DAY_MS = 86_400_000;
const TOMBSTONE_KEPT_MS = 30 * DAY_MS;
const CHANNELS = ['email', 'call-centre', 'store', 'web'] as const;
const LABEL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$/; // as the SDK's isLabelName

export async function startDemoServer(opts: DemoServerOptions = {}): Promise<DemoServer> {
  const db = await openDb({ dataDir: opts.dataDir ?? `${ROOT}demo/data`, databaseUrl: opts.databaseUrl });
  const config = await ConfigStore.open(opts.configPath ?? `${ROOT}examples/shop.config.json`, db);
  const adminToken = opts.adminToken ?? randomBytes(18).toString('base64url');
  const secret = await cookieSecret(db);
  const identitySecret = opts.identitySecret ?? (await storedSecret(db, 'identity_secret'));
  const labelChanges = await Fanout.open(db, 'microseg_labels');
  const streams = new StreamRegistry(opts.streams);
  let origins: string[] = opts.origins ?? [];
  const auth = adminAuth(adminToken, () => origins);
  const admin = auth.requireAdmin;

  const app = new Hono<VisitorEnv>();

  app.onError((err, c) => {
    console.error('[demo]', err);
    return c.json({ error: 'internal error' }, 500);
  });

  // DNS rebinding: a page on another name that resolves to this server gets nothing.
  app.use('*', auth.checkHost);
  app.use('/api/*', visitorCookie(db, secret));

  /** The ids this request may read labels for: its cookie's anonymous ids, and a user id it holds a token for. */
  const readableIds = (c: Context<VisitorEnv>): string[] => {
    const ids = c.get('visitorIds').filter(isAnonymousId);
    const uid = c.req.query('uid');
    const token = c.req.header(IDENTITY_HEADER) ?? c.req.query('token');
    if (isVisitorId(uid) && !ids.includes(uid) && verifyIdentityToken(token, uid, identitySecret)) ids.push(uid);
    return ids;
  };
  const labelMessage = (uid: string) => JSON.stringify({ type: 'labels', uid });

  // ---- console sign-in ------------------------------------------------------------------------
  app.post('/api/login', bodyLimit({ maxSize: 4096, onError: tooLarge }), async (c) => {
    const body = (await c.req.json().catch(() => null)) as { token?: unknown } | null;
    if (!auth.login(c, body?.token)) return c.json({ error: 'wrong admin token' }, 401);
    return c.json({ admin: true });
  });
  app.post('/api/logout', (c) => {
    auth.logout(c);
    return c.json({ admin: false });
  });
  app.get('/api/session', (c) => c.json({ admin: auth.isAdmin(c) }));

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
        ...readableIds(c).map((uid) =>
          labelChanges.subscribe(uid, () => void stream.writeSSE({ event: 'labels', data: labelMessage(uid) }).catch(() => {})),
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
    const rows = events.map(toEventRow).filter((row): row is EventRow => row !== undefined);
    let result: Awaited<ReturnType<typeof storeEvents>>;
    try {
      result = await storeEvents(db, rows);
    } catch (err) {
      console.error('[demo] no event of a batch could be stored:', err);
      c.header('Retry-After', '10');
      return c.json({ error: 'events could not be stored, send them again later' }, 503);
    }
    const counts = { received: events.length, stored: result.stored, duplicate: result.duplicate, rejected: events.length - rows.length + result.failed };
    return c.json(counts, 202);
  });

  // forget(): this browser's ids are released and its cookie cleared (see visitor.ts).
  app.post('/api/forget', async (c) => {
    const released = await forgetBrowser(c, db);
    c.header('Cache-Control', 'no-store');
    return c.json({ forgotten: released });
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
    if (!readableIds(c).includes(uid) && !auth.isAdmin(c)) {
      return c.json({ error: 'this browser may read only its own labels: a user id needs a valid identity token' }, 403);
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
    const ids = readableIds(c);
    if (!ids.length) return c.json({ error: 'no visitor cookie or identity token' }, 403);
    return streams.stream(c, (stream) => {
      const stops = ids.map((uid) => labelChanges.subscribe(uid, () => void stream.writeSSE({ data: labelMessage(uid) }).catch(() => {})));
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
    await labelChanges.notify(uid);
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
    await labelChanges.notify(uid);
    return c.json({ name, at, deleted: true });
  });

  // ---- progression/aversion report ----------------------------------------------------------
  registerReport(app, db, admin);
  const paramsPath = opts.paramsPath ?? `${ROOT}demo/server/shop.params.json`;
  registerParams(app, { db, admin, config, defs: () => (existsSync(paramsPath) ? (JSON.parse(readFileSync(paramsPath, 'utf8')) as Record<string, ParamDef>) : {}) });
  const keys = await previewKeys();
  registerPreview(app, { db, admin, config: () => config.get().config, keys });

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
  for (const file of ['/microseg.iife.js', '/microseg.iife.js.map', '/microseg.schema.js', '/microseg.schema.js.map', '/microseg.preview.js', '/microseg.preview.js.map', '/microseg.extras.js', '/microseg.extras.js.map', '/microseg.collect.js', '/microseg.collect.js.map', '/microseg.labels.js', '/microseg.labels.js.map', '/microseg.sync.js', '/microseg.sync.js.map']) {
    app.get(file, revalidate, serveStatic({ root: `${ROOT}dist` }));
  }
  app.use('/console/assets/*', serveStatic({ root: `${ROOT}demo/console`, rewriteRequestPath: (p) => p.replace(/^\/console\/assets/, '') }));
  // The page holds no secret: it asks for the token and signs in (admin.ts).
  app.get('/console', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.html(readFileSync(`${ROOT}demo/console/index.html`, 'utf8'));
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
  const url = `http://${opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1'}:${port}`;
  if (!opts.origins) origins = [...new Set([url, ...loopbackOrigins(port)])];
  return {
    url,
    adminToken,
    identitySecret,
    db,
    async close() {
      streams.closeAll();
      config.close();
      await labelChanges.close();
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

// The rest of the body stays unread, so the connection cannot be reused.
function tooLarge(c: Context): Response {
  c.header('Connection', 'close');
  return c.json({ error: 'body too large' }, 413);
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
