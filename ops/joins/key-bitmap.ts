// A bitmap of a hashed join's build keys over their range: probe rows whose key has no bit skip the hash table.
//
// When one integer build key is too sparse to index densely (dense-keys.ts), a bit per key of
// its range still fits in little memory. Most probe rows of a selective join (TPC-H Q12: 375k
// orders against 7.5k filtered lineitem keys per partition) find no build row; a bit test
// settles each of them in a few nanoseconds, where a hashed probe walks slots on branches that
// a random key mispredicts.
import * as arrow from 'apache-arrow';
import { nullBits } from '../compute/hash.ts';
import { intValues, type DenseRange } from './dense-keys.ts';

/** Ranges of at most this many keys get a bitmap whatever the rows (1 MB). */
const SMALL_BITS = 1 << 23;
/** Larger ranges: at most this many bits per build row (8 bytes, less than a hash table's slots). */
const BITS_PER_ROW = 64;

/** Whether keys spanning `r` over `n` build rows get a bitmap (at most max(2^23, 64n) bits). */
export function wantsBitmap(r: DenseRange, n: number): boolean {
  return r.range <= Math.max(SMALL_BITS, BITS_PER_ROW * n);
}

/** Bit key - min set for every non-null key of `d` (rows [0, n)), the column keyRange gave `r` for. */
export function keyBitmap(d: arrow.Data, n: number, r: DenseRange): Uint32Array {
  const v = intValues(d)!;
  const bits = nullBits(d), off = d.offset, min = r.min;
  const out = new Uint32Array((r.range + 31) >>> 5);
  for (let i = 0; i < n; i++) {
    if (bits !== null) { const j = off + i; if ((bits[j >> 3] & (1 << (j & 7))) === 0) continue; }
    const g = v[i] - min;
    out[g >>> 5] |= 1 << (g & 31);
  }
  return out;
}

/**
 * The probe rows (of [0, n)) whose key may have a build row: a non-null integer in the range
 * with its bit set. Their keys are returned as int32 (exact: they lie in the build keys' range).
 */
export function bitmapCandidates(d: arrow.Data, n: number, r: DenseRange, bitmap: Uint32Array): { rows: Int32Array; keys: Int32Array } {
  const v = d.values as ArrayLike<number>;
  const min = r.min, range = r.range;
  const bits = nullBits(d), off = d.offset;
  const rows = new Int32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const g = v[i] - min;
    // An integer in range only: NaN, 2.5 and keys far outside fail (g >>> 0 === g), and -0 is 0.
    if (g >>> 0 === g && g < range && (bitmap[g >>> 5] & (1 << (g & 31))) !== 0) rows[m++] = i;
  }
  let k = 0;
  if (bits !== null) {
    for (let t = 0; t < m; t++) { const i = rows[t], j = off + i; if ((bits[j >> 3] & (1 << (j & 7))) !== 0) rows[k++] = i; }
  } else {
    k = m;
  }
  const keys = new Int32Array(k);
  for (let t = 0; t < k; t++) keys[t] = v[rows[t]];
  return { rows: rows.subarray(0, k), keys };
}

/** `keys` as an int32 key column. */
export function int32Column(keys: Int32Array): arrow.Data {
  return arrow.makeData({ type: new arrow.Int32(), length: keys.length, nullCount: 0, data: keys });
}
