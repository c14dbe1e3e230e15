// Struct, map and list columns in files: json inference and schemas, bad nested values, and round trips through every writer.
import * as arrow from 'apache-arrow';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../core/api/show.ts';
import { DataError, PlanError } from '../../ops/errors.ts';
import { writeTable } from '../../ops/sinks/index.ts';
import { inferSchema, parseSchemaOption } from '../../ops/sources/index.ts';
import type { TypeJSON } from '../../ops/types.ts';
import { scanAll, tempDir } from './helpers.ts';

async function file(text: string, name = 'data.json'): Promise<string> {
  const path = join(await tempDir(), name);
  await writeFile(path, text);
  return path;
}

const rows = (batches: arrow.RecordBatch[]) => rowsOf(new arrow.Table(batches), { int64: 'bigint' });
const SCHEMA = 'id int32, s struct<a: bigint, b: struct<c: string, d: double>>, m map<int, array<string>>, l array<struct<x: int>>';
const LINES = [
  '{"id": 1, "s": {"a": 9007199254740993, "b": {"c": "x", "d": 1.5}}, "m": {"1": ["p", null], "20": []}, "l": [{"x": 1}, null, {}]}',
  '{"id": 2, "s": {"b": null}, "m": {}, "l": []}',
  '{"id": 3, "s": null}',
  '{"id": 4, "s": {"a": -5, "b": {"d": 2}}, "m": {"-3": null}, "l": null}',
];
const EXPECTED = [
  { id: 1, s: { a: 9007199254740993n, b: { c: 'x', d: 1.5 } }, m: new Map([[1, ['p', null]], [20, []]]), l: [{ x: 1 }, null, { x: null }] },
  { id: 2, s: { a: null, b: null }, m: new Map(), l: [] },
  { id: 3, s: null, m: null, l: null },
  { id: 4, s: { a: -5n, b: { c: null, d: 2 } }, m: new Map([[-3, null]]), l: null },
];

