// Gather rows of several batches of one schema into one batch, in a given order.
import * as arrow from 'apache-arrow';
import { concatData, emptyBatch, makeBatch } from './batch.ts';
import { takeData } from './take.ts';

/**
 * Row `rows[i]` of `sources[src[i]]` for every i, as one batch of `schema`. Each source's rows
 * are gathered once (a slice when they are consecutive), then one permutation interleaves the
 * sources; rows from a single source, or sources one after another, need no permutation.
 */
export function interleave(schema: arrow.Schema, sources: readonly arrow.RecordBatch[], src: Int32Array, rows: Int32Array): arrow.RecordBatch {
  const n = src.length, k = sources.length;
  // Numbers, strings and bools are gathered from every source in one pass over the output.
  if (k > 1 && n > 0 && schema.fields.every((f) => directType(f.type))) {
    const direct = interleaveDirect(sources, src, rows);
    if (direct) return makeBatch(schema, direct, n);
  }
  const counts = new Int32Array(k);
  for (let i = 0; i < n; i++) counts[src[i]]++;
  // Each source's rows sit together in the concatenation, from base[s], in output order.
  const base = new Int32Array(k);
  for (let s = 1; s < k; s++) base[s] = base[s - 1] + counts[s - 1];
  const next = base.slice();
  const idx = new Int32Array(n), perm = new Int32Array(n);
  let ordered = true;
  for (let i = 0; i < n; i++) {
    const p = next[src[i]]++;
    idx[p] = rows[i];
    perm[i] = p;
    if (p !== i) ordered = false;
  }
  const parts: arrow.Data[][] = [];
  for (let s = 0; s < k; s++) if (counts[s] > 0) parts.push(gatherOne(sources[s], idx.subarray(base[s], base[s] + counts[s])));
  if (parts.length === 0) return emptyBatch(schema);
  if (parts.length === 1) return makeBatch(schema, parts[0], n);
  const columns = schema.fields.map((_, c) => concatData(parts.map((p) => p[c])));
  return makeBatch(schema, ordered ? columns : columns.map((d) => takeData(d, perm)), n);
}

/** Rows `idx` of one batch: a slice when they are consecutive and ascending, else a gather. */
function gatherOne(b: arrow.RecordBatch, idx: Int32Array): arrow.Data[] {
  const first = idx[0];
  let run = true;
  for (let j = 1; j < idx.length; j++) if (idx[j] !== first + j) { run = false; break; }
  if (run) return b.slice(first, first + idx.length).data.children;
  return b.data.children.map((c) => takeData(c, idx));
}

/** Types the direct gather handles: fixed-width numbers, dates and timestamps, strings, binary, bools. */
function directType(t: arrow.DataType): boolean {
  switch (t.typeId) {
    case arrow.Type.Int: case arrow.Type.Float: case arrow.Type.Date: case arrow.Type.Timestamp:
    case arrow.Type.Utf8: case arrow.Type.Binary: case arrow.Type.Bool:
      return true;
    default:
      return false;
  }
}

/** Every column gathered straight from its sources, or null when a column's layout is not the plain one (a stride over 1). */
function interleaveDirect(sources: readonly arrow.RecordBatch[], src: Int32Array, rows: Int32Array): arrow.Data[] | null {
  const columns = sources[0].data.children.length;
  const out: arrow.Data[] = [];
  for (let c = 0; c < columns; c++) {
    const datas = sources.map((b) => b.data.children[c]);
    const d = gatherColumn(datas, src, rows);
    if (!d) return null;
    out.push(d);
  }
  return out;
}

/** Row rows[i] of datas[src[i]] for every i, as one column. */
function gatherColumn(datas: readonly arrow.Data[], src: Int32Array, rows: Int32Array): arrow.Data | null {
  const n = src.length;
  const type = datas[0].type;
  const { nullBitmap, nullCount } = gatherValidity(datas, src, rows);
  switch (type.typeId) {
    case arrow.Type.Bool: {
      const out = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) {
        const d = datas[src[i]], j = d.offset + rows[i];
        if ((d.values as Uint8Array)[j >> 3] & (1 << (j & 7))) out[i >> 3] |= 1 << (i & 7);
      }
      return arrow.makeData({ type, length: n, nullCount, nullBitmap, data: out } as any);
    }
    case arrow.Type.Utf8: case arrow.Type.Binary: {
      const offs = datas.map((d) => d.valueOffsets as Int32Array);
      const bytes = datas.map((d) => d.values as Uint8Array);
      const outOffs = new Int32Array(n + 1);
      const starts = new Int32Array(n);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const o = offs[src[i]], r = rows[i], a = o[r];
        starts[i] = a;
        total += o[r + 1] - a;
        outOffs[i + 1] = total;
      }
      const out = new Uint8Array(total);
      for (let i = 0; i < n; i++) {
        const w = outOffs[i], len = outOffs[i + 1] - w, a = starts[i], b = bytes[src[i]];
        // A byte loop beats set(subarray(...)) below ~64 bytes: subarray allocates a view per row.
        if (len < 64) for (let t = 0; t < len; t++) out[w + t] = b[a + t];
        else out.set(b.subarray(a, a + len), w);
      }
      return arrow.makeData({ type, length: n, nullCount, nullBitmap, valueOffsets: outOffs, data: out } as any);
    }
    default: {
      if (datas.some((d) => d.stride !== 1)) return null;
      const first = datas[0].values as ArrayBufferView & { length: number; constructor: new (len: number) => ArrayBufferView };
      const width = (first as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
      const out = new first.constructor(n) as ArrayBufferView;
      // 32-bit words (pairs for 64-bit values: reading a BigInt64Array element allocates a BigInt).
      if (width === 8 || width === 4) {
        const per = width / 4;
        const srcs = datas.map((d) => { const v = d.values as ArrayBufferView; return new Int32Array(v.buffer, v.byteOffset, (v.byteLength >> 2)); });
        const o = new Int32Array(out.buffer, out.byteOffset, n * per);
        if (per === 2) {
          for (let i = 0; i < n; i++) { const s = srcs[src[i]], k = 2 * rows[i]; o[2 * i] = s[k]; o[2 * i + 1] = s[k + 1]; }
        } else {
          for (let i = 0; i < n; i++) o[i] = srcs[src[i]][rows[i]];
        }
      } else {
        const srcs = datas.map((d) => d.values as unknown as { [i: number]: number });
        const o = out as unknown as { [i: number]: number };
        for (let i = 0; i < n; i++) o[i] = srcs[src[i]][rows[i]];
      }
      return arrow.makeData({ type, length: n, nullCount, nullBitmap, data: out } as any);
    }
  }
}

/** The validity of the gathered rows (none when no source has a null). */
function gatherValidity(datas: readonly arrow.Data[], src: Int32Array, rows: Int32Array): { nullBitmap: Uint8Array | undefined; nullCount: number } {
  const bits = datas.map((d) => (d.nullCount > 0 && d.nullBitmap && d.nullBitmap.length > 0 ? d.nullBitmap : null));
  if (bits.every((b) => b === null)) return { nullBitmap: undefined, nullCount: 0 };
  const n = src.length;
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const s = src[i], b = bits[s], j = datas[s].offset + rows[i];
    if (b === null || (b[j >> 3] & (1 << (j & 7))) !== 0) bitmap[i >> 3] |= 1 << (i & 7);
    else nulls++;
  }
  return { nullBitmap: bitmap, nullCount: nulls };
}
