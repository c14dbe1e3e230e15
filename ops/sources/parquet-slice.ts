// A Parquet file cut down to some of its row groups: their column chunks and a rewritten footer, so a task decodes its split without holding the whole file.
import { closeSync, openSync, readSync } from 'node:fs';
import { FooterError, Reader, T, Writer, type Node } from './thrift-compact.ts';

const struct = (n: Node | undefined, what: string): Map<number, Node> => {
  if (n?.t !== T.Struct) throw new FooterError(`${what} is not a struct`);
  return n.fields;
};
const int = (n: Node | undefined): bigint | undefined => (n && (n.t === T.I64 || n.t === T.I32 || n.t === T.I16) ? n.v : undefined);
const i64 = (v: bigint): Node => ({ t: T.I64, v });

// Field ids of parquet.thrift.
const FileMetaData = { numRows: 3, rowGroups: 4 } as const;
const RowGroup = { columns: 1, numRows: 3, fileOffset: 5 } as const;
const ColumnChunk = { filePath: 1, fileOffset: 2, metaData: 3, offsetIndexOffset: 4, offsetIndexLength: 5, columnIndexOffset: 6, columnIndexLength: 7, cryptoMetadata: 8, encryptedColumnMetadata: 9 } as const;
const ColumnMetaData = { totalCompressedSize: 7, dataPageOffset: 9, indexPageOffset: 10, dictionaryPageOffset: 11, bloomFilterOffset: 14, bloomFilterLength: 15 } as const;

const PAR1 = Buffer.from('PAR1');

/** A file image holding only some row groups: decode it as a whole (its row groups are 0..n-1). */
export interface ParquetSlice {
  bytes: Uint8Array;
  /** Rows of each row group kept, in order. */
  rows: number[];
}

/**
 * Reads row groups `groups` (in that order) of the Parquet file at `path`, given its footer
 * (the FileMetaData bytes): their column chunks are copied one after another behind 'PAR1', and
 * the footer is rewritten to list only them, every page offset moved by how far its chunk moved
 * (page indexes and bloom filters, which lie outside the chunks, are dropped). Null when the
 * file's chunks cannot be moved (encrypted columns, or chunks in other files): read it whole.
 */
export function sliceRowGroups(path: string, fileSize: number, footer: Uint8Array, groups: readonly number[]): ParquetSlice | null {
  const meta = new Reader(footer).value(T.Struct, 0);
  const mf = struct(meta, 'the file metadata');
  const all = mf.get(FileMetaData.rowGroups);
  if (all?.t !== T.List) throw new FooterError('the footer lists no row groups');
  const pieces: Uint8Array[] = [PAR1];
  let at = PAR1.length;
  const kept: Node[] = [];
  const rows: number[] = [];
  const fd = openSync(path, 'r');
  try {
    for (const g of groups) {
      const rg = struct(all.items[g], `row group ${g}`);
      const columns = rg.get(RowGroup.columns);
      if (columns?.t !== T.List) throw new FooterError(`row group ${g} lists no columns`);
      let groupStart: bigint | null = null;
      for (const c of columns.items) {
        const cc = struct(c, `a column chunk of row group ${g}`);
        if (cc.has(ColumnChunk.filePath) || cc.has(ColumnChunk.cryptoMetadata) || cc.has(ColumnChunk.encryptedColumnMetadata)) return null;
        const md = struct(cc.get(ColumnChunk.metaData), `a column chunk's metadata in row group ${g}`);
        const dataPage = int(md.get(ColumnMetaData.dataPageOffset));
        const size = int(md.get(ColumnMetaData.totalCompressedSize));
        if (dataPage === undefined || size === undefined) throw new FooterError(`a column chunk of row group ${g} has no data page offset or size`);
        const starts = [dataPage, int(md.get(ColumnMetaData.dictionaryPageOffset)), int(md.get(ColumnMetaData.indexPageOffset))].filter((x): x is bigint => x !== undefined && x > 0n);
        const start = starts.reduce((a, b) => (b < a ? b : a));
        if (start < 4n || size < 0n || start + size > BigInt(fileSize)) throw new FooterError(`a column chunk of row group ${g} lies outside the file (bytes ${start} to ${start + size} of ${fileSize})`);
        const chunk = Buffer.allocUnsafe(Number(size));
        const got = readSync(fd, chunk, 0, chunk.length, Number(start));
        if (got < chunk.length) throw new FooterError(`the file ends inside a column chunk of row group ${g}`);
        pieces.push(chunk);
        const shift = BigInt(at) - start;
        for (const k of [ColumnMetaData.dataPageOffset, ColumnMetaData.dictionaryPageOffset, ColumnMetaData.indexPageOffset]) {
          const v = int(md.get(k));
          if (v !== undefined && v > 0n) md.set(k, i64(v + shift));
        }
        md.delete(ColumnMetaData.bloomFilterOffset);
        md.delete(ColumnMetaData.bloomFilterLength);
        const fo = int(cc.get(ColumnChunk.fileOffset));
        if (fo !== undefined) cc.set(ColumnChunk.fileOffset, i64(fo > 0n ? fo + shift : 0n));
        for (const k of [ColumnChunk.offsetIndexOffset, ColumnChunk.offsetIndexLength, ColumnChunk.columnIndexOffset, ColumnChunk.columnIndexLength]) cc.delete(k);
        groupStart ??= BigInt(at);
        at += chunk.length;
      }
      if (rg.has(RowGroup.fileOffset) && groupStart !== null) rg.set(RowGroup.fileOffset, i64(groupStart));
      const n = int(rg.get(RowGroup.numRows));
      if (n === undefined || n < 0n) throw new FooterError(`row group ${g} has no row count`);
      rows.push(Number(n));
      kept.push(all.items[g]);
    }
  } finally {
    closeSync(fd);
  }
  mf.set(FileMetaData.numRows, i64(BigInt(rows.reduce((a, b) => a + b, 0))));
  mf.set(FileMetaData.rowGroups, { t: T.List, et: T.Struct, items: kept });
  const w = new Writer();
  w.value(meta);
  const newFooter = w.bytes();
  const len = Buffer.alloc(4);
  len.writeUInt32LE(newFooter.length);
  pieces.push(newFooter, len, PAR1);
  return { bytes: Buffer.concat(pieces), rows };
}

/** Writes a footer back as it was read (tests: the codec loses nothing). */
export function roundTripFooter(footer: Uint8Array): Uint8Array {
  const w = new Writer();
  w.value(new Reader(footer).value(T.Struct, 0));
  return w.bytes();
}
