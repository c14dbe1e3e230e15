// Row hashing over Arrow columns: the one hash that shuffles, hash aggregation and hash joins share.
//
// Contract (every caller relies on it; changing it MUST change every producer of hashes at once,
// or a shuffle writes rows to partitions that a join or an aggregate does not expect):
//  - 32 bits per row, combining the row's values across `cols` in order (murmur3-style rounds).
//  - Numbers hash by their value as a float64: int32 7, int64 7n, uint8 7 and float64 7.0 hash
//    equal; -0 hashes as 0 and every NaN as one NaN. int64/uint64 beyond 2^53 hash as their
//    nearest float64 (equal values still hash equal; nearby values may collide).
//  - date32 hashes as its day number, timestamp_ms as its millisecond number (numbers again).
//  - utf8/binary hash their bytes (never decoded to JS strings); bool hashes true/false.
//  - null hashes as a fixed constant, so null keys land together.
//  - Pure arithmetic: the same on every process and machine.
import * as arrow from 'apache-arrow';
import { PlanError } from '../errors.ts';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
/** Starting state of every row hash. */
export const HASH_SEED = 0x5151_0b1d;
/** What a null contributes to its row's hash. */
export const NULL_HASH = 0x6e75_6c6c;
const TRUE_HASH = 0x7472_7565;
const FALSE_HASH = 0x6661_6c73;

