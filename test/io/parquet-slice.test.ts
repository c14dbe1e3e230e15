// Parquet splits read only their row groups: the footer codec loses nothing, and a slice decodes to exactly the rows of the whole file.
import * as arrow from 'apache-arrow';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fn, Quiver } from '../../core/index.ts';
import { parseFooter } from '../../ops/sources/parquet-footer.ts';
import { parseFooterTree, roundTripFooter, sliceRowGroups } from '../../ops/sources/parquet-slice.ts';
import { withParquetWasm } from '../../ops/sources/parquet-wasm.ts';
import { decodeParquet, digest, footerOf } from './helpers.ts';

const TPCH = resolve(import.meta.dirname, '../../../shared/tpch/sf0.1');
const LINEITEM = join(TPCH, 'lineitem.parquet');

describe('Parquet row group slices', () => {
  it('writes every TPC-H footer back byte for byte', () => {
    for (const t of ['lineitem', 'orders', 'customer', 'part', 'partsupp', 'nation', 'region']) {
      const footer = footerOf(readFileSync(join(TPCH, `${t}.parquet`)));
      expect(Buffer.from(roundTripFooter(footer)).equals(footer), t).toBe(true);
    }
  });

  it('decodes each row group, and pairs of them, to the rows of the whole file, from a fraction of its bytes', () => {
    const whole = readFileSync(LINEITEM);
    const footer = footerOf(whole);
    const groups = parseFooter(footer).length;
    expect(groups).toBeGreaterThan(2);
    for (const pick of [[0], [groups - 1], [1, 2], [groups - 1, 0]]) {
      const slice = sliceRowGroups(LINEITEM, whole.length, footer, pick)!;
      expect(slice.bytes.length).toBeLessThan(whole.length * (pick.length + 1) / groups);
      const got = decodeParquet(slice.bytes, pick.map((_, i) => i));
      const want = new arrow.Table(pick.flatMap((g) => decodeParquet(whole, [g]).batches));
      expect(got.numRows).toBe(slice.rows.reduce((a, b) => a + b, 0));
      expect(got.numRows).toBe(want.numRows);
      for (const f of want.schema.fields) expect(digest(got, f.name), `${pick} ${f.name}`).toBe(digest(want, f.name));
    }
  });

  it('keeps only the columns read, when the file has no embedded Arrow schema, and they decode to the same values', () => {
    const whole = readFileSync(LINEITEM);
    const footer = footerOf(whole);
    const cols = ['l_returnflag', 'l_quantity', 'l_comment'];
    const all = sliceRowGroups(LINEITEM, whole.length, footer, [1])!;
    const some = sliceRowGroups(LINEITEM, whole.length, footer, [1], cols)!;
    expect(some.bytes.length).toBeLessThan(all.bytes.length / 2);
    const got = arrow.tableFromIPC(withParquetWasm((pq) => pq.readParquet(some.bytes, { rowGroups: [0] }).intoIPCStream()));
    expect(got.schema.fields.map((f) => f.name)).toEqual(['l_quantity', 'l_returnflag', 'l_comment']);
    const want = arrow.tableFromIPC(withParquetWasm((pq) => pq.readParquet(whole, { rowGroups: [1], columns: cols }).intoIPCStream()));
    for (const c of cols) expect(digest(got, c), c).toBe(digest(want, c));
    // A name the file does not have: nothing is pruned (the reader then says what is missing).
    expect(sliceRowGroups(LINEITEM, whole.length, footer, [1], ['nope'])!.bytes.length).toBe(all.bytes.length);
  });

  it('slices of one parsed footer, in any order, equal slices of the raw footer (slicing changes no shared metadata)', () => {
    const whole = readFileSync(LINEITEM);
    const footer = footerOf(whole);
    const parsed = parseFooterTree(footer);
    const groups = parseFooter(footer).length;
    const cols = ['l_orderkey', 'l_comment'];
    for (const [pick, c] of [[[1], cols], [[0], null], [[1], null], [[groups - 1, 0], cols], [[1], cols]] as const) {
      const want = sliceRowGroups(LINEITEM, whole.length, footer, pick, c)!;
      const got = sliceRowGroups(LINEITEM, whole.length, parsed, pick, c)!;
      expect(Buffer.from(got.bytes).equals(Buffer.from(want.bytes)), `${pick} ${c}`).toBe(true);
      expect(got.rows).toEqual(want.rows);
    }
  });

  describe('through the engine', () => {
    let q: Quiver;
    beforeAll(async () => { q = await Quiver.local({ workers: 2, ui: false, quiet: true }); });
    afterAll(async () => { await q?.close(); });
    it('a file cut into row group splits reads the same rows as one split', async () => {
      const sum = async (target: number) => {
        const q2 = await Quiver.local({ workers: 2, ui: false, quiet: true, targetSplitBytes: target });
        try {
          const df = q2.read.parquet(LINEITEM);
          const t = await df.groupBy('l_returnflag').agg(fn.sum('l_quantity').alias('q'), fn.max('l_comment').alias('c')).orderBy('l_returnflag').toArray();
          return { n: await df.count(), rows: t, tasks: q2.session.lastJob!.tasks };
        } finally {
          await q2.close();
        }
      };
      const one = await sum(1 << 30), many = await sum(1);
      expect(many.n).toBe(600_572);
      expect(many.rows).toEqual(one.rows);
      expect(many.n).toBe(one.n);
      expect(many.tasks).toBeGreaterThan(one.tasks);
    });
  });
});
