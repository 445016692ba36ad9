// The threshold index. A rule that compares a value only with number constants
// ({ "metrics.orders": { "$gte": 3 } }) can flip through that value only when it moves onto or
// across one of them. Counts rise by one an event, so most events cross no constant at all and
// the segments reading them are not evaluated.

import { IMPLICIT_OPERATOR, operatorSpec, type OperatorSpec } from '../condition';
import { isPlainObject } from '../shared/util';

/**
 * Visits each (operator, number constant) comparison in `operands`; false, and the visit
 * incomplete, when one of them does anything else (a string, a nested operator, $exists,
 * $elemMatch…). The operators the table gives `dayFlips` are exactly the comparisons with constants.
 */
export function eachComparison(operands: unknown[], visit: (spec: OperatorSpec, c: number) => void): boolean {
  for (const operand of operands) {
    const values = isPlainObject(operand) ? Object.entries(operand) : [[IMPLICIT_OPERATOR, operand] as const];
    for (const [op, x] of values) {
      const spec = operatorSpec(op);
      const list = spec?.operand === 'list' ? x : [x];
      if (!spec?.dayFlips || !Array.isArray(list) || !list.every((v) => typeof v === 'number' && Number.isFinite(v))) return false;
      for (const c of list as number[]) visit(spec, c);
    }
  }
  return true;
}

/** Segments (evaluation positions) by the constants their rules compare one key's value with, ascending. */
export interface Thresholds {
  values: number[];
  positions: number[];
}

export function buildThresholds(entries: Array<[value: number, position: number]>): Thresholds {
  entries.sort((a, b) => a[0] - b[0]);
  return { values: entries.map((e) => e[0]), positions: entries.map((e) => e[1]) };
}

/**
 * The positions whose constants lie between two values of the key, both ends included (a rule
 * can only flip there); every position when either value is not a finite number.
 */
export function crossed(t: Thresholds, before: unknown, after: unknown, visit: (position: number) => void): void {
  const { values, positions } = t;
  if (typeof before !== 'number' || typeof after !== 'number' || !Number.isFinite(before) || !Number.isFinite(after)) {
    for (const p of positions) visit(p);
    return;
  }
  const lo = Math.min(before, after);
  const hi = Math.max(before, after);
  let a = 0;
  let b = values.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (values[mid]! < lo) a = mid + 1;
    else b = mid;
  }
  for (let i = a; i < values.length && values[i]! <= hi; i++) visit(positions[i]!);
}
