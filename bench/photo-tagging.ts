// Benchmark: end-to-end photo tagging (read IDX -> normalize -> MLP -> argmax -> write Parquet), images/s per device, onnxruntime-node beside it.
//
//   npm run bench:tagging                         # 70k images and 1M images (the 70k repeated), 3 runs each
//   npm run bench:tagging -- --runs 5 --no-1m [--out bench/results]
//
// Writes the table as JSON and a chart (SVG and PNG) beside it: <out>/photo-tagging.{json,svg,png}.
//
// Quiver runs the whole job (its time includes reading, the shuffle-free stage, and writing
// out/bench-tags.parquet); onnxruntime-node (2 threads, same weights) runs inference only over
// images already in memory, in the same run, alternating with Quiver: the ratio favours it.
import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { Quiver, type ModelRef } from '../core/index.ts';
import { FMNIST_DIR, loadFmnist, requireFmnist } from '../examples/lib/fmnist.ts';
import { renderChart } from './lib/chart.ts';
import { ortMlpRunner } from './lib/ort-mlp.ts';
import { arg, median, printTable, rssSampler } from './util.ts';

const runs = Number(arg('runs', '3'));
const modelDir = resolve(arg('model', 'models/fmnist-mlp'));
const big = !process.argv.includes('--no-1m');
const outDir = arg('out', 'bench/results');
const BIG = 1_000_000;
requireFmnist();

const rss = rssSampler();
const q = await Quiver.local({ workers: 2 });
const model = q.model(modelDir);
const test = await loadFmnist(q, 't10k');
const train = await loadFmnist(q, 'train');
const all = { images: new Uint8Array(train.images.length + test.images.length), rows: train.rows + test.rows };
all.images.set(train.images); all.images.set(test.images, train.images.length);

/** A raw IDX images file of `rows` images, the 70k repeated (written once under bench/data). */
function bigIdx(rows: number): string {
  const path = resolve(`bench/data/fmnist-${rows}-images-idx3-ubyte`);
  if (existsSync(path)) return path;
  mkdirSync('bench/data', { recursive: true });
  console.log(`writing ${rows.toLocaleString()} images (${(rows * 784 / 2 ** 20).toFixed(0)} MB) to ${path} (once) ...`);
  const fd = openSync(`${path}.tmp`, 'w');
  const head = Buffer.alloc(16);
  head.writeUInt32BE(0x803, 0); head.writeUInt32BE(rows, 4); head.writeUInt32BE(28, 8); head.writeUInt32BE(28, 12);
  writeSync(fd, head);
  for (let left = rows; left > 0;) {
    const n = Math.min(left, all.rows);
    writeSync(fd, all.images, 0, n * 784);
    left -= n;
  }
  closeSync(fd);
  renameSync(`${path}.tmp`, path);
  return path;
}

async function quiver(device: 'cpu' | 'gpu' | 'auto', images: string, expectRows: number): Promise<{ s: number; placement: string }> {
  const df = q.read.idx(images).predict(model as ModelRef, { device }).select('labelId', 'label', 'score');
  const placement = (await df.explain()).split('\n').find((l) => l.includes('PredictExec'))!.replace(/.*device=/, '').replace(/\) batchSize.*/, ')');
  const t0 = performance.now();
  const n = await df.write.mode('overwrite').parquet('out/bench-tags.parquet');
  const s = (performance.now() - t0) / 1000;
  if (n !== expectRows) throw new Error(`wrote ${n} rows, expected ${expectRows}`);
  return { s, placement };
}

if (model.model.kind !== 'mlp') throw new Error(`${modelDir}: this benchmark compares MLP models (model.json); for ONNX models run bench/photos.ts`);
const ort = await ortMlpRunner(model.model.weights, { threads: 2 });
async function onnx(rows: number): Promise<number> {
  const B = 4096;
  const t0 = performance.now();
  for (let at = 0; at < rows;) {
    const n = Math.min(B, rows - at);
    const off = (at % all.rows) * 784;
    const m = Math.min(n, all.rows - (at % all.rows));
    await ort.run(all.images.subarray(off, off + m * 784), m);
    at += m;
  }
  return (performance.now() - t0) / 1000;
}

