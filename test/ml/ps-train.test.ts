// Parameter-server training across real executor processes and nats-server: accuracy and the saved model card, the bounded-delay bound from recorded clocks, eventual consistency, and clear errors.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Quiver, type RuntimeEvent } from '../../core/index.ts';
import { replay } from '../../core/obs/state.ts';
import { loadModel } from '../../ops/model/model.ts';
import { startExecutor, type ExecutorProcess } from '../cluster/cluster-helpers.ts';
import { startNats, type NatsServer } from '../cluster/nats-server.ts';
import { FMNIST_DIR } from '../../examples/lib/fmnist.ts';
import { fmnistSubset, recomputedStaleness } from './ps-helpers.ts';

const CLUSTER = 'pstrain';
let nats: NatsServer;
let executors: ExecutorProcess[] = [];
let q: Quiver;

beforeAll(async () => {
  nats = await startNats();
  const exec = (name: string) => startExecutor({ servers: nats.url, workers: 1, name, cluster: CLUSTER, heartbeatMs: 250, paths: [tmpdir(), FMNIST_DIR] });
  executors = await Promise.all([exec('a'), exec('b')]);
  q = await Quiver.connect({ servers: nats.url, cluster: CLUSTER, minExecutors: 2, heartbeatTimeoutMs: 1500, quiet: true });
}, 60_000);
afterAll(async () => {
  await q?.close();
  await Promise.all(executors.map((e) => e.kill9()));
  await nats?.stop();
});

