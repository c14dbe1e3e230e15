// Lambda architecture: photo tag counts per label per hour, up to the last second, as a batch view over the archived events merged with a speed view over the stream since the batch's cut-off.
//
//   npm run example:lambda                          # 20,000 tag events over 6 hours, its own nats-server -js
//   npx tsx examples/lambda-tags.ts --events 100000 --hours 12 --out out/lambda --nats nats://127.0.0.1:4222
//
// The pieces, each a Quiver job or streaming query:
// - events: photo tags { photo, label, score, ts } published to the JetStream stream LAMBDA_TAGS;
// - archive (the master data set): a streaming query appending every event to JSON files, exactly once;
// - batch layer: a batch job over the archive counts tags per label per hour before a cut-off
//   (the start of the hour of the last archived event) into a Parquet batch view;
// - speed layer: a streaming query over JetStream counts the events from the cut-off on, per label
//   and hour window, into the JetStream KV bucket lambda_tag_counts (update mode: each batch
//   rewrites the windows it changed);
// - serving read: for each label and hour, the batch view's count plus the speed view's.
// An event before the cut-off that arrives after the batch job ran is counted by neither view
// until the batch job runs again with a later cut-off (and the speed view is started again from it).
// At the end the merged view is checked against one batch count over every archived event.
import { jetstreamManager, jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Quiver, col, fn, kvKey, lit } from '../core/index.ts';
import { startLocalNats, type LocalNats } from './lib/nats-server.ts';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

const EVENTS = Number(arg('events', '20000'));
const HOURS = Number(arg('hours', '6'));
if (!(HOURS >= 2) || !(EVENTS >= 1)) throw new Error('--hours must be at least 2 and --events at least 1');
const OUT = resolve(arg('out', 'out/lambda'));
const STREAM = 'LAMBDA_TAGS';
const BUCKET = 'lambda_tag_counts';
const LABELS = ['tshirt', 'trouser', 'dress', 'sneaker', 'bag', 'boot'];
const T0 = Date.UTC(2024, 5, 1);
const HOUR = 3_600_000;
const SCHEMA = 'photo BIGINT, label STRING, score DOUBLE, ts TIMESTAMP';

interface TagEvent { photo: number; label: string; score: number; ts: number }

