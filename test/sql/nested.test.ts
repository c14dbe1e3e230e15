// Structs and maps vs DuckDB: one generated nested JSON file read by both engines (DuckDB's read_json), queried in SQL and through the DataFrame API.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStage } from '../../core/cluster/stage-schema.ts';
import { col, fn, Quiver, type DataFrame } from '../../core/index.ts';
import { typeToString } from '../../ops/types.ts';
import { rng } from '../../examples/data/access-log.ts';
import { duckRows, expectSameAsDuckDB, expectSameRows, quiverRows } from './compare.ts';

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'épsilon'];
const KEYS = ['k1', 'k2', 'k3', 'k4'];

/** Rows with nulls at every level: a missing or null struct, field, map or list, and empty maps and lists. */
function nestedLines(seed: number, n: number): string {
  const r = rng(seed);
  const maybe = <T>(v: () => T, p = 0.15): T | null | undefined => (r() < p ? (r() < 0.5 ? null : undefined) : v());
  const lines: string[] = [];
  for (let id = 0; id < n; id++) {
    const row: Record<string, unknown> = {
      id,
      s: maybe(() => ({ a: maybe(() => Math.floor(r() * 100) - 20), b: maybe(() => ({ c: maybe(() => WORDS[Math.floor(r() * WORDS.length)]), d: maybe(() => Math.round(r() * 1e4) / 100) })) })),
      m: maybe(() => Object.fromEntries(KEYS.filter(() => r() < 0.5).map((k) => [k, r() < 0.1 ? null : Math.floor(r() * 1000)]))),
      arr: maybe(() => Array.from({ length: Math.floor(r() * 4) }, () => Math.floor(r() * 50))),
    };
    lines.push(JSON.stringify(row));
  }
  return lines.join('\n');
}

const SCHEMA = 'id bigint, s struct<a: bigint, b: struct<c: string, d: double>>, m map<string, bigint>, arr array<bigint>';
const DUCK_COLUMNS = "{id: 'BIGINT', s: 'STRUCT(a BIGINT, b STRUCT(c VARCHAR, d DOUBLE))', m: 'MAP(VARCHAR, BIGINT)', arr: 'BIGINT[]'}";

/** [what, SQL run by both engines]. */
const CASES: readonly (readonly [string, string])[] = [
  ['struct fields, nested fields, qualified', 'select id, s.a, s.b.c, t.s.b.d from t order by id'],
  ["map subscripts, list subscripts (1-based, negative from the end)", "select id, m['k1'] as k1, m['k4'] as k4, arr[1] as first, arr[-1] as last, arr[2] as second from t order by id"],
  ['map_keys / map_values sizes, cardinality', 'select id, cardinality(m) as n, array_length(map_keys(m)) as nk, array_length(map_values(m)) as nv from t order by id'],
  ['filter and group by struct fields and map values', "select s.b.c as c, count(*) as n, sum(s.a) as sa, sum(m['k2']) as k2 from t where s.a > 0 or m['k1'] is not null group by s.b.c"],
  ['a struct star expands its fields', 'select id, s.* from t order by id'],
  ['a struct field in a join key', 'select t.id, u.id from t join t as u on t.s.a = u.m[\'k3\'] where t.id < 40'],
];

