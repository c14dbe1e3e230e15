import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, fn, Quiver, type RuntimeEvent } from '../../core/index.ts';

const udf = resolve(import.meta.dirname, '../fixtures/runtime/flaky.ts');

describe('runtime events (embedded session)', () => {
  let q: Quiver;
  beforeAll(async () => { q = await Quiver.local({ workers: 2, shufflePartitions: 3, maxTaskAttempts: 2 }); });
  afterAll(async () => { await q.close(); });

  it('reports every job, stage and task, in order, and stops when unsubscribed', async () => {
    const events: RuntimeEvent[] = [];
    const off = q.onEvent((e) => events.push(e));
    const rows = Array.from({ length: 100 }, (_, i) => ({ k: i % 7, v: i }));
    await q.createDataFrame(rows, { partitions: 4 }).groupBy('k').agg(fn.sum(col('v')).alias('s')).collect();
    off();
    await q.createDataFrame(rows).count();

    const kinds = events.map((e) => e.kind);
    expect(kinds[0]).toBe('jobStart');
    expect(kinds.at(-1)).toBe('jobEnd');
    expect(kinds.filter((k) => k === 'jobStart')).toHaveLength(1);
    const start = events[0] as Extract<RuntimeEvent, { kind: 'jobStart' }>;
    expect(start.stages.map((s) => s.partitions)).toEqual([4, 3]);
    const ends = events.filter((e): e is Extract<RuntimeEvent, { kind: 'taskEnd' }> => e.kind === 'taskEnd');
    expect(ends).toHaveLength(7);
    expect(ends.every((e) => e.ok && e.executor === 'local')).toBe(true);
    // The map stage ends before the reduce stage's first task starts.
    const mapEnd = kinds.findIndex((k, i) => k === 'stageEnd' && (events[i] as any).stageId === 0);
    const reduceTask = events.findIndex((e) => e.kind === 'taskStart' && e.stageId === 1);
    expect(mapEnd).toBeGreaterThan(0);
    expect(reduceTask).toBeGreaterThan(mapEnd);
    expect((events.at(-1) as any).ok).toBe(true);
    expect(JSON.parse(JSON.stringify(events))).toEqual(events);
  });

  it('a failing job ends with ok: false and its error', async () => {
    const events: RuntimeEvent[] = [];
    const off = q.onEvent((e) => events.push(e));
    const df = q.createDataFrame([{ x: 1 }, { x: 2 }]).mapBatches({ module: udf, export: 'failOn' }, { options: { bad: 2 } });
    await expect(df.collect()).rejects.toThrow(/row 2 is poisoned/);
    off();
    const end = events.at(-1)!;
    expect(end.kind).toBe('jobEnd');
    expect((end as any).ok).toBe(false);
    expect(String((end as any).error)).toMatch(/row 2 is poisoned/);
    expect(events.filter((e) => e.kind === 'taskEnd' && !e.ok)).toHaveLength(2);
  });
});

describe('event log', () => {
  it('appends every event as one JSON line to a file in the eventLog directory', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = join(mkdtempSync(join(tmpdir(), 'quiver-events-')), 'log');
    const q = await Quiver.local({ workers: 1, eventLog: dir });
    const seen: RuntimeEvent[] = [];
    q.onEvent((e) => seen.push(e));
    try {
      expect(await q.createDataFrame([{ x: 1 }, { x: 2 }]).count()).toBe(2);
    } finally {
      await q.close();
    }
    const lines = readFileSync(q.eventLogFile!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual(seen);
    expect(lines[0].kind).toBe('jobStart');
  });
});
