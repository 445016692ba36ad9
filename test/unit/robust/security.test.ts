// @vitest-environment node
// Strict CSP and Trusted Types hold only if the shipped code never turns strings into code or
// markup: these tests read the built files and the sources.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const DIST = join(ROOT, 'dist');

/** Code turned from strings, found in the syntax tree (comments and strings that merely mention them do not count). */
function stringToCode(source: string): string[] {
  const file = ts.createSourceFile('x.js', source, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const found: string[] = [];
  // eval / Function by name, or as window.eval, globalThis.Function…
  const name = (e: ts.Expression): string | undefined =>
    ts.isIdentifier(e) ? e.text : ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && /^(window|globalThis|self)$/.test(e.expression.text) ? e.name.text : undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      const callee = name(node.expression);
      if (callee === 'eval' && ts.isCallExpression(node)) found.push('eval(');
      if (callee === 'Function') found.push('Function');
      const first = node.arguments?.[0];
      if ((callee === 'setTimeout' || callee === 'setInterval') && first && (ts.isStringLiteralLike(first) || ts.isTemplateExpression(first))) {
        found.push(`${callee}(string)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('security of the shipped code', () => {
  const files = existsSync(DIST) ? readdirSync(DIST).filter((f) => /\.(m?js)$/.test(f)) : [];

  it('the detector finds what it looks for (and not in comments or strings)', () => {
    expect(stringToCode(`a(); eval("x"); new Function("y"); Function("z")(); setTimeout("alert(1)", 1); setTimeout(\`x\${1}\`)`)).toEqual([
      'eval(', 'Function', 'Function', 'setTimeout(string)', 'setTimeout(string)',
    ]);
    expect(stringToCode(`// eval(x) and new Function\n/* Function() */ const s = "eval(1)"; o.eval(1); x = /eval(/g; setTimeout(() => 1, 5)`)).toEqual([]);
    expect(stringToCode(`window.eval(s)`)).toEqual(['eval(']);
  });

  it('no built file (dist/*.js, *.mjs) calls eval, Function or setTimeout with a string', () => {
    expect(files).toContain('microseg.iife.js');
    expect(files).toContain('microseg.mjs');
    const found: Record<string, string[]> = {};
    for (const f of files) {
      const hits = stringToCode(readFileSync(join(DIST, f), 'utf8'));
      if (hits.length) found[f] = hits;
    }
    expect(found).toEqual({});
  });

  it('no source writes markup from strings into the page (innerHTML, outerHTML, insertAdjacentHTML, document.write); DOMParser only in the sanitizer', () => {
    // The one allowed parse: config HTML into an inert document, read back through an allowlist.
    const allowed = new Map([['src/render/sanitize.ts', /new DOMParser\(\)\.parseFromString\(trusted\(html\)/]]);
    const sinks = /\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write(ln)?|srcdoc|createContextualFragment|DOMParser|setHTMLUnsafe|parseHTMLUnsafe)\b/;
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
        const rel = `${dir}/${entry.name}`;
        if (entry.isDirectory()) walk(rel);
        else if (/\.(ts|js)$/.test(entry.name)) {
          readFileSync(join(ROOT, rel), 'utf8').split('\n').forEach((line, i) => {
            const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, '');
            if (!sinks.test(code)) return;
            if (/BAD_ATTR = /.test(code)) return; // the list of attributes the tree builder refuses
            if (allowed.get(rel)?.test(code)) return;
            found.push(`${rel}:${i + 1}: ${line.trim()}`);
          });
        }
      }
    };
    walk('src');
    expect(found).toEqual([]);
  });

  it('no source touches document.cookie', () => {
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
        const rel = `${dir}/${entry.name}`;
        if (entry.isDirectory()) walk(rel);
        else if (/\.(ts|js)$/.test(entry.name) && /document\s*\.\s*cookie|cookieStore/.test(readFileSync(join(ROOT, rel), 'utf8'))) found.push(rel);
      }
    };
    walk('src');
    expect(found).toEqual([]);
    for (const f of files) expect(readFileSync(join(DIST, f), 'utf8'), f).not.toMatch(/\.cookie\b|cookieStore/);
  });
});
