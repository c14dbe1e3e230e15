// Small helpers to build, slice and concatenate RecordBatches without copying where possible.
import * as arrow from 'apache-arrow';
import { takeData } from './take.ts';

/** A RecordBatch over the given column Data (all of the same length). */
export function makeBatch(schema: arrow.Schema, columns: readonly arrow.Data[], length?: number): arrow.RecordBatch {
  const n = length ?? (columns.length ? columns[0].length : 0);
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length: n, nullCount: 0, children: columns as arrow.Data[] } as any);
  return new arrow.RecordBatch(schema, data as any);
}

export function emptyBatch(schema: arrow.Schema): arrow.RecordBatch {
  return makeBatch(schema, schema.fields.map((f) => arrow.makeData({ type: f.type, length: 0, nullCount: 0 } as any)), 0);
}

/** Concatenates batches of one schema into a single batch (copies). */
export function concatBatches(schema: arrow.Schema, batches: readonly arrow.RecordBatch[]): arrow.RecordBatch {
  const nonEmpty = batches.filter((b) => b.numRows > 0);
  if (nonEmpty.length === 0) return emptyBatch(schema);
  if (nonEmpty.length === 1) return nonEmpty[0];
  const cols = schema.fields.map((_, c) => concatData(nonEmpty.map((b) => b.data.children[c])));
  return makeBatch(schema, cols);
}

/** Concatenates Data chunks of one type (copies). */
export function concatData(chunks: readonly arrow.Data[]): arrow.Data {
  if (chunks.length === 1) return chunks[0];
  const total = chunks.reduce((s, d) => s + d.length, 0);
  // Gather through a two-level index: simple, and take() handles every type and offset.
  const vec = new arrow.Vector(chunks as arrow.Data[]);
  if (total === 0) return arrow.makeData({ type: chunks[0].type, length: 0, nullCount: 0 } as any);
  const out: arrow.Data[] = [];
  for (const d of chunks) out.push(takeData(d, iota(d.length)));
  void vec;
  return mergeTaken(out);
}

function iota(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/** Merges offset-0 Data chunks (fresh from takeData) of one type into one Data. */
function mergeTaken(chunks: arrow.Data[]): arrow.Data {
  const type = chunks[0].type;
  const length = chunks.reduce((s, d) => s + d.length, 0);
  const nullCount = chunks.reduce((s, d) => s + d.nullCount, 0);
  let nullBitmap: Uint8Array | undefined;
  if (nullCount > 0) {
    nullBitmap = new Uint8Array((length + 7) >> 3);
    let w = 0;
    for (const d of chunks) {
      for (let i = 0; i < d.length; i++, w++) {
        const valid = d.nullCount === 0 || !d.nullBitmap?.length || (d.nullBitmap[i >> 3] & (1 << (i & 7))) !== 0;
        if (valid) nullBitmap[w >> 3] |= 1 << (w & 7);
      }
    }
  }
  switch (type.typeId) {
    case arrow.Type.Null: return arrow.makeData({ type, length, nullCount: length } as any);
    case arrow.Type.Bool: {
      const out = new Uint8Array((length + 7) >> 3);
      let w = 0;
      for (const d of chunks) for (let i = 0; i < d.length; i++, w++) if (d.values[i >> 3] & (1 << (i & 7))) out[w >> 3] |= 1 << (w & 7);
      return arrow.makeData({ type, length, nullCount, nullBitmap, data: out } as any);
    }
    case arrow.Type.Utf8: case arrow.Type.Binary: case arrow.Type.List: case arrow.Type.Map: {
      const offs = new Int32Array(length + 1);
      let w = 0, base = 0;
      for (const d of chunks) {
        const o = d.valueOffsets as Int32Array;
        for (let i = 0; i < d.length; i++) offs[++w] = base + o[i + 1] - o[0];
        base += o[d.length] - o[0];
      }
      if (type.typeId === arrow.Type.List || type.typeId === arrow.Type.Map) {
        const child = mergeTaken(chunks.map((d) => d.children[0]));
        return arrow.makeData({ type, length, nullCount, nullBitmap, valueOffsets: offs, child } as any);
      }
      const bytes = new Uint8Array(base);
      let p = 0;
      for (const d of chunks) { const o = d.valueOffsets as Int32Array; const v = (d.values as Uint8Array).subarray(o[0], o[d.length]); bytes.set(v, p); p += v.length; }
      return arrow.makeData({ type, length, nullCount, nullBitmap, valueOffsets: offs, data: bytes } as any);
    }
    case arrow.Type.FixedSizeList: {
      const child = mergeTaken(chunks.map((d) => d.children[0]));
      return arrow.makeData({ type, length, nullCount, nullBitmap, child } as any);
    }
    case arrow.Type.Struct: {
      const children = type.children.map((_: arrow.Field, i: number) => mergeTaken(chunks.map((d) => d.children[i])));
      return arrow.makeData({ type, length, nullCount, nullBitmap, children } as any);
    }
    default: {
      const Ctor = (chunks[0].values as any).constructor;
      const stride = chunks[0].stride;
      const out = new Ctor(length * stride);
      let p = 0;
      for (const d of chunks) { out.set((d.values as any).subarray(0, d.length * stride), p); p += d.length * stride; }
      return arrow.makeData({ type, length, nullCount, nullBitmap, data: out } as any);
    }
  }
}

/** Rows [start, start+length) of a batch, without copying. */
export function sliceBatch(b: arrow.RecordBatch, start: number, length: number): arrow.RecordBatch {
  return b.slice(start, start + length);
}

/** Approximate bytes held by a batch (for memory budgets). */
export function batchBytes(b: arrow.RecordBatch): number {
  let n = 0;
  const visit = (d: arrow.Data) => {
    n += d.values?.byteLength ?? 0;
    n += d.valueOffsets?.byteLength ?? 0;
    n += d.nullBitmap?.byteLength ?? 0;
    for (const c of d.children) visit(c);
  };
  for (const c of b.data.children) visit(c);
  return n;
}
