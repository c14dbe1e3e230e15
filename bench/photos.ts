// Benchmark: photo tagging with ONNX CNNs (models/fmnist-cnn, MobileNetV2 at 224) — inference alone vs onnxruntime-node, WebGPU vs tfjs-webgpu, JPEG/PNG files end to end, peak RSS at 1M images.
//
//   npm run bench:photos                                   # every section, 3 runs each (several minutes on 2 cores)
//   npm run bench:photos -- --runs 5 --no-1m [--out bench/results]
//   npm run bench:photos -- --quick --runs 1 --out /tmp/x   # a smoke run with tiny counts (the test's)
//
// Flags: --runs N (timed runs per contender, medians reported), --no-1m (skip section 5),
// --quick, --out DIR (default bench/results), --images-1m N (section 5's image count),
// --1m-source idx|png (section 5's input: the IDX test set, default, or the PNG files, which
// take far longer to decode on 2 cores).
// Writes <out>/photos.json (every figure) and <out>/photos.{svg,png} (a chart).
//
// Sections, each measured in one run beside its contender (runs alternate, order rotating;
// ratios are per run, their median reported):
//   1. inference alone, CPU, 2 threads: onnxruntime-node over float tensors in memory vs
//      Quiver predict (backend onnxruntime, then wasm) over the same images in memory
//      (fmnist-cnn: 100,000 images, the test set 10 times; MobileNetV2: 256);
//   2. WebGPU (lavapipe here): Quiver's WGSL program runner and predict vs tfjs-webgpu running
//      the same network (bench/lib/tfjs-cnn.ts), same batch;
//   3. end to end: JPEG files -> q.read.images -> predict -> Parquet vs decode alone (sharp on
//      2 threads, and Quiver's reader with count()) and inference alone (section 1);
//   4. the 10,000 Fashion-MNIST PNGs end to end, per backend;
//   5. peak RSS of a child process tagging 1,000,000 images (the 10,000 test images read 100
//      times, from IDX or PNG: a union of 100 reads, since a list of paths is de-duplicated).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Quiver, type DataFrame, type ModelRef } from '../core/index.ts';
import { fmnistFile } from '../examples/lib/fmnist.ts';
import { readFmnistTest, writeFmnistFiles } from '../examples/lib/fmnist-files.ts';
import { loadOnnxArtifact } from '../ops/model/onnx-artifact.ts';
import { onnxZoo } from './lib/onnx-zoo.ts';
import { alternate, imageBytes, imageTable, machine, ortAlone, ratioOfRates, sharpDecode, toNchw, type Contender } from './lib/photos-common.ts';
import { photosChart } from './lib/photos-chart.ts';
import { webgpuSection } from './lib/photos-webgpu.ts';
import { arg, printTable } from './util.ts';

const flag = (name: string) => process.argv.includes(`--${name}`);
const quick = flag('quick');
const runs = Math.max(1, Number(arg('runs', '3')));
const outDir = resolve(arg('out', 'bench/results'));
const THREADS = 2;
const N = quick
  ? { cnn: 512, mobilenet: 2, gpu: 64, jpeg: 64, jpegMobilenet: 2, png: 256, big: 1024 }
  : { cnn: 100_000, mobilenet: 256, gpu: 1024, jpeg: 2000, jpegMobilenet: 128, png: 10_000, big: Number(arg('images-1m', '1000000')) };
const CNN_DIR = resolve('models/fmnist-cnn');
const log = (s: string) => console.log(s);
type Row = Record<string, string | number>;

/** The full cached set (out/cache, written once), or in a quick run the first `n` files written to `tmp` (seconds, and the cache stays untouched). */
function fmnistFiles(format: 'png' | 'jpeg', n: number, tmp: string) {
  return quick ? writeFmnistFiles({ format, limit: n, dir: join(tmp, format) }) : writeFmnistFiles({ format });
}

/**
 * The process's peak resident memory in MiB: VmHWM where Linux has it. Not getrusage's maxRSS:
 * Linux keeps ru_maxrss across fork and exec, so a child's starts at its parent's RSS when
 * spawned (this bench's parent had grown to 1.6 GB, and the child reported that).
 */
