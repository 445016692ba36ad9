// Semantic-version comparison for the $v* operators: "1.10.0" > "1.9.2", "2.0.0-beta.2" < "2.0.0".

export interface Version {
  core: number[];
  pre: (number | string)[];
}

const VERSION = /^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export function parseVersion(text: string): Version | undefined {
  const m = VERSION.exec(text.trim());
  if (!m) return undefined;
  return {
    core: m[1]!.split('.').map(Number),
    pre: m[2] ? m[2].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [],
  };
}

/** <0, 0, >0 like a sort comparator. Missing core parts count as 0 ("1.2" == "1.2.0"). */
export function compareVersions(a: Version, b: Version): number {
  const n = Math.max(a.core.length, b.core.length);
  for (let i = 0; i < n; i++) {
    const d = (a.core[i] ?? 0) - (b.core[i] ?? 0);
    if (d !== 0) return d;
  }
  // A pre-release sorts before its release.
  if (!a.pre.length || !b.pre.length) return b.pre.length - a.pre.length;
  const m = Math.max(a.pre.length, b.pre.length);
  for (let i = 0; i < m; i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    // Numeric identifiers sort before alphanumeric ones.
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}
