// The shop configuration (examples/shop.config.json) restated for peers, so every SDK decides
// the same four slots from the same targeting rules: a GrowthBook features payload and an
// Optimizely datafile, plus the returning visitor's attributes those SDKs are given.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './server';

type Cond = Record<string, any>;
interface ShopConfig {
  params?: Record<string, number>;
  segments: Array<{ id: string; when?: Cond; fallback?: boolean }>;
  campaigns: Array<{ id: string; slot: string; segments: string[]; priority?: number; holdout?: number; start?: string; end?: string; content?: unknown }>;
}

export const SHOP_CONFIG_TEXT = readFileSync(join(ROOT, 'examples/shop.config.json'), 'utf8');
export const SHOP_CONFIG = JSON.parse(SHOP_CONFIG_TEXT) as ShopConfig;
export const SLOTS = [...new Set(SHOP_CONFIG.campaigns.map((c) => c.slot))];

/**
 * The templates the shop's campaigns name (and `offer`, of the generated configs), as the shop's
 * pages ship them: without them the SDK reports a missing template for every slot it fills.
 */
export function shopTemplates(): string {
  const names = new Set(SHOP_CONFIG.campaigns.map((c) => (c.content as { template?: string } | undefined)?.template).filter(Boolean));
  names.add('offer');
  return [...names]
    .map((name) => `<template data-microseg-template="${name}"><div><h2 data-microseg-text="title">…</h2><p data-microseg-text="text">…</p></div></template>`)
    .join('');
}

/** What a returning visitor's page knows about them, as attributes (peers have no on-device history). */
export const VISITOR_ATTRIBUTES = {
  id: 'visitor-42',
  profile: { daysSinceFirstSeen: 40, daysSinceLastVisit: 2, visits: 9, device: 'mobile', hour: 20, weekday: 5, channel: 'email' },
  metrics: { orders: 2, spend: 640, orders_60d: 1, handbag_views_7d: 3, shoe_views_30d: 6, ski_views_30d: 0, cart_adds_7d: 1, checkouts_7d: 0, orders_7d: 0 },
  scores: { churn: 0.4, ski_lookalike: 0.2, predicted_value: 420 },
  campaigns: { 'handbag-welcome': { clicks: 1 } },
  // No complaint in force. Not an absent label: GrowthBook compares a missing path as null, and
  // null < 14 holds, so "labels.complaint.ageDays < 14" would match every visitor there.
  labels: { complaint: { ageDays: 400 } },
};

/** Segment references and `$params.*` replaced by what they stand for: plain attribute conditions. */
function resolve(cond: Cond, config = SHOP_CONFIG): Cond {
  const byId = new Map(config.segments.map((s) => [s.id, s.when ?? {}]));
  const segment = (id: string): Cond => resolve(byId.get(id) ?? {}, config);
  const out: Cond = {};
  const and: Cond[] = [];
  for (const [key, value] of Object.entries(cond)) {
    if (key === '$or' || key === '$and' || key === '$nor') out[key] = (value as Cond[]).map((c) => resolve(c, config));
    else if (key === 'segments') {
      if (typeof value === 'string') and.push(segment(value));
      else if (value?.$all) and.push(...(value.$all as string[]).map(segment));
      else if (value?.$in) and.push({ $or: (value.$in as string[]).map(segment) });
    } else if (value && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([op, x]) => [op, typeof x === 'string' && x.startsWith('$params.') ? config.params?.[x.slice(8)] : x]),
      );
    } else out[key] = value;
  }
  return and.length ? { $and: [out, ...and] } : out;
}

/** The campaigns of a slot live today, highest priority first, each with the condition of its segments. */
function slotRules(slot: string) {
  const when = new Map(SHOP_CONFIG.segments.map((s) => [s.id, s]));
  const today = new Date().toISOString().slice(0, 10);
  return SHOP_CONFIG.campaigns
    .filter((c) => c.slot === slot && (!c.start || c.start <= today) && (!c.end || today <= c.end))
    .sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0))
    .map((c) => {
      const conds = c.segments.filter((id) => !when.get(id)?.fallback).map((id) => resolve(when.get(id)?.when ?? {}));
      return { campaign: c, condition: conds.length === 0 ? {} : conds.length === 1 ? conds[0]! : { $or: conds } };
    });
}

