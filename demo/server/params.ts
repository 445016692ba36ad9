// Population parameters: numbers over all visitors ("the 90th percentile of spend to date"),
// computed from the collected events with SQL and published with the config, so a segment such
// as "top 10 % of spenders" is one the device can evaluate (`"$params.top_spend"`).
//
// A definition names a config metric-like aggregate per visitor and a percentile:
//   { "top_spend": { "event": "purchase", "agg": "sum", "field": "value", "percentile": 0.9 } }
import type { Hono, MiddlewareHandler } from 'hono';
import type { ConfigStore } from './config-store';
import type { Db } from './db';

export interface ParamDef {
  event: string;
  agg: 'sum' | 'count';
  field?: string;
  /** 0 to 1: 0.9 is the value 90 % of the visitors who did `event` are at or below. */
  percentile: number;
}

/**
 * Per visitor (anonymous id, as the device counts), the sum of a numeric field (or the count) of
 * one event type; then the continuous percentile over those visitors. Plain PostgreSQL.
 */
export const PARAM_SQL = `
WITH per_visitor AS (
  SELECT aid,
         CASE WHEN $3::text IS NULL THEN count(*)::float8
              ELSE COALESCE(sum(CASE WHEN jsonb_typeof(props->$3) = 'number' THEN (props->>$3)::float8 END), 0) END AS total
    FROM events
   WHERE type = $1
   GROUP BY aid
)
SELECT percentile_cont($2::float8) WITHIN GROUP (ORDER BY total) AS value, count(*) AS visitors FROM per_visitor`;

export function paramDefProblem(name: string, def: unknown): string | undefined {
  const d = def as Partial<ParamDef> | null;
  if (!/^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/.test(name)) return `${name}: a param name is letters, digits, _ and -`;
  if (!d || typeof d !== 'object') return `${name}: expected { event, agg, field?, percentile }`;
  if (typeof d.event !== 'string' || !d.event) return `${name}.event: an event type`;
  if (d.agg !== 'sum' && d.agg !== 'count') return `${name}.agg: "sum" or "count"`;
  if (d.agg === 'sum' && (typeof d.field !== 'string' || !d.field)) return `${name}.field: the numeric property to sum`;
  if (typeof d.percentile !== 'number' || !(d.percentile >= 0 && d.percentile <= 1)) return `${name}.percentile: a number from 0 to 1`;
  return undefined;
}

/** Each param's value over the collected events; a param with no visitor yet is left out. */
export async function computeParams(db: Db, defs: Record<string, ParamDef>): Promise<{ params: Record<string, number>; visitors: Record<string, number> }> {
  const params: Record<string, number> = {};
  const visitors: Record<string, number> = {};
  for (const [name, def] of Object.entries(defs)) {
    const { rows } = await db.query<{ value: number | string | null; visitors: string }>(PARAM_SQL, [def.event, def.percentile, def.agg === 'sum' ? def.field : null]);
    visitors[name] = Number(rows[0]?.visitors ?? 0);
    if (rows[0]?.value !== null && rows[0]?.value !== undefined) params[name] = Number(rows[0].value);
  }
  return { params, visitors };
}

/** POST /api/params: compute and publish. Body: definitions, else the server's own (paramDefs). */
export function registerParams(app: Hono<any>, deps: { db: Db; admin: MiddlewareHandler; config: ConfigStore; defs: () => Record<string, ParamDef> }): void {
  app.post('/api/params', deps.admin, async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { definitions?: unknown } | null;
    const defs = (body?.definitions ?? deps.defs()) as Record<string, unknown>;
    if (!defs || typeof defs !== 'object' || !Object.keys(defs).length) return c.json({ error: 'no param definitions (body { definitions } or the server\'s params file)' }, 400);
    for (const [name, def] of Object.entries(defs)) {
      const problem = paramDefProblem(name, def);
      if (problem) return c.json({ error: problem }, 400);
    }
    const current = deps.config.get();
    if (current.signed) return c.json({ error: 'the published config is signed: compute the params (GET /api/params), add them and sign it again' }, 409);
    const { params, visitors } = await computeParams(deps.db, defs as Record<string, ParamDef>);
    const next = JSON.parse(current.text) as Record<string, unknown>;
    next.params = { ...(next.params as object), ...params };
    next.version = `${String(next.version).replace(/\+params\.\d+$/, '')}+params.${Date.now()}`;
    const result = await deps.config.replace(JSON.stringify(next, null, 2));
    if (!result.ok) return c.json({ error: 'the config with these params is invalid', errors: result.errors }, 422);
    return c.json({ params, visitors, version: result.config.version });
  });

  // The values alone, for a site that signs its configs itself.
  app.get('/api/params', deps.admin, async (c) => c.json(await computeParams(deps.db, deps.defs())));
}
