// Gather of rows that come in long ascending runs (a filter keeping most rows): each run is copied as one block, a variable-width column's offsets shifted once per run.
import * as arrow from 'apache-arrow';

/** Runs of consecutive source rows: run i is rows starts[i] .. starts[i] + lens[i] - 1. */
export interface Runs {
  starts: Int32Array;
  lens: Int32Array;
  count: number;
  /** Rows in all runs. */
  rows: number;
}

/** How many runs of ascending indices there are (a pass, no allocation). */
export function countRuns(indices: Int32Array): number {
  let runs = indices.length > 0 ? 1 : 0;
  for (let i = 1; i < indices.length; i++) if (indices[i] !== indices[i - 1] + 1) runs++;
  return runs;
}

/** The runs of ascending indices (each one more than the last within a run). */
export function indexRuns(indices: Int32Array, count = countRuns(indices)): Runs {
  const n = indices.length;
  const starts = new Int32Array(count), lens = new Int32Array(count);
  let k = 0;
  for (let i = 0; i < n;) {
    const a = indices[i];
    let j = i + 1;
    while (j < n && indices[j] === a + (j - i)) j++;
    starts[k] = a;
    lens[k++] = j - i;
    i = j;
  }
  return { starts, lens, count, rows: n };
}

/** Below this many elements a run is copied by a loop: a view per run costs more. */
const BLOCK = 32;

/**
 * The runs' rows of `d` as new offset-0 Data, for fixed-width numbers and utf8/binary without
 * nulls; null for other types or data with nulls (the per-row gather takes those).
 */
export function takeRunsData(d: arrow.Data, r: Runs): arrow.Data | null {
  if (d.nullCount > 0) return null;
  const type = d.type;
  switch (type.typeId) {
    case arrow.Type.Int: case arrow.Type.Float: case arrow.Type.Date: case arrow.Type.Timestamp: {
      const stride = d.stride;
      const src = d.values as ArrayBufferView & { length: number; BYTES_PER_ELEMENT: number };
      // 64-bit integers copied as int32 word pairs: reading a BigInt64Array element would allocate a BigInt.
      const words = src.BYTES_PER_ELEMENT === 8 && !(src instanceof Float64Array);
      const from = (words ? new Int32Array(src.buffer, src.byteOffset, 2 * src.length) : src) as Float64Array;
      const w = words ? 2 * stride : stride;
      const out = new (from.constructor as new (len: number) => Float64Array)(r.rows * w);
      copyRuns(from, out, r, w);
      const values = words ? new (src.constructor as new (b: ArrayBuffer) => Float64Array)(out.buffer as ArrayBuffer) : out;
      return arrow.makeData({ type, length: r.rows, nullCount: 0, data: values } as any);
    }
    case arrow.Type.Utf8: case arrow.Type.Binary: {
      const offs = d.valueOffsets as Int32Array;
      const bytes = d.values as Uint8Array;
      let total = 0;
      for (let i = 0; i < r.count; i++) total += offs[r.starts[i] + r.lens[i]] - offs[r.starts[i]];
      const outOffs = new Int32Array(r.rows + 1);
      const out = new Uint8Array(total);
      let row = 0, pos = 0;
      for (let i = 0; i < r.count; i++) {
        const a = r.starts[i], len = r.lens[i], base = offs[a], delta = pos - base;
        for (let t = 1; t <= len; t++) outOffs[row + t] = offs[a + t] + delta;
        const n = offs[a + len] - base;
        if (n < BLOCK) for (let t = 0; t < n; t++) out[pos + t] = bytes[base + t];
        else out.set(bytes.subarray(base, base + n), pos);
        row += len;
        pos += n;
      }
      return arrow.makeData({ type, length: r.rows, nullCount: 0, valueOffsets: outOffs, data: out } as any);
    }
    default:
      return null;
  }
}

/** Each run's `width` elements a row from `src` to `out`, packed. */
function copyRuns(src: Float64Array | Int32Array, out: Float64Array | Int32Array, r: Runs, width: number): void {
  let w = 0;
  for (let i = 0; i < r.count; i++) {
    const a = r.starts[i] * width, n = r.lens[i] * width;
    if (n < BLOCK) for (let t = 0; t < n; t++) out[w + t] = src[a + t];
    else out.set(src.subarray(a, a + n), w);
    w += n;
  }
}
