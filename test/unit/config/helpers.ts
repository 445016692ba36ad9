import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const examplesDir = join(import.meta.dirname, '../../../examples/');

/** A fresh copy of the demo shop config, to mutate. */
export function shop(): any {
  return JSON.parse(readFileSync(examplesDir + 'shop.config.json', 'utf8'));
}

/** The smallest valid config. */
export function minimal(): any {
  return { schema: 1, version: 'v1', segments: [{ id: 'everyone', fallback: true }] };
}

/** The illustrative config of DESIGN.md, verbatim. */
export function designExample(): any {
  return {
    schema: 1,
    version: '2026-11-23.42',
    metrics: {
      orders: { event: 'purchase', agg: 'count' },
      spend: { event: 'purchase', agg: 'sum', field: 'value' },
      handbag_views_7d: {
        event: 'view_item', agg: 'count', window: '7d',
        where: { items: { $elemMatch: { item_category: 'handbags' } } },
      },
      orders_60d: { event: 'purchase', agg: 'count', window: '60d' },
    },
    scores: {
      churn: { model: 'logistic', bias: -1.5, weights: { 'profile.daysSinceLastVisit': 0.09, 'metrics.orders_60d': -0.8 } },
    },
    segments: [
      {
        id: 'new-handbag-browsers', name: 'Registered < 1 week, no purchase, browsed handbags',
        when: { 'profile.daysSinceFirstSeen': { $lt: 7 }, 'metrics.orders': 0, 'metrics.handbag_views_7d': { $gte: 1 } },
      },
      { id: 'churn-risk', when: { 'scores.churn': { $gt: 0.7 } } },
      { id: 'everyone', fallback: true },
    ],
    campaigns: [
      {
        id: 'handbag-welcome', slot: 'hero', segments: ['new-handbag-browsers'], priority: 10,
        start: '2026-11-01', end: '2026-12-31', duration: '3d', holdout: 0.1,
        content: { template: 'welcome-handbags', data: { code: 'BAG10' } },
      },
    ],
    suppressions: [{ id: 'recent-complaint', when: { 'labels.complaint.ageDays': { $lt: 14 } }, offers: '*' }],
    journeys: [{ id: 'handbag-welcome-step', exposure: 'handbag-welcome', goal: { event: 'purchase' }, within: '3d' }],
  };
}
