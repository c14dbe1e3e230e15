// The 22 TPC-H queries (validation parameters) through q.sql on SF 0.1 Parquet, compared with DuckDB running the same text.
import { readFileSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { duckRows, expectSameRows, ordersRows, quiverRows } from './compare.ts';

const DATA = '/work/shared/tpch/sf0.1';
const TABLES = ['lineitem', 'orders', 'customer', 'part', 'partsupp', 'supplier', 'nation', 'region'];
const QUERIES = Array.from({ length: 22 }, (_, i) => `q${String(i + 1).padStart(2, '0')}`);

/**
 * Queries that cannot pass yet, with why; each is run and MUST still fail (it.fails), so one that
 * starts passing fails here until it is taken off this list.
 */
export const PENDING: Readonly<Record<string, string>> = {};

describe('TPC-H SF 0.1 through q.sql vs DuckDB', () => {
  let q: Quiver;
  let duck: DuckDBConnection;
  beforeAll(async () => {
    q = await Quiver.local({ workers: 2, ui: false });
    for (const t of TABLES) q.registerTable(t, `${DATA}/${t}.parquet`);
    duck = await (await DuckDBInstance.create(':memory:', { threads: '2' })).connect();
    for (const t of TABLES) await duck.run(`CREATE VIEW ${t} AS SELECT * FROM read_parquet('${DATA}/${t}.parquet')`);
  }, 60_000);
  afterAll(async () => { if (q) await q.close(); });

  // Pending queries last, with a short timeout: one may run long, and its job holds the workers.
  for (const name of [...QUERIES.filter((n) => !PENDING[n]), ...QUERIES.filter((n) => PENDING[n])]) {
    const pending = PENDING[name];
    const run = pending ? it.fails : it;
    run(`${name}${pending ? ` (pending: ${pending})` : ''}`, async () => {
      const text = readFileSync(new URL(`../fixtures/tpch/${name}.sql`, import.meta.url), 'utf8');
      const df = q.sql(text);
      const got = await quiverRows(df);
      const want = await duckRows(duck, text);
      expect(df.columns.length).toBe(want.columns);
      expectSameRows(got, want.rows, ordersRows(text));
    }, pending ? 20_000 : 180_000);
  }
});
