// Summary statistics shared by every benchmark: medians and percentiles of one run, ratios.

/** The q-quantile (0..1) of `samples`, nearest rank. */
export function quantile(samples: number[], q: number): number {
  if (!samples.length) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export const median = (samples: number[]): number => quantile(samples, 0.5);
export const p95 = (samples: number[]): number => quantile(samples, 0.95);

/** A number rounded to `digits` decimals, for tables. */
export const round = (value: number, digits = 1): number => (Number.isFinite(value) ? +value.toFixed(digits) : value);

/** a ÷ b rounded to two decimals; undefined when b is not positive. */
export const ratio = (a: number, b: number): number | undefined => (b > 0 && Number.isFinite(a) ? +(a / b).toFixed(2) : undefined);

/** Rounds of a benchmark: env BENCH_ROUNDS, else the given default. */
export function rounds(fallback = 7): number {
  const n = Number(process.env.BENCH_ROUNDS);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}
