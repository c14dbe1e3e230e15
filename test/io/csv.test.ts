import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError, PlanError } from '../../ops/errors.ts';
import { writeTable } from '../../ops/sinks/index.ts';
import { inferSchema, planSplits } from '../../ops/sources/index.ts';
import { scanAll, tempDir } from './helpers.ts';

async function csvFile(text: string, name = 'data.csv'): Promise<string> {
  const dir = await tempDir();
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('csv schema inference', () => {
  it('infers int32, int64, float64, bool and utf8 from the header and values; empty fields are null', async () => {
    const path = await csvFile([
      'i,big,f,b,s,none',
      '1,3000000000,1.5,true,x,',
      '-7,-1,2,FALSE,"y, z",',
      ',5,1e3,,"say ""hi""",',
    ].join('\n'));
    const schema = await inferSchema({ format: 'csv', paths: [path], options: {} });
    expect(schema).toEqual([
      { name: 'i', type: 'int32', nullable: true },
      { name: 'big', type: 'int64', nullable: true },
      { name: 'f', type: 'float64', nullable: true },
      { name: 'b', type: 'bool', nullable: true },
      { name: 's', type: 'utf8', nullable: true },
      { name: 'none', type: 'utf8', nullable: true },
    ]);
    const { rows } = await scanAll('csv', path);
    expect(rows).toEqual([
      { i: 1, big: 3000000000n, f: 1.5, b: true, s: 'x', none: null },
      { i: -7, big: -1n, f: 2, b: false, s: 'y, z', none: null },
      { i: null, big: 5n, f: 1000, b: null, s: 'say "hi"', none: null },
    ]);
  });

  it('names columns _c0, _c1, ... without a header, and makes repeated header names unique', async () => {
    const a = await csvFile('1,x\n2,y\n');
    expect((await inferSchema({ format: 'csv', paths: [a], options: { header: false } })).map((f) => f.name)).toEqual(['_c0', '_c1']);
    const b = await csvFile('k,k,\n1,2,3\n');
    expect((await inferSchema({ format: 'csv', paths: [b], options: {} })).map((f) => f.name)).toEqual(['k0', 'k1', '_c2']);
  });

  it('uses a given schema (DDL or fields) instead of inferring', async () => {
    const path = await csvFile('a,b\n1,2\n');
    const ddl = await inferSchema({ format: 'csv', paths: [path], options: { schema: 'x bigint, y string not null' } });
    expect(ddl).toEqual([{ name: 'x', type: 'int64', nullable: true }, { name: 'y', type: 'utf8', nullable: false }]);
    const { rows } = await scanAll('csv', path, { schema: [{ name: 'x', type: 'float64', nullable: true }, { name: 'y', type: 'utf8', nullable: true }] });
    expect(rows).toEqual([{ x: 1, y: '2' }]);
  });

  it('reads quoted fields with delimiters, doubled quotes, line breaks and unicode; CRLF endings', async () => {
    const path = await csvFile('id,text\r\n1,"a,b"\r\n2,"multi\r\nline ""q"""\r\n3,ünï\r\n4,""\r\n5,\r\n');
    const { rows } = await scanAll('csv', path, { splittable: false });
    expect(rows).toEqual([
      { id: 1, text: 'a,b' }, { id: 2, text: 'multi\r\nline "q"' }, { id: 3, text: 'ünï' }, { id: 4, text: '' }, { id: 5, text: null },
    ]);
  });

  it('honours delimiter, quote and nullValue options; skips blank lines', async () => {
    const path = await csvFile("a;b\n'x;y';NA\n\n'it''s';2\n");
    const { rows } = await scanAll('csv', path, { delimiter: ';', quote: "'", nullValue: 'NA' });
    expect(rows).toEqual([{ a: 'x;y', b: null }, { a: "it's", b: 2 }]);
  });

  it('reads dates and timestamps when the schema asks for them', async () => {
    const path = await csvFile('d,t\n2024-02-29,2024-02-29T12:34:56.789Z\n1969-12-31,1970-01-01 00:00:01\n');
    const { batches } = await scanAll('csv', path, { schema: 'd date, t timestamp' });
    const b = batches[0];
    expect(Array.from(b.getChildAt(0)!.data[0].values as Int32Array)).toEqual([19782, -1]);
    expect(Array.from(b.getChildAt(1)!.data[0].values as BigInt64Array)).toEqual([1709210096789n, 1000n]);
  });
});

describe('csv bad input', () => {
  // Inference would make `age` utf8 (it sees "abc"): the schema is given, or inferRows is small.
  const people = 'name,age\nann,31\nbob,40\ncid,22\ndee,19\neve,50\nfay,abc\ngus,7\n';

  it('failfast names file, line (counting the header), column and what was expected', async () => {
    const path = await csvFile(people);
    await expect(scanAll('csv', path, { inferRows: 3 })).rejects.toThrow(new DataError(
      `expected int32, found "abc"; to skip bad records, read with mode: 'permissive' and a badRecordsPath`,
      { file: path, line: 7, column: 'age' }).message);
    const err = await scanAll('csv', path, { schema: 'name string, age int' }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message.startsWith(`${path}, line 7, column 'age': expected int32, found "abc"`)).toBe(true);
    expect(err.location).toEqual({ file: path, line: 7, column: 'age' });
  });

  it('reports the line of a bad record in a split that starts mid-file, counted from the file start', async () => {
    const lines = ['n'];
    for (let i = 0; i < 500; i++) lines.push(String(i));
    lines[400] = 'oops';
    const path = await csvFile(lines.join('\n') + '\n');
    const err = await scanAll('csv', path, { schema: 'n int32' }, { splitBytes: 200 }).catch((e) => e);
    expect(err.location).toEqual({ file: path, line: 401, column: 'n' });
  });

  it('reports rows with the wrong number of fields, and malformed quoting', async () => {
    const short = await csvFile('a,b,c\n1,2,3\n4,5\n');
    await expect(scanAll('csv', short)).rejects.toThrow(`${short}, line 3: expected 3 fields, found 2;`);
    const quoted = await csvFile('a,b\n"x"y,1\n');
    await expect(scanAll('csv', quoted)).rejects.toThrow(`${quoted}, line 2: malformed CSV: unexpected character "y" after a closing quote`);
    const open = await csvFile('a,b\n1,"never closed\n2,3\n');
    await expect(scanAll('csv', open, { schema: 'a int32, b utf8' })).rejects.toThrow(`${open}, line 2: malformed CSV: unterminated quoted field`);
  });

  it('reports a null in a non-nullable column', async () => {
    const path = await csvFile('a,b\n1,\n');
    await expect(scanAll('csv', path, { schema: 'a int32, b int32 not null' })).rejects.toThrow(
      `${path}, line 2, column 'b': expected int32, found an empty field (the column is not nullable)`);
  });

  it('permissive skips bad records, counts them and quarantines them with reasons', async () => {
    const path = await csvFile(people + 'hal,1,extra\n');
    const bad = join(await tempDir(), 'bad');
    const { rows, ctx } = await scanAll('csv', path, { mode: 'permissive', badRecordsPath: bad, schema: 'name string, age int' });
    expect(rows.map((r) => r.name)).toEqual(['ann', 'bob', 'cid', 'dee', 'eve', 'gus']);
    expect(ctx[0].counters.get('badRecords')).toBe(2);
    const [file, ...more] = await readdir(bad);
    expect(more).toEqual([]);
    expect(file).toMatch(/^part-[^/]+\.csv-[0-9a-f]{16}\.jsonl$/); // one file per split
    const quarantined = (await readFile(join(bad, file), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(quarantined).toEqual([
      { file: path, line: 7, column: 'age', reason: 'expected int32, found "abc"', record: 'fay,abc' },
      { file: path, line: 9, column: null, reason: 'expected 2 fields, found 3', record: 'hal,1,extra' },
    ]);
  });

  it('permissive creates no quarantine when every record is good', async () => {
    const path = await csvFile('a\n1\n');
    const bad = join(await tempDir(), 'bad');
    const { ctx } = await scanAll('csv', path, { mode: 'permissive', badRecordsPath: bad });
    expect(ctx[0].counters.get('badRecords')).toBeUndefined();
    await expect(readdir(bad)).rejects.toThrow(/ENOENT/);
  });

  it('requires badRecordsPath in permissive mode and rejects unknown modes and options', async () => {
    const path = await csvFile('a\n1\n');
    await expect(inferSchema({ format: 'csv', paths: [path], options: { mode: 'permissive' } })).rejects.toThrow(PlanError);
    await expect(planSplits({ format: 'csv', paths: [path], options: { mode: 'permissive' } }, 1000)).rejects.toThrow(/requires option badRecordsPath/);
    await expect(inferSchema({ format: 'csv', paths: [path], options: { mode: 'dropmalformed' } })).rejects.toThrow(/unknown mode "dropmalformed"; expected 'failfast'/);
    await expect(inferSchema({ format: 'csv', paths: [path], options: { delimter: ';' } })).rejects.toThrow(/unknown option 'delimter' for csv files; valid options: mode, badRecordsPath/);
  });

  it('inferring from an empty file is an error (no header to name the columns); with a schema it is zero rows', async () => {
    const path = await csvFile('');
    await expect(inferSchema({ format: 'csv', paths: [path], options: {} })).rejects.toThrow(`${path}: empty file, expected a header line`);
    expect((await scanAll('csv', path, { schema: 'a int32' })).rows).toEqual([]);
    const { rows } = await scanAll('csv', path, { header: false, schema: 'a int32' });
    expect(rows).toEqual([]);
  });

  it('a runaway quote stops at maxRecordBytes instead of reading the rest of the file as one field', async () => {
    const path = await csvFile('a,b\n1,"oops\n' + '2,x\n'.repeat(5000));
    await expect(scanAll('csv', path, { schema: 'a int32, b utf8', maxRecordBytes: 256, bufferBytes: 1024 })).rejects.toThrow(
      `${path}, line 2: record longer than maxRecordBytes (256 bytes): is a quote unbalanced?`);
  });
});

describe('csv splits', () => {
  it('splits cover every record exactly once for any split size (property, no quoted line breaks)', async () => {
    const dir = await tempDir();
    let n = 0;
    const cell = fc.string({ unit: fc.constantFrom('a', 'z', ',', '"', ' ', 'é'), maxLength: 6 });
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.integer(), cell), { maxLength: 30 }), fc.integer({ min: 1, max: 90 }), async (rows, splitBytes) => {
      const path = join(dir, `s${n++}.csv`);
      const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
      await writeFile(path, 'n,s\n' + rows.map(([i, s]) => `${i},${q(s)}\n`).join(''));
      const { rows: got } = await scanAll('csv', path, { schema: 'n int32, s utf8' }, { splitBytes });
      expect(got).toEqual(rows.map(([i, s]) => ({ n: i, s })));
    }), { numRuns: 100 });
  });

  it('a file with quoted line breaks reads the same in one split (splittable: false) and cut into many', async () => {
    const body = Array.from({ length: 50 }, (_, i) => `${i},"line one\nline two, ${i}"`).join('\n');
    const path = await csvFile('n,s\n' + body + '\n');
    const whole = await scanAll('csv', path, { splittable: false }, { splitBytes: 100 });
    expect(whole.rows.length).toBe(50);
    expect(whole.rows[3]).toEqual({ n: 3, s: 'line one\nline two, 3' });
    const split = await scanAll('csv', path, {}, { splitBytes: 100 });
    expect(split.exec.display()).toMatch(/splits=1[0-9]/);
    expect(split.rows).toEqual(whole.rows);
  });
});