describe('structs and maps vs DuckDB on the same nested JSON', () => {
  let q: Quiver;
  let duck: DuckDBConnection;
  let df: DataFrame;
  let path: string;
  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quiver-nested-'));
    path = join(dir, 'nested.json');
    await writeFile(path, nestedLines(7, 600));
    q = await Quiver.local({ workers: 2, shufflePartitions: 3, batchSize: 128, ui: false });
    df = q.read.json(path, { schema: SCHEMA });
    df.createOrReplaceTempView('t');
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run(`CREATE TABLE t AS SELECT * FROM read_json('${path}', format = 'newline_delimited', columns = ${DUCK_COLUMNS})`);
  }, 60_000);
  afterAll(async () => { if (q) await q.close(); });

  for (const [name, sql] of CASES) {
    it(`SQL: ${name}`, () => expectSameAsDuckDB(q.sql(sql), duck, sql), 60_000);
  }

  it('SQL: a nested struct star (t.s.b.*) is its fields; t.* is still the table', async () => {
    const got = q.sql('select id, t.s.b.* from t');
    expect(got.columns).toEqual(['id', 'c', 'd']);
    expectSameRows(await quiverRows(got), (await duckRows(duck, 'select id, s.b.c, s.b.d from t')).rows, false);
    expect(q.sql('select t.* from t').columns).toEqual(['id', 's', 'm', 'arr']);
  }, 60_000);

  it('inference: both engines read the objects as structs and the arrays as lists, and agree on the values', async () => {
    const inferred = q.read.json(path);
    expect(inferred.schema.map((f) => typeToString(f.type))).toEqual([
      'int32', 'struct<a: int32, b: struct<c: utf8, d: float64>>', 'struct<k3: int32, k4: int32, k1: int32, k2: int32>', 'list<int32>', // fields in first-seen order
    ]);
    inferred.createOrReplaceTempView('ti');
    const sql = 'select id, s.a, s.b.c, s.b.d, m.k1, m.k4, arr[2] as second from ti';
    expectSameRows(await quiverRows(q.sql(sql)), (await duckRows(duck, sql.replace('from ti', `from read_json_auto('${path}')`))).rows, false);
  }, 60_000);

  it('DataFrame: col("s.b.c"), getField, getItem and elementAt agree with DuckDB', async () => {
    const got = df.select('id', col('s.b.c'), col('s').getField('a').alias('a'), col('m').getItem('k2').alias('k2'), fn.elementAt('arr', 1).alias('first'), fn.size('m').alias('n'));
    expect(got.columns).toEqual(['id', 'c', 'a', 'k2', 'first', 'n']);
    const want = await duckRows(duck, "select id, s.b.c, s.a, m['k2'], arr[1], cardinality(m) from t");
    expectSameRows(await quiverRows(got), want.rows, false);
  }, 60_000);

  it("DataFrame: explode of a map gives key and value columns, posexplode their position", async () => {
    const got = df.select('id', fn.posexplode('m'));
    expect(got.columns).toEqual(['id', 'pos', 'key', 'value']);
    const want = await duckRows(duck, 'select id, generate_subscripts(map_keys(m), 1) - 1 as pos, unnest(map_keys(m)) as key, unnest(map_values(m)) as value from t');
    expectSameRows(await quiverRows(got), want.rows, false);
  }, 60_000);

  it("DataFrame: select('s.*') and select('s.b.*') expand struct fields", async () => {
    const got = df.select('id', 's.b.*');
    expect(got.columns).toEqual(['id', 'c', 'd']);
    const want = await duckRows(duck, 'select id, s.b.c, s.b.d from t');
    expectSameRows(await quiverRows(got), want.rows, false);
    expect(df.select('s.*').columns).toEqual(['a', 'b']);
  }, 60_000);

  it('reads the Parquet file DuckDB writes from the same table (struct, map and list columns)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quiver-nested-pq-'));
    const path = join(dir, 't.parquet');
    await duck.run(`COPY (select * from t order by id) TO '${path}' (FORMAT parquet)`);
    const back = q.read.parquet(path);
    expect(back.schema.map((f) => f.type)).toEqual(df.schema.map((f) => f.type));
    const norm = (rows: Record<string, unknown>[]) => JSON.stringify(rows, (_, v) => (v instanceof Map ? [...v] : v));
    expect(norm(await back.orderBy('id').toArray())).toBe(norm(await df.orderBy('id').toArray()));
  }, 60_000);

  it('a real column named like a field path, or a qualifier, wins over struct fields', async () => {
    const dotted = df.select(col('id').alias('s.a'), col('s'));
    expect(await dotted.select('s.a').orderBy('s.a').limit(3).toArray()).toEqual([{ 's.a': 0 }, { 's.a': 1 }, { 's.a': 2 }]);
    const aliased = df.alias('s').select(col('s.id'));
    expect(aliased.columns).toEqual(['id']);
  }, 60_000);

  it('struct and map columns cross shuffles, and plans over them decode as executors validate them', async () => {
    const norm = (rows: Record<string, unknown>[]) => JSON.stringify(rows, (_, v) => (v instanceof Map ? [...v] : v));
    expect(norm(await df.repartition(4).orderBy('id').toArray())).toBe(norm(await df.orderBy('id').toArray()));
    const out = df.filter(col('s.a').gt(0)).select('id', col('s.b'), fn.struct('arr', col('m')).alias('st'), fn.createMap('x', col('id')).alias('cm'))
      .repartition(3, 'id').select('id', 'b', 'st', fn.explode('cm'));
    const { physical } = await q.session.physical(out.plan);
    expect(physical.stages.length).toBeGreaterThan(1);
    for (const stage of physical.stages) {
      const d = decodeStage(JSON.stringify(stage));
      expect(d.ok ? d.stage : d.reason).toEqual(JSON.parse(JSON.stringify(stage)));
    }
    expect((await out.orderBy('id').limit(1).toArray())[0]).toMatchObject({ key: 'x' });
  }, 60_000);

  it('struct and map keys, and csv output, are PlanErrors that name the column and a fix', async () => {
    expect(() => df.groupBy('s').count()).toThrow("cannot group by s of type struct<a: int64, b: struct<c: utf8, d: float64>>: structs are not keys; use their fields instead, e.g. col('s.a')");
    expect(() => df.orderBy('m')).toThrow('cannot sort by m of type map<utf8, int64>: maps are not keys');
    expect(() => df.distinct()).toThrow('cannot deduplicate (distinct) by s');
    expect(() => q.sql('select s, count(*) from t group by s')).toThrow('structs are not keys');
    await expect(df.write.save('csv', join(await mkdtemp(join(tmpdir(), 'quiver-nested-csv-')), 'out'))).rejects.toThrow("cannot write column 's' of type struct<a: int64, b: struct<c: utf8, d: float64>> to csv");
    expect(() => df.select(col('s.zz'))).toThrow("struct s has no field 'zz'; its fields are a, b");
    expect(() => q.sql('select id.x from t')).toThrow("column 'id' has no fields");
  }, 60_000);
});
