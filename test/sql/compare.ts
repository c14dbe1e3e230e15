// Result comparison for the SQL tests: Quiver rows and DuckDB rows as plain values, floats within a relative tolerance.
import type { DuckDBConnection } from '@duckdb/node-api';
import { expect } from 'vitest';
import type { DataFrame, Quiver } from '../../core/index.ts';

type Row = unknown[];

const INT_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT']);

/** Quiver's rows by position: dates as 'YYYY-MM-DD', int64 as numbers. */
export async function quiverRows(df: DataFrame): Promise<Row[]> {
  return (await df.toArray()).map((r) => Object.values(r).map((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : typeof v === 'bigint' ? Number(v) : v)));
}

/** DuckDB's rows for `sql`, integers and decimals as numbers; also the column count. */
export async function duckRows(duck: DuckDBConnection, sql: string): Promise<{ rows: Row[]; columns: number }> {
  const reader = await duck.runAndReadAll(sql);
  const types = reader.columnTypes().map(String);
  const rows = reader.getRowsJson().map((r) => r.map((v, i) => (v !== null && (INT_TYPES.has(types[i]) || types[i].startsWith('DECIMAL')) ? Number(v) : v)));
  return { rows, columns: types.length };
}

function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isInteger(a) && Number.isInteger(b)) return a === b;
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  return a === b;
}

const show = (r: Row): string => JSON.stringify(r);

/** Same rows (in order when `ordered`, else as multisets), floats compared with a relative tolerance of 1e-9. */
export function expectSameRows(got: Row[], want: Row[], ordered: boolean): void {
  expect(got.length).toBe(want.length);
  if (!ordered) {
    got = [...got].sort((a, b) => show(a).localeCompare(show(b)));
    want = [...want].sort((a, b) => show(a).localeCompare(show(b)));
  }
  got.forEach((row, i) => {
    if (row.length !== want[i].length || !row.every((v, j) => same(v, want[i][j]))) expect(show(row)).toBe(show(want[i]));
  });
}

/** `df` (Quiver's plan of `sql`) against DuckDB running `sql`: as many columns, and the same rows (in order when the query orders them). */
export async function expectSameAsDuckDB(df: DataFrame, duck: DuckDBConnection, sql: string): Promise<void> {
  const want = await duckRows(duck, sql);
  expect(df.columns.length).toBe(want.columns);
  expectSameRows(await quiverRows(df), want.rows, ordersRows(sql));
}

/** Whether the outermost query orders its rows (an ORDER BY after the last closing parenthesis). */
export const ordersRows = (sql: string): boolean => /order\s+by/i.test(sql.slice(sql.lastIndexOf(')') + 1));

/** Runs `sql` in Quiver and in DuckDB and expects the same columns count and rows (in order when the query orders them). */
export async function expectSameAsDuck(q: Quiver, duck: DuckDBConnection, sql: string): Promise<void> {
  const df = q.sql(sql);
  const want = await duckRows(duck, sql);
  expect(df.columns.length).toBe(want.columns);
  expectSameRows(await quiverRows(df), want.rows, ordersRows(sql));
}
