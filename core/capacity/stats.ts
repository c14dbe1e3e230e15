// Summaries of measured samples (task times, latencies): mean, coefficient of variation, percentiles.

export interface Summary { n: number; mean: number; sd: number; cv: number; min: number; p50: number; p90: number; p99: number; max: number }

/** The q-quantile of ascending `sorted` (linear interpolation between order statistics). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const at = q * (n - 1);
  const lo = Math.floor(at), hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/** Mean, sample sd, cv and percentiles of `xs` (NaN fields when empty). */
export function summarize(xs: readonly number[] | Float64Array): Summary {
  const n = xs.length;
  const sorted = Float64Array.from(xs).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  const mean = n ? sum / n : NaN;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (sorted[i] - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  return {
    n, mean, sd, cv: mean > 0 ? sd / mean : 0,
    min: n ? sorted[0] : NaN, p50: quantileSorted(sorted, 0.5), p90: quantileSorted(sorted, 0.9), p99: quantileSorted(sorted, 0.99), max: n ? sorted[n - 1] : NaN,
  };
}

/** The median of `xs` (NaN when empty). */
export function median(xs: readonly number[]): number {
  return quantileSorted(Float64Array.from(xs).sort(), 0.5);
}
