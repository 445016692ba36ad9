// Character sets as sorted, disjoint, inclusive code point ranges: what a part of a pattern can
// consume, so that the backtracking check can ask whether two parts can match a common character.

/** Sorted, disjoint, inclusive code point ranges. */
export type Ranges = Array<[number, number]>;

const MAX = 0x10ffff;
export const ALL: Ranges = [[0, MAX]];
export const NONE: Ranges = [];
export const DIGIT: Ranges = [[48, 57]];
export const WORD: Ranges = [[48, 57], [65, 90], [95, 95], [97, 122]];
export const SPACE: Ranges = [[9, 13], [32, 32], [160, 160], [5760, 5760], [8192, 8202], [8232, 8233], [8239, 8239], [8287, 8287], [12288, 12288], [65279, 65279]];

export function union(...sets: Ranges[]): Ranges {
  const all = sets.flat().sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [lo, hi] of all) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

export function complement(set: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (const [lo, hi] of union(set)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX) out.push([next, MAX]);
  return out;
}

export function overlaps(a: Ranges, b: Ranges): boolean {
  for (const [alo, ahi] of a) for (const [blo, bhi] of b) if (alo <= bhi && blo <= ahi) return true;
  return false;
}

/** With the i flag both cases of ASCII letters match; anything beyond ASCII may fold onto anything beyond ASCII. */
export function foldCase(set: Ranges): Ranges {
  const extra: Ranges = [];
  for (const [lo, hi] of set) {
    for (const [from, to, shift] of [[65, 90, 32], [97, 122, -32]] as const) {
      const a = Math.max(lo, from);
      const b = Math.min(hi, to);
      if (a <= b) extra.push([a + shift, b + shift]);
    }
    if (hi >= 128) extra.push([128, MAX]);
    // K (Kelvin sign) and ſ (long s) fold onto ASCII letters.
    if (lo <= 0x212a && hi >= 0x212a) extra.push([75, 75], [107, 107]);
    if (lo <= 0x17f && hi >= 0x17f) extra.push([83, 83], [115, 115]);
  }
  return union(set, extra);
}
