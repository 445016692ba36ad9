// @vitest-environment node
// The published declarations, as a TypeScript project that installed microseg sees them, under
// every module resolution a project may use. Deliberate mistakes must be type errors: if the
// types failed to resolve, everything would be `any` and the `@ts-expect-error` lines would fail.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumer, typecheck, ROOT, type Consumer } from './consumer';

const GOOD = `
import { createMicroseg, defineConfig, type Microseg, type MicrosegEvents, type Decision, type Explanation } from 'microseg';
import { evaluate, handoverScript } from 'microseg/server';
import { MicrosegProvider, Slot, useDecision, useSegments, useLabels } from 'microseg/react';

const config = defineConfig({
  schema: 1,
  version: '1',
  segments: [{ id: 'everyone', fallback: true }],
  campaigns: [{ id: 'hello', slot: 'hero', segments: ['everyone'], content: { text: 'Hello' } }],
});
const ms: Microseg = createMicroseg({ config, debug: true });
ms.on('segment:enter', (e) => console.log(e.id.toUpperCase()));
ms.on('decision', (d: Decision) => console.log(d.slot, d.reason.considered.length));
ms.on('error', (e) => console.log(e.code));
const why: Explanation | undefined = ms.explain('everyone');
const payload: MicrosegEvents['config'] = { version: '1', source: 'network' };
const server = evaluate(config, { url: 'https://shop.example/?utm_medium=email' });
const script: string = handoverScript(server);
export { why, payload, script, MicrosegProvider, Slot, useDecision, useSegments, useLabels };
`;

const MISTAKES = `
import { createMicroseg, defineConfig } from 'microseg';

// @ts-expect-error a misspelt option
createMicroseg({ configUrll: '/config.json' });
// @ts-expect-error a typo in an inline config
createMicroseg({ config: { schema: 1, version: '1', segmnets: [] } });
// @ts-expect-error a typo in a config written with defineConfig
defineConfig({ schema: 1, version: '1', segments: [{ id: 'a', fallbak: true }] });
const ms = createMicroseg();
// @ts-expect-error a misspelt event name
ms.on('segment:entr', () => {});
// @ts-expect-error a payload field that does not exist
ms.on('segment:enter', (e) => e.segment);
// @ts-expect-error decide() takes a slot name
ms.decide(42);
`;

describe('the published types', () => {
  let consumer: Consumer;
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist/microseg.d.ts'))) throw new Error('run npm run build first');
    consumer = createConsumer();
    mkdirSync(join(consumer.dir, 'src'));
    consumer.write('src/good.ts', GOOD);
    consumer.write('src/mistakes.ts', MISTAKES);
  });
  afterAll(() => consumer?.remove());

  for (const resolution of ['bundler', 'node16', 'nodenext'] as const) {
    it(`type-check under moduleResolution ${resolution}, mistakes caught`, () => {
      expect(typecheck(consumer, resolution)).toBe('');
    }, 180_000); // a whole tsc run, on a shared machine
  }
});
