// Identity verification (as Intercom's and Segment's): the site's own server, which knows who is
// logged in, signs the user id; the page passes the token to `identify(userId, traits, { token })`;
// the labels API serves a user id's labels only with a valid token for that id.
//
//   token = "v1." + exp + "." + base64url(HMAC-SHA256(secret, "v1." + exp + "." + userId))
//
// `exp` is the expiry in seconds since the epoch. Any language with an HMAC makes one; in Node:
//
//   import { signIdentityToken } from 'microseg-demo/server/identity';
//   const token = signIdentityToken(user.id, process.env.MICROSEG_IDENTITY_SECRET);
import { createHmac, timingSafeEqual } from 'node:crypto';

/** A day: the page gets a fresh token with every page the site's server renders. */
export const IDENTITY_TOKEN_TTL_S = 24 * 3600;
export const IDENTITY_HEADER = 'X-Microseg-Identity';
const TOKEN = /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

function mac(secret: string, exp: number, userId: string): Buffer {
  return createHmac('sha256', secret).update(`v1.${exp}.${userId}`).digest();
}

/** The token the site's server hands its page for `userId`. */
export function signIdentityToken(userId: string, secret: string, opts: { ttlSeconds?: number; now?: number } = {}): string {
  if (!secret) throw new Error('signIdentityToken: a secret is required');
  const exp = Math.floor((opts.now ?? Date.now()) / 1000) + (opts.ttlSeconds ?? IDENTITY_TOKEN_TTL_S);
  return `v1.${exp}.${mac(secret, exp, userId).toString('base64url')}`;
}

/** True when `token` was signed with `secret` for exactly `userId` and has not expired. */
export function verifyIdentityToken(token: unknown, userId: string, secret: string, now = Date.now()): boolean {
  if (typeof token !== 'string' || !secret) return false;
  const m = TOKEN.exec(token);
  if (!m) return false;
  const exp = Number(m[1]);
  if (exp * 1000 <= now) return false;
  const given = Buffer.from(m[2], 'base64url');
  const expected = mac(secret, exp, userId);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
