// Differential tests of scalar expressions (LIKE/ILIKE, IN, every date function, intervals) against DuckDB over generated rows with nulls.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, fn, lit, Quiver, type DataFrame, type Expr, type FieldJSON } from '../../core/index.ts';
import { formatDate } from '../../ops/expr/format.ts';
import { sqlValue } from './data.ts';
import { makeExprRows, type ExprRow } from './expr-data.ts';

const DAY = 86_400_000;

/** How a result column reads in both engines: dates as days, timestamps as epoch milliseconds. */
type Kind = 'value' | 'date' | 'ts';
interface Case { name: string; quiver: Expr; sql: string; kind?: Kind }

/** DuckDB SQL whose result is compared as `kind`: dates become days since 1970, timestamps epoch ms. */
const asSql = (sql: string, kind: Kind) => (kind === 'date' ? `(${sql})::DATE - DATE '1970-01-01'` : kind === 'ts' ? `epoch_ms(${sql})` : sql);

const PATTERNS = ['a%', '%a', '%a%', 'a%b', '%a%b%', '_', '__%', 'a_', '%\\%%', '\\_%', '%\\\\%', 'é%', '%É_', '', '%', '.%', '*_*', '%x%x%', 'a%a%a'];

const CASES: Case[] = [
  ...PATTERNS.flatMap((p): Case[] => [
    { name: `like '${p}'`, quiver: col('s').like(p), sql: `s LIKE ${sqlValue(p)} ESCAPE '\\'` },
    { name: `not like '${p}'`, quiver: col('s').like(p).not(), sql: `s NOT LIKE ${sqlValue(p)} ESCAPE '\\'` },
    { name: `ilike '${p}'`, quiver: col('s').ilike(p), sql: `s ILIKE ${sqlValue(p)} ESCAPE '\\'` },
  ]),
  { name: 'rlike', quiver: col('s').rlike('a.?b'), sql: "regexp_matches(s, 'a.?b')" },
  { name: 'in ints', quiver: col('k').isin(1, 5, 7, 11), sql: 'k IN (1, 5, 7, 11)' },
  { name: 'in with null', quiver: col('k').isin(1, null, 3), sql: 'k IN (1, NULL, 3)' },
  { name: 'not in with null', quiver: col('k').isin(1, null).not(), sql: 'k NOT IN (1, NULL)' },
  { name: 'in strings', quiver: col('s').isin('a', 'b', '%', 'é', '', 'ab'), sql: "s IN ('a', 'b', '%', 'é', '', 'ab')" },
  { name: 'in a column', quiver: col('k').isin(col('n'), 3), sql: 'k IN (n, 3)' },
  { name: 'in dates', quiver: col('d').isin(fn.date('2024-02-29'), fn.date('1970-01-01')), sql: "d IN (DATE '2024-02-29', DATE '1970-01-01')" },
  ...(['year', 'quarter', 'month', 'day', 'dayofyear'] as const).flatMap((p): Case[] => [
    { name: `${p}(d)`, quiver: fn[p]('d'), sql: `${p}(d)` },
    { name: `${p}(ts)`, quiver: fn[p]('ts'), sql: `${p}(ts)` },
  ]),
  // Spark numbers Sunday 1, DuckDB 0.
  { name: 'dayofweek(d)', quiver: fn.dayofweek('d'), sql: 'dayofweek(d) + 1' },
  { name: 'dayofweek(ts)', quiver: fn.extract('dayofweek', 'ts'), sql: 'dayofweek(ts) + 1' },
  { name: 'dayofmonth', quiver: fn.dayofmonth('d'), sql: 'dayofmonth(d)' },
  { name: 'weekofyear(d)', quiver: fn.weekofyear('d'), sql: 'weekofyear(d)' },
  { name: 'week(ts)', quiver: fn.extract('week', 'ts'), sql: 'week(ts)' },
  { name: 'lastDay(d)', quiver: fn.lastDay('d'), sql: 'last_day(d)', kind: 'date' },
  { name: 'lastDay(ts)', quiver: fn.lastDay('ts'), sql: 'last_day(ts)', kind: 'date' },
  ...(['hour', 'minute', 'second'] as const).map((p): Case => ({ name: `${p}(ts)`, quiver: fn.extract(p, 'ts'), sql: `${p}(ts)` })),
  { name: 'dateAdd', quiver: fn.dateAdd('d', col('n')), sql: 'd + n', kind: 'date' },
  { name: 'dateSub', quiver: fn.dateSub('d', 40), sql: 'd - 40', kind: 'date' },
  { name: 'dateAdd on timestamps', quiver: fn.dateAdd('ts', col('n')), sql: 'ts + to_days(n)', kind: 'ts' },
  { name: 'addMonths', quiver: fn.addMonths('d', col('n')), sql: 'd + to_months(n)', kind: 'date' },
  { name: 'addMonths on timestamps', quiver: fn.addMonths('ts', col('n')), sql: 'ts + to_months(n)', kind: 'ts' },
  { name: 'datediff', quiver: fn.datediff('d', fn.date('2000-02-29')), sql: "datediff('day', DATE '2000-02-29', d)" },
  { name: 'datediff of timestamps', quiver: fn.datediff('ts', 'd'), sql: "datediff('day', d, ts::DATE)" },
  ...(['year', 'quarter', 'month', 'week', 'day'] as const).map((u): Case => ({ name: `dateTrunc ${u} (d)`, quiver: fn.dateTrunc(u, 'd'), sql: `date_trunc('${u}', d)`, kind: 'date' })),
  ...(['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second'] as const).map((u): Case => ({ name: `dateTrunc ${u} (ts)`, quiver: fn.dateTrunc(u, 'ts'), sql: `date_trunc('${u}', ts)`, kind: 'ts' })),
  { name: 'd + interval months', quiver: col('d').add(fn.interval(col('n'), 'month')), sql: 'd + to_months(n)', kind: 'date' },
  { name: 'd - interval 1 year', quiver: col('d').sub(fn.interval(1, 'year')), sql: "d - INTERVAL 1 YEAR", kind: 'date' },
  { name: 'd + interval weeks', quiver: col('d').add(fn.interval(col('n'), 'week')), sql: 'd + to_weeks(n)', kind: 'date' },
  { name: 'd - interval 90 days', quiver: col('d').minus(fn.interval(90, 'day')), sql: 'd - INTERVAL 90 DAY', kind: 'date' },
  { name: 'd + interval hours', quiver: col('d').add(fn.interval(col('n'), 'hour')), sql: 'd + to_hours(n)', kind: 'ts' },
  { name: 'ts + interval minutes', quiver: col('ts').plus(fn.interval(col('n'), 'minute')), sql: 'ts + to_minutes(n)', kind: 'ts' },
  { name: 'ts - interval seconds', quiver: col('ts').sub(fn.interval(col('n'), 'second')), sql: 'ts - to_seconds(n)', kind: 'ts' },
  { name: 'ts + interval quarter', quiver: col('ts').add(fn.interval(1, 'quarter')), sql: 'ts + INTERVAL 3 MONTH', kind: 'ts' },
  { name: 'toDate with a format', quiver: fn.toDate('f', 'dd/MM/yyyy'), sql: "try_strptime(f, '%d/%m/%Y')", kind: 'date' },
  { name: 'toTimestamp with a format', quiver: fn.toTimestamp(col('f').concat(' 13:45'), 'dd/MM/yyyy HH:mm'), sql: "try_strptime(f || ' 13:45', '%d/%m/%Y %H:%M')", kind: 'ts' },
  { name: 'toDate of ISO text', quiver: fn.toDate(col('d').cast('utf8')), sql: 'TRY_CAST(d::VARCHAR AS DATE)', kind: 'date' },
  { name: 'toTimestamp of ISO text', quiver: fn.toTimestamp(col('ts').cast('utf8')), sql: 'TRY_CAST(strftime(ts, \'%Y-%m-%d %H:%M:%S.%g\') AS TIMESTAMP)', kind: 'ts' },
  { name: 'dateFormat of dates', quiver: fn.dateFormat('d', 'dd/MM/yy (MMM) yyyy'), sql: "strftime(d, '%d/%m/%y (%b) %Y')" },
  { name: 'dateFormat of timestamps', quiver: fn.dateFormat('ts', 'yyyy-MM-dd hh:mm:ss a'), sql: "strftime(ts, '%Y-%m-%d %I:%M:%S %p')" },
  { name: 'toDate of a timestamp', quiver: fn.toDate('ts'), sql: 'ts::DATE', kind: 'date' },
  { name: 'filter on d <= date - interval', quiver: col('d').lte(fn.date('1998-12-01').sub(fn.interval(90, 'day'))), sql: "d <= DATE '1998-12-01' - INTERVAL 90 DAY" },
  { name: 'literal', quiver: lit(1).add(fn.year(fn.date('2024-02-29').add(fn.interval(1, 'year')))), sql: "1 + year(DATE '2024-02-29' + INTERVAL 1 YEAR)" },
];

