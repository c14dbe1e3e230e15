// ZSTD column chunks reach the decoder inflated: the slice decodes to the same values, its chunks are marked uncompressed, and anything unexpected is left compressed.
import * as arrow from 'apache-arrow';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { frameContentSize, inflateZstdChunk, loadZstd } from '../../ops/sources/parquet-inflate.ts';
import { MIN_INFLATE_RATIO, parseFooterTree, sliceRowGroups } from '../../ops/sources/parquet-slice.ts';
import { Reader, T, type Node } from '../../ops/sources/thrift-compact.ts';
import { withParquetWasm } from '../../ops/sources/parquet-wasm.ts';
import { decodeParquet, digest, footerOf, tempDir } from './helpers.ts';

const LINEITEM = resolve(import.meta.dirname, '../../../shared/tpch/sf0.1/lineitem.parquet');

/** Every column chunk a file's footer lists: its codec (0 uncompressed, 1 snappy, 6 zstd) and how far its pages inflate. */
function chunks(file: Uint8Array): { codec: number; ratio: number }[] {
  const meta = parseFooterTree(footerOf(Buffer.from(file))).meta;
  const f = (n: Node | undefined, id: number): Node | undefined => (n?.t === T.Struct ? n.fields.get(id) : undefined);
  const num = (n: Node | undefined) => (n?.t === T.I32 || n?.t === T.I64 ? Number(n.v) : NaN);
  const groups = f(meta, 4);
  const out: { codec: number; ratio: number }[] = [];
  if (groups?.t !== T.List) return out;
  for (const g of groups.items) {
    const cols = f(g, 1);
    if (cols?.t !== T.List) continue;
    for (const c of cols.items) { const md = f(c, 3); out.push({ codec: num(f(md, 4)), ratio: num(f(md, 6)) / num(f(md, 7)) }); }
  }
  return out;
}

/** The codecs a slice's chunks should have: ZSTD chunks that inflate enough become uncompressed, the rest are as written. */
const expectedCodecs = (original: { codec: number; ratio: number }[]) => original.map((c) => (c.codec === 6 && c.ratio >= MIN_INFLATE_RATIO ? 0 : c.codec));

