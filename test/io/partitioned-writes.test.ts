// Distributed writes: part files per task, the job commit (_temporary, _SUCCESS), save modes, partitionBy directories read back with pruning, maxRowsPerFile, failures.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlanError, Quiver, col, type DataFrame, type FieldJSON } from '../../core/index.ts';
import { escapePartitionValue, parsePartitionSegment, unescapePartitionValue } from '../../ops/sinks/index.ts';
import { filesUnder, multiset, tempDir } from '../engine/helpers.ts';

const FLAKY = resolve(import.meta.dirname, '../fixtures/runtime/flaky.ts');

let q: Quiver;
let duck: DuckDBConnection;
const dir = tempDir('pwrites');
const at = (...p: string[]) => join(dir.path, ...p);

const SCHEMA: FieldJSON[] = [
  { name: 'x', type: 'int32', nullable: false },
  { name: 'k', type: 'utf8', nullable: true },
  { name: 'n', type: 'int64', nullable: true },
  { name: 'v', type: 'float64', nullable: true },
];
/** Partition values that need escaping or the default partition: null, '', '/', '=', '%', ':', spaces, non-ASCII. */
const ODD = [null, '', 'a/b', 'k=v', '100%', 'x:y', 'two words', 'ünï', 'plain'];
const N = 3000;
const ROWS = Array.from({ length: N }, (_, i) => ({ x: i, k: ODD[i % ODD.length], n: i % 4 === 3 ? null : i % 4, v: i / 8 }));

let src: DataFrame;

