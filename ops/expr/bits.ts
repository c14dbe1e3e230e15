// Bitmap and Data-building helpers shared by the expression kernels.
import * as arrow from 'apache-arrow';
import { fromArrowType, toArrowType, type StructTypeJSON, type TypeJSON } from '../types.ts';

/** A row-aligned bitmap (bit i = row i, starting at bit 0 of byte 0). */
export type Bits = Uint8Array;

export const byteLen = (n: number): number => (n + 7) >> 3;

/** Bits [offset, offset + n) of `src` moved to start at bit 0 (a view when byte-aligned). */
export function alignBits(src: Uint8Array, offset: number, n: number): Bits {
  if ((offset & 7) === 0) {
    const start = offset >> 3;
    return src.subarray(start, start + byteLen(n));
  }
  const out = new Uint8Array(byteLen(n));
  const shift = offset & 7;
  const start = offset >> 3;
  const nb = out.length;
  for (let k = 0; k < nb; k++) {
    out[k] = ((src[start + k] >> shift) | ((src[start + k + 1] ?? 0) << (8 - shift))) & 0xff;
  }
  return out;
}

/** Validity of `d`'s rows aligned to bit 0, or null when every row is valid. */
export function validity(d: arrow.Data): Bits | null {
  const n = d.length;
  if (d.typeId === arrow.Type.Null) return new Uint8Array(byteLen(n));
  if (!d.nullBitmap || d.nullBitmap.length === 0 || d.nullCount === 0) return null;
  return alignBits(d.nullBitmap, d.offset, n);
}

/** Bool values of `d` aligned to bit 0 (a view when byte-aligned). */
export function boolBits(d: arrow.Data): Bits {
  return alignBits(d.values as Uint8Array, d.offset, d.length);
}

/** AND of validities; null means all valid. Always returns a fresh array when non-null. */
export function andValidity(a: Bits | null, b: Bits | null, n: number): Bits | null {
  if (!a && !b) return null;
  const out = new Uint8Array(byteLen(n));
  if (a && b) for (let k = 0; k < out.length; k++) out[k] = a[k] & b[k];
  else out.set((a ?? b)!.subarray(0, out.length));
  return out;
}

/** Number of zero bits among the first n bits. */
export function countNulls(bits: Bits | null, n: number): number {
  return bits ? n - countOnes(bits, n) : 0;
}

/**
 * Number of set bits among the first n bits: 32 at a time with the SWAR popcount where the
 * bitmap's bytes are 4-aligned in their buffer, then a byte table, then the last bits one by one.
 */
export function countOnes(bits: Bits, n: number): number {
  const full = n >> 3;
  let c = 0, k = 0;
  if ((bits.byteOffset & 3) === 0) {
    const words = full >> 2;
    const w32 = new Int32Array(bits.buffer, bits.byteOffset, words);
    for (; k < words; k++) {
      let v = w32[k];
      v -= (v >>> 1) & 0x55555555;
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      c += Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
    }
    k <<= 2;
  }
  for (; k < full; k++) c += POPCOUNT[bits[k]];
  for (let i = full << 3; i < n; i++) c += (bits[i >> 3] >> (i & 7)) & 1;
  return c;
}

const POPCOUNT = (() => {
  const t = new Uint8Array(256);
  for (let i = 1; i < 256; i++) t[i] = (i & 1) + t[i >> 1];
  return t;
})();

export const getBit = (b: Bits, i: number): number => (b[i >> 3] >> (i & 7)) & 1;
export const setBit = (b: Bits, i: number): void => { b[i >> 3] |= 1 << (i & 7); };
export const clearBit = (b: Bits, i: number): void => { b[i >> 3] &= ~(1 << (i & 7)); };

/** All-ones bitmap of n bits. */
export function allValid(n: number): Bits {
  const b = new Uint8Array(byteLen(n)).fill(0xff);
  return b;
}

/** Builds fixed-width or bool Data; a validity with no zero bits is dropped. */
export function makeValues(type: arrow.DataType, n: number, values: ArrayBufferView, valid: Bits | null): arrow.Data {
  const nulls = countNulls(valid, n);
  return arrow.makeData({ type, length: n, nullCount: nulls, nullBitmap: nulls ? valid : undefined, data: values } as any);
}

/** Builds Utf8/Binary Data from offsets and bytes. */
export function makeVarWidth(type: arrow.DataType, n: number, offsets: Int32Array, bytes: Uint8Array, valid: Bits | null): arrow.Data {
  const nulls = countNulls(valid, n);
  return arrow.makeData({ type, length: n, nullCount: nulls, nullBitmap: nulls ? valid : undefined, valueOffsets: offsets, data: bytes } as any);
}

/** Data of n nulls of `type` (buffers zero-filled so every kernel can read them). */
export function nullData(t: TypeJSON, n: number): arrow.Data {
  const type = toArrowType(t);
  const valid = new Uint8Array(byteLen(n));
  switch (type.typeId) {
    case arrow.Type.Null: return arrow.makeData({ type, length: n, nullCount: n } as any);
    case arrow.Type.Bool: return arrow.makeData({ type, length: n, nullCount: n, nullBitmap: valid, data: new Uint8Array(byteLen(n)) } as any);
    case arrow.Type.Utf8: case arrow.Type.Binary:
      return arrow.makeData({ type, length: n, nullCount: n, nullBitmap: valid, valueOffsets: new Int32Array(n + 1), data: new Uint8Array(0) } as any);
    case arrow.Type.List: {
      const child = nullData((t as { list: TypeJSON }).list, 0);
      return arrow.makeData({ type, length: n, nullCount: n, nullBitmap: valid, valueOffsets: new Int32Array(n + 1), child } as any);
    }
    case arrow.Type.FixedSizeList: {
      const ft = t as { fixedList: TypeJSON; size: number };
      const child = nullData(ft.fixedList, n * ft.size);
      return arrow.makeData({ type, length: n, nullCount: n, nullBitmap: valid, child } as any);
    }
    case arrow.Type.Struct: {
      const children = (t as StructTypeJSON).struct.map((f) => nullData(f.type, n));
      return arrow.makeData({ type, length: n, nullCount: n, nullBitmap: valid, children } as any);
    }
    case arrow.Type.Map: {
      const child = arrow.makeData({ type: type.children[0].type, length: 0, nullCount: 0, children: type.children[0].type.children.map((f: arrow.Field) => nullData(fromArrowType(f.type), 0)) } as any);
      return arrow.makeData({ type, length: n, nullCount: n, nullBitmap: valid, valueOffsets: new Int32Array(n + 1), child } as any);
    }
    default: {
      const Ctor = (type as any).ArrayType as new (len: number) => ArrayBufferView;
      return arrow.makeData({ type, length: n, nullCount: n, nullBitmap: valid, data: new Ctor(n) } as any);
    }
  }
}
