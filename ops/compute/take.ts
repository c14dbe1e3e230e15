// Gather rows of Arrow data by index (index -1 yields null): the kernel behind filter, join and sort.
//
// Arrow JS slicing convention (Data.slice): `offset` applies only to bit-packed buffers (the
// null bitmap and bool values); fixed-width values, variable-width offsets and fixed-size-list
// children are already sliced. Every kernel in ops/ MUST index them that way.
import * as arrow from 'apache-arrow';
import { InternalError } from '../errors.ts';

/** True when row i of `d` is valid (not null). */
export function isValid(d: arrow.Data, i: number): boolean {
  if (d.nullCount === 0 || !d.nullBitmap || d.nullBitmap.length === 0) return d.typeId !== arrow.Type.Null;
  const j = d.offset + i;
  return (d.nullBitmap[j >> 3] & (1 << (j & 7))) !== 0;
}

/** The validity of the gathered rows: null where the index is -1 or the source row is null. */
function takeValidity(d: arrow.Data, indices: Int32Array, missing: boolean): { nullBitmap: Uint8Array | undefined; nullCount: number } {
  const n = indices.length;
  const bits = d.nullCount > 0 && d.nullBitmap && d.nullBitmap.length > 0 ? d.nullBitmap : null;
  if (!bits && !missing) return { nullBitmap: undefined, nullCount: 0 };
  const bitmap = new Uint8Array((n + 7) >> 3);
  const off = d.offset;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const k = indices[i];
    const j = off + k;
    if (k >= 0 && (bits === null || (bits[j >> 3] & (1 << (j & 7))) !== 0)) bitmap[i >> 3] |= 1 << (i & 7);
    else nulls++;
  }
  return { nullBitmap: bitmap, nullCount: nulls };
}

type FixedArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

// One gather loop per element type, so that each stays monomorphic (a tight typed-array loop);
// an index of -1 leaves 0 (the row is null).
function gatherInt32(src: Int32Array, indices: Int32Array, out: Int32Array): void {
  for (let i = 0; i < indices.length; i++) { const k = indices[i]; out[i] = k >= 0 ? src[k] : 0; }
}
function gatherFloat64(src: Float64Array, indices: Int32Array, out: Float64Array): void {
  for (let i = 0; i < indices.length; i++) { const k = indices[i]; out[i] = k >= 0 ? src[k] : 0; }
}
/** 64-bit integers as int32 word pairs: reading a BigInt64Array element would allocate a BigInt. */
function gatherWordPairs(src: Int32Array, indices: Int32Array, out: Int32Array): void {
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    if (k >= 0) { out[2 * i] = src[2 * k]; out[2 * i + 1] = src[2 * k + 1]; }
  }
}
function gatherAny(src: ArrayLike<number> & { [i: number]: number }, stride: number, indices: Int32Array, out: { [i: number]: number }): void {
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    if (k < 0) continue;
    for (let s = 0; s < stride; s++) out[i * stride + s] = src[k * stride + s];
  }
}

/**
 * The first index when `indices` is one ascending run a, a+1, ..., a+n-1 covering at least half
 * of a source of `sourceRows` rows, else -1: then a slice of the source holds the same rows
 * without a copy, and keeps little of it alive for nothing.
 */
export function contiguousRun(indices: Int32Array, sourceRows: number): number {
  const n = indices.length;
  if (n === 0 || 2 * n < sourceRows) return -1;
  const a = indices[0];
  if (a < 0 || indices[n - 1] !== a + n - 1) return -1;
  for (let i = 1; i < n - 1; i++) if (indices[i] !== a + i) return -1;
  return a;
}

/** Whether any index is -1 (a row that becomes null): one scan, shared by a batch's columns. */
export function hasMissing(indices: Int32Array): boolean {
  for (let i = 0; i < indices.length; i++) if (indices[i] < 0) return true;
  return false;
}

/**
 * Gathers `indices` rows of `d` into new, offset-0 Data of the same type. An index of -1
 * produces a null (outer joins). Works for every type in ops/types.ts.
 */
