// Benchmark: a streaming windowed count over JSON events from NATS JetStream — sustained events/s at full publish speed and event-to-result latency at half that rate, against a plain nats.js consumer loop doing the same count.
//
//   npm run bench:stream                                # 500,000 events, then 15 s at half rate
//   npm run bench:stream -- --quick --out /tmp/x        # a smoke run with tiny counts (the test's)
//
// Flags: --quick, --out DIR (default bench/results), --events N (throughput run), --seconds S
// (latency run), --images N (predict run, 10,000), --predict-runs N (3). Writes <out>/stream.json
// and <out>/stream.{svg,png}.
//
// Each run has a stream of its own on one local nats-server (JetStream, file storage); a
// separate publisher process (bench/lib/stream-publisher.ts) publishes {ts, k} events (ts: the
// publish time, k: one of 100 keys) and saves when each stream sequence was published.
//   quiver: q.readStream.jetstream (json) .withWatermark('ts', '10 seconds')
//           .groupBy(fn.window('ts', '1 second'), 'k').count(), outputMode('update'), default
//           trigger, foreachBatch collecting the updated counts; 2 worker threads.
//   raw:    an ordered nats.js consumer (no acks) parsing each message and counting it in a Map
//           by (second, key) in this process: the limit of reading the stream at all.
// Each contender first runs a warm-up of 20,000 events (not reported).
// Throughput: events / (when the last event's result is ready - when the first was published),
// the publisher going at full speed (core publishes, flushed every 1,000; it shares the 2 cores
// with the consumer).
// Backlog: the same count over N events published before the reader starts (the publisher off
// the cores): events / (last result - reader start), Quiver and raw.
// Latency, at half of Quiver's throughput: per event, when its result is ready minus when it was
// published. For Quiver "ready" is the end of the trigger whose batch first includes the
// event's sequence (progress timestamp + durationMs.triggerExecution: after foreachBatch collected
// the counts, the commits log was written and the messages acked); for raw, when the loop counted it.
// Streaming predict (bench/lib/stream-predict.ts): N Fashion-MNIST test images as 28x28 PNG
// files, tagged by models/fmnist-mlp in batch (q.read.images(dir).predict) and as a stream of
// the same files' bytes on JetStream (readStream.jetstream format 'bytes', predict over the
// binary column, availableNow, published before the query starts), medians of --predict-runs
// runs each after a warm-up; the tags must agree.
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Quiver, fn } from '../core/index.ts';
import { renderChart, stackedPanels } from './lib/chart.ts';
import { startBenchNats } from './lib/cluster.ts';
import { streamVsBatchPredict } from './lib/stream-predict.ts';
import { arg, printTable } from './util.ts';

const quick = process.argv.includes('--quick');
const outDir = resolve(arg('out', 'bench/results'));
const EVENTS = Number(arg('events', quick ? '3000' : '500000'));
const SECONDS = Number(arg('seconds', quick ? '2' : '15'));
const IMAGES = Number(arg('images', quick ? '300' : '10000'));
const PREDICT_RUNS = Number(arg('predict-runs', quick ? '1' : '3'));
const PUBLISHER = resolve(import.meta.dirname, 'lib/stream-publisher.ts');
const tmp = mkdtempSync(join(tmpdir(), 'quiver-bench-stream-'));

/** When each event (by sequence - 1) became a result, in wall-clock ms, and how many results (batches or messages) it took. */
interface Consumed { readyAt: Float64Array; batches: number; counted: number }
interface Run { events: number; seconds: number; eventsPerSecond: number; p50Ms: number; p99Ms: number; maxMs: number; batches: number; counted: number }
type Contender = (stream: string, events: number, started: () => void) => Promise<Consumed>;

const nats = await startBenchNats();
const nc: NatsConnection = await connect({ servers: nats.url });
const jsm: JetStreamManager = await jetstreamManager(nc);
const q = await Quiver.local({ workers: 2, quiet: true, ui: false });
let streams = 0;

