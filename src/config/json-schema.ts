// The contract as JSON Schema (draft 2020-12), for backends in any language. Not in the
// browser bundle: only the CLI and scripts/schema.ts import it.
import { toJSONSchema } from 'zod/mini';
import { configSchema } from './schema';
import { SCHEMA_VERSION } from './types';

export function configJsonSchema(): Record<string, unknown> {
  const generated = toJSONSchema(configSchema(), { target: 'draft-2020-12' }) as Record<string, unknown>;
  return {
    $schema: generated.$schema,
    $id: `https://microseg.dev/schema/config-${SCHEMA_VERSION}.json`,
    title: `microseg configuration, schema ${SCHEMA_VERSION}`,
    description:
      'Structure only. Cross-references (every metric, score, segment and campaign named exists), ' +
      'condition operators, real dates, exactly one fallback segment and segment cycles are checked by ' +
      '`microseg validate` (and by the SDK, which refuses a config that fails them).',
    ...generated,
  };
}
