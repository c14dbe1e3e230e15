// Malformed messages in the JetStream source, against a real nats-server: failfast names the stream sequence; permissive delivers each bad message with its reason to a dead-letter subject or path once its batch commits, and acks nothing before.
import { DiscardPolicy, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, PlanError, Quiver } from '../../core/index.ts';
import { startNats, type NatsServer } from '../cluster/nats-server.ts';
import { tempDir } from '../engine/helpers.ts';
import { BAD, SCHEMA, expectLetters, publishMixed, readDeadLetters } from './bad-messages.ts';

let q: Quiver;
let nats: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
const dir = tempDir('stream-js-bad');

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  jsm = await jetstreamManager(nc);
  q = await Quiver.local({ workers: 2, quiet: true });
});
afterAll(async () => {
  await q?.close();
  await nc?.close();
  await nats?.stop();
  dir.cleanup();
});

const publish = (subject: string, n: number, every: number) => publishMixed(nc, jsm, subject, n, every);
const deadLetters = (stream: string) => readDeadLetters(nc, jsm, stream);

describe('JetStream source: bad messages', () => {
  it('failfast stops the query with the stream, sequence, subject and reason; the failed batch stays unacked', async () => {
    await jsm.streams.add({ name: 'FF', subjects: ['ff.>'] });
    await publish('ff.in', 30, 1000);
    nc.publish('ff.in', '{"id": 30, "k": ');
    await publish('ff.in', 5, 1000);
    const start = (stream: string, durable: string) => q.readStream.jetstream({ servers: nats.url, stream, durable, format: 'json', schema: SCHEMA, maxMessagesPerBatch: 10 })
      .writeStream.format('memory').queryName(`out_${durable}`).option('checkpointLocation', join(dir.path, durable)).start();
    const query = await start('FF', 'ff');
    const err = await query.awaitTermination().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toMatch(/^readStream\.jetstream: stream 'FF' sequence 31 \(subject 'ff\.in'\): malformed JSON.*; to skip bad messages, read with mode: 'permissive' and a deadLetter/);
    // Batches (0, 10], (10, 20], (20, 30] committed and acked; (30, 36] failed: none of it acked.
    expect((await jsm.consumers.info('FF', 'ff')).ack_floor.stream_seq).toBe(30);

    await jsm.streams.add({ name: 'FF2', subjects: ['ff2.>'] });
    await publish('ff2.in', 3, 1000);
    nc.publish('ff2.in', '{"id": "three", "k": "a"}');
    nc.publish('ff2.in', '');
    await nc.flush();
    await expect((await start('FF2', 'ff2')).awaitTermination()).rejects.toThrow(/stream 'FF2' sequence 4 \(subject 'ff2\.in'\), column 'id': /);
    await jsm.streams.purge('FF2', { filter: 'ff2.in', seq: 5 });
    await expect((await start('FF2', 'ff2b')).awaitTermination()).rejects.toThrow(/stream 'FF2' sequence 5 \(subject 'ff2\.in'\): empty message/);
  });

  it('permissive: every good message counted, every bad one on the dead-letter subject with its reason, delivered after its batch commits and once across a restart', async () => {
    await jsm.streams.add({ name: 'PM', subjects: ['pm.>'] });
    await jsm.streams.add({ name: 'PMDEAD', subjects: ['pmdead.>'] });
    const { good, bad, lastSeq } = await publish('pm.in', 2000, 10);
    const ckpt = join(dir.path, 'pm');
    const seen: number[] = [];
    const start = (failAt: number | null) => q.readStream.jetstream({
      servers: nats.url, stream: 'PM', durable: 'pm', format: 'json', schema: SCHEMA, maxMessagesPerBatch: 500,
      mode: 'permissive', deadLetter: { subject: 'pmdead.in' },
    }).writeStream.option('checkpointLocation', ckpt).foreachBatch(async (batch, batchId) => {
      const ids = (await batch.select('id').toArray()).map((r) => Number(r.id));
      const [first, last] = [batchId * 500 + 1, batchId * 500 + 500];
      // While the batch runs: none of its dead letters out yet, none of its messages acked.
      expect((await deadLetters('PMDEAD')).filter((l) => l.seq >= first && l.seq <= last)).toEqual([]);
      expect((await jsm.consumers.info('PM', 'pm')).ack_floor.stream_seq).toBeLessThan(first);
      if (batchId === failAt) throw new Error('sink down');
      seen.push(...ids);
    }).start();
    const broken = await start(2);
    await expect(broken.awaitTermination()).rejects.toThrow('sink down');
    expect((await jsm.consumers.info('PM', 'pm')).ack_floor.stream_seq).toBe(1000);
    expect((await deadLetters('PMDEAD')).length).toBe(100);
    const resumed = await start(null);
    await resumed.processAllAvailable();
    await resumed.stop();
    expect(seen.sort((a, b) => a - b)).toEqual(good);
    const letters = await deadLetters('PMDEAD');
    expect(letters.length).toBe(bad.size);
    expectLetters(letters, bad);
    const l = letters.find((x) => bad.get(x.seq) === 0)!;
    expect(l).toMatchObject({ subject: 'pm.in', data: BAD[0].data, msgId: `quiver-dead-letter/PM/pm/${l.seq}` });
    const info = await jsm.consumers.info('PM', 'pm');
    expect(info.ack_floor.stream_seq).toBe(lastSeq);
    expect(info.num_ack_pending).toBe(0);
  });

  it('permissive with a dead-letter path; dead letters that could not be delivered at commit go out when the query restarts, before the acks', async () => {
    await jsm.streams.add({ name: 'PP', subjects: ['pp.>'] });
    const { good, bad, lastSeq } = await publish('pp.in', 600, 6);
    const out = join(dir.path, 'pp-dead');
    const query = await q.readStream.jetstream({
      servers: nats.url, stream: 'PP', durable: 'pp', format: 'json', schema: SCHEMA, maxMessagesPerBatch: 250, mode: 'permissive', deadLetter: { path: out },
    }).writeStream.format('memory').queryName('pp_out').option('checkpointLocation', join(dir.path, 'pp')).trigger({ availableNow: true }).start();
    await query.awaitTermination();
    expect((await q.table('pp_out').toArray()).map((r) => Number(r.id)).sort((a, b) => a - b)).toEqual(good);
    expect(readdirSync(out).sort()).toEqual(['PP-pp-1-250.jsonl', 'PP-pp-251-500.jsonl', 'PP-pp-501-600.jsonl']);
    const rows = readdirSync(out).flatMap((f) => readFileSync(join(out, f), 'utf8').trim().split('\n').map((t) => JSON.parse(t)));
    expectLetters(rows.map((r) => ({ seq: r.sequence, reason: r.reason, column: r.column })), bad);
    expect(rows[0]).toMatchObject({ stream: 'PP', subject: 'pp.in', record: BAD[0].data });
    expect((await jsm.consumers.info('PP', 'pp')).ack_floor.stream_seq).toBe(lastSeq);

    // A dead-letter stream that refuses more than 5 messages: the first batch's commit fails after the commits log.
    await jsm.streams.add({ name: 'PD', subjects: ['pd.>'] });
    await jsm.streams.add({ name: 'PDDEAD', subjects: ['pddead.>'], max_msgs: 5, discard: DiscardPolicy.New });
    const pd = await publish('pd.in', 120, 6);
    const ckpt = join(dir.path, 'pd');
    const start = () => q.readStream.jetstream({
      servers: nats.url, stream: 'PD', durable: 'pd', format: 'json', schema: SCHEMA, mode: 'permissive', deadLetter: { subject: 'pddead.x' },
    }).writeStream.format('memory').queryName('pd_out').option('checkpointLocation', ckpt).trigger({ availableNow: true }).start();
    await expect((await start()).awaitTermination()).rejects.toThrow(/publishing dead letters to 'pddead\.x' failed/);
    expect(readdirSync(join(ckpt, 'commits'))).toEqual(['0']);
    expect((await jsm.consumers.info('PD', 'pd')).ack_floor.stream_seq).toBe(0);
    await jsm.streams.update('PDDEAD', { max_msgs: -1 });
    const again = await start();
    await again.awaitTermination();
    // Nothing left to run: the restart only delivered batch 0's dead letters (the first 5 again, de-duplicated by id) and acked.
    expect(again.recentProgress).toEqual([]);
    const letters = await deadLetters('PDDEAD');
    expect(letters.length).toBe(pd.bad.size);
    expectLetters(letters, pd.bad);
    expect((await jsm.consumers.info('PD', 'pd')).ack_floor.stream_seq).toBe(pd.lastSeq);
  });

  it('refuses permissive mode without a dead letter, badRecordsPath, and a dead-letter subject no stream captures', async () => {
    const base = { servers: nats.url, stream: 'PM', durable: 'x', format: 'json' as const, schema: SCHEMA };
    expect(() => q.readStream.jetstream({ ...base, mode: 'permissive' })).toThrow(/needs a deadLetter/);
    expect(() => q.readStream.jetstream({ ...base, mode: 'permissive', badRecordsPath: '/tmp/x' } as never)).toThrow(/deadLetter, not a badRecordsPath/);
    expect(() => q.readStream.jetstream({ ...base, deadLetter: { path: '/tmp/x' } })).toThrow(/deadLetter is for mode 'permissive'/);
    expect(() => q.readStream.jetstream({ ...base, mode: 'permissive', deadLetter: { subject: 'a.*' } })).toThrow(PlanError);
    const query = await q.readStream.jetstream({ ...base, mode: 'permissive', deadLetter: { subject: 'nobody.here' } }).writeStream.format('console').start();
    await expect(query.awaitTermination()).rejects.toThrow(/no JetStream stream captures the dead-letter subject 'nobody\.here'/);
  });
});
