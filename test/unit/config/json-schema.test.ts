import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromJSONSchema } from 'zod';
import { configJsonSchema } from '../../../src/config/json-schema';
import { examplesDir, minimal, shop } from './helpers';

// The exported JSON Schema is read back by an independent path (zod's JSON Schema importer),
// the way a backend's validator would read it.
const validator = fromJSONSchema(configJsonSchema() as never);
const valid = (doc: unknown) => validator.safeParse(doc).success;

describe('the exported JSON Schema', () => {
  it('is draft 2020-12 with the contract at its root', () => {
    const schema = configJsonSchema();
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema).toMatchObject({ type: 'object', additionalProperties: false, required: ['schema', 'version', 'segments'] });
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema); // plain JSON
  });

  it('accepts every example config', () => {
    const files = readdirSync(examplesDir).filter((f) => f.endsWith('.json'));
    expect(files).toContain('shop.config.json');
    for (const f of files) expect(valid(JSON.parse(readFileSync(join(examplesDir, f), 'utf8'))), f).toBe(true);
    expect(valid(minimal())).toBe(true);
  });

  it('describes conditions with their operators', () => {
    const c = shop();
    c.segments[1].when = { $and: [{ 'profile.appVersion': { $vgte: '2.1.0' } }, { 'traits.tags': { $all: ['a'], $size: 1 } }], $not: { 'profile.device': 'tv' } };
    expect(valid(c)).toBe(true);
    expect(configJsonSchema().$defs).toHaveProperty('condition');
  });

  it('rejects what is wrong in shape', () => {
    const cases: ((c: any) => void)[] = [
      (c) => (c.campaigns[0].priorty = 1),
      (c) => (c.campaigns[1].holdout = 1),
      (c) => (c.metrics.orders_60d.window = '60 days'),
      (c) => (c.campaigns[1].start = '1/11/2026'),
      (c) => (c.scores.churn.model = 'logit'),
      (c) => (c.schema = 2),
      (c) => delete c.version,
      (c) => (c.segments[0].id = 'has space'),
      (c) => (c.journeys[0].exposure = 5),
      (c) => (c.campaigns[2].caps.perDay = 1.5),
      // Conditions: operators and their operands, at any depth.
      (c) => (c.segments[2].when['scores.churn'] = { $gtt: 0.7 }),
      (c) => (c.segments[5].when.$or[0]['metrics.cart_adds_7d'] = { $size: -1 }),
      (c) => (c.segments[5].when.$or = []),
      (c) => (c.segments[1].when.$where = 'x'),
      (c) => (c.metrics.ski_views_30d.where['items.item_category'] = { $in: 'ski' }),
      (c) => (c.suppressions[0].when['labels.complaint.ageDays'] = { $not: { $lt: 14, $foo: 1 } }),
      (c) => (c.journeys[0].goal.where = { 'items.item_category': { $options: 'g', $regex: 'x' } }),
    ];
    for (const mutate of cases) {
      const c = shop();
      mutate(c);
      expect(valid(c), mutate.toString()).toBe(false);
    }
  });
});
