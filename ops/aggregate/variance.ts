// Variance and standard deviation (sample and population) from a per-group count, mean and M2, merged with Chan et al.'s formula.
//
// Welford's update and Chan, Golub and LeVeque's pairwise merge keep M2 = sum((x - mean)^2)
// without the cancellation of sum(x^2) - sum(x)^2 / n, so partial states from any number of
// tasks or spill runs merge to what one pass gives (up to rounding).
import * as arrow from 'apache-arrow';
import { fromNumbers, numbersOf } from '../expr/num.ts';
import { growF64, validBits, type Accumulator } from './accumulator.ts';

export type VarianceKind = 'varSamp' | 'varPop' | 'stddevSamp' | 'stddevPop';

/**
 * varSamp = M2 / (n - 1) and stddevSamp = its square root: null for fewer than 2 values (as in
 * Spark and DuckDB); varPop = M2 / n and stddevPop: null for no values. Nulls are skipped.
 */
export class VarianceAccumulator implements Accumulator {
  private counts = new Float64Array(64);
  private means = new Float64Array(64);
  private m2s = new Float64Array(64);
  constructor(private readonly kind: VarianceKind) {}

  update(ids: Int32Array, n: number, arg: arrow.Data | null, nGroups: number): void {
    this.grow(nGroups);
    const d = arg!;
    if (d.typeId === arrow.Type.Null) return;
    const c = this.counts, mean = this.means, m2 = this.m2s;
    const v = numbersOf(d);
    const bits = validBits(d);
    const off = d.offset;
    for (let i = 0; i < n; i++) {
      const j = off + i;
      if (bits && !(bits[j >> 3] & (1 << (j & 7)))) continue;
      const g = ids[i], x = v[i];
      const k = ++c[g];
      const delta = x - mean[g];
      mean[g] += delta / k;
      m2[g] += delta * (x - mean[g]);
    }
  }

  merge(ids: Int32Array, n: number, state: readonly arrow.Data[], nGroups: number): void {
    this.grow(nGroups);
    const c = this.counts, mean = this.means, m2 = this.m2s;
    const nb = numbersOf(state[0]), meanb = numbersOf(state[1]), m2b = numbersOf(state[2]);
    for (let i = 0; i < n; i++) {
      const b = nb[i];
      if (b === 0) continue;
      const g = ids[i], a = c[g], total = a + b;
      const delta = meanb[i] - mean[g];
      mean[g] += (delta * b) / total;
      m2[g] += m2b[i] + (delta * delta * a * b) / total;
      c[g] = total;
    }
  }

  state(nGroups: number): arrow.Data[] {
    this.grow(nGroups);
    return [
      fromNumbers('int64', this.counts.subarray(0, nGroups), nGroups, null),
      fromNumbers('float64', this.means.slice(0, nGroups), nGroups, null),
      fromNumbers('float64', this.m2s.slice(0, nGroups), nGroups, null),
    ];
  }

  finish(nGroups: number): arrow.Data {
    this.grow(nGroups);
    const sample = this.kind === 'varSamp' || this.kind === 'stddevSamp';
    const root = this.kind === 'stddevSamp' || this.kind === 'stddevPop';
    const out = new Float64Array(nGroups);
    const valid = new Uint8Array((nGroups + 7) >> 3);
    let nulls = 0;
    for (let g = 0; g < nGroups; g++) {
      const k = this.counts[g];
      if (k < (sample ? 2 : 1)) { nulls++; continue; }
      // Rounding can leave M2 a hair below zero for constant input; the variance is 0 then.
      const variance = Math.max(0, this.m2s[g]) / (sample ? k - 1 : k);
      out[g] = root ? Math.sqrt(variance) : variance;
      valid[g >> 3] |= 1 << (g & 7);
    }
    return fromNumbers('float64', out, nGroups, nulls ? valid : null);
  }

  bytes(): number { return this.counts.byteLength + this.means.byteLength + this.m2s.byteLength; }

  private grow(nGroups: number): void {
    this.counts = growF64(this.counts, nGroups);
    this.means = growF64(this.means, nGroups);
    this.m2s = growF64(this.m2s, nGroups);
  }
}
