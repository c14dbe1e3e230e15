// Dense join keys: a build side whose one integer key spans a small range is indexed by key - min (a perfect hash), with no hash table.
//
// Keys such as TPC-H's order, part, supplier and nation keys are small integers with few gaps.
// Indexing the build rows by key - min replaces a hash table's insert and a probe's hash, slot
// walk and compare (branches a random key mispredicts) with one bounds check and two loads.
import * as arrow from 'apache-arrow';
import { nullBits } from '../compute/hash.ts';

/** Ranges of at most this many keys are dense whatever the row count (1 MB of group starts). */
const SMALL_RANGE = 1 << 18;
/**
 * Larger ranges: at most this many keys per build row, 40 bytes of group starts a row; a hash
 * table takes about as much (2-4 slots of 8 bytes, a hash and the stored key per key).
 */
const KEYS_PER_ROW = 10;
/** Never more than this (256 MB of group starts). */
const MAX_RANGE = 1 << 26;

/** Build keys in [min, min + range): group g holds the build rows whose key is min + g. */
export interface DenseRange {
  readonly min: number;
  readonly range: number;
}

type IntArray = Int32Array | Int16Array | Int8Array | Uint16Array | Uint8Array;

/** The values of an integer column of at most 32 bits whose every value is exact in an Int32 (uint32 excluded), or null. */
export function intValues(d: arrow.Data): IntArray | null {
  const t = d.type;
  const intType = (arrow.DataType.isInt(t) && t.bitWidth <= 32 && (t.isSigned || t.bitWidth < 32)) || (arrow.DataType.isDate(t) && t.unit === arrow.DateUnit.DAY);
  if (!intType) return null;
  const v = d.values as unknown;
  return v instanceof Int32Array || v instanceof Int16Array || v instanceof Int8Array || v instanceof Uint16Array || v instanceof Uint8Array ? v : null;
}

/**
 * The span [min, min + range) of the non-null values of the one build key column in `keys`
 * (rows [0, n)) when it is an integer column of at most 32 bits; null otherwise (several key
 * columns, other types, or no non-null key).
 */
export function keyRange(keys: readonly arrow.Data[], n: number): DenseRange | null {
  if (keys.length !== 1 || n === 0) return null;
  const d = keys[0];
  const v = intValues(d);
  if (!v) return null;
  const bits = nullBits(d), off = d.offset;
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < n; i++) {
    if (bits !== null) { const j = off + i; if ((bits[j >> 3] & (1 << (j & 7))) === 0) continue; }
    const x = v[i];
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return min > max ? null : { min, range: max - min + 1 };
}

/** Whether build keys spanning `r` are dense enough over `n` build rows to index by key - min: at most max(2^18, 10n) keys. */
export function isDense(r: DenseRange, n: number): boolean {
  return r.range <= MAX_RANGE && r.range <= Math.max(SMALL_RANGE, KEYS_PER_ROW * n);
}

/**
 * The build rows grouped by key, as a JoinHashTable holds them: rows[start[g] .. start[g+1])
 * are the rows (in build order) whose key is min + g (`start` has range + 2 entries). Null keys
 * are left out (they never match).
 * `d` MUST be the column keyRange gave `k` for, with the same `n`.
 */
export function denseGroups(d: arrow.Data, n: number, k: DenseRange): { start: Int32Array; rows: Int32Array } {
  const v = intValues(d)!;
  const bits = nullBits(d), off = d.offset, min = k.min | 0, range = k.range;
  // Counting sort with the counts two places on: after the prefix sums c[g + 1] is group g's
  // first place, and placing its rows moves it to the group's end, which is c[g + 1]'s start:
  // the array ends as the group starts without another pass over the range.
  const c = new Int32Array(range + 2);
  if (bits === null) {
    for (let i = 0; i < n; i++) c[v[i] - min + 2]++;
  } else {
    for (let i = 0; i < n; i++) { const j = off + i; if ((bits[j >> 3] & (1 << (j & 7))) !== 0) c[v[i] - min + 2]++; }
  }
  for (let g = 2; g < range + 2; g++) c[g] += c[g - 1];
  const rows = new Int32Array(c[range + 1]);
  if (bits === null) {
    for (let i = 0; i < n; i++) rows[c[v[i] - min + 1]++] = i;
  } else {
    for (let i = 0; i < n; i++) { const j = off + i; if ((bits[j >> 3] & (1 << (j & 7))) !== 0) rows[c[v[i] - min + 1]++] = i; }
  }
  return { start: c, rows };
}

/**
 * ids[i] = the group of probe row i's key (key - min) when a build row has that key, else -1
 * (outside the range, empty group, a null, or a number that is not an integer). `d` is the
 * probe key column: any number type (int or float), compared by value.
 */
export function probeDense(d: arrow.Data, n: number, k: DenseRange, start: Int32Array, ids: Int32Array): Int32Array {
  const v = d.values as ArrayLike<number>;
  // Small integers (the keys are int32 values), so that the loop below stays in int32 arithmetic.
  const min = k.min | 0, max = (k.min + k.range - 1) | 0, range = k.range | 0;
  if (intValues(d) !== null) {
    for (let i = 0; i < n; i++) {
      const x = v[i];
      const g = (x - min) | 0;
      // An empty group (start[g] === start[g + 1]) gives -1 without a branch.
      ids[i] = x >= min && x <= max ? g | ~((start[g] - start[g + 1]) >> 31) : -1;
    }
  } else {
    // Floats and uint32: an integer in range only (NaN and 2.5 are not, and -0 is 0).
    for (let i = 0; i < n; i++) {
      const g = v[i] - min;
      ids[i] = g >>> 0 === g && g < range ? g | ~((start[g] - start[g + 1]) >> 31) : -1;
    }
  }
  const bits = nullBits(d);
  if (bits !== null) {
    const off = d.offset;
    for (let i = 0; i < n; i++) { const j = off + i; if ((bits[j >> 3] & (1 << (j & 7))) === 0) ids[i] = -1; }
  }
  return ids;
}
