// The contract as JSON Schema (draft 2020-12), for backends in any language and for editors.
// Not in the browser bundle: only the CLI and scripts/schema.ts import it.
import { toJSONSchema } from 'zod/mini';
import { configSchema } from './schema';
import { SCHEMA_VERSION } from './types';
import { FIELD_DESCRIPTIONS } from './descriptions';
import { OPERATORS, TYPE_CODE_NUMBERS, TYPE_NAMES, type OperandKind } from '../condition';

/** Where the published schema lives: editors and backends fetch it from here. */
export const SCHEMA_ID = 'https://unpkg.com/microseg/dist/microseg.config.schema.json';

type Json = Record<string, any>;

const ref = (name: string) => ({ $ref: `#/$defs/${name}` });
const conditions = { type: 'array', minItems: 1, items: ref('condition') };
const order = { type: ['number', 'string', 'boolean', 'null'] };
const list = { type: 'array' };
const version = { type: 'string', pattern: '^v?\\d+(\\.\\d+)*(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$' };
const typeName = { enum: [...TYPE_NAMES, ...TYPE_CODE_NUMBERS] };

/** Each operand kind of the condition language's operator table, as JSON Schema. */
const OPERAND_SCHEMA: Record<OperandKind, Json> = {
  any: {},
  order,
  list,
  elem: { type: 'object' },
  size: { type: 'integer', minimum: 0 },
  exists: { enum: [true, false, 0, 1] },
  type: { anyOf: [typeName, { type: 'array', minItems: 1, items: typeName }] },
  regex: { type: 'string' },
  options: { type: 'string', pattern: '^[imsu]*$' },
  not: ref('operators'),
  semver: version,
  conditions,
};

const specs = Object.entries(OPERATORS);
/** The operators that apply to a field (and the flags beside them), in the table's order. */
const fieldOperators = Object.fromEntries(
  specs.filter(([, s]) => s.field || s.modifies).map(([name, s]) => [name, OPERAND_SCHEMA[s.operand]]),
);
/** The query-level operators: the lists of conditions first, then $not over a condition. */
const queryOperators = Object.fromEntries([
  ...specs.filter(([, s]) => s.query && s.operand === 'conditions').map(([name]) => [name, conditions]),
  ...specs.filter(([, s]) => s.query && s.operand !== 'conditions').map(([name]) => [name, ref('condition')]),
]);

/**
 * zod sees a condition as "an object"; here it gets its operators, so editors complete them and
 * backends catch a misspelt one. References and cycles still need `microseg validate`.
 */
const defs = {
  condition: {
    description: 'A MongoDB-style query: dotted paths mapped to a value (equality) or to operators, plus $and/$or/$nor/$not.',
    type: 'object',
    properties: queryOperators,
    patternProperties: { '^[^$]': ref('fieldTest') },
    additionalProperties: false,
  },
  fieldTest: {
    anyOf: [
      ref('operators'),
      { type: ['string', 'number', 'boolean', 'null', 'array'] },
      { type: 'object', propertyNames: { pattern: '^(?:[^$]|$)' } }, // a literal object: no "$…" keys
    ],
  },
  operators: {
    type: 'object',
    minProperties: 1,
    properties: fieldOperators,
    additionalProperties: false,
  },
};

/** What zod/mini cannot say cheaply: conditions (`when`, `where`) and whole numbers (caps, limit). */
function refine(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === 'properties' && value && typeof value === 'object') {
      for (const field of ['when', 'where']) if (field in value) value[field] = ref('condition');
      for (const field of ['perVisit', 'perDay', 'total', 'limit']) if (value[field]?.type === 'number') value[field].type = 'integer';
    }
    refine(value);
  }
}

/** Gives every field its description from descriptions.ts, by its path ("campaigns[].caps.total"). */
function describe(node: unknown, path: string): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) return node.forEach((n) => describe(n, path));
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === 'properties') {
      for (const [field, sub] of Object.entries(value as Json)) {
        const at = path ? `${path}.${field}` : field;
        if (FIELD_DESCRIPTIONS[at]) sub.description = FIELD_DESCRIPTIONS[at];
        describe(sub, at);
      }
    } else if (key === 'additionalProperties') describe(value, `${path}.*`);
    else if (key === 'items') describe(value, `${path}[]`);
    else if (key === 'anyOf' || key === 'oneOf' || key === 'allOf') describe(value, path);
  }
}

export function configJsonSchema(): Json {
  const generated = toJSONSchema(configSchema(), { target: 'draft-2020-12' }) as Json;
  refine(generated);
  describe(generated, '');
  return {
    $schema: generated.$schema,
    $id: SCHEMA_ID,
    title: `microseg configuration, schema ${SCHEMA_VERSION}`,
    description:
      'Cross-references (every metric, score, segment and campaign named exists), real dates, exactly ' +
      'one fallback segment and segment cycles are not expressible here: `microseg validate` checks ' +
      'them, and the SDK refuses a config that fails them.',
    ...generated,
    $defs: defs,
  };
}
