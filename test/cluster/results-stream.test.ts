// Results as a stream in cluster mode: toLocalIterator() fetches result partitions from the executors in order, bounded by prefetch; collect() keeps maxResultBytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, lit, Quiver } from '../../core/index.ts';
import type { RuntimeEvent } from '../../core/runtime/events.ts';
import { startExecutor, type ExecutorProcess } from './cluster-helpers.ts';
import { startNats, type NatsServer } from './nats-server.ts';

const rows = Array.from({ length: 12_000 }, (_, i) => ({ id: i, g: i % 5 }));
let nats: NatsServer;
const executors: ExecutorProcess[] = [];
let q: Quiver;
beforeAll(async () => {
  nats = await startNats();
  executors.push(...await Promise.all([1, 2].map((i) => startExecutor({ servers: nats.url, workers: 1, name: `iter${i}`, cluster: 'iter' }))));
  q = await Quiver.connect({ servers: nats.url, cluster: 'iter', minExecutors: 2, maxResultBytes: 32 * 1024, quiet: true });
}, 120_000);
afterAll(async () => {
  await q?.close();
  await Promise.all(executors.map((e) => e.stop()));
  await nats?.stop();
});

describe('toLocalIterator in cluster mode', () => {
  it('yields every partition in order from the executors, and collect() refuses the same result over maxResultBytes', async () => {
    const df = q.createDataFrame(rows, { partitions: 6 }).filter(col('g').neq(lit(2)));
    await expect(df.collect()).rejects.toThrow(/maxResultBytes.*toLocalIterator/s);
    const ids: number[] = [];
    for await (const b of df.toLocalIterator({ prefetch: 2 })) for (const r of b.toArray()) ids.push(Number(r.id));
    expect(ids).toEqual(rows.filter((r) => r.g !== 2).map((r) => r.id));
  });

  it('stops computing when the reader stops', async () => {
    const events: RuntimeEvent[] = [];
    const off = q.onEvent((e) => { events.push(e); });
    try {
      const df = q.createDataFrame(rows, { partitions: 8 }).filter(col('id').gte(lit(0)));
      for await (const _ of df.toLocalIterator({ prefetch: 1 })) break;
      expect(events.filter((e) => e.kind === 'taskStart').length).toBeLessThanOrEqual(2);
      expect(await df.count()).toBe(rows.length);
    } finally {
      off();
    }
  });
});