function peakRssMB(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch { /* not Linux */ }
  return process.resourceUsage().maxRSS / 1024;
}

/** Section 5 in a process of its own, so that its peak RSS is the 1M job's and nothing else's. */
async function rssChild(images: number): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'quiver-photos-1m-'));
  const source = arg('1m-source', 'idx');
  const q = await Quiver.local({ workers: THREADS, quiet: true, ui: false });
  const model = q.model(CNN_DIR);
  let rows = 0;
  q.onEvent((e) => { if (e.kind === 'taskEnd' && e.ok) rows += e.rows; });
  let read: () => DataFrame, what: string, per: number;
  if (source === 'png') {
    const png = await fmnistFiles('png', N.png, tmp);
    per = Math.min(png.files.length, images);
    read = () => q.read.images(png.files.slice(0, per), { size: [28, 28], channels: 1 }).select('path', 'image');
    what = 'PNG files';
  } else {
    per = 10_000;
    read = () => q.read.idx(fmnistFile('t10k', 'images')).select('image');
    what = 'test images of the IDX file (gzip)';
  }
  const reps = Math.ceil(images / per);
  // A list of paths is de-duplicated by the reader: the repeats are a union of reads.
  const all = Array.from({ length: reps - 1 }, read).reduce((a: DataFrame, b) => a.union(b), read());
  const df = reps * per === images ? all : all.limit(images);
  const dir = tmp;
  const t0 = performance.now();
  const tick = setInterval(() => console.log(`  1M: ${((performance.now() - t0) / 1000).toFixed(0)} s, ~${rows.toLocaleString()} task rows, rss ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MB`), quick ? 2000 : 15_000);
  try {
    const n = await df.predict(model, { backend: 'onnxruntime' }).select('labelId', 'label', 'score').write.mode('overwrite').parquet(join(dir, 'tags.parquet'));
    const s = (performance.now() - t0) / 1000;
    console.log(`PHOTOS_RSS ${JSON.stringify({ images: n, seconds: s, imgPerS: n / s, maxRssMB: peakRssMB(), source: `the ${per.toLocaleString()} ${what} read ${reps} times (a union of ${reps} reads)`, backend: 'onnxruntime' })}`);
  } finally {
    clearInterval(tick);
    rmSync(dir, { recursive: true, force: true });
    await q.close();
  }
}

if (flag('rss-child')) {
  await rssChild(Number(arg('rss-child', '1000000')));
  process.exit(0);
}

const m = machine();
log(`machine: ${m.cores} x ${m.cpu} (AVX-512: ${m.avx512 ? 'yes' : 'no'}, AVX2: ${m.avx2 ? 'yes' : 'no'}), node ${m.node}, load average ${loadavg()[0].toFixed(1)} at start${quick ? ' — QUICK smoke run: tiny counts, figures mean nothing' : ''}`);
const results: Record<string, unknown> = { machine: m, runs, quick, date: new Date().toISOString(), command: process.argv.slice(2).join(' ') };
const work = mkdtempSync(join(tmpdir(), 'quiver-photos-'));
const q = await Quiver.local({ workers: THREADS, quiet: true, ui: false });
// The same engine with a model copy in every worker thread instead of the inference thread.
const qWorkers = await Quiver.local({ workers: THREADS, quiet: true, ui: false, inferenceThread: false });

