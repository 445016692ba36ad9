// The five example micro-segments of the product brief, driven by realistic event streams.
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../src/engine';
import { DAY, HOUR, MINUTE, event, fakeClock, loadConfig, none, profile } from './helpers';

const T0 = Date.UTC(2026, 8, 1, 10, 0); // a Tuesday, 10:00 UTC

describe('1. registered less than a week ago, no purchases, browsed handbags', () => {
  const config = loadConfig('1-new-handbag-browsers');
  const handbag = { items: [{ item_id: 'HB-1', item_name: 'Tote', item_category: 'handbags', price: 240 }] };
  const shoes = { items: [{ item_id: 'SH-9', item_name: 'Loafer', item_category: 'shoes', price: 120 }] };

  it('enters on the first handbag view and leaves when the week since sign-up is over', () => {
    const clock = fakeClock(T0);
    const engine = createEngine(config, { now: clock.now });
    engine.setProfile(profile(T0));
    expect(engine.segments()).toEqual(['everyone']);

    clock.advance(DAY + 2 * HOUR);
    expect(engine.ingest(event('page', { path: '/shoes' }, clock.now()))).toEqual(none);
    expect(engine.ingest(event('view_item', shoes, clock.now()))).toEqual(none);
    clock.advance(3 * MINUTE);
    expect(engine.ingest(event('view_item', handbag, clock.now()))).toEqual({ entered: ['new-handbag-browsers'], exited: ['everyone'] });

    const why = engine.explain('new-handbag-browsers');
    expect(why.member).toBe(true);
    expect(why.clauses.map((c) => [c.path, c.actual, c.pass])).toEqual([
      ['profile.daysSinceFirstSeen', 1, true],
      ['metrics.orders', 0, true],
      ['metrics.handbag_views_7d', 1, true],
    ]);

    // The earliest moment anything can change is the 7th day since first seen.
    expect(engine.nextChangeAt()).toBe(T0 + 7 * DAY);
    clock.set(T0 + 7 * DAY - 1);
    expect(engine.tick()).toEqual(none);
    clock.set(T0 + 7 * DAY);
    expect(engine.tick()).toEqual({ entered: ['everyone'], exited: ['new-handbag-browsers'] });
    expect(engine.explain('new-handbag-browsers').clauses[0]).toMatchObject({ actual: 7, pass: false });
  });

  it('leaves on the first purchase', () => {
    const clock = fakeClock(T0);
    const engine = createEngine(config, { now: clock.now });
    engine.setProfile(profile(T0));
    clock.advance(2 * HOUR);
    engine.ingest(event('view_item', handbag, clock.now()));
    expect(engine.segments()).toEqual(['new-handbag-browsers']);
    clock.advance(10 * MINUTE);
    engine.ingest(event('add_to_cart', handbag, clock.now()));
    expect(engine.ingest(event('purchase', { value: 240, ...handbag }, clock.now()))).toEqual({
      entered: ['everyone'],
      exited: ['new-handbag-browsers'],
    });
  });
});

describe('2. spent more than $500 to date, but never responded to a campaign', () => {
  const config = loadConfig('2-big-spenders-no-response');

  it('enters once exposed without a click, leaves on the first click', () => {
    const clock = fakeClock(T0);
    const engine = createEngine(config, { now: clock.now });
    engine.ingest(event('purchase', { value: 320, currency: 'USD' }, clock.now()));
    clock.advance(12 * DAY);
    engine.ingest(event('purchase', { value: 210, currency: 'USD' }, clock.now()));
    expect(engine.segments()).toEqual(['everyone']); // $530 but never shown a campaign

    clock.advance(3 * DAY);
    // Held out: the visitor never saw it, so it does not count.
    engine.ingest(event('$exposure', { campaign: 'winter-sale', slot: 'hero', control: true }, clock.now()));
    expect(engine.segments()).toEqual(['everyone']);
    const entered = engine.ingest(event('$exposure', { campaign: 'vip-preview', slot: 'hero', control: false }, clock.now()));
    expect(entered).toEqual({ entered: ['big-spenders-no-response'], exited: ['everyone'] });
    expect(engine.context().campaigns).toEqual({ 'vip-preview': { exposures: 1, clicks: 0, lastAt: clock.now() } });

    clock.advance(2 * DAY);
    engine.ingest(event('$exposure', { campaign: 'vip-preview', slot: 'hero', control: false }, clock.now()));
    clock.advance(20 * MINUTE);
    expect(engine.ingest(event('$click', { campaign: 'vip-preview', slot: 'hero' }, clock.now()))).toEqual({
      entered: ['everyone'],
      exited: ['big-spenders-no-response'],
    });
    expect(engine.context().campaigns['vip-preview']).toMatchObject({ exposures: 2, clicks: 1 });
    expect(engine.nextChangeAt()).toBeUndefined(); // nothing here depends on time
  });
});

