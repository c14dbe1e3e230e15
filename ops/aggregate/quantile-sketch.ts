// QuantileSketch: a mergeable, deterministic quantile summary (a compactor stack, as in MRL and KLL) whose answers are input values.
//
// Level h holds items that stand for 2^h input values each. A value enters level 0; when level
// h holds more than capacity(h) = accuracy * (h + 1) * (h + 2) items, it is compacted: sorted,
// and of each adjacent pair one item (the first or the second, alternating per level) moves up
// to level h + 1, where it weighs twice as much; with an odd count the largest item stays. A
// merge appends the other sketch's levels to these and compacts what overflows.
//
// Error bound (deterministic, for any input order and any tree of merges): for every x, the
// estimated number of values <= x differs from the true one by less than n / accuracy, where n
// is the number of values. One compaction at level h moves a count by at most 2^h; weight is
// conserved, so at most n / 2^h values ever enter level h, and each compaction consumes at
// least capacity(h) of them: level h contributes at most n / capacity(h), and
// sum over h of 1 / ((h + 1)(h + 2)) < 1. A quantile query returns the smallest item whose
// estimated rank reaches ceil(p * n), so the returned value occupies some true rank within
// n / accuracy of ceil(p * n). A sketch of at most 2 * accuracy values never compacts: exact.
// Memory: about accuracy * L^3 / 3 items for L levels (L ~ log2(n / accuracy)).

/** Items level h may hold before it is compacted (even, so a full level compacts whole). */
export function levelCapacity(accuracy: number, h: number): number {
  return accuracy * (h + 1) * (h + 2);
}

export class QuantileSketch {
  /** levels[h]: items of weight 2^h, in no particular order. */
  readonly levels: number[][] = [[]];
  /** Per level, the offset (0 or 1) the next compaction keeps. */
  private readonly flips: number[] = [0];
  /** Items held over all levels. */
  size = 0;
  /** Values summarized (the sum of the items' weights). */
  count = 0;

  constructor(readonly accuracy: number) {}

  /** Adds one input value. */
  add(x: number): void {
    const l0 = this.levels[0];
    l0.push(x);
    this.size++;
    this.count++;
    if (l0.length > levelCapacity(this.accuracy, 0)) this.settle(0);
  }

  /** Adds items[from, to) of weight 2^h (another sketch's level h), then compacts what overflows. */
  addLevel(h: number, items: ArrayLike<number>, from: number, to: number): void {
    if (to <= from) return;
    this.ensureLevel(h);
    const lv = this.levels[h];
    for (let i = from; i < to; i++) lv.push(items[i]);
    this.size += to - from;
    this.count += (to - from) * 2 ** h;
    this.settle(h);
  }

  /**
   * The value at each percentage p in [0, 1]: the smallest item whose estimated rank (the
   * weight of the items <= it) reaches ceil(p * n), at least 1 (Spark's percentile_approx).
   * NaN sorts above every number. Null when the sketch is empty.
   */
  quantiles(ps: readonly number[]): number[] | null {
    if (this.count === 0) return null;
    const values = new Float64Array(this.size);
    const weights = new Float64Array(this.size);
    let at = 0;
    this.levels.forEach((lv, h) => { for (const x of lv) { values[at] = x; weights[at++] = 2 ** h; } });
    const order = sortedOrder(values);
    return ps.map((p) => {
      // p * n is computed in doubles (0.3 * 10 = 3.0000000000000004): forgive that rounding.
      const target = Math.max(1, Math.ceil(p * this.count - 1e-9 * this.count));
      let cum = 0;
      for (const i of order) {
        cum += weights[i];
        if (cum >= target) return values[i];
      }
      return values[order[order.length - 1]];
    });
  }

  /** Compacts level h and every level above it that overflows in turn. */
  private settle(h: number): void {
    for (let l = h; l < this.levels.length; l++) {
      if (this.levels[l].length > levelCapacity(this.accuracy, l)) this.compact(l);
    }
  }

  private compact(h: number): void {
    const sorted = Float64Array.from(this.levels[h]).sort(); // typed sort: numeric, NaN last
    const m = sorted.length & ~1;
    this.ensureLevel(h + 1);
    const up = this.levels[h + 1];
    for (let i = this.flips[h]; i < m; i += 2) up.push(sorted[i]);
    this.flips[h] ^= 1;
    this.levels[h] = m < sorted.length ? [sorted[m]] : [];
    this.size -= m / 2;
  }

  private ensureLevel(h: number): void {
    while (this.levels.length <= h) { this.levels.push([]); this.flips.push(0); }
  }
}

/** Indices of `values` in ascending order, NaN last. */
function sortedOrder(values: Float64Array): Int32Array {
  const order = Int32Array.from({ length: values.length }, (_, i) => i);
  return order.sort((a, b) => {
    const x = values[a], y = values[b];
    if (x !== x) return y !== y ? 0 : 1;
    if (y !== y) return -1;
    return x - y;
  });
}
