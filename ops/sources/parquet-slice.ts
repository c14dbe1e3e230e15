// A Parquet file cut down to some of its row groups: their column chunks and a rewritten footer, so a task decodes its split without holding the whole file.
import { closeSync, openSync, readSync } from 'node:fs';
import { FooterError } from './parquet-footer.ts';

/** Thrift compact protocol type ids. */
enum T { Stop = 0, True = 1, False = 2, Byte = 3, I16 = 4, I32 = 5, I64 = 6, Double = 7, Binary = 8, List = 9, Set = 10, Map = 11, Struct = 12 }

/** A Thrift value with its type, kept whole so that it is written back byte for byte. */
type Node =
  | { t: T.True | T.False }
  | { t: T.Byte; v: number }
  | { t: T.I16 | T.I32 | T.I64; v: bigint }
  | { t: T.Double; raw: Uint8Array }
  | { t: T.Binary; v: Uint8Array }
  | { t: T.List | T.Set; et: number; items: Node[] }
  | { t: T.Map; kt: number; vt: number; entries: [Node, Node][] }
  | { t: T.Struct; fields: Map<number, Node> };

const MAX_DEPTH = 32;

class Reader {
  pos = 0;
  constructor(private readonly b: Uint8Array) {}
  private need(n: number): void {
    if (n < 0 || this.pos + n > this.b.length) throw new FooterError(`the footer ends inside a value (at byte ${this.pos} of ${this.b.length})`);
  }
  byte(): number { this.need(1); return this.b[this.pos++]; }
  varint(): bigint {
    let out = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const x = this.byte();
      out |= BigInt(x & 0x7f) << shift;
      if (!(x & 0x80)) return out;
    }
    throw new FooterError('a varint in the footer is longer than 10 bytes');
  }
  zigzag(): bigint { const v = this.varint(); return (v >> 1n) ^ -(v & 1n); }
  size(): number {
    const n = Number(this.varint());
    if (n > this.b.length - this.pos) throw new FooterError(`a length in the footer (${n}) is larger than the footer`);
    return n;
  }
  bytes(n: number): Uint8Array { this.need(n); const v = this.b.subarray(this.pos, this.pos + n); this.pos += n; return v; }

  value(t: number, depth: number): Node {
    if (depth > MAX_DEPTH) throw new FooterError('the footer nests deeper than any Parquet footer');
    switch (t) {
      case T.True: case T.False: return { t };
      case T.Byte: return { t, v: this.byte() };
      case T.I16: case T.I32: case T.I64: return { t, v: this.zigzag() };
      case T.Double: return { t, raw: this.bytes(8) };
      case T.Binary: return { t, v: this.bytes(this.size()) };
      case T.List: case T.Set: {
        const h = this.byte();
        const n = h >> 4 === 15 ? this.size() : h >> 4;
        const et = h & 0x0f;
        const items: Node[] = [];
        // A bool element is one byte of its own: kept as that byte.
        for (let i = 0; i < n; i++) items.push(et === T.True || et === T.False ? { t: T.Byte, v: this.byte() } : this.value(et, depth + 1));
        return { t, et, items };
      }
      case T.Map: {
        const n = this.size();
        if (n === 0) return { t, kt: 0, vt: 0, entries: [] };
        const kv = this.byte();
        const entries: [Node, Node][] = [];
        for (let i = 0; i < n; i++) entries.push([this.value(kv >> 4, depth + 1), this.value(kv & 0x0f, depth + 1)]);
        return { t, kt: kv >> 4, vt: kv & 0x0f, entries };
      }
      case T.Struct: {
        const fields = new Map<number, Node>();
        let id = 0;
        for (;;) {
          const h = this.byte();
          const ft = h & 0x0f;
          if (ft === T.Stop) return { t, fields };
          id = h >> 4 ? id + (h >> 4) : Number(this.zigzag());
          fields.set(id, this.value(ft, depth + 1));
        }
      }
      default: throw new FooterError(`unknown Thrift type ${t} in the footer`);
    }
  }
}

class Writer {
  private readonly out: number[] = [];
  private chunks: Uint8Array[] = [];
  private flush(): void { if (this.out.length) { this.chunks.push(Uint8Array.from(this.out)); this.out.length = 0; } }
  byte(b: number): void { this.out.push(b & 0xff); }
  raw(b: Uint8Array): void { this.flush(); this.chunks.push(b); }
  varint(v: bigint): void {
    for (;;) {
      if (v < 0x80n) { this.byte(Number(v)); return; }
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
  }
  zigzag(v: bigint): void { this.varint(v >= 0n ? v << 1n : ((-v) << 1n) - 1n); }

  value(n: Node): void {
    switch (n.t) {
      case T.True: case T.False: return; // in a struct, the field header carries it
      case T.Byte: this.byte(n.v); return;
      case T.I16: case T.I32: case T.I64: this.zigzag(n.v); return;
      case T.Double: this.raw(n.raw); return;
      case T.Binary: this.varint(BigInt(n.v.length)); this.raw(n.v); return;
      case T.List: case T.Set:
        if (n.items.length < 15) this.byte((n.items.length << 4) | n.et);
        else { this.byte(0xf0 | n.et); this.varint(BigInt(n.items.length)); }
        for (const i of n.items) this.value(i);
        return;
      case T.Map:
        this.varint(BigInt(n.entries.length));
        if (n.entries.length === 0) return;
        this.byte((n.kt << 4) | n.vt);
        for (const [k, v] of n.entries) { this.value(k); this.value(v); }
        return;
      case T.Struct: {
        let last = 0;
        for (const [id, f] of n.fields) {
          const delta = id - last;
          if (delta > 0 && delta <= 15) this.byte((delta << 4) | f.t);
          else { this.byte(f.t); this.zigzag(BigInt(id)); }
          this.value(f);
          last = id;
        }
        this.byte(T.Stop);
      }
    }
  }
  bytes(): Uint8Array {
    this.flush();
    return Buffer.concat(this.chunks);
  }
}

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
