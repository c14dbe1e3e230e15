// Coalescing small shuffle partitions at run time: the ranges chosen, the stages that may be coalesced, and jobs that give the same rows with fewer tasks.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fn, Quiver } from '../../core/index.ts';
import type { RuntimeEvent } from '../../core/runtime/events.ts';
import { coalescible, coalesceRanges, MIN_COALESCED_BYTES } from '../../core/scheduler/coalesce.ts';

const MiB = MIN_COALESCED_BYTES;
const sorted = <T>(rows: T[]): T[] => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe('coalesceRanges', () => {
  it('gives one task under a MiB, one per slot above, more where a task would pass the limit', () => {
    expect(coalesceRanges([10, 20, 30, 40], 2, 64 * MiB)).toEqual([[0, 4]]);
    expect(coalesceRanges([3 * MiB, 3 * MiB, 3 * MiB, 3 * MiB], 2, 64 * MiB)).toEqual([[0, 2], [2, 4]]);
    // Uneven sizes: the boundary falls where the running total is nearest half.
    expect(coalesceRanges([4 * MiB, 3 * MiB, 3 * MiB, 2 * MiB], 2, 64 * MiB)).toEqual([[0, 2], [2, 4]]);
    expect(coalesceRanges([9 * MiB, MiB, MiB, MiB], 2, 64 * MiB)).toEqual([[0, 1], [1, 4]]);
    expect(coalesceRanges(new Array(8).fill(2 * MiB), 2, 4 * MiB)).toEqual([[0, 2], [2, 4], [4, 6], [6, 8]]);
    expect(coalesceRanges([0, 0, 0], 4, 64 * MiB)).toEqual([[0, 3]]);
    // total / (total / 11) rounds past 11 in floating point: still one task per slot.
    expect(coalesceRanges([4076973, 7970878, 21, 9, 8, 5, 13, 9, 0, 3851748, 8249361, 9], 11, 3 * MiB)).toHaveLength(11);
  });

  it('covers every partition once, in order, with no more ranges than partitions', () => {
    fc.assert(fc.property(fc.array(fc.nat(8 * MiB), { minLength: 1, maxLength: 64 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 16 }), (sizes, slots, maxMiB) => {
      const ranges = coalesceRanges(sizes, slots, maxMiB * MiB);
      expect(ranges.length).toBeGreaterThanOrEqual(1);
      expect(ranges.length).toBeLessThanOrEqual(sizes.length);
      expect(ranges[0][0]).toBe(0);
      expect(ranges[ranges.length - 1][1]).toBe(sizes.length);
      for (let i = 0; i < ranges.length; i++) {
        expect(ranges[i][1]).toBeGreaterThan(ranges[i][0]);
        if (i > 0) expect(ranges[i][0]).toBe(ranges[i - 1][1]);
      }
      const total = sizes.reduce((s, x) => s + x, 0);
      // As many tasks as slots when each would read at least a MiB (and none past the limit).
      if (total / slots >= MiB && total / slots <= maxMiB * MiB && slots <= sizes.length) expect(ranges.length).toBe(slots);
    }), { numRuns: 1000 });
  });
});

describe('coalescing in jobs', () => {
  let q: Quiver;
  let plain: Quiver;
  const events: RuntimeEvent[] = [];
  beforeAll(async () => {
    q = await Quiver.local({ workers: 2, shufflePartitions: 8 });
    plain = await Quiver.local({ workers: 2, shufflePartitions: 8, coalescePartitionBytes: 0 });
    q.session.listeners.add((e) => { events.push(e); });
  });
  afterAll(async () => { await q.close(); await plain.close(); });

  const rows = Array.from({ length: 5000 }, (_, i) => ({ k: i % 97, s: `s${i % 13}`, v: i }));
  const starts = () => events.filter((e): e is Extract<RuntimeEvent, { kind: 'stageStart' }> => e.kind === 'stageStart');

  it('runs a small aggregate\'s final stage as one task, with the same groups as without coalescing', async () => {
    const job = (s: Quiver) => s.createDataFrame(rows, { partitions: 4 }).groupBy('k').agg(fn.sum('v').alias('t'), fn.count().alias('n')).orderBy('k').toArray();
    events.length = 0;
    const got = await job(q);
    expect(got).toEqual(await job(plain));
    expect(got).toHaveLength(97);
    const coalesced = starts().filter((e) => e.coalescedFrom !== undefined);
    expect(coalesced.map((e) => [e.coalescedFrom, e.tasks])).toEqual([[8, 1]]);
    expect(q.session.lastJob!.tasks).toBeLessThan(plain.session.lastJob!.tasks);
  });

  it('coalesces both sides of a shuffled join alike', async () => {
    const left = (s: Quiver) => s.createDataFrame(rows, { partitions: 3 });
    const right = (s: Quiver) => s.createDataFrame(Array.from({ length: 97 }, (_, k) => ({ k, name: `n${k}` })), { partitions: 2 });
    const job = (s: Quiver) => left(s).join(right(s).repartition(8, 'k').groupBy('k').agg(fn.max('name').alias('name')), 'k').groupBy('name').agg(fn.count().alias('n')).toArray();
    const [a, b] = [await job(q), await job(plain)];
    expect(sorted(a)).toEqual(sorted(b));
    expect(a).toHaveLength(97);
  });

  it('keeps repartition(n) at n tasks', async () => {
    events.length = 0;
    const got = await q.createDataFrame(rows, { partitions: 2 }).repartition(6, 'k').groupBy('k').agg(fn.count().alias('n')).orderBy('k').toArray();
    expect(got).toHaveLength(97);
    const planned = events.find((e): e is Extract<RuntimeEvent, { kind: 'jobStart' }> => e.kind === 'jobStart')!.stages;
    const reader = planned.find((st) => st.partitions === 6)!;
    expect(starts().find((e) => e.stageId === reader.id)).toMatchObject({ tasks: 6 });
    expect(starts().find((e) => e.stageId === reader.id)!.coalescedFrom).toBeUndefined();
    // The aggregate's own shuffle after it is not the user's: coalesced.
    expect(starts().some((e) => e.coalescedFrom === 8)).toBe(true);
  });

  it('leaves result stages and scans as planned', async () => {
    const { physical } = await q.session.physical(q.createDataFrame(rows, { partitions: 4 }).groupBy('k').agg(fn.count().alias('n')).plan);
    const result = physical.stages[physical.resultStage];
    expect(result.output.kind).toBe('result');
    expect(coalescible(physical, result)).toBe(false);
    expect(physical.stages.filter((s) => s.parents.length === 0).every((s) => !coalescible(physical, s))).toBe(true);
  });

  it('refuses a negative option', async () => {
    await expect(Quiver.local({ coalescePartitionBytes: -1 })).rejects.toThrow(/coalescePartitionBytes must be a non-negative number/);
  });
});
