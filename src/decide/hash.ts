// Deterministic hold-out: the same visitor lands in the same group for a campaign on every page,
// tab and device that shares the id, and groups of different campaigns are independent.

/** FNV-1a over the UTF-16 code units, then murmur3's finalizer so similar ids spread evenly. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The visitor's position in [0, 1) for a campaign; below the campaign's `holdout` = control. */
export function holdoutBucket(visitor: string, campaign: string): number {
  return hash32(`${visitor}\u0000${campaign}`) / 4294967296;
}
