// @vitest-environment node
import fc from 'fast-check';
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
    expect(await first.json()).toEqual({ received: 2, stored: 2, duplicate: 0, rejected: 0 });
    const again = await collect(batch);
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ received: 2, stored: 0, duplicate: 2, rejected: 0 });

    const stored = await storedFor('visitor-a');
    expect(stored.map((e) => e.id)).toEqual(['e1', 'e2']);
    expect(stored[0]).toMatchObject({ type: 'view_item', ts: 1_795_000_000_000, props: { value: 420 }, page: { path: '/p/hb-alma' } });
  });

  it('deduplicates within one batch too', async () => {
    const res = await collect({ events: [event('dup', 'visitor-b'), event('dup', 'visitor-b')] });
    expect(await res.json()).toMatchObject({ stored: 1, duplicate: 1 });
    expect(await storedFor('visitor-b')).toHaveLength(1);
  });

  it('accepts text/plain bodies, as navigator.sendBeacon sends them', async () => {
    const res = await collect(JSON.stringify({ events: [event('beacon-1', 'visitor-c', 'purchase')] }), 'text/plain;charset=UTF-8');
    expect(res.status).toBe(202);
    expect((await storedFor('visitor-c')).map((e) => e.type)).toEqual(['purchase']);
  });

  it('counts malformed events as rejected and stores the rest', async () => {
    const res = await collect({ events: [event('ok-1', 'visitor-d'), { id: 'no-type', aid: 'visitor-d', ts: 1 }, 'junk', null] });
    expect(await res.json()).toEqual({ received: 4, stored: 1, duplicate: 0, rejected: 3 });
  });

  it('stores hostile strings that jsonb refuses (NUL, lone surrogates) instead of failing the batch', async () => {
    const nasty = event('nasty-1', 'visitor-f', 'view_item', { props: { name: 'a\u0000b', half: '\ud800x', ['k\u0000']: 1 } });
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100; i++) deep = [deep];
    const tooDeep = event('deep-1', 'visitor-f', 'view_item', { props: { deep } });
    const res = await collect({ events: [nasty, tooDeep, event('fine-1', 'visitor-f')] });
    expect(await res.json()).toEqual({ received: 3, stored: 2, duplicate: 0, rejected: 1 });
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
    const bound = '0b1e1c7a-5d2f-4e3a-9c4b-1f2e3d4c5b6a';
    await collect({ events: [event('bound-1', bound)] });
    await fetch(`${server.url}/api/config`, { headers: { 'X-Microseg-Visitor': bound } }); // now bound too
    const res = await fetch(`${server.url}/api/visitors`, { headers: admin });
    const { visitors } = (await res.json()) as { visitors: Array<{ uid: string; events: number; bound: boolean; lastSeen: number }> };
    expect(visitors.find((v) => v.uid === bound)).toMatchObject({ events: 1, bound: true });
    expect(visitors.find((v) => v.uid === 'visitor-late')).toMatchObject({ events: 1, bound: false, lastSeen: 1_796_000_000_000 });
  });
});

