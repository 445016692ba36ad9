// Who may use the console and the admin API, and from which host names.
//
// - Every request must name one of the configured origins' hosts in `Host` (421 otherwise): a
//   page on an attacker's domain that rebinds its DNS to this server gets nothing.
// - The admin token is never written into a page. The console logs in once (POST /api/login with
//   the token) and gets `ms_admin`, an HttpOnly, SameSite=Strict cookie signed with a key derived
//   from the token; scripts send `Authorization: Bearer <token>`. Both pass `requireAdmin`.
// - A request authenticated by the cookie that changes something must come from an allowed
//   Origin (SameSite=Strict already keeps other sites out; this also covers old browsers).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

export const ADMIN_COOKIE = 'ms_admin';
const SESSION_TTL_S = 8 * 3600;
const SESSION = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AdminAuth {
  /** Refuses requests whose Host is not one of the allowed ones. */
  checkHost: MiddlewareHandler;
  /** 401 unless the request carries the admin token or a console session. */
  requireAdmin: MiddlewareHandler;
  isAdmin(c: Context): boolean;
  login(c: Context, token: unknown): boolean;
  logout(c: Context): void;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function sameSecret(a: string, b: string): boolean {
  return a !== '' && timingSafeEqual(digest(a), digest(b));
}

/** `origins` are full origins (https://shop.example); their hosts are what Host may say. */
export function adminAuth(adminToken: string, origins: () => string[]): AdminAuth {
  const sessionKey = createHmac('sha256', adminToken).update('microseg console session').digest();
  const hosts = () => new Set(origins().map((o) => new URL(o).host.toLowerCase()));
  const sign = (exp: number) => createHmac('sha256', sessionKey).update(String(exp)).digest('base64url');

  function hasSession(c: Context): boolean {
    const m = SESSION.exec(getCookie(c, ADMIN_COOKIE) ?? '');
    if (!m || Number(m[1]) * 1000 <= Date.now()) return false;
    return sameSecret(m[2], sign(Number(m[1])));
  }

  function hasBearer(c: Context): boolean {
    const auth = c.req.header('Authorization') ?? '';
    return auth.startsWith('Bearer ') && sameSecret(auth.slice(7).trim(), adminToken);
  }

  function originAllowed(c: Context): boolean {
    const origin = c.req.header('Origin');
    if (!origin) return true; // a same-origin form post or a script; the cookie is SameSite=Strict
    return origins().includes(origin.toLowerCase());
  }

  const isAdmin = (c: Context) => hasBearer(c) || (hasSession(c) && (SAFE_METHODS.has(c.req.method) || originAllowed(c)));

  return {
    checkHost: async (c, next) => {
      const host = (c.req.header('Host') ?? '').toLowerCase();
      if (!hosts().has(host)) return c.json({ error: `unknown host ${JSON.stringify(host.slice(0, 100))}: add its origin to MICROSEG_ORIGINS` }, 421);
      await next();
    },
    requireAdmin: async (c, next) => {
      if (!isAdmin(c)) {
        c.header('WWW-Authenticate', 'Bearer');
        return c.json({ error: 'admin token required' }, 401);
      }
      await next();
    },
    isAdmin,
    login(c, token) {
      if (typeof token !== 'string' || !sameSecret(token, adminToken) || !originAllowed(c)) return false;
      const exp = Math.floor(Date.now() / 1000) + SESSION_TTL_S;
      setCookie(c, ADMIN_COOKIE, `${exp}.${sign(exp)}`, { path: '/', httpOnly: true, sameSite: 'Strict', maxAge: SESSION_TTL_S, secure: c.req.url.startsWith('https:') });
      return true;
    },
    logout(c) {
      deleteCookie(c, ADMIN_COOKIE, { path: '/' });
    },
  };
}

/** The origins a server answers for by default: its own address under each loopback name. */
export function loopbackOrigins(port: number): string[] {
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`];
}
