/** Ids drawn per call to the random source: a 4 KB draw costs less than one randomUUID() in Chromium. */
const IDS_PER_DRAW = 256;
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
let pool = new Uint8Array(0);
let drawn = 0;

/** Where the next 16 random bytes start in the pool, refilled in blocks (a crypto call per id cost ~3 µs of each track()). */
function nextBytes(): number {
  if (drawn + 16 > pool.length) {
    if (!pool.length) pool = new Uint8Array(16 * IDS_PER_DRAW);
    const c = globalThis.crypto;
    if (c?.getRandomValues) c.getRandomValues(pool);
    else for (let i = 0; i < pool.length; i++) pool[i] = (Math.random() * 256) | 0;
    drawn = 0;
  }
  const at = drawn;
  drawn += 16;
  return at;
}

/** A random id for events and visitors: a UUID v4 from the platform's cryptographic random source. */
export function randomId(): string {
  const at = nextBytes();
  const b = pool;
  const h = (i: number) => HEX[b[at + i]!]!;
  const version = HEX[(b[at + 6]! & 0x0f) | 0x40]!;
  const variant = HEX[(b[at + 8]! & 0x3f) | 0x80]!;
  return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${version}${h(7)}-${variant}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
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
  return copy(value, 0, { left: MAX_VALUES, path: [] });
}

/** One copy's state: values it may still copy, and the objects from the root to here (at most MAX_DEPTH: a list beats a WeakSet). */
interface CopyState {
  left: number;
  path: object[];
}

/** Whether `value` is on the path, without the page's Array.prototype. */
function onPath(path: object[], value: object): boolean {
  for (let i = 0; i < path.length; i++) if (path[i] === value) return true;
  return false;
}

function copy(value: unknown, depth: number, state: CopyState): unknown {
  if (state.left-- <= 0) return undefined;
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
      const { path } = state;
      if (depth >= MAX_DEPTH || onPath(path, value)) return undefined;
      if (typeof Node !== 'undefined' && value instanceof Node) return undefined;
      path[depth] = value;
      let out: unknown;
      if (Array.isArray(value) || isArguments(value)) {
        const list = Array.prototype.slice.call(value, 0, MAX_KEYS) as unknown[];
        out = list.map((v) => copy(v, depth + 1, state) ?? null);
      } else {
        const obj: Record<string, unknown> = {};
        let n = 0;
        for (const key of Object.keys(value)) {
          if (n++ >= MAX_KEYS || state.left <= 0) break;
          if (key === '__proto__') continue;
          const v = copy((value as Record<string, unknown>)[key], depth + 1, state);
          if (v !== undefined) obj[key] = v;
        }
        out = obj;
      }
      path.length = depth;
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

/**
 * toJson's text, by the native serializer when nothing on the page could answer instead (no
 * `toJSON` on Object.prototype or Array.prototype): for data of the SDK's own — a config, a content
 * tree, the profile, and the page's values once toPlainData copied them — whose objects hold no
 * functions. Native, it costs a fraction of toJson in code not optimised yet.
 */
export function plainJson(value: unknown): string {
  return 'toJSON' in Object.prototype || 'toJSON' in Array.prototype ? toJson(value) : (JSON.stringify(value) ?? 'null');
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

