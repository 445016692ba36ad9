// @vitest-environment node
// The package as a consumer installs it: every subpath resolves, require() works, importing in
// Node does nothing on its own, and bundlers keep the script-tag build.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumer, ROOT, type Consumer } from './consumer';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
let consumer: Consumer;

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/microseg.server.mjs'))) throw new Error('run npm run build first');
  consumer = createConsumer();
});
afterAll(() => consumer?.remove());

describe('the package', () => {
  it('has an MIT LICENSE for "the microseg authors", and ships it', () => {
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    expect(pkg.license).toBe('MIT');
    expect(license).toMatch(/^MIT License/);
    expect(license).toContain('Copyright (c) the microseg authors');
    expect(pkg.files).toContain('LICENSE');
  });

  it('exports every file a site hosts, and each exists after the build', () => {
    for (const [sub, file] of [['./paint', 'microseg.paint.js'], ['./schema', 'microseg.schema.js'], ['./preview', 'microseg.preview.js'], ['./extras', 'microseg.extras.js'], ['./collect', 'microseg.collect.js'], ['./labels', 'microseg.labels.js'], ['./sync', 'microseg.sync.js'], ['./iife', 'microseg.iife.js'], ['./snippet', 'snippet.min.js']]) {
      expect(pkg.exports[sub!], sub).toBe(`./dist/${file}`);
      expect(existsSync(join(ROOT, 'dist', file!)), file).toBe(true);
    }
    for (const sub of ['.', './react', './server']) {
      const entry = pkg.exports[sub];
      expect(Object.keys(entry)[0], `${sub}: types come first`).toBe('types');
      for (const target of Object.values<string>(entry)) expect(existsSync(join(ROOT, target)), target).toBe(true);
      expect(entry.default, `${sub} has a default condition`).toBeDefined();
    }
  });

  it('lists the script-tag files as side effects, so `import "microseg/iife"` is not dropped', () => {
    for (const file of ['microseg.iife.js', 'microseg.paint.js', 'microseg.schema.js', 'microseg.preview.js', 'microseg.extras.js', 'microseg.collect.js', 'microseg.labels.js', 'microseg.sync.js']) {
      expect(pkg.sideEffects).toContain(`./dist/${file}`);
    }
    expect(pkg.sideEffects).not.toContain('./dist/microseg.mjs');
  });

  it('a bundler keeps `import "microseg/iife"` and drops an unused `import "microseg"`', async () => {
    const { rollup } = await import('rollup');
    const { nodeResolve } = await import('@rollup/plugin-node-resolve');
    const bundle = async (code: string) => {
      consumer.write('entry.mjs', code);
      const b = await rollup({ input: join(consumer.dir, 'entry.mjs'), plugins: [nodeResolve({ rootDir: consumer.dir })], onwarn: () => {} });
      const { output } = await b.generate({ format: 'es' });
      await b.close();
      return output[0].code;
    };
    expect(await bundle(`import 'microseg/iife';`)).toContain('microseg');
    expect((await bundle(`import 'microseg/iife';`)).length).toBeGreaterThan(50_000);
    expect((await bundle(`import { createMicroseg } from 'microseg';`)).trim()).toBe('');
  }, 60_000);

  it('React is an optional peer dependency, not in the core bundle', () => {
    expect(pkg.peerDependencies.react).toBeDefined();
    expect(pkg.peerDependenciesMeta.react.optional).toBe(true);
    expect(pkg.dependencies.react).toBeUndefined();
    const iife = readFileSync(join(ROOT, 'dist/microseg.iife.js'), 'utf8');
    expect(iife).not.toMatch(/react\.element|__SECRET_INTERNALS|useSyncExternalStore/);
    expect(readFileSync(join(ROOT, 'dist/microseg.react.mjs'), 'utf8')).toMatch(/from ['"]react['"]/);
  });

  it('importing microseg, microseg/server and microseg/react in Node has no side effects', () => {
    consumer.write('imports.mjs', `
      const seen = [];
      globalThis.fetch = (...a) => { seen.push('fetch ' + a[0]); return new Promise(() => {}); };
      for (const m of ['log', 'info', 'warn', 'error', 'debug']) console[m] = (...a) => seen.push(m + ' ' + a.join(' '));
      const core = await import('microseg');
      const server = await import('microseg/server');
      const react = await import('microseg/react');
      process.stdout.write(JSON.stringify({ seen, core: Object.keys(core).sort(), server: typeof server.evaluate, react: typeof react.Slot }));
    `);
    const r = consumer.node('imports.mjs');
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ seen: [], core: ['createMicroseg', 'defineConfig'], server: 'function', react: 'function' });
  });

  it('require("microseg") works in CommonJS (Node ≥ 20.19)', () => {
    consumer.write('require.cjs', `
      const { createMicroseg, defineConfig } = require('microseg');
      const { evaluate } = require('microseg/server');
      const config = defineConfig({ schema: 1, version: '1', segments: [{ id: 'everyone', fallback: true }] });
      process.stdout.write(JSON.stringify({ create: typeof createMicroseg, segments: evaluate(config, {}).segments }));
    `);
    const r = consumer.node('require.cjs');
    expect(r.stderr.replace(/.*ExperimentalWarning.*\n?|.*--trace-warnings.*\n?/g, '')).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ create: 'function', segments: ['everyone'] });
  });
});
