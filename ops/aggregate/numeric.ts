// Accumulators over numbers: count, countStar, sum, avg, min/max of numbers and bool, and all-null min/max.
// Numbers are accumulated in float64: integer sums are exact while |sum| < 2^53.
import * as arrow from 'apache-arrow';
import { nullData } from '../expr/bits.ts';
import { fromNumbers, numbersOf } from '../expr/num.ts';
import type { TypeJSON } from '../types.ts';
import { bitsFromFlags, countUnset, growF64, growU8, validBits, type Accumulator } from './accumulator.ts';

/** count(x) counts non-null x; countStar counts rows. */
export class CountAccumulator implements Accumulator {
  private counts = new Float64Array(64);
  constructor(private readonly star: boolean) {}
  update(ids: Int32Array, n: number, arg: arrow.Data | null, nGroups: number): void {
    const c = (this.counts = growF64(this.counts, nGroups));
    const bits = this.star || !arg ? null : validBits(arg);
    if (!bits) { for (let i = 0; i < n; i++) c[ids[i]]++; return; }
    const off = arg!.offset;
    for (let i = 0; i < n; i++) { const j = off + i; if (bits[j >> 3] & (1 << (j & 7))) c[ids[i]]++; }
  }
  merge(ids: Int32Array, n: number, state: readonly arrow.Data[], nGroups: number): void {
    const c = (this.counts = growF64(this.counts, nGroups));
    const v = numbersOf(state[0]);
    for (let i = 0; i < n; i++) c[ids[i]] += v[i];
  }
  state(nGroups: number): arrow.Data[] { return [this.finish(nGroups)]; }
  finish(nGroups: number): arrow.Data { return fromNumbers('int64', growF64(this.counts, nGroups).subarray(0, nGroups), nGroups, null); }
  bytes(): number { return this.counts.byteLength; }
}

/** sum(x): null for a group without non-null values. */
export class SumAccumulator implements Accumulator {
  private sums = new Float64Array(64);
  private seen = new Uint8Array(64);
  constructor(private readonly outType: TypeJSON) {}
  update(ids: Int32Array, n: number, arg: arrow.Data | null, nGroups: number): void {
    this.add(ids, n, arg!, nGroups);
  }
  merge(ids: Int32Array, n: number, state: readonly arrow.Data[], nGroups: number): void {
    this.add(ids, n, state[0], nGroups);
  }
  private add(ids: Int32Array, n: number, d: arrow.Data, nGroups: number): void {
    const s = (this.sums = growF64(this.sums, nGroups));
    const seen = (this.seen = growU8(this.seen, nGroups));
    if (d.typeId === arrow.Type.Null) return;
    const v = numbersOf(d);
    const bits = validBits(d);
    const off = d.offset;
    for (let i = 0; i < n; i++) {
      const j = off + i;
      if (bits && !(bits[j >> 3] & (1 << (j & 7)))) continue;
      const g = ids[i];
      s[g] += v[i];
      seen[g] = 1;
    }
  }
  state(nGroups: number): arrow.Data[] { return [this.finish(nGroups)]; }
  finish(nGroups: number): arrow.Data {
    const seen = growU8(this.seen, nGroups);
    return fromNumbers(this.outType, growF64(this.sums, nGroups).subarray(0, nGroups), nGroups, bitsFromFlags(seen, nGroups));
  }
  bytes(): number { return this.sums.byteLength + this.seen.byteLength; }
}