/** GrowthBook features payload: one feature per slot, one force rule per campaign (holdout as coverage). */
export function growthbookPayload() {
  const features: Record<string, unknown> = {};
  for (const slot of SLOTS) {
    features[slot] = {
      defaultValue: null,
      rules: slotRules(slot).map(({ campaign, condition }) => ({
        id: campaign.id,
        condition,
        force: campaign.content ?? campaign.id,
        ...(campaign.holdout ? { coverage: 1 - campaign.holdout, hashAttribute: 'id' } : {}),
      })),
    };
  }
  return { features };
}

/** Attributes flattened to dotted names (Optimizely's attributes are flat). */
export function flatAttributes(value: Record<string, unknown> = VISITOR_ATTRIBUTES, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatAttributes(v as Record<string, unknown>, `${prefix}${k}.`));
    else out[`${prefix}${k}`] = v;
  }
  return out;
}

const MATCH: Record<string, string> = { $eq: 'exact', $gt: 'gt', $gte: 'ge', $lt: 'lt', $lte: 'le' };

/** A Mongo-style condition as Optimizely typed-audience conditions. */
function optimizelyConditions(cond: Cond, names: Set<string>): unknown[] {
  const parts: unknown[] = [];
  const leaf = (name: string, op: string, value: unknown): unknown => {
    names.add(name);
    if (op === '$in') return ['or', ...(value as unknown[]).map((v) => leaf(name, '$eq', v))];
    if (op === '$ne') return ['not', leaf(name, '$eq', value)];
    if (op === '$exists') return value ? { type: 'custom_attribute', name, match: 'exists' } : ['not', { type: 'custom_attribute', name, match: 'exists' }];
    return { type: 'custom_attribute', name, match: MATCH[op] ?? 'exact', value };
  };
  for (const [key, value] of Object.entries(cond)) {
    if (key === '$or') parts.push(['or', ...(value as Cond[]).map((c) => optimizelyConditions(c, names))]);
    else if (key === '$and') parts.push(['and', ...(value as Cond[]).map((c) => optimizelyConditions(c, names))]);
    else if (key === '$nor') parts.push(['not', ['or', ...(value as Cond[]).map((c) => optimizelyConditions(c, names))]]);
    else if (value && typeof value === 'object' && !Array.isArray(value)) for (const [op, x] of Object.entries(value)) parts.push(leaf(key, op, x));
    else parts.push(leaf(key, '$eq', value));
  }
  return ['and', ...parts];
}

/** An Optimizely datafile (v4): one flag per slot, one targeted delivery rule per campaign. */
export function optimizelyDatafile() {
  const names = new Set<string>();
  const audiences: Array<{ id: string; name: string; conditions: unknown[] }> = [];
  let id = 1000;
  const next = () => String(id++);
  const featureFlags: unknown[] = [];
  const rollouts: unknown[] = [];
  for (const slot of SLOTS) {
    const rolloutId = next();
    const rule = (key: string, audienceIds: string[], traffic: number) => {
      const ruleId = next();
      const variationId = next();
      return {
        id: ruleId, key, status: 'Running', layerId: rolloutId, audienceIds,
        audienceConditions: audienceIds.length ? ['or', ...audienceIds] : [],
        variations: [{ id: variationId, key: `${key}-on`, featureEnabled: true, variables: [] }],
        trafficAllocation: [{ entityId: variationId, endOfRange: traffic }], forcedVariations: {},
      };
    };
    const experiments = slotRules(slot).map(({ campaign, condition }) => {
      const audience = { id: next(), name: campaign.id, conditions: ['or', optimizelyConditions(condition, names)] };
      audiences.push(audience);
      return rule(campaign.id, [audience.id], Math.round(10000 * (1 - (campaign.holdout ?? 0))));
    });
    experiments.push(rule(`${slot}-everyone-else`, [], 10000));
    rollouts.push({ id: rolloutId, experiments });
    featureFlags.push({ id: next(), key: slot, rolloutId, experimentIds: [], variables: [] });
  }
  return {
    version: '4', projectId: '1', accountId: '1', revision: '1', anonymizeIP: true, botFiltering: false, sendFlagDecisions: true,
    environmentKey: 'production', sdkKey: 'bench',
    attributes: [...names].map((key) => ({ id: next(), key })),
    audiences: audiences.map((a) => ({ id: a.id, name: a.name, conditions: '["or", {"match": "exact", "name": "$opt_dummy_attribute", "type": "custom_attribute", "value": "$opt_dummy_value"}]' })),
    typedAudiences: audiences,
    events: [], groups: [], experiments: [], featureFlags, rollouts, integrations: [],
  };
}
