// The vocabulary of the config rules: issues with their JSON paths, and guarded readers, since
// the rules run on unvalidated input too.

export interface ConfigIssue {
  /** JSON path of the offending node, e.g. `segments[2].when["metrics.orders"].$gtt` */
  path: string;
  /** A plain sentence. */
  message: string;
}

export type Path = PropertyKey[];
export type Any = Record<string, any>;
export type Issue = (path: Path, message: string) => void;

/** `["segments", 2, "when", "metrics.orders"]` → `segments[2].when["metrics.orders"]` */
export function jsonPath(path: Path): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(key))) out += (out ? '.' : '') + String(key);
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

export const obj = (v: unknown): Any => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Any) : {});
export const arr = (v: unknown): Any[] => (Array.isArray(v) ? v : []);
export const isObj = (v: unknown): v is Any => !!v && typeof v === 'object' && !Array.isArray(v);
export const str = (v: unknown): v is string => typeof v === 'string';
