// The visitor cookie: which visitor ids this browser may read labels for.
//
// The SDK reports its anonymous id in the X-Microseg-Visitor header. The first browser to report
// an anonymous id claims it (the `visitors` table remembers every claimed id) and receives it in
// `ms_vid`, an HMAC-signed, HttpOnly, SameSite=Lax cookie. Only ids shaped as the SDK makes them
// (random UUIDs, unguessable) can be claimed this way: a user id is never bound on first claim,
// its labels need a token the site's server signed (identity.ts). An id another browser already
// claimed is never added. `forget()` ends the link: POST /api/forget clears the cookie and
// releases its ids.
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import { storedSecret, type Db } from './db';

export const VISITOR_COOKIE = 'ms_vid';
export const VISITOR_HEADER = 'X-Microseg-Visitor';
const MAX_IDS_PER_BROWSER = 4;
const COOKIE_MAX_AGE_S = 365 * 24 * 3600;
const VISITOR_ID = /^[\x21-\x7e]{1,128}$/; // printable ASCII, no spaces

export type VisitorEnv = { Variables: { visitorIds: string[] } };

const ANONYMOUS_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function isVisitorId(value: unknown): value is string {
  return typeof value === 'string' && VISITOR_ID.test(value);
}

/** An id the SDK made itself (crypto.randomUUID): the only kind a browser may claim unsigned. */
export function isAnonymousId(value: unknown): value is string {
  return typeof value === 'string' && ANONYMOUS_ID.test(value);
}

/** The signing key lives in the database so cookies survive restarts (and match claimed ids). */
export const cookieSecret = (db: Db): Promise<string> => storedSecret(db, 'cookie_secret');

export function visitorCookie(db: Db, secret: string): MiddlewareHandler<VisitorEnv> {
  return async (c, next) => {
    let ids = await readIds(c, secret);
    const reported = c.req.header(VISITOR_HEADER);
    if (isAnonymousId(reported) && !ids.includes(reported) && (await claim(db, reported))) {
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

/**
 * forget(): the browser's ids are released and their trace erased (claims, labels and events of
 * those anonymous ids), and the cookie is cleared, so the fresh id that follows is linked to
 * nothing. A user id's labels stay: they belong to the user's other channels.
 */
export async function forgetBrowser(c: Context<VisitorEnv>, db: Db): Promise<number> {
  const ids = c.get('visitorIds').filter(isAnonymousId);
  if (ids.length) {
    await db.query(`DELETE FROM visitors WHERE uid = ANY($1::text[])`, [ids]);
    await db.query(`DELETE FROM labels WHERE uid = ANY($1::text[])`, [ids]);
    await db.query(`DELETE FROM events WHERE aid = ANY($1::text[])`, [ids]);
  }
  deleteCookie(c, VISITOR_COOKIE, { path: '/api' });
  c.set('visitorIds', []);
  return ids.length;
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
