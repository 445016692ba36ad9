// npm run schema: writes dist/microseg.config.schema.json from the zod schema, so backends in
// any language can validate a config before they publish it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { configJsonSchema } from '../src/config/json-schema';

const dist = new URL('../dist/', import.meta.url);
mkdirSync(dist, { recursive: true });
writeFileSync(new URL('microseg.config.schema.json', dist), JSON.stringify(configJsonSchema(), null, 2) + '\n');
console.log('wrote dist/microseg.config.schema.json');
