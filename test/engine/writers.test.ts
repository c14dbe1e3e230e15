// Writers through the engine: every format round-trips, and a failed job leaves no output and no temporary files.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, PlanError, Quiver, col, type DataFrame, type FieldJSON } from '../../core/index.ts';
import { rowKey, tempDir } from './helpers.ts';

let q: Quiver;
const dir = tempDir('writers');
const at = (...p: string[]) => join(dir.path, ...p);

const SCHEMA: FieldJSON[] = [
  { name: 'i', type: 'int32', nullable: false },
  { name: 'big', type: 'int64', nullable: true },
  { name: 'f', type: 'float64', nullable: true },
  { name: 'b', type: 'bool', nullable: true },
  { name: 's', type: 'utf8', nullable: true },
  { name: 'd', type: 'date32', nullable: true },
  { name: 't', type: 'timestamp_ms', nullable: true },
];

const DAY = 86_400_000;
/** Values that trip writers: int64 past 2^53, NaN and infinities, -0, '' vs null, delimiters, quotes, line breaks, non-ASCII, dates before 1970. */
const ROWS = [
  { i: 1, big: 2n ** 60n + 1n, f: NaN, b: true, s: '', d: 0, t: new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 999)) },
  { i: 2, big: -(2n ** 62n), f: Infinity, b: false, s: 'a,"b"\nc;d', d: 19_000 * DAY, t: new Date(0) },
  { i: 3, big: null, f: -Infinity, b: null, s: null, d: null, t: null },
  { i: 4, big: 7n, f: -0, b: true, s: ' pad ', d: -DAY, t: new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 5)) },
  { i: 5, big: 0n, f: 1e-300, b: false, s: 'ünï€😀\r\n', d: DAY, t: new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999)) },
  ...Array.from({ length: 995 }, (_, k) => ({ i: k + 6, big: BigInt(k) * 1_000_000_007n, f: k / 7, b: k % 3 === 0, s: `row ${k}`, d: k * DAY, t: new Date(k * 1000) })),
];

/** Rows as strings that keep what JSON would lose: NaN, infinities, -0 and bigints. */
function exact(rows: readonly Record<string, unknown>[]): string[] {
  return rows.map((r) => rowKey(Object.fromEntries(Object.entries(r).map(([k, v]) => [k,
    typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)) ? `number:${Object.is(v, -0) ? '-0' : v}` : v]))));
}

let src: DataFrame;
let expected: string[];

beforeAll(async () => {
  q = await Quiver.local({ workers: 2 });
  src = q.createDataFrame(ROWS, { schema: SCHEMA, partitions: 2 });
  expected = exact(await src.toArray({ int64: 'bigint' }));
  mkdirSync(at('in'));
  writeFileSync(at('in', 'a.csv'), 'id,name,score\n1,ada,1.5\n2,bob,2\n');
  writeFileSync(at('in', 'b.csv'), 'id,name,score\n3,cy,3\n4,dee,four\n');
});

afterAll(async () => {
  await q?.close();
  dir.cleanup();
});

/** Every file under a directory with its content: what a reader could see. */
function snapshot(d: string): Record<string, string> {
  return Object.fromEntries((readdirSync(d, { recursive: true }) as string[]).sort().map((f) => {
    const p = join(d, f);
    return [f, statSync(p).isDirectory() ? '<dir>' : readFileSync(p).toString('base64')];
  }));
}

/** Names in a directory that are not `keep`: temporary files a writer left behind. */
function leftovers(d: string, keep: readonly string[] = []): string[] {
  return readdirSync(d).filter((n) => !keep.includes(n));
}

