// Parquet footer reader: row counts and sizes of the row groups, from the Thrift compact bytes, bounds-checked.
import { FooterError, Reader, T, type Node } from './thrift-compact.ts';

export { FooterError };

/** What splitting and count(*) need of a row group. */
export interface RowGroupInfo {
  numRows: number;
  /** Compressed bytes of its column chunks. */
  compressedSize: number;
  /** Its column chunks' bytes once decompressed (column total_uncompressed_size, else the group's total_byte_size): near its size in memory. */
  uncompressedSize: number;
}

const num = (v: Node | undefined, what: string): number => {
  const x = v && (v.t === T.I64 || v.t === T.I32 || v.t === T.I16) ? Number(v.v) : undefined;
  if (x === undefined || !Number.isSafeInteger(x) || x < 0) {
    throw new FooterError(`${what} is ${v === undefined ? 'missing' : `not a valid count (${x === undefined ? `a Thrift value of type ${v.t}` : String(x)})`}`);
  }
  return x;
};

/**
 * The row groups of a Parquet FileMetaData (the footer's bytes, without its length and 'PAR1').
 * Throws FooterError for bytes that do not parse or counts that cannot be right.
 */
export function parseFooter(footer: Uint8Array): RowGroupInfo[] {
  const meta = new Reader(footer).value(T.Struct, 0);
  if (meta.t !== T.Struct) throw new FooterError('the footer is not a struct');
  const groups = meta.fields.get(4);
  if (groups?.t !== T.List) throw new FooterError('the footer lists no row groups');
  const total = num(meta.fields.get(3), 'the file row count');
  const out = groups.items.map((g, i): RowGroupInfo => {
    if (g.t !== T.Struct) throw new FooterError(`row group ${i} is not a struct`);
    const columns = g.fields.get(1);
    if (columns?.t !== T.List) throw new FooterError(`row group ${i} lists no columns`);
    let bytes = 0, raw = 0;
    for (const c of columns.items) {
      const m = c.t === T.Struct ? c.fields.get(3) : undefined;
      if (m?.t === T.Struct) {
        bytes += num(m.fields.get(7), `row group ${i}'s compressed size`);
        raw += num(m.fields.get(6), `row group ${i}'s uncompressed size`);
      }
    }
    const optional = (f: number): number => { const v = g.fields.get(f); const n = v && (v.t === T.I64 || v.t === T.I32) ? Number(v.v) : 0; return Number.isSafeInteger(n) && n > 0 ? n : 0; };
    // RowGroup field 6: total_compressed_size; field 2: total_byte_size (uncompressed).
    return { numRows: num(g.fields.get(3), `row group ${i}'s row count`), compressedSize: bytes || optional(6), uncompressedSize: raw || optional(2) };
  });
  const sum = out.reduce((s, g) => s + g.numRows, 0);
  if (sum !== total) throw new FooterError(`the row groups hold ${sum} rows, the footer says ${total}`);
  return out;
}
