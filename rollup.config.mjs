import typescript from '@rollup/plugin-typescript';
import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

const minify = () =>
  terser({ ecma: 2020, compress: { passes: 2 }, format: { comments: false } });

export default [
  // The ES module for bundlers: dependencies stay imports, types are emitted.
  {
    input: 'src/index.ts',
    external: [/^idb/, /^zod/],
    output: { file: 'dist/microseg.mjs', format: 'es', sourcemap: true },
    plugins: [
      typescript({ tsconfig: './tsconfig.json', declaration: true, declarationDir: 'dist/types', outDir: 'dist' }),
    ],
  },
  // The script-tag build: everything inlined, minified, defines window.microseg.
  {
    input: 'src/entry/script.ts',
    output: { file: 'dist/microseg.iife.js', format: 'iife', sourcemap: true },
    plugins: [
      resolve({ browser: true }),
      typescript({ tsconfig: './tsconfig.json', declaration: false, declarationDir: undefined, outDir: 'dist' }),
      minify(),
    ],
  },
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
    plugins: [terser({ ecma: 5, compress: { passes: 2 }, format: { comments: false } })],
  },
];