describe('parameter-server training across executors', () => {
  it('sequential, two shards: reaches 75% test accuracy on 6,000 rows in 3 epochs (local-pool training of the same MLP: 78%) and saves the model with its card', async () => {
    const { train, test } = fmnistSubset(q, 6000, 2000);
    const tmp = mkdtempSync(join(tmpdir(), 'pserver-model-'));
    onTestFinished(() => rmSync(tmp, { recursive: true, force: true }));
    const dir = join(tmp, 'm');
    const lines: string[] = [];
    const events: RuntimeEvent[] = [];
    const off = q.onEvent((e) => events.push(e));
    onTestFinished(() => off());
    const r = await q.train(train, {
      model: { kind: 'mlp', hidden: [64] }, epochs: 3, batchSize: 100, servers: 2, consistency: 'sequential', test, saveTo: dir,
      progress: (p) => lines.push(`${p.epoch}:${p.epochEnd}:${p.staleness[0] ?? 0}`),
    });
    expect(r.workers).toHaveLength(2);
    expect(r.shards.map((s) => s.shard)).toEqual([0, 1]);
    expect(r.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.75);
    // Sequential: every step starts from the last round's weights.
    expect(r.staleness.max).toBe(0);
    expect(r.steps).toBeGreaterThanOrEqual(3 * 60);
    expect(lines.filter((l) => l.includes(':true:')).length).toBe(3);
    const model = loadModel(dir);
    expect(model.weights.layers.map((l) => [l.in, l.out])).toEqual([[784, 64], [64, 10]]);
    const card = JSON.parse(readFileSync(join(dir, 'card.json'), 'utf8'));
    expect(card.hyperParameters.consistency).toBe('sequential');
    expect(card.hyperParameters.maxDelay).toBe(0);
    expect(card.data.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(card.data.sha256).toBe(r.dataSha256);
    expect(card.code.commit).toMatch(/^([0-9a-f]{40}(-dirty)?|unknown)$/);
    expect(card.metrics.testAccuracy).toBeCloseTo(r.testAccuracy!, 6);
    expect(existsSync(join(dir, 'README.md'))).toBe(true);

    // The event log and the web UI's training page see it: started, three epoch ends, ended with the result's accuracy.
    const t = replay(events).trainings;
    expect(t).toHaveLength(1);
    expect(t[0]).toEqual(expect.objectContaining({ model: 'mlp 64', consistency: 'sequential', maxDelay: 0, epochs: 3, workers: 2, shards: 2, rows: 6000, status: 'succeeded', steps: r.steps }));
    expect(t[0].testAccuracy).toBeCloseTo(r.testAccuracy!, 9);
    expect(t[0].epochEnds.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(t[0].epochEnds.map((e) => e.loss)).toEqual(r.epochs.map((e) => e.loss));
    expect(t[0].last?.staleness).toEqual(Object.fromEntries(Object.entries(r.staleness.histogram).map(([k, n]) => [k, n])));
    if (q.uiUrl) {
      const shown = await (await fetch(`${q.uiUrl}/api/apps/live/trainings`)).json() as { trainings: { id: string; status: string }[] };
      expect(shown.trainings.map((x) => x.status)).toContain('succeeded');
      expect(shown.trainings.map((x) => x.id)).toContain(t[0].id);
    }
  }, 60_000);

  it('bounded delay: no clock starts more than maxDelay clocks ahead of the oldest unapplied one, recomputed from the recorded clocks', async () => {
    const { train, test } = fmnistSubset(q, 3000, 1000);
    const tau = 2;
    const r = await q.train(train, {
      model: { kind: 'mlp', hidden: [64] }, epochs: 1, batchSize: 50, consistency: 'bounded-delay', maxDelay: tau, test, progress: false,
      // Worker 1 is 10x slower (far beyond NATS latencies on a busy machine): the fast one would run ahead without the bound.
      slowdown: { 1: 10 },
    });
    const again = recomputedStaleness(r.clocks);
    expect(again).toEqual(r.clocks.map((c) => c.staleness));
    expect(Math.max(...again)).toBe(tau);
    expect(r.staleness.max).toBe(tau);
    expect(r.clocks.every((c) => c.endedAt !== undefined)).toBe(true);
    // One epoch of 3,000 rows: a sanity check that the stale gradients still train.
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.6);
  }, 60_000);

  it('eventual: no bound, and the fast worker runs further ahead than under bounded delay', async () => {
    const { train } = fmnistSubset(q, 2000, 0);
    const r = await q.train(train, { model: { kind: 'mlp', hidden: [32] }, epochs: 1, batchSize: 50, consistency: 'eventual', progress: false, slowdown: { 1: 4 } });
    expect(r.maxDelay).toBe(Infinity);
    expect(r.staleness.max).toBeGreaterThan(2);
    expect(r.testAccuracy).toBeNull();
  }, 60_000);

  it('refuses bad options with errors that say what to fix', async () => {
    const { train } = fmnistSubset(q, 100, 0);
    await expect(q.train(train, { model: 'mlp', epochs: 1, batchSize: 10, consistency: 'bounded-delay' })).rejects.toThrow(/needs maxDelay/);
    await expect(q.train(train, { model: 'mlp', epochs: 1, batchSize: 10, maxDelay: 3 })).rejects.toThrow(/maxDelay applies to consistency 'bounded-delay' only/);
    await expect(q.train(train, { model: 'cnn', epochs: 1, batchSize: 10 })).rejects.toThrow(/'cnn' is not trained across executors/);
    await expect(q.train(train, { model: 'mlp', epochs: 0, batchSize: 10 })).rejects.toThrow(/epochs must be a whole number >= 1, got 0/);
    await expect(q.train(train, { model: 'mlp', epochs: 1, batchSize: 10, consistency: 'strong' as never })).rejects.toThrow(/consistency must be one of 'sequential', 'bounded-delay', 'eventual'/);
    await expect(q.train(train, { model: 'mlp', epochs: 1, batchSize: 10, servres: 2 } as never)).rejects.toThrow(/unknown option 'servres'/);
    await expect(q.train(train, { model: 'mlp', epochs: 1, batchSize: 10, features: 'pixels' })).rejects.toThrow(/no column 'pixels'; its columns are image, label/);
    await expect(q.train(train, { model: 'mlp', epochs: 1, batchSize: 10, executors: 5 })).rejects.toThrow(/executors: 5 asked for, 2 alive/);
    const numbers = q.createDataFrame([{ x: 1, y: 0 }]);
    await expect(q.train(numbers, { model: 'mlp', epochs: 1, batchSize: 10, features: 'x', label: 'y' })).rejects.toThrow(/feature column 'x' .* expected fixed_size_list<uint8>/);
  }, 30_000);

  it('says so when no executor is alive, and in an embedded session', async () => {
    const lonely = await Quiver.connect({ servers: nats.url, cluster: 'pstrain-empty', minExecutors: 0, quiet: true });
    try {
      const { train } = fmnistSubset(lonely, 100, 0);
      await expect(lonely.train(train, { model: 'mlp', epochs: 1, batchSize: 10 })).rejects.toThrow(/no executor is alive to run workers and server shards/);
    } finally {
      await lonely.close();
    }
    const local = await Quiver.local({ workers: 1, quiet: true });
    try {
      const { train } = fmnistSubset(local, 100, 0);
      await expect(local.train(train, { model: 'mlp', epochs: 1, batchSize: 10 })).rejects.toThrow(/runs across executors; open the session with Quiver.connect/);
    } finally {
      await local.close();
    }
  }, 30_000);
});
