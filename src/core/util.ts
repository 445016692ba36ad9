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

/**
 * A plain-data copy of whatever the site passed: the caller may mutate its object later,
 * and functions, DOM nodes, cycles and huge strings must not reach storage.
 */
export function toPlainData(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
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
      if (depth >= MAX_DEPTH || seen.has(value)) return undefined;
      if (typeof Node !== 'undefined' && value instanceof Node) return undefined;
      seen.add(value);
      let out: unknown;
      if (Array.isArray(value) || isArguments(value)) {
        const list = Array.prototype.slice.call(value, 0, MAX_KEYS) as unknown[];
        out = list.map((v) => {
          const copy = toPlainData(v, depth + 1, seen);
          return copy === undefined ? null : copy;
        });
      } else {
        const obj: Record<string, unknown> = {};
        let n = 0;
        for (const key of Object.keys(value)) {
          if (n++ >= MAX_KEYS) break;
          if (key === '__proto__') continue;
          const copy = toPlainData((value as Record<string, unknown>)[key], depth + 1, seen);
          if (copy !== undefined) obj[key] = copy;
        }
        out = obj;
      }
      seen.delete(value);
      return out;
    }
    default:
      return undefined; // functions, symbols, undefined
  }
}

export function isArguments(value: unknown): boolean {
  return Object.prototype.toString.call(value) === '[object Arguments]';
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const MINUTE = 60_000;
export const DAY = 86_400_000;
