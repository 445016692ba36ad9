// Maps keyed by ids and names that come from outside (configs, the page, a labels backend,
// another tab, storage). A plain object would let "__proto__" reach Object.prototype and make
// "constructor" or "toString" look present; a null-prototype object has no such keys.

export type Dict<T> = Record<string, T>;

/** An empty map with no prototype, or a copy of the own enumerable entries of `from` into one. */
export function dict<T>(from?: unknown): Dict<T> {
  const out = Object.create(null) as Dict<T>;
  if (from && typeof from === 'object') {
    for (const key of Object.keys(from)) out[key] = (from as Dict<T>)[key]!;
  }
  return out;
}

/** `map[key]` only when it is the map's own entry: never a value inherited from a prototype. */
export function own<T>(map: Dict<T> | undefined | null, key: string): T | undefined {
  return map && Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined;
}
