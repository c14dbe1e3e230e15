// min/max accumulators for 64-bit integers (compared exactly as word pairs) and utf8/binary (bytewise).
import * as arrow from 'apache-arrow';
import { int64Words } from '../compute/hash.ts';
import { toArrowType, type TypeJSON } from '../types.ts';
import { bitsFromFlags, countUnset, growI32, growU8, validBits, type Accumulator } from './accumulator.ts';

/** min/max of int64, uint64 and timestamp_ms, exact over the full 64-bit range. */
export class MinMaxInt64Accumulator implements Accumulator {
  /** Words of group g's best value at 2g (low) and 2g+1 (high). */
  private words = new Int32Array(128);
  private seen = new Uint8Array(64);
  private readonly signed: boolean;
  constructor(private readonly isMax: boolean, private readonly type: TypeJSON) {
    this.signed = type !== 'uint64';
  }
  update(ids: Int32Array, n: number, arg: arrow.Data | null, nGroups: number): void {
    const w = (this.words = growI32(this.words, 2 * nGroups));
    const seen = (this.seen = growU8(this.seen, nGroups));
    const d = arg!;
    const v = int64Words(d);
    const bits = validBits(d);
    const off = d.offset;
    const signed = this.signed, isMax = this.isMax;
    for (let i = 0; i < n; i++) {
      const j = off + i;
      if (bits && !(bits[j >> 3] & (1 << (j & 7)))) continue;
      const g = ids[i];
      const lo = v[2 * i], hi = v[2 * i + 1];
      if (seen[g]) {
        const bhi = w[2 * g + 1], blo = w[2 * g];
        let cmp: number;
        if (hi !== bhi) cmp = (signed ? hi < bhi : hi >>> 0 < bhi >>> 0) ? -1 : 1;
        else cmp = lo === blo ? 0 : lo >>> 0 < blo >>> 0 ? -1 : 1;
        if (isMax ? cmp <= 0 : cmp >= 0) continue;
      }
      seen[g] = 1;
      w[2 * g] = lo;
      w[2 * g + 1] = hi;
    }
  }
  merge(ids: Int32Array, n: number, state: readonly arrow.Data[], nGroups: number): void {
    this.update(ids, n, state[0], nGroups);
  }
  state(nGroups: number): arrow.Data[] { return [this.finish(nGroups)]; }
  finish(nGroups: number): arrow.Data {
    const w = growI32(this.words, 2 * nGroups);
    const seen = growU8(this.seen, nGroups);
    const buf = w.slice(0, 2 * nGroups).buffer;
    const data = this.type === 'uint64' ? new BigUint64Array(buf) : new BigInt64Array(buf);
    const valid = bitsFromFlags(seen, nGroups);
    const nulls = countUnset(seen, nGroups);
    return arrow.makeData({ type: toArrowType(this.type), length: nGroups, nullCount: nulls, nullBitmap: nulls ? valid : undefined, data } as any);
  }
  bytes(): number { return this.words.byteLength + this.seen.byteLength; }
}

/** Unsigned lexicographic order of a[ao, ao+al) and b[bo, bo+bl): UTF-8 byte order is code point order. */
function compareBytes(a: Uint8Array, ao: number, al: number, b: Uint8Array, bo: number, bl: number): number {
  const m = al < bl ? al : bl;
  for (let t = 0; t < m; t++) {
    const x = a[ao + t], y = b[bo + t];
    if (x !== y) return x < y ? -1 : 1;
  }
  return al - bl;
}

/** min/max of utf8 and binary; each group keeps a copy of its current best bytes. */
export class MinMaxBytesAccumulator implements Accumulator {
  private best: (Uint8Array | null)[] = [];
  private held = 0;
  constructor(private readonly isMax: boolean, private readonly type: TypeJSON) {}
  update(ids: Int32Array, n: number, arg: arrow.Data | null, nGroups: number): void {
    const best = this.best;
    while (best.length < nGroups) best.push(null);
    const d = arg!;
    const offs = d.valueOffsets as Int32Array, bytes = d.values as Uint8Array;
    const bits = validBits(d);
    const off = d.offset;
    for (let i = 0; i < n; i++) {
      const j = off + i;
      if (bits && !(bits[j >> 3] & (1 << (j & 7)))) continue;
      const g = ids[i];
      const a = offs[i], len = offs[i + 1] - a;
      const cur = best[g];
      if (cur !== null) {
        const cmp = compareBytes(bytes, a, len, cur, 0, cur.length);
        if (this.isMax ? cmp <= 0 : cmp >= 0) continue;
        this.held -= cur.length;
      }
      best[g] = bytes.slice(a, a + len);
      this.held += len + 64;
    }
  }
  merge(ids: Int32Array, n: number, state: readonly arrow.Data[], nGroups: number): void {
    this.update(ids, n, state[0], nGroups);
  }
  state(nGroups: number): arrow.Data[] { return [this.finish(nGroups)]; }
  finish(nGroups: number): arrow.Data {
    const best = this.best;
    const offs = new Int32Array(nGroups + 1);
    const seen = new Uint8Array(nGroups);
    let total = 0;
    for (let g = 0; g < nGroups; g++) {
      const b = best[g] ?? null;
      if (b !== null) { total += b.length; seen[g] = 1; }
      offs[g + 1] = total;
    }
    const data = new Uint8Array(total);
    for (let g = 0; g < nGroups; g++) { const b = best[g] ?? null; if (b) data.set(b, offs[g]); }
    const valid = bitsFromFlags(seen, nGroups);
    const nulls = countUnset(seen, nGroups);
    return arrow.makeData({ type: toArrowType(this.type), length: nGroups, nullCount: nulls, nullBitmap: nulls ? valid : undefined, valueOffsets: offs, data } as any);
  }
  bytes(): number { return this.held + this.best.length * 8; }
}
