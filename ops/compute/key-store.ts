// The stored keys of one KeyTable column (typed arrays, a byte arena for utf8/binary) and a batch column unpacked for probing.
import * as arrow from 'apache-arrow';
import { InternalError } from '../errors.ts';
import { int64Words, KeyKind, keyKindOf, nullBits } from './hash.ts';

export type NumArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array;

/** The stored keys of one column, row g holding group g's key. */
export interface KeyStore {
  readonly kind: KeyKind;
  readonly type: arrow.DataType;
  /** Number: values; Int64/Uint64: word pairs; Bool: 0/1 bytes. */
  vals: NumArray;
  /** Bytes: offs[g]..offs[g+1] into arena. */
  offs: Int32Array;
  arena: Uint8Array;
  arenaLen: number;
  /** 1 where the key is valid; only kept with NullKeys 'group'. */
  valid: Uint8Array;
}

/** One batch's key column, unpacked for the probe loops. */
export interface KeyInput {
  kind: KeyKind;
  /** Number: values; Int64/Uint64: word pairs (int64Words); Bool: the bit-packed values. */
  vals: ArrayLike<number>;
  offs: Int32Array;
  bytes: Uint8Array;
  /** Validity bitmap (index at off + i), null when the column has no nulls. */
  bits: Uint8Array | null;
  off: number;
}

function numArrayFor(t: arrow.DataType, n: number): NumArray {
  switch (t.typeId) {
    case arrow.Type.Int: {
      const i = t as arrow.Int;
      switch (i.bitWidth) {
        case 8: return i.isSigned ? new Int8Array(n) : new Uint8Array(n);
        case 16: return i.isSigned ? new Int16Array(n) : new Uint16Array(n);
        case 32: return i.isSigned ? new Int32Array(n) : new Uint32Array(n);
      }
      break;
    }
    case arrow.Type.Float: return (t as arrow.Float).precision === arrow.Precision.SINGLE ? new Float32Array(n) : new Float64Array(n);
    case arrow.Type.Date: return new Int32Array(n);
  }
  return new Float64Array(n);
}

/** `a` when it holds `need` elements, else a copy at least twice as long. */
export function grow<T extends NumArray | Uint8Array | Int32Array>(a: T, need: number): T {
  if (a.length >= need) return a;
  let cap = Math.max(16, a.length);
  while (cap < need) cap *= 2;
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}

export function newStore(type: arrow.DataType): KeyStore {
  const kind = keyKindOf(type);
  return {
    kind, type,
    vals: kind === KeyKind.Number ? numArrayFor(type, 16) : kind === KeyKind.Int64 || kind === KeyKind.Uint64 ? new Int32Array(32) : new Uint8Array(kind === KeyKind.Bool ? 16 : 0),
    offs: new Int32Array(kind === KeyKind.Bytes ? 17 : 0),
    arena: new Uint8Array(kind === KeyKind.Bytes ? 256 : 0),
    arenaLen: 0,
    valid: new Uint8Array(16),
  };
}

/** Makes room in `s` for group g. */
export function growStore(s: KeyStore, g: number): void {
  if (g >= s.valid.length) s.valid = grow(s.valid, g + 1);
  switch (s.kind) {
    case KeyKind.Number: case KeyKind.Bool: s.vals = grow(s.vals, g + 1); break;
    case KeyKind.Int64: case KeyKind.Uint64: s.vals = grow(s.vals, 2 * g + 2); break;
    case KeyKind.Bytes: s.offs = grow(s.offs, g + 2); break;
  }
}

/**
 * Makes room in `s` for groups up to `groups` (exclusive) and for `bytes` more arena bytes, so a
 * probe loop that reserved once per batch appends without a check per row.
 */
export function reserveStore(s: KeyStore, groups: number, bytes: number): void {
  if (groups > 0) growStore(s, groups - 1);
  if (s.kind === KeyKind.Bytes && s.arenaLen + bytes > s.arena.length) s.arena = grow(s.arena, s.arenaLen + bytes);
}

export function unpack(d: arrow.Data, kind: KeyKind): KeyInput {
  const k = keyKindOf(d.type);
  if (k !== kind) throw new InternalError(`KeyTable: key column of type ${String(d.type)} does not match the table's key kind ${KeyKind[kind]}; convert both sides to a common type first`);
  const empty = new Int32Array(0);
  return {
    kind,
    vals: kind === KeyKind.Int64 || kind === KeyKind.Uint64 ? int64Words(d) : kind === KeyKind.Bytes || kind === KeyKind.Null ? empty : d.values,
    offs: kind === KeyKind.Bytes ? (d.valueOffsets as Int32Array) : empty,
    bytes: kind === KeyKind.Bytes ? (d.values as Uint8Array) : new Uint8Array(0),
    bits: nullBits(d),
    off: d.offset,
  };
}

