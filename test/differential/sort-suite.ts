// The distributed sort suite: orderBy over several partitions against DuckDB's ORDER BY, skewed keys, for any way of making a session.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, type DataFrame, type Expr, type Quiver } from '../../core/index.ts';
import type { RuntimeEvent } from '../../core/runtime/events.ts';
import { rng } from '../../examples/data/access-log.ts';

const PARTITIONS = 4;
const ROWS = 6000;
const WORDS = ['alpha', 'Beta', 'beta', 'épsilon', 'zeta', 'θeta', 'a', '', 'alphabet', 'ZZ'];
const FLOATS = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 1e-300, -1e300];

type Row = { id: number; i: number | null; s: string | null; f: number | null };

/** Seeded rows: small-range ints and words (many duplicates), floats (quarters: exact in SQL text) with NaN and infinities, nulls in each key; `id` is unique. */
function makeRows(seed: number): Row[] {
  const r = rng(seed);
  const maybe = <T>(v: T): T | null => (r() < 0.08 ? null : v);
  return Array.from({ length: ROWS }, (_, id) => ({
    id,
    i: maybe(Math.floor(r() * 40) - 20),
    s: maybe(WORDS[Math.floor(r() * WORDS.length)] + (r() < 0.3 ? String(Math.floor(r() * 3)) : '')),
    f: maybe(r() < 0.05 ? FLOATS[Math.floor(r() * FLOATS.length)] : Math.round(r() * 4e4) / 4 - 5000),
  }));
}

const SCHEMA = [
  { name: 'id', type: 'int32' as const, nullable: false }, { name: 'i', type: 'int32' as const, nullable: true },
  { name: 's', type: 'utf8' as const, nullable: true }, { name: 'f', type: 'float64' as const, nullable: true },
];

