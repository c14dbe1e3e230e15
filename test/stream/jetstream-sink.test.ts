// The JetStream sink against a real nats-server: a windowed count from one stream published to another as JSON, a re-run batch de-duplicated by its message ids.
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlanError, Quiver, fn } from '../../core/index.ts';
import { startNats, type NatsServer } from '../cluster/nats-server.ts';
import { tempDir } from '../engine/helpers.ts';

let q: Quiver;
let nats: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
const dir = tempDir('stream-js-sink');

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

const T0 = Date.UTC(2024, 0, 1);

/** Every message of `stream` as parsed JSON, in order. */
async function readAll(stream: string): Promise<{ data: Record<string, unknown>; msgId: string | undefined }[]> {
  const info = await jsm.streams.info(stream);
  const out = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    out.push({ data: m!.json<Record<string, unknown>>(), msgId: m!.header?.get('Nats-Msg-Id') });
  }
  return out;
}

describe('JetStream sink', () => {
  it('publishes each output row as JSON with id <queryId>/<batchId>/<row>; a batch run again is stored once', async () => {
    await jsm.streams.add({ name: 'CLICKS', subjects: ['clicks.>'] });
    await jsm.streams.add({ name: 'COUNTS', subjects: ['counts.>'] });
    const js = jetstream(nc);
    for (let i = 0; i < 30; i++) await js.publish('clicks.in', JSON.stringify({ ts: new Date(T0 + i * 1000).toISOString(), page: i % 2 ? 'home' : 'cart' }));
    const ckpt = join(dir.path, 'ck');
    const start = async () => {
      const query = await q.readStream.jetstream({ servers: nats.url, stream: 'CLICKS', durable: 'counter', format: 'json', schema: 'ts TIMESTAMP, page STRING' })
        .groupBy(fn.window('ts', '10 seconds'), 'page').count()
        .writeStream.outputMode('complete').format('jetstream').option('servers', nats.url).option('subject', 'counts.pages')
        .option('checkpointLocation', ckpt).trigger({ availableNow: true }).start();
      await query.awaitTermination();
      return query;
    };
    const first = await start();
    expect(first.recentProgress.map((p) => p.batchId)).toEqual([0]);
    const published = await readAll('COUNTS');
    expect(published.map((m) => m.msgId)).toEqual(Array.from({ length: 6 }, (_, i) => `${first.id}/0/${i}`));
    const counts = published.map((m) => `${m.data.window_start} ${m.data.page} ${m.data.count}`).sort();
    expect(counts).toEqual(['00', '10', '20'].flatMap((s) => [`2024-01-01 00:00:${s}.000 cart 5`, `2024-01-01 00:00:${s}.000 home 5`]));

    // A crash after publishing, before the commits log: the restart runs batch 0 again with the same ids.
    rmSync(join(ckpt, 'commits', '0'));
    const again = await start();
    expect(again.recentProgress[0].batchId).toBe(0);
    expect(again.recentProgress[0].sink.numOutputRows).toBe(6);
    expect((await jsm.streams.info('COUNTS')).state.messages).toBe(6);
  });

  it('refuses a sink without a subject or servers', async () => {
    const s = q.readStream.rate();
    await expect(s.writeStream.format('jetstream').option('servers', nats.url).start()).rejects.toThrow(/option\('subject'/);
    await expect(s.writeStream.format('jetstream').option('subject', 'a.b').start()).rejects.toThrow(PlanError);
  });
});
