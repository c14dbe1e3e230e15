// df.cache() in an embedded session: later jobs read the kept partitions (the scan does not run again), unpersist() drops them, a cache over the store's budget spills.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, fn, Quiver, type RuntimeEvent } from '../../core/index.ts';
import { tempDir } from './helpers.ts';

type CacheUpdate = Extract<RuntimeEvent, { kind: 'cacheUpdate' }>;

/** Three CSV files of `k,v` rows (v = 0..n-1, k = v % 7). */
function writeCsv(dir: string, n: number): string[] {
  const files: string[] = [];
  for (let f = 0; f < 3; f++) {
    const lines = ['k,v'];
    for (let v = f; v < n; v += 3) lines.push(`${v % 7},${v}`);
    const path = join(dir, `part-${f}.csv`);
    writeFileSync(path, lines.join('\n') + '\n');
    files.push(path);
  }
  return files;
}

const sums = (n: number): Record<number, number> => {
  const out: Record<number, number> = {};
  for (let v = 0; v < n; v++) if (v % 2 === 0) out[v % 7] = (out[v % 7] ?? 0) + v;
  return out;
};
const byKey = (rows: Record<string, unknown>[]): Record<number, number> => Object.fromEntries(rows.map((r) => [r.k as number, r.s as number]));

describe('cache() / persist() / unpersist() (embedded session)', () => {
  let q: Quiver;
  const dir = tempDir('cache');
  beforeAll(async () => { q = await Quiver.local({ workers: 2, shufflePartitions: 3 }); });
  afterAll(async () => { await q.close(); dir.cleanup(); });

  it('a later job reads the kept partitions: the scanned files may be gone', async () => {
    const files = writeCsv(dir.path, 3000);
    const events: RuntimeEvent[] = [];
    const off = q.onEvent((e) => events.push(e));
    const base = q.read.csv(files).filter(col('v').mod(2).eq(0));
    const cached = base.cache();
    expect(cached.isCached).toBe(true);
    expect(base.isCached).toBe(false);
    const agg = (df: typeof base) => df.groupBy('k').agg(fn.sum('v').alias('s')).toArray();

    const first = await agg(cached);
    const firstTasks = q.session.lastJob!.tasks;
    expect(byKey(first)).toEqual(sums(3000));
    const update = events.filter((e): e is CacheUpdate => e.kind === 'cacheUpdate').at(-1)!;
    expect(update).toMatchObject({ cacheId: (cached.plan as any).id, partitions: 3, cached: 3, diskBytes: 0, executors: { local: 3 } });
    expect(update.memoryBytes).toBeGreaterThan(0);

    for (const f of files) rmSync(f);
    const second = await agg(cached);
    expect(byKey(second)).toEqual(sums(3000));
    // No scan task ran: only the aggregate's reading the cache, and its reduce.
    expect(q.session.lastJob!.tasks).toBeLessThan(firstTasks);
    const starts = events.filter((e) => e.kind === 'jobStart');
    const lastJob = (starts.at(-1) as Extract<RuntimeEvent, { kind: 'jobStart' }>).jobId;
    const cacheStage = (starts.at(-1) as Extract<RuntimeEvent, { kind: 'jobStart' }>).stages.find((s) => s.output.startsWith('cache'))!;
    expect(events.some((e) => e.kind === 'taskStart' && e.jobId === lastJob && e.stageId === cacheStage.id)).toBe(false);
    // Other DataFrames built on the cached one read it too, and agree with the rows cached.
    const threes = (await cached.toArray()).filter((r) => r.k === 3).length;
    expect(threes).toBeGreaterThan(0);
    expect(await cached.filter(col('k').eq(3)).count()).toBe(threes);
    expect(await cached.count()).toBe(1500);
    off();

    // Unpersisted: computed again from its files (gone now), so the job fails; the cache is dropped.
    const plain = await cached.unpersist();
    expect(cached.isCached).toBe(false);
    expect(plain.isCached).toBe(false);
    const removed = events.length;
    await expect(cached.count()).rejects.toThrow();
    expect(removed).toBe(events.length);
  });

  it('unpersist() makes the next job recompute, and results equal the uncached DataFrame', async () => {
    const files = writeCsv(dir.path, 900);
    const base = q.read.csv(files).withColumn('w', col('v').mul(2));
    const cached = base.persist({ name: 'doubled' });
    const expected = await base.orderBy('v').toArray();
    const uncached = q.session.lastJob!.tasks;
    expect(await cached.orderBy('v').toArray()).toEqual(expected);
    const cold = q.session.lastJob!.tasks;
    expect(await cached.orderBy('v').toArray()).toEqual(expected);
    const warm = q.session.lastJob!.tasks;
    expect(warm).toBeLessThan(cold);
    // A self-join reads one cache stage.
    expect(await cached.join(cached.select('v'), 'v').count()).toBe(900);
    const events: RuntimeEvent[] = [];
    const off = q.onEvent((e) => events.push(e));
    await cached.unpersist();
    expect(events).toEqual([expect.objectContaining({ kind: 'cacheUpdate', name: 'doubled', removed: true })]);
    // Planned as if never cached: the scan runs again, and no cache stage keeps anything.
    expect(await cached.orderBy('v').toArray()).toEqual(expected);
    expect(q.session.lastJob!.tasks).toBe(uncached);
    expect(await cached.orderBy('v').toArray()).toEqual(expected);
    expect(q.session.lastJob!.tasks).toBe(uncached);
    expect(events.filter((e) => e.kind === 'cacheUpdate')).toHaveLength(1);
    off();
  });
});

describe('a cache over the block store budget', () => {
  it('spills to disk and is still read right', async () => {
    const dir = tempDir('cache-spill');
    const q = await Quiver.local({ workers: 2, memoryBudget: 64 * 1024, shuffleMemoryBytes: 64 * 1024, spillDir: dir.path });
    try {
      const rows = Array.from({ length: 40_000 }, (_, i) => ({ k: i % 11, v: i, s: `row-${i}` }));
      const base = q.createDataFrame(rows, { partitions: 4 }).filter(col('v').mod(2).eq(0));
      const cached = base.cache();
      const events: RuntimeEvent[] = [];
      q.onEvent((e) => events.push(e));
      const expected = await base.groupBy('k').agg(fn.count().alias('n'), fn.sum('v').alias('t')).orderBy('k').toArray();
      expect(await cached.groupBy('k').agg(fn.count().alias('n'), fn.sum('v').alias('t')).orderBy('k').toArray()).toEqual(expected);
      const update = events.filter((e): e is CacheUpdate => e.kind === 'cacheUpdate').at(-1)!;
      expect(update.cached).toBe(4);
      expect(update.diskBytes).toBeGreaterThan(0);
      expect(await cached.groupBy('k').agg(fn.count().alias('n'), fn.sum('v').alias('t')).orderBy('k').toArray()).toEqual(expected);
      expect(await cached.count()).toBe(20_000);
    } finally {
      await q.close();
      dir.cleanup();
    }
  });
});
