// The KV sink against a real nats-server: windowed counts kept in a JetStream KV bucket by key, read back through @nats-io/kv, a re-run batch leaving the same values.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, PlanError, Quiver, col, fn, kvKey } from '../../core/index.ts';
import { startNats, type NatsServer } from '../cluster/nats-server.ts';
import { tempDir } from '../engine/helpers.ts';

let q: Quiver;
let nats: NatsServer;
let nc: NatsConnection;
const dir = tempDir('stream-kv-sink');

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  q = await Quiver.local({ workers: 2, quiet: true });
});
afterAll(async () => {
  await q?.close();
  await nc?.close();
  await nats?.stop();
  dir.cleanup();
});

const T0 = Date.UTC(2024, 0, 1);

async function publish(stream: string, events: { ts: number; label: string }[]): Promise<void> {
  const js = jetstream(nc);
  for (const e of events) await js.publish(`${stream.toLowerCase()}.in`, JSON.stringify({ ts: new Date(e.ts).toISOString(), label: e.label }));
}

/** Every key of the bucket and its value, parsed, with its revision. */
async function readAll(kv: KV): Promise<Map<string, { value: Record<string, unknown>; revision: number }>> {
  const out = new Map<string, { value: Record<string, unknown>; revision: number }>();
  const keys: string[] = [];
  for await (const k of await kv.keys()) keys.push(k);
  for (const k of keys.sort()) {
    const e = await kv.get(k);
    if (e && e.operation === 'PUT') out.set(k, { value: e.json<Record<string, unknown>>(), revision: e.revision });
  }
  return out;
}

const counts = (m: Map<string, { value: Record<string, unknown> }>) => Object.fromEntries([...m].map(([k, v]) => [k, v.value.n]));

