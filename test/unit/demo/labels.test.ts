// @vitest-environment node
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIdentityToken } from '../../../demo/server/identity';
import { admin, Browser, readSse, startTestServer } from './helpers';

let server: Awaited<ReturnType<typeof startTestServer>>;
// Starting PGlite takes seconds, more on a busy machine.
beforeAll(async () => {
  server = await startTestServer();
}, 60_000);
afterAll(() => server?.close(), 30_000);

const DAY = 86_400_000;

// Anonymous ids as the SDK makes them (random UUIDs): only such an id is bound to a browser on first contact.
const ID_BEFORE_LOGIN = '3d94eeae-6a6c-4aca-a61f-2face1abfe93';
const ID_COOKIE_1 = '54eec968-5b1c-4fe6-a18d-5ea7b6ecdcea';
const ID_DELETE = 'c2ac209f-a5c5-4a87-a265-b9a6a81499b9';
const ID_DIRECT = 'b6350090-fbda-4e9e-af3b-bdf22ab5d73c';
const ID_ELSEWHERE = '9586363f-7807-4af0-aff7-e40bab21ebb4';
const ID_INTRUDER = '9e340e8b-3f2b-4902-a01b-38364e628040';
const ID_LABELS = '3223156d-247d-48e7-ae8e-23edfa289062';
const ID_LIVE = '9f93ae67-f989-4fcf-a7e6-17650e1c7aa7';
const ID_OWN = '599aa2d3-7a0f-4695-aafc-a375bbb468bd';
const ID_SHORT = 'a19f8ca2-ddb8-48bf-aa2f-936db93dcf72';
const ID_VICTIM = '1e7a6e73-146e-4ef7-ae93-9a2c1dd240be';
const ID_X = '32716595-0319-469d-a0c9-2452a89f0f89';

/** A browser whose SDK has reported `uid` on a first API call. */
async function visitor(uid: string): Promise<Browser> {
  const browser = new Browser(server.url);
  const res = await browser.fetch('/api/config', { headers: { 'X-Microseg-Visitor': uid } });
  expect(res.status).toBe(200);
  return browser;
}