// ---- models and images
const cnnArtifact = loadOnnxArtifact(CNN_DIR);
const cnn = q.model(CNN_DIR);
const mobilenetFile = resolve('out/cache/mobilenet_v2-seed1.onnx');
if (!existsSync(mobilenetFile)) { mkdirSync('out/cache', { recursive: true }); writeFileSync(mobilenetFile, onnxZoo('mobilenet_v2')); }
const mobilenetArtifact = loadOnnxArtifact(mobilenetFile);
const mobilenet = q.model(mobilenetFile);
const fmnist = readFmnistTest();
// Section 1's images: the 10,000 test images repeated. At 10,000 (70 ms for onnxruntime alone)
// a pass would mostly time the job's fixed start-up (~0.1 s: plan, calibrate, launch tasks).
const cnnBytes = new Uint8Array(N.cnn * 784);
for (let at = 0; at < N.cnn; at += 10_000) cnnBytes.set(fmnist.images.subarray(0, Math.min(10_000, N.cnn - at) * 784), at * 784);
log('writing/checking the Fashion-MNIST image files (once) ...');
const png = await fmnistFiles('png', N.png, work);
const jpeg = await fmnistFiles('jpeg', Math.max(N.jpeg, N.mobilenet, N.jpegMobilenet), work);
const mobilenetBytes = imageBytes(await q.read.images(jpeg.files.slice(0, N.mobilenet), { size: [224, 224], channels: 3 }).select('image').collect()).bytes;

// ---- 1. inference alone, CPU
interface InferCase { model: string; artifact: typeof cnnArtifact; ref: ModelRef; bytes: Uint8Array; rows: number; batch: number }
const inferCases: InferCase[] = [
  { model: 'fmnist-cnn 28x28x1', artifact: cnnArtifact, ref: cnn, bytes: cnnBytes, rows: N.cnn, batch: 256 },
  { model: 'MobileNetV2 224x224x3', artifact: mobilenetArtifact, ref: mobilenet, bytes: mobilenetBytes, rows: N.mobilenet, batch: 32 },
];
const inference: Row[] = [];
for (const c of inferCases) {
  log(`\n1. inference alone, CPU, ${THREADS} threads: ${c.model}, ${c.rows} images, batch ${c.batch}`);
  const { h, w, c: ch } = c.artifact.image;
  const x = toNchw(c.bytes, c.rows, h, w, ch, c.artifact.preprocess);
  const ort = await ortAlone(c.artifact.bytes, THREADS);
  const frame = q.createDataFrame(imageTable(c.bytes, h * w * ch), { partitions: THREADS });
  const frameWorkers = qWorkers.createDataFrame(imageTable(c.bytes, h * w * ch), { partitions: THREADS });
  const refWorkers = qWorkers.model(c.ref.path);
  const quiverPass = (backend: 'onnxruntime' | 'wasm', inWorkers = false) => async () => {
    const t = await (inWorkers ? frameWorkers.predict(refWorkers, { backend, batchSize: c.batch }) : frame.predict(c.ref, { backend, batchSize: c.batch })).select('labelId', 'score').collect();
    if (t.numRows !== c.rows) throw new Error(`predict gave ${t.numRows} rows, expected ${c.rows}`);
  };
  const contenders: Contender[] = [
    { name: 'onnxruntime-node', pass: () => ort.run(x, c.rows, [ch, h, w], c.batch) },
    { name: 'quiver-onnxruntime', pass: quiverPass('onnxruntime') },
    { name: 'quiver-onnxruntime-in-workers', pass: quiverPass('onnxruntime', true) },
    { name: 'quiver-wasm', pass: quiverPass('wasm') },
  ];
  // The smoke run leaves out the wasm MobileNetV2: its warm-up alone takes seconds for 2 images.
  const skipped = quick && c.ref === mobilenet ? 'quiver-wasm' : null;
  const r = await alternate(c.rows, runs, contenders.filter((x) => x.name !== skipped), log);
  await ort.dispose();
  const base = r.get('onnxruntime-node')!;
  for (const name of ['onnxruntime-node', 'quiver-onnxruntime', 'quiver-onnxruntime-in-workers', 'quiver-wasm']) {
    const x = r.get(name);
    if (!x) {
      inference.push({ model: c.model, images: c.rows, batch: c.batch, contender: name, img_s: NaN, over_ort: NaN, note: 'not run in a --quick smoke run' });
      continue;
    }
    inference.push({ model: c.model, images: c.rows, batch: c.batch, contender: name, img_s: Math.round(x.imgPerS), over_ort: ratioOfRates(c.rows, x.seconds, base.seconds), note: x.error ? `failed: ${x.error}` : '' });
  }
}
log('\n1. inference alone, CPU, 2 threads, same ONNX model and images (bar: quiver-onnxruntime >= 0.9x onnxruntime-node)');
printTable(inference);
results.inference = inference;

