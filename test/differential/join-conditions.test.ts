// Differential tests of joins on conditions, cross joins and aliased self-joins against DuckDB, under broadcast and shuffle strategies.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, lit, Quiver, type DataFrame } from '../../core/index.ts';
import { makeTables, sqlValue, type Tables } from './data.ts';

function norm(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return Number.isInteger(v) ? v : Number(v.toPrecision(10));
  return v;
}
const key = (r: Record<string, unknown>) => JSON.stringify(Object.values(r).map(norm));

type How = 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti';
interface Case { name: string; quiver: (a: DataFrame, b: DataFrame) => DataFrame; sql: string }

/** SQL for `a <how> join b on <on>`, columns as Quiver outputs them (left then right; left only for semi/anti). */
function sqlJoin(how: How, on: string, from = 'a', to = 'b'): string {
  if (how === 'semi') return `SELECT * FROM ${from} a WHERE EXISTS (SELECT 1 FROM ${to} b WHERE ${on})`;
  if (how === 'anti') return `SELECT * FROM ${from} a WHERE NOT EXISTS (SELECT 1 FROM ${to} b WHERE ${on})`;
  return `SELECT a.*, b.* FROM ${from} a ${how.toUpperCase()} JOIN ${to} b ON ${on}`;
}

const HOWS: How[] = ['inner', 'left', 'right', 'full', 'semi', 'anti'];
const A = (a: DataFrame) => a.alias('a');
const B = (b: DataFrame) => b.alias('b');
const small = (a: DataFrame) => a.filter(col('y').lt(300));
const SMALL_A = '(SELECT * FROM a WHERE y < 300)';

const CASES: Case[] = [
  // Keys plus a residual over both sides: the residual decides matching for outer/semi/anti joins.
  ...HOWS.map((how) => ({
    name: `${how} join on a key and a residual`,
    quiver: (a: DataFrame, b: DataFrame) => A(a).join(B(b), col('a.k').eq(col('b.k')).and(col('a.x').lt(col('b.w'))), how),
    sql: sqlJoin(how, 'a.k = b.k AND a.x < b.w'),
  })),
  // One-side conjuncts in ON: the right one may move into b, the left one must stay for left/anti joins.
  ...HOWS.map((how) => ({
    name: `${how} join with one-side ON conjuncts`,
    quiver: (a: DataFrame, b: DataFrame) => A(a).join(B(b), col('a.k').eq(col('b.k')).and(col('b.w').gt(lit(0))).and(col('a.y').mod(lit(3)).eq(lit(0))), how),
    sql: sqlJoin(how, 'a.k = b.k AND b.w > 0 AND a.y % 3 = 0'),
  })),
  // No equality at all: a nested-loop join.
  ...HOWS.map((how) => ({
    name: `${how} join without keys (nested loop)`,
    quiver: (a: DataFrame, b: DataFrame) => A(small(a)).join(B(b), col('a.k').gte(col('b.k').sub(lit(1))).and(col('a.k').lte(col('b.k').add(lit(1)))).and(col('b.w').gt(col('a.x'))), how),
    sql: sqlJoin(how, 'a.k >= b.k - 1 AND a.k <= b.k + 1 AND b.w > a.x', SMALL_A),
  })),
  { name: 'cross join', quiver: (a, b) => a.filter(col('y').lt(40)).select('y', 'g').crossJoin(b.select('z', 'w')),
    sql: 'SELECT y, g, z, w FROM a CROSS JOIN b WHERE y < 40' },
  { name: 'cross join with an empty side', quiver: (a, b) => a.filter(col('y').lt(0)).crossJoin(b.select('z')),
    sql: 'SELECT a.*, z FROM a CROSS JOIN b WHERE y < 0' },
  { name: 'where over a cross join becomes an equi-join with a residual',
    quiver: (a, b) => A(a).crossJoin(B(b)).filter(col('a.k').eq(col('b.k')).and(col('a.x').gt(col('b.w'))).and(col('b.z').isNotNull())),
    sql: 'SELECT a.*, b.* FROM a, b WHERE a.k = b.k AND a.x > b.w AND b.z IS NOT NULL' },
  { name: 'self-join with aliases (qualified columns on both sides)',
    quiver: (a) => a.filter(col('y').lt(1500)).alias('a1').join(a.alias('a2'), col('a1.k').eq(col('a2.k')).and(col('a1.y').lt(col('a2.y'))).and(col('a1.g').neq(col('a2.g'))))
      .select(col('a1.y'), col('a2.y'), col('a2.g')),
    sql: 'SELECT a1.y, a2.y, a2.g FROM a a1 JOIN a a2 ON a1.k = a2.k AND a1.y < a2.y AND a1.g <> a2.g WHERE a1.y < 1500' },
  { name: 'self anti join on an alias (Q21 not exists)',
    quiver: (a) => a.alias('l1').join(a.alias('l2'), col('l2.k').eq(col('l1.k')).and(col('l2.g').neq(col('l1.g'))), 'anti').select('y', 'k'),
    sql: 'SELECT y, k FROM a l1 WHERE NOT EXISTS (SELECT 1 FROM a l2 WHERE l2.k = l1.k AND l2.g <> l1.g)' },
  { name: 'three relations linked through the third (from a1, b, a2 where a1.k = a2.k and b.k = a2.k)',
    quiver: (a, b) => a.filter(col('y').lt(200)).alias('a1').crossJoin(b.alias('b')).crossJoin(a.filter(col('y').lt(400)).alias('a2'))
      .filter(col('a1.k').eq(col('a2.k')).and(col('b.k').eq(col('a2.k'))).and(col('a1.y').neq(col('a2.y'))))
      .select(col('a1.y'), col('b.z'), col('a2.y')),
    sql: 'SELECT a1.y, b.z, a2.y FROM a a1, b, a a2 WHERE a1.k = a2.k AND b.k = a2.k AND a1.y <> a2.y AND a1.y < 200 AND a2.y < 400' },
];

