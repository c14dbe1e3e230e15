// A JetStream streaming query across a nats-server restart (same port, same JetStream store): it reconnects, and its Parquet output equals the batch computation over every event, none lost or counted twice.
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver, col, fn } from '../../core/index.ts';
import { until } from '../cluster/cluster-helpers.ts';
import { startNats, type NatsServer } from '../cluster/nats-server.ts';
import { tempDir } from '../engine/helpers.ts';

let q: Quiver;
let nats: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
const dir = tempDir('stream-js-restart');

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  jsm = await jetstreamManager(nc);
  q = await Quiver.local({ workers: 2, quiet: true });
});
afterAll(async () => {
  await q?.close();
  await nc?.close();
  await nats?.stop();
  dir.cleanup();
});

const N = 30_000;
const events: { id: number; k: string }[] = [];

/** Publishes events [from, to) and waits until the stream holds them; returns the last sequence. */
async function publish(from: number, to: number): Promise<number> {
  for (let i = from; i < to; i++) {
    const e = { id: i, k: `k${(i * 7) % 13}` };
    events.push(e);
    nc.publish('rs.in', JSON.stringify(e));
  }
  await nc.flush();
  let last = 0;
  await until(async () => (last = (await jsm.streams.info('RS')).state.last_seq) >= to, 10_000, `the stream to hold ${to} events`);
  return last;
}

describe('a JetStream query across a nats-server restart', () => {
  it('reconnects and writes exactly the batch computation over every event', async () => {
    await jsm.streams.add({ name: 'RS', subjects: ['rs.>'] });
    await publish(0, N);
    const out = join(dir.path, 'out');
    const query = await q.readStream.jetstream({
      servers: nats.url, stream: 'RS', durable: 'rs', format: 'json', schema: 'id BIGINT, k STRING', maxMessagesPerBatch: 3000, ackWaitMs: 2000,
    }).withColumn('even', col('id').mod(2).eq(0)).writeStream.format('parquet').option('checkpointLocation', join(dir.path, 'ckpt')).start(out);
    const committed = () => Math.max(0, ...query.recentProgress.map((p) => (p.sources[0].endOffset as { seq: number }).seq));

    await until(() => committed() > 0, 15_000, 'a first committed batch');
    // Mid-stream: most of the events are not committed yet.
    expect(committed()).toBeLessThan(N);
    await nats.restart();
    // The query keeps going on its own; the test's publisher waits for its connection too.
    await until(async () => jsm.streams.info('RS').then(() => true, () => false), 20_000, 'the restarted server');
    const lastSeq = await publish(N, 2 * N);
    await until(() => committed() >= lastSeq || !query.isActive, 30_000, `the query to commit seq ${lastSeq}`);
    expect(query.exception).toBeNull();
    // Acks lost with the connection are sent again; messages read by sequence are acked when redelivered (ackWait).
    await until(async () => { const i = await jsm.consumers.info('RS', 'rs'); return i.ack_floor.stream_seq === lastSeq && i.num_ack_pending === 0; }, 15_000, 'every message acked');
    await query.stop();

    writeFileSync(join(dir.path, 'events.json'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const batch = q.read.json(join(dir.path, 'events.json'), { schema: 'id BIGINT, k STRING' }).withColumn('even', col('id').mod(2).eq(0));
    const summary = (df: typeof batch) => df.groupBy('k', 'even').agg(fn.count().alias('n'), fn.sum('id').alias('ids'), fn.countDistinct('id').alias('distinct')).orderBy('k', 'even').toArray();
    const got = await summary(q.read.parquet(out));
    expect(got).toEqual(await summary(batch));
    expect(got.reduce((s, r) => s + Number(r.n), 0)).toBe(2 * N);
  }, 90_000);
});
