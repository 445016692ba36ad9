import { describe, expect, it } from 'vitest';
import { createMicroseg, type MicrosegConfig } from '../../../src';

const DAY = 86_400_000;

const config: MicrosegConfig = {
  schema: 1,
  version: 'v1',
  metrics: {
    orders: { event: 'purchase', agg: 'count' },
    handbag_views_7d: {
      event: 'view_item', agg: 'count', window: '7d',
      where: { items: { $elemMatch: { item_category: 'handbags' } } },
    },
  },
  segments: [
    {
      id: 'new-handbag-browsers',
      when: { 'profile.daysSinceFirstSeen': { $lt: 7 }, 'metrics.orders': 0, 'metrics.handbag_views_7d': { $gte: 1 } },
    },
    { id: 'complainers', when: { 'labels.complaint.ageDays': { $lt: 14 } } },
    { id: 'everyone', fallback: true },
  ],
};

const viewHandbag = { items: [{ item_id: 'b1', item_category: 'handbags' }] };

describe('segments inside the SDK', () => {
  it('enters and leaves segments on events, labels and time, with events for each change', async () => {
    let t = Date.UTC(2026, 10, 20, 10);
    const ms = createMicroseg({ config, now: () => t, autoPage: false });
    const changes: string[] = [];
    ms.on('segment:enter', ({ id }) => changes.push(`+${id}`));
    ms.on('segment:exit', ({ id }) => changes.push(`-${id}`));
    await ms.ready;
    expect(ms.segments()).toEqual(['everyone']);

    ms.track('view_item', viewHandbag);
    expect(ms.segments()).toEqual(['new-handbag-browsers']);
    ms.label('complaint', { channel: 'call-centre' });
    expect(ms.segments()).toEqual(['new-handbag-browsers', 'complainers']);
    ms.track('purchase', { value: 320 });
    expect(ms.segments()).toEqual(['complainers']);
    expect(changes).toEqual(['+everyone', '+new-handbag-browsers', '-everyone', '+complainers', '-new-handbag-browsers']);

    const explained = ms.explain('new-handbag-browsers')!;
    expect(explained.member).toBe(false);
    expect(explained.clauses.find((c) => c.path === 'metrics.orders')).toMatchObject({ operator: '$eq', expected: 0, actual: 1, pass: false });
    ms.destroy();
  });

  it('a later page starts from the stored aggregates: history is not rescanned', async () => {
    let t = Date.UTC(2026, 10, 20, 10);
    const first = createMicroseg({ config, now: () => t, autoPage: false });
    await first.ready;
    first.track('view_item', viewHandbag);
    await first.flush();
    first.destroy();

    t += 2 * DAY;
    const second = createMicroseg({ config, now: () => t, autoPage: false });
    await second.ready;
    expect(second.segments()).toEqual(['new-handbag-browsers']);
    t += 6 * DAY; // the 7-day window has rolled past the view
    await new Promise((r) => setTimeout(r, 5));
    second.track('page_ping');
    expect(second.segments()).toEqual(['everyone']);
    second.destroy();
  });

  it('an invalid inline config is refused whole with its path, and nothing throws', async () => {
    const errors: { code: string; path?: string }[] = [];
    const bad = { ...config, segments: [{ id: 'x', when: { 'metrics.orders': { $gtt: 1 } } }, { id: 'all', fallback: true }] };
    const ms = createMicroseg({ config: bad, autoPage: false, consent: 'denied' });
    ms.on('error', (e) => errors.push(e));
    await ms.ready;
    expect(errors[0]).toMatchObject({ code: 'config-invalid' });
    expect(errors[0]!.path).toContain('$gtt');
    expect(ms.segments()).toEqual([]);
    expect(ms.config()).toBeUndefined();
    ms.destroy();
  });
});