export function isNullAt(c: KeyInput, i: number): boolean {
  if (c.kind === KeyKind.Null) return true;
  const b = c.bits;
  if (!b) return false;
  const j = c.off + i;
  return (b[j >> 3] & (1 << (j & 7))) === 0;
}

/**
 * Copies src[from, from + len) to dst at `to`. Short keys (most group and join keys) byte by
 * byte: `set(subarray(...))` allocates a view per key, and at hundreds of thousands of new keys
 * a batch those views cost more in garbage collection than the copy.
 */
export function copyBytes(src: Uint8Array, from: number, len: number, dst: Uint8Array, to: number): void {
  if (len > 64) { dst.set(src.subarray(from, from + len), to); return; }
  for (let k = 0; k < len; k++) dst[to + k] = src[from + k];
}

/** Whether x[xo, xo + len) equals y[yo, yo + len), a byte at a time (short keys, and chain walks that have no DataViews at hand). */
export function sameBytes(x: Uint8Array, xo: number, y: Uint8Array, yo: number, len: number): boolean {
  for (let t = 0; t < len; t++) if (x[xo + t] !== y[yo + t]) return false;
  return true;
}

/**
 * Whether x[xo, xo + len) equals y[yo, yo + len), len >= 8: eight bytes a step, read as float64
 * (the last step overlapping). Doubles that compare equal have equal bits unless they are zeros
 * (+0 === -0), and NaNs compare unequal whatever their bits: those two cases are compared again
 * as int32 words.
 */
function sameLong(x: DataView, xo: number, y: DataView, yo: number, len: number): boolean {
  const last = len - 8;
  for (let k = 0; ; k = k + 8 < last ? k + 8 : last) {
    const a = x.getFloat64(xo + k, true), b = y.getFloat64(yo + k, true);
    // Equal doubles with unequal bits: +0 and -0. Unequal doubles with equal bits: two NaNs.
    if (a === b ? a === 0 && !sameWords(x, xo + k, y, yo + k) : a !== a && b !== b ? !sameWords(x, xo + k, y, yo + k) : true) return false;
    if (k === last) return true;
  }
}

function sameWords(x: DataView, xo: number, y: DataView, yo: number): boolean {
  return x.getInt32(xo, true) === y.getInt32(yo, true) && x.getInt32(xo + 4, true) === y.getInt32(yo + 4, true);
}

/** Whether x[xo, xo + len) equals y[yo, yo + len); xv and yv are bytesView(x) and bytesView(y). */
export function sameKeyBytes(x: Uint8Array, xv: DataView, xo: number, y: Uint8Array, yv: DataView, yo: number, len: number): boolean {
  return len >= 8 ? sameLong(xv, xo, yv, yo, len) : sameBytes(x, xo, y, yo, len);
}

/** The first n keys of `s` as Data (offset 0); `trackNull` when s.valid is kept. */
export function storeToData(s: KeyStore, n: number, trackNull: boolean): arrow.Data {
  let nullBitmap: Uint8Array | undefined;
  let nullCount = 0;
  if (s.kind === KeyKind.Null) return arrow.makeData({ type: s.type, length: n, nullCount: n } as any);
  if (trackNull) {
    for (let g = 0; g < n; g++) if (!s.valid[g]) nullCount++;
    if (nullCount > 0) {
      nullBitmap = new Uint8Array((n + 7) >> 3);
      for (let g = 0; g < n; g++) if (s.valid[g]) nullBitmap[g >> 3] |= 1 << (g & 7);
    }
  }
  const base = { type: s.type, length: n, nullCount, nullBitmap };
  switch (s.kind) {
    case KeyKind.Number: return arrow.makeData({ ...base, data: s.vals.slice(0, n) } as any);
    case KeyKind.Int64: return arrow.makeData({ ...base, data: new BigInt64Array(s.vals.buffer.slice(0, n * 8)) } as any);
    case KeyKind.Uint64: return arrow.makeData({ ...base, data: new BigUint64Array(s.vals.buffer.slice(0, n * 8)) } as any);
    case KeyKind.Bool: {
      const bits = new Uint8Array((n + 7) >> 3);
      for (let g = 0; g < n; g++) if (s.vals[g]) bits[g >> 3] |= 1 << (g & 7);
      return arrow.makeData({ ...base, data: bits } as any);
    }
    case KeyKind.Bytes:
      return arrow.makeData({ ...base, valueOffsets: s.offs.slice(0, n + 1), data: s.arena.slice(0, s.offs[n]) } as any);
  }
  throw new InternalError(`KeyTable: unknown key kind ${s.kind}`);
}