beforeAll(async () => {
  q = await Quiver.local({ workers: 2, quiet: true, ui: false });
  src = q.createDataFrame(ROWS, { schema: SCHEMA, partitions: 3 });
  duck = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(async () => {
  duck?.closeSync();
  await q?.close();
  dir.cleanup();
});

/** Rows as the partitioned read gives them: n back as int64 read as numbers, columns in the original order. */
const canonical = (rows: readonly Record<string, unknown>[]) => multiset(rows.map((r) => ({ x: Number(r.x), k: r.k === '' ? null : r.k, n: r.n === null ? null : Number(r.n), v: r.v })));
const expected = () => canonical(ROWS);
const visible = (p: string) => filesUnder(p).filter((f) => !f.split('/').some((s) => s.startsWith('_') || s.startsWith('.')));

describe('partition directory names', () => {
  it('escape as Spark does and parse back', () => {
    expect(escapePartitionValue(null)).toBe('__HIVE_DEFAULT_PARTITION__');
    expect(escapePartitionValue('')).toBe('__HIVE_DEFAULT_PARTITION__');
    expect(escapePartitionValue('a/b=c%d:e')).toBe('a%2Fb%3Dc%25d%3Ae');
    expect(escapePartitionValue('two words ünï')).toBe('two words ünï');
    expect(escapePartitionValue('tab\there')).toBe('tab%09here');
    for (const v of ['a/b=c%d:e', 'x#y?z*[]{}^\\\'"', 'ünï', '%41']) expect(unescapePartitionValue(escapePartitionValue(v))).toBe(v);
    expect(parsePartitionSegment('k=a%2Fb')).toEqual(['k', 'a/b']);
    expect(parsePartitionSegment('k=__HIVE_DEFAULT_PARTITION__')).toEqual(['k', null]);
    expect(parsePartitionSegment('=x')).toBeNull();
    expect(parsePartitionSegment('plain')).toBeNull();
  });
});

describe('part files and the commit', () => {
  it('each task writes its own part files; the directory has _SUCCESS and no _temporary', async () => {
    const path = at('plain');
    expect(await src.write.parquet(path)).toBe(N);
    const files = filesUnder(path);
    expect(files.filter((f) => f.startsWith('part-'))).toHaveLength(3);
    for (const f of files.filter((f) => f.startsWith('part-'))) expect(f).toMatch(/^part-0000[0-2]-[0-9a-f]{8}-000\.parquet$/);
    expect(files).toContain('_SUCCESS');
    expect(existsSync(join(path, '_temporary'))).toBe(false);
    expect(q.session.lastJob!.counters.filesWritten).toBe(3);
    expect(canonical(await q.read.parquet(path).toArray())).toEqual(expected());
  });

  it('maxRowsPerFile rolls over to a new file', async () => {
    const path = at('rolled');
    expect(await src.write.option('maxRowsPerFile', 400).json(path)).toBe(N);
    const parts = visible(path);
    // 3 tasks of 1000 rows: 400 + 400 + 200 each.
    expect(parts).toHaveLength(9);
    expect(canonical(await q.read.json(path, { schema: SCHEMA }).toArray())).toEqual(expected());
    await expect(src.write.options({ maxRowsPerFile: 0 }).json(at('bad-max'))).rejects.toThrow('maxRowsPerFile must be a positive integer, got 0');
  });

  for (const fmt of ['arrow', 'parquet', 'csv', 'json'] as const) {
    it(`${fmt}: partitionBy writes col=value directories without those columns, and reads back the same rows`, async () => {
      const path = at(`by-${fmt}`);
      expect(await src.write.partitionBy('k', 'n').option('maxRowsPerFile', 50)[fmt](path)).toBe(N);
      const dirs = readdirSync(path).filter((d) => !d.startsWith('_')).sort();
      expect(dirs).toEqual(['k=100%25', 'k=__HIVE_DEFAULT_PARTITION__', 'k=a%2Fb', 'k=k%3Dv', 'k=plain', 'k=two words', 'k=x%3Ay', 'k=ünï'].sort());
      expect(readdirSync(join(path, 'k=a%2Fb')).sort()).toEqual(['n=0', 'n=1', 'n=2', 'n=__HIVE_DEFAULT_PARTITION__']);
      const back = fmt === 'csv' ? q.read.csv(path, { schema: 'x int32, v float64' }) : fmt === 'json' ? q.read.json(path, { schema: 'x int32, v float64' }) : q.read.format(fmt, path);
      expect(back.columns).toEqual(['x', 'v', 'k', 'n']);
      expect(back.schema.find((f) => f.name === 'n')!.type).toBe('int64');
      expect(back.schema.find((f) => f.name === 'k')!.type).toBe('utf8');
      expect(canonical(await back.toArray({ int64: 'bigint' }))).toEqual(expected());
    });
  }

  it('partitionBy refuses unknown columns and using every column', () => {
    expect(() => src.write.partitionBy('nope')).toThrow(new PlanError("partitionBy: 'nope' is not a column; columns: x, k, n, v"));
    return expect(src.select('k').write.partitionBy('k').json(at('all-keys'))).rejects.toThrow('cannot use every column (k) as a partition column');
  });

  it('DuckDB reads the partitioned directory (hive_partitioning) and sees the input', async () => {
    const path = at('duck');
    await src.write.partitionBy('k', 'n').parquet(path);
    const rows = (await duck.runAndReadAll(`SELECT x, k, n, v FROM read_parquet('${path}/**/*.parquet', hive_partitioning = true, hive_types_autocast = false)`)).getRowObjects();
    // DuckDB decodes the %XX escapes; the default partition is text to it.
    const un = (s: unknown) => (s === null || s === '__HIVE_DEFAULT_PARTITION__' ? null : String(s));
    expect(rows).toHaveLength(N);
    expect(multiset(rows.map((r) => ({ x: Number(r.x), k: un(r.k), n: un(r.n) === null ? null : Number(r.n), v: Number(r.v) }))))
      .toEqual(expected());
  });
});

describe('save modes on directories', () => {
  const one = () => q.createDataFrame([{ v: 1 }]);
  const two = () => q.createDataFrame([{ v: 2 }, { v: 3 }], { partitions: 2 });
  const values = async (p: string) => (await q.read.json(p).toArray()).map((r) => r.v).sort();

  it("error (the default) refuses before running, overwrite replaces at commit, append adds part files, ignore runs nothing", async () => {
    const path = at('modes');
    expect(await one().write.json(path)).toBe(1);
    await expect(two().write.json(path)).rejects.toThrow(`${path} already exists`);
    expect(await two().write.mode('append').json(path)).toBe(2);
    expect(await two().write.mode('append').json(path)).toBe(2);
    expect(await values(path)).toEqual([1, 2, 2, 3, 3]);
    expect(new Set(visible(path)).size).toBe(5);
    const last = q.session.lastJob;
    expect(await one().write.mode('ignore').json(path)).toBe(0);
    expect(q.session.lastJob).toBe(last);
    expect(await two().write.mode('overwrite').json(path)).toBe(2);
    expect(await values(path)).toEqual([2, 3]);
    expect(filesUnder(path).filter((f) => f.startsWith('_'))).toEqual(['_SUCCESS']);
  });

  it('overwrite can read the directory it replaces (the old files go only at commit)', async () => {
    const path = at('self');
    await two().write.json(path);
    const doubled = q.read.json(path).select(col('v').mul(10).alias('v'));
    expect(await doubled.write.mode('overwrite').json(path)).toBe(2);
    expect(await values(path)).toEqual([20, 30]);
  });

  it('append to a plain file is refused', async () => {
    const file = at('a-file.json');
    writeFileSync(file, '{"v":1}\n');
    await expect(one().write.mode('append').json(file)).rejects.toThrow('cannot append to');
  });
});

describe('failures', () => {
  it('a job failing in one task leaves no output directory; an existing one keeps its content', async () => {
    const bad = src.mapBatches({ module: FLAKY, export: 'failOn' }, { options: { bad: 2500 } });
    const path = at('failed');
    await expect(bad.write.partitionBy('k').parquet(path)).rejects.toThrow('row 2500 is poisoned');
    expect(existsSync(path)).toBe(false);
    await src.write.parquet(path);
    const before = filesUnder(path);
    await expect(bad.write.mode('overwrite').parquet(path)).rejects.toThrow('row 2500 is poisoned');
    await expect(bad.write.mode('append').parquet(path)).rejects.toThrow('row 2500 is poisoned');
    expect(filesUnder(path)).toEqual(before);
  });

  it('a task that fails once and is retried: every row exactly once, the failed attempt\'s files never committed', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'quiver-wflaky-')), 'failed');
    // The failure comes after the task's first batches went to its files (the row is late in its partition).
    const df = q.createDataFrame(ROWS, { schema: SCHEMA, partitions: 3 }).mapBatches({ module: FLAKY, export: 'failOnce' }, { options: { flaky: 1990, marker } });
    const path = at('retried');
    expect(await df.write.partitionBy('n').option('maxRowsPerFile', 100).parquet(path)).toBe(N);
    expect(existsSync(marker)).toBe(true);
    expect(q.session.lastJob!.failedAttempts).toBe(1);
    expect(existsSync(join(path, '_temporary'))).toBe(false);
    expect(canonical(await q.read.parquet(path).toArray())).toEqual(expected());
  });
});

