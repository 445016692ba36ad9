// @vitest-environment node
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, Browser, readSse, startTestServer } from './helpers';

let server: Awaited<ReturnType<typeof startTestServer>>;
// Starting PGlite takes seconds, more on a busy machine.
beforeAll(async () => {
  server = await startTestServer();
}, 60_000);
afterAll(() => server?.close(), 30_000);

const DAY = 86_400_000;

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
    const res = await browser.fetch('/api/config', { headers: { 'X-Microseg-Visitor': 'anon-cookie-1' } });
    const setCookie = res.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(/^ms_vid=/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).toMatch(/Path=\/api/);
    // the header alone binds nothing a second time: the cookie stays as it is
    const again = await browser.fetch('/api/config', { headers: { 'X-Microseg-Visitor': 'anon-cookie-1' } });
    expect(again.headers.getSetCookie()).toEqual([]);
  });

  it('lets a browser read its own labels, with a Date header for clock correction', async () => {
    const browser = await visitor('anon-own');
    const res = await browser.fetch('/api/labels?uid=anon-own');
    expect(res.status).toBe(200);
    expect(res.headers.get('date')).toBeTruthy();
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toMatchObject({ labels: [] });
  });

  it("refuses another visitor's labels (403)", async () => {
    await visitor('anon-victim');
    await setLabel({ uid: 'anon-victim', name: 'complaint', channel: 'call-centre' });
    const intruder = await visitor('anon-intruder');
    expect((await intruder.fetch('/api/labels?uid=anon-victim')).status).toBe(403);
    // reporting the victim's id does not help: it was claimed by the victim's browser
    const claim = await intruder.fetch('/api/labels?uid=anon-victim', { headers: { 'X-Microseg-Visitor': 'anon-victim' } });
    expect(claim.status).toBe(403);
    // nor does a browser without any cookie
    expect((await fetch(`${server.url}/api/labels?uid=anon-victim`)).status).toBe(403);
    expect((await fetch(`${server.url}/api/labels?uid=anon-victim`, { headers: { 'X-Microseg-Visitor': 'anon-victim' } })).status).toBe(403);
  });

  it('refuses a forged cookie', async () => {
    const forged = Buffer.from(JSON.stringify(['anon-victim'])).toString('base64url');
    const res = await fetch(`${server.url}/api/labels?uid=anon-victim`, { headers: { Cookie: `ms_vid=${forged}.AAAA` } });
    expect(res.status).toBe(403);
  });

  it('binds a first-contact request and answers it in the same round trip', async () => {
    const browser = new Browser(server.url);
    const res = await browser.fetch('/api/labels?uid=anon-direct', { headers: { 'X-Microseg-Visitor': 'anon-direct' } });
    expect(res.status).toBe(200);
    expect(browser.cookie('ms_vid')).toBeTruthy();
  });

  it('adds a new unclaimed id (user id after identify, fresh id after forget) to the same browser', async () => {
    const browser = await visitor('anon-before-login');
    await browser.fetch('/api/config', { headers: { 'X-Microseg-Visitor': 'user-42' } });
    expect((await browser.fetch('/api/labels?uid=user-42')).status).toBe(200);
    expect((await browser.fetch('/api/labels?uid=anon-before-login')).status).toBe(200);
  });

  it('lets the admin token read any visitor', async () => {
    const res = await fetch(`${server.url}/api/labels?uid=anon-victim`, { headers: admin });
    expect(res.status).toBe(200);
    expect((await res.json()).labels.map((l: { name: string }) => l.name)).toEqual(['complaint']);
  });
});