describe('KV sink', () => {
  it('keeps windowed counts by key (update mode), readable through @nats-io/kv; a re-run batch leaves the same values', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'TAGS1', subjects: ['tags1.>'] });
    // Minute windows: cat x3 and dog x1 in minute 0, cat x2 in minute 1.
    await publish('TAGS1', [
      { ts: T0 + 1_000, label: 'cat' }, { ts: T0 + 2_000, label: 'dog' }, { ts: T0 + 3_000, label: 'cat' },
      { ts: T0 + 50_000, label: 'cat' }, { ts: T0 + 61_000, label: 'cat' }, { ts: T0 + 62_000, label: 'cat' },
    ]);
    const ckpt = join(dir.path, 'ck1');
    const start = () => q.readStream.jetstream({ servers: nats.url, stream: 'TAGS1', durable: 'kv1', format: 'json', schema: 'ts TIMESTAMP, label STRING' })
      .groupBy('label', fn.window('ts', '1 minute')).agg(fn.count().alias('n'))
      .writeStream.outputMode('update').format('kv').option('servers', nats.url).option('bucket', 'tag_counts').option('keys', ['label', 'window_start'])
      .option('checkpointLocation', ckpt).trigger({ availableNow: true }).start();
    let query = await start();
    await query.awaitTermination();
    expect(query.lastProgress!.sink.description).toBe('KvSink[tag_counts by label, window_start]');
    const kv = await new Kvm(nc).open('tag_counts');
    const m0 = kvKey(['cat', new Date(T0)]);
    expect(m0).toBe('cat.20240101T000000Z');
    const first = await readAll(kv);
    expect(counts(first)).toEqual({ [m0]: 3, 'cat.20240101T000100Z': 2, 'dog.20240101T000000Z': 1 });
    expect(first.get(m0)!.value).toEqual({ label: 'cat', window_start: '2024-01-01 00:00:00.000', window_end: '2024-01-01 00:01:00.000', n: 3 });

    // More events: the next batch rewrites only the groups it changed.
    await publish('TAGS1', [{ ts: T0 + 4_000, label: 'cat' }, { ts: T0 + 125_000, label: 'bird' }]);
    query = await start();
    await query.awaitTermination();
    const second = await readAll(kv);
    expect(counts(second)).toEqual({ [m0]: 4, 'cat.20240101T000100Z': 2, 'dog.20240101T000000Z': 1, 'bird.20240101T000200Z': 1 });
    expect(second.get('dog.20240101T000000Z')!.revision).toBe(first.get('dog.20240101T000000Z')!.revision);
    const last = query.lastProgress!.batchId;

    // A crash after the sink's own record, before the query's commit: the batch runs again and puts nothing.
    rmSync(join(ckpt, 'commits', String(last)));
    query = await start();
    await query.awaitTermination();
    expect(query.recentProgress.map((p) => p.batchId)).toEqual([last]);
    expect(query.lastProgress!.sink.numOutputRows).toBe(2);
    expect(await readAll(kv)).toEqual(second);

    // A crash in the middle of the puts (neither record written): the re-run puts the same values again.
    rmSync(join(ckpt, 'commits', String(last)));
    rmSync(join(ckpt, 'sink', String(last)));
    query = await start();
    await query.awaitTermination();
    expect(existsSync(join(ckpt, 'sink', String(last)))).toBe(true);
    const third = await readAll(kv);
    expect(counts(third)).toEqual(counts(second));
    expect(third.get(m0)!.revision).toBeGreaterThan(second.get(m0)!.revision);
    expect(third.get('dog.20240101T000000Z')!.revision).toBe(second.get('dog.20240101T000000Z')!.revision);
  });

  it('rewrites every group in complete mode, keyed by a string and an integer', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'TAGS2', subjects: ['tags2.>'] });
    await publish('TAGS2', [{ ts: T0, label: 'cat' }, { ts: T0, label: 'cat' }, { ts: T0, label: 'dog' }]);
    const query = await q.readStream.jetstream({ servers: nats.url, stream: 'TAGS2', durable: 'kv2', format: 'json', schema: 'ts TIMESTAMP, label STRING' })
      .withColumn('year', fn.year('ts')).groupBy('label', 'year').agg(fn.count().alias('n'))
      .writeStream.outputMode('complete').format('kv').option('servers', nats.url).option('bucket', 'by_year').option('keys', 'label, year')
      .trigger({ availableNow: true }).start();
    await query.awaitTermination();
    expect(counts(await readAll(await new Kvm(nc).open('by_year')))).toEqual({ 'cat.2024': 2, 'dog.2024': 1 });
  });

  it('fails a batch whose key is not legal in a KV bucket, naming it, with nothing written', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'TAGS3', subjects: ['tags3.>'] });
    await publish('TAGS3', [{ ts: T0, label: 'cat' }, { ts: T0, label: 'tabby cat' }]);
    const query = await q.readStream.jetstream({ servers: nats.url, stream: 'TAGS3', durable: 'kv3', format: 'json', schema: 'ts TIMESTAMP, label STRING' })
      .writeStream.format('kv').option('servers', nats.url).option('bucket', 'bad_keys').option('keys', ['label'])
      .trigger({ availableNow: true }).start();
    const err = await query.awaitTermination().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/KV key "tabby cat" \(batch 0, key columns label\) is not legal/);
    expect((await jsm.streams.list().next()).some((s) => s.config.name === 'KV_bad_keys')).toBe(false);
  });

  it('refuses options it cannot key by, before starting', async () => {
    const s = q.readStream.rate().withColumn('score', col('value').cast('float64'));
    const kv = s.writeStream.format('kv').option('servers', nats.url);
    await expect(kv.option('keys', ['value']).start()).rejects.toThrow(/option\('bucket', 'tag_counts'\)/);
    await expect(kv.option('bucket', 'a.b').option('keys', ['value']).start()).rejects.toThrow(/letters, digits, - and _; got "a\.b"/);
    await expect(kv.option('bucket', 'b').start()).rejects.toThrow(/option\('keys'/);
    await expect(kv.option('bucket', 'b').option('keys', ['nope']).start()).rejects.toThrow(/key column 'nope' is not an output column; the columns are timestamp, value, score/);
    await expect(kv.option('bucket', 'b').option('keys', ['score']).start()).rejects.toThrow(PlanError);
    await expect(kv.option('bucket', 'b').option('keys', ['score']).start()).rejects.toThrow(/key column 'score' has type float64/);
    expect(() => kvKey(['a b'])).toThrow(/not legal/);
    expect(kvKey(['x', 7, true, new Date(Date.UTC(2024, 5, 1, 10, 0, 0, 250))])).toBe('x.7.true.20240601T100000.250Z');
  });
});
