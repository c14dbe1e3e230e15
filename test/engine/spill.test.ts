// Spilling through the engine: a group-by and a distributed sort under a 64 KB budget give the reference rows and leave no spill files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { DataError, Quiver, col, fn } from '../../core/index.ts';
import type { RuntimeEvent } from '../../core/runtime/events.ts';
import { groupReference, sortReference, spillData, SPILL_GROUPS, SPILL_ROWS, type SpillRow } from './data.ts';
import { filesUnder, multiset, tempDir } from './helpers.ts';

const UDF = resolve(import.meta.dirname, '../fixtures/engine/udf.ts');
let q: Quiver;
const spill = tempDir('spill');
const data = spillData();

beforeAll(async () => {
  q = await Quiver.local({ workers: 2, memoryBudget: 64 * 1024, spillDir: spill.path });
});

afterAll(async () => {
  await q?.close();
  spill.cleanup();
});

describe('spilling under a 64 KB memory budget', () => {
  it('groupBy over 200k rows and 50k groups spills and gives the reference groups', async () => {
    const df = q.createDataFrame(data.table, { partitions: 2 });
    const got = await df.groupBy('k').agg(
      fn.count().alias('n'), fn.count('v').alias('cnt'), fn.sum('v').alias('s'), fn.min('v').alias('lo'), fn.max('v').alias('hi'),
    ).toArray();
    const expected = groupReference(data.rows);
    expect(expected.length).toBe(SPILL_GROUPS + 1); // 50k groups and the null key
    expect(got.length).toBe(expected.length);
    expect(multiset(got)).toEqual(multiset(expected));
    const job = q.session.lastJob!;
    expect(job.counters.spills).toBeGreaterThan(0);
    expect(job.counters.spillBytes).toBeGreaterThan(0);
    expect(filesUnder(spill.path)).toEqual([]);
  });

  it('orderBy over 200k rows in 4 partitions: each range partition sorts externally, together the JS-sorted rows', async () => {
    const df = q.createDataFrame(data.table, { partitions: 4 });
    const ends: RuntimeEvent[] = [];
    const off = q.onEvent((e) => { if (e.kind === 'taskEnd' || e.kind === 'jobStart') ends.push(e); });
    const got = await df.orderBy(col('v'), col('id').desc()).toArray().finally(off);
    expect(got.length).toBe(SPILL_ROWS);
    const expected = sortReference(data.rows);
    // Compare row by row: the order is total (id is unique), so it must match exactly.
    let firstDiff = -1;
    for (let i = 0; i < expected.length && firstDiff < 0; i++) {
      const g = got[i] as unknown as SpillRow, e = expected[i];
      if (g.id !== e.id || g.k !== e.k || g.v !== e.v) firstDiff = i;
    }
    expect(firstDiff, `first row out of order at ${firstDiff}: ${JSON.stringify(got[firstDiff])} vs ${JSON.stringify(expected[firstDiff])}`).toBe(-1);
    // The sort stage ran one task per range partition, and every one of them spilled.
    const start = ends.find((e) => e.kind === 'jobStart');
    const sortStage = start?.kind === 'jobStart' ? start.stages.find((st) => st.output === 'result')! : null;
    const sortTasks = ends.filter((e) => e.kind === 'taskEnd' && e.ok && e.stageId === sortStage?.id);
    expect(sortTasks.map((e) => e.kind === 'taskEnd' && e.partition).sort()).toEqual([0, 1, 2, 3]);
    for (const e of sortTasks) expect(e.kind === 'taskEnd' && e.metrics?.spills, `spills of sort task ${JSON.stringify(e)}`).toBeGreaterThan(0);
    expect(q.session.lastJob!.counters.spills).toBeGreaterThan(0);
    expect(filesUnder(spill.path)).toEqual([]);
  });

  it('a job that fails after its sort spilled leaves no spill files', async () => {
    const df = q.createDataFrame(data.table, { partitions: 2 }).orderBy('v')
      .mapBatches({ module: UDF, export: 'refuse' });
    const err = await df.count().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toMatch(/^refused a batch of \d+ rows$/);
    expect(filesUnder(spill.path)).toEqual([]);
  });

  it('a job whose tasks fail after their aggregation spilled leaves no spill files', async () => {
    const agg = q.createDataFrame(data.table.slice(0, 60_000), { partitions: 2 }).groupBy('k').agg(fn.sum('v').alias('s'));
    const groups = new Set(data.rows.slice(0, 60_000).map((r) => r.k)).size;
    expect(await agg.count()).toBe(groups);
    expect(q.session.lastJob!.counters.spills).toBeGreaterThan(0);
    // The same aggregation, now feeding a UDF that fails every batch: each of the 4 final tasks fails after spilling.
    const err = await agg.mapBatches({ module: UDF, export: 'refuse' }).count().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(filesUnder(spill.path)).toEqual([]);
  });
});