describe('POST /api/collect never loses a good event', () => {
  const step = (id: string, aid: string, props: Record<string, unknown>, type = '$journey.outcome') =>
    event(id, aid, type, { props: { journey: 'cart-recovery', exposure: 'x1', at: 1_795_000_000_000, until: 1_795_100_000_000, segments: ['everyone'], control: false, outcome: 'aversion', ...props } });

  it('rejects or cleans each bad event on its own and stores the good ones around it', async () => {
    const good = [event('g-1', 'visitor-g'), event('g-2', 'visitor-g'), event('g-3', 'visitor-g')];
    const cleaned = [
      event('c-surrogate', 'visitor-g', 'view_item', { uid: 'user-\ud83d' }), // an id cut inside an emoji
      event('c-nul', 'visitor-g\u0000', 'view_item'),
      event('c-visit', 'visitor-g', 'view_item', { visit: 2 ** 31 }), // visit above int32: kept, visit dropped
    ];
    const rejected = [
      event('r-ts-huge', 'visitor-g', 'view_item', { ts: 1e300 }),
      event('r-ts-text', 'visitor-g', 'view_item', { ts: '1795000000000' }),
      event('r-type', 'visitor-g', 'view_item', { type: 42 }),
      event('r-props', 'visitor-g', 'view_item', { props: [1, 2] }),
      event('r-uid', 'visitor-g', 'view_item', { uid: { $ne: null } }),
      step('r-outcome', 'visitor-g', { segments: 'x' }),
      step('r-outcome-2', 'visitor-g', { outcome: 'maybe', at: 1 }),
    ];
    const res = await collect({ events: [rejected[0], ...good.slice(0, 1), ...cleaned, ...rejected.slice(1), ...good.slice(1)] });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ received: 13, stored: 6, duplicate: 0, rejected: 7 });
    const stored = [...(await storedFor('visitor-g')), ...(await storedFor('visitor-g\uFFFD'))];
    expect(stored.map((e) => e.id).sort()).toEqual(['c-nul', 'c-surrogate', 'c-visit', 'g-1', 'g-2', 'g-3']);
    expect(stored.find((e) => e.id === 'c-surrogate')!.uid).toBe('user-\uFFFD');
    expect(stored.find((e) => e.id === 'c-visit')!.visit).toBeNull();
  });

  it('stores a journey step once per visitor, step and window, whatever its id', async () => {
    const res = await collect({ events: [step('o:a', 'visitor-j', {}), step('o:b', 'visitor-j', { outcome: 'progression' }), step('x:a', 'visitor-j', {}, '$journey.exposure')] });
    expect(await res.json()).toEqual({ received: 3, stored: 2, duplicate: 1, rejected: 0 });
    const again = await collect({ events: [step('o:c', 'visitor-j', {})] });
    expect(await again.json()).toMatchObject({ stored: 0, duplicate: 1 });
  });

  it('keeps /api/report answering whatever rows are stored', async () => {
    // rows written by an older collector, or straight into the database
    for (const [i, props] of [{ journey: 'j', segments: 'x', outcome: 'progression' }, { journey: 'j', segments: [1, null, { a: 1 }], control: 'yes', outcome: 7 }, { journey: null }, {}].entries()) {
      await server.db.query(`INSERT INTO events (id, aid, uid, type, ts, visit, page, props, received_at) VALUES ($1, 'visitor-r', NULL, '$journey.outcome', 1, NULL, NULL, $2::jsonb, 1)`, [`raw-${i}`, JSON.stringify(props)]);
    }
    const res = await fetch(`${server.url}/api/report`, { headers: admin });
    expect(res.status).toBe(200);
    expect((await res.json()).rows.length).toBeGreaterThan(0);
  });

  it('answers 503 with Retry-After only when nothing could be stored', async () => {
    await server.db.query('ALTER TABLE events RENAME TO events_away');
    try {
      const res = await collect({ events: [event('down-1', 'visitor-down')] });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
    } finally {
      await server.db.query('ALTER TABLE events_away RENAME TO events');
    }
    expect((await collect({ events: [event('down-1', 'visitor-down')] })).status).toBe(202);
  });

  it('property: any batch of good and hostile events is understood, counted, and every good event stored', async () => {
    const text = fc.string({ unit: 'binary', maxLength: 12 });
    const goodEvent = fc.record({
      type: fc.constantFrom('page', 'view_item', 'purchase'),
      ts: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
      visit: fc.oneof(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constant(undefined)),
      props: fc.dictionary(text, fc.oneof(text, fc.double(), fc.integer(), fc.boolean(), fc.constant(null))),
    });
    const hostile = fc.oneof(
      fc.anything(),
      fc.record({ id: fc.anything(), type: fc.anything(), aid: fc.anything(), ts: fc.oneof(fc.double(), fc.constant(1e300), fc.string()), visit: fc.anything(), props: fc.anything() }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(goodEvent, { maxLength: 8 }), fc.array(hostile, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 16 }), async (goods, bads, order) => {
        run++;
        const aid = `visitor-prop-${run}`;
        const named = goods.map((g, i) => ({ ...g, id: `p${run}-${i}`, aid }));
        const batch: unknown[] = [...named, ...bads];
        for (const [i, j] of order.entries()) {
          const a = i % batch.length, b = j % batch.length;
          if (batch.length) [batch[a], batch[b]] = [batch[b], batch[a]];
        }
        const res = await collect({ events: batch });
        expect(res.status).toBe(202);
        const counts = await res.json();
        expect(counts.stored + counts.duplicate + counts.rejected).toBe(batch.length);
        expect(counts.received).toBe(batch.length);
        const ids = (await storedFor(aid)).map((e) => e.id);
        for (const g of named) expect(ids).toContain(g.id);
      }),
      { numRuns: 30, endOnFailure: true, seed: Number(process.env.FC_SEED) || undefined },
    );
  }, 120_000);
});
