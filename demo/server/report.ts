// The progression/aversion report: plain PostgreSQL over the collected events, so the same
// statement runs on a warehouse that holds them (README: "Measuring progression and aversion").
import type { Hono, MiddlewareHandler } from 'hono';
import type { Db } from './db';

/**
 * One row per journey step and micro-segment (segment '*' = every visitor), from the
 * `$journey.outcome` messages the SDK sends when a window closes. Treatment = exposed visitors;
 * hold-out = the campaign's control group. Uplift = treatment progression rate minus hold-out
 * progression rate, with a normal-approximation 95% confidence interval of that difference.
 */
export const REPORT_SQL = `
WITH outcomes AS (
  SELECT props->>'journey' AS journey,
         COALESCE((props->>'control')::boolean, false) AS control,
         (props->>'outcome' = 'progression')::int AS progressed,
         props->'segments' AS segments
    FROM events
   WHERE type = '$journey.outcome'
),
cells AS (
  SELECT journey, s.segment, control, progressed
    FROM outcomes CROSS JOIN LATERAL jsonb_array_elements_text(outcomes.segments) AS s(segment)
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
         progressed::float8 / NULLIF(exposures, 0) AS progression_rate,
         (exposures - progressed)::float8 / NULLIF(exposures, 0) AS aversion_rate,
         holdout_progressed::float8 / NULLIF(holdout, 0) AS holdout_rate
    FROM counts
)
SELECT r.journey, r.segment, r.exposures, r.progressed, r.exposures - r.progressed AS averted,
       r.progression_rate, r.aversion_rate,
       a.progression_rate AS average_progression_rate, a.aversion_rate AS average_aversion_rate,
       r.holdout, r.holdout_progressed, r.holdout_rate,
       r.progression_rate - r.holdout_rate AS uplift,
       r.progression_rate - r.holdout_rate - 1.96 * sqrt(r.progression_rate * (1 - r.progression_rate) / r.exposures
                                                       + r.holdout_rate * (1 - r.holdout_rate) / r.holdout) AS uplift_low,
       r.progression_rate - r.holdout_rate + 1.96 * sqrt(r.progression_rate * (1 - r.progression_rate) / r.exposures
                                                       + r.holdout_rate * (1 - r.holdout_rate) / r.holdout) AS uplift_high
  FROM rates r
  JOIN rates a ON a.journey = r.journey AND a.segment = '*'
 ORDER BY r.journey, r.segment = '*' DESC, r.exposures DESC, r.segment
`;

export interface ReportRow {
  journey: string;
  /** A segment id, or '*' for every visitor. */
  segment: string;
  exposures: number;
  progressed: number;
  averted: number;
  progression_rate: number | null;
  aversion_rate: number | null;
  average_progression_rate: number | null;
  average_aversion_rate: number | null;
  holdout: number;
  holdout_progressed: number;
  holdout_rate: number | null;
  uplift: number | null;
  uplift_low: number | null;
  uplift_high: number | null;
}

const COUNTS = ['exposures', 'progressed', 'averted', 'holdout', 'holdout_progressed'] as const;

export async function computeReport(db: Db): Promise<ReportRow[]> {
  const { rows } = await db.query<Record<string, unknown>>(REPORT_SQL);
  // Drivers return bigint counts as strings and NULL rates as null; JSON wants numbers.
  return rows.map((r) => {
    const row = { ...r } as Record<string, unknown>;
    for (const [k, v] of Object.entries(row)) {
      if (k === 'journey' || k === 'segment') continue;
      row[k] = v === null || v === undefined ? (COUNTS.includes(k as (typeof COUNTS)[number]) ? 0 : null) : Number(v);
    }
    return row as unknown as ReportRow;
  });
}

export function registerReport(app: Hono<any>, db: Db, admin: MiddlewareHandler): void {
  app.get('/api/report', admin, async (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json({ rows: await computeReport(db), at: Date.now() });
  });
}