const setLabel = (body: Record<string, unknown>, headers: Record<string, string> = admin) =>
  fetch(`${server.url}/api/labels`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

async function labelsOf(browser: Browser, uid: string) {
  const res = await browser.fetch(`/api/labels?uid=${encodeURIComponent(uid)}`);
  expect(res.status).toBe(200);
  return (await res.json()).labels as Array<Record<string, unknown>>;
}

describe('the visitor cookie', () => {
  it('binds the id the SDK reports to a signed, HttpOnly, SameSite=Lax cookie', async () => {
    const browser = new Browser(server.url);
    const res = await browser.fetch('/api/config', { headers: { 'X-Microseg-Visitor': ID_COOKIE_1 } });
    const setCookie = res.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(/^ms_vid=/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).toMatch(/Path=\/api/);
    // the header alone binds nothing a second time: the cookie stays as it is
    const again = await browser.fetch('/api/config', { headers: { 'X-Microseg-Visitor': ID_COOKIE_1 } });
    expect(again.headers.getSetCookie()).toEqual([]);
  });

  it('lets a browser read its own labels, with a Date header for clock correction', async () => {
    const browser = await visitor(ID_OWN);
    const res = await browser.fetch(`/api/labels?uid=${ID_OWN}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('date')).toBeTruthy();
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toMatchObject({ labels: [] });
  });

  it("refuses another visitor's labels (403)", async () => {
    await visitor(ID_VICTIM);
    await setLabel({ uid: ID_VICTIM, name: 'complaint', channel: 'call-centre' });
    const intruder = await visitor(ID_INTRUDER);
    expect((await intruder.fetch(`/api/labels?uid=${ID_VICTIM}`)).status).toBe(403);
    // reporting the victim's id does not help: it was claimed by the victim's browser
    const claim = await intruder.fetch(`/api/labels?uid=${ID_VICTIM}`, { headers: { 'X-Microseg-Visitor': ID_VICTIM } });
    expect(claim.status).toBe(403);
    // nor does a browser without any cookie
    expect((await fetch(`${server.url}/api/labels?uid=${ID_VICTIM}`)).status).toBe(403);
    expect((await fetch(`${server.url}/api/labels?uid=${ID_VICTIM}`, { headers: { 'X-Microseg-Visitor': ID_VICTIM } })).status).toBe(403);
  });

  it('refuses a forged cookie', async () => {
    const forged = Buffer.from(JSON.stringify([ID_VICTIM])).toString('base64url');
    const res = await fetch(`${server.url}/api/labels?uid=${ID_VICTIM}`, { headers: { Cookie: `ms_vid=${forged}.AAAA` } });
    expect(res.status).toBe(403);
  });

  it('binds a first-contact request and answers it in the same round trip', async () => {
    const browser = new Browser(server.url);
    const res = await browser.fetch(`/api/labels?uid=${ID_DIRECT}`, { headers: { 'X-Microseg-Visitor': ID_DIRECT } });
    expect(res.status).toBe(200);
    expect(browser.cookie('ms_vid')).toBeTruthy();
  });

  it('adds a new unclaimed anonymous id (a fresh id after forget) to the same browser', async () => {
    const browser = await visitor(ID_BEFORE_LOGIN);
    await browser.fetch('/api/config', { headers: { 'X-Microseg-Visitor': ID_DIRECT.replace(/^./, 'f') } });
    expect((await browser.fetch(`/api/labels?uid=${ID_DIRECT.replace(/^./, 'f')}`)).status).toBe(200);
    expect((await browser.fetch(`/api/labels?uid=${ID_BEFORE_LOGIN}`)).status).toBe(200);
  });

  it('lets the admin token read any visitor', async () => {
    const res = await fetch(`${server.url}/api/labels?uid=${ID_VICTIM}`, { headers: admin });
    expect(res.status).toBe(200);
    expect((await res.json()).labels.map((l: { name: string }) => l.name)).toEqual(['complaint']);
  });
});

describe('labels set and removed by other channels', () => {
  it('requires the admin token to set or delete', async () => {
    expect((await setLabel({ uid: ID_X, name: 'vip', channel: 'store' }, {})).status).toBe(401);
    expect((await fetch(`${server.url}/api/labels/${ID_X}/vip`, { method: 'DELETE' })).status).toBe(401);
  });

  it('validates name, channel and ttl', async () => {
    expect((await setLabel({ uid: ID_X, name: 'bad name', channel: 'store' })).status).toBe(400);
    expect((await setLabel({ uid: ID_X, name: 'vip', channel: 'fax' })).status).toBe(400);
    expect((await setLabel({ uid: ID_X, name: 'vip', channel: 'store', ttlDays: -1 })).status).toBe(400);
  });

  it('stores per channel, with value and expiry, and returns only what has not expired', async () => {
    const browser = await visitor(ID_LABELS);
    const before = Date.now();
    expect((await setLabel({ uid: ID_LABELS, name: 'complaint', channel: 'call-centre', value: { reason: 'late delivery' }, ttlDays: 14 })).status).toBe(201);
    expect((await setLabel({ uid: ID_LABELS, name: 'vip', channel: 'store', value: 'gold' })).status).toBe(201);
    expect((await setLabel({ uid: ID_LABELS, name: 'opened-newsletter', channel: 'email', at: before - 3 * DAY, ttlDays: 1 })).status).toBe(201);

    const labels = await labelsOf(browser, ID_LABELS);
    expect(labels.map((l) => l.name).sort()).toEqual(['complaint', 'vip']); // the newsletter one expired two days ago
    const complaint = labels.find((l) => l.name === 'complaint')!;
    expect(complaint).toMatchObject({ channel: 'call-centre', value: { reason: 'late delivery' } });
    expect(complaint.at).toBeGreaterThanOrEqual(before);
    expect(complaint.expires).toBe((complaint.at as number) + 14 * DAY);
    const vip = labels.find((l) => l.name === 'vip')!;
    expect(vip).toEqual({ name: 'vip', at: vip.at, channel: 'store', value: 'gold' }); // no expiry: the field is absent
  });

  it('a label that expires in a moment disappears then', async () => {
    const browser = await visitor(ID_SHORT);
    await setLabel({ uid: ID_SHORT, name: 'flash', channel: 'email', ttlDays: 0.5 / 86_400 });
    expect((await labelsOf(browser, ID_SHORT)).map((l) => l.name)).toEqual(['flash']);
    await new Promise((r) => setTimeout(r, 600));
    expect(await labelsOf(browser, ID_SHORT)).toEqual([]);
  });

  it('delete leaves a tombstone that the SDK merges by timestamp', async () => {
    const browser = await visitor(ID_DELETE);
    await setLabel({ uid: ID_DELETE, name: 'complaint', channel: 'call-centre' });
    await setLabel({ uid: ID_DELETE, name: 'complaint', channel: 'email' });
    const res = await fetch(`${server.url}/api/labels/${ID_DELETE}/complaint`, { method: 'DELETE', headers: admin });
    expect(res.status).toBe(200);
    const labels = await labelsOf(browser, ID_DELETE);
    expect(labels).toHaveLength(2);
    for (const l of labels) expect(l).toMatchObject({ name: 'complaint', deleted: true });

    // deleting a label the backend never had still tells the SDK (e.g. one the site set itself)
    await fetch(`${server.url}/api/labels/${ID_DELETE}/web-only`, { method: 'DELETE', headers: admin });
    expect((await labelsOf(browser, ID_DELETE)).find((l) => l.name === 'web-only')).toMatchObject({ deleted: true, channel: 'web' });

    // setting it again revives it, newer than the tombstone
    await setLabel({ uid: ID_DELETE, name: 'complaint', channel: 'store' });
    const revived = (await labelsOf(browser, ID_DELETE)).filter((l) => l.name === 'complaint');
    const newest = revived.reduce((a, b) => ((a.at as number) >= (b.at as number) ? a : b));
    expect(newest).toMatchObject({ channel: 'store' });
    expect(newest.deleted).toBeUndefined();
  });
});

describe('label changes reach the visitor’s open pages', () => {
  it('pushes {type:"labels"} on /api/labels/stream and as a `labels` event on the config stream', async () => {
    const browser = await visitor(ID_LIVE);
    const labelsStream = readSse(await browser.fetch('/api/labels/stream'));
    const configStream = readSse(await browser.fetch('/api/config/stream'));
    const other = await visitor(ID_ELSEWHERE);
    const otherStream = readSse(await other.fetch('/api/labels/stream'));
    try {
      await configStream.next(); // the current config
      await setLabel({ uid: ID_LIVE, name: 'complaint', channel: 'call-centre' });
      expect(JSON.parse((await labelsStream.next(undefined, 1000)).data)).toMatchObject({ type: 'labels' });
      expect(JSON.parse((await configStream.next((e) => e.event === 'labels', 1000)).data)).toMatchObject({ type: 'labels' });

      await fetch(`${server.url}/api/labels/${ID_LIVE}/complaint`, { method: 'DELETE', headers: admin });
      expect(JSON.parse((await labelsStream.next(undefined, 1000)).data)).toMatchObject({ type: 'labels' });

      // scoped by the cookie: another visitor hears nothing
      await expect(otherStream.next(undefined, 200)).rejects.toThrow(/no matching SSE event/);
    } finally {
      await Promise.all([labelsStream.close(), configStream.close(), otherStream.close()]);
    }
  });

  it('refuses the labels stream without a visitor cookie', async () => {
    expect((await fetch(`${server.url}/api/labels/stream`)).status).toBe(403);
  });
});

describe('identity verification: a user id is served only with a token its site signed', () => {
  const USER = 'customer-10042';
  const token = (uid = USER, opts: { ttlSeconds?: number; now?: number } = {}) => signIdentityToken(uid, server.identitySecret, opts);
  const withToken = (t: string) => ({ 'X-Microseg-Identity': t });

  it('never binds a user id on first claim: reporting it first reads nothing', async () => {
    await setLabel({ uid: USER, name: 'refund-asked', channel: 'call-centre', value: 'card ending 4242' });
    const attacker = new Browser(server.url);
    const first = await attacker.fetch(`/api/labels?uid=${USER}`, { headers: { 'X-Microseg-Visitor': USER } });
    expect(first.status).toBe(403);
    expect(attacker.cookie('ms_vid')).toBeUndefined();
    expect((await attacker.fetch(`/api/labels?uid=${USER}`)).status).toBe(403);
    // an id that merely looks like a user id of another site is no better
    expect((await attacker.fetch('/api/labels?uid=user-42', { headers: { 'X-Microseg-Visitor': 'user-42' } })).status).toBe(403);
  });

  it('serves the labels with a valid token, in the header or the query (for EventSource)', async () => {
    const browser = await visitor(ID_OWN);
    const res = await browser.fetch(`/api/labels?uid=${USER}`, { headers: withToken(token()) });
    expect(res.status).toBe(200);
    expect((await res.json()).labels).toMatchObject([{ name: 'refund-asked', value: 'card ending 4242' }]);
    expect((await fetch(`${server.url}/api/labels?uid=${USER}&token=${encodeURIComponent(token())}`)).status).toBe(200);
  });

  it('refuses a token for another id, an expired, a tampered or a foreign-secret token', async () => {
    const get = (t: string) => fetch(`${server.url}/api/labels?uid=${USER}`, { headers: withToken(t) });
    expect((await get(token('customer-10043'))).status).toBe(403);
    expect((await get(token(USER, { now: Date.now() - 2 * 86_400_000 }))).status).toBe(403);
    const good = token();
    expect((await get(good.slice(0, -2) + (good.endsWith('AA') ? 'BA' : 'AA'))).status).toBe(403);
    const [, exp, mac] = good.split('.');
    expect((await get(`v1.${Number(exp) + 3600}.${mac}`)).status).toBe(403); // a later expiry is not signed
    expect((await get(signIdentityToken(USER, 'another-site-secret'))).status).toBe(403);
    expect((await get('')).status).toBe(403);
  });

  it('pushes label changes of a verified user id on the labels stream', async () => {
    const stream = readSse(await fetch(`${server.url}/api/labels/stream?uid=${USER}&token=${encodeURIComponent(token())}`));
    try {
      await setLabel({ uid: USER, name: 'vip', channel: 'store' });
      expect(JSON.parse((await stream.next(undefined, 2000)).data)).toMatchObject({ type: 'labels', uid: USER });
    } finally {
      await stream.close();
    }
    expect((await fetch(`${server.url}/api/labels/stream?uid=${USER}&token=nope`)).status).toBe(403);
  });
});

describe('forget(): POST /api/forget unlinks the device', () => {
  it('clears the cookie and releases its ids, so the fresh id after forget() is linked to nothing', async () => {
    const OLD = ID_COOKIE_1.replace(/^./, 'e');
    const NEW = ID_COOKIE_1.replace(/^./, 'd');
    const browser = await visitor(OLD);
    await setLabel({ uid: OLD, name: 'viewed-handbags', channel: 'web' });
    const res = await browser.fetch('/api/forget', { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie().join('\n')).toMatch(/ms_vid=;.*Max-Age=0/);
    expect(browser.cookie('ms_vid')).toBe('');
    // the new anonymous id gets a cookie of its own: the old id is not in it
    await browser.fetch('/api/config', { headers: { 'X-Microseg-Visitor': NEW } });
    expect((await browser.fetch(`/api/labels?uid=${NEW}`)).status).toBe(200);
    expect((await browser.fetch(`/api/labels?uid=${OLD}`)).status).toBe(403);
    // and the backend keeps nothing of the old id
    const old = await fetch(`${server.url}/api/labels?uid=${OLD}`, { headers: admin });
    expect((await old.json()).labels).toEqual([]);
  });
});