describe('json: nested values', () => {
  it('infers structs with fields unioned over the sample (missing = null), lists of merged elements, and utf8 where shapes conflict', async () => {
    const path = await file([
      '{"s": {"a": 1}, "l": [1, 2], "x": {"k": 1}, "e": [], "o": {}}',
      '{"s": {"b": "t", "a": 2.5}, "l": [3.5], "x": [1], "e": [], "o": {}}',
      '{"s": {"c": {"d": true}}, "l": null, "x": null}',
    ].join('\n'));
    const schema = await inferSchema({ format: 'json', paths: [path], options: {} });
    const f = (name: string, type: TypeJSON) => ({ name, type, nullable: true });
    expect(schema).toEqual([
      f('s', { struct: [f('a', 'float64'), f('b', 'utf8'), f('c', { struct: [f('d', 'bool')] })] }),
      f('l', { list: 'float64' }), f('x', 'utf8'), f('e', 'utf8'), f('o', 'utf8'),
    ]);
    const { batches } = await scanAll('json', path);
    expect(rows(batches)).toEqual([
      { s: { a: 1, b: null, c: null }, l: [1, 2], x: '{"k":1}', e: '[]', o: '{}' },
      { s: { a: 2.5, b: 't', c: null }, l: [3.5], x: '[1]', e: '[]', o: '{}' },
      { s: { a: null, b: null, c: { d: true } }, l: null, x: null, e: null, o: null },
    ]);
  });

  it('reads an explicit schema of structs, maps (integer keys from member names) and lists, int64 exact at any depth, in small batches', async () => {
    const path = await file(LINES.join('\n'));
    for (const batchSize of [1, 3, 1000]) {
      const { batches } = await scanAll('json', path, { schema: SCHEMA }, { batchSize });
      expect(rows(batches)).toEqual(EXPECTED);
    }
  });

  it('a bad nested value makes its record bad: failfast names the path, permissive drops the whole record', async () => {
    const path = await file([LINES[0], '{"id": 5, "s": {"a": 1, "b": {"c": "ok", "d": "NaNx"}}}', '{"id": 6, "m": {"x": ["a"]}}', '{"id": 7, "l": [{"x": 1}, {"x": "two"}]}', LINES[1]].join('\n'));
    const err = await scanAll('json', path, { schema: SCHEMA }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toContain(`${path}, line 2, column 's': field 'b': field 'd': expected float64, found "NaNx"`);
    const dir = join(await tempDir(), 'q');
    const { batches, ctx } = await scanAll('json', path, { schema: SCHEMA, mode: 'permissive', badRecordsPath: dir }, { batchSize: 2 });
    expect(rows(batches)).toEqual([EXPECTED[0], EXPECTED[1]]);
    expect(ctx[0].counters.get('badRecords')).toBe(3);
    const q = (await readFile(join(dir, (await readdir(dir)).find((n) => n.endsWith('.jsonl'))!), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(q.map((r) => [r.line, r.column, r.reason])).toEqual([
      [2, 's', 'field \'b\': field \'d\': expected float64, found "NaNx"'],
      [3, 'm', 'key "x": expected int32, found "x"'],
      [4, 'l', 'element 1: field \'x\': expected int32, found "two"'],
    ]);
  });

  it('schema DDL: struct<...>, map<k, v>, array<t> for json; csv refuses them naming the column', () => {
    expect(parseSchemaOption('s struct<a: int, `b c`: array<string> not null>, m map<string, double>', true)).toEqual([
      { name: 's', type: { struct: [{ name: 'a', type: 'int32', nullable: true }, { name: 'b c', type: { list: 'utf8' }, nullable: false }] }, nullable: true },
      { name: 'm', type: { map: { key: 'utf8', value: 'float64' } }, nullable: true },
    ]);
    expect(() => parseSchemaOption('s struct<a: int>')).toThrow("column 's' has type struct<a: int32>, which text formats cannot hold in csv");
    expect(() => parseSchemaOption('m map<double, int>', true)).toThrow('whose keys must be a plain type');
    expect(() => parseSchemaOption('m map<int>', true)).toThrow('needs a key and a value type');
  });
});

describe('writers: struct and map columns', () => {
  it('round trip through parquet, arrow (file and stream) and json, and read back equal', async () => {
    const src = await file(LINES.join('\n'));
    const { batches } = await scanAll('json', src, { schema: SCHEMA }, { batchSize: 3 });
    const schema = batches[0].schema;
    for (const [format, options, readOpts] of [['parquet', {}, {}], ['arrow', {}, {}], ['arrow', { stream: true }, {}], ['json', {}, { schema: SCHEMA }]] as const) {
      const out = join(await tempDir(), `out.${format}`);
      await writeTable(format, out, batches, schema, options);
      const back = await scanAll(format, out, readOpts);
      expect(rows(back.batches), `${format} ${JSON.stringify(options)}`).toEqual(EXPECTED);
      if (format !== 'json') expect(back.exec.schema.fields.map((f) => String(f.type))).toEqual(schema.fields.map((f) => String(f.type)));
    }
  });

  it('json writes structs as objects and maps as objects keyed by the keys\' text', async () => {
    const { batches } = await scanAll('json', await file(LINES.join('\n')), { schema: SCHEMA });
    const out = join(await tempDir(), 'out.json');
    await writeTable('json', out, batches, batches[0].schema);
    expect((await readFile(out, 'utf8')).split('\n')[0]).toBe('{"id":1,"s":{"a":9007199254740993,"b":{"c":"x","d":1.5}},"m":{"1":["p",null],"20":[]},"l":[{"x":1},null,{"x":null}]}');
  });

  it('csv refuses struct and map columns, naming the column and what to write instead', async () => {
    const { batches } = await scanAll('json', await file(LINES.join('\n')), { schema: SCHEMA });
    const err = await writeTable('csv', join(await tempDir(), 'out.csv'), batches, batches[0].schema).catch((e) => e);
    expect(err).toBeInstanceOf(PlanError);
    expect(err.message).toContain("cannot write column 's' of type struct<a: int64, b: struct<c: utf8, d: float64>> to csv");
    expect(err.message).toContain("fn.toJson('s')");
  });
});
