import * as arrow from 'apache-arrow';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PlanError } from '../../ops/errors.ts';
import { writeTable, type SinkFormat } from '../../ops/sinks/index.ts';
import { fromArrowSchema } from '../../ops/types.ts';
import { scanAll, tempDir } from './helpers.ts';

const STRINGS = ['plain', 'a,b', 'say "hi"', 'two\nlines', 'crlf\r\nend', '', 'ünïcödé ✓ 😀', null, '  spaced  ', ','];

function table(): arrow.Table {
  const n = STRINGS.length;
  return new arrow.Table({
    s: arrow.vectorFromArray(STRINGS, new arrow.Utf8()),
    i: arrow.vectorFromArray(Array.from({ length: n }, (_, k) => (k === 3 ? null : (k - 5) * 123_456)), new arrow.Int32()),
    big: arrow.vectorFromArray(Array.from({ length: n }, (_, k) => (k === 4 ? null : (BigInt(k) - 5n) * 2_000_000_000_000_000_000n / 1000n + BigInt(k))), new arrow.Int64()),
    f: arrow.vectorFromArray(Array.from({ length: n }, (_, k) => [0.1, -0, 1e300, -2.5e-300, NaN, Infinity, -Infinity, null, 3, 1 / 3][k]), new arrow.Float64()),
    b: arrow.vectorFromArray(Array.from({ length: n }, (_, k) => (k % 3 === 2 ? null : k % 2 === 0)), new arrow.Bool()),
    d: arrow.vectorFromArray(Array.from({ length: n }, (_, k) => (k === 1 ? null : new Date(Date.UTC(1960 + k * 9, k, 1 + k)))), new arrow.DateDay()),
    t: arrow.vectorFromArray(Array.from({ length: n }, (_, k) => (k === 2 ? null : Date.UTC(2024, 0, 1) + k * 3_600_123 - 5e12)), new arrow.TimestampMillisecond()),
  });
}

/** Rows as comparable JSON: NaN and -0 spelled out so toEqual sees them. */
function comparable(rows: Record<string, unknown>[]): unknown[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' && (Number.isNaN(v) || Object.is(v, -0)) ? String(Object.is(v, -0) ? '-0' : v) : v])));
}

describe('sinks round trip through the readers', () => {
  const formats: [SinkFormat, Record<string, unknown>, Record<string, unknown>][] = [
    ['arrow', {}, {}], ['arrow', { stream: true }, {}], ['parquet', {}, {}], ['parquet', { compression: 'snappy' }, {}],
    ['csv', {}, { splittable: false }], ['json', {}, {}],
  ];
  for (const [format, writeOpts, readOpts] of formats) {
    it(`${format} ${JSON.stringify(writeOpts)}: nulls, tricky strings, ints, int64, floats, bools, dates, timestamps`, async () => {
      const t = table();
      const path = join(await tempDir(), `out.${format}`);
      // Two input batches, to check that batches are appended in order.
      const batches = [t.batches[0].slice(0, 4), t.batches[0].slice(4)];
      expect(await writeTable(format, path, batches, t.schema, writeOpts as any)).toBe(t.numRows);
      const readOptions = format === 'csv' || format === 'json' ? { ...readOpts, schema: fromArrowSchema(t.schema) } : readOpts;
      const { rows } = await scanAll(format === 'arrow' ? 'arrow' : format, path, readOptions);
      const want = t.toArray().map((r) => r.toJSON());
      // JSON has no NaN or ±Infinity: the json sink writes them as null.
      if (format === 'json') for (const r of want) if (typeof r.f === 'number' && !Number.isFinite(r.f)) r.f = null;
      expect(comparable(rows)).toEqual(comparable(want));
    });
  }

  it('writes an RFC 4180 csv with a header; nulls empty, empty strings quoted', async () => {
    const t = new arrow.Table({ 'a b': arrow.vectorFromArray(['x', null, '', 'q"q'], new arrow.Utf8()), n: arrow.vectorFromArray([1, 2, null, 4], new arrow.Int32()) });
    const path = join(await tempDir(), 'o.csv');
    await writeTable('csv', path, t.batches, t.schema);
    expect(await readFile(path, 'utf8')).toBe('a b,n\nx,1\n,2\n"",\n"q""q",4\n');
  });

  it('writes json lines with int64 as exact numbers, whole floats with .0, NaN and infinities as null', async () => {
    const t = new arrow.Table({
      v: arrow.vectorFromArray([1n, 9007199254740993n, null, -(2n ** 63n)], new arrow.Int64()),
      f: arrow.vectorFromArray([23, NaN, -Infinity, -0], new arrow.Float64()),
    });
    const path = join(await tempDir(), 'o.json');
    await writeTable('json', path, t.batches, t.schema);
    expect(await readFile(path, 'utf8')).toBe('{"v":1,"f":23.0}\n{"v":9007199254740993,"f":null}\n{"v":null,"f":null}\n{"v":-9223372036854775808,"f":-0.0}\n');
    const { rows } = await scanAll('json', path, { schema: fromArrowSchema(t.schema) });
    expect(rows).toEqual([{ v: 1n, f: 23 }, { v: 9007199254740993n, f: null }, { v: null, f: null }, { v: -(2n ** 63n), f: -0 }]);
  });

  it('writes csv floats so that they read back as floats: 23.0, NaN, Infinity; timestamps without a zone', async () => {
    const t = new arrow.Table({
      f: arrow.vectorFromArray([23, NaN, -Infinity, -0, 1e21], new arrow.Float64()),
      g: arrow.vectorFromArray([0.1, 3, null, Infinity, 1.5], new arrow.Float32()),
      t: arrow.vectorFromArray([Date.UTC(2024, 1, 29, 12, 0, 0, 5), 0, null, -1, 1], new arrow.TimestampMillisecond()),
    });
    const path = join(await tempDir(), 'o.csv');
    await writeTable('csv', path, t.batches, t.schema);
    expect(await readFile(path, 'utf8')).toBe([
      'f,g,t', '23.0,0.1,2024-02-29 12:00:00.005', 'NaN,3.0,1970-01-01 00:00:00.000', '-Infinity,,', '-0.0,Infinity,1969-12-31 23:59:59.999', '1e+21,1.5,1970-01-01 00:00:00.001', '',
    ].join('\n'));
  });

  it('writes a file with the schema and no rows when there are no batches', async () => {
    const schema = new arrow.Schema([new arrow.Field('a', new arrow.Int32(), true)]);
    for (const format of ['arrow', 'parquet'] as const) {
      const path = join(await tempDir(), `empty.${format}`);
      expect(await writeTable(format, path, [], schema)).toBe(0);
      const { rows, exec } = await scanAll(format, path);
      expect(rows).toEqual([]);
      expect(exec.schema.fields.map((f) => f.name)).toEqual(['a']);
    }
  });
});