describe('csv round trip through the csv sink (property)', () => {
  it('random strings with quotes, delimiters, line breaks and nulls read back equal', async () => {
    const dir = await tempDir();
    let n = 0;
    const str = fc.option(fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r\n', ' ', ';', 'ü', '😀', ''), maxLength: 8 }), { nil: null });
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(str, str, fc.option(fc.integer(), { nil: null })), { maxLength: 25 }), async (rows) => {
      const path = join(dir, `r${n++}.csv`);
      const t = new arrow.Table({
        a: arrow.vectorFromArray(rows.map((r) => r[0]), new arrow.Utf8()),
        b: arrow.vectorFromArray(rows.map((r) => r[1]), new arrow.Utf8()),
        c: arrow.vectorFromArray(rows.map((r) => r[2]), new arrow.Int32()),
      });
      await writeTable('csv', path, t.batches, t.schema);
      const { rows: got } = await scanAll('csv', path, { splittable: false, schema: 'a utf8, b utf8, c int32' });
      expect(got).toEqual(rows.map(([a, b, c]) => ({ a, b, c })));
    }), { numRuns: 100 });
  });
});

describe('csv over many files and splits', () => {
  it("reads a glob of files, skipping each file's header", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'part-a.csv'), 'k,v\n1,a\n2,b\n');
    await writeFile(join(dir, 'part-b.csv'), 'k,v\n3,c\n');
    const { rows } = await scanAll('csv', join(dir, 'part-*.csv'));
    expect(rows).toEqual([{ k: 1, v: 'a' }, { k: 2, v: 'b' }, { k: 3, v: 'c' }]);
  });

  it('permissive writes one quarantine file per split with bad records, with file-wide line numbers', async () => {
    const lines = ['n'];
    for (let i = 1; i <= 300; i++) lines.push(i % 100 === 0 ? `bad${i}` : String(i));
    const path = await csvFile(lines.join('\n') + '\n');
    const q = join(await tempDir(), 'q');
    const { rows, ctx } = await scanAll('csv', path, { schema: 'n int32', mode: 'permissive', badRecordsPath: q }, { splitBytes: 400 });
    expect(rows.length).toBe(297);
    expect(ctx.reduce((s, c) => s + (c.counters.get('badRecords') ?? 0), 0)).toBe(3);
    const files = (await readdir(q)).sort();
    expect(files.length).toBe(3);
    expect(files.every((f) => /^part-.+-[0-9a-f]{16}\.jsonl$/.test(f))).toBe(true);
    const found: [number, string][] = [];
    for (const f of files) for (const l of (await readFile(join(q, f), 'utf8')).trim().split('\n')) { const r = JSON.parse(l); found.push([r.line, r.record]); }
    expect(found.sort((a, b) => a[0] - b[0])).toEqual([[101, 'bad100'], [201, 'bad200'], [301, 'bad300']]);
  });
});