const SESSIONS = [
  { title: '1 partition, broadcast', partitions: 1, options: {} },
  { title: '4 partitions, broadcast', partitions: 4, options: {} },
  { title: '3 partitions, shuffle (broadcast off)', partitions: 3, options: { broadcastThresholdBytes: 0 } },
];

for (const s of SESSIONS) {
  describe(`joins on conditions vs DuckDB, ${s.title}`, () => {
    let q: Quiver;
    let duck: DuckDBConnection;
    let data: Tables;
    let frames: () => [DataFrame, DataFrame];
    beforeAll(async () => {
      q = await Quiver.local({ workers: 2, shufflePartitions: s.partitions, batchSize: 500, quiet: true, ui: false, ...s.options });
      duck = await (await DuckDBInstance.create(':memory:')).connect();
      data = makeTables(11);
      await duck.run('CREATE TABLE a (k INTEGER, g VARCHAR, x DOUBLE, y INTEGER)');
      await duck.run('CREATE TABLE b (k INTEGER, z VARCHAR, w INTEGER)');
      await duck.run(`INSERT INTO a VALUES ${data.a.map((r) => `(${[r.k, r.g, r.x, r.y].map(sqlValue).join(', ')})`).join(', ')}`);
      await duck.run(`INSERT INTO b VALUES ${data.b.map((r) => `(${[r.k, r.z, r.w].map(sqlValue).join(', ')})`).join(', ')}`);
      const schemaA = [{ name: 'k', type: 'int32' as const, nullable: true }, { name: 'g', type: 'utf8' as const, nullable: true },
        { name: 'x', type: 'float64' as const, nullable: true }, { name: 'y', type: 'int32' as const, nullable: false }];
      const schemaB = [{ name: 'k', type: 'int32' as const, nullable: true }, { name: 'z', type: 'utf8' as const, nullable: true },
        { name: 'w', type: 'int32' as const, nullable: true }];
      frames = () => [q.createDataFrame(data.a, { schema: schemaA, partitions: s.partitions }), q.createDataFrame(data.b, { schema: schemaB, partitions: s.partitions })];
    }, 120_000);
    afterAll(async () => { if (q) await q.close(); });

    for (const c of CASES) {
      it(c.name, async () => {
        const [a, b] = frames();
        const got = (await c.quiver(a, b).toArray()).map(key).sort();
        const want = (await duck.runAndReadAll(c.sql)).getRowObjects().map(key).sort();
        expect(got.length).toBe(want.length);
        expect(got).toEqual(want);
      }, 60_000);
    }

    it('plans the strategy the session asks for', async () => {
      const [a, b] = frames();
      const keyed = await A(a).join(B(b), col('a.k').eq(col('b.k')).and(col('a.x').lt(col('b.w'))), 'left').explain();
      const crossed = await a.crossJoin(b.select('z')).explain();
      const broadcast = s.options.broadcastThresholdBytes === undefined;
      expect(keyed).toMatch(broadcast ? /HashJoinExec: how=left, on=\[k = k\], filter=\(x < w\), build=right/ : /Stage \d+ .*-> shuffle/);
      expect(keyed).toContain(`strategy=${broadcast ? 'broadcast' : 'shuffle'}`);
      expect(crossed).toContain(`NestedLoopJoinExec: how=inner, cross, build=right`);
      expect(crossed).toContain(`strategy=${broadcast ? 'broadcast' : 'shuffle'}`);
    });
  });
}