describe('round trips: write, read back, same rows', () => {
  const cases: [string, (df: DataFrame, p: string) => Promise<number>, (p: string) => DataFrame][] = [
    ['arrow (IPC file)', (df, p) => df.write.arrow(p), (p) => q.read.arrow(p)],
    ['arrow (IPC stream)', (df, p) => df.write.arrow(p, { stream: true }), (p) => q.read.arrow(p)],
    ['parquet', (df, p) => df.write.parquet(p), (p) => q.read.parquet(p)],
    ['parquet (snappy, small row groups)', (df, p) => df.write.parquet(p, { compression: 'snappy', rowGroupRows: 100 }), (p) => q.read.parquet(p)],
    ['csv', (df, p) => df.write.csv(p), (p) => q.read.csv(p, { schema: SCHEMA, splittable: false })],
    ['csv (no header, ; and \')', (df, p) => df.write.csv(p, { header: false, delimiter: ';', quote: "'" }),
      (p) => q.read.csv(p, { schema: SCHEMA, header: false, delimiter: ';', quote: "'", splittable: false })],
    ['json lines', (df, p) => df.write.json(p), (p) => q.read.json(p, { schema: SCHEMA })],
  ];
  it('the source holds the tricky values as given', () => {
    expect(expected.slice(0, 3)).toEqual([
      rowKey({ i: 1, big: 2n ** 60n + 1n, f: 'number:NaN', b: true, s: '', d: new Date(0), t: new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 999)) }),
      rowKey({ i: 2, big: -(2n ** 62n), f: 'number:Infinity', b: false, s: 'a,"b"\nc;d', d: new Date(19_000 * DAY), t: new Date(0) }),
      rowKey({ i: 3, big: null, f: 'number:-Infinity', b: null, s: null, d: null, t: null }),
    ]);
  });

  cases.forEach(([name, write, read], k) => {
    it(name, async () => {
      const path = at('out', `${k}`, 'data');
      expect(await write(src, path)).toBe(ROWS.length);
      expect(readdirSync(at('out', `${k}`))).toEqual(['data']);
      const back = read(path);
      if (!name.startsWith('csv') && !name.startsWith('json')) expect(back.schema).toEqual(SCHEMA);
      // JSON has no NaN or ±Infinity: the json sink writes them as null.
      const want = name.startsWith('json') ? expected.map((r) => r.replace(/"f":"number:(NaN|-?Infinity)"/, '"f":null')) : expected;
      expect(exact(await back.toArray({ int64: 'bigint' }))).toEqual(want);
    });
  });

  it('csv and json files read back with inferred types give the same values', async () => {
    const df = q.createDataFrame([{ id: 1, name: 'a', x: 0.5, ok: true }, { id: 2, name: null, x: null, ok: false }]);
    for (const fmt of ['csv', 'json'] as const) {
      const path = at('inferred', `t.${fmt}`);
      await df.write[fmt](path);
      const back = fmt === 'csv' ? q.read.csv(path) : q.read.json(path);
      expect(back.columns).toEqual(['id', 'name', 'x', 'ok']);
      expect(await back.toArray()).toEqual([{ id: 1, name: 'a', x: 0.5, ok: true }, { id: 2, name: null, x: null, ok: false }]);
    }
  });

  it('an empty result writes a file that reads back as no rows', async () => {
    const empty = src.filter(col('i').gt(10_000));
    for (const fmt of ['arrow', 'parquet', 'json'] as const) {
      const path = at('empty', `e.${fmt}`);
      expect(await empty.write[fmt](path)).toBe(0);
      const back = fmt === 'arrow' ? q.read.arrow(path) : fmt === 'parquet' ? q.read.parquet(path) : q.read.json(path, { schema: SCHEMA });
      expect(await back.count()).toBe(0);
    }
  });
});

describe('a job that fails midway', () => {
  const readBad = () => q.read.csv(at('in', '*.csv'), { schema: 'id int32, name utf8, score float64' });

  it('leaves no file at the target path and no temporary files beside it', async () => {
    for (const fmt of ['arrow', 'parquet', 'csv', 'json'] as const) {
      const outDir = at('failed', fmt);
      mkdirSync(outDir, { recursive: true });
      const path = join(outDir, `result.${fmt}`);
      const err = await readBad().write[fmt](path).then(() => null, (e: unknown) => e);
      expect(err, fmt).toBeInstanceOf(DataError);
      expect((err as DataError).message).toBe(`${at('in', 'b.csv')}, line 3, column 'score': expected float64, found "four"; to skip bad records, read with mode: 'permissive' and a badRecordsPath`);
      expect(existsSync(path), fmt).toBe(false);
      expect(leftovers(outDir), fmt).toEqual([]);
    }
  });

  it('leaves an existing output directory untouched', async () => {
    const path = at('keep', 'result.json');
    await q.createDataFrame([{ v: 1 }]).write.json(path);
    const before = snapshot(path);
    await expect(readBad().write.mode('overwrite').json(path)).rejects.toBeInstanceOf(DataError);
    expect(snapshot(path)).toEqual(before);
    expect(leftovers(at('keep'), ['result.json'])).toEqual([]);
  });
});


