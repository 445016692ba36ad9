// The house rules that can be checked by machine, over src/: no file over 400 lines, no
// function over 150 lines, imports only point down (the composition root and the entry points
// aside), operator names only in the condition language's one table, and no time unit defined
// outside shared/constants.ts. Prints what breaks them and the longest file and function.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const SRC = join(ROOT, 'src');
const MAX_FILE = 400;
const MAX_FUNCTION = 150;

/** Floors, lowest first: a folder may import its own floor or a lower one. */
const FLOOR = {
  shared: 0,
  condition: 1,
  track: 2, store: 2, config: 2, engine: 2, labels: 2, decide: 2, render: 2, measure: 2, preview: 2,
  sdk: 3,
  entry: 4, react: 4, server: 4, cli: 4, snippet: 4, '.': 4,
};
const OPERATOR_TABLE = 'src/condition/operators.ts';
const OPERATOR = /'\$(eq|ne|gt|gte|lt|lte|in|nin|all|elemMatch|size|exists|type|regex|options|not|and|or|nor|veq|vne|vgt|vgte|vlt|vlte)'|^\s*\$(eq|ne|gt|gte|lt|lte|in|nin|all|elemMatch|size|exists|type|regex|options|not|and|or|nor|veq|vne|vgt|vgte|vlt|vlte)\s*:/;
const TIME_UNIT = /^(export )?const (SECOND|MINUTE|HOUR|DAY|WEEK|MAX_TIMER_DELAY|VISIT_IDLE) =/;

const files = [];
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.(ts|tsx)$/.test(e.name)) files.push(p);
  }
};
walk(SRC);

const problems = [];
let longestFile = { lines: 0 };
let longestFunction = { lines: 0 };
const floorOf = (file) => {
  const top = relative(SRC, file).split('/');
  return FLOOR[top.length === 1 ? '.' : top[0]];
};

for (const file of files) {
  const rel = relative(ROOT, file);
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > longestFile.lines) longestFile = { rel, lines };
  if (lines > MAX_FILE) problems.push(`${rel}: ${lines} lines (at most ${MAX_FILE})`);

  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const n = end - start + 1;
      const name = node.name?.getText() ?? (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText() : '(anonymous)');
      if (n > longestFunction.lines) longestFunction = { rel, name, lines: n };
      if (n > MAX_FUNCTION) problems.push(`${rel}:${start + 1}: function ${name} is ${n} lines (at most ${MAX_FUNCTION})`);
    }
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const spec = node.moduleSpecifier.text;
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        const from = floorOf(file);
        const to = floorOf(target + (relative(SRC, target).includes('/') ? '' : '/x'));
        // The composition root (floor 3) and the entry points wire everything; below them imports only point down.
        if (from < 3 && to > from) problems.push(`${rel}: imports upward: ${spec}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);

  text.split('\n').forEach((line, i) => {
    const code = line.replace(/\/\/.*$/, '');
    if (/^\s*\*|^\s*\/\*/.test(code)) return;
    if (rel !== OPERATOR_TABLE && OPERATOR.test(code)) problems.push(`${rel}:${i + 1}: names an operator outside ${OPERATOR_TABLE}`);
    if (rel !== 'src/shared/constants.ts' && TIME_UNIT.test(code.trim())) problems.push(`${rel}:${i + 1}: a time unit defined outside src/shared/constants.ts`);
  });
}

console.log(`longest file: ${longestFile.rel} (${longestFile.lines} lines)`);
console.log(`longest function: ${longestFunction.name} in ${longestFunction.rel} (${longestFunction.lines} lines)`);
for (const p of problems) console.log(p);
console.log(problems.length ? `${problems.length} problem(s)` : 'structure ok');
process.exitCode = problems.length ? 1 : 0;
