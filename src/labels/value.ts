// Label values are data from outside (a labels backend, another tab, the site's own calls):
// JSON data within a depth and a size, copied by a walk that stops at the first bound crossed.

/** Label values: at most this many levels of nested arrays/objects. */
const MAX_VALUE_DEPTH = 8;
/** Label values: at most this many characters as JSON. */
const MAX_VALUE_SIZE = 4096;

class Refused extends Error {}

/**
 * A JSON-data copy of a label value within the bounds (depth, size), or a sentence saying why
 * not. The walk stops as soon as a bound is crossed, so a value 3,000 levels deep or a
 * shared-reference graph that expands to gigabytes costs no more than the bound.
 */
export function boundedValue(value: unknown): { value: unknown } | { refused: string } {
  const budget = { left: MAX_VALUE_SIZE };
  try {
    return { value: copy(value, 0, budget) };
  } catch (e) {
    return { refused: e instanceof Refused ? e.message : `its value could not be read (${(e as Error)?.message ?? e})` };
  }
}

function spend(budget: { left: number }, n: number): void {
  budget.left -= n;
  if (budget.left < 0) throw new Refused(`its value is larger than ${MAX_VALUE_SIZE} characters of JSON`);
}

function copy(value: unknown, depth: number, budget: { left: number }): unknown {
  switch (typeof value) {
    case 'string':
      spend(budget, value.length + 2);
      return value;
    case 'boolean':
      spend(budget, 5);
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new Refused('its value holds a number that JSON cannot carry');
      spend(budget, String(value).length);
      return value;
    case 'object': {
      if (value === null) {
        spend(budget, 4);
        return null;
      }
      if (value instanceof Date) return copy(Number.isNaN(value.getTime()) ? null : value.toISOString(), depth, budget);
      if (depth >= MAX_VALUE_DEPTH) throw new Refused(`its value nests deeper than ${MAX_VALUE_DEPTH} levels`);
      spend(budget, 2);
      if (Array.isArray(value)) {
        const out: unknown[] = [];
        for (let i = 0; i < value.length; i++) {
          spend(budget, 1);
          const v = copy(value[i], depth + 1, budget);
          out.push(v === undefined ? null : v);
        }
        return out;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new Refused('its value is not plain data (arrays, objects, strings, numbers, booleans, null)');
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        const v = copy((value as Record<string, unknown>)[key], depth + 1, budget);
        if (v === undefined) continue;
        spend(budget, key.length + 4);
        // A key named "__proto__" stays data, never the copy's prototype.
        Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined; // as JSON: left out of objects, null in arrays
    default:
      throw new Refused(`its value holds a ${typeof value}, which JSON cannot carry`);
  }
}
