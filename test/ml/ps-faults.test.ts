// Parameter-server training survives kill -9 (real executor processes and nats-server): of a worker's executor mid-epoch (its rows go to the other worker), and of the server shard's executor (restored from its checkpoint elsewhere).
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { FMNIST_DIR } from '../../examples/lib/fmnist.ts';
import { startExecutor, type ExecutorProcess } from '../cluster/cluster-helpers.ts';
import { startNats, type NatsServer } from '../cluster/nats-server.ts';
import { fmnistSubset } from './ps-helpers.ts';

const CLUSTER = 'psfaults';
/** Training rows (the test's time); 3 epochs of them reach about 75% on the first 1,000 test images. */
const ROWS = 4000;
let nats: NatsServer;
const executors: ExecutorProcess[] = [];
let q: Quiver;
const exec = async (name: string) => {
  const e = await startExecutor({ servers: nats.url, workers: 1, name, cluster: CLUSTER, heartbeatMs: 250, paths: [tmpdir(), FMNIST_DIR] });
  executors.push(e);
  return e;
};

beforeAll(async () => {
  nats = await startNats();
  await Promise.all([exec('a'), exec('b'), exec('c')]);
  q = await Quiver.connect({ servers: nats.url, cluster: CLUSTER, minExecutors: 3, heartbeatTimeoutMs: 1500, quiet: true });
}, 60_000);
afterAll(async () => {
  await q?.close();
  await Promise.all(executors.map((e) => e.kill9()));
  await nats?.stop();
});

/** The executor process whose log says it serves shard `shard` of a training. */
const shardHost = (shard: number) => executors.find((e) => e.output().includes(`serving shard ${shard} `));

describe('parameter-server training under kill -9', () => {
  it('a worker executor killed mid-epoch: training completes, its unfinished rows trained by the others', async () => {
    const { train, test } = fmnistSubset(q, ROWS, 1000);
    let victim: ExecutorProcess | undefined;
    let killed: Promise<void> | undefined;
    const r = await q.train(train, {
      model: { kind: 'mlp', hidden: [64] }, epochs: 3, batchSize: 100, consistency: 'bounded-delay', maxDelay: 4, test, progressMs: 200,
      progress: (p) => {
        // Mid-epoch 2: kill a worker that hosts no shard (the shard's loss is the next test).
        if (!killed && p.epoch === 2 && p.rows >= 1000) {
          victim = executors.find((e) => e !== shardHost(0) && e.proc.exitCode === null && e.proc.signalCode === null);
          killed = victim!.kill9();
        }
      },
    });
    await killed;
    expect(victim).toBeDefined();
    expect(r.lostWorkers).toEqual([victim!.id]);
    expect(r.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    // Every row of every epoch was trained: the lost worker's rest went to the others.
    expect(r.reassignedRows).toBeGreaterThan(0);
    expect(r.epochs[1].rows + r.droppedSteps * 100).toBeGreaterThanOrEqual(ROWS);
    expect(r.epochs[2].rows).toBe(ROWS);
    expect(r.restores).toEqual([]);
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.7);
  }, 60_000);

  it("the server shard's executor killed: the shard is restored from its checkpoint on another executor and training completes", async () => {
    const { train, test } = fmnistSubset(q, ROWS, 1000);
    let victim: ExecutorProcess | undefined;
    let killed: Promise<void> | undefined;
    const before = new Map(executors.map((e) => [e, e.output().length]));
    const r = await q.train(train, {
      model: { kind: 'mlp', hidden: [64] }, epochs: 3, batchSize: 100, consistency: 'sequential', test, progressMs: 200, checkpointMs: 300,
      progress: (p) => {
        if (!killed && p.epoch === 2 && p.rows >= 1200) {
          victim = executors.find((e) => e.output().slice(before.get(e)).includes('serving shard 0 '));
          killed = victim!.kill9();
        }
      },
    });
    await killed;
    expect(victim).toBeDefined();
    expect(r.restores).toHaveLength(1);
    expect(r.restores[0]).toMatchObject({ shard: 0, from: victim!.id, epoch: 2 });
    // Restored from a checkpoint taken during training, not from the initial weights.
    expect(r.restores[0].version).toBeGreaterThan(0);
    expect(r.shards[0].executor).not.toBe(victim!.id);
    expect(r.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.7);
  }, 60_000);
});
