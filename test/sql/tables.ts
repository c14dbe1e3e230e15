// The generated tables a and b (with nulls and ties) loaded into Quiver and into DuckDB alike, for the SQL differential tests.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { makeTables, sqlValue } from '../differential/data.ts';

/** a(k int null, g varchar null, x double null, y int unique) and b(k int null, z varchar null, w int null), `na` and `nb` rows. */
export async function loadTables(q: Quiver, duck: DuckDBConnection, seed: number, na?: number, nb?: number): Promise<void> {
  const data = makeTables(seed, na, nb);
  q.createDataFrame(data.a, { partitions: 3, schema: [{ name: 'k', type: 'int32', nullable: true }, { name: 'g', type: 'utf8', nullable: true },
    { name: 'x', type: 'float64', nullable: true }, { name: 'y', type: 'int32', nullable: false }] }).createOrReplaceTempView('a');
  q.createDataFrame(data.b, { partitions: 2, schema: [{ name: 'k', type: 'int32', nullable: true }, { name: 'z', type: 'utf8', nullable: true },
    { name: 'w', type: 'int32', nullable: true }] }).createOrReplaceTempView('b');
  await duck.run('CREATE TABLE a (k INTEGER, g VARCHAR, x DOUBLE, y INTEGER NOT NULL)');
  await duck.run('CREATE TABLE b (k INTEGER, z VARCHAR, w INTEGER)');
  await duck.run(`INSERT INTO a VALUES ${data.a.map((r) => `(${[r.k, r.g, r.x, r.y].map(sqlValue).join(', ')})`).join(', ')}`);
  await duck.run(`INSERT INTO b VALUES ${data.b.map((r) => `(${[r.k, r.z, r.w].map(sqlValue).join(', ')})`).join(', ')}`);
}

/** Quiver (2 workers, 3 shuffle partitions) and DuckDB, both holding a and b, for one describe block; closed after it. */
export function openSuite(seed: number, na?: number, nb?: number): { q: Quiver; duck: DuckDBConnection } {
  const s = {} as { q: Quiver; duck: DuckDBConnection };
  beforeAll(async () => {
    s.q = await Quiver.local({ workers: 2, shufflePartitions: 3, batchSize: 200, ui: false });
    s.duck = await (await DuckDBInstance.create(':memory:')).connect();
    await loadTables(s.q, s.duck, seed, na, nb);
  }, 60_000);
  afterAll(async () => { if (s.q) await s.q.close(); });
  return s;
}