/** Deterministic events in time order, each up to 30 s late: a label drawn with uneven weights, a score. */
function events(n: number, hours: number): TagEvent[] {
  let s = 42;
  const rand = () => { s = (s + 0x6d2b79f5) | 0; let t = Math.imul(s ^ (s >>> 15), 1 | s); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  return Array.from({ length: n }, (_, i) => ({
    photo: i,
    label: LABELS[Math.floor(rand() ** 1.5 * LABELS.length)],
    score: Math.round(rand() * 1000) / 1000,
    ts: T0 + Math.floor((i / n) * hours * HOUR) + Math.floor(rand() * 30_000),
  }));
}

const ARCHIVE = join(OUT, 'archive');
const BATCH_VIEW = join(OUT, 'batch-view');
const CHECKPOINTS = join(OUT, 'checkpoints');

let nats: LocalNats | null = null;
const url = process.argv.includes('--nats') ? arg('nats', '') : (nats = await startLocalNats()).url;
const nc = await connect({ servers: url });
const q = await Quiver.local();
try {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const jsm = await jetstreamManager(nc);
  // A fresh run: the stream and the bucket of an earlier one (on a server given with --nats) go.
  for (const name of [STREAM, `KV_${BUCKET}`]) await jsm.streams.delete(name).catch(() => false);
  await jsm.streams.add({ name: STREAM, subjects: ['lambda.tags.>'] });
  const js = jetstream(nc);
  const publish = async (xs: TagEvent[]) => {
    for (let i = 0; i < xs.length; i += 1000) {
      await Promise.all(xs.slice(i, i + 1000).map((e) => js.publish('lambda.tags.new', JSON.stringify({ ...e, ts: new Date(e.ts).toISOString() }))));
    }
  };
  const all = events(EVENTS, HOURS);
  // Up to the middle of the hour before the last: the rest arrives while the speed layer runs.
  const split = Math.ceil((EVENTS * (HOURS - 1.5)) / HOURS);
  const [early, late] = [all.slice(0, split), all.slice(split)];
  const tags = (durable: string) => q.readStream.jetstream({ servers: url, stream: STREAM, durable, format: 'json', schema: SCHEMA });

  console.log(`publishing ${early.length.toLocaleString()} of ${EVENTS.toLocaleString()} tag events (${HOURS} hours from ${new Date(T0).toISOString()}) to JetStream ${STREAM} at ${url}`);
  await publish(early);

  // The archive: every event once, as JSON files (the file sink commits each batch exactly once).
  const archiver = await tags('archiver').writeStream.format('json').queryName('archive')
    .option('checkpointLocation', join(CHECKPOINTS, 'archive')).start(ARCHIVE);
  await archiver.processAllAvailable();

  // Batch layer: counts per label per hour before the cut-off, from the archive alone.
  const archived = q.read.json(ARCHIVE, { schema: SCHEMA });
  const lastTs = (await archived.agg(fn.max('ts').alias('last')).toArray())[0].last as Date;
  const cutoff = new Date(lastTs.getTime() - (lastTs.getTime() % HOUR));
  await archived.filter(col('ts').lt(lit(cutoff)))
    .groupBy('label', fn.window('ts', '1 hour')).agg(fn.count().alias('n'))
    .select('label', col('window_start').alias('hour'), 'n')
    .write.mode('overwrite').parquet(BATCH_VIEW);
  console.log(`batch view: tags per label per hour before the cut-off ${cutoff.toISOString()}, from ${(await archived.count()).toLocaleString()} archived events, in ${BATCH_VIEW}`);

  // Speed layer: the events from the cut-off on, counted per label and hour window into the KV bucket.
  const speed = await tags('speed').filter(col('ts').gte(lit(cutoff)))
    .withWatermark('ts', '10 minutes')
    .groupBy('label', fn.window('ts', '1 hour')).agg(fn.count().alias('n'))
    .writeStream.outputMode('update').format('kv').queryName('speed')
    .option('servers', url).option('bucket', BUCKET).option('keys', ['label', 'window_start'])
    .option('checkpointLocation', join(CHECKPOINTS, 'speed')).start();
  await speed.processAllAvailable();

  console.log(`publishing the other ${late.length.toLocaleString()} events while the archive and the speed layer run`);
  await publish(late);
  await Promise.all([archiver.processAllAvailable(), speed.processAllAvailable()]);
  const p = speed.lastProgress;
  if (p) {
    console.log(`speed layer: batch ${p.batchId}, watermark ${p.eventTime.watermark ?? 'none'}, ${p.stateOperators[0]?.numRowsTotal ?? 0} windows in state`);
  }

  // Serving read: batch view + speed view, per label and hour.
  const kv = await new Kvm(nc).open(BUCKET);
  const served = await serve(q, kv, cutoff);
  printPivot(served);
  const point = served.at(-1)!;
  const one = await kv.get(kvKey([point.label, new Date(point.hour)]));
  console.log(`a point read: ${point.label} at ${point.hour} is ${point.count} (batch ${point.batch}, speed ${point.speed}; KV key ${one?.key})`);
  writeFileSync(join(OUT, 'serving.json'), `${JSON.stringify(served, null, 1)}\n`);

  // The check: one batch count over every archived event gives the same table.
  const full = await q.read.json(ARCHIVE, { schema: SCHEMA }).groupBy('label', fn.window('ts', '1 hour')).agg(fn.count().alias('n')).toArray();
  const want = new Map(full.map((r) => [`${r.label} ${(r.window_start as Date).toISOString()}`, Number(r.n)]));
  const got = new Map(served.map((r) => [`${r.label} ${r.hour}`, r.count]));
  const total = [...want.values()].reduce((a, b) => a + b, 0);
  const same = want.size === got.size && [...want].every(([k, n]) => got.get(k) === n);
  if (!same || total !== EVENTS) {
    console.error(`MISMATCH: the merged view (${got.size} cells) differs from a batch count over ${total} archived events (${want.size} cells)`);
    process.exitCode = 1;
  } else {
    console.log(`the merged view equals a batch count over all ${EVENTS.toLocaleString()} events (${want.size} label-hours)`);
  }
} finally {
  await q.close();
  await nc.close();
  await nats?.stop();
}

interface Served { label: string; hour: string; batch: number; speed: number; count: number }

/** Every label-hour of either view, with both counts and their sum, by hour then label. */
async function serve(q: Quiver, kv: KV, cutoff: Date): Promise<Served[]> {
  const cells = new Map<string, Served>();
  const cell = (label: string, hour: string) => {
    const k = `${label} ${hour}`;
    let c = cells.get(k);
    if (!c) { c = { label, hour, batch: 0, speed: 0, count: 0 }; cells.set(k, c); }
    return c;
  };
  for (const r of await q.read.parquet(BATCH_VIEW).toArray()) cell(r.label as string, (r.hour as Date).toISOString()).batch += Number(r.n);
  const keys: string[] = [];
  for await (const k of await kv.keys()) keys.push(k);
  for (const k of keys) {
    const e = await kv.get(k);
    if (!e || e.operation !== 'PUT') continue;
    const v = e.json<{ label: string; window_start: string; n: number }>();
    const hour = new Date(`${v.window_start.replace(' ', 'T')}Z`);
    // Windows before the cut-off belong to the batch view (none here: the speed layer reads from the cut-off on).
    if (hour < cutoff) continue;
    cell(v.label, hour.toISOString()).speed += v.n;
  }
  for (const c of cells.values()) c.count = c.batch + c.speed;
  return [...cells.values()].sort((a, b) => a.hour.localeCompare(b.hour) || a.label.localeCompare(b.label));
}

function printPivot(rows: Served[]): void {
  const hours = [...new Set(rows.map((r) => r.hour))].sort();
  const by = new Map(rows.map((r) => [`${r.label} ${r.hour}`, r]));
  const w = 9;
  console.log(`\ntag counts per label per hour (* : from the speed view)\n${'hour (UTC)'.padEnd(18)}${LABELS.map((l) => l.padStart(w)).join('')}`);
  for (const h of hours) {
    const cells = LABELS.map((l) => {
      const r = by.get(`${l} ${h}`);
      return (r ? `${r.count}${r.speed > 0 ? '*' : ' '}` : '0 ').padStart(w);
    });
    console.log(`${h.slice(0, 16).replace('T', ' ').padEnd(18)}${cells.join('')}`);
  }
  console.log('');
}