describe('ZSTD chunks inflated for the decoder', () => {
  beforeAll(async () => { await loadZstd(); });

  it('a TPC-H slice decodes to the values of the file, its well-compressed chunks marked uncompressed', () => {
    const whole = readFileSync(LINEITEM);
    const footer = footerOf(whole);
    expect(new Set(chunks(whole).map((c) => c.codec))).toEqual(new Set([6]));
    const cols = ['l_orderkey', 'l_extendedprice', 'l_returnflag', 'l_shipdate', 'l_comment'];
    const perGroup = 16; // lineitem's columns
    for (const g of [0, 3]) {
      const slice = sliceRowGroups(LINEITEM, whole.length, footer, [g], cols, true)!;
      // Kept columns in file order: l_orderkey (0), l_extendedprice (5), l_returnflag (8), l_shipdate (10), l_comment (15).
      const original = [0, 5, 8, 10, 15].map((k) => chunks(whole)[g * perGroup + k]);
      const codecs = chunks(slice.bytes).map((c) => c.codec);
      expect(codecs).toEqual(expectedCodecs(original));
      expect(codecs.filter((c) => c === 0).length).toBeGreaterThanOrEqual(3); // l_orderkey, l_extendedprice and l_comment compress 2-10x
      const got = decodeParquet(slice.bytes, [0]);
      const want = decodeParquet(whole, [g], cols);
      expect(got.numRows).toBe(want.numRows);
      for (const c of cols) expect(digest(got, c), `${g} ${c}`).toBe(digest(want, c));
    }
  });

  it('inflates v1 and v2 data pages (a v2 page keeps its levels as they are) and dictionary pages, with nulls, and leaves snappy chunks alone', async () => {
    const dir = await tempDir();
    const n = 30000;
    const ids = Array.from({ length: n }, (_, i) => i);
    const table = new arrow.Table({
      i: arrow.vectorFromArray(ids, new arrow.Int32()),
      s: arrow.vectorFromArray(ids.map((i) => (i % 3 === 0 ? null : `v${i % 50}`)), new arrow.Utf8()),
      d: arrow.vectorFromArray(ids.map((i) => (i % 7 === 0 ? null : i * 0.5)), new arrow.Float64()),
      l: arrow.vectorFromArray(ids.map((i) => (i % 5 === 0 ? null : [i, i + 1])), new arrow.List(new arrow.Field('item', new arrow.Int32(), true))),
    });
    const cases = [['v2', 'ZSTD', 'V2'], ['v1', 'ZSTD', 'V1'], ['snappy', 'SNAPPY', 'V2']] as const;
    for (const [name, codec, version] of cases) {
      const bytes = withParquetWasm((pq) => {
        const props = new pq.WriterPropertiesBuilder().setCompression(pq.Compression[codec]).setWriterVersion(pq.WriterVersion[version])
          .setMaxRowGroupSize(10000).setDataPageSizeLimit(8192).setColumnDictionaryEnabled('i', false).build();
        return pq.writeParquet(pq.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), props);
      });
      const path = join(dir, `${name}.parquet`);
      writeFileSync(path, bytes);
      const whole = readFileSync(path);
      // The file's first page (column i, no dictionary) is a data page of the version asked for (3: v2, 0: v1).
      const first = new Reader(whole.subarray(4)).value(T.Struct, 0) as Node & { t: T.Struct };
      expect(Number((first.fields.get(1) as { v: bigint }).v), name).toBe(version === 'V2' ? 3 : 0);
      const slice = sliceRowGroups(path, whole.length, footerOf(whole), [1], null, true)!;
      const original = chunks(whole).slice(4, 8); // row group 1's four columns
      const codecs = chunks(slice.bytes).map((c) => c.codec);
      expect(codecs, name).toEqual(expectedCodecs(original));
      if (codec === 'SNAPPY') expect(codecs).toEqual([1, 1, 1, 1]);
      else expect(codecs.filter((c) => c === 0).length, name).toBeGreaterThanOrEqual(2);
      const got = decodeParquet(slice.bytes, [0]);
      const want = decodeParquet(whole, [1]);
      expect(got.numRows).toBe(10000);
      expect(got.numRows).toBe(want.numRows);
      for (const f of want.schema.fields) expect(digest(got, f.name), `${name} ${f.name}`).toBe(digest(want, f.name));
    }
  });

  it('leaves chunks compressed when the slice is not asked to inflate, zstd loaded or not', () => {
    const whole = readFileSync(LINEITEM);
    const slice = sliceRowGroups(LINEITEM, whole.length, footerOf(whole), [0], ['l_comment'])!;
    expect(chunks(slice.bytes).map((c) => c.codec)).toEqual([6]);
  });

  it('declines a chunk it cannot read as pages, or whose frame declares another size than its page', () => {
    expect(inflateZstdChunk(new Uint8Array([0x15, 0x00, 0xff, 0xff, 0xff]))).toBeNull();
    // A dictionary page header (type 2, 4 bytes uncompressed, 13 compressed) over a frame that declares 5 bytes.
    const frame = [0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x05, 0x29, 0x00, 0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f];
    expect(frameContentSize(new Uint8Array(frame))).toBe(5);
    const header = [0x15, 0x04, 0x15, 0x08, 0x15, 2 * frame.length, 0x00];
    expect(inflateZstdChunk(new Uint8Array([...header, ...frame]))).toBeNull();
    // The same page declaring its true size inflates.
    const ok = inflateZstdChunk(new Uint8Array([0x15, 0x04, 0x15, 0x0a, 0x15, 2 * frame.length, 0x00, ...frame]));
    expect(ok).not.toBeNull();
    expect(Buffer.concat(ok!.parts).toString('latin1')).toContain('hello');
    expect(ok!.length).toBe(Buffer.concat(ok!.parts).length);
    expect(ok!.moved(0)).toBe(0);
    expect(ok!.moved(1)).toBeUndefined();
  });

  it('reads a frame header: single segment sizes, 2-byte sizes offset by 256, and none', () => {
    expect(frameContentSize(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x07]))).toBe(7);
    expect(frameContentSize(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x60, 0x00, 0x01]))).toBe(256 + 256);
    expect(frameContentSize(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50]))).toBeNull();
    expect(frameContentSize(new Uint8Array([1, 2, 3, 4, 5, 6]))).toBeUndefined();
  });
});
