// The JetStream source against a real nats-server with JetStream: batches by stream sequence, acks only after the batch's commit, resume after a failing batch.
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver, col } from '../../core/index.ts';
import { startNats, type NatsServer } from '../cluster/nats-server.ts';
import { tempDir } from '../engine/helpers.ts';
import { until } from '../cluster/cluster-helpers.ts';

let q: Quiver;
let nats: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
const dir = tempDir('stream-js');

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  jsm = await jetstreamManager(nc);
  q = await Quiver.local({ workers: 2 });
});
afterAll(async () => {
  await q?.close();
  await nc?.close();
  await nats?.stop();
  dir.cleanup();
});

async function publish(stream: string, from: number, n: number): Promise<number> {
  const js = jetstream(nc);
  let last = 0;
  for (let i = from; i < from + n; i++) {
    const subject = i % 5 === 0 ? `${stream.toLowerCase()}.other` : `${stream.toLowerCase()}.photos`;
    last = (await js.publish(subject, JSON.stringify({ id: i, label: i % 2 ? 'cat' : 'dog', score: i / 10 }))).seq;
  }
  return last;
}

const source = (stream: string, durable: string) => q.readStream.jetstream({
  servers: nats.url, stream, subjects: `${stream.toLowerCase()}.photos`, durable, format: 'json', schema: 'id BIGINT, label STRING, score DOUBLE',
});

/** The ids a batch computation over the same messages gives: those on the photos subject, score over 1. */
const expected = (n: number) => Array.from({ length: n }, (_, i) => i).filter((i) => i % 5 !== 0 && i / 10 > 1);

