import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../ops/errors.ts';
import { writeTable } from '../../ops/sinks/index.ts';
import { inferSchema } from '../../ops/sources/index.ts';
import { rowsOf } from '../../core/api/show.ts';
import { scanAll, tempDir } from './helpers.ts';

async function jsonFile(text: string, name = 'data.json'): Promise<string> {
  const dir = await tempDir();
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('json lines reader', () => {
  it('infers the union of keys in first-seen order; objects read as structs, arrays as lists', async () => {
    const path = await jsonFile([
      '{"id": 1, "name": "a", "tags": ["x", "y"]}',
      '',
      '{"id": 3000000000, "score": 1.5, "meta": {"k": true}}',
      '{"name": null, "ok": false, "score": 2}',
    ].join('\n'));
    const schema = await inferSchema({ format: 'json', paths: [path], options: {} });
    expect(schema).toEqual([
      { name: 'id', type: 'int64', nullable: true },
      { name: 'name', type: 'utf8', nullable: true },
      { name: 'tags', type: { list: 'utf8' }, nullable: true },
      { name: 'score', type: 'float64', nullable: true },
      { name: 'meta', type: { struct: [{ name: 'k', type: 'bool', nullable: true }] }, nullable: true },
      { name: 'ok', type: 'bool', nullable: true },
    ]);
    const { batches } = await scanAll('json', path);
    expect(rowsOf(new arrow.Table(batches), { int64: 'bigint' })).toEqual([
      { id: 1n, name: 'a', tags: ['x', 'y'], score: null, meta: null, ok: null },
      { id: 3000000000n, name: null, tags: null, score: 1.5, meta: { k: true }, ok: null },
      { id: null, name: null, tags: null, score: 2, meta: null, ok: false },
    ]);
  });

  it('mixes of numbers widen; numbers and strings become utf8', async () => {
    const path = await jsonFile('{"a": 1, "b": 1}\n{"a": 2.5, "b": "x"}\n');
    expect(await inferSchema({ format: 'json', paths: [path], options: {} })).toEqual([
      { name: 'a', type: 'float64', nullable: true }, { name: 'b', type: 'utf8', nullable: true },
    ]);
    const { rows } = await scanAll('json', path);
    expect(rows).toEqual([{ a: 1, b: '1' }, { a: 2.5, b: 'x' }]);
  });

  it('an empty file is zero rows and no columns', async () => {
    const path = await jsonFile('');
    expect(await inferSchema({ format: 'json', paths: [path], options: {} })).toEqual([]);
    expect((await scanAll('json', path)).rows).toEqual([]);
  });

  it('failfast: malformed lines, non-objects and wrong types name file, line and column', async () => {
    const bad = await jsonFile('{"a": 1}\n{"a": 2\n');
    await expect(scanAll('json', bad)).rejects.toThrow(new RegExp(`^${bad.replace(/[.]/g, '\\.')}, line 2: malformed JSON: `));
    const arr = await jsonFile('{"a": 1}\n\n[1, 2]\n');
    await expect(scanAll('json', arr)).rejects.toThrow(`${arr}, line 3: expected a JSON object, found an array`);
    const typed = await jsonFile('{"a": 1}\n{"a": "abc"}\n');
    const err = await scanAll('json', typed, { schema: 'a int32' }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toBe(`${typed}, line 2, column 'a': expected int32, found "abc"; to skip bad records, read with mode: 'permissive' and a badRecordsPath`);
  });

  it('permissive: skips, counts and quarantines bad lines', async () => {
    const path = await jsonFile('{"a": 1}\nnot json\n{"a": 1.5}\n{"a": 3}\n');
    const dir = join(await tempDir(), 'q');
    const { rows, ctx } = await scanAll('json', path, { schema: 'a int32', mode: 'permissive', badRecordsPath: dir });
    expect(rows).toEqual([{ a: 1 }, { a: 3 }]);
    expect(ctx[0].counters.get('badRecords')).toBe(2);
    const q = (await readFile(join(dir, (await readdir(dir)).find((f) => f.endsWith('.jsonl'))!), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(q.map((r) => [r.line, r.column, r.record])).toEqual([[2, null, 'not json'], [3, 'a', '{"a": 1.5}']]);
    expect(q[0].reason).toMatch(/^malformed JSON: /);
    expect(q[1].reason).toBe('expected int32, found 1.5');
  });

  it('splits cover every line exactly once (property)', async () => {
    const dir = await tempDir();
    let n = 0;
    const obj = fc.record({ k: fc.integer(), s: fc.string({ maxLength: 8 }) });
    await fc.assert(fc.asyncProperty(fc.array(obj, { maxLength: 30 }), fc.integer({ min: 1, max: 120 }), async (objs, splitBytes) => {
      const path = join(dir, `p${n++}.json`);
      await writeFile(path, objs.map((o) => JSON.stringify(o)).join('\n'));
      const { rows } = await scanAll('json', path, { schema: 'k int32, s utf8' }, { splitBytes });
      expect(rows).toEqual(objs);
    }), { numRuns: 100 });
  });

  it('round trips through the json sink: unicode, escapes, nulls, int64 beyond 2^53, floats, bools (property)', async () => {
    const dir = await tempDir();
    let n = 0;
    const row = fc.record({
      s: fc.option(fc.string({ unit: 'binary', maxLength: 8 }), { nil: null }),
      i: fc.option(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), { nil: null }),
      f: fc.option(fc.double(), { nil: null }),
      b: fc.option(fc.boolean(), { nil: null }),
    });
    await fc.assert(fc.asyncProperty(fc.array(row, { maxLength: 20 }), async (rows) => {
      const path = join(dir, `r${n++}.json`);
      const t = new arrow.Table({
        s: arrow.vectorFromArray(rows.map((r) => r.s), new arrow.Utf8()),
        i: arrow.vectorFromArray(rows.map((r) => r.i), new arrow.Int64()),
        f: arrow.vectorFromArray(rows.map((r) => r.f), new arrow.Float64()),
        b: arrow.vectorFromArray(rows.map((r) => r.b), new arrow.Bool()),
      });
      await writeTable('json', path, t.batches, t.schema);
      const { rows: got } = await scanAll('json', path, { schema: 's utf8, i int64, f float64, b bool' });
      expect(got.length).toBe(rows.length);
      got.forEach((g, k) => {
        expect(g.s).toBe(rows[k].s);
        expect(g.i).toBe(rows[k].i);
        // JSON has no NaN or ±Infinity: the sink writes null for them.
        const f = rows[k].f;
        expect(Object.is(g.f, f !== null && !Number.isFinite(f) ? null : f)).toBe(true);
        expect(g.b).toBe(rows[k].b);
      });
    }), { numRuns: 100 });
  });

  it('reads int64 and uint64 numbers beyond 2^53 exactly; nested values keep their JSON text', async () => {
    const path = await jsonFile([
      '{"i": 9007199254740993, "u": 18446744073709551615, "n": {"k": 12345678901234567}, "s": "x:12345678901234567"}',
      '{"i": -9223372036854775808, "u": 0, "n": [12345678901234567, 1], "s": null}',
    ].join('\n'));
    const { rows } = await scanAll('json', path, { schema: 'i int64, u uint64, n utf8, s utf8' });
    // Nested values are JSON.parse'd and written back as text, as before: not turned into strings.
    expect(rows).toEqual([
      { i: 9007199254740993n, u: 18446744073709551615n, n: '{"k":12345678901234568}', s: 'x:12345678901234567' },
      { i: -(2n ** 63n), u: 0n, n: '[12345678901234568,1]', s: null },
    ]);
  });

  it('reads only own keys (a column named constructor is null when absent)', async () => {
    const path = await jsonFile('{"constructor": "x", "a": 1}\n{"a": 2}\n');
    const { rows } = await scanAll('json', path);
    expect(rows).toEqual([{ constructor: 'x', a: 1 }, { constructor: null, a: 2 }]);
  });

  it('a line longer than maxRecordBytes is reported, and permissive mode reads on after it', async () => {
    const long = JSON.stringify({ a: 1, s: 'x'.repeat(5000) });
    const path = await jsonFile(`{"a": 1, "s": "y"}\n${long}\n{"a": 3, "s": "z"}\n`);
    const opts = { schema: 'a int32, s utf8', maxRecordBytes: 512, bufferBytes: 1024 };
    await expect(scanAll('json', path, opts)).rejects.toThrow(`${path}, line 2: record longer than maxRecordBytes (512 bytes)`);
    const { rows, ctx } = await scanAll('json', path, { ...opts, mode: 'permissive', badRecordsPath: join(await tempDir(), 'q') });
    expect(rows).toEqual([{ a: 1, s: 'y' }, { a: 3, s: 'z' }]);
    expect(ctx[0].counters.get('badRecords')).toBe(1);
  });
});
