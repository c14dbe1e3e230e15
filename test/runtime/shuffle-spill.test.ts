// Local-mode shuffle output past shuffleMemoryBytes spills to disk and is read back: same rows as in memory, files gone after the job.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { col, fn, Quiver } from '../../core/index.ts';

const rows = Array.from({ length: 60_000 }, (_, i) => ({ k: i % 5_000, v: i, s: `value ${i % 977}` }));
const spillDir = mkdtempSync(join(tmpdir(), 'quiver-shuffle-spill-'));

describe('local shuffle spill', () => {
  afterAll(() => rmSync(spillDir, { recursive: true, force: true }));

  it('gives the same groups and join rows with the shuffle on disk as in memory', async () => {
    const query = (q: Quiver) => {
      const df = q.createDataFrame(rows, { partitions: 6 });
      const other = q.createDataFrame(rows.filter((r) => r.v % 3 === 0).map((r) => ({ k2: r.k, w: r.v })), { partitions: 3 });
      return df.groupBy('k').agg(fn.sum(col('v')).alias('sv'), fn.count().alias('n'))
        .join(other, col('k').eq(col('k2')), 'left')
        .groupBy('k').agg(fn.max(col('sv')).alias('sv'), fn.count().alias('m'))
        .orderBy('k');
    };
    const mem = await Quiver.local({ workers: 2, broadcastThresholdBytes: 0, quiet: true, ui: false });
    const disk = await Quiver.local({ workers: 2, broadcastThresholdBytes: 0, shuffleMemoryBytes: 64 * 1024, spillDir, quiet: true, ui: false });
    try {
      const expected = await query(mem).toArray();
      expect(mem.session.lastJob!.counters.shuffleSpillBytes ?? 0).toBe(0);
      const got = await query(disk).toArray();
      expect(got).toEqual(expected);
      expect(got.length).toBe(5_000);
      expect(disk.session.lastJob!.counters.shuffleSpillBytes).toBeGreaterThan(0);
      // The job's spilled blocks are removed when it ends.
      const shuffleDir = join(spillDir, 'shuffle');
      expect(existsSync(shuffleDir) ? readdirSync(shuffleDir) : []).toEqual([]);
    } finally {
      await mem.close();
      await disk.close();
    }
  });

  it('spills a map task\'s own output past half its memoryBudget: same rows, files gone after the job', async () => {
    const dir = join(spillDir, 'map-tasks');
    const query = (q: Quiver) => q.createDataFrame(rows, { partitions: 4 }).repartition(5, 'k')
      .groupBy('k').agg(fn.sum(col('v')).alias('sv'), fn.count().alias('n')).orderBy('k');
    const mem = await Quiver.local({ workers: 2, quiet: true, ui: false });
    const small = await Quiver.local({ workers: 2, memoryBudget: 64 * 1024, spillDir: dir, quiet: true, ui: false });
    try {
      const expected = await query(mem).toArray();
      const got = await query(small).toArray();
      expect(got).toEqual(expected);
      expect(got.length).toBe(5_000);
      expect(small.session.lastJob!.counters.shuffleSpillBytes).toBeGreaterThan(0);
      const mapDir = join(dir, 'map-output');
      expect(existsSync(mapDir)).toBe(true);
      expect(readdirSync(mapDir)).toEqual([]);
    } finally {
      await mem.close();
      await small.close();
    }
    expect(existsSync(join(dir, 'map-output'))).toBe(false);
  });
});