describe('labels set and removed by other channels', () => {
  it('requires the admin token to set or delete', async () => {
    expect((await setLabel({ uid: 'anon-x', name: 'vip', channel: 'store' }, {})).status).toBe(401);
    expect((await fetch(`${server.url}/api/labels/anon-x/vip`, { method: 'DELETE' })).status).toBe(401);
  });

  it('validates name, channel and ttl', async () => {
    expect((await setLabel({ uid: 'anon-x', name: 'bad name', channel: 'store' })).status).toBe(400);
    expect((await setLabel({ uid: 'anon-x', name: 'vip', channel: 'fax' })).status).toBe(400);
    expect((await setLabel({ uid: 'anon-x', name: 'vip', channel: 'store', ttlDays: -1 })).status).toBe(400);
  });

  it('stores per channel, with value and expiry, and returns only what has not expired', async () => {
    const browser = await visitor('anon-labels');
    const before = Date.now();
    expect((await setLabel({ uid: 'anon-labels', name: 'complaint', channel: 'call-centre', value: { reason: 'late delivery' }, ttlDays: 14 })).status).toBe(201);
    expect((await setLabel({ uid: 'anon-labels', name: 'vip', channel: 'store', value: 'gold' })).status).toBe(201);
    expect((await setLabel({ uid: 'anon-labels', name: 'opened-newsletter', channel: 'email', at: before - 3 * DAY, ttlDays: 1 })).status).toBe(201);

    const labels = await labelsOf(browser, 'anon-labels');
    expect(labels.map((l) => l.name).sort()).toEqual(['complaint', 'vip']); // the newsletter one expired two days ago
    const complaint = labels.find((l) => l.name === 'complaint')!;
    expect(complaint).toMatchObject({ channel: 'call-centre', value: { reason: 'late delivery' } });
    expect(complaint.at).toBeGreaterThanOrEqual(before);
    expect(complaint.expires).toBe((complaint.at as number) + 14 * DAY);
    const vip = labels.find((l) => l.name === 'vip')!;
    expect(vip).toEqual({ name: 'vip', at: vip.at, channel: 'store', value: 'gold' }); // no expiry: the field is absent
  });

  it('a label that expires in a moment disappears then', async () => {
    const browser = await visitor('anon-short');
    await setLabel({ uid: 'anon-short', name: 'flash', channel: 'email', ttlDays: 0.5 / 86_400 });
    expect((await labelsOf(browser, 'anon-short')).map((l) => l.name)).toEqual(['flash']);
    await new Promise((r) => setTimeout(r, 600));
    expect(await labelsOf(browser, 'anon-short')).toEqual([]);
  });

  it('delete leaves a tombstone that the SDK merges by timestamp', async () => {
    const browser = await visitor('anon-delete');
    await setLabel({ uid: 'anon-delete', name: 'complaint', channel: 'call-centre' });
    await setLabel({ uid: 'anon-delete', name: 'complaint', channel: 'email' });
    const res = await fetch(`${server.url}/api/labels/anon-delete/complaint`, { method: 'DELETE', headers: admin });
    expect(res.status).toBe(200);
    const labels = await labelsOf(browser, 'anon-delete');
    expect(labels).toHaveLength(2);
    for (const l of labels) expect(l).toMatchObject({ name: 'complaint', deleted: true });

    // deleting a label the backend never had still tells the SDK (e.g. one the site set itself)
    await fetch(`${server.url}/api/labels/anon-delete/web-only`, { method: 'DELETE', headers: admin });
    expect((await labelsOf(browser, 'anon-delete')).find((l) => l.name === 'web-only')).toMatchObject({ deleted: true, channel: 'web' });

    // setting it again revives it, newer than the tombstone
    await setLabel({ uid: 'anon-delete', name: 'complaint', channel: 'store' });
    const revived = (await labelsOf(browser, 'anon-delete')).filter((l) => l.name === 'complaint');
    const newest = revived.reduce((a, b) => ((a.at as number) >= (b.at as number) ? a : b));
    expect(newest).toMatchObject({ channel: 'store' });
    expect(newest.deleted).toBeUndefined();
  });
});

describe('label changes reach the visitor’s open pages', () => {
  it('pushes {type:"labels"} on /api/labels/stream and as a `labels` event on the config stream', async () => {
    const browser = await visitor('anon-live');
    const labelsStream = readSse(await browser.fetch('/api/labels/stream'));
    const configStream = readSse(await browser.fetch('/api/config/stream'));
    const other = await visitor('anon-elsewhere');
    const otherStream = readSse(await other.fetch('/api/labels/stream'));
    try {
      await configStream.next(); // the current config
      await setLabel({ uid: 'anon-live', name: 'complaint', channel: 'call-centre' });
      expect(JSON.parse((await labelsStream.next(undefined, 1000)).data)).toMatchObject({ type: 'labels' });
      expect(JSON.parse((await configStream.next((e) => e.event === 'labels', 1000)).data)).toMatchObject({ type: 'labels' });

      await fetch(`${server.url}/api/labels/anon-live/complaint`, { method: 'DELETE', headers: admin });
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