describe('3. played poker in the last week and lost, predicted future value above $200', () => {
  const config = loadConfig('3-losing-poker-players');
  const hand = (net: number) => ({ game: 'poker', table: 'holdem-2-5', net });

  it('enters after a losing week with a high predicted value, leaves as the week rolls by', () => {
    const clock = fakeClock(T0);
    const engine = createEngine(config, { now: clock.now });
    engine.ingest(event('deposit', { amount: 400 }, clock.now()));
    clock.set(T0 + 2 * DAY + 10 * HOUR); // Thursday evening, 20:00
    engine.ingest(event('game_result', { game: 'blackjack', net: 40 }, clock.now()));
    const nets = [20, -50, -10, 5];
    for (const net of nets) {
      clock.advance(4 * MINUTE);
      expect(engine.ingest(event('game_result', hand(net), clock.now()))).toEqual(none);
    }
    // 10 + 0.45 × 400 + 2 × 6 games = 202
    clock.advance(4 * MINUTE);
    expect(engine.ingest(event('game_result', hand(-30), clock.now()))).toEqual({
      entered: ['losing-poker-high-value'],
      exited: ['everyone'],
    });
    expect(engine.context().scores.future_value).toBeCloseTo(202);
    expect(engine.context().metrics).toMatchObject({ poker_hands_7d: 5, poker_net_7d: -65, games_30d: 6 });

    // A winning hand does not yet make the week a winning one.
    clock.advance(HOUR);
    engine.ingest(event('game_result', hand(25), clock.now()));
    expect(engine.segments()).toEqual(['losing-poker-high-value']);

    // Each hand leaves the 7-day window exactly 7 × 24 hours after it was played.
    const handAt = (minute: number) => Date.UTC(2026, 8, 10, 20, minute);
    expect(engine.nextChangeAt()).toBe(handAt(4));
    clock.set(handAt(8)); // the +20 and −50 hands are gone: −10, still losing
    expect(engine.tick()).toEqual(none);
    expect(engine.context().metrics).toMatchObject({ poker_hands_7d: 4, poker_net_7d: -10 });
    expect(engine.nextChangeAt()).toBe(handAt(12));
    clock.set(handAt(12) - 1);
    expect(engine.tick()).toEqual(none);
    clock.set(handAt(12)); // the −10 hand leaves: 0, no longer losing
    expect(engine.tick()).toEqual({ entered: ['everyone'], exited: ['losing-poker-high-value'] });
    expect(engine.context().metrics).toMatchObject({ poker_hands_7d: 3, poker_net_7d: 0 });
    clock.set(handAt(20));
    expect(engine.context().metrics).toMatchObject({ poker_hands_7d: 1, poker_net_7d: 25 });
  });

  it('stays out while the predicted value is too low', () => {
    const clock = fakeClock(T0);
    const engine = createEngine(config, { now: clock.now });
    engine.ingest(event('deposit', { amount: 50 }, clock.now()));
    for (const net of [-20, -20, -20]) engine.ingest(event('game_result', hand(net), clock.now()));
    expect(engine.segments()).toEqual(['everyone']);
    expect(engine.explain('losing-poker-high-value').clauses.find((c) => c.path === 'scores.future_value')).toMatchObject({
      pass: false,
      actual: 10 + 0.45 * 50 + 2 * 3,
    });
    engine.setProfile(profile(T0, { traits: { vip: true } })); // the backend flags a VIP: +180
    expect(engine.segments()).toEqual(['losing-poker-high-value']);
  });
});

