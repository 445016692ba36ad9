import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, SCHEMA_ID } from '../../../src/config/json-schema';
import { examplesDir } from './helpers';

/** Every field of the schema, by path, with its node. */
function fields(node: any, path = '', out: Array<[string, any]> = []): Array<[string, any]> {
  if (!node || typeof node !== 'object') return out;
  if (Array.isArray(node)) {
    node.forEach((n) => fields(n, path, out));
    return out;
  }
  for (const [key, value] of Object.entries<any>(node)) {
    if (key === 'properties') {
      for (const [name, sub] of Object.entries<any>(value)) {
        out.push([`${path}${path ? '.' : ''}${name}`, sub]);
        fields(sub, `${path}${path ? '.' : ''}${name}`, out);
      }
    } else if (key === 'additionalProperties') fields(value, `${path}.*`, out);
    else if (key === 'items') fields(value, `${path}[]`, out);
    else if (key === 'anyOf' || key === 'oneOf' || key === 'allOf') fields(value, path, out);
  }
  return out;
}

describe('the JSON Schema as editor help', () => {
  const schema = configJsonSchema();

  it('has an $id where it is published', () => {
    expect(schema.$id).toBe(SCHEMA_ID);
    expect(SCHEMA_ID).toMatch(/^https:\/\/.+\/microseg\.config\.schema\.json$/);
  });

  it('describes every field of the config', () => {
    const all = fields({ properties: schema.properties });
    expect(all.length).toBeGreaterThan(50);
    const missing = all.filter(([, node]) => typeof node.description !== 'string' || !node.description).map(([path]) => path);
    expect(missing).toEqual([]);
  });

  it('examples point $schema at a file a user can reach (the published URL or the installed package)', () => {
    const files = readdirSync(examplesDir, { recursive: true }).map(String).filter((f) => f.endsWith('.json'));
    for (const f of files) {
      // Broken examples need not parse: read the field as text.
      const hint = /"\$schema"\s*:\s*"([^"]*)"/.exec(readFileSync(join(examplesDir, f), 'utf8'))?.[1];
      if (hint === undefined) continue;
      expect(hint === SCHEMA_ID || /(^|\/)node_modules\/microseg\/dist\/microseg\.config\.schema\.json$/.test(hint), f).toBe(true);
    }
  });
});
