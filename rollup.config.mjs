import typescript from '@rollup/plugin-typescript';
import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import { dts } from 'rollup-plugin-dts';
import { dirname, relative, resolve as resolvePath } from 'node:path';

/**
 * The script-tag build loads the validator, the preview overlay, the optional parts and the config's
 * on-demand parts as their own files instead of module chunks: each module below is swapped, for
 * every importer, for the one that loads its file.
 */
const SWAPS = {
  'src/config/validator.ts': 'src/entry/validator-script.ts',
  'src/config/parts.ts': 'src/entry/sync-script.ts',
  'src/preview/load.ts': 'src/entry/preview-script.ts',
  'src/sdk/extras-load.ts': 'src/entry/extras-script.ts',
};
const HERE = new URL('.', import.meta.url).pathname;
const onDemandAsScript = () => ({
  name: 'on-demand-as-script',
  resolveId(source, importer) {
    if (!importer || !source.startsWith('.')) return null;
    const swap = SWAPS[relative(HERE, resolvePath(dirname(importer), source)) + '.ts'];
    return swap && !importer.endsWith(swap) ? resolvePath(HERE, swap) : null;
  },
});

/**
 * The optional parts' files (dist/microseg.extras.js, .collect.js, .labels.js) hold only their own
 * code. Each function src/entry/kit.ts lists is a binding of one module instead, installed from the
 * kit the core hands over when it takes a file (src/entry/kit-install.ts stands for that module);
 * what else a listed file exports (its constants) is still the file's own.
 */
const KIT = new URL('./src/entry/kit.ts', import.meta.url).pathname;
const KIT_INSTALL = new URL('./src/entry/kit-install.ts', import.meta.url).pathname;
const BINDINGS = '\0kit-bindings';
const VIA_KIT = '\0via-kit:';
const sharedFromKit = () => {
  /** Resolved file → the names the kit has from it. */
  let shared;
  const readKit = async (ctx) => {
    const { exportedBindings } = await ctx.load({ id: KIT });
    // Its own exports (".") would be none: the kit only passes on the modules' functions.
    const files = Object.entries(exportedBindings)
      .filter(([source]) => source !== '.')
      .map(async ([source, names]) => [(await ctx.resolve(source, KIT, { skipSelf: true })).id, names]);
    return new Map(await Promise.all(files));
  };
  return {
    name: 'shared-from-kit',
    async resolveId(source, importer, options) {
      if (source === BINDINGS) return source;
      // A listed file's other exports: nothing of it, nor of what it imports, unless one is used.
      if (importer?.startsWith(VIA_KIT)) return { id: source, moduleSideEffects: false };
      if (!importer || importer.startsWith('\0')) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      if (!resolved || resolved.external) return resolved;
      shared ??= readKit(this);
      if (resolved.id === KIT_INSTALL) return BINDINGS;
      return (await shared).has(resolved.id) ? VIA_KIT + resolved.id : resolved;
    },
    async load(id) {
      if (id === BINDINGS) {
        const names = [...(await shared).values()].flat().join(', ');
        return `export let ${names};\nexport function installKit(kit) { ({ ${names} } = kit); }`;
      }
      if (!id.startsWith(VIA_KIT)) return null;
      const file = id.slice(VIA_KIT.length);
      return `export { ${(await shared).get(file).join(', ')} } from '${BINDINGS}';\nexport * from ${JSON.stringify(file)};`;
    },
  };
};

// Chromium's compile hint: the file's functions are compiled eagerly while the script streams in,
// off the main thread, instead of lazily on the main thread at their first call.
const minify = () =>
  terser({ ecma: 2020, compress: { passes: 3 }, format: { comments: false, ascii_only: true, preamble: '//# allFunctionsCalledOnLoad' } });

