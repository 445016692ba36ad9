// Generated segment configurations at scale, shaped like a shop's: metrics over the event mix
// (counts, sums, windows, item filters), segments over metrics, profile, traits and labels, a
// campaign per slot and the fallback segment. Built from the published config format only.
import { SHOP_CONFIG } from './peers';

/** A small seeded PRNG: every run measures the same configuration. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let t = Math.imul(s ^ (s >>> 16), 0x21f0aaad);
    t = Math.imul(t ^ (t >>> 15), 0x735a2d97);
    return ((t ^ (t >>> 15)) >>> 0) / 4294967296;
  };
}

const EVENTS = ['page', 'view_item', 'view_item_list', 'add_to_cart', 'begin_checkout', 'purchase', 'search', 'add_to_wishlist', 'select_promotion'];
const CATEGORIES = ['handbags', 'shoes', 'ski', 'jackets', 'watches', 'beauty', 'kids', 'home'];
const WINDOWS = [undefined, '24h', '7d', '30d', '90d'];

/** A config with `segmentCount` segments over `segmentCount / 5` metrics. */
export function scaledConfig(segmentCount: number, seed = 11): Record<string, unknown> {
  const r = seeded(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const metrics: Record<string, Record<string, unknown>> = {};
  const metricCount = Math.max(10, Math.round(segmentCount / 5));
  for (let i = 0; i < metricCount; i++) {
    const event = pick(EVENTS);
    const sum = event === 'purchase' && r() < 0.5;
    const def: Record<string, unknown> = { event, agg: sum ? 'sum' : 'count', ...(sum ? { field: 'value' } : {}) };
    const window = pick(WINDOWS);
    if (window) def.window = window;
    if (event !== 'page' && event !== 'search' && r() < 0.6) def.where = { items: { $elemMatch: { item_category: pick(CATEGORIES) } } };
    metrics[`${event}_${i}`] = def;
  }
  const names = Object.keys(metrics);
  const clause = (): Record<string, unknown> => {
    const x = r();
    if (x < 0.55) return { [`metrics.${pick(names)}`]: { [pick(['$gte', '$gt', '$lt'])]: 1 + Math.floor(r() * 6) } };
    if (x < 0.65) return { 'profile.daysSinceFirstSeen': { [pick(['$lt', '$gte'])]: 1 + Math.floor(r() * 90) } };
    if (x < 0.72) return { 'profile.device': pick(['mobile', 'desktop', 'tablet']) };
    if (x < 0.79) return { 'profile.channel': { $in: [pick(['email', 'search', 'social']), pick(['paid', 'direct'])] } };
    if (x < 0.86) return { 'profile.hour': { $gte: Math.floor(r() * 12), $lt: 12 + Math.floor(r() * 12) } };
    if (x < 0.93) return { [`labels.${pick(['complaint', 'newsletter', 'store-visit'])}.ageDays`]: { $lt: 7 + Math.floor(r() * 60) } };
    return { 'traits.tier': pick(['gold', 'silver', 'bronze']) };
  };
  const segments: Array<Record<string, unknown>> = [];
  for (let i = 0; i < segmentCount - 1; i++) {
    const clauses = Array.from({ length: 1 + Math.floor(r() * 3) }, clause);
    segments.push({ id: `seg-${i}`, when: r() < 0.25 && clauses.length > 1 ? { $or: clauses } : Object.assign({}, ...clauses) });
  }
  segments.push({ id: 'everyone', fallback: true });
  const slots = [...new Set(SHOP_CONFIG.campaigns.map((c) => c.slot))];
  const campaigns = Array.from({ length: Math.min(200, segmentCount) }, (_, i) => ({
    id: `campaign-${i}`, slot: slots[i % slots.length], segments: [`seg-${Math.floor(r() * (segmentCount - 1))}`],
    priority: Math.floor(r() * 100), content: { template: 'offer', data: { code: `C${i}` } },
  }));
  return { schema: 1, version: `bench-${segmentCount}`, issued: 1795392000000, metrics, segments, campaigns };
}
