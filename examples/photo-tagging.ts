// Photo tagging: a folder of photo files (the 10,000 Fashion-MNIST test images as PNG, written on first run) through the committed CNN (ONNX), in local mode; writes the directory out/tags.parquet.
//
//   npm run demo                                   # the README's first command (also: npx quiver demo)
//   npx tsx examples/photo-tagging.ts [--device auto|cpu|gpu] [--model models/fmnist-cnn] [--out out/tags.parquet]
//                                     [--quiet] [--no-ui] [--wait] [--events out/events]
//                                     [--servers nats://127.0.0.1:4222 [--token T]]   # cluster mode
//
// Decoding (sharp, on the worker threads) and inference (the inference thread: onnxruntime or
// WebGPU) run at the same time, connected by a bounded queue; the summary prints each stage's
// rate. --model models/fmnist-mlp tags all 70,000 IDX images with the MLP instead.
// With --servers the job runs on the executors of that cluster (`npx quiver executor --servers ...`)
// instead of this process's worker threads; the tags are the same.
// While it runs: progress bars on a terminal and the web UI (its address is printed); --wait
// keeps the UI up afterwards until Ctrl-C. The event log goes to out/events, so
// `npx quiver ui --events out/events` shows the jobs again later.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Quiver, col, fn, type DataFrame } from '../core/index.ts';
import { FMNIST_DIR, FMNIST_LABELS, requireFmnist } from './lib/fmnist.ts';
import { writeFmnistFiles } from './lib/fmnist-files.ts';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}
const device = arg('device', 'auto') as 'auto' | 'cpu' | 'gpu';
const modelDir = arg('model', resolve(import.meta.dirname, '../models/fmnist-cnn'));
const outPath = arg('out', 'out/tags.parquet');
const eventLog = arg('events', 'out/events');
const quiet = process.argv.includes('--quiet');
const wait = process.argv.includes('--wait');
const ui = process.argv.includes('--no-ui') ? false : undefined;

// The dataset is a Debian package: install it when we can, else say exactly how.
if (!existsSync(`${FMNIST_DIR}/t10k-images-idx3-ubyte.gz`) && process.getuid?.() === 0 && !process.env.FMNIST_DIR) {
  console.log('installing the Fashion-MNIST dataset (apt-get install dataset-fashion-mnist) ...');
  execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist', { stdio: 'inherit' });
}
requireFmnist();

// Observability options (the web UI, progress bars) pass through Quiver.local's options.
const options = { eventLog, quiet, ui };
const servers = arg('servers', '');
const token = arg('token', '') || undefined;
const q = servers ? await Quiver.connect({ servers, token, ...options }) : await Quiver.local(options);
if (servers) console.log(`cluster mode: executors at ${servers}, ${q.workers} worker slot${q.workers === 1 ? "" : "s"} so far (executors that join later are used too)`);
try {
  const model = q.model(modelDir);
  const cardAcc = (model.card?.metrics as { testAccuracy?: number } | undefined)?.testAccuracy;
  console.log(`model ${model.name} (${model.format === 'onnx' ? 'ONNX' : 'MLP'}, sha256 ${model.sha256.slice(0, 12)}), test accuracy on its card ${cardAcc ? (cardAcc * 100).toFixed(2) + '%' : 'n/a'}`);
  let tags: DataFrame;
  let what: string;
  const input = model.input;
  if (input) {
    // The photos: PNG files in out/cache/fmnist-png, written once (the label is in each name).
    const files = await writeFmnistFiles({ format: 'png', onProgress: (d, t) => { if (!quiet) process.stdout.write(`\rwriting the photo files (first run only): ${d.toLocaleString()} of ${t.toLocaleString()}`); } });
    if (files.written > 0 && !quiet) process.stdout.write('\n');
    console.log(`photos: ${files.files.length.toLocaleString()} PNG files in ${files.dir}`);
    tags = q.read.images(files.dir, { size: [input.height, input.width], channels: input.channels === 1 ? 1 : 3 })
      .withColumn('truth', col('path').regexpExtract('_(\\d+)\\.png$', 1).cast('int32'))
      .predict(model, { device })
      .select('path', 'truth', 'labelId', 'label', 'score');
    what = 'photos';
  } else {
    tags = q.read.idx(`${FMNIST_DIR}/*-images-idx3-ubyte.gz`, { labels: true })
      .withColumnRenamed('label', 'truth')
      .predict(model, { device })
      .select('truth', 'labelId', 'label', 'score');
    what = 'images';
  }
  const plan = await tags.explain();
  console.log(plan.split('\n').filter((l) => l.includes('PredictExec')).map((l) => `placement: ${l.trim()}`).join('\n'));

  const t0 = performance.now();
  const n = await tags.write.mode('overwrite').parquet(outPath);
  const s = (performance.now() - t0) / 1000;
  console.log(`tagged ${n.toLocaleString()} ${what} in ${s.toFixed(2)} s: ${Math.round(n / s).toLocaleString()} images/s on ${q.workers} workers -> ${outPath}`);
  // Each stage's own rate: decoding on the workers, inference where predict ran (both at once).
  const c = q.session.lastJob?.counters ?? {};
  const rate = (rows: number, ms: number) => (ms > 0 ? `${Math.round(rows / (ms / 1000)).toLocaleString()} images/s` : 'n/a');
  if (c.imagesDecodeMs) console.log(`  decode (sharp, ${q.workers} workers): ${rate(c.imagesDecoded ?? n, c.imagesDecodeMs / q.workers)}`);
  if (c.predictMs) console.log(`  inference (${c.predictPipelinedRows ? 'the inference thread' : 'the workers'}): ${rate(c.predictRows ?? n, c.predictPipelinedRows ? c.predictMs : c.predictMs / q.workers)}`);

  // Accuracy and the confusion matrix, computed by the engine from what was written.
  const cells = await q.read.parquet(outPath).groupBy('truth', 'labelId').agg(fn.count().alias('n')).toArray();
  const m = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  for (const c of cells) m[c.truth as number][c.labelId as number] = Number(c.n);
  const correct = m.reduce((acc, row, i) => acc + row[i], 0);
  const scope = input ? 'the 10,000 test images, as on the model card' : "the 60,000 training images included — the model card's figure is the 10,000 test images alone";
  console.log(`accuracy against the labels: ${((100 * correct) / n).toFixed(2)}% (${correct.toLocaleString()} of ${n.toLocaleString()}; ${scope})`);
  const short = FMNIST_LABELS.map((l) => l.slice(0, 7));
  console.log(`\nconfusion matrix (rows: true class, columns: predicted)\n${''.padEnd(12)}${short.map((l) => l.padStart(8)).join('')}`);
  m.forEach((row, i) => console.log(`${FMNIST_LABELS[i].slice(0, 11).padEnd(12)}${row.map((v) => String(v).padStart(8)).join('')}`));
  const low = await q.read.parquet(outPath).filter(col('score').lt(0.5)).count();
  console.log(`\n${low.toLocaleString()} images tagged with a score under 0.5`);
  console.log(`\nthe jobs again, later: npx quiver ui --events ${eventLog}${wait || ui === false ? '' : ' (or run with --wait to keep this web UI up)'}`);
  if (wait) {
    console.log(`the web UI stays up at ${q.uiUrl ?? '(no UI)'} until Ctrl-C`);
    // The UI's server does not keep a process alive by itself (sessions must be able to exit): this does, until Ctrl-C.
    const alive = setInterval(() => {}, 60_000);
    await new Promise<void>((res) => process.once('SIGINT', () => res()));
    clearInterval(alive);
  }
} finally {
  await q.close();
}