/** The publisher process: `events` events to `stream` at `rate` (0: full speed); resolves with their publish times once the stream holds them all. */
function publish(stream: string, events: number, rate: number): Promise<{ times: Float64Array; seconds: number }> {
  const file = join(tmp, `${stream}.times`);
  const p = spawn(process.execPath, ['--import', 'tsx', PUBLISHER, nats.url, `${stream}.in`, String(events), String(rate), file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout!.on('data', (d) => { out += d; });
  p.stderr!.on('data', (d) => { out += d; });
  return new Promise((res, rej) => p.once('exit', (code) => {
    if (code !== 0) return rej(new Error(`stream-publisher exited with ${code}:\n${out}`));
    const bytes = readFileSync(file);
    res({ times: new Float64Array(bytes.buffer, bytes.byteOffset, events), seconds: JSON.parse(out.trim().split('\n').at(-1)!).seconds });
  }));
}

const quiver: Contender = async (stream, events, started) => {
  const counts = new Map<string, number>();
  const query = await q.readStream.jetstream({ servers: nats.url, stream, durable: 'bench', format: 'json', schema: 'ts TIMESTAMP, k STRING' })
    .withWatermark('ts', '10 seconds').groupBy(fn.window('ts', '1 second'), 'k').count()
    .writeStream.outputMode('update').option('checkpointLocation', join(tmp, `${stream}.ckpt`))
    .foreachBatch(async (batch) => { for (const r of await batch.toArray()) counts.set(`${(r.window_start as Date).getTime()} ${r.k}`, Number(r.count)); })
    .start();
  const readyAt = new Float64Array(events);
  let end = 0, batches = 0;
  started();
  // recentProgress holds the last 100 batches: polled far more often than 100 batches can run.
  while (end < events) {
    if (!query.isActive) throw new Error(`the streaming query stopped: ${String(query.exception)}`);
    for (const p of query.recentProgress) {
      const to = (p.sources[0].endOffset as { seq: number }).seq;
      if (to <= end) continue;
      readyAt.fill(Date.parse(p.timestamp) + p.durationMs.triggerExecution, end, to);
      end = to;
      batches++;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  await query.stop();
  return { readyAt, batches, counted: [...counts.values()].reduce((a, b) => a + b, 0) };
};

const raw: Contender = async (stream, events, started) => {
  const consumer = await jetstream(nc).consumers.get(stream);
  const messages = await consumer.consume();
  const counts = new Map<string, number>();
  const readyAt = new Float64Array(events);
  started();
  let n = 0;
  for await (const m of messages) {
    const e = m.json<{ ts: string; k: string }>();
    const key = `${Math.floor(Date.parse(e.ts) / 1000)} ${e.k}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    readyAt[m.seq - 1] = Date.now();
    if (++n === events) break;
  }
  await messages.close();
  return { readyAt, batches: n, counted: [...counts.values()].reduce((a, b) => a + b, 0) };
};

/** One contender over a new stream holding `events` already (published before it starts): how fast it reads a backlog, the publisher off the cores. */
async function measureBacklog(contender: Contender, events: number): Promise<{ events: number; seconds: number; eventsPerSecond: number; batches: number; counted: number }> {
  const stream = `BENCH${++streams}`;
  await jsm.streams.add({ name: stream, subjects: [`${stream}.in`] });
  await publish(stream, events, 0);
  let t0 = 0;
  const got = await contender(stream, events, () => { t0 = Date.now(); });
  await jsm.streams.delete(stream);
  const seconds = (got.readyAt.reduce((a, b) => Math.max(a, b), -Infinity) - t0) / 1000;
  return { events, seconds, eventsPerSecond: events / seconds, batches: got.batches, counted: got.counted };
}

/** One contender over a new stream: the consumer started first, then the publisher; figures from both. */
async function measure(contender: Contender, events: number, rate: number): Promise<Run & { publishedPerSecond: number }> {
  const stream = `BENCH${++streams}`;
  await jsm.streams.add({ name: stream, subjects: [`${stream}.in`] });
  let go!: () => void;
  const ready = new Promise<void>((r) => { go = r; });
  const consumed = contender(stream, events, go);
  await ready;
  const [pub, got] = await Promise.all([publish(stream, events, rate), consumed]);
  await jsm.streams.delete(stream);
  const lat = Array.from(got.readyAt, (t, i) => t - pub.times[i]).sort((a, b) => a - b);
  const at = (f: number) => lat[Math.min(lat.length - 1, Math.floor(f * lat.length))];
  // A loop, not Math.max(...xs): spreading 500,000 arguments overflows the stack.
  const seconds = (got.readyAt.reduce((a, b) => Math.max(a, b), -Infinity) - pub.times.reduce((a, b) => Math.min(a, b), Infinity)) / 1000;
  return {
    events, seconds, eventsPerSecond: events / seconds, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: lat.at(-1)!,
    batches: got.batches, counted: got.counted, publishedPerSecond: events / pub.seconds,
  };
}

const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, loadAverage: loadavg()[0] };
console.log(`machine: ${machine.cores} x ${machine.cpu}, node ${machine.node}, load average ${machine.loadAverage.toFixed(1)} at start${quick ? ' — QUICK smoke run: tiny counts, figures mean nothing' : ''}`);

// A warm-up (not reported): the first batch of a process loads and compiles the json reader and
// the aggregation in every worker, seconds that a sustained rate does not have.
const WARMUP = Math.min(EVENTS, 20_000);
await measure(quiver, WARMUP, 0);
await measure(raw, WARMUP, 0);
console.log(`throughput: ${EVENTS} events, published at full speed (after a warm-up of ${WARMUP})`);
const throughput = { quiver: await measure(quiver, EVENTS, 0), raw: await measure(raw, EVENTS, 0) };
const rate = Math.max(1, Math.round(throughput.quiver.eventsPerSecond / 2));
const latencyEvents = Math.max(1, Math.round(rate * SECONDS));
console.log(`latency: ${latencyEvents} events at ${rate} events/s (half of Quiver's throughput)`);
const latency = { ratePerSecond: rate, quiver: await measure(quiver, latencyEvents, rate), raw: await measure(raw, latencyEvents, rate) };
console.log(`backlog: ${EVENTS} events in the stream before the reader starts`);
const backlog = { quiver: await measureBacklog(quiver, EVENTS), raw: await measureBacklog(raw, EVENTS) };
for (const r of [throughput.quiver, throughput.raw, latency.quiver, latency.raw, backlog.quiver, backlog.raw]) {
  if (r.counted !== r.events) throw new Error(`counted ${r.counted} of ${r.events} events: the windowed count lost or repeated some`);
}

const whole = (x: number) => String(Math.round(x));
const row = (run: string, contender: string, r: Run & { publishedPerSecond: number }) => ({
  run, contender, events: String(r.events), events_s: whole(r.eventsPerSecond), published_s: whole(r.publishedPerSecond),
  p50_ms: whole(r.p50Ms), p99_ms: whole(r.p99Ms), max_ms: whole(r.maxMs), batches: String(r.batches),
});
printTable([
  row('full speed', 'quiver', throughput.quiver), row('full speed', 'raw nats.js', throughput.raw),
  row(`${rate}/s`, 'quiver', latency.quiver), row(`${rate}/s`, 'raw nats.js', latency.raw),
]);
console.log('(events_s: events / (last result - first publish); p50/p99/max: publish -> result per event; batches: micro-batches, or messages for raw)');
printTable([
  { run: 'backlog', contender: 'quiver', events: String(backlog.quiver.events), seconds: backlog.quiver.seconds.toFixed(2), events_s: whole(backlog.quiver.eventsPerSecond), batches: String(backlog.quiver.batches) },
  { run: 'backlog', contender: 'raw nats.js', events: String(backlog.raw.events), seconds: backlog.raw.seconds.toFixed(2), events_s: whole(backlog.raw.eventsPerSecond), batches: String(backlog.raw.batches) },
]);
console.log('(backlog: the events were published before the reader started; events_s: events / (last result - reader start))');

console.log(`\nstreaming predict: ${IMAGES} Fashion-MNIST PNGs, models/fmnist-mlp, ${PREDICT_RUNS} run(s) each way after a warm-up`);
const predict = await streamVsBatchPredict({ q, nc, jsm, natsUrl: nats.url, dir: join(tmp, 'fmnist-png'), modelDir: resolve('models/fmnist-mlp'), checkpoints: join(tmp, 'predict-ckpt'), images: IMAGES, runs: PREDICT_RUNS });
if (!predict.sameTags) throw new Error('streaming predict gave other tags than batch predict');
printTable([
  { mode: 'batch (read.images -> predict)', images: String(predict.images), seconds: predict.batchSeconds.map((x) => x.toFixed(2)).join(' '), images_s: whole(predict.batchImagesPerSecond), vs_batch: '1.00' },
  { mode: `stream (jetstream bytes -> predict, ${predict.batches} batches)`, images: String(predict.images), seconds: predict.streamSeconds.map((x) => x.toFixed(2)).join(' '), images_s: whole(predict.streamImagesPerSecond), vs_batch: predict.ratio.toFixed(2) },
]);
console.log(`streaming/batch predict ${predict.ratio.toFixed(2)}x (bar >= 0.8); tags identical: ${predict.sameTags}`);

mkdirSync(outDir, { recursive: true });
const base = join(outDir, 'stream');
const results = { machine, quick, date: new Date().toISOString(), command: process.argv.slice(2).join(' '), throughput, latency, backlog, predict };
writeFileSync(`${base}.json`, JSON.stringify(results, null, 2) + '\n');
const bars = (title: string, field: string, values: object[]) => ({
  title, width: 420, height: 90, data: { values }, mark: { type: 'bar' },
  encoding: {
    y: { field: 'contender', type: 'nominal', title: null }, yOffset: { field: 'what', type: 'nominal' },
    x: { field, type: 'quantitative', title: field }, color: { field: 'what', type: 'nominal', title: null, legend: { orient: 'bottom' } },
  },
});
const charts = await renderChart(stackedPanels([
  bars('Windowed count from JetStream: sustained events/s (higher is better)', 'events/s', [
    { contender: 'Quiver (2 workers)', what: 'events/s', 'events/s': throughput.quiver.eventsPerSecond },
    { contender: 'raw nats.js loop', what: 'events/s', 'events/s': throughput.raw.eventsPerSecond },
    { contender: 'Quiver (2 workers)', what: 'backlog events/s', 'events/s': backlog.quiver.eventsPerSecond },
    { contender: 'raw nats.js loop', what: 'backlog events/s', 'events/s': backlog.raw.eventsPerSecond },
  ]),
  bars(`Event-to-result latency at ${rate} events/s (lower is better)`, 'ms', ['quiver', 'raw'].flatMap((c) => {
    const r = latency[c as 'quiver' | 'raw'];
    return [{ contender: c === 'quiver' ? 'Quiver (2 workers)' : 'raw nats.js loop', what: 'p50', ms: r.p50Ms }, { contender: c === 'quiver' ? 'Quiver (2 workers)' : 'raw nats.js loop', what: 'p99', ms: r.p99Ms }];
  })),
  bars(`Tagging ${predict.images} PNGs with the Fashion-MNIST MLP: images/s (higher is better)`, 'images/s', [
    { contender: 'batch: read.images', what: 'images/s', 'images/s': predict.batchImagesPerSecond },
    { contender: 'stream: JetStream bytes', what: 'images/s', 'images/s': predict.streamImagesPerSecond },
  ]),
], `${machine.cores} x ${machine.cpu}, load average ${machine.loadAverage.toFixed(1)}, ${results.date.slice(0, 10)}${quick ? ', QUICK smoke run' : ''}`), base);
console.log(`wrote ${base}.json, ${charts.join(', ')}`);

await q.close();
await nc.close();
await nats.stop();
rmSync(tmp, { recursive: true, force: true });