export function takeData(d: arrow.Data, indices: Int32Array, missing = hasMissing(indices)): arrow.Data {
  const n = indices.length;
  const type = d.type;
  if (type.typeId === arrow.Type.Null) return arrow.makeData({ type, length: n, nullCount: n });
  const { nullBitmap, nullCount } = takeValidity(d, indices, missing);
  switch (type.typeId) {
    case arrow.Type.Bool: {
      const src = d.values as Uint8Array;
      const out = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) {
        const k = indices[i];
        if (k < 0) continue;
        const j = d.offset + k;
        if (src[j >> 3] & (1 << (j & 7))) out[i >> 3] |= 1 << (i & 7);
      }
      return arrow.makeData({ type, length: n, nullCount, nullBitmap, data: out } as any);
    }
    case arrow.Type.Int: case arrow.Type.Float: case arrow.Type.Date: case arrow.Type.Timestamp: {
      const src = d.values as FixedArray;
      const stride = d.stride;
      const out = new (src.constructor as new (len: number) => FixedArray)(n * stride);
      if (stride === 1 && src instanceof Int32Array) gatherInt32(src, indices, out as Int32Array);
      else if (stride === 1 && src instanceof Float64Array) gatherFloat64(src, indices, out as Float64Array);
      else if (stride === 1 && src.BYTES_PER_ELEMENT === 8) gatherWordPairs(new Int32Array(src.buffer, src.byteOffset, 2 * src.length), indices, new Int32Array(out.buffer));
      else gatherAny(src as Int16Array, stride, indices, out as Int16Array);
      return arrow.makeData({ type, length: n, nullCount, nullBitmap, data: out } as any);
    }
    case arrow.Type.Utf8: case arrow.Type.Binary: {
      const offs = d.valueOffsets as Int32Array;
      const bytes = d.values as Uint8Array;
      // Pass 1 reads each row's offsets once (random access) and keeps its start, so that
      // pass 2 copies from a sequential list into an output sized exactly.
      const outOffs = new Int32Array(n + 1);
      const starts = new Int32Array(n);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const k = indices[i];
        if (k >= 0) { const a = offs[k]; starts[i] = a; total += offs[k + 1] - a; }
        outOffs[i + 1] = total;
      }
      const out = new Uint8Array(total);
      for (let i = 0; i < n; i++) {
        const w = outOffs[i], len = outOffs[i + 1] - w, a = starts[i];
        // A byte loop beats set(subarray(...)) below ~64 bytes: subarray allocates a view per row.
        if (len < 64) for (let t = 0; t < len; t++) out[w + t] = bytes[a + t];
        else out.set(bytes.subarray(a, a + len), w);
      }
      return arrow.makeData({ type, length: n, nullCount, nullBitmap, valueOffsets: outOffs, data: out } as any);
    }
    case arrow.Type.FixedSizeList: {
      const size = (type as arrow.FixedSizeList).listSize;
      const child = d.children[0];
      const childIdx = new Int32Array(n * size);
      for (let i = 0; i < n; i++) {
        const k = indices[i];
        for (let s = 0; s < size; s++) childIdx[i * size + s] = k < 0 ? -1 : k * size + s;
      }
      const c = takeData(child, childIdx);
      return arrow.makeData({ type, length: n, nullCount, nullBitmap, child: c } as any);
    }
    case arrow.Type.Struct: {
      // A struct's children are sliced with it: row k of the struct is row k of each child.
      const children = d.children.map((c) => takeData(c, indices, missing));
      return arrow.makeData({ type, length: n, nullCount, nullBitmap, children } as any);
    }
    case arrow.Type.List: case arrow.Type.Map: {
      const offs = d.valueOffsets as Int32Array;
      const o = 0;
      const outOffs = new Int32Array(n + 1);
      let total = 0;
      for (let i = 0; i < n; i++) { const k = indices[i]; if (k >= 0) total += offs[o + k + 1] - offs[o + k]; outOffs[i + 1] = total; }
      const childIdx = new Int32Array(total);
      let w = 0;
      for (let i = 0; i < n; i++) { const k = indices[i]; if (k < 0) continue; for (let t = offs[o + k]; t < offs[o + k + 1]; t++) childIdx[w++] = t; }
      const c = takeData(d.children[0], childIdx);
      return arrow.makeData({ type, length: n, nullCount, nullBitmap, valueOffsets: outOffs, child: c } as any);
    }
  }
  throw new InternalError(`takeData: unsupported type ${String(type)}`);
}

/** Gathers rows of every column of a batch. */
export function takeBatch(batch: arrow.RecordBatch, indices: Int32Array): arrow.RecordBatch {
  const missing = hasMissing(indices);
  const children = batch.data.children.map((c) => takeData(c, indices, missing));
  const data = arrow.makeData({ type: batch.data.type, length: indices.length, nullCount: 0, children } as any);
  return new arrow.RecordBatch(batch.schema, data as any);
}

/** Indices of the rows where a bool Data is true (null counts as false). */
export function maskToIndices(mask: arrow.Data): Int32Array {
  const n = mask.length;
  const bits = mask.values as Uint8Array;
  const out = new Int32Array(n);
  let w = 0;
  const o = mask.offset;
  const nb = mask.nullCount > 0 ? mask.nullBitmap : null;
  for (let i = 0; i < n; i++) {
    const j = o + i;
    if ((bits[j >> 3] & (1 << (j & 7))) !== 0 && (!nb || (nb[j >> 3] & (1 << (j & 7))) !== 0)) out[w++] = i;
  }
  return out.subarray(0, w);
}
