import { describe, expect, it, vi } from 'vitest';
import { createMicroseg } from '../../../src';
import type { TrackedEvent } from '../../../src';

function collect(ms: ReturnType<typeof createMicroseg>) {
  const events: TrackedEvent[] = [];
  const errors: { code: string; message: string }[] = [];
  ms.on('track', (e) => events.push(e));
  ms.on('error', (e) => errors.push(e));
  return { events, errors };
}

describe('tracking', () => {
  it('stores every event with a unique id, a timestamp and the page context', async () => {
    const ms = createMicroseg({ autoPage: false, dbName: 't1' });
    await ms.ready;
    ms.track('view_item', { value: 12, items: [{ item_category: 'handbags' }] });
    ms.track('purchase', { value: 99 });
    await ms.flush();
    const { createStore } = await import('../../../src/store');
    const store = createStore({ name: 't1', report: () => {} });
    await store.persist();
    const stored = await store.events();
    expect(stored.map((e) => e.type)).toEqual(['view_item', 'purchase']);
    expect(new Set(stored.map((e) => e.id)).size).toBe(2);
    expect(stored[0]!.props).toEqual({ value: 12, items: [{ item_category: 'handbags' }] });
    expect(stored[0]!.page.url).toBe(location.href);
    expect(stored[0]!.aid).toBe(ms.profile().anonymousId);
    expect(typeof stored[0]!.ts).toBe('number');
    ms.destroy();
  });

  it('copies props, so the site mutating its object later changes nothing', async () => {
    const ms = createMicroseg({ autoPage: false });
    const { events } = collect(ms);
    const props = { value: 1, nested: { a: 1 }, fn: () => 1 };
    ms.track('x', props);
    props.nested.a = 2;
    expect(events[0]!.props).toEqual({ value: 1, nested: { a: 1 } });
    ms.destroy();
  });

  it('reports bad arguments through the error event and never throws', () => {
    const ms = createMicroseg({ autoPage: false, consent: 'denied' });
    const { events, errors } = collect(ms);
    expect(() => {
      ms.track('' as string);
      ms.track(42 as unknown as string);
      ms.track('ok', 'nope' as unknown as Record<string, unknown>);
      ms.identify('' as string);
      ms.label('bad name!');
      ms.consent('maybe' as 'granted');
      ms.on(1 as unknown as 'ready', null as unknown as () => void);
    }).not.toThrow();
    expect(events).toHaveLength(0);
    expect(errors.map((e) => e.code)).toEqual(Array(7).fill('bad-argument'));
    ms.destroy();
  });

  it('survives hostile props: cycles, getters that throw, huge strings', () => {
    const ms = createMicroseg({ autoPage: false, consent: 'denied' });
    const { events, errors } = collect(ms);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const throwing = { get boom() { throw new Error('boom'); } };
    ms.track('cyclic', cyclic);
    ms.track('throwing', throwing);
    ms.track('huge', { s: 'x'.repeat(100_000) });
    expect(events.map((e) => e.type)).toEqual(['cyclic', 'huge']);
    expect(events[0]!.props).toEqual({ a: 1 });
    expect((events[1]!.props.s as string).length).toBe(2000);
    expect(errors.map((e) => e.code)).toEqual(['internal']);
    ms.destroy();
  });

  it('tracks a page on load and on single-page-app navigations', async () => {
    const ms = createMicroseg({ consent: 'denied' });
    const { events } = collect(ms);
    history.pushState({}, '', '/products/bag-1');
    history.replaceState({}, '', '/products/bag-1'); // same URL: no new page
    history.replaceState({}, '', '/products/bag-2');
    location.hash = '#reviews';
    await new Promise((r) => setTimeout(r, 20));
    const paths = events.filter((e) => e.type === 'page').map((e) => e.page.url.replace(location.origin, ''));
    expect(paths).toEqual(['/products/bag-1', '/products/bag-2', '/products/bag-2']); // a new fragment is a new page view; the fragment is not recorded
    ms.destroy();
    history.pushState({}, '', '/after-destroy');
    expect(events.filter((e) => e.type === 'page')).toHaveLength(3);
  });

  it('keeps an anonymous id across visits and starts a new visit after 30 idle minutes', async () => {
    let t = Date.UTC(2026, 10, 23, 9);
    const now = () => t;
    const first = createMicroseg({ now, autoPage: false });
    await first.ready;
    first.track('a');
    const aid = first.profile().anonymousId;
    first.destroy();

    t += 29 * 60_000;
    const second = createMicroseg({ now, autoPage: false });
    await second.ready;
    second.track('b');
    expect(second.profile()).toMatchObject({ anonymousId: aid, visits: 1 });
    t += 31 * 60_000;
    second.track('c');
    expect(second.profile()).toMatchObject({ anonymousId: aid, visits: 2, visitStart: t, firstSeen: Date.UTC(2026, 10, 23, 9) });
    second.destroy();
  });

  it('identify keeps the user id and merges traits', async () => {
    const ms = createMicroseg({ autoPage: false });
    const { events } = collect(ms);
    ms.identify('user-7', { plan: 'gold', ltv: 420 });
    ms.identify('user-7', { ltv: 500 });
    ms.track('after');
    expect(ms.profile()).toMatchObject({ userId: 'user-7', traits: { plan: 'gold', ltv: 500 } });
    expect(events.at(-1)!.uid).toBe('user-7');
    ms.destroy();
  });

  it("a handler's exception does not stop the SDK or other handlers", async () => {
    vi.useFakeTimers();
    const ms = createMicroseg({ autoPage: false, consent: 'denied' });
    const seen: string[] = [];
    ms.on('track', () => { throw new Error('site bug'); });
    ms.on('track', (e) => seen.push(e.type));
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(() => ms.track('x')).not.toThrow();
    vi.runAllTimers();
    expect(seen).toEqual(['x']);
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
    vi.useRealTimers();
    ms.destroy();
  });
});