// ---- 2. WebGPU
log(`\n2. WebGPU: fmnist-cnn, ${N.gpu} images, batch 256`);
const webgpu = await webgpuSection({ q, artifact: cnnArtifact, model: cnn, bytes: cnnBytes.subarray(0, N.gpu * 784), rows: N.gpu, batch: Math.min(256, N.gpu), runs, log });
log('\n2. WebGPU, same model, same batch (bar: Quiver >= 2x tfjs-webgpu)');
printTable(webgpu.rows);
for (const note of webgpu.notes) log(`  ${note}`);
results.webgpu = webgpu;

// ---- 3. end to end from JPEG files
const endToEnd: Row[] = [];
const e2eCases = [
  { model: 'fmnist-cnn (JPEG 224 read at 28x28 gray)', ref: cnn, files: jpeg.files.slice(0, N.jpeg), size: 28, channels: 1 as const, inferModel: 'fmnist-cnn 28x28x1' },
  { model: 'MobileNetV2 (JPEG 224 read at 224x224 RGB)', ref: mobilenet, files: jpeg.files.slice(0, N.jpegMobilenet), size: 224, channels: 3 as const, inferModel: 'MobileNetV2 224x224x3' },
];
for (const c of e2eCases) {
  const n = c.files.length;
  log(`\n3. end to end: ${c.model}, ${n} files`);
  const read = () => q.read.images(c.files, { size: [c.size, c.size], channels: c.channels });
  const out = join(work, 'e2e.parquet');
  const contenders: Contender[] = [
    { name: 'quiver read+predict+parquet', pass: async () => { const k = await read().predict(c.ref, { backend: 'onnxruntime' }).select('path', 'labelId', 'score').write.mode('overwrite').parquet(out); if (k !== n) throw new Error(`wrote ${k} rows, expected ${n}`); } },
    { name: 'decode alone: sharp, 2 at a time', pass: () => sharpDecode(c.files, c.size, c.size, c.channels, THREADS) },
    { name: 'decode alone: q.read.images().count()', pass: async () => { const k = await read().count(); if (k !== n) throw new Error(`count ${k}, expected ${n}`); } },
  ];
  const r = await alternate(n, runs, contenders, log);
  const e2e = r.get(contenders[0].name)!;
  const decode = r.get(contenders[1].name)!.imgPerS;
  const infer = inference.find((x) => x.model === c.inferModel && x.contender === 'onnxruntime-node')!.img_s as number;
  const bound = Math.min(decode, infer);
  // Both stages on the same cores (no GPU here): at best 1 / (1/decode + 1/infer), each image's
  // decode and inference paid one after the other in CPU time.
  const shared = 1 / (1 / decode + 1 / infer);
  for (const ct of contenders) { const x = r.get(ct.name)!; endToEnd.push({ model: c.model, images: n, contender: ct.name, img_s: Math.round(x.imgPerS), over_bound: NaN, over_shared_cpu: NaN, note: x.error ? `failed: ${x.error}` : '' }); }
  endToEnd.push({ model: c.model, images: n, contender: 'inference alone: onnxruntime-node (section 1)', img_s: infer, over_bound: NaN, over_shared_cpu: NaN, note: '' });
  endToEnd[endToEnd.length - 4].over_bound = e2e.imgPerS / bound;
  endToEnd[endToEnd.length - 4].over_shared_cpu = e2e.imgPerS / shared;
}
log('\n3. end to end, files -> predict (backend onnxruntime) -> Parquet; over_bound = end to end / min(decode alone with sharp, inference alone) (bar: >= 0.8); over_shared_cpu = end to end / (1 / (1/decode + 1/inference)), the most two stages sharing the same CPU cores can give');
printTable(endToEnd);
results.endToEnd = endToEnd;

