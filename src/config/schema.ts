// The configuration contract as a zod/mini schema (it tree-shakes; the browser bundle stays
// small), plus parseConfig: structure from zod, cross-references and conditions from rules.ts.
import { inlineParams, paramIssues } from './params';
import * as z from 'zod/mini';
import { SCHEMA_VERSION, newerSchemaMessage, type MicrosegConfig } from './types';

export { newerSchemaMessage };
import { DATE_RE, DURATION_RE } from './time';
import { checkRules, jsonPath, type ConfigIssue } from './rules';

export type { ConfigIssue } from './rules';

/** Ids end up in dotted context paths ("campaigns.<id>.exposures") and HTML attributes. */
const ID_RE = /^[A-Za-z0-9_-]+$/;

function build() {
  const id = z.string().check(z.regex(ID_RE, 'must be letters, digits, "-" or "_"'));
  const duration = z.string().check(z.regex(DURATION_RE, 'must be a duration like "30m", "12h", "7d" or "2w"'));
  const date = z.string().check(z.regex(DATE_RE, 'must be a date like "2026-11-23"'));
  const text = z.string().check(z.minLength(1));
  const condition = z.record(z.string(), z.unknown());
  // Whole numbers are checked in rules.ts: z.int() costs 0.4 kB gzip in the browser bundle.
  const count = z.optional(z.number().check(z.gte(0)));
  const numbers = z.record(z.string(), z.number());
  const texts = z.array(text).check(z.minLength(1));
  const eventMatch = z.strictObject({ event: text, where: z.optional(condition) });

  const metric = z.strictObject({
    event: z.union([text, texts], 'must be an event name or a list of event names'),
    agg: z.enum(['count', 'sum', 'min', 'max', 'avg', 'first', 'last', 'firstAt', 'lastAt', 'distinct']),
    field: z.optional(text),
    window: z.optional(duration),
    where: z.optional(condition),
    limit: z.optional(z.number().check(z.gte(1))),
  });

  const score = z.discriminatedUnion('model', [
    z.strictObject({
      model: z.enum(['logistic', 'linear']),
      bias: z.number(),
      weights: numbers,
      defaults: z.optional(numbers),
    }),
    z.strictObject({
      model: z.literal('lookalike'),
      features: texts,
      centroid: z.array(z.number()),
      defaults: z.optional(numbers),
    }),
  ]);

  const segment = z.strictObject({
    id,
    name: z.optional(z.string()),
    description: z.optional(z.string()),
    when: z.optional(condition),
    fallback: z.optional(z.boolean()),
  });

  const campaign = z.strictObject({
    id,
    name: z.optional(z.string()),
    slot: text,
    segments: z.array(id).check(z.minLength(1)),
    priority: z.optional(z.number()),
    start: z.optional(date),
    end: z.optional(date),
    duration: z.optional(duration),
    exclusive: z.optional(z.enum(['slot', 'all'])),
    holdout: z.optional(z.number().check(z.gte(0), z.lt(1))),
    caps: z.optional(z.strictObject({ perVisit: count, perDay: count, total: count })),
    promotional: z.optional(z.boolean()),
    content: z.strictObject({
      template: z.optional(text),
      data: z.optional(z.record(z.string(), z.unknown())),
      text: z.optional(z.string()),
      html: z.optional(z.string()),
      image: z.optional(z.strictObject({ src: text, alt: z.optional(z.string()) })),
      attributes: z.optional(z.record(z.string(), z.string())),
    }),
  });

  const all = z.literal('*');
  const suppression = z.strictObject({
    id,
    when: condition,
    offers: z.optional(z.union([all, texts], 'must be "*" or a list of offer names')),
    campaigns: z.optional(z.union([all, z.array(id).check(z.minLength(1))], 'must be "*" or a list of campaign ids')),
  });

  const journey = z.strictObject({
    id,
    exposure: z.union([id, eventMatch], 'must be a campaign id or {"event": …, "where"?: …}'),
    goal: eventMatch,
    within: duration,
  });

  return z.strictObject({
    $schema: z.optional(z.string()),
    schema: z.literal(SCHEMA_VERSION),
    version: text,
    issued: z.optional(z.number().check(z.gte(0))),
    metrics: z.optional(z.record(id, metric)),
    scores: z.optional(z.record(id, score)),
    /** Population parameters the backend computes (params.ts): named numbers. */
    params: z.optional(z.record(id, z.number())),
    segments: z.array(segment).check(z.minLength(1)),
    campaigns: z.optional(z.array(campaign)),
    suppressions: z.optional(z.array(suppression)),
    journeys: z.optional(z.array(journey)),
    labels: z.optional(z.strictObject({ defaultTtl: z.optional(duration) })),
  });
}

