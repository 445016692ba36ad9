import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');
const zodMini = JSON.stringify(join(root, 'node_modules/zod/mini/index.js'));
const zodClassic = JSON.stringify(join(root, 'node_modules/zod/index.js'));

/** Runs a script in a fresh Node (with tsx) where `new Function` is counted from the start. */
function countEvals(body: string): { evals: number; ok: boolean; jitless: unknown } {
  const file = join(mkdtempSync(join(tmpdir(), 'microseg-csp-')), 'probe.mts');
  writeFileSync(file, `
    const Real = globalThis.Function;
    let evals = 0;
    globalThis.Function = new Proxy(Real, { construct(t, a) { evals++; return Reflect.construct(t, a); }, apply(t, self, a) { evals++; return Reflect.apply(t, self, a); } });
    ${body}
    console.log(JSON.stringify({ evals, ok, jitless }));
  `);
  const out = execFileSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

describe('strict Content-Security-Policy', () => {
  it('validating a config never calls new Function (zod/mini does not JIT), nor changes zod’s settings', () => {
    const r = countEvals(`
      const { parseConfig } = await import(${JSON.stringify(join(root, 'src/config/schema.ts'))});
      const { readFileSync } = await import('node:fs');
      const ok = parseConfig(JSON.parse(readFileSync(${JSON.stringify(join(root, 'examples/shop.config.json'))}, 'utf8'))).ok;
      const jitless = (await import(${zodMini})).config().jitless ?? null;
    `);
    expect(r).toEqual({ evals: 0, ok: true, jitless: null });
  });

  it('(control: classic zod, which JIT-compiles objects, does call it)', () => {
    const r = countEvals(`
      const { z } = await import(${zodClassic});
      const ok = z.object({ a: z.string() }).safeParse({ a: 'x' }).success;
      const jitless = null;
    `);
    expect(r.ok).toBe(true);
    expect(r.evals).toBeGreaterThan(0);
  });
});
