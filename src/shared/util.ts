/** A random id for events and visitors: UUID v4 where available. */
export function randomId(): string {
  const c = globalThis.crypto;
  if (c?.randomUUID) return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = (Math.random() * 256) | 0;
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const MAX_DEPTH = 8;
const MAX_KEYS = 200;
const MAX_STRING = 2000;
/** Values copied in all: shared references are copied each time they appear, so this bounds both time and size. */
const MAX_VALUES = 5000;

/**
 * A plain-data copy of whatever the site passed: the caller may mutate its object later,
 * and functions, DOM nodes, cycles and huge strings must not reach storage. Linear in its
 * bounded output: at most MAX_VALUES values (a small object graph with shared references can
 * stand for billions of paths), MAX_DEPTH levels, MAX_KEYS keys per object.
 */
export function toPlainData(value: unknown): unknown {
  return copy(value, 0, new WeakSet<object>(), { left: MAX_VALUES });
}

function copy(value: unknown, depth: number, path: WeakSet<object>, budget: { left: number }): unknown {
  if (budget.left-- <= 0) return undefined;
  switch (typeof value) {
    case 'string':
      return value.length > MAX_STRING ? value.slice(0, MAX_STRING) : value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'boolean':
      return value;
    case 'bigint':
      return Number(value);
    case 'object': {
      if (value === null) return null;
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
      if (depth >= MAX_DEPTH || path.has(value)) return undefined;
      if (typeof Node !== 'undefined' && value instanceof Node) return undefined;
      path.add(value);
      let out: unknown;
      if (Array.isArray(value) || isArguments(value)) {
        const list = Array.prototype.slice.call(value, 0, MAX_KEYS) as unknown[];
        out = list.map((v) => copy(v, depth + 1, path, budget) ?? null);
      } else {
        const obj: Record<string, unknown> = {};
        let n = 0;
        for (const key of Object.keys(value)) {
          if (n++ >= MAX_KEYS || budget.left <= 0) break;
          if (key === '__proto__') continue;
          const v = copy((value as Record<string, unknown>)[key], depth + 1, path, budget);
          if (v !== undefined) obj[key] = v;
        }
        out = obj;
      }
      path.delete(value);
      return out;
    }
    default:
      return undefined; // functions, symbols, undefined
  }
}

/**
 * JSON text for plain data that never consults a `toJSON`: a page may define
 * `Array.prototype.toJSON` or `Object.prototype.toJSON`, which JSON.stringify would obey in
 * everything the SDK sends, stores or compares.
 */
export function toJson(value: unknown): string {
  return json(value) ?? 'null';
}

function json(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value); // a primitive: no toJSON is looked up
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'null' : JSON.stringify(value.toISOString());
      if (Array.isArray(value)) return `[${Array.from(value, (v) => json(v) ?? 'null').join(',')}]`;
      const parts: string[] = [];
      for (const key of Object.keys(value)) {
        const v = json((value as Record<string, unknown>)[key]);
        if (v !== undefined) parts.push(`${JSON.stringify(key)}:${v}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      return undefined; // functions, symbols, undefined: left out, as JSON.stringify does
  }
}

export function isArguments(value: unknown): boolean {
  return Object.prototype.toString.call(value) === '[object Arguments]';
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

