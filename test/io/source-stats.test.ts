// The planner's size estimates of sources: Parquet from its footers (rows, decompressed bytes), images from their decoded size, other formats from file sizes.
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { estimateStats } from '../../core/optimizer/index.ts';
import { resolvePathsSync, sourceStats } from '../../ops/sources/index.ts';
import { tempDir } from './helpers.ts';

describe('source statistics', () => {
  let q: Quiver, dir: string, file: string, table: arrow.Table;
  const N = 40_000;
  beforeAll(async () => {
    q = await Quiver.local({ workers: 1, quiet: true, ui: false, broadcastThresholdBytes: 200_000 });
    dir = await tempDir();
    file = join(dir, 'side.parquet');
    // Very compressible: a few distinct values, so the file is far smaller than the data in memory.
    table = arrow.tableFromArrays({ id: Int32Array.from({ length: N }, (_, i) => i % 7), name: Array.from({ length: N }, (_, i) => `customer-${i % 5}`) });
    // One partition: df.write makes a directory with one part file, the file these statistics read.
    await q.createDataFrame(table, { partitions: 1 }).write.mode('overwrite').parquet(file);
    file = resolvePathsSync(file)[0];
  });
  afterAll(async () => { await q?.close(); });

  it('parquet: rows and decompressed (still encoded) bytes from the footer', () => {
    const s = sourceStats('parquet', [file]);
    expect(s.totalRows).toBe(N);
    expect(s.totalBytes).toBeGreaterThan(0);
    // Dictionary-encoded: the footer's uncompressed size is far below the data in memory.
    expect(s.totalBytes).toBeLessThan(N * 4);
  });

  it('parquet: integer columns\' ranges from the footers\' statistics (for uniqueness), strings left out', async () => {
    const s = sourceStats('parquet', [file], 0, q.read.parquet(file).plan.schema);
    expect(s.columnRanges).toEqual({ id: [0, 6] });
    // Over several files: the union of their ranges.
    const other = join(dir, 'other.parquet');
    await q.createDataFrame(arrow.tableFromArrays({ id: Int32Array.from([-3, 40]), name: ['a', 'b'] }), { partitions: 1 }).write.mode('overwrite').parquet(other);
    const both = sourceStats('parquet', [file, resolvePathsSync(other)[0]], 0, q.read.parquet(file).plan.schema);
    expect(both.columnRanges).toEqual({ id: [-3, 40] });
    expect(both.totalRows).toBe(N + 2);
  });

  it('the estimator reads them: a side small on disk but big in memory is shuffled, not broadcast', async () => {
    const side = q.read.parquet(file);
    const est = estimateStats(side.plan);
    expect(est.rows).toBe(N);
    // In memory: at least rows x (4 bytes of id + a string); the file is a few KB.
    expect(est.bytes!).toBeGreaterThan(N * 4);
    expect(est.bytes!).toBeLessThan(N * 100);
    expect(statSync(file).size).toBeLessThan(200_000);
    const big = q.createDataFrame(arrow.tableFromArrays({ id: Int32Array.from({ length: 1000 }, (_, i) => i % 7) }));
    const plan = await big.join(side, 'id').explain();
    expect(plan).not.toMatch(/Broadcast/i);
    expect(plan).toMatch(/Shuffle|Exchange/i);
  });

  it('images: one row per file, the decoded pixels per row, no stat of each file', () => {
    const files = Array.from({ length: 10 }, (_, i) => join(dir, `missing-${i}.png`));
    expect(sourceStats('images', files, 28 * 28)).toEqual({ totalBytes: 10 * (784 + 64), totalRows: 10 });
  });

  it('other formats: the files sizes', () => {
    const csv = join(dir, 'a.csv');
    writeFileSync(csv, 'x\n1\n2\n');
    expect(sourceStats('csv', [csv])).toEqual({ totalBytes: 6 });
  });
});
