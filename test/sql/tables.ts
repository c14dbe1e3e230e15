// The generated tables a and b (with nulls and ties) loaded into Quiver and into DuckDB alike, for the SQL differential tests.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Quiver } from '../../core/index.ts';
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
