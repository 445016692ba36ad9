// The progression/aversion report: plain PostgreSQL over the collected events, so the same
// statement runs on a warehouse that holds them (README: "Measuring progression and aversion").
import type { Hono, MiddlewareHandler } from 'hono';
import type { Db } from './db';

/** Below this many exposed visitors a segment's rates are shown, but flagged and greyed out. */
export const MIN_N = 30;

/**
 * One row per journey step and micro-segment (segment '*' = every visitor), from the
 * `$journey.outcome` messages the SDK sends when a window closes. Treatment = exposed visitors;
 * hold-out = the campaign's control group. Rates carry 95 % Wilson score intervals; the
 * difference to the average and the uplift over the hold-out (a difference of two rates) carry
 * Newcombe's interval, built from the two Wilson intervals. Rows of any other shape are skipped,
 * so no stored row can make the statement fail. Plain PostgreSQL: it runs on PGlite, PostgreSQL
 * and a warehouse that holds the events.
 */
export const REPORT_SQL = `
WITH outcomes AS (
  SELECT props->>'journey' AS journey,
         COALESCE(props->'control' = 'true'::jsonb, false) AS control,
         CASE WHEN props->>'outcome' = 'progression' THEN 1 ELSE 0 END AS progressed,
         CASE WHEN jsonb_typeof(props->'segments') = 'array' THEN props->'segments' ELSE '[]'::jsonb END AS segments
    FROM events
   WHERE type = '$journey.outcome'
     AND jsonb_typeof(props->'journey') = 'string'
     AND props->>'outcome' IN ('progression', 'aversion')
),
cells AS (
  SELECT journey, s.segment #>> '{}' AS segment, control, progressed
    FROM outcomes CROSS JOIN LATERAL jsonb_array_elements(outcomes.segments) AS s(segment)
   WHERE jsonb_typeof(s.segment) = 'string'
  UNION ALL
  SELECT journey, '*', control, progressed FROM outcomes
),
counts AS (
  SELECT journey, segment,
         count(*) FILTER (WHERE NOT control) AS exposures,
         COALESCE(sum(progressed) FILTER (WHERE NOT control), 0) AS progressed,
         count(*) FILTER (WHERE control) AS holdout,
         COALESCE(sum(progressed) FILTER (WHERE control), 0) AS holdout_progressed
    FROM cells
   GROUP BY journey, segment
),
rates AS (
  SELECT *,
         progressed / NULLIF(exposures, 0)::float8 AS p, NULLIF(exposures, 0)::float8 AS n,
         holdout_progressed / NULLIF(holdout, 0)::float8 AS q, NULLIF(holdout, 0)::float8 AS m
    FROM counts
),
wilson AS (
  SELECT *,
         (p + 1.9208 / n) / (1 + 3.8416 / n) - 1.96 / (1 + 3.8416 / n) * sqrt(p * (1 - p) / n + 0.9604 / (n * n)) AS p_low,
         (p + 1.9208 / n) / (1 + 3.8416 / n) + 1.96 / (1 + 3.8416 / n) * sqrt(p * (1 - p) / n + 0.9604 / (n * n)) AS p_high,
         (q + 1.9208 / m) / (1 + 3.8416 / m) - 1.96 / (1 + 3.8416 / m) * sqrt(q * (1 - q) / m + 0.9604 / (m * m)) AS q_low,
         (q + 1.9208 / m) / (1 + 3.8416 / m) + 1.96 / (1 + 3.8416 / m) * sqrt(q * (1 - q) / m + 0.9604 / (m * m)) AS q_high
    FROM rates
)
SELECT r.journey, r.segment, r.exposures, r.progressed, r.exposures - r.progressed AS averted,
       r.p AS progression_rate, r.p_low AS progression_low, r.p_high AS progression_high,
       1 - r.p AS aversion_rate,
       a.p AS average_progression_rate, 1 - a.p AS average_aversion_rate,
       r.p - a.p AS difference,
       r.p - a.p - sqrt(power(r.p - r.p_low, 2) + power(a.p_high - a.p, 2)) AS difference_low,
       r.p - a.p + sqrt(power(r.p_high - r.p, 2) + power(a.p - a.p_low, 2)) AS difference_high,
       r.holdout, r.holdout_progressed, r.q AS holdout_rate,
       r.p - r.q AS uplift,
       r.p - r.q - sqrt(power(r.p - r.p_low, 2) + power(r.q_high - r.q, 2)) AS uplift_low,
       r.p - r.q + sqrt(power(r.p_high - r.p, 2) + power(r.q - r.q_low, 2)) AS uplift_high,
       r.exposures < ${MIN_N} AS below_min_n
  FROM wilson r
  JOIN wilson a ON a.journey = r.journey AND a.segment = '*'
 ORDER BY r.journey, r.segment = '*' DESC, r.exposures DESC, r.segment
`;

export interface ReportRow {
  journey: string;
  /** A segment id, or '*' for every visitor. */
  segment: string;
  /** n: exposed visitors (the hold-out is counted apart). */
  exposures: number;
  progressed: number;
  averted: number;
  progression_rate: number | null;
  /** The 95 % Wilson interval of the progression rate. */
  progression_low: number | null;
  progression_high: number | null;
  aversion_rate: number | null;
  average_progression_rate: number | null;
  average_aversion_rate: number | null;
  /** progression_rate − average_progression_rate, with its 95 % (Newcombe) interval. */
  difference: number | null;
  difference_low: number | null;
  difference_high: number | null;
  holdout: number;
  holdout_progressed: number;
  holdout_rate: number | null;
  /** progression_rate − holdout_rate, with its 95 % (Newcombe) interval. */
  uplift: number | null;
  uplift_low: number | null;
  uplift_high: number | null;
  /** Fewer than MIN_N exposed visitors: too few to read. */
  below_min_n: boolean;
}

const COUNTS = ['exposures', 'progressed', 'averted', 'holdout', 'holdout_progressed'] as const;

export async function computeReport(db: Db): Promise<ReportRow[]> {
  const { rows } = await db.query<Record<string, unknown>>(REPORT_SQL);
  // Drivers return bigint counts as strings and NULL rates as null; JSON wants numbers.
  return rows.map((r) => {
    const row = { ...r } as Record<string, unknown>;
    for (const [k, v] of Object.entries(row)) {
      if (k === 'journey' || k === 'segment' || k === 'below_min_n') continue;
      row[k] = v === null || v === undefined ? (COUNTS.includes(k as (typeof COUNTS)[number]) ? 0 : null) : Number(v);
    }
    return row as unknown as ReportRow;
  });
}

export function registerReport(app: Hono<any>, db: Db, admin: MiddlewareHandler): void {
  app.get('/api/report', admin, async (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json({ rows: await computeReport(db), minN: MIN_N, at: Date.now() });
  });
}