export default [
  // The ES modules for bundlers and Node: the SDK, the React binding and the server evaluation
  // share chunks, so an app that uses two of them loads the core once. React stays an import.
  {
    input: { microseg: 'src/index.ts', 'microseg.react': 'src/react/index.ts', 'microseg.server': 'src/server/index.ts' },
    external: [/^zod/, /^react($|\/)/, /^react-dom($|\/)/],
    // The validator becomes its own chunk, loaded only when an unchecked config arrives.
    output: { dir: 'dist', entryFileNames: '[name].mjs', chunkFileNames: 'microseg.[name].mjs', format: 'es', sourcemap: true },
    plugins: [
      typescript({ tsconfig: './tsconfig.json', declaration: false, declarationDir: undefined, outDir: 'dist' }),
    ],
  },
  // One declaration file per entry, imports with their extensions resolved: the types work
  // under every moduleResolution (bundler, node16, nodenext).
  {
    input: { microseg: 'src/index.ts', 'microseg.react': 'src/react/index.ts', 'microseg.server': 'src/server/index.ts' },
    external: [/^zod/, /^react($|\/)/, /^react-dom($|\/)/],
    // .d.mts beside each .mjs too: a relative import of dist/*.mjs (our tests) finds its types.
    output: [
      { dir: 'dist', entryFileNames: '[name].d.ts', chunkFileNames: 'microseg.[name].d.ts', format: 'es' },
      { dir: 'dist', entryFileNames: '[name].d.mts', chunkFileNames: 'microseg.[name].d.mts', format: 'es' },
    ],
    plugins: [dts({ tsconfig: './tsconfig.json' })],
  },
  // The script-tag build: everything inlined, minified, defines window.microseg.
  {
    input: 'src/entry/script.ts',
    output: { file: 'dist/microseg.iife.js', format: 'iife', sourcemap: true },
    plugins: [
      onDemandAsScript(),
      resolve({ browser: true }),
      typescript({ tsconfig: './tsconfig.json', declaration: false, declarationDir: undefined, outDir: 'dist' }),
      minify(),
    ],
  },
  // The first-paint script: a few KB, placed in <head>, applies the last decisions as slots are parsed.
  {
    input: 'src/entry/paint.ts',
    output: { file: 'dist/microseg.paint.js', format: 'iife', sourcemap: true },
    plugins: [
      typescript({ tsconfig: './tsconfig.json', declaration: false, declarationDir: undefined, outDir: 'dist' }),
      minify(),
    ],
  },
  // The files the script-tag build fetches on demand, from beside it: the config validator, the
  // optional parts (measurement, the collector, the labels backend: each only where configured) and
  // the config's (signature check, stream, lease) when configured, the preview overlay in preview.
  ...[
    ['src/entry/schema-script.ts', 'dist/microseg.schema.js'],
    ['src/entry/part-extras.ts', 'dist/microseg.extras.js', sharedFromKit()],
    ['src/entry/part-collect.ts', 'dist/microseg.collect.js', sharedFromKit()],
    ['src/entry/part-labels.ts', 'dist/microseg.labels.js', sharedFromKit()],
    ['src/entry/sync-chunk.ts', 'dist/microseg.sync.js'],
    ['src/entry/preview-chunk.ts', 'dist/microseg.preview.js'],
  ].map(([input, file, shared]) => ({
    input,
    output: { file, format: 'iife', sourcemap: true },
    plugins: [
      shared,
      resolve({ browser: true }),
      typescript({ tsconfig: './tsconfig.json', declaration: false, declarationDir: undefined, outDir: 'dist' }),
      minify(),
    ],
  })),
  // The command-line tool (validate, keygen, sign, matrix, schema) for backends.
  {
    input: 'src/cli/main.ts',
    external: [/^node:/, /^zod/],
    output: { file: 'dist/cli.mjs', format: 'es' },
    plugins: [typescript({ tsconfig: './tsconfig.json', declaration: false, declarationDir: undefined, outDir: 'dist' })],
  },
  // The copy-paste loader snippet.
  {
    input: 'src/snippet/snippet.js',
    output: { file: 'dist/snippet.min.js', format: 'es' },
    plugins: [terser({ ecma: 5, compress: { passes: 3 }, format: { comments: false } })],
  },
];