function sqlValue(v: number | string | null): string {
  if (v === null) return 'NULL';
  if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`;
  return Number.isFinite(v) ? String(v) : `'${v}'::DOUBLE`;
}

/** One row as comparable text: NaN and infinities by name, -0 as 0, int64 as numbers. */
const rowKey = (r: Record<string, unknown>): string => JSON.stringify(Object.values(r).map((v) => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)));

interface SortCase { name: string; keys: () => Expr[]; sql: string }

const CASES: SortCase[] = [
  { name: 'string asc nulls first, float desc nulls last',
    keys: () => [col('s').ascNullsFirst(), col('f').descNullsLast(), col('id').asc()], sql: 's ASC NULLS FIRST, f DESC NULLS LAST, id ASC' },
  { name: 'int desc nulls first, string desc nulls last, float asc nulls last',
    keys: () => [col('i').descNullsFirst(), col('s').descNullsLast(), col('f').ascNullsLast(), col('id').desc()], sql: 'i DESC NULLS FIRST, s DESC NULLS LAST, f ASC NULLS LAST, id DESC' },
  { name: 'float asc nulls first (NaN, infinities, -0)',
    keys: () => [col('f').ascNullsFirst(), col('id').asc()], sql: 'f ASC NULLS FIRST, id ASC' },
  { name: 'expression key: string length desc, then int asc nulls last',
    keys: () => [col('s').length().descNullsLast(), col('i').ascNullsLast(), col('id').asc()], sql: 'length(s) DESC NULLS LAST, i ASC NULLS LAST, id ASC' },
];

/** Registers the suite in `open()`'s session: inputs in PARTITIONS partitions, so every orderBy is distributed. */
export function distributedSortSuite(title: string, open: () => Promise<Quiver>, close: (q: Quiver) => Promise<void> = (q) => q.close()): void {
  describe(title, () => {
    let q: Quiver;
    let duck: DuckDBConnection;
    const rows = makeRows(11);
    const events: RuntimeEvent[] = [];

    beforeAll(async () => {
      q = await open();
      q.onEvent((e) => { events.push(e); });
      duck = await (await DuckDBInstance.create(':memory:')).connect();
      await duck.run('CREATE TABLE t (id INTEGER, i INTEGER, s VARCHAR, f DOUBLE)');
      await duck.run(`INSERT INTO t VALUES ${rows.map((r) => `(${[r.id, r.i, r.s, r.f].map(sqlValue).join(', ')})`).join(', ')}`);
    }, 120_000);
    afterAll(async () => { if (q) await close(q); });

    /** Rows of each task of the last job's result stage, by partition. */
    const resultTaskRows = (): number[] => {
      const start = events.findLast((e) => e.kind === 'jobStart');
      if (start?.kind !== 'jobStart') throw new Error('no job started');
      const result = start.stages.find((s) => s.output === 'result')!;
      const out: number[] = Array(result.partitions).fill(0);
      for (const e of events) if (e.kind === 'taskEnd' && e.jobId === start.jobId && e.stageId === result.id && e.ok && !e.ignored) out[e.partition] = e.rows;
      return out;
    };

    const run = async (df: DataFrame): Promise<Record<string, unknown>[]> => (await df.toArray()) as Record<string, unknown>[];

    for (const c of CASES) {
      it(`${c.name}: DuckDB's order, sorted by ${PARTITIONS} tasks`, async () => {
        const df = q.createDataFrame(rows, { schema: SCHEMA, partitions: PARTITIONS }).orderBy(...c.keys()).select('id', 'i', 's', 'f');
        const got = (await run(df)).map(rowKey);
        const want = (await duck.runAndReadAll(`SELECT id, i, s, f FROM t ORDER BY ${c.sql}`)).getRowObjects().map(rowKey);
        expect(got.length).toBe(ROWS);
        const firstDiff = got.findIndex((g, k) => g !== want[k]);
        expect(firstDiff, `first row out of order at ${firstDiff}: ${got[firstDiff]} vs ${want[firstDiff]}`).toBe(-1);
        // The sort ran as one task per range partition, and the ranges split the rows.
        const perTask = resultTaskRows();
        expect(perTask).toHaveLength(PARTITIONS);
        expect(perTask.reduce((a, b) => a + b, 0)).toBe(ROWS);
        expect(Math.max(...perTask)).toBeLessThan(ROWS * 0.6);
        expect(await df.explain()).toMatch(new RegExp(`range shuffle \\d+: \\[.*\\] into ${PARTITIONS} partitions`));
      }, 60_000);
    }

    it('all keys equal: every row lands in one range partition, none lost', async () => {
      const same = rows.map((r) => ({ ...r, i: 7 }));
      const got = await run(q.createDataFrame(same, { schema: SCHEMA, partitions: PARTITIONS }).orderBy(col('i').desc()).select('id', 'i'));
      expect(got.every((r) => r.i === 7)).toBe(true);
      expect(got.map((r) => r.id as number).sort((a, b) => a - b)).toEqual(same.map((r) => r.id));
      expect(resultTaskRows().filter((n) => n > 0)).toEqual([ROWS]);
    }, 60_000);

    it('99% of rows share one key: the order matches a JS sort', async () => {
      const skewed = rows.map((r) => ({ ...r, i: r.id % 100 === 0 ? (r.id % 7) - 3 : 1 }));
      const got = await run(q.createDataFrame(skewed, { schema: SCHEMA, partitions: PARTITIONS }).orderBy(col('i').desc(), col('s').ascNullsFirst(), col('id').asc()).select('id', 'i', 's'));
      const byBytes = (a: string | null, b: string | null): number => (a === b ? 0 : a === null ? -1 : b === null ? 1 : Buffer.compare(Buffer.from(a), Buffer.from(b)));
      const want = [...skewed].sort((a, b) => b.i - a.i || byBytes(a.s, b.s) || a.id - b.id);
      expect(got.map((r) => r.id)).toEqual(want.map((r) => r.id));
      expect(resultTaskRows().reduce((a, b) => a + b, 0)).toBe(ROWS);
    }, 60_000);

    it('orderBy().limit(n) stays a top-k (no range shuffle)', async () => {
      const df = q.createDataFrame(rows, { schema: SCHEMA, partitions: PARTITIONS }).orderBy(col('f').descNullsLast(), col('id').asc()).limit(5).select('id');
      const want = (await duck.runAndReadAll('SELECT id FROM t ORDER BY f DESC NULLS LAST, id ASC LIMIT 5')).getRowObjects().map(rowKey);
      expect((await run(df)).map(rowKey)).toEqual(want);
      expect(await df.explain()).not.toMatch(/range shuffle|RangePartitionExec/);
    }, 60_000);
  });
}