/** avg(x) = sum / count over non-null x; null for a group without non-null values. */
export class AvgAccumulator implements Accumulator {
  private sums = new Float64Array(64);
  private counts = new Float64Array(64);
  update(ids: Int32Array, n: number, arg: arrow.Data | null, nGroups: number): void {
    const s = (this.sums = growF64(this.sums, nGroups));
    const c = (this.counts = growF64(this.counts, nGroups));
    const d = arg!;
    if (d.typeId === arrow.Type.Null) return;
    const v = numbersOf(d);
    const bits = validBits(d);
    const off = d.offset;
    for (let i = 0; i < n; i++) {
      const j = off + i;
      if (bits && !(bits[j >> 3] & (1 << (j & 7)))) continue;
      s[ids[i]] += v[i];
      c[ids[i]]++;
    }
  }
  merge(ids: Int32Array, n: number, state: readonly arrow.Data[], nGroups: number): void {
    const s = (this.sums = growF64(this.sums, nGroups));
    const c = (this.counts = growF64(this.counts, nGroups));
    const vs = numbersOf(state[0]), vc = numbersOf(state[1]);
    for (let i = 0; i < n; i++) { s[ids[i]] += vs[i]; c[ids[i]] += vc[i]; }
  }
  state(nGroups: number): arrow.Data[] {
    return [fromNumbers('float64', growF64(this.sums, nGroups).subarray(0, nGroups), nGroups, null), fromNumbers('int64', growF64(this.counts, nGroups).subarray(0, nGroups), nGroups, null)];
  }
  finish(nGroups: number): arrow.Data {
    const s = growF64(this.sums, nGroups), c = growF64(this.counts, nGroups);
    const out = new Float64Array(nGroups);
    const seen = new Uint8Array(nGroups);
    for (let g = 0; g < nGroups; g++) if (c[g] > 0) { out[g] = s[g] / c[g]; seen[g] = 1; }
    return fromNumbers('float64', out, nGroups, bitsFromFlags(seen, nGroups));
  }
  bytes(): number { return this.sums.byteLength + this.counts.byteLength; }
}

/**
 * min/max over values read as numbers: ints up to 32 bits, floats, date32 and bool (0/1).
 * NaN orders above every number (as in Spark and DuckDB): max is NaN once a NaN is seen.
 */
export class MinMaxNumberAccumulator implements Accumulator {
  private best = new Float64Array(64);
  private seen = new Uint8Array(64);
  constructor(private readonly isMax: boolean, private readonly type: TypeJSON) {}
  update(ids: Int32Array, n: number, arg: arrow.Data | null, nGroups: number): void {
    const best = (this.best = growF64(this.best, nGroups));
    const seen = (this.seen = growU8(this.seen, nGroups));
    const d = arg!;
    if (d.typeId === arrow.Type.Null) return;
    const v = numbersOf(d);
    const bits = validBits(d);
    const off = d.offset;
    const isMax = this.isMax;
    for (let i = 0; i < n; i++) {
      const j = off + i;
      if (bits && !(bits[j >> 3] & (1 << (j & 7)))) continue;
      const g = ids[i], x = v[i];
      if (!seen[g]) { best[g] = x; seen[g] = 1; continue; }
      const b = best[g];
      // "x above b" with NaN highest; equal values keep the old one.
      const above = x > b || (x !== x && b === b);
      const below = x < b || (b !== b && x === x);
      if (isMax ? above : below) best[g] = x;
    }
  }
  merge(ids: Int32Array, n: number, state: readonly arrow.Data[], nGroups: number): void {
    this.update(ids, n, state[0], nGroups);
  }
  state(nGroups: number): arrow.Data[] { return [this.finish(nGroups)]; }
  finish(nGroups: number): arrow.Data {
    const seen = growU8(this.seen, nGroups);
    const best = growF64(this.best, nGroups);
    const valid = bitsFromFlags(seen, nGroups);
    if (this.type === 'bool') {
      const bits = new Uint8Array((nGroups + 7) >> 3);
      for (let g = 0; g < nGroups; g++) if (best[g]) bits[g >> 3] |= 1 << (g & 7);
      const nulls = countUnset(seen, nGroups);
      return arrow.makeData({ type: new arrow.Bool(), length: nGroups, nullCount: nulls, nullBitmap: nulls ? valid : undefined, data: bits } as any);
    }
    return fromNumbers(this.type, best.subarray(0, nGroups), nGroups, valid);
  }
  bytes(): number { return this.best.byteLength + this.seen.byteLength; }
}

/** min/max of an all-null (null-typed) argument: always null. */
export class NullAccumulator implements Accumulator {
  update(): void {}
  merge(): void {}
  state(nGroups: number): arrow.Data[] { return [this.finish(nGroups)]; }
  finish(nGroups: number): arrow.Data { return nullData('null', nGroups); }
  bytes(): number { return 0; }
}