// ---- 4. the 10,000 Fashion-MNIST PNGs end to end, per backend
const pngFiles = png.files.slice(0, N.png);
log(`\n4. Fashion-MNIST CNN from ${pngFiles.length} PNG files, end to end, ${THREADS} workers`);
const pngOut = join(work, 'png.parquet');
const backends = ['auto', 'onnxruntime', 'wasm', 'webgpu'] as const;
const pngContenders: Contender[] = backends.map((b) => ({
  name: b,
  pass: async () => {
    const df = q.read.images(pngFiles, { size: [28, 28], channels: 1 }).predict(cnn, b === 'auto' ? {} : { backend: b });
    const k = await df.select('path', 'labelId', 'label', 'score').write.mode('overwrite').parquet(pngOut);
    if (k !== pngFiles.length) throw new Error(`wrote ${k} rows, expected ${pngFiles.length}`);
  },
}));
const autoPlan = (await q.read.images(pngFiles, { size: [28, 28], channels: 1 }).predict(cnn).explain()).split('\n').find((l) => l.includes('PredictExec')) ?? '';
const pngR = await alternate(pngFiles.length, runs, pngContenders, log);
const fmnistPng: Row[] = backends.map((b) => { const x = pngR.get(b)!; return { backend: b === 'auto' ? 'auto (calibrated)' : b, images: pngFiles.length, img_s: Math.round(x.imgPerS), note: x.error ? `failed: ${x.error}` : '' }; });
const ran = fmnistPng.filter((r) => Number.isFinite(r.img_s));
const best = ran.length ? ran.reduce((a, b) => ((b.img_s as number) > (a.img_s as number) ? b : a)) : { backend: 'none', img_s: NaN };
log('\n4. Fashion-MNIST CNN, 10,000 PNG files -> predict -> Parquet, 2 workers (bar: >= 14,000 img/s with the best backend)');
printTable(fmnistPng);
log(`  best: ${best.backend}, ${best.img_s} img/s; 'auto' planned: ${autoPlan.trim().slice(0, 160)}`);
results.fmnistPng = { rows: fmnistPng, best, autoPlan: autoPlan.trim() };

await q.close();
await qWorkers.close();
rmSync(work, { recursive: true, force: true });

// ---- 5. peak RSS at 1M images, in a child process
if (flag('no-1m')) {
  results.peakRss = { skipped: '--no-1m' };
  log('\n5. peak RSS: skipped (--no-1m)');
} else {
  log(`\n5. peak RSS: tagging ${N.big.toLocaleString()} images in a child process (progress every 15 s) ...`);
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [...process.execArgv, script, '--rss-child', String(N.big), ...(quick ? ['--quick'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  let found: Record<string, unknown> | null = null;
  let buf = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s: string) => {
    buf += s;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i); buf = buf.slice(i + 1);
      if (line.startsWith('PHOTOS_RSS ')) found = JSON.parse(line.slice(11)); else log(line);
    }
  });
  const code: number = await new Promise((res) => child.on('close', (c) => res(c ?? 1)));
  if (code !== 0 || !found) throw new Error(`the 1M child process failed (exit ${code})`);
  const f = found as { images: number; seconds: number; imgPerS: number; maxRssMB: number; source: string; backend: string };
  results.peakRss = f;
  log(`\n5. peak RSS (VmHWM of the whole child: driver, 2 workers, inference threads, onnxruntime; bar: < 1.5 GB)`);
  printTable([{ images: f.images, source: f.source, backend: f.backend, seconds: f.seconds, img_s: Math.round(f.imgPerS), peak_rss_mb: Math.round(f.maxRssMB) }]);
}

mkdirSync(outDir, { recursive: true });
const base = join(outDir, 'photos');
writeFileSync(`${base}.json`, JSON.stringify(results, null, 2) + '\n');
const charts = await photosChart(results, base, `${m.cores} x ${m.cpu}, median of ${runs} run${runs === 1 ? '' : 's'}${quick ? ' (quick smoke run)' : ''}`);
log(`\nwrote ${base}.json, ${charts.join(', ')}`);
process.exit(0);
