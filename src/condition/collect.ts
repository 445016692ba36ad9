// Reading a condition without compiling it: which context paths it tests, with which operands,
// and the literal values inside those operands (the engine's dependency graph and the preview).
import { isPlainObject } from '../shared/util';
import { operandValues, operatorSpec } from './operators';

/** Context paths a condition reads (not those inside $elemMatch, which are relative). */
export function collectPaths(cond: unknown, out: Map<string, unknown[]>): void {
  if (!isPlainObject(cond)) return;
  for (const [key, operand] of Object.entries(cond)) {
    const spec = key.startsWith('$') ? operatorSpec(key) : undefined;
    if (spec?.operand === 'conditions') (operand as unknown[]).forEach((c) => collectPaths(c, out));
    else if (spec?.query) collectPaths(operand, out);
    else if (!key.startsWith('$')) {
      const list = out.get(key);
      if (list) list.push(operand);
      else out.set(key, [operand]);
    }
  }
}

/**
 * Walks the values inside operands: `literal` gets each value compared with the field,
 * `pattern` each regular expression; type names, sizes, flags and existence tests are skipped.
 */
export function walkOperands(operands: unknown[], visit: { literal: (v: unknown) => void; pattern?: (source: unknown) => void }): void {
  const walk = (v: unknown, key?: string) => {
    const values = key === undefined ? 'literal' : operandValues(key);
    if (values === 'none') return;
    if (values === 'pattern') return visit.pattern?.(v);
    if (Array.isArray(v)) v.forEach((x) => walk(x));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
    else visit.literal(v);
  };
  operands.forEach((o) => walk(o));
}