describe('early dates', () => {
  // The readers once built dates with Date.UTC, which maps years 0-99 to 1900-1999: '0001-01-01'
  // read back as 1901-01-01.
  it('csv and json keep dates and timestamps before year 100', async () => {
    const early = [
      { i: 1, d: new Date('0001-01-01T00:00:00.000Z').getTime(), t: new Date('0001-01-01T00:00:00.000Z') },
      { i: 2, d: new Date('0099-12-31T00:00:00.000Z').getTime(), t: new Date('0099-12-31T23:59:59.999Z') },
    ];
    const schema: FieldJSON[] = [SCHEMA[0], SCHEMA[5], SCHEMA[6]];
    const df = q.createDataFrame(early, { schema });
    const want = await df.toArray();
    for (const fmt of ['csv', 'json'] as const) {
      const path = at('early', `e.${fmt}`);
      await df.write[fmt](path);
      const back = fmt === 'csv' ? q.read.csv(path, { schema }) : q.read.json(path, { schema });
      expect(await back.toArray(), fmt).toEqual(want);
    }
  });
});

describe('save modes', () => {
  const one = () => q.createDataFrame([{ v: 1 }]);
  const two = () => q.createDataFrame([{ v: 2 }, { v: 3 }]);

  it("refuses an existing path by default (mode 'error'), naming it and the way out", async () => {
    for (const fmt of ['arrow', 'parquet', 'csv', 'json'] as const) {
      const path = at('modes', `default.${fmt}`);
      await one().write[fmt](path);
      const before = snapshot(path);
      const err = await two().write[fmt](path).then(() => null, (e: unknown) => e);
      expect(err, fmt).toBeInstanceOf(PlanError);
      expect((err as PlanError).message).toBe(`${path} already exists; to replace it write with df.write.mode('overwrite'), to leave it and skip the write use mode('ignore')`);
      expect(snapshot(path), fmt).toEqual(before);
      await expect(two().write.mode('error').save(fmt, path)).rejects.toThrow(`${path} already exists`);
    }
  });

  it("mode('overwrite') replaces the file; mode('ignore') leaves it, writes nothing and returns 0", async () => {
    const path = at('modes', 'o.json');
    expect(await one().write.mode('overwrite').json(path)).toBe(1);
    expect(await two().write.mode('overwrite').json(path)).toBe(2);
    expect(await q.read.json(path).toArray()).toEqual([{ v: 2 }, { v: 3 }]);
    expect(await one().write.mode('ignore').json(path)).toBe(0);
    expect(await q.read.json(path).toArray()).toEqual([{ v: 2 }, { v: 3 }]);
    const fresh = at('modes', 'fresh.json');
    expect(await one().write.mode('ignore').json(fresh)).toBe(1);
    expect(await q.read.json(fresh).toArray()).toEqual([{ v: 1 }]);
    expect(leftovers(at('modes'), ['default.arrow', 'default.parquet', 'default.csv', 'default.json', 'o.json', 'fresh.json'])).toEqual([]);
  });

  it("mode('ignore') does not run the job when the path exists", async () => {
    const path = at('modes', 'ignored.json');
    await one().write.json(path);
    const last = q.session.lastJob;
    expect(last).not.toBeNull();
    // The bad input would fail the job if it ran.
    await expect(q.read.csv(at('in', '*.csv'), { schema: 'id int32, name utf8, score float64' }).write.mode('ignore').json(path)).resolves.toBe(0);
    expect(q.session.lastJob).toBe(last);
  });

  it('rejects unknown modes', () => {
    expect(() => one().write.mode('replace' as 'overwrite')).toThrow(new PlanError("unknown save mode 'replace'; use 'error' (the default), 'overwrite', 'append' or 'ignore'"));
  });
});
