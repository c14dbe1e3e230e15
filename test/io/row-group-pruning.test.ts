// Parquet row groups ruled out by the footer's min/max and null counts: the rows are DuckDB's, and explain counts what was skipped.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, lit, Quiver, type DataFrame } from '../../core/index.ts';
import { tempDir } from './helpers.ts';

// Row groups of about 2,000 rows (DuckDB rounds ROW_GROUP_SIZE up): k, d and s rise with the row, so each group's
// bounds are tight and a group is kept exactly when it holds a matching row; n is null in the
// first half; x (a double) is never used to prune.
const ROWS = 40_000;
let q: Quiver, duck: DuckDBConnection, path: string;

beforeAll(async () => {
  const dir = await tempDir();
  path = join(dir, 'sorted.parquet');
  duck = await (await DuckDBInstance.create(':memory:')).connect();
  await duck.run(`COPY (SELECT i::BIGINT AS k, (i % 7)::INTEGER AS m, DATE '2020-01-01' + (i // 100)::INTEGER AS d,
    lpad(i::VARCHAR, 6, '0') AS s, CASE WHEN i >= ${ROWS / 2} THEN i END::INTEGER AS n, i / 3.0 AS x
    FROM range(${ROWS}) t(i)) TO '${path}' (FORMAT parquet, ROW_GROUP_SIZE 1000)`);
  q = await Quiver.local({ workers: 2, quiet: true, ui: false });
}, 60_000);
afterAll(async () => { await q?.close(); });

const pruned = async (df: DataFrame): Promise<number> => Number(/prunedRowGroups=(\d+)/.exec(await df.explain())?.[1] ?? 0);

/** Row groups (from DuckDB's parquet_metadata) holding no row where `where` holds. */
async function groupsWithout(where: string): Promise<number> {
  const sizes = (await duck.runAndReadAll(`SELECT row_group_id, any_value(row_group_num_rows) FROM parquet_metadata('${path}') GROUP BY 1 ORDER BY 1`)).getRows().map((r) => Number(r[1]));
  const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  const rows = (await duck.runAndReadAll(`SELECT file_row_number FROM read_parquet('${path}', file_row_number = true) WHERE ${where}`)).getRows().map((r) => Number(r[0]));
  const hit = new Set(rows.map((r) => starts.findLastIndex((s) => s <= r)));
  expect(sizes.length).toBeGreaterThan(10);
  return sizes.length - hit.size;
}

async function same(df: DataFrame, where: string): Promise<void> {
  const got = (await df.select('k').toArray()).map((r) => Number(r.k)).sort((a, b) => a - b);
  const want = (await duck.runAndReadAll(`SELECT k FROM '${path}' WHERE ${where} ORDER BY k`)).getRows().map((r) => Number(r[0]));
  expect(got).toEqual(want);
}

describe('Parquet row-group pruning from footer statistics', () => {
  // [name, the filter, the same in SQL, whether the statistics decide it (else nothing is pruned)]
  const cases: [string, (t: DataFrame) => DataFrame, string, boolean][] = [
    ['int64 <', (t) => t.filter(col('k').lt(1500)), 'k < 1500', true],
    ['int64 = (literal on the left)', (t) => t.filter(lit(12_345).eq(col('k'))), '12345 = k', true],
    ['int64 >= and <= together', (t) => t.filter(col('k').gte(4000).and(col('k').lte(5999))), 'k >= 4000 AND k <= 5999', true],
    ['date >', (t) => t.filter(col('d').gt(lit('2020-07-01', 'date32'))), `d > DATE '2020-07-01'`, true],
    ['utf8 =', (t) => t.filter(col('s').eq('007777')), `s = '007777'`, true],
    ['utf8 <', (t) => t.filter(col('s').lt('001000')), `s < '001000'`, true],
    ['is null', (t) => t.filter(col('n').isNull()), 'n IS NULL', true],
    ['a comparison where every value is null', (t) => t.filter(col('n').gt(-1)), 'n > -1', true],
    ['nothing matches', (t) => t.filter(col('k').gt(1_000_000)), 'k > 1000000', true],
    ['a double is never used', (t) => t.filter(col('x').lt(10)), 'x < 10', false],
    ['an expression on the column is never used', (t) => t.filter(col('m').add(col('k')).lt(10)), 'm + k < 10', false],
  ];
  for (const [name, f, where, decided] of cases) {
    it(name, async () => {
      const df = f(q.read.parquet(path));
      const n = await pruned(df);
      if (decided) {
        expect(n).toBeGreaterThan(0);
        expect(n).toBe(await groupsWithout(where));
      } else {
        expect(n).toBe(0);
      }
      await same(df, where);
    });
  }
});