const SCHEMA: FieldJSON[] = [
  { name: 'id', type: 'int32', nullable: false }, { name: 's', type: 'utf8', nullable: true }, { name: 'k', type: 'int32', nullable: true },
  { name: 'd', type: 'date32', nullable: true }, { name: 'ts', type: 'timestamp_ms', nullable: true }, { name: 'n', type: 'int32', nullable: true },
  { name: 'f', type: 'utf8', nullable: true },
];

function norm(v: unknown, kind: Kind): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return kind === 'date' ? v.getTime() / DAY : v.getTime();
  if (typeof v === 'bigint') return Number(v);
  return v;
}

describe('expressions vs DuckDB', () => {
  let q: Quiver;
  let duck: DuckDBConnection;
  let rows: ExprRow[];
  let df: DataFrame;
  beforeAll(async () => {
    q = await Quiver.local({ workers: 2, batchSize: 300 });
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    rows = makeExprRows(11);
    await duck.run('CREATE TABLE e (id INTEGER, s VARCHAR, k INTEGER, d DATE, ts TIMESTAMP, n INTEGER, f VARCHAR)');
    const v = (r: ExprRow) => [
      r.id, sqlValue(r.s), sqlValue(r.k), r.d ? `DATE '${formatDate(r.d.getTime() / DAY)}'` : 'NULL', r.ts ? `epoch_ms(${r.ts.getTime()})` : 'NULL', sqlValue(r.n), sqlValue(r.f),
    ].join(', ');
    await duck.run(`INSERT INTO e VALUES ${rows.map((r) => `(${v(r)})`).join(', ')}`);
    df = q.createDataFrame(rows as unknown as Record<string, unknown>[], { schema: SCHEMA, partitions: 3 });
  }, 120_000);
  afterAll(async () => { await q?.close(); });

  it('every case, row by row (one select per engine)', async () => {
    const got = await df.select(col('id'), ...CASES.map((c, i) => c.quiver.alias(`c${i}`))).orderBy('id').toArray();
    const sql = `SELECT id, ${CASES.map((c, i) => `${asSql(c.sql, c.kind ?? 'value')} AS c${i}`).join(', ')} FROM e ORDER BY id`;
    const want = (await duck.runAndReadAll(sql)).getRowObjects();
    expect(got.length).toBe(want.length);
    const failures: string[] = [];
    CASES.forEach((c, i) => {
      const kind = c.kind ?? 'value';
      let bad = 0;
      let first = '';
      for (let r = 0; r < want.length; r++) {
        const a = norm(got[r][`c${i}`], kind), b = norm(want[r][`c${i}`], 'value');
        if (a !== b) { if (bad++ === 0) first = `row ${r} ${JSON.stringify(rows[r])}: quiver ${String(a)}, duckdb ${String(b)}`; }
      }
      if (bad) failures.push(`${c.name}: ${bad} rows differ, first ${first}`);
    });
    expect(failures).toEqual([]);
  }, 120_000);
});