describe('4. predicted to churn, bought two or more ski-department products in the past', () => {
  const config = loadConfig('4-churning-skiers');
  const order = {
    value: 389,
    items: [
      { item_id: 'SKI-JKT', item_category: 'ski', price: 249 },
      { item_id: 'SKI-GOG', item_category: 'ski', price: 99 },
      { item_id: 'SOCK-3', item_category: 'apparel', price: 41 },
    ],
  };

  it('is in on returning after three months away, out again after buying', () => {
    const clock = fakeClock(T0);
    const engine = createEngine(config, { now: clock.now });
    engine.setProfile(profile(T0));
    for (let i = 0; i < 5; i++) {
      engine.ingest(event('page', { path: `/ski/${i}` }, clock.now()));
      clock.advance(2 * MINUTE);
    }
    engine.ingest(event('purchase', order, clock.now()));
    const ctx = engine.context();
    expect(ctx.metrics).toMatchObject({ ski_items_bought: 2, orders_60d: 1, pages_30d: 5 }); // socks are not ski
    expect(ctx.scores.churn).toBeLessThan(0.7);
    expect(engine.segments()).toEqual(['everyone']);
    const saved = JSON.parse(JSON.stringify(engine.snapshot()));

    // Three months later the visitor opens the site again: a new page, an engine from the snapshot.
    clock.advance(95 * DAY);
    const next = createEngine(config, { now: clock.now, state: saved });
    expect(next.segments()).toEqual(['churning-skiers']);
    expect(next.context().profile.daysSinceLastVisit).toBe(95);
    expect(next.tick()).toEqual({ entered: ['churning-skiers'], exited: ['everyone'] });

    for (let i = 0; i < 6; i++) {
      clock.advance(MINUTE);
      expect(next.ingest(event('page', { path: `/ski/new-${i}` }, clock.now()))).toEqual(none);
    }
    expect(next.context().profile.daysSinceLastVisit).toBe(95); // still the gap before this visit
    clock.advance(5 * MINUTE);
    expect(next.ingest(event('purchase', { ...order, value: 120, items: [order.items[2]] }, clock.now()))).toEqual({
      entered: ['everyone'],
      exited: ['churning-skiers'],
    });
    expect(next.context().metrics.ski_items_bought).toBe(2);
  });
});

describe('5. top 10% of spenders to date, but no purchase in the last 60 days', () => {
  const config = loadConfig('5-lapsed-top-spenders');

  it('enters when the last order leaves the 60-day window, leaves on the next order', () => {
    const clock = fakeClock(T0);
    const engine = createEngine(config, { now: clock.now });
    engine.ingest(event('purchase', { value: 1200 }, clock.now()));
    clock.advance(10 * DAY);
    engine.ingest(event('purchase', { value: 700 }, clock.now()));
    expect(engine.context().metrics).toEqual({ spend: 1900, orders_60d: 2 });
    expect(engine.segments()).toEqual(['everyone']);

    // Each order leaves 60 × 24 hours after it was placed (not at a UTC midnight); no change yet.
    expect(engine.nextChangeAt()).toBe(T0 + 60 * DAY);
    clock.set(T0 + 60 * DAY);
    expect(engine.tick()).toEqual(none);
    expect(engine.context().metrics.orders_60d).toBe(1);

    const lapse = T0 + 70 * DAY;
    expect(engine.nextChangeAt()).toBe(lapse);
    clock.set(lapse - 1);
    expect(engine.tick()).toEqual(none);
    clock.set(lapse);
    expect(engine.tick()).toEqual({ entered: ['lapsed-top-spenders'], exited: ['everyone'] });
    expect(engine.nextChangeAt()).toBeUndefined();

    clock.advance(5 * DAY);
    expect(engine.ingest(event('purchase', { value: 80 }, clock.now()))).toEqual({
      entered: ['everyone'],
      exited: ['lapsed-top-spenders'],
    });
  });

  it('a spender under the published threshold never enters', () => {
    const clock = fakeClock(T0);
    const engine = createEngine(config, { now: clock.now });
    engine.ingest(event('purchase', { value: 1839 }, clock.now()));
    clock.advance(90 * DAY);
    expect(engine.segments()).toEqual(['everyone']);
  });
});
