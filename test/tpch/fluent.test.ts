// The 22 TPC-H queries in the fluent API at SF 0.1, each checked against DuckDB running the standard SQL text on the same Parquet files.
import * as arrow from 'apache-arrow';
import { DuckDBDateValue, DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { parquetTables, queries, TABLE_NAMES, type Tables } from '../../bench/tpch/fluent.ts';

const TPCH = resolve(import.meta.dirname, '../../../shared/tpch/sf0.1');
const SQL = resolve(import.meta.dirname, '../fixtures/tpch');

/**
 * Positions (0-based) of each query's ORDER BY keys in its output, in ORDER BY order; [] for a
 * one-row result. Rows are compared as sorted multisets, and the ORDER BY keys row by row, so
 * rows that tie on the keys may come in any order.
 */
const ORDER_KEYS: Record<string, number[]> = {
  q01: [0, 1], q02: [0, 2, 1, 3], q03: [1, 2], q04: [0], q05: [1], q06: [], q07: [0, 1, 2], q08: [0], q09: [0, 1],
  q10: [2], q11: [1], q12: [0], q13: [1, 0], q14: [], q15: [0], q16: [3, 0, 1, 2], q17: [], q18: [4, 3], q19: [],
  q20: [0], q21: [1, 0], q22: [0],
};

type Cell = number | string | boolean | null;

/** One JS value per cell, alike on both sides: numbers (bigints too), strings, dates as ISO days. */
function cell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (v instanceof DuckDBDateValue) return v.toString();
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  throw new Error(`unexpected value ${String(v)} (${(v as object).constructor?.name})`);
}

/** Equal, doubles within a relative 1e-9 or an absolute 1e-6 (sums of many doubles in another order). */
function same(a: Cell, b: Cell): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    const d = Math.abs(a - b);
    return d <= 1e-6 || d <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  }
  return a === b;
}

function compareCells(a: Cell, b: Cell): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}
const byAll = (a: Cell[], b: Cell[]): number => {
  for (let i = 0; i < a.length; i++) { const c = compareCells(a[i], b[i]); if (c !== 0) return c; }
  return 0;
};

/** The first difference between two row lists, as a message; null when they match. */
function difference(got: Cell[][], want: Cell[][], what: string): string | null {
  for (let r = 0; r < want.length; r++) {
    for (let c = 0; c < want[r].length; c++) {
      if (!same(got[r][c], want[r][c])) return `${what}: row ${r}, column ${c}: got ${JSON.stringify(got[r])}, DuckDB ${JSON.stringify(want[r])}`;
    }
  }
  return null;
}

describe('TPC-H SF 0.1 in the fluent API vs DuckDB', () => {
  let q: Quiver;
  let duck: DuckDBConnection;
  let tables: Tables;
  const times: Record<string, number> = {};

  beforeAll(async () => {
    q = await Quiver.local({ workers: 2, quiet: true, ui: false });
    tables = parquetTables(q, TPCH);
    // Starts the workers and loads the Parquet reader, so that q01's time is the query's.
    await tables.region.count();
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    for (const t of TABLE_NAMES) await duck.run(`CREATE VIEW ${t} AS SELECT * FROM read_parquet('${join(TPCH, `${t}.parquet`)}')`);
  }, 120_000);

  afterAll(async () => {
    const rows = Object.entries(times).map(([name, ms]) => `  ${name}  ${ms.toFixed(0).padStart(6)} ms`);
    if (rows.length) console.log(`TPC-H SF 0.1, fluent API, Quiver.local({ workers: 2 }):\n${rows.join('\n')}`);
    if (q) await q.close();
  });

  for (const [name, query] of Object.entries(queries)) {
    it(name, async () => {
      const df = query(tables);
      const start = performance.now();
      const table = await df.collect();
      times[name] = performance.now() - start;
      const columns = table.schema.fields.map((f, i) => ({ vector: table.getChildAt(i)!, date: arrow.DataType.isDate(f.type) }));
      // Arrow JS reads a date32 as epoch milliseconds.
      const got = Array.from({ length: table.numRows }, (_, r) => columns.map((c) => cell(c.date ? new Date(c.vector.get(r)) : c.vector.get(r))));
      const result = await duck.runAndReadAll(readFileSync(join(SQL, `${name}.sql`), 'utf8'));
      const want = result.getRows().map((row) => row.map(cell));

      expect(table.numCols, 'columns').toBe(result.columnCount);
      expect(got.length, 'rows').toBe(want.length);
      expect(want.length, 'DuckDB returns rows').toBeGreaterThan(0);
      const keys = ORDER_KEYS[name];
      const pick = (rows: Cell[][]) => rows.map((r) => keys.map((k) => r[k]));
      expect(difference(pick(got), pick(want), 'ORDER BY keys in order')).toBeNull();
      expect(difference([...got].sort(byAll), [...want].sort(byAll), 'rows as a multiset')).toBeNull();
    }, 60_000);
  }
});
