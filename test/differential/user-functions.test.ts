// Differential tests against DuckDB over generated rows with nulls: a scalar UDF and a UDAF equal to built-ins, and explode/posexplode (unnest, generate_subscripts).
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, fn, Quiver, type DataFrame, type FieldJSON } from '../../core/index.ts';
import { sqlValue } from './data.ts';
import { makeExprRows, type ExprRow } from './expr-data.ts';

const MOD = resolve(import.meta.dirname, '../fixtures/udf/scalar-udfs.ts');
const twice = fn.udf({ module: MOD, export: 'twiceAPlusB' }, { returnType: 'float64' });
const sumSquares = fn.udaf({ module: MOD, export: 'sumSquares' }, { returnType: 'float64' });

const SCHEMA: FieldJSON[] = [
  { name: 'id', type: 'int32', nullable: false }, { name: 's', type: 'utf8', nullable: true },
  { name: 'k', type: 'int32', nullable: true }, { name: 'n', type: 'int32', nullable: true },
];

const num = (v: unknown): unknown => (v === null || v === undefined ? null : typeof v === 'bigint' ? Number(v) : v);
/** Rows as sorted JSON lines with numbers normalized, for multiset comparison. */
const lines = (rows: Record<string, unknown>[], keys: string[]) => rows.map((r) => JSON.stringify(keys.map((k) => num(r[k])))).sort();

describe('user functions and explode vs DuckDB', () => {
  let q: Quiver;
  let duck: DuckDBConnection;
  let df: DataFrame;
  const sql = async (text: string) => (await duck.runAndReadAll(text)).getRowObjects() as Record<string, unknown>[];

  beforeAll(async () => {
    q = await Quiver.local({ workers: 2, batchSize: 300 });
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    const rows: ExprRow[] = makeExprRows(23, 3000);
    await duck.run('CREATE TABLE e (id INTEGER, s VARCHAR, k INTEGER, n INTEGER)');
    await duck.run(`INSERT INTO e VALUES ${rows.map((r) => `(${r.id}, ${sqlValue(r.s)}, ${sqlValue(r.k)}, ${sqlValue(r.n)})`).join(', ')}`);
    df = q.createDataFrame(rows.map((r) => ({ id: r.id, s: r.s, k: r.k, n: r.n })), { schema: SCHEMA, partitions: 3 });
  }, 120_000);
  afterAll(async () => { await q?.close(); });

  it('fn.udf a*2+b equals the expression, nulls included', async () => {
    const got = await df.select('id', twice('k', 'n').alias('t')).orderBy('id').toArray();
    const want = await sql('SELECT id, (k * 2 + n)::DOUBLE AS t FROM e ORDER BY id');
    expect(got.map((r) => num(r.t))).toEqual(want.map((r) => num(r.t)));
    expect(got.some((r) => r.t === null)).toBe(true);
  }, 120_000);

  it('fn.udaf sum of squares equals sum(n * n) per group and globally (all-null groups are null)', async () => {
    const got = await df.groupBy('k').agg(sumSquares('n').alias('ss')).toArray();
    const want = await sql('SELECT k, sum(n * n)::DOUBLE AS ss FROM e GROUP BY k');
    expect(lines(got, ['k', 'ss'])).toEqual(lines(want, ['k', 'ss']));
    const g = await df.filter(col('id').mod(7).eq(0)).groupBy(col('id').mod(50).alias('b')).agg(sumSquares(col('n').isNull().cast('int32').mul(col('k'))).alias('ss')).toArray();
    const w = await sql('SELECT id % 50 AS b, sum(((n IS NULL)::INTEGER * k) * ((n IS NULL)::INTEGER * k))::DOUBLE AS ss FROM e WHERE id % 7 = 0 GROUP BY b');
    expect(lines(g, ['b', 'ss'])).toEqual(lines(w, ['b', 'ss']));
    const listState = fn.udaf({ module: MOD, export: 'sumSquaresList' }, { returnType: 'float64', stateType: { list: 'float64' } });
    const l = await df.groupBy('k').agg(listState('n').alias('ss')).toArray();
    expect(lines(l, ['k', 'ss'])).toEqual(lines(want, ['k', 'ss']));
    const [all] = await df.agg(sumSquares('n').alias('ss')).toArray();
    const [ref] = await sql('SELECT sum(n * n)::DOUBLE AS ss FROM e');
    expect(num(all.ss)).toBe(num(ref.ss));
  }, 120_000);

  it('explode equals unnest; posexplode equals generate_subscripts - 1 beside unnest', async () => {
    const list = col('s').split('a');
    const got = await df.select('id', fn.explode(list).alias('v')).toArray();
    const want = await sql("SELECT id, unnest(string_split(s, 'a')) AS v FROM e");
    expect(got.length).toBeGreaterThan(3000);
    expect(lines(got, ['id', 'v'])).toEqual(lines(want, ['id', 'v']));
    const pgot = await df.select('id', fn.posexplode(list)).toArray();
    const pwant = await sql("SELECT id, generate_subscripts(l, 1) - 1 AS pos, unnest(l) AS col FROM (SELECT id, string_split(s, 'a') AS l FROM e)");
    expect(lines(pgot, ['id', 'pos', 'col'])).toEqual(lines(pwant, ['id', 'pos', 'col']));
  }, 120_000);

  it('explodeOuter equals a left lateral join of unnest (null lists keep their row)', async () => {
    const got = await df.select('id', fn.explodeOuter(col('s').split('a')).alias('v')).toArray();
    const want = await sql("SELECT e.id, u.v FROM e LEFT JOIN LATERAL (SELECT unnest(string_split(e.s, 'a')) AS v) u ON true");
    expect(lines(got, ['id', 'v'])).toEqual(lines(want, ['id', 'v']));
    expect(got.some((r) => r.v === null)).toBe(true);
  }, 120_000);
});
