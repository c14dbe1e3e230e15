// A Parquet file cut down to some of its row groups: their column chunks and a rewritten footer, so a task decodes its split without holding the whole file.
import { closeSync, openSync, readSync } from 'node:fs';
import { inflateZstdChunk, type InflatedChunk } from './parquet-inflate.ts';
import { FooterError, Reader, T, Writer, type Node } from './thrift-compact.ts';

const struct = (n: Node | undefined, what: string): Map<number, Node> => {
  if (n?.t !== T.Struct) throw new FooterError(`${what} is not a struct`);
  return n.fields;
};
const int = (n: Node | undefined): bigint | undefined => (n && (n.t === T.I64 || n.t === T.I32 || n.t === T.I16) ? n.v : undefined);
const i64 = (v: bigint): Node => ({ t: T.I64, v });

// Field ids of parquet.thrift.
const FileMetaData = { schema: 2, numRows: 3, rowGroups: 4, keyValueMetadata: 5, columnOrders: 7 } as const;
const SchemaElement = { name: 4, numChildren: 5 } as const;
const RowGroup = { columns: 1, numRows: 3, sortingColumns: 4, fileOffset: 5 } as const;
const ColumnChunk = { filePath: 1, fileOffset: 2, metaData: 3, offsetIndexOffset: 4, offsetIndexLength: 5, columnIndexOffset: 6, columnIndexLength: 7, cryptoMetadata: 8, encryptedColumnMetadata: 9 } as const;
const ColumnMetaData = { codec: 4, totalUncompressedSize: 6, totalCompressedSize: 7, dataPageOffset: 9, indexPageOffset: 10, dictionaryPageOffset: 11, bloomFilterOffset: 14, bloomFilterLength: 15 } as const;

const PAR1 = Buffer.from('PAR1');
/** CompressionCodec.ZSTD of parquet.thrift. */
const ZSTD = 6n;
/** ZSTD chunks are handed over inflated while the slice stays under this size (see parquet-inflate.ts). */
const INFLATE_UP_TO = 128 << 20;
/** ...and only chunks whose pages inflate to at least this many times their size. */
export const MIN_INFLATE_RATIO = 1.3;

const text = (n: Node | undefined): string | undefined => (n?.t === T.Binary ? new TextDecoder().decode(n.v) : undefined);

/**
 * Cuts the schema down to the top-level `columns` (in file order) and returns the leaf columns
 * kept, by index; null when it cannot be cut: a name is not a top-level field, or the file embeds
 * an Arrow schema (readers would then expect every field; such files are read with all columns).
 */
function pruneSchema(mf: Map<number, Node>, columns: readonly string[]): Set<number> | null {
  const kv = mf.get(FileMetaData.keyValueMetadata);
  if (kv?.t === T.List && kv.items.some((e) => e.t === T.Struct && text(e.fields.get(1)) === 'ARROW:schema')) return null;
  const schema = mf.get(FileMetaData.schema);
  if (schema?.t !== T.List || schema.items.length === 0) throw new FooterError('the footer has no schema');
  const items = schema.items;
  const children = (i: number): number => {
    const n = int(items[i]?.t === T.Struct ? items[i].fields.get(SchemaElement.numChildren) : undefined);
    return n === undefined ? 0 : Number(n);
  };
  // A subtree's end (exclusive) and its leaf count; elements are in depth-first order.
  const span = (i: number, depth: number): [number, number] => {
    if (i >= items.length || depth > 64) throw new FooterError('the footer schema ends inside a field');
    const n = children(i);
    if (n === 0) return [i + 1, 1];
    let j = i + 1, leaves = 0;
    for (let c = 0; c < n; c++) { const [e, l] = span(j, depth + 1); j = e; leaves += l; }
    return [j, leaves];
  };
  const wanted = new Set(columns);
  const keptItems: Node[] = [items[0]];
  const keptLeaves = new Set<number>();
  const found = new Set<string>();
  let i = 1, leaf = 0, top = 0;
  for (let c = 0; c < children(0); c++) {
    const [end, leaves] = span(i, 1);
    const el = items[i];
    const name = text(el.t === T.Struct ? el.fields.get(SchemaElement.name) : undefined);
    if (name !== undefined && wanted.has(name)) {
      keptItems.push(...items.slice(i, end));
      for (let l = leaf; l < leaf + leaves; l++) keptLeaves.add(l);
      found.add(name);
      top++;
    }
    i = end;
    leaf += leaves;
  }
  if (found.size !== wanted.size) return null;
  const root = struct(items[0], 'the schema root');
  root.set(SchemaElement.numChildren, { t: T.I32, v: BigInt(top) });
  mf.set(FileMetaData.schema, { t: T.List, et: T.Struct, items: keptItems });
  const orders = mf.get(FileMetaData.columnOrders);
  if (orders?.t === T.List) mf.set(FileMetaData.columnOrders, { ...orders, items: orders.items.filter((_, l) => keptLeaves.has(l)) });
  return keptLeaves;
}

/** A footer's FileMetaData parsed once, for several slices of one file (a split's row groups one by one). */
export interface ParsedFooter {
  readonly meta: Node;
}

export function parseFooterTree(footer: Uint8Array): ParsedFooter {
  return { meta: new Reader(footer).value(T.Struct, 0) };
}

/** A copy of `n` that slicing may change: structs and lists copied all the way down (values are never changed in place). */
function deepCopy(n: Node): Node {
  if (n.t === T.Struct) return { t: T.Struct, fields: new Map([...n.fields].map(([k, v]) => [k, deepCopy(v)])) };
  if (n.t === T.List || n.t === T.Set) return { ...n, items: n.items.map(deepCopy) };
  if (n.t === T.Map) return { ...n, entries: n.entries.map(([k, v]) => [deepCopy(k), deepCopy(v)] as [Node, Node]) };
  return n;
}

