// Benchmark: malformed messages in a permissive JetStream streaming query — 10,000 bad JSON messages among 1,000,000 good ones: every good one counted once, every bad one on the dead-letter subject once with its reason, and the rate.
//
//   npx tsx bench/stream-badinput.ts                        # 1,000,000 good + 10,000 bad
//   npx tsx bench/stream-badinput.ts --good 100000 --bad 1000 --port 14310
//
// Flags: --good N, --bad N (spread evenly, four kinds in turn: malformed JSON, a string for a
// BIGINT column, an array, an empty message), --batch N (maxMessagesPerBatch, default 100000),
// --port P (the nats-server client port; default a free one).
//
// One local nats-server (JetStream, file storage). The messages are published first (core
// publishes, then the stream is checked to hold them all); then q.readStream.jetstream (json,
// mode 'permissive', deadLetter: { subject }) with trigger availableNow runs a foreachBatch that
// marks each id it sees in a bitmap (a second mark is a duplicate). Rate: messages (good + bad) /
// seconds from start() to the query's end (every batch committed: dead letters published, messages
// acked). Then the dead-letter stream is read back with an ordered consumer and matched against
// the bad sequences by their Quiver-Sequence header.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Quiver } from '../core/index.ts';
import { startBenchNats } from './lib/cluster.ts';
import { arg, printTable } from './util.ts';

const GOOD = Number(arg('good', '1000000'));
const BAD = Number(arg('bad', '10000'));
const BATCH = Number(arg('batch', '100000'));
const PORT = Number(arg('port', '0'));
const KINDS = ['{"id": 7, "k": ', '{"id": "seven", "k": "a"}', '[1, 2]', ''];

const tmp = mkdtempSync(join(tmpdir(), 'quiver-bench-badinput-'));
const nats = await startBenchNats({ port: PORT });
const nc = await connect({ servers: nats.url });
const jsm = await jetstreamManager(nc);
const q = await Quiver.local({ workers: 2, quiet: true, ui: false });
console.log(`${GOOD.toLocaleString()} good + ${BAD.toLocaleString()} bad messages, batches of ${BATCH.toLocaleString()}; ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)}`);

try {
  await jsm.streams.add({ name: 'EVENTS', subjects: ['events.>'] });
  await jsm.streams.add({ name: 'DEAD', subjects: ['dead.>'] });
  const total = GOOD + BAD;
  // Bad ones spread evenly: message i is bad when it crosses the next multiple of total / BAD.
  const badSeq = new Map<number, number>();
  let t0 = performance.now();
  for (let i = 0, good = 0; i < total; i++) {
    if (BAD > 0 && Math.floor((i + 1) * BAD / total) > Math.floor(i * BAD / total)) {
      const kind = badSeq.size % KINDS.length;
      badSeq.set(i + 1, kind);
      nc.publish('events.in', KINDS[kind]);
    } else {
      nc.publish('events.in', JSON.stringify({ id: good++, k: `k${i % 100}` }));
    }
    if (i % 20_000 === 19_999) await nc.flush();
  }
  await nc.flush();
  while ((await jsm.streams.info('EVENTS')).state.last_seq < total) await new Promise((r) => setTimeout(r, 50));
  const publishS = (performance.now() - t0) / 1000;
  console.log(`published ${total.toLocaleString()} messages in ${publishS.toFixed(1)} s`);

  const seen = new Uint8Array(GOOD);
  let counted = 0, duplicates = 0, outOfRange = 0;
  t0 = performance.now();
  const query = await q.readStream.jetstream({
    servers: nats.url, stream: 'EVENTS', durable: 'bench', format: 'json', schema: 'id BIGINT, k STRING',
    maxMessagesPerBatch: BATCH, mode: 'permissive', deadLetter: { subject: 'dead.events' },
  }).writeStream.option('checkpointLocation', join(tmp, 'ckpt')).trigger({ availableNow: true }).foreachBatch(async (batch) => {
    const ids = (await batch.select('id').collect()).getChild('id')!;
    for (const v of ids) {
      const id = Number(v);
      counted++;
      if (!(id >= 0 && id < GOOD)) outOfRange++;
      else if (seen[id]++ > 0) duplicates++;
    }
  }).start();
  await query.awaitTermination();
  const queryS = (performance.now() - t0) / 1000;
  const batches = query.recentProgress.length;

  // The dead letters, read back.
  t0 = performance.now();
  const letters = (await jsm.streams.info('DEAD')).state.messages;
  const found = new Map<number, number>();
  let noReason = 0, wrongSubject = 0;
  const c = await jetstream(nc).consumers.get('DEAD');
  for (let read = 0; read < letters;) {
    const iter = await c.fetch({ max_messages: Math.min(10_000, letters - read), expires: 2000 });
    let n = 0;
    for await (const m of iter) {
      n++;
      const seq = Number(m.headers!.get('Quiver-Sequence'));
      found.set(seq, (found.get(seq) ?? 0) + 1);
      if (!m.headers!.get('Quiver-Reason')) noReason++;
      if (m.headers!.get('Quiver-Subject') !== 'events.in') wrongSubject++;
    }
    read += n;
    if (n === 0) throw new Error(`read ${read} of ${letters} dead letters`);
  }
  const dlDuplicates = [...found.values()].reduce((s, k) => s + k - 1, 0);
  const dlMissing = [...badSeq.keys()].filter((s) => !found.has(s)).length;
  const dlStray = [...found.keys()].filter((s) => !badSeq.has(s)).length;
  const missing = seen.reduce((s, v) => s + (v === 0 ? 1 : 0), 0);
  const consumer = await jsm.consumers.info('EVENTS', 'bench');

  const n = (x: number) => x.toLocaleString();
  // other: good: ids outside the published ones; bad: letters for a good message, without a reason or with the wrong subject.
  printTable([
    { what: 'good messages (counted by the sink)', published: n(GOOD), found: n(counted), duplicates: n(duplicates), missing: n(missing), other: n(outOfRange) },
    { what: 'bad messages (dead letters)', published: n(BAD), found: n(letters), duplicates: n(dlDuplicates), missing: n(dlMissing), other: n(dlStray + noReason + wrongSubject) },
  ]);
  console.log(`query: ${total.toLocaleString()} messages in ${queryS.toFixed(1)} s (${batches} batches): ${Math.round(total / queryS).toLocaleString()} messages/s; dead letters read back in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`consumer after the query: ack floor ${consumer.ack_floor.stream_seq.toLocaleString()} of ${total.toLocaleString()}, ${consumer.num_ack_pending} unacked`);
  const ok = counted === GOOD && duplicates === 0 && missing === 0 && outOfRange === 0 && letters === BAD && dlDuplicates === 0 && dlMissing === 0 && dlStray === 0 && noReason === 0 && wrongSubject === 0;
  console.log(ok ? 'OK: every good message counted once, every bad one dead-lettered once with its reason' : 'MISMATCH');
  process.exitCode = ok ? 0 : 1;
} finally {
  await q.close();
  await nc.close();
  await nats.stop();
  rmSync(tmp, { recursive: true, force: true });
}