const sets: { name: string; path: string; rows: number }[] = [{ name: '70k', path: `${FMNIST_DIR}/*-images-idx3-ubyte.gz`, rows: all.rows }];
if (big) sets.push({ name: '1M', path: bigIdx(BIG), rows: BIG });
const devices: ('auto' | 'cpu' | 'gpu')[] = ['auto', 'cpu', 'gpu'];

const table: Record<string, string | number>[] = [];
for (const set of sets) {
  for (const device of devices) {
    let placement = '';
    try {
      await quiver(device, set.path, set.rows); // warm-up: model resident in every worker, calibration cached
      rss.reset();
      const qs: number[] = [], os: number[] = [], ratios: number[] = [];
      for (let i = 0; i < runs; i++) {
        const r = await quiver(device, set.path, set.rows);
        placement = r.placement;
        const o = await onnx(set.rows);
        qs.push(r.s); os.push(o); ratios.push(o / r.s);
      }
      table.push({
        images: set.name, device, placement: placement.slice(0, 60),
        quiver_img_s: Math.round(set.rows / median(qs)), onnxruntime_img_s: Math.round(set.rows / median(os)),
        quiver_over_ort: median(ratios), peak_rss_mb: Math.round(rss.peakMB()),
      });
    } catch (e) {
      table.push({ images: set.name, device, placement: `unavailable: ${(e as Error).message.slice(0, 70)}`, quiver_img_s: NaN, onnxruntime_img_s: NaN, quiver_over_ort: NaN, peak_rss_mb: NaN });
    }
  }
}
ort.dispose();
await q.close();
console.log(`\nphoto tagging, end to end (read IDX -> predict -> write Parquet), ${runs} runs each, medians; onnxruntime-node: inference only, 2 threads, same weights`);
printTable(table);
console.log('(peak_rss_mb: the whole process, driver + 2 workers + onnxruntime, during the timed runs)');

// The chart: Quiver's images/s per predict device beside onnxruntime's (inference only, on the
// CPU: one bar, the median over the rows it ran beside), one panel per input size.
const ortBar = 'onnxruntime, CPU (inference only)';
const points = sets.flatMap((set) => {
  const rows = table.filter((r) => r.images === set.name);
  const ort = rows.map((r) => r.onnxruntime_img_s as number).filter(Number.isFinite);
  return [
    ...rows.map((r) => ({ images: set.name, bar: `Quiver, ${r.device}`, who: 'Quiver (read + predict + write)', imagesPerSecond: r.quiver_img_s as number })),
    ...(ort.length ? [{ images: set.name, bar: ortBar, who: 'onnxruntime (inference only)', imagesPerSecond: median(ort) }] : []),
  ];
}).filter((p) => Number.isFinite(p.imagesPerSecond));
const base = `${outDir}/photo-tagging`;
mkdirSync(outDir, { recursive: true });
writeFileSync(`${base}.json`, JSON.stringify({ runs, rows: table }, null, 2) + '\n');
const charts = await renderChart({
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  config: { font: 'DejaVu Sans', view: { stroke: null } },
  title: { text: `Photo tagging, Fashion-MNIST MLP: images/s (higher is better), median of ${runs} run${runs === 1 ? '' : 's'}`, anchor: 'start' },
  data: { values: points },
  facet: { row: { field: 'images', type: 'nominal', title: null, sort: sets.map((x) => x.name) } },
  spec: {
    width: 460, height: { step: 26 },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'bar', type: 'nominal', title: null, sort: [...devices.map((d) => `Quiver, ${d}`), ortBar], axis: { labelLimit: 300 } },
      x: { field: 'imagesPerSecond', type: 'quantitative', title: 'images/s' },
      color: { field: 'who', type: 'nominal', title: null, scale: { domain: ['Quiver (read + predict + write)', 'onnxruntime (inference only)'], range: ['#1f4e99', '#d9622b'] }, legend: { orient: 'bottom', labelLimit: 400 } },
      tooltip: [{ field: 'bar' }, { field: 'imagesPerSecond', format: ',.0f' }],
    },
  },
}, base);
console.log(`wrote ${base}.json, ${charts.join(', ')}`);