describe('atomic writes', () => {
  async function* failing(t: arrow.Table): AsyncGenerator<arrow.RecordBatch> {
    yield t.batches[0].slice(0, 3);
    throw new Error('upstream task failed');
  }

  for (const format of ['arrow', 'parquet', 'csv', 'json'] as const) {
    it(`${format}: an input that throws midway leaves no file and no temporary file`, async () => {
      const t = table();
      const dir = await tempDir();
      const path = join(dir, `out.${format}`);
      await expect(writeTable(format, path, failing(t), t.schema)).rejects.toThrow('upstream task failed');
      expect(await readdir(dir)).toEqual([]);
    });
  }

  it('a failed write keeps the previous file intact; a successful one replaces it', async () => {
    const t = table();
    const dir = await tempDir();
    const path = join(dir, 'out.csv');
    await writeFile(path, 'old content\n');
    await expect(writeTable('csv', path, failing(t), t.schema)).rejects.toThrow('upstream task failed');
    expect(await readFile(path, 'utf8')).toBe('old content\n');
    await writeTable('csv', path, t.batches, t.schema);
    expect((await readFile(path, 'utf8')).startsWith('s,i,big,f,b,d,t\n')).toBe(true);
    expect(await readdir(dir)).toEqual(['out.csv']);
  });

  it('creates missing parent directories; rejects unknown options', async () => {
    const t = table();
    const path = join(await tempDir(), 'a', 'b', 'out.arrow');
    await writeTable('arrow', path, t.batches, t.schema);
    expect((await scanAll('arrow', path)).rows.length).toBe(t.numRows);
    await expect(writeTable('csv', path, t.batches, t.schema, { stream: true })).rejects.toThrow(PlanError);
  });
});

describe('save modes at commit', () => {
  // A file that appears while the job runs: 'error' and 'ignore' must not replace it.
  async function* appearing(t: arrow.Table, path: string): AsyncGenerator<arrow.RecordBatch> {
    yield t.batches[0].slice(0, 3);
    await writeFile(path, 'written meanwhile\n');
    yield t.batches[0].slice(3);
  }

  it("'error' refuses a path created during the write; 'ignore' keeps it and returns 0; 'overwrite' replaces it", async () => {
    const t = table();
    const dir = await tempDir();
    const path = join(dir, 'out.csv');
    await expect(writeTable('csv', path, appearing(t, path), t.schema, {}, 'error')).rejects.toThrow(new PlanError(`${path} already exists; to replace it write with df.write.mode('overwrite'), to leave it and skip the write use mode('ignore')`));
    expect(await readFile(path, 'utf8')).toBe('written meanwhile\n');
    await rm(path);
    expect(await writeTable('csv', path, appearing(t, path), t.schema, {}, 'ignore')).toBe(0);
    expect(await readFile(path, 'utf8')).toBe('written meanwhile\n');
    await rm(path);
    expect(await writeTable('csv', path, appearing(t, path), t.schema, {}, 'overwrite')).toBe(t.numRows);
    expect((await readFile(path, 'utf8')).startsWith('s,i,big,f,b,d,t\n')).toBe(true);
    expect(await readdir(dir)).toEqual(['out.csv']);
  });
});
