// Why a condition holds or not: one entry per clause, with the value the visitor had.

import type { Condition } from './values';
import { compileQuery, compileValueTest } from './compile';
import { compilePath, resolvedValues } from './paths';
import { Fanout } from './values';
import { EACH_CONDITION, IMPLICIT_OPERATOR, isModifier, operatorSpec } from './operators';
import { isPlainObject } from '../shared/util';

export interface ClauseResult {
  /** Context path ("metrics.orders"); absent for $and/$or/$nor/$not groups. */
  path?: string;
  /** "$gte", "$eq" for implicit equality, or "$and"/"$or"/"$nor"/"$not" for groups. */
  operator: string;
  expected?: unknown;
  /** What the path held at evaluation time (undefined when missing; an array when the path crossed arrays). */
  actual?: unknown;
  pass: boolean;
  clauses?: ClauseResult[];
}

interface ExplainNode {
  path?: string;
  operator: string;
  expected?: unknown;
  read?: (doc: unknown) => unknown;
  test: (doc: unknown) => boolean;
  children?: ExplainNode[];
}

// Explaining is rare (preview, debugging): compile lazily and remember per condition object.
const cache = new WeakMap<object, ExplainNode[]>();

export function explainCondition(cond: Condition | undefined, doc: unknown): ClauseResult[] {
  if (!cond) return [];
  let nodes = cache.get(cond);
  if (!nodes) cache.set(cond, (nodes = compileNodes(cond, '')));
  return nodes.map((n) => run(n, doc));
}

function run(node: ExplainNode, doc: unknown): ClauseResult {
  const out: ClauseResult = { operator: node.operator, pass: node.test(doc) };
  if (node.path !== undefined) {
    out.path = node.path;
    out.expected = node.expected;
    const r = node.read!(doc);
    out.actual = r instanceof Fanout ? resolvedValues(r) : r;
  }
  if (node.children) out.clauses = node.children.map((c) => run(c, doc));
  return out;
}

function compileNodes(cond: Condition, at: string): ExplainNode[] {
  const nodes: ExplainNode[] = [];
  for (const key of Object.keys(cond)) {
    const operand = cond[key];
    const here = at ? `${at}.${key}` : key;
    const spec = key.startsWith('$') ? operatorSpec(key) : undefined;
    if (spec?.operand === 'conditions') {
      const test = compileQuery({ [key]: operand }, at);
      const children = (operand as Condition[]).map((c, i) => ({
        operator: EACH_CONDITION,
        test: compileQuery(c, `${here}[${i}]`),
        children: compileNodes(c, `${here}[${i}]`),
      }));
      nodes.push({ operator: key, test, children });
    } else if (spec?.query) {
      const inner = compileQuery(operand, here);
      nodes.push({ operator: key, test: (d) => !inner(d), children: compileNodes(operand as Condition, here) });
    } else if (key.startsWith('$')) {
      compileQuery({ [key]: operand }, at); // throws the proper error
    } else {
      const read = compilePath(key, here);
      const ops = isPlainObject(operand) && Object.keys(operand).some((k) => k.startsWith('$'))
        ? Object.keys(operand).filter((k) => !isModifier(k))
        : undefined;
      if (!ops) {
        const t = compileValueTest(operand, here);
        nodes.push({ path: key, operator: IMPLICIT_OPERATOR, expected: operand, read, test: (d) => t(read(d)) });
        continue;
      }
      for (const op of ops) {
        const obj = operand as Record<string, unknown>;
        const part = withModifiers(op, obj);
        const t = compileValueTest(part, here);
        nodes.push({ path: key, operator: op, expected: obj[op], read, test: (d) => t(read(d)) });
      }
    }
  }
  return nodes;
}

/** One operator of an operator object, with the flags that modify it ($regex with its $options). */
function withModifiers(op: string, obj: Record<string, unknown>): Record<string, unknown> {
  const part: Record<string, unknown> = { [op]: obj[op] };
  for (const k of Object.keys(obj)) if (operatorSpec(k)?.modifies === op) part[k] = obj[k];
  return part;
}
