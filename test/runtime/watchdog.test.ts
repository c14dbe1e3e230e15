// The task watchdog: a task that makes no progress for taskStallMs is stopped with a ResourceError; slow but steady tasks are not.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { ResourceError } from '../../ops/errors.ts';

const udf = resolve(import.meta.dirname, '../fixtures/udf/stall.ts');

describe('task watchdog', () => {
  let q: Quiver;
  const attempts: number[] = [];
  beforeAll(async () => {
    q = await Quiver.local({ workers: 2, taskStallMs: 1500, maxTaskAttempts: 3, quiet: true });
    q.onEvent((e) => { if (e.kind === 'taskStart') attempts.push(e.attempt); });
  });
  afterAll(async () => { await q?.close(); });

  it('stops a task that spins, names its stage, task and file, does not retry it, and the session keeps working', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-watchdog-'));
    const csv = join(dir, 'numbers.csv');
    writeFileSync(csv, 'x\n' + Array.from({ length: 100 }, (_, i) => i).join('\n') + '\n');
    attempts.length = 0;
    const t0 = Date.now();
    const err = await q.read.csv(csv).mapBatches({ module: udf, export: 'spinForever' }).collect().catch((e) => e);
    expect(err).toBeInstanceOf(ResourceError);
    expect(err.message).toMatch(new RegExp(`^stage \\d+ task 0 \\(attempt 1\\) made no progress for \\d+\\.\\d s while reading ${csv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, so its worker thread was stopped \\(taskStallMs is 1500 ms\\)`));
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(attempts).toEqual([0]);
    // Both worker threads still run tasks (the stopped one was replaced).
    const df = q.createDataFrame(Array.from({ length: 1000 }, (_, i) => ({ x: i })), { partitions: 8 });
    expect(await df.count()).toBe(1000);
    expect((await df.collect()).numRows).toBe(1000);
  }, 30_000);

  it('leaves alone a task that takes longer than taskStallMs in all but produces batches steadily', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-watchdog-'));
    const csv = join(dir, 'twelve.csv');
    writeFileSync(csv, 'x\n' + Array.from({ length: 12 }, (_, i) => i).join('\n') + '\n');
    // Batches of one row, 300 ms each: 3.6 s in all, more than twice taskStallMs, but never 1.5 s without a batch.
    const q1 = await Quiver.local({ workers: 1, batchSize: 1, taskStallMs: 1500, quiet: true });
    try {
      const t0 = Date.now();
      const slow = q1.read.csv(csv).mapBatches({ module: udf, export: 'slowBatch' }, { options: { ms: 300 } });
      expect((await slow.collect()).numRows).toBe(12);
      expect(Date.now() - t0).toBeGreaterThan(3_000);
    } finally {
      await q1.close();
    }
  }, 30_000);
});
