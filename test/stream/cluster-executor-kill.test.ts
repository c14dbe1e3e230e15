// A JetStream streaming query on a cluster (Quiver.connect, two executor processes): kill -9 of an executor mid-batch; the batch's tasks run again elsewhere and the Parquet output holds every event exactly once.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../cluster/cluster-helpers.ts';
import { useKillableCluster } from '../cluster/killable-cluster.ts';
import { tempDir } from '../engine/helpers.ts';
import { publishMixed } from './bad-messages.ts';

const SLOW = resolve(import.meta.dirname, '../fixtures/cluster/slow.ts');
const c = useKillableCluster('streamkill', { driverTimeoutMs: 10_000, shufflePartitions: 4 });
const dir = tempDir('stream-cluster-kill');
let nc: NatsConnection | undefined;
afterAll(async () => {
  await nc?.close();
  dir.cleanup();
});

describe('a streaming query on a cluster whose executor is killed mid-batch', () => {
  it('re-runs the lost tasks and writes every event exactly once', async () => {
    nc = await connect({ servers: c.nats.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'CK', subjects: ['ck.>'] });
    const { good, lastSeq } = await publishMixed(nc, jsm, 'ck.in', 12_000, Number.MAX_SAFE_INTEGER);
    const out = join(dir.path, 'out');
    const query = await c.q.readStream.jetstream({ servers: c.nats.url, stream: 'CK', durable: 'ck', format: 'json', schema: 'id BIGINT, k STRING', maxMessagesPerBatch: 3000 })
      .repartition(4).mapBatches({ module: SLOW, export: 'sleepy' }, { options: { ms: 400 } })
      .writeStream.format('parquet').option('checkpointLocation', join(dir.path, 'ckpt')).start(out);
    const committed = () => Math.max(0, ...query.recentProgress.map((p) => (p.sources[0].endOffset as { seq: number }).seq));
    await until(() => committed() > 0, 40_000, 'a first committed batch');
    // Mid-batch: the victim runs a task of the next batch's job.
    const from = c.events.length;
    const victim = c.executors[0];
    await until(() => c.events.slice(from).some((e) => e.kind === 'taskStart' && e.executor === victim.id), 20_000, 'a task of the next batch on the victim');
    await victim.kill9();
    const killedAt = c.events.length;
    const replacement = c.exec('a2');
    await until(() => committed() >= lastSeq || !query.isActive, 60_000, `the query to commit seq ${lastSeq}`);
    expect(query.exception).toBeNull();
    c.executors[0] = await replacement;
    expect(c.events.slice(from).some((e) => e.kind === 'executorRemoved' && e.executor === victim.id)).toBe(true);
    // Its tasks ran again on another executor.
    expect(c.events.slice(killedAt).some((e) => e.kind === 'taskStart' && e.attempt > 0 && e.executor !== victim.id)).toBe(true);
    await query.stop();
    const ids = (await c.q.read.parquet(out).select('id').toArray()).map((r) => Number(r.id)).sort((a, b) => a - b);
    expect(ids).toEqual(good);
  }, 120_000);
});