/**
 * The metadata sliceRowGroups may change for `groups`: everything but the row group list copied,
 * and of that list only the groups it keeps (the others are only read).
 */
function forSlice(meta: Node, groups: readonly number[]): Node {
  const mf = struct(meta, 'the file metadata');
  const fields = new Map<number, Node>();
  for (const [k, v] of mf) {
    if (k === FileMetaData.rowGroups && v.t === T.List) {
      const keep = new Set(groups);
      fields.set(k, { ...v, items: v.items.map((g, i) => (keep.has(i) ? deepCopy(g) : g)) });
    } else {
      fields.set(k, deepCopy(v));
    }
  }
  return { t: T.Struct, fields };
}

/**
 * Where the chunk's (deprecated) file offset, `rel` bytes into the chunk of `size` bytes, lies in
 * the `written` bytes that replaced it: unmoved without inflation; with it, the chunk's end stays
 * its end and a page start its page's start (writers set it to one or the other), else the start.
 */
function movedOffset(rel: bigint, size: bigint, inflated: InflatedChunk | null, written: number): bigint {
  if (!inflated) return rel;
  if (rel === size) return BigInt(written);
  return BigInt(inflated.moved(Number(rel)) ?? 0);
}

/**
 * Whether a chunk is ZSTD, compressed enough to be worth it and, inflated, keeps a slice now
 * `at` bytes long under INFLATE_UP_TO. Pages zstd could not shrink (dictionary-coded dates
 * and keys: 9.3 of 9.5 MB) are stored raw inside their frames, which the decoder copies out as
 * fast as anything; inflating them here only adds copies.
 */
function inflatable(md: Map<number, Node>, at: number): boolean {
  const plain = int(md.get(ColumnMetaData.totalUncompressedSize));
  const packed = int(md.get(ColumnMetaData.totalCompressedSize));
  if (int(md.get(ColumnMetaData.codec)) !== ZSTD || plain === undefined || packed === undefined) return false;
  return Number(plain) >= MIN_INFLATE_RATIO * Number(packed) && at + Number(plain) <= INFLATE_UP_TO;
}

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
 * (page indexes and bloom filters, which lie outside the chunks, are dropped). With `columns`
 * (top-level names), the schema and the row groups keep only those columns where the file allows
 * (see pruneSchema), so the decoder decodes only what is read. With `inflate`, ZSTD chunks
 * that shrank enough are handed over uncompressed (see parquet-inflate.ts). Null when the
 * file's chunks cannot be moved (encrypted columns, or chunks in other files): read it whole.
 */
export function sliceRowGroups(path: string, fileSize: number, footer: Uint8Array | ParsedFooter, groups: readonly number[], columns: readonly string[] | null = null, inflate = false): ParquetSlice | null {
  const meta = footer instanceof Uint8Array ? parseFooterTree(footer).meta : forSlice(footer.meta, groups);
  const mf = struct(meta, 'the file metadata');
  // The decoder decodes every column of what it is given: give it only the columns read.
  const leaves = columns && columns.length ? pruneSchema(mf, columns) : null;
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
      const chunks = rg.get(RowGroup.columns);
      if (chunks?.t !== T.List) throw new FooterError(`row group ${g} lists no columns`);
      if (leaves) {
        rg.set(RowGroup.columns, { ...chunks, items: chunks.items.filter((_, l) => leaves.has(l)) });
        rg.delete(RowGroup.sortingColumns);
      }
      let groupStart: bigint | null = null;
      for (const c of (rg.get(RowGroup.columns) as typeof chunks).items) {
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
        const pageOffsets = [ColumnMetaData.dataPageOffset, ColumnMetaData.dictionaryPageOffset, ColumnMetaData.indexPageOffset];
        const inflated = inflate && inflatable(md, at) ? inflateZstdChunk(chunk) : null;
        const pagesFound = inflated && pageOffsets.every((k) => { const v = int(md.get(k)); return v === undefined || v <= 0n || inflated.moved(Number(v - start)) !== undefined; });
        let written: number;
        if (inflated && pagesFound) {
          pieces.push(...inflated.parts);
          written = inflated.length;
          for (const k of pageOffsets) {
            const v = int(md.get(k));
            if (v !== undefined && v > 0n) md.set(k, i64(BigInt(at + inflated.moved(Number(v - start))!)));
          }
          md.set(ColumnMetaData.codec, { t: T.I32, v: 0n });
          md.set(ColumnMetaData.totalCompressedSize, i64(BigInt(inflated.length)));
        } else {
          pieces.push(chunk);
          written = chunk.length;
          const shift = BigInt(at) - start;
          for (const k of pageOffsets) {
            const v = int(md.get(k));
            if (v !== undefined && v > 0n) md.set(k, i64(v + shift));
          }
        }
        md.delete(ColumnMetaData.bloomFilterOffset);
        md.delete(ColumnMetaData.bloomFilterLength);
        const fo = int(cc.get(ColumnChunk.fileOffset));
        if (fo !== undefined) cc.set(ColumnChunk.fileOffset, i64(fo > 0n ? BigInt(at) + movedOffset(fo - start, size, inflated && pagesFound ? inflated : null, written) : 0n));
        for (const k of [ColumnChunk.offsetIndexOffset, ColumnChunk.offsetIndexLength, ColumnChunk.columnIndexOffset, ColumnChunk.columnIndexLength]) cc.delete(k);
        groupStart ??= BigInt(at);
        at += written;
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
