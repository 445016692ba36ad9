// The visitor cookie: which visitor ids this browser may read labels for.
//
// The SDK reports its id in the X-Microseg-Visitor header. The first browser to report an id
// claims it (the `visitors` table remembers every claimed id) and receives it in `ms_vid`, an
// HMAC-signed, HttpOnly, SameSite=Lax cookie. An id another browser already claimed is never
// added, so knowing someone's id is not enough to read their labels. A browser's cookie holds a
// few ids (anonymous id, user id after identify, a fresh id after forget()).
import { randomBytes } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getSignedCookie, setSignedCookie } from 'hono/cookie';
import type { Db } from './db';

export const VISITOR_COOKIE = 'ms_vid';
export const VISITOR_HEADER = 'X-Microseg-Visitor';
const MAX_IDS_PER_BROWSER = 4;
const COOKIE_MAX_AGE_S = 365 * 24 * 3600;
const VISITOR_ID = /^[\x21-\x7e]{1,128}$/; // printable ASCII, no spaces

export type VisitorEnv = { Variables: { visitorIds: string[] } };

export function isVisitorId(value: unknown): value is string {
  return typeof value === 'string' && VISITOR_ID.test(value);
}

/** The signing key lives in the database so cookies survive restarts (and match claimed ids). */
export async function cookieSecret(db: Db): Promise<string> {
  await db.query(`INSERT INTO settings (key, value) VALUES ('cookie_secret', $1) ON CONFLICT (key) DO NOTHING`, [
    randomBytes(32).toString('hex'),
  ]);
  const { rows } = await db.query<{ value: string }>(`SELECT value FROM settings WHERE key = 'cookie_secret'`);
  return rows[0].value;
}

export function visitorCookie(db: Db, secret: string): MiddlewareHandler<VisitorEnv> {
  return async (c, next) => {
    let ids = await readIds(c, secret);
    const reported = c.req.header(VISITOR_HEADER);
    if (isVisitorId(reported) && !ids.includes(reported) && (await claim(db, reported))) {
      ids = [reported, ...ids].slice(0, MAX_IDS_PER_BROWSER);
      await setSignedCookie(c, VISITOR_COOKIE, Buffer.from(JSON.stringify(ids)).toString('base64url'), secret, {
        path: '/api',
        httpOnly: true,
        sameSite: 'Lax',
        maxAge: COOKIE_MAX_AGE_S,
      });
    }
    c.set('visitorIds', ids);
    await next();
  };
}

async function readIds(c: Context, secret: string): Promise<string[]> {
  const raw = await getSignedCookie(c, secret, VISITOR_COOKIE);
  if (!raw) return [];
  try {
    const ids: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    return Array.isArray(ids) ? ids.filter(isVisitorId) : [];
  } catch {
    return [];
  }
}

async function claim(db: Db, uid: string): Promise<boolean> {
  const { rows } = await db.query(
    `INSERT INTO visitors (uid, bound_at) VALUES ($1, $2) ON CONFLICT (uid) DO NOTHING RETURNING uid`,
    [uid, Date.now()],
  );
  return rows.length === 1;
}