describe('JetStream source', () => {
  it('reads the subjects asked, and acks a batch only after its commit', async () => {
    await jsm.streams.add({ name: 'EV1', subjects: ['ev1.>'] });
    const lastSeq = await publish('EV1', 0, 60);
    const floors: { batchId: number; ackFloor: number; end: number }[] = [];
    const query = await source('EV1', 'tagger').filter(col('score').gt(1)).writeStream
      .option('checkpointLocation', join(dir.path, 'ck1'))
      .foreachBatch(async (batch, batchId) => {
        await batch.count();
        const info = await jsm.consumers.info('EV1', 'tagger');
        floors.push({ batchId, ackFloor: info.ack_floor.stream_seq, end: 0 });
      }).start();
    await query.processAllAvailable();
    expect(floors.length).toBeGreaterThan(0);
    query.recentProgress.forEach((p, i) => { floors[i].end = (p.sources[0].endOffset as { seq: number }).seq; });
    // While a batch runs, nothing of it is acked yet.
    for (const f of floors) expect(f.ackFloor).toBeLessThan(f.end);
    const info = await jsm.consumers.info('EV1', 'tagger');
    // One ack (of the batch's last message) commits the batch.
    expect(info.config.ack_policy).toBe(AckPolicy.All);
    expect(info.ack_floor.stream_seq).toBe(lastSeq);
    expect(info.num_ack_pending).toBe(0);
    expect(query.lastProgress!.sources[0].description).toBe('JetStreamSource[EV1 ev1.photos durable=tagger]');
    await query.stop();
  });

  it('a durable made before with explicit acks is acked message by message, and keeps its policy', async () => {
    await jsm.streams.add({ name: 'EVX', subjects: ['evx.>'] });
    await jsm.consumers.add('EVX', { durable_name: 'explicit', ack_policy: AckPolicy.Explicit, filter_subject: 'evx.photos' });
    const lastSeq = await publish('EVX', 0, 30);
    const ids: number[] = [];
    const query = await source('EVX', 'explicit').filter(col('score').gt(1)).writeStream
      .option('checkpointLocation', join(dir.path, 'ckx'))
      .foreachBatch(async (batch) => { ids.push(...(await batch.select('id').toArray()).map((r) => r.id as number)); }).start();
    await query.processAllAvailable();
    await query.stop();
    expect(ids.sort((a, b) => a - b)).toEqual(expected(30));
    const info = await jsm.consumers.info('EVX', 'explicit');
    expect(info.config.ack_policy).toBe(AckPolicy.Explicit);
    expect(info.ack_floor.stream_seq).toBe(lastSeq);
    expect(info.num_ack_pending).toBe(0);
  });

  it('a batch holds up to maxMessagesPerBatch messages, past what one pull request fetches (10,000)', async () => {
    await jsm.streams.add({ name: 'EVBIG', subjects: ['evbig.>'] });
    for (let i = 0; i < 25_000; i++) nc.publish('evbig.photos', JSON.stringify({ id: i, label: 'cat', score: 2 }));
    await nc.flush();
    await until(async () => (await jsm.streams.info('EVBIG')).state.messages === 25_000, 10_000, 'the stream to hold 25,000 messages');
    const sizes: number[] = [];
    const floors: number[] = [];
    const query = await q.readStream.jetstream({
      servers: nats.url, stream: 'EVBIG', durable: 'big', format: 'json', schema: 'id BIGINT, label STRING, score DOUBLE', maxMessagesPerBatch: 20_000,
    }).writeStream.option('checkpointLocation', join(dir.path, 'ckbig'))
      .foreachBatch(async (batch) => {
        sizes.push(await batch.count());
        // The next batch's messages are fetched while this one runs: held, not acked.
        await until(async () => (await jsm.consumers.info('EVBIG', 'big')).delivered.stream_seq === 25_000, 10_000, 'the rest fetched while the batch runs');
        floors.push((await jsm.consumers.info('EVBIG', 'big')).ack_floor.stream_seq);
      }).start();
    await query.processAllAvailable();
    await query.stop();
    expect(sizes).toEqual([20_000, 5_000]);
    // Acking all up to the first batch's last message left the 5,000 fetched beyond it unacked.
    expect(floors).toEqual([0, 20_000]);
    const info = await jsm.consumers.info('EVBIG', 'big');
    expect([info.ack_floor.stream_seq, info.num_ack_pending]).toEqual([25_000, 0]);
  });

  it('a failing batch leaves its messages unacked; the restarted query reads the same range once more and nothing twice', async () => {
    await jsm.streams.add({ name: 'EV2', subjects: ['ev2.>'] });
    await publish('EV2', 0, 40);
    const ckpt = join(dir.path, 'ck2');
    const out = new Map<number, number[]>();
    const start = (failAt: number | null) => source('EV2', 'counter').filter(col('score').gt(1)).writeStream
      .option('checkpointLocation', ckpt)
      .foreachBatch(async (batch, batchId) => {
        const ids = (await batch.select('id').toArray()).map((r) => r.id as number);
        if (batchId === failAt) throw new Error('sink down');
        out.set(batchId, ids);
      }).start();
    const broken = await start(0);
    await expect(broken.awaitTermination()).rejects.toThrow('sink down');
    expect((await jsm.consumers.info('EV2', 'counter')).ack_floor.stream_seq).toBe(0);
    await publish('EV2', 40, 20);
    const resumed = await start(null);
    await resumed.processAllAvailable();
    expect(resumed.recentProgress[0].batchId).toBe(0);
    expect(resumed.recentProgress[0].sources[0].startOffset).toEqual({ seq: 0 });
    expect([...out.values()].flat().sort((a, b) => a - b)).toEqual(expected(60));
    await resumed.stop();
    const info = await jsm.consumers.info('EV2', 'counter');
    expect(info.num_ack_pending).toBe(0);
  });

  it('format bytes gives subject, sequence, timestamp and data; a missing stream is a clear error', async () => {
    await jsm.streams.add({ name: 'EV3', subjects: ['ev3.>'] });
    await publish('EV3', 0, 5);
    const df = q.readStream.jetstream({ servers: nats.url, stream: 'EV3', durable: 'raw', format: 'bytes' });
    expect(df.columns).toEqual(['subject', 'sequence', 'timestamp', 'data']);
    const query = await df.writeStream.format('memory').queryName('raw3').trigger({ availableNow: true }).start();
    await query.awaitTermination();
    const rows = await q.table('raw3').orderBy('sequence').toArray();
    expect(rows.map((r) => r.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(rows[0].subject).toBe('ev3.other');
    expect(JSON.parse(Buffer.from(rows[1].data as Uint8Array).toString())).toEqual({ id: 1, label: 'cat', score: 0.1 });
    const missing = await q.readStream.jetstream({ servers: nats.url, stream: 'NOPE', durable: 'x', format: 'bytes' }).writeStream.format('console').start();
    await expect(missing.awaitTermination()).rejects.toThrow(/no stream 'NOPE'.*create it first/);
    expect(() => q.readStream.jetstream({ servers: nats.url, stream: 'EV3', durable: 'x', format: 'json' })).toThrow(/needs a schema/);
  });
});
