import * as arrow from 'apache-arrow';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../ops/errors.ts';
import { writeTable } from '../../ops/sinks/index.ts';
import { inferSchema, planSplits } from '../../ops/sources/index.ts';
import { scanAll, tempDir } from './helpers.ts';

function sample(n: number): arrow.Table {
  return new arrow.Table({
    id: arrow.makeVector(Int32Array.from({ length: n }, (_, i) => i)),
    big: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : BigInt(i) * 10_000_000_000n)), new arrow.Int64()),
    x: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => i / 4), new arrow.Float64()),
    s: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : `s${i},"q"\n✓`)), new arrow.Utf8()),
    ok: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => (i % 3 === 0 ? null : i % 2 === 0)), new arrow.Bool()),
  });
}

const rowsOf = (t: arrow.Table) => t.toArray().map((r) => r.toJSON());

describe('arrow IPC reader', () => {
  for (const stream of [false, true]) {
    it(`reads the ${stream ? 'stream' : 'file'} format: schema, rows, projection order`, async () => {
      const dir = await tempDir();
      const path = join(dir, stream ? 't.arrows' : 't.arrow');
      const t = sample(2500);
      await writeTable('arrow', path, t.batches, t.schema, { stream });
      const schema = await inferSchema({ format: 'arrow', paths: [path], options: {} });
      expect(schema).toEqual([
        { name: 'id', type: 'int32', nullable: false }, { name: 'big', type: 'int64', nullable: true },
        { name: 'x', type: 'float64', nullable: true }, { name: 's', type: 'utf8', nullable: true },
        { name: 'ok', type: 'bool', nullable: true },
      ]);
      const all = await scanAll('arrow', path);
      expect(all.rows).toEqual(rowsOf(t));
      expect(all.batches.every((b) => b.numRows <= 1000)).toBe(true);
      const some = await scanAll('arrow', path, {}, { projection: ['s', 'id'], limit: 3 });
      expect(some.rows).toEqual([{ s: null, id: 0 }, { s: 's1,"q"\n✓', id: 1 }, { s: 's2,"q"\n✓', id: 2 }]);
    });
  }

  it('decodes dictionary-encoded columns to plain utf8', async () => {
    const dir = await tempDir();
    const path = join(dir, 'd.arrow');
    const dict = arrow.vectorFromArray(['a', 'b', null, 'a'], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()));
    const t = new arrow.Table({ d: dict });
    await writeFile(path, arrow.tableToIPC(t, 'file'));
    expect(await inferSchema({ format: 'arrow', paths: [path], options: {} })).toEqual([{ name: 'd', type: 'utf8', nullable: true }]);
    const { rows, batches } = await scanAll('arrow', path);
    expect(rows).toEqual([{ d: 'a' }, { d: 'b' }, { d: null }, { d: 'a' }]);
    expect(batches[0].schema.fields[0].type.typeId).toBe(arrow.Type.Utf8);
  });

  it('a file that is not Arrow is a DataError naming it', async () => {
    const dir = await tempDir();
    const path = join(dir, 'x.arrow');
    await writeFile(path, 'hello, this is text');
    await expect(inferSchema({ format: 'arrow', paths: [path], options: {} })).rejects.toThrow(DataError);
    await expect(inferSchema({ format: 'arrow', paths: [path], options: {} })).rejects.toThrow(`${path}: not a readable Arrow IPC file or stream`);
  });
});

describe('parquet reader', () => {
  it('reads the schema from the footer and rows by row group; one split per group of row groups', async () => {
    const dir = await tempDir();
    const path = join(dir, 't.parquet');
    const t = sample(5000);
    await writeTable('parquet', path, t.batches, t.schema, { rowGroupRows: 1000 });
    const schema = await inferSchema({ format: 'parquet', paths: [path], options: {} });
    expect(schema.map((f) => [f.name, f.type])).toEqual([['id', 'int32'], ['big', 'int64'], ['x', 'float64'], ['s', 'utf8'], ['ok', 'bool']]);
    const splits = await planSplits({ format: 'parquet', paths: [path], options: {} }, 1);
    expect(splits.map((s) => s.rowGroups)).toEqual([[0], [1], [2], [3], [4]]);
    const { rows } = await scanAll('parquet', path, {}, { splitBytes: 1 });
    expect(rows).toEqual(rowsOf(t));
    const proj = await scanAll('parquet', path, {}, { projection: ['ok', 'id'], splitBytes: 1 });
    expect(proj.rows.slice(0, 3)).toEqual([{ ok: null, id: 0 }, { ok: false, id: 1 }, { ok: true, id: 2 }]);
    const count = await scanAll('parquet', path, {}, { projection: [] });
    expect(count.batches.reduce((s, b) => s + b.numRows, 0)).toBe(5000);
  });

  it('a file that is not Parquet is a DataError naming it', async () => {
    const dir = await tempDir();
    const path = join(dir, 'x.parquet');
    await writeFile(path, 'definitely not parquet');
    await expect(inferSchema({ format: 'parquet', paths: [path], options: {} })).rejects.toThrow(`${path}: not a readable Parquet file (no 'PAR1' magic at the end)`);
  });

  it('arrow and parquet take no reader options', async () => {
    await expect(inferSchema({ format: 'parquet', paths: ['/nonexistent'], options: { header: true } })).rejects.toThrow(`parquet files take no options, got 'header'`);
  });
});