describe('csv numbers', () => {
  it('floats read back exactly: short decimals (fast path) and any double (property)', async () => {
    const dir = await tempDir();
    let n = 0;
    const short = fc.tuple(fc.integer({ min: -99999999, max: 99999999 }), fc.integer({ min: 0, max: 7 })).map(([m, k]) => m / 10 ** k);
    await fc.assert(fc.asyncProperty(fc.array(fc.oneof(fc.double(), short), { maxLength: 30 }), async (xs) => {
      const path = join(dir, `f${n++}.csv`);
      const t = new arrow.Table({ x: arrow.vectorFromArray(xs, new arrow.Float64()), k: arrow.vectorFromArray(xs.map((_, i) => i), new arrow.Int32()) });
      await writeTable('csv', path, t.batches, t.schema);
      const { rows } = await scanAll('csv', path, { schema: 'x double, k int' });
      expect(rows.map((r) => r.x)).toEqual(xs);
    }), { numRuns: 100 });
    const text = await csvFile('x\n0.1\n-0.0\n.5\n7.\n123456789012345\n1234567890123456789\n1e-5\n-Infinity\nNaN\n');
    const { rows } = await scanAll('csv', text, { schema: 'x double' });
    expect(rows.map((r) => r.x)).toEqual([0.1, -0, 0.5, 7, 123456789012345, 1234567890123456789, 1e-5, -Infinity, NaN]);
  });
});
