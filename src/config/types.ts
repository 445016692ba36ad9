// The configuration contract, as TypeScript types. The zod schema in schema.ts must
// accept exactly these shapes (a compile-time check there keeps them in step).

import type { Condition } from '../condition/values';

export type { Condition };

/** "30m", "12h", "7d", "2w" */
export type Duration = string;
/** "2026-11-23" (the visitor's local date) */
export type LocalDate = string;

export type MetricAgg =
  | 'count' | 'sum' | 'min' | 'max' | 'avg'
  | 'first' | 'last' | 'firstAt' | 'lastAt' | 'distinct';

export interface MetricDef {
  /** Event type this metric listens to ("purchase"), or an array of them. */
  event: string | string[];
  agg: MetricAgg;
  /** Dotted path in the event's props for value aggregates ("value", "items.price"). */
  field?: string;
  /** Sliding window ("7d"); absent = all time. */
  window?: Duration;
  /** Filter over the event's props. */
  where?: Condition;
  /** Upper bound of distinct values kept (agg "distinct"); default 1000. */
  limit?: number;
}

export interface LinearModel {
  model: 'logistic' | 'linear';
  bias: number;
  /** context path → coefficient, e.g. "metrics.orders_60d": -0.8 */
  weights: Record<string, number>;
  /** context path → value used when the context lacks it (default 0) */
  defaults?: Record<string, number>;
}

/** Cosine similarity of the visitor's feature vector to a published centroid, in [-1, 1]. */
export interface LookalikeModel {
  model: 'lookalike';
  /** context paths, in the centroid's order */
  features: string[];
  centroid: number[];
  defaults?: Record<string, number>;
}

export type ScoreDef = LinearModel | LookalikeModel;

export interface SegmentDef {
  id: string;
  name?: string;
  description?: string;
  when?: Condition;
  /** The catch-all segment: a visitor in no other segment is in this one. */
  fallback?: boolean;
}

export interface CampaignContent {
  /** id of a <template data-microseg-template> in the page */
  template?: string;
  /** values filled into the template / used as text */
  data?: Record<string, unknown>;
  text?: string;
  html?: string;
  image?: { src: string; alt?: string };
  attributes?: Record<string, string>;
}

export interface CampaignDef {
  id: string;
  name?: string;
  slot: string;
  segments: string[];
  priority?: number;
  start?: LocalDate;
  end?: LocalDate;
  /** After exposure, the visitor is kept out of other campaigns for this long. */
  duration?: Duration;
  /** What `duration` excludes: other campaigns in the same slot, or everywhere. */
  exclusive?: 'slot' | 'all';
  holdout?: number;
  caps?: { perVisit?: number; perDay?: number; total?: number };
  /** Promotional campaigns are blocked by suppressions with `campaigns: "*"`. */
  promotional?: boolean;
  content: CampaignContent;
}

export interface SuppressionDef {
  id: string;
  when: Condition;
  /** Offer names (data-microseg-offer) to hide, or "*" for every offer. */
  offers?: string[] | '*';
  /** Campaign ids to block, or "*" for every promotional campaign. */
  campaigns?: string[] | '*';
}

export interface JourneyDef {
  id: string;
  /** A campaign id (its exposure), or an event condition. */
  exposure: string | { event: string; where?: Condition };
  goal: { event: string; where?: Condition };
  within: Duration;
}

export interface LabelSettings {
  /** Default time-to-live of labels set by the site. */
  defaultTtl?: Duration;
}

export interface MicrosegConfig {
  /** Editors' hint: the URL/path of microseg.config.schema.json. Ignored by the SDK. */
  $schema?: string;
  schema: 1;
  version: string;
  /**
   * The document's place in the order of publications: a whole number that grows with every
   * publication (`microseg sign --issued` stamps milliseconds since the epoch). A device never
   * lets a document with a smaller `issued` replace the one in force; a document without it
   * never replaces one with it. Sign it: inside the signed payload, it cannot be changed.
   */
  issued?: number;
  metrics?: Record<string, MetricDef>;
  scores?: Record<string, ScoreDef>;
  /** Population parameters (named numbers the backend computes), read as `params.<name>` or the operand `"$params.<name>"`. */
  params?: Record<string, number>;
  segments: SegmentDef[];
  campaigns?: CampaignDef[];
  suppressions?: SuppressionDef[];
  journeys?: JourneyDef[];
  labels?: LabelSettings;
}

/** The newest `schema` number this SDK understands. */
export const SCHEMA_VERSION = 1;

/**
 * Identifies the validation rules of this SDK. A cached config checked under the same rules is
 * used without loading the validator again; bump it whenever schema.ts or rules.ts accept less.
 */
export const RULES_VERSION = 2;

export function newerSchemaMessage(schema: unknown): string {
  return `config schema ${schema} is newer than this SDK understands (${SCHEMA_VERSION}); upgrade microseg`;
}
