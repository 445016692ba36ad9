// The console's plan and preview routes: the segment × date matrix of the published config,
// coverage (the share of collected visitors in each segment) and signed preview links.
import type { Hono, MiddlewareHandler } from 'hono';
import { campaignMatrix } from '../../src/config/matrix';
import { generateKeys } from '../../src/config/keys';
import { signPreviewToken } from '../../src/preview/token';
import type { MicrosegConfig } from '../../src/config/types';
import type { Db } from './db';

/** Each visitor's latest enter/exit per segment: those whose latest is an enter are in it now. */
export const COVERAGE_SQL = `
WITH latest AS (
  SELECT DISTINCT ON (aid, props->>'segment') aid, props->>'segment' AS segment, type
    FROM events
   WHERE type IN ('$segment.enter', '$segment.exit')
   ORDER BY aid, props->>'segment', ts DESC, id DESC
)
SELECT segment, count(*) AS visitors FROM latest WHERE type = '$segment.enter' GROUP BY segment`;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Preview links are for looking now, not for keeping. */
const TOKEN_TTL_MS = 60 * 60_000;

export interface PreviewKeys {
  /** The public half, for the SDK's `previewKey`. */
  publicJwk: JsonWebKey;
  privatePem: string;
}

/** A fresh key pair per start: links from an earlier run stop working, which is what a demo wants. */
export async function previewKeys(): Promise<PreviewKeys> {
  const { publicJwk, privatePem } = await generateKeys();
  return { publicJwk, privatePem };
}

const today = () => new Date().toISOString().slice(0, 10);

export function registerPreview(app: Hono<any>, deps: { db: Db; admin: MiddlewareHandler; config: () => MicrosegConfig; keys: PreviewKeys }): void {
  const { db, admin, config, keys } = deps;

  app.get('/api/matrix', admin, (c) => {
    const from = c.req.query('from') ?? today();
    const days = Math.min(Math.max(Number(c.req.query('days')) || 14, 1), 92);
    if (!DATE.test(from)) return c.json({ error: 'from must be a date like 2026-11-23' }, 400);
    const cfg = config();
    return c.json({ version: cfg.version, ...campaignMatrix(cfg, { from, days }) });
  });

  app.get('/api/coverage', admin, async (c) => {
    const [{ rows }, total] = await Promise.all([
      db.query<{ segment: string; visitors: string }>(COVERAGE_SQL),
      db.query<{ n: string }>(`SELECT count(DISTINCT aid) AS n FROM events`),
    ]);
    const visitors = Number(total.rows[0]?.n ?? 0);
    const counts = new Map(rows.map((r) => [r.segment, Number(r.visitors)]));
    return c.json({
      visitors,
      segments: config().segments.map((s) => {
        const n = counts.get(s.id) ?? 0;
        return { segment: s.id, visitors: n, share: visitors ? n / visitors : 0 };
      }),
    });
  });

  // A link that shows `path` (default: a product page) as one segment on one date.
  app.post('/api/preview', admin, async (c) => {
    const body = (await c.req.json().catch(() => null)) as { segment?: unknown; date?: unknown; path?: unknown } | null;
    const segment = body?.segment;
    const date = body?.date ?? today();
    const path = typeof body?.path === 'string' && body.path.startsWith('/') && !body.path.startsWith('//') ? body.path : '/p/hb-alma';
    if (typeof segment !== 'string' || !config().segments.some((s) => s.id === segment)) return c.json({ error: 'segment must be a segment id of the published config' }, 400);
    if (typeof date !== 'string' || !DATE.test(date)) return c.json({ error: 'date must be a date like 2026-11-23' }, 400);
    const now = Date.now();
    const token = await signPreviewToken({ segments: [segment], date }, keys.privatePem, { ttl: TOKEN_TTL_MS, now });
    const url = new URL(path, 'http://x');
    url.searchParams.set('microseg_preview', token);
    return c.json({ token, url: `${url.pathname}${url.search}`, expires: now + TOKEN_TTL_MS });
  });
}

