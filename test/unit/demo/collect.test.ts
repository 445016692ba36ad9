// @vitest-environment node
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BATCH_EVENTS } from '../../../demo/server/app';
import { admin, startTestServer } from './helpers';

let server: Awaited<ReturnType<typeof startTestServer>>;
// Starting PGlite takes seconds, more on a busy machine.
beforeAll(async () => {
  server = await startTestServer();
}, 60_000);
afterAll(() => server?.close(), 30_000);

function event(id: string, aid: string, type = 'view_item', extra: Record<string, unknown> = {}) {
  return {
    id,
    type,
    ts: 1_795_000_000_000,
    aid,
    visit: 1,
    props: { currency: 'EUR', value: 420, items: [{ item_id: 'hb-alma', item_category: 'handbags', price: 420, quantity: 1 }] },
    page: { url: 'http://shop.test/p/hb-alma', path: '/p/hb-alma', title: 'Alma', referrer: '' },
    ...extra,
  };
}

const collect = (body: unknown, contentType = 'application/json') =>
  fetch(`${server.url}/api/collect`, {
    method: 'POST',
    headers: { 'Content-Type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function storedFor(aid: string) {
  const res = await fetch(`${server.url}/api/events?aid=${aid}`, { headers: admin });
  expect(res.status).toBe(200);
  return (await res.json()).events as Array<Record<string, unknown>>;
}

describe('POST /api/collect', () => {
  it('runs on PGlite, or on PostgreSQL when MICROSEG_TEST_DATABASE_URL is set', () => {
    expect(server.db.kind).toBe(process.env.MICROSEG_TEST_DATABASE_URL ? 'postgres' : 'pglite');
  });

  it('stores a batch once: the same batch sent twice is deduplicated by event id', async () => {
    const batch = { events: [event('e1', 'visitor-a'), event('e2', 'visitor-a', 'add_to_cart')] };
    const first = await collect(batch);
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ received: 2, stored: 2, duplicates: 0, rejected: 0 });
    const again = await collect(batch);
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ received: 2, stored: 0, duplicates: 2, rejected: 0 });

    const stored = await storedFor('visitor-a');
    expect(stored.map((e) => e.id)).toEqual(['e1', 'e2']);
    expect(stored[0]).toMatchObject({ type: 'view_item', ts: 1_795_000_000_000, props: { value: 420 }, page: { path: '/p/hb-alma' } });
  });

  it('deduplicates within one batch too', async () => {
    const res = await collect({ events: [event('dup', 'visitor-b'), event('dup', 'visitor-b')] });
    expect(await res.json()).toMatchObject({ stored: 1, duplicates: 1 });
    expect(await storedFor('visitor-b')).toHaveLength(1);
  });

  it('accepts text/plain bodies, as navigator.sendBeacon sends them', async () => {
    const res = await collect(JSON.stringify({ events: [event('beacon-1', 'visitor-c', 'purchase')] }), 'text/plain;charset=UTF-8');
    expect(res.status).toBe(202);
    expect((await storedFor('visitor-c')).map((e) => e.type)).toEqual(['purchase']);
  });

  it('counts malformed events as rejected and stores the rest', async () => {
    const res = await collect({ events: [event('ok-1', 'visitor-d'), { id: 'no-type', aid: 'visitor-d', ts: 1 }, 'junk', null] });
    expect(await res.json()).toEqual({ received: 4, stored: 1, duplicates: 0, rejected: 3 });
  });

  it('stores hostile strings that jsonb refuses (NUL, lone surrogates) instead of failing the batch', async () => {
    const nasty = event('nasty-1', 'visitor-f', 'view_item', { props: { name: 'a\u0000b', half: '\ud800x', ['k\u0000']: 1 } });
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100; i++) deep = [deep];
    const tooDeep = event('deep-1', 'visitor-f', 'view_item', { props: { deep } });
    const res = await collect({ events: [nasty, tooDeep, event('fine-1', 'visitor-f')] });
    expect(await res.json()).toEqual({ received: 3, stored: 2, duplicates: 0, rejected: 1 });
    const stored = await storedFor('visitor-f');
    expect(stored.find((e) => e.id === 'nasty-1')!.props).toEqual({ name: 'a\uFFFDb', half: '\uFFFDx', 'k\uFFFD': 1 });
  });

  it('answers 413 past the batch bound and 400 for what is not a batch', async () => {
    const tooMany = Array.from({ length: MAX_BATCH_EVENTS + 1 }, (_, i) => event(`big-${i}`, 'visitor-e'));
    expect((await collect({ events: tooMany })).status).toBe(413);
    expect((await collect('x'.repeat(1_100_000), 'text/plain')).status).toBe(413);
    expect(await storedFor('visitor-e')).toHaveLength(0);
    expect((await collect('not json')).status).toBe(400);
    expect((await collect({ nope: [] })).status).toBe(400);
  });

  it('keeps the event list behind the admin token', async () => {
    expect((await fetch(`${server.url}/api/events?aid=visitor-a`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/visitors`)).status).toBe(401);
  });

  it('lists the visitors seen, by their events or their cookie, most recent first', async () => {
    await collect({ events: [event('late-1', 'visitor-late', 'page', { ts: 1_796_000_000_000 })] });
    await fetch(`${server.url}/api/config`, { headers: { 'X-Microseg-Visitor': 'visitor-a' } }); // now bound too
    const res = await fetch(`${server.url}/api/visitors`, { headers: admin });
    const { visitors } = (await res.json()) as { visitors: Array<{ uid: string; events: number; bound: boolean; lastSeen: number }> };
    expect(visitors.find((v) => v.uid === 'visitor-a')).toMatchObject({ events: 2, bound: true });
    expect(visitors.find((v) => v.uid === 'visitor-late')).toMatchObject({ events: 1, bound: false, lastSeen: 1_796_000_000_000 });
  });
});
