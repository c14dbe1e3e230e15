// QuantileSketch: exact for small inputs, within its documented rank error (< n / accuracy) for large, skewed and merged ones, answers always input values.
import { describe, expect, it } from 'vitest';
import { levelCapacity, QuantileSketch } from '../../ops/aggregate/quantile-sketch.ts';
import { rng } from './aggregate-support.ts';

const PS = Array.from({ length: 101 }, (_, i) => i / 100);

/** Spark's exact answer: the sorted value at rank max(1, ceil(p * n)). */
const exact = (sorted: Float64Array, p: number) => sorted[Math.max(1, Math.ceil(p * sorted.length - 1e-9 * sorted.length)) - 1];

/** How far the ranks a value occupies in `sorted` ([#< v + 1, #<= v]) are from `target` (0 when it covers it). */
function rankDistance(sorted: Float64Array, v: number, target: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) { const m = (lo + hi) >> 1; if (sorted[m] < v) lo = m + 1; else hi = m; }
  const below = lo;
  hi = sorted.length;
  while (lo < hi) { const m = (lo + hi) >> 1; if (sorted[m] <= v) lo = m + 1; else hi = m; }
  const upTo = lo;
  if (upTo === below) return Infinity; // not an input value
  return target < below + 1 ? below + 1 - target : target > upTo ? target - upTo : 0;
}

function worstError(values: Float64Array, answers: number[]): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return Math.max(...answers.map((v, i) => rankDistance(sorted, v, Math.max(1, Math.ceil(PS[i] * n - 1e-9 * n)))));
}

function sketchOf(values: ArrayLike<number>, accuracy: number): QuantileSketch {
  const s = new QuantileSketch(accuracy);
  for (let i = 0; i < values.length; i++) s.add(values[i]);
  return s;
}

/** Merges `b` into `a` the way a final aggregate does: level by level. */
function mergeInto(a: QuantileSketch, b: QuantileSketch): QuantileSketch {
  b.levels.forEach((lv, h) => a.addLevel(h, lv, 0, lv.length));
  return a;
}

const N = 100_000;
const r = rng(5);
const INPUTS: Record<string, Float64Array> = {
  uniform: Float64Array.from({ length: N }, () => r()),
  sorted: Float64Array.from({ length: N }, (_, i) => i),
  reversed: Float64Array.from({ length: N }, (_, i) => N - i),
  'few distinct': Float64Array.from({ length: N }, () => Math.floor(r() * 5)),
  skewed: Float64Array.from({ length: N }, () => Math.exp(r() * 30)),
  constant: new Float64Array(N).fill(7),
};

describe('QuantileSketch', () => {
  it('is exact while it holds at most 2 * accuracy values', () => {
    for (const n of [1, 2, 3, 10, 199, 200]) {
      const values = Float64Array.from({ length: n }, () => Math.round(r() * 1000));
      const s = sketchOf(values, 100);
      const sorted = Float64Array.from(values).sort();
      expect(s.quantiles(PS)).toEqual(PS.map((p) => exact(sorted, p)));
      expect(s.levels.length).toBe(1);
    }
  });

  it('is empty (null) without values', () => {
    expect(new QuantileSketch(10).quantiles([0.5])).toBeNull();
  });

  for (const [name, values] of Object.entries(INPUTS)) {
    it(`${name} input: one sketch and a merge of 16 stay within n / accuracy ranks`, () => {
      const accuracy = 50;
      const bound = N / accuracy;
      const one = sketchOf(values, accuracy);
      expect(one.count).toBe(N);
      expect(worstError(values, one.quantiles(PS)!)).toBeLessThan(bound);
      // 16 partial sketches over contiguous slices, merged left to right and as a tree.
      const parts = Array.from({ length: 16 }, (_, i) => sketchOf(values.subarray((i * N) / 16, ((i + 1) * N) / 16), accuracy));
      const chain = parts.reduce(mergeInto, new QuantileSketch(accuracy));
      expect(chain.count).toBe(N);
      expect(worstError(values, chain.quantiles(PS)!)).toBeLessThan(bound);
      let level: QuantileSketch[] = Array.from({ length: 16 }, (_, i) => sketchOf(values.subarray((i * N) / 16, ((i + 1) * N) / 16), accuracy));
      while (level.length > 1) level = Array.from({ length: level.length / 2 }, (_, i) => mergeInto(level[2 * i], level[2 * i + 1]));
      expect(worstError(values, level[0].quantiles(PS)!)).toBeLessThan(bound);
    });
  }

  it('holds far fewer items than values: each level stays within its capacity', () => {
    const s = sketchOf(INPUTS.uniform, 50);
    s.levels.forEach((lv, h) => expect(lv.length).toBeLessThanOrEqual(levelCapacity(50, h)));
    expect(s.size).toBeLessThan(N / 4);
    // The weights still add up to every value seen.
    expect(s.levels.reduce((sum, lv, h) => sum + lv.length * 2 ** h, 0)).toBe(N);
  });

  it('orders NaN above every number', () => {
    const s = sketchOf([3, NaN, 1, 2], 10);
    expect(s.quantiles([0, 0.5, 1])).toEqual([1, 2, NaN]);
  });
});
