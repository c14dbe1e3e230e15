// Text reader: one non-null utf8 column `line` per line, built from bytes without a JS string per line.
import * as arrow from 'apache-arrow';
import { makeBatch } from '../compute/batch.ts';
import { toArrowSchema, type FieldJSON } from '../types.ts';
import type { ReadOptions } from './options.ts';
import { RangeReader } from './range-reader.ts';
import type { SplitJSON } from './splits.ts';
import { countByteWasm, splitLinesWasm } from '../wasm/bytes.ts';

const NL = 10;
const CR = 13;

export const TEXT_SCHEMA: readonly FieldJSON[] = [{ name: 'line', type: 'utf8', nullable: false }];

/**
 * Reads the lines a split owns, one batch per buffer fill (~`bufferBytes` of text). Lines lose
 * their '\n' and a '\r' before it. Bytes are copied as they are (UTF-8 is not validated). With no
 * column requested (count(*)), only line breaks are counted.
 */
export async function* readText(split: SplitJSON, opts: ReadOptions, columns: readonly string[]): AsyncGenerator<arrow.RecordBatch> {
  const wantLines = columns.length > 0;
  const schema = toArrowSchema(wantLines ? TEXT_SCHEMA : []);
  const r = await RangeReader.open(split.path, split.start, split.end, opts.bufferBytes);
  try {
    while (!r.done) {
      const buf = r.buf;
      // Complete lines only: up to the last line break, or everything at end of file.
      let end: number;
      if (r.eof) end = r.len;
      else {
        const last = buf.lastIndexOf(NL, r.len - 1);
        if (last < r.pos) { await r.fill(); continue; }
        end = last + 1;
      }
      // Lines starting at or past the split's end belong to the next split.
      const limitRel = r.limit - r.base;
      if (limitRel < end) {
        const nl = buf.indexOf(NL, limitRel - 1);
        if (nl >= 0 && nl < end) end = nl + 1;
      }
      const batch = wantLines
        ? makeBatch(schema, [splitLines(buf, r.pos, end)])
        : makeBatch(schema, [], countLines(buf, r.pos, end));
      r.pos = end;
      if (batch.numRows > 0) yield batch;
    }
  } finally {
    await r.close();
  }
}

/** The lines in src[a, e) (e is a line end or end of file) as a Utf8 column (SIMD scan in WebAssembly). */
function splitLines(src: Buffer, a: number, e: number): arrow.Data {
  const { offsets, bytes, n } = splitLinesWasm(src, a, e);
  return arrow.makeData({ type: new arrow.Utf8(), length: n, nullCount: 0, valueOffsets: offsets, data: bytes } as any);
}

/** The lines in src[a, e) in plain JS: the reference twin of splitLines. */
export function splitLinesJs(src: Uint8Array, a: number, e: number): arrow.Data {
  const out = src.slice(a, e);
  const offs: number[] = [0];
  let w = 0, p = a;
  while (p < e) {
    let nl = src.indexOf(NL, p);
    if (nl < 0 || nl >= e) nl = e;
    let q = nl;
    if (q > p && src[q - 1] === CR) q--;
    out.copyWithin(w, p - a, q - a);
    w += q - p;
    offs.push(w);
    p = nl + 1;
  }
  return arrow.makeData({ type: new arrow.Utf8(), length: offs.length - 1, nullCount: 0, valueOffsets: Int32Array.from(offs), data: out.subarray(0, w) } as any);
}

/** Number of lines in src[a, e): line breaks, plus one for a last line without one. */
function countLines(src: Buffer, a: number, e: number): number {
  if (e <= a) return 0;
  return countByteWasm(src, a, e, NL) + (src[e - 1] === NL ? 0 : 1);
}
