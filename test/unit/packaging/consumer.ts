// A consumer project in a temporary directory that depends on this package through a
// node_modules symlink, as `npm install microseg` would lay it out.
import { mkdtempSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

export const ROOT = join(import.meta.dirname, '..', '..', '..');

/** The repository paths (src/…) a built file holds code of, from its source map. */
export function builtSources(file: string): string[] {
  const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] };
  return map.sources.map((s) => s.replace(/^(\.\.\/)+/, ''));
}

export interface Consumer {
  dir: string;
  write(path: string, text: string): void;
  /** Runs node on a file of the project; returns stdout and stderr. */
  node(file: string): { stdout: string; stderr: string; code: number };
  remove(): void;
}

export function createConsumer(packageJson: object = { type: 'module' }): Consumer {
  const dir = mkdtempSync(join(tmpdir(), 'microseg-consumer-'));
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'node_modules', 'microseg'), 'dir');
  for (const dep of ['react', 'react-dom', 'idb', 'zod', '@types/react', '@types/react-dom', '@types/node']) {
    symlinkSync(join(ROOT, 'node_modules', dep), join(dir, 'node_modules', dep), 'dir');
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, ...packageJson }));
  return {
    dir,
    write: (path, text) => writeFileSync(join(dir, path), text),
    node(file) {
      try {
        const stdout = execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
        return { stdout, stderr: '', code: 0 };
      } catch (err) {
        const e = err as { stdout: string; stderr: string; status: number };
        return { stdout: e.stdout, stderr: e.stderr, code: e.status };
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** tsc over the consumer with one moduleResolution; returns its diagnostics (empty = none). */
export function typecheck(c: Consumer, resolution: 'bundler' | 'node16' | 'nodenext'): string {
  const module = resolution === 'bundler' ? 'esnext' : resolution;
  c.write(`tsconfig.${resolution}.json`, JSON.stringify({
    compilerOptions: {
      target: 'es2022', module, moduleResolution: resolution, strict: true, noEmit: true,
      lib: ['es2022', 'dom'], types: [], skipLibCheck: false, jsx: 'react-jsx',
    },
    include: ['src'],
  }));
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', `tsconfig.${resolution}.json`], { cwd: c.dir, encoding: 'utf8' });
    return '';
  } catch (err) {
    return (err as { stdout: string }).stdout || String(err);
  }
}