describe('reading partitioned directories', () => {
  it('prunes directories by filters on partition columns: fewer files and tasks, same rows', async () => {
    const path = at('by-parquet');
    const all = q.read.parquet(path);
    const pruned = all.filter(col('n').eq(1).and(col('k').eq('a/b')));
    const plan = await pruned.explain();
    const total = visible(path).length;
    const m = /partitionColumns=\[k, n\] prunedFiles=(\d+)/.exec(plan);
    expect(m).not.toBeNull();
    const kept = total - Number(m![1]);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(total / 10);
    const got = await pruned.toArray();
    expect(q.session.lastJob!.tasks).toBeLessThanOrEqual(kept);
    expect(canonical(got)).toEqual(canonical(ROWS.filter((r) => r.n === 1 && r.k === 'a/b')));
    // Nulls: the default partition reads back as null, and a filter matching no directory reads nothing.
    expect(await all.filter(col('n').isNull()).count()).toBe(ROWS.filter((r) => r.n === null).length);
    expect(await all.filter(col('k').isNull()).count()).toBe(ROWS.filter((r) => r.k === null || r.k === '').length);
    expect(await all.filter(col('n').eq(42)).count()).toBe(0);
  });

  it('infers int64, float64 and utf8 from the directory values', async () => {
    const path = at('types');
    const df = q.createDataFrame([{ a: 1, f: 0.5, s: '01x', y: 1 }, { a: -2, f: 2, s: 'b', y: 2 }, { a: null, f: null, s: null, y: 3 }]);
    await df.write.partitionBy('a', 'f', 's').json(path);
    const back = q.read.json(path);
    expect(back.schema.slice(1)).toEqual([
      { name: 'a', type: 'int64', nullable: true }, { name: 'f', type: 'float64', nullable: true }, { name: 's', type: 'utf8', nullable: true },
    ]);
    expect(multiset(await back.toArray())).toEqual(multiset([{ y: 1, a: 1, f: 0.5, s: '01x' }, { y: 2, a: -2, f: 2, s: 'b' }, { y: 3, a: null, f: null, s: null }]));
  });
});
