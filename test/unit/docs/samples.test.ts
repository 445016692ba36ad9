// @vitest-environment node
// Every code sample of the README works: ts/js blocks are compiled and run in Node against the
// built package (as a project that installed it), json blocks parse (and configs validate),
// html blocks parse with their inline scripts. Blocks that are not code say so by language
// (sh, sql, text, http); a block without a language fails, so nothing is skipped by accident.
// In samples, `…` stands for code of your own; `ms` is an instance unless the sample makes one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import ts from 'typescript';
import { Window } from 'happy-dom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config';
import { createConsumer, ROOT, type Consumer } from '../packaging/consumer';

const NOT_CODE = new Set(['sh', 'bash', 'shell', 'sql', 'text', 'http', 'diff', 'console']);

export interface Block {
  lang: string;
  code: string;
  line: number;
}

export function codeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && !/^\s*```\s*$/.test(lines[i]!)) body.push(lines[i]!.slice(open[1]!.length));
    blocks.push({ lang: open[2]!, code: body.join('\n'), line: start + 1 });
  }
  return blocks;
}

const PRELUDE = `
import { createMicroseg as __create } from 'microseg';
const __hello = { schema: 1, version: 'readme', segments: [{ id: 'everyone', fallback: true }] };
`;

/** The package's functions a sample may call without importing them (it continues an earlier one). */
const IMPLIED = ['createMicroseg', 'defineConfig'];

/** A sample as an ES module of the consumer project. */
function runnable(code: string, lang: string): string {
  const body = code.replace(/…/g, 'undefined');
  const needsMs = /\bms\b/.test(body) && !/\b(const|let|var)\s+ms\b/.test(body);
  const implied = IMPLIED.filter((name) => new RegExp(`\\b${name}\\(`).test(body) && !new RegExp(`import[^;]*\\b${name}\\b`).test(body));
  const js = ts.transpileModule(body, {
    fileName: `sample.${lang.startsWith('t') ? 'tsx' : 'jsx'}`,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, jsx: ts.JsxEmit.ReactJSX },
  }).outputText;
  const imports = implied.length ? `import { ${implied.join(', ')} } from 'microseg';\n` : '';
  // imports first (ES modules hoist them anyway), then the sample
  return `${PRELUDE}${imports}${needsMs ? 'const ms = __create({ config: __hello, autoPage: false });\n' : ''}${js}\nawait new Promise((r) => setTimeout(r, 0));\nprocess.stdout.write('ran');\nprocess.exit(0); // an SDK keeps timers (polling, batching): the sample is done\n`;
}

// MICROSEG_README: check another file (e.g. a README with sections still to be merged).
const readme = readFileSync(process.env.MICROSEG_README ?? join(ROOT, 'README.md'), 'utf8');
const blocks = codeBlocks(readme);
let consumer: Consumer;
beforeAll(() => {
  consumer = createConsumer();
});
afterAll(() => consumer?.remove());

describe('the README code samples', () => {
  it('each block names its language', () => {
    expect(blocks.filter((b) => !b.lang).map((b) => `line ${b.line}`)).toEqual([]);
  });

  const runnableBlocks = blocks.filter((b) => ['ts', 'js', 'typescript', 'javascript', 'tsx', 'jsx'].includes(b.lang));
  it.each(runnableBlocks.map((b) => [b.line, b] as const))('the %s-line ts/js sample compiles and runs against the built package', (line, block) => {
    const file = `sample-${line}.mjs`;
    consumer.write(file, runnable(block.code, block.lang));
    const r = consumer.node(file);
    expect(r.stderr.split('\n').filter((l) => /Error|error:/.test(l) && !/\[microseg\]/.test(l)), r.stderr).toEqual([]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('ran');
  }, 60_000);

  it.each(blocks.filter((b) => b.lang === 'json').map((b) => [b.line, b] as const))('the %s-line json sample parses (and a config validates)', (_line, block) => {
    // A fragment of a config ("journeys": [...]) is read as the object it belongs in.
    let doc: unknown;
    try {
      doc = JSON.parse(block.code);
    } catch {
      doc = JSON.parse(`{${block.code}}`);
    }
    if (doc && typeof doc === 'object' && 'schema' in doc && 'segments' in doc) {
      delete (doc as { $schema?: string }).$schema;
      const result = parseConfig(doc);
      expect(result.ok ? [] : result.errors).toEqual([]);
    }
  });

  it.each(blocks.filter((b) => b.lang === 'html').map((b) => [b.line, b] as const))('the %s-line html sample parses, scripts included', (_line, block) => {
    const window = new Window();
    const doc = new window.DOMParser().parseFromString(`<!doctype html><html><head></head><body>${block.code}</body></html>`, 'text/html');
    for (const script of Array.from(doc.querySelectorAll('script'))) {
      const type = script.getAttribute('type');
      if (type === 'application/json') JSON.parse(script.textContent ?? '');
      else if (!type || type === 'module' || type === 'text/javascript') {
        // compiled, not run: a syntax error fails here
        if (type !== 'module') new Script(script.textContent ?? '');
      }
    }
    expect(doc.body).toBeTruthy();
    void window.happyDOM.close();
  });

  it('blocks that are not code say so by language', () => {
    const known = new Set([...NOT_CODE, 'ts', 'js', 'typescript', 'javascript', 'tsx', 'jsx', 'json', 'html']);
    expect(blocks.filter((b) => !known.has(b.lang)).map((b) => `line ${b.line}: ${b.lang}`)).toEqual([]);
  });
});
