// Which task failures are retried: transient ones up to maxTaskAttempts, deterministic ones never.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { errorFromJSON, errorToJSON, isRetryable, ResourceError } from '../../ops/errors.ts';

describe('retries', () => {
  let q: Quiver;
  // A small budget, no broadcast: the join runs as a shuffle hash join whose build side must spill.
  beforeAll(async () => { q = await Quiver.local({ workers: 2, memoryBudget: 16 * 1024, broadcastThresholdBytes: 0, shufflePartitions: 1, maxTaskAttempts: 4 }); });
  afterAll(async () => { await q?.close(); });

  it('a join whose build side spills gives every row', async () => {
    const left = q.createDataFrame(Array.from({ length: 5000 }, (_, i) => ({ k: i, a: `left ${i}` })));
    const right = q.createDataFrame(Array.from({ length: 5000 }, (_, i) => ({ k: i, b: `right ${i}` })));
    expect(await left.join(right, 'k').count()).toBe(5000);
    expect(q.session.lastJob!.counters.spills).toBeGreaterThan(0);
  });

  it('a join whose build side is one key over memoryBudget (skew) fails after one attempt, not maxTaskAttempts', async () => {
    // The left side has more rows, so the join builds on the right (a shuffled join builds on a
    // side at least twice smaller): the 5,000 rows of one key.
    const left = q.createDataFrame(Array.from({ length: 12_000 }, (_, i) => ({ k: i + 1, a: `left ${i}` })));
    const right = q.createDataFrame(Array.from({ length: 5000 }, (_, i) => ({ k: 1, b: `right ${i}` })));
    const starts: { stageId: number; partition: number; attempt: number }[] = [];
    const off = q.onEvent((e) => { if (e.kind === 'taskStart') starts.push(e); });
    try {
      const err = await left.join(right, 'k').collect().catch((e) => e);
      expect(err).toBeInstanceOf(ResourceError);
      expect(err.message).toMatch(/join key is skewed: .* more than memoryBudget \(16384 bytes\) allows; the first of them has k = 1\./);
      expect(err.message).not.toMatch(/failed \d+ times/);
      expect(starts.filter((s) => s.attempt > 0)).toEqual([]);
    } finally {
      off();
    }
  });

  it('retryable: false crosses threads and processes; isRetryable reads it', () => {
    const e = errorFromJSON(JSON.parse(JSON.stringify(errorToJSON(new ResourceError('over budget', { retryable: false })))));
    expect(e).toBeInstanceOf(ResourceError);
    expect((e as ResourceError).retryable).toBe(false);
    expect(isRetryable(e)).toBe(false);
    expect(isRetryable(errorFromJSON(errorToJSON(new ResourceError('disk full'))))).toBe(true);
    expect(isRetryable({ code: 'DATA_ERROR' })).toBe(false);
    expect(isRetryable({ code: 'PLAN_ERROR' })).toBe(false);
    expect(isRetryable({ code: 'INTERNAL_ERROR' })).toBe(true);
    expect(isRetryable({ code: 'TRANSPORT_ERROR', retryable: false })).toBe(false);
  });
});
