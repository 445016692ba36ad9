// Population parameters: named numbers the backend computes over all visitors (the 90th
// percentile of spend, say) and publishes with the config. A condition compares with one as
// `{ "metrics.spend": { "$gte": "$params.spend_p90" } }`, or reads it as the path
// `params.spend_p90`. Operands are replaced by their numbers once, when the config is parsed, so
// compiled conditions compare plain numbers.
import type { ConfigIssue } from './rules';

const REF = /^\$params\.([A-Za-z0-9_][A-Za-z0-9_-]*)$/;
/** The parts of a config that hold conditions. */
const CONDITION_LISTS = ['segments', 'suppressions'] as const;

type Params = Record<string, number>;

function ownNumber(params: unknown, name: string): number | undefined {
  if (!params || typeof params !== 'object' || !Object.prototype.hasOwnProperty.call(params, name)) return undefined;
  const v = (params as Record<string, unknown>)[name];
  return typeof v === 'number' ? v : undefined;
}

/** Calls `visit` for every `"$params.<name>"` operand under `node`, with its JSON path. */
function eachRef(node: unknown, path: string, visit: (name: string, path: string) => void): void {
  if (typeof node === 'string') {
    const m = REF.exec(node);
    if (m) visit(m[1], path);
  } else if (Array.isArray(node)) node.forEach((v, i) => eachRef(v, `${path}[${i}]`, visit));
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) eachRef(v, `${path}[${JSON.stringify(k)}]`, visit);
}

/** Every operand that names a param the config does not define. */
export function paramIssues(config: unknown, out: ConfigIssue[]): void {
  const cfg = (config ?? {}) as Record<string, unknown>;
  for (const list of CONDITION_LISTS) {
    if (!Array.isArray(cfg[list])) continue;
    (cfg[list] as unknown[]).forEach((item, i) => {
      const when = (item as { when?: unknown } | null)?.when;
      eachRef(when, `${list}[${i}].when`, (name, path) => {
        if (ownNumber(cfg.params, name) === undefined) out.push({ path, message: `param "${name}" is not defined in params` });
      });
    });
  }
}

function inline(node: unknown, params: Params): unknown {
  if (typeof node === 'string') {
    const m = REF.exec(node);
    return m ? ownNumber(params, m[1]) : node;
  }
  if (Array.isArray(node)) return node.map((v) => inline(v, params));
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) Object.defineProperty(out, k, { value: inline(v, params), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return node;
}

/** The config with every `"$params.<name>"` operand replaced by its number (checked to exist). */
export function inlineParams<T extends { params?: Params; segments: unknown[]; suppressions?: unknown[] }>(config: T): T {
  if (!config.params) return config;
  const params = config.params;
  const out = { ...config };
  for (const list of CONDITION_LISTS) {
    const items = config[list];
    if (Array.isArray(items)) (out as Record<string, unknown>)[list] = items.map((item) => (item && typeof item === 'object' && 'when' in item ? { ...item, when: inline((item as { when: unknown }).when, params) } : item));
  }
  return out;
}
