// Tiny tasks travel to workers in groups, yet each still fails and retries on its own.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';

const udf = resolve(import.meta.dirname, '../fixtures/runtime/flaky.ts');

describe('task scheduling with grouped tiny tasks', () => {
  let q: Quiver;
  beforeAll(async () => { q = await Quiver.local({ workers: 2, maxTaskAttempts: 3 }); });
  afterAll(async () => { await q?.close(); });

  const frame = () => q.createDataFrame(Array.from({ length: 3000 }, (_, i) => ({ x: i })), { partitions: 3000 });

  it('runs thousands of one-row tasks and keeps every row', async () => {
    const df = frame();
    expect(await df.count()).toBe(3000);
    expect(q.session.lastJob!.tasks).toBe(3001);
  });

  it('sends tiny tasks in large groups, not one message each', async () => {
    const df = frame();
    await df.count();
    await df.count();
    const job = q.session.lastJob!;
    // Once tasks are known to be tiny, groups of up to 64 go out: far fewer messages than tasks.
    // (Sending each alone, or in the halving groups of 1-4 an old bug made, is >= tasks / 3.)
    expect(job.messages).toBeLessThan(job.tasks / 6);
  });

  it('one failing task among thousands fails the job after its own retries, with its error', async () => {
    const df = frame().mapBatches({ module: udf, export: 'failOn' }, { options: { bad: 1234 } });
    await expect(df.collect()).rejects.toThrow(/task 1234 failed 3 times; last error: .*row 1234 is poisoned/);
  });

  it('a task that fails once is retried alone and the job succeeds', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'quiver-flaky-')), 'failed');
    const df = frame().mapBatches({ module: udf, export: 'failOnce' }, { options: { flaky: 777, marker } });
    expect((await df.collect()).numRows).toBe(3000);
    expect(q.session.lastJob!.failedAttempts).toBe(1);
    expect(q.session.lastJob!.tasks).toBe(3001);
  });
});