let cached: ReturnType<typeof build> | undefined;
/**
 * The zod schema, built on first use (nothing runs at import time). zod/mini's objects never
 * JIT-compile, so no `new Function` runs and a strict CSP has nothing to report (csp.test.ts).
 */
export function configSchema(): ReturnType<typeof build> {
  return (cached ??= build());
}

// The hand-written types in types.ts and the schema must be identical, field by field, at
// every depth (Omit<T, never> normalizes zod's output wrapper so the identity test applies).
type Inferred = z.output<ReturnType<typeof build>>;
type Equals<X, Y> = (<T>() => T extends X ? 1 : 2) extends (<T>() => T extends Y ? 1 : 2) ? true : false;
type Assert<T extends true> = T;
export type _TypesAgree = Assert<Equals<Omit<Inferred, never>, Omit<MicrosegConfig, never>>>;

export type ParseResult =
  | { ok: true; config: MicrosegConfig }
  | { ok: false; errors: ConfigIssue[] };

/** Validates a parsed JSON document as a config. Never throws; reports every problem it finds. */
export function parseConfig(input: unknown): ParseResult {
  try {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return { ok: false, errors: [{ path: '', message: 'a config must be a JSON object' }] };
    }
    const schema = (input as { schema?: unknown }).schema;
    if (typeof schema === 'number' && schema > SCHEMA_VERSION) {
      return { ok: false, errors: [{ path: 'schema', message: newerSchemaMessage(schema) }] };
    }
    const result = configSchema().safeParse(input, { reportInput: true });
    const errors: ConfigIssue[] = [];
    if (!result.success) for (const issue of result.error.issues) addIssue(errors, issue, []);
    // The rules guard every access, so they also run on a config whose shape is wrong:
    // the author sees every problem at once.
    checkRules(input, errors);
    paramIssues(input, errors);
    return errors.length ? { ok: false, errors } : { ok: true, config: inlineParams(result.data as MicrosegConfig) };
  } catch (err) {
    return { ok: false, errors: [{ path: '', message: `the config could not be checked: ${String(err)}` }] };
  }
}


type Issue = z.core.$ZodIssue & { input?: unknown };

function addIssue(out: ConfigIssue[], issue: Issue, base: PropertyKey[]): void {
  const at = [...base, ...issue.path];
  const path = jsonPath(at);
  const push = (message: string, p = path): void => void out.push({ path: p, message });
  switch (issue.code) {
    case 'invalid_type':
      return push(issue.input === undefined ? 'is required' : `must be ${article(issue.expected === 'record' ? 'object' : issue.expected)}, not ${kind(issue.input)}`);
    case 'unrecognized_keys':
      for (const key of issue.keys) push(`unknown field "${key}"`, jsonPath([...at, key]));
      return;
    case 'invalid_value':
      return push(`must be ${oneOf(issue.values)}`);
    case 'too_small':
      return push(
        issue.origin === 'array' ? `must list at least ${issue.minimum} item${issue.minimum == 1 ? '' : 's'}`
        : issue.origin === 'string' ? 'must not be empty'
        : `must be ${issue.inclusive ? 'at least' : 'more than'} ${issue.minimum}`,
      );
    case 'too_big':
      return push(`must be ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}`);
    case 'invalid_key':
      return push(`invalid name "${String(issue.path[issue.path.length - 1])}": ${firstMessage(issue.issues as Issue[])}`);
    case 'invalid_union':
      if ('note' in issue && issue.note === 'No matching discriminator') {
        return push(`must be ${oneOf((issue as { options?: unknown[] }).options ?? [])}`);
      }
      return push(issue.message);
    case 'invalid_element':
      for (const sub of issue.issues as Issue[]) addIssue(out, sub, at);
      return;
    default:
      return push(issue.message);
  }
}

function firstMessage(issues: Issue[]): string {
  const out: ConfigIssue[] = [];
  if (issues[0]) addIssue(out, issues[0], []);
  return out[0]?.message ?? 'invalid';
}

/** `"a"`, `"a" or "b"`, `one of "a", "b", "c"` */
function oneOf(values: readonly unknown[]): string {
  const list = values.map((v) => JSON.stringify(v));
  return list.length > 2 ? `one of ${list.join(', ')}` : list.join(' or ');
}

function article(type: string): string {
  return (/^[aeiou]/.test(type) ? 'an ' : 'a ') + type;
}

function kind(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : article(typeof value);
}
