// Event collection: each event of a batch is validated and cleaned on its own, so one bad event
// (a lone surrogate, a NUL, a visit above int32, a ts of 1e300, a wrong type) is rejected alone
// and the good ones around it are stored.
import type { Db } from './db';

export const MAX_BATCH_EVENTS = 500;
const MAX_ID_LENGTH = 200;
const MAX_JSON_DEPTH = 32;
const INT32_MAX = 2_147_483_647;
/** Event times between 2000 and 2200: anything else is a broken clock or an attack, not an event. */
const MIN_TS = Date.UTC(2000, 0, 1);
const MAX_TS = Date.UTC(2200, 0, 1);
const OUTCOMES = new Set(['progression', 'aversion']);
const NOT_JSONB_SAFE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export interface EventRow {
  id: string;
  aid: string;
  uid: string | null;
  type: string;
  ts: number;
  visit: number | null;
  page: unknown;
  props: Record<string, unknown>;
}

export interface CollectCounts {
  received: number;
  stored: number;
  duplicate: number;
  rejected: number;
}

/** A stored-ready row, or undefined when the event cannot be one. */
export function toEventRow(input: unknown): EventRow | undefined {
  if (!isObject(input)) return undefined;
  const id = cleanId(input.id);
  const type = cleanId(input.type);
  const aid = cleanId(input.aid);
  const uid = input.uid === undefined || input.uid === null ? null : cleanId(input.uid);
  const ts = input.ts;
  if (!id || !type || !aid || uid === undefined) return undefined;
  if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < MIN_TS || ts > MAX_TS) return undefined;
  if (input.props !== undefined && !isObject(input.props)) return undefined;
  let props: Record<string, unknown>;
  let page: unknown;
  try {
    props = forJsonb(input.props ?? {}) as Record<string, unknown>;
    page = forJsonb(input.page ?? null);
  } catch {
    return undefined; // nested too deep to be a real event
  }
  if (type.startsWith('$journey.') && !isJourneyStep(type, props)) return undefined;
  const visit = typeof input.visit === 'number' && Number.isInteger(input.visit) && input.visit >= 0 && input.visit <= INT32_MAX ? input.visit : null;
  return { id, aid, uid, type, ts: Math.round(ts), visit, page, props };
}

/** What the report reads from a journey step must have the shape it reads. */
function isJourneyStep(type: string, props: Record<string, unknown>): boolean {
  const stepOk =
    typeof props.journey === 'string' &&
    props.journey.length > 0 &&
    typeof props.at === 'number' &&
    Number.isFinite(props.at) &&
    Array.isArray(props.segments) &&
    props.segments.every((s) => typeof s === 'string') &&
    (props.control === undefined || typeof props.control === 'boolean');
  if (type === '$journey.exposure') return stepOk;
  if (type === '$journey.outcome') return stepOk && OUTCOMES.has(props.outcome as string);
  return true; // another $journey.* message: stored as any event
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An id or a type: a short string; characters jsonb refuses become U+FFFD. */
function cleanId(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_ID_LENGTH) return undefined;
  return v.replace(NOT_JSONB_SAFE, '\uFFFD');
}

/** PostgreSQL's jsonb refuses NUL characters and lone surrogates; one such string must not sink a batch. */
export function forJsonb(value: unknown, depth = 0): unknown {
  if (depth > MAX_JSON_DEPTH) throw new RangeError('too deep');
  if (typeof value === 'string') return value.replace(NOT_JSONB_SAFE, '\uFFFD');
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map((v) => forJsonb(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k.replace(NOT_JSONB_SAFE, '\uFFFD')] = forJsonb(v, depth + 1);
    return out;
  }
  return value;
}

const INSERT_SQL = `
INSERT INTO events (id, aid, uid, type, ts, visit, page, props, received_at)
SELECT id, aid, uid, type, ts, visit, page, props, $2
  FROM jsonb_to_recordset($1::jsonb)
    AS e(id text, aid text, uid text, type text, ts bigint, visit integer, page jsonb, props jsonb)
ON CONFLICT DO NOTHING
RETURNING id`;

/**
 * Stores the rows: one statement for the batch; if that statement fails, row by row, so only a
 * row the database refuses is lost. Duplicates (by id, or the same journey step and window) are
 * skipped. Throws only when nothing could be stored.
 */
export async function storeEvents(db: Db, rows: EventRow[]): Promise<{ stored: number; duplicate: number; failed: number }> {
  if (!rows.length) return { stored: 0, duplicate: 0, failed: 0 };
  const now = Date.now();
  try {
    const { rows: inserted } = await db.query(INSERT_SQL, [JSON.stringify(rows), now]);
    return { stored: inserted.length, duplicate: rows.length - inserted.length, failed: 0 };
  } catch (batchError) {
    let stored = 0;
    let failed = 0;
    for (const row of rows) {
      try {
        stored += (await db.query(INSERT_SQL, [JSON.stringify([row]), now])).rows.length;
      } catch {
        failed++;
      }
    }
    if (failed === rows.length) throw batchError;
    return { stored, duplicate: rows.length - stored - failed, failed };
  }
}
