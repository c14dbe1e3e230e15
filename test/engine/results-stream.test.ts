// Results as a stream: toLocalIterator() yields the result in order, partition by partition, with bounded prefetch; collect() refuses results over maxResultBytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as arrow from 'apache-arrow';
import { fileURLToPath } from 'node:url';
import { col, lit, Quiver } from '../../core/index.ts';
import type { RuntimeEvent } from '../../core/runtime/events.ts';

const rows = Array.from({ length: 20_000 }, (_, i) => ({ id: i, g: i % 7, s: `row ${i}` }));

describe('toLocalIterator', () => {
  let q: Quiver;
  beforeAll(async () => { q = await Quiver.local({ workers: 2 }); });
  afterAll(async () => { await q?.close(); });

  it('yields the same rows as collect(), in partition order', async () => {
    const df = q.createDataFrame(rows, { partitions: 8 }).filter(col('g').neq(lit(3))).withColumn('twice', col('id').mul(lit(2)));
    const expected = (await df.collect()).toArray().map((r) => r.toJSON());
    const got: unknown[] = [];
    let batches = 0;
    for await (const batch of df.toLocalIterator()) {
      expect(batch).toBeInstanceOf(arrow.RecordBatch);
      batches++;
      for (const r of new arrow.Table(batch).toArray()) got.push(r.toJSON());
    }
    expect(batches).toBeGreaterThanOrEqual(8);
    expect(got).toEqual(expected);
    expect(got.map((r: any) => r.id)).toEqual(rows.filter((r) => r.g !== 3).map((r) => r.id));
  });

  it('computes only `prefetch` partitions ahead of the reader, and cancels the rest on break', async () => {
    const events: RuntimeEvent[] = [];
    const off = q.onEvent((e) => { events.push(e); });
    try {
      const df = q.createDataFrame(rows, { partitions: 10 }).filter(col('id').gte(lit(0)));
      let seen = 0;
      for await (const batch of df.toLocalIterator({ prefetch: 1 })) {
        seen += batch.numRows;
        // The reader holds partition 0: give the runtime time to run ahead if it would.
        await new Promise((r) => setTimeout(r, 400));
        const started = events.filter((e) => e.kind === 'taskStart').length;
        // Partition 0 (read) and partition 1 (prefetched), nothing more.
        expect(started).toBeLessThanOrEqual(2);
        break;
      }
      expect(seen).toBe(2000);
      const end = events.find((e) => e.kind === 'jobEnd');
      expect(end).toBeDefined();
      expect(events.filter((e) => e.kind === 'taskStart').length).toBeLessThanOrEqual(2);
      // The session goes on.
      expect(await df.count()).toBe(rows.length);
    } finally {
      off();
    }
  });

  it('throws the job error from the loop', async () => {
    const udf = { module: fileURLToPath(new URL('../fixtures/udf/add-column.ts', import.meta.url)), export: 'wrongType' };
    const df = q.createDataFrame(rows, { partitions: 4 }).mapBatches(udf);
    let error: unknown = null;
    try {
      for await (const _ of df.toLocalIterator()) { /* read all */ }
    } catch (e) { error = e; }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/failed 4 times; last error: x is not iterable/);
  });
});

describe('collect() and maxResultBytes', () => {
  it('refuses a result over maxResultBytes and names toLocalIterator; the iterator streams it', async () => {
    const q = await Quiver.local({ workers: 2, maxResultBytes: 64 * 1024 });
    try {
      const df = q.createDataFrame(rows, { partitions: 4 });
      await expect(df.collect()).rejects.toThrow(/maxResultBytes.*toLocalIterator\(\)/s);
      let n = 0;
      for await (const b of df.toLocalIterator()) n += b.numRows;
      expect(n).toBe(rows.length);
      // Small results still collect.
      expect(await df.count()).toBe(rows.length);
    } finally {
      await q.close();
    }
  });

  it('0 means no limit', async () => {
    const q = await Quiver.local({ workers: 1, maxResultBytes: 0 });
    try {
      expect((await q.createDataFrame(rows).collect()).numRows).toBe(rows.length);
    } finally {
      await q.close();
    }
  });
});
