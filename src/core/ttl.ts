const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "14d" / "12h" / "30m" / a number of ms → ms; null when it is neither. */
export function parseTtl(ttl: number | string): number | null {
  if (typeof ttl === 'number') return Number.isFinite(ttl) && ttl > 0 ? ttl : null;
  const m = typeof ttl === 'string' ? /^(\d+(?:\.\d+)?)([smhdw])$/.exec(ttl.trim()) : null;
  return m ? Number(m[1]) * UNITS[m[2]!]! : null;
}