/** One murmur3 round: mixes the 32-bit word `k` into the running hash `h`. */
export function mixRound(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** murmur3's finalizer: every input bit affects every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// Scratch for reading a float64's bits; module-level so the hot loops allocate nothing.
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/** The word pair of a number's float64 bits, folded into `h` (with -0 -> 0, NaN canonical). */
export function mixNumber(h: number, v: number): number {
  if (v === 0) v = 0;
  else if (v !== v) v = NaN;
  F64[0] = v;
  return mixRound(mixRound(h, U32[0]), U32[1]);
}

/** A little-endian view for word-at-a-time reads (unaligned DataView reads are fast in V8). */
export function bytesView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * murmur3_32 (seed 0) of bytes[start, end): what a utf8/binary cell contributes. `dv` MUST be
 * bytesView(bytes); hot loops create it once per column.
 */
export function hashBytes(bytes: Uint8Array, start: number, end: number, dv: DataView = bytesView(bytes)): number {
  let h = 0;
  let p = start;
  const stop4 = start + ((end - start) & ~3);
  for (; p < stop4; p += 4) {
    let k = dv.getInt32(p, true);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rem = end - p;
  if (rem > 0) {
    let k = bytes[p];
    if (rem > 1) k ^= bytes[p + 1] << 8;
    if (rem > 2) k ^= bytes[p + 2] << 16;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= end - start;
  return fmix32(h);
}

/** How a column's values hash and compare; fixed by its Arrow type. */
export enum KeyKind {
  /** Numbers read as JS numbers: ints up to 32 bits, floats, date32. */
  Number,
  /** 64-bit integers (int64, uint64, timestamp_ms) read as lo/hi int32 pairs. */
  Int64,
  Uint64,
  Bool,
  /** utf8 and binary: offsets + bytes. */
  Bytes,
  /** The null type: every row is null. */
  Null,
}

/** The KeyKind of an Arrow type; lists and other nested types cannot be hashed (PlanError). */
export function keyKindOf(t: arrow.DataType): KeyKind {
  switch (t.typeId) {
    case arrow.Type.Int: {
      const i = t as arrow.Int;
      if (i.bitWidth === 64) return i.isSigned ? KeyKind.Int64 : KeyKind.Uint64;
      return KeyKind.Number;
    }
    case arrow.Type.Float: case arrow.Type.Date: return KeyKind.Number;
    case arrow.Type.Timestamp: return KeyKind.Int64;
    case arrow.Type.Bool: return KeyKind.Bool;
    case arrow.Type.Utf8: case arrow.Type.Binary: return KeyKind.Bytes;
    case arrow.Type.Null: return KeyKind.Null;
  }
  throw new PlanError(`cannot use a column of type ${String(t)} as a grouping, join or partitioning key; keys must be numbers, bool, utf8, binary, date32 or timestamp_ms`);
}

/** An int32 view of 64-bit storage: element 2i is the low word, 2i+1 the high word of row i. */
export function int64Words(d: arrow.Data): Int32Array {
  const v = d.values as BigInt64Array;
  return new Int32Array(v.buffer, v.byteOffset, v.length * 2);
}

/** The float64 value of a 64-bit integer given as words (what it hashes as). */
export function wordsToNumber(lo: number, hi: number, signed: boolean): number {
  return (signed ? hi : hi >>> 0) * 4294967296 + (lo >>> 0);
}

/** The validity bitmap of `d` when it has nulls, else null (index it at d.offset + i). */
export function nullBits(d: arrow.Data): Uint8Array | null {
  if (d.typeId === arrow.Type.Null) return null;
  return d.nullCount > 0 && d.nullBitmap && d.nullBitmap.length > 0 ? d.nullBitmap : null;
}

/**
 * Folds column `d`'s value of every row into `h` (rows [0, n)). Exported so that callers
 * with one extra column (e.g. a group id) can extend an existing hash without recomputing.
 */
export function mixColumn(h: Uint32Array, d: arrow.Data, n: number): void {
  const kind = keyKindOf(d.type);
  const bits = nullBits(d);
  const off = d.offset;
  switch (kind) {
    case KeyKind.Null:
      for (let i = 0; i < n; i++) h[i] = mixRound(h[i], NULL_HASH);
      return;
    case KeyKind.Number: {
      const v = d.values as ArrayLike<number>;
      for (let i = 0; i < n; i++) {
        const j = off + i;
        h[i] = bits && (bits[j >> 3] & (1 << (j & 7))) === 0 ? mixRound(h[i], NULL_HASH) : mixNumber(h[i], v[i]);
      }
      return;
    }
    case KeyKind.Int64: case KeyKind.Uint64: {
      const w = int64Words(d);
      const signed = kind === KeyKind.Int64;
      for (let i = 0; i < n; i++) {
        const j = off + i;
        h[i] = bits && (bits[j >> 3] & (1 << (j & 7))) === 0 ? mixRound(h[i], NULL_HASH) : mixNumber(h[i], wordsToNumber(w[2 * i], w[2 * i + 1], signed));
      }
      return;
    }
    case KeyKind.Bool: {
      const v = d.values as Uint8Array;
      for (let i = 0; i < n; i++) {
        const j = off + i;
        if (bits && (bits[j >> 3] & (1 << (j & 7))) === 0) h[i] = mixRound(h[i], NULL_HASH);
        else h[i] = mixRound(h[i], (v[j >> 3] & (1 << (j & 7))) !== 0 ? TRUE_HASH : FALSE_HASH);
      }
      return;
    }
    case KeyKind.Bytes: {
      const o = d.valueOffsets as Int32Array;
      const b = d.values as Uint8Array;
      const dv = bytesView(b);
      for (let i = 0; i < n; i++) {
        const j = off + i;
        h[i] = bits && (bits[j >> 3] & (1 << (j & 7))) === 0 ? mixRound(h[i], NULL_HASH) : mixRound(h[i], hashBytes(b, o[i], o[i + 1], dv));
      }
      return;
    }
  }
}

/**
 * A 32-bit hash per row of `cols` (rows [0, n)), written into `out` when given (it MUST hold
 * at least n values). See the file comment for what hashes equal.
 */
export function hashColumns(cols: readonly arrow.Data[], n: number, out?: Uint32Array): Uint32Array {
  const h = out && out.length >= n ? out : new Uint32Array(n);
  h.fill(HASH_SEED, 0, n);
  for (const d of cols) mixColumn(h, d, n);
  for (let i = 0; i < n; i++) h[i] = fmix32(h[i]);
  return h;
}
