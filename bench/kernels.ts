// Benchmark: every Quiver kernel on every backend over a range of sizes, and the Fashion-MNIST MLP against onnxruntime and tfjs-webgpu.
//
//   npm run bench:kernels                          # the default: under 2 minutes on 2 cores with lavapipe
//   npm run bench:kernels -- --runs 7 --images 10000 --batches 256,1024,4096 --big
//
// Flags: --runs N (MLP runs per contender and batch size, medians reported), --images N (of the
// 10,000 test images; fewer by default when the GPU is a CPU such as lavapipe), --batches list,
// --threads N (onnxruntime's intraOpNumThreads), --sweep-runs N, --sweep-budget S (seconds per
// backend, kernel and size before larger sizes are skipped), --big (4096^3 matmuls, larger
// arrays), --no-sweep, --no-mlp, --no-gpu, --out DIR (default bench/results).
//
// Contenders take turns run by run (and the order rotates), so load on a shared machine hits
// them alike; each ratio is taken per run, between runs made back to back, and its median
// reported. Weights are random (seeded He init): this measures throughput, not accuracy.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { mlpContract, type MlpRunner } from '../gpu-kernels/mlp/contract.ts';
import { ContenderId, loadContenders, type Contender } from './lib/contenders.ts';
import { FMNIST_APT, loadFashionMnist, type Images } from './lib/fmnist.ts';
import { kernelMlpCharts } from './lib/kernel-charts.ts';
import { renderChart } from './lib/chart.ts';
import { FMNIST_MLP_SIZES, mlpForward, randomMlp } from './lib/mlp.ts';
import { kernelSweep, sweepCases, type SweepRow } from './lib/sweep.ts';
import { arg, median, printTable } from './util.ts';

const flag = (name: string) => process.argv.includes(`--${name}`);
const runs = Number(arg('runs', '5'));
const threads = Number(arg('threads', '2'));
const sweepRuns = Number(arg('sweep-runs', '3'));
const sweepBudget = Number(arg('sweep-budget', '4'));
const outDir = arg('out', 'bench/results');
const big = flag('big');
/** How many images the agreement check compares with the float64 forward pass. */
const CHECK_IMAGES = 1000;

let data: Images;
try {
  data = loadFashionMnist('test');
} catch (e) {
  console.error((e as Error).message);
  console.error(`\nThe benchmark needs the Fashion-MNIST test set. As root:\n  ${FMNIST_APT}`);
  process.exit(1);
}

const contenders = await loadContenders({ threads, gpu: !flag('no-gpu') });
const gpu = contenders.gpu;
// On a CPU "GPU" (lavapipe) the GPU contenders manage ~1,000 images/s: a quarter of a minute
// per pass over all 10,000 images. The default run uses the first 1,024 there.
const images = Number(arg('images', gpu?.isCpu ? '1024' : String(data.count)));
const batches = arg('batches', gpu?.isCpu ? '256,1024' : '256,1024,4096').split(',').map(Number).filter((b) => b > 0 && b <= images);
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average ${loadavg()[0].toFixed(1)} at start`);
console.log(`GPU: ${gpu ? `${gpu.name}${gpu.isCpu ? ' (a CPU implementation: GPU contenders are slow here)' : ''}${gpu.hasF16 ? ', shader-f16' : ''}` : 'none'}`);
console.log('contenders:');
for (const c of contenders.present) console.log(`  ${c.id.padEnd(18)} ${c.description}`);
for (const m of contenders.missing) console.log(`  ${m.id.padEnd(18)} MISSING: ${m.why}`);

// ---- Kernel sweep: Quiver's backends only (the other libraries are measured on the MLP).
let sweep: SweepRow[] = [];
const quiver = contenders.present.filter((c) => c.backend).map((c) => ({ name: c.id, backend: c.backend! }));
if (!flag('no-sweep') && quiver.length > 0) {
  console.log(`\nkernel sweep: ${quiver.map((q) => q.name).join(', ')}; ${sweepRuns} alternating runs, median; ${sweepBudget} s budget per backend and size`);
  sweep = await kernelSweep(quiver, sweepCases(big), sweepRuns, sweepBudget, (line) => console.log(line));
  console.log();
  const keys = [...new Set(sweep.map((r) => `${r.kernel}\u0000${r.shape}`))];
  printTable(keys.map((k) => {
    const rows = sweep.filter((r) => `${r.kernel}\u0000${r.shape}` === k);
    const row: Record<string, string> = { kernel: rows[0].kernel, shape: rows[0].shape, unit: rows[0].unit };
    for (const q of quiver) {
      const r = rows.find((x) => x.backend === q.name)!;
      row[q.name] = Number.isNaN(r.rate) ? (r.note.startsWith('failed') ? 'failed' : 'skipped') : r.rate.toFixed(2) + (r.note ? '*' : '');
    }
    return row;
  }));
  const failed = sweep.filter((r) => r.note.startsWith('failed'));
  for (const r of failed) console.log(`  ${r.backend} ${r.kernel} ${r.shape}: ${r.note}`);
  if (sweep.some((r) => r.note.endsWith('(slow)'))) console.log('  * fewer runs than asked: one call took most of the time budget');
} else if (quiver.length === 0) {
  console.log('\nkernel sweep: skipped, no Quiver backend is available yet');
}

// ---- MLP: 784-300-100-10 over the Fashion-MNIST test images, every contender.
interface MlpSeries { id: ContenderId; batch: number; times: number[] }
const series: MlpSeries[] = [];
const agreement = new Map<ContenderId, string>();
if (!flag('no-mlp')) {
  const weights = randomMlp(FMNIST_MLP_SIZES, 2024);
  const pixels = data.pixels.subarray(0, images * data.size);
  console.log(`\nMLP ${FMNIST_MLP_SIZES.join('-')} (relu, relu, softmax; u8 -> f32 normalise and argmax included): ${images.toLocaleString()} of ${data.count.toLocaleString()} Fashion-MNIST test images per run, batches of ${batches.join(', ')}; ${runs} runs per contender and batch size, alternating`);
  if (images < data.count) console.log(`  (fewer images because the GPU is a CPU here; all of them: --images ${data.count} --batches 256,1024,4096)`);

  const n = Math.min(CHECK_IMAGES, images);
  const want = mlpForward(weights, pixels.subarray(0, n * data.size), n);
  const runners = new Map<Contender, MlpRunner>();
  for (const c of contenders.present) {
    try {
      const r = await c.load(weights);
      const got = await r.run(pixels.subarray(0, n * data.size), n);
      const precision = c.id === ContenderId.QuiverWebgpuF16 ? 'f16' : 'f32';
      const diff = mlpContract.check({ weights, images: pixels.subarray(0, n * data.size), m: n }, got, want, precision);
      const same = got.labels.reduce((s, l, i) => s + (l === want.labels[i] ? 1 : 0), 0);
      agreement.set(c.id, diff ? `DISAGREES: ${diff}` : `agrees (${same}/${n} labels identical)`);
      runners.set(c, r);
    } catch (e) {
      agreement.set(c.id, `FAILED: ${(e as Error).message.split('\n')[0]}`);
    }
    console.log(`  ${c.id.padEnd(18)} vs the float64 forward pass on ${n} images: ${agreement.get(c.id)}`);
  }
  const live = [...runners.keys()];

  const pass = async (r: MlpRunner, batch: number, count: number): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < count; i += batch) {
      const m = Math.min(batch, count - i);
      await r.run(pixels.subarray(i * data.size, (i + m) * data.size), m);
    }
    return (performance.now() - t0) / 1000;
  };
  // Warm-up: two batches of each size (pipelines compiled, buffers and sessions allocated for it).
  for (const b of batches) for (const c of live) await pass(runners.get(c)!, b, Math.min(2 * b, images));
  for (const b of batches) for (const c of live) series.push({ id: c.id, batch: b, times: [] });
  for (let r = 0; r < runs; r++) {
    for (const b of batches) {
      // Rotate who goes first, so no contender always follows the same one.
      const order = live.map((_, i) => live[(i + r) % live.length]);
      for (const c of order) series.find((s) => s.id === c.id && s.batch === b)!.times.push(await pass(runners.get(c)!, b, images));
    }
    process.stdout.write(`  run ${r + 1}/${runs} done\n`);
  }
  for (const r of runners.values()) r.dispose();

  const ips = (s: MlpSeries) => images / median(s.times);
  console.log();
  printTable(live.map((c) => {
    const row: Record<string, string> = { contender: c.id };
    for (const b of batches) row[`img/s @${b}`] = Math.round(ips(series.find((s) => s.id === c.id && s.batch === b)!)).toLocaleString();
    row['best img/s'] = Math.round(Math.max(...series.filter((s) => s.id === c.id).map(ips))).toLocaleString();
    return row;
  }));

  // Ratios of throughput (other's time / Quiver's time), per run, median over runs.
  const ratio = (q: ContenderId, o: ContenderId, b: number) => {
    const sq = series.find((s) => s.id === q && s.batch === b), so = series.find((s) => s.id === o && s.batch === b);
    return sq && so ? median(sq.times.map((t, i) => so.times[i] / t)) : NaN;
  };
  const best = (id: ContenderId) => {
    const ss = series.filter((s) => s.id === id);
    return ss.length ? ss.reduce((a, s) => (median(s.times) < median(a.times) ? s : a)) : undefined;
  };
  const bestRatio = (q: ContenderId, o: ContenderId) => {
    const bq = best(q), bo = best(o);
    return bq && bo ? median(bq.times.map((t, i) => bo.times[i] / t)) : NaN;
  };
  const asks: [ContenderId, ContenderId, number][] = [
    [ContenderId.QuiverCpu, ContenderId.Onnxruntime, 0.4],
    [ContenderId.QuiverWebgpuF32, ContenderId.TfjsWebgpu, 2],
    [ContenderId.QuiverWebgpuF16, ContenderId.TfjsWebgpu, 2],
  ];
  console.log();
  printTable(asks.map(([q, o, accept]) => {
    const row: Record<string, string> = { ratio: `${q} / ${o}` };
    for (const b of batches) row[`@${b}`] = fmtRatio(ratio(q, o, b));
    const bb = bestRatio(q, o);
    row['best vs best'] = fmtRatio(bb);
    row.acceptance = `>= ${accept}x`;
    row.verdict = Number.isNaN(bb) ? `n/a (${[q, o].filter((id) => !live.some((c) => c.id === id)).join(', ')} missing)` : bb >= accept ? 'PASS' : 'FAIL';
    return row;
  }));
  console.log('(throughput ratios: the median over runs of the other contender\'s time / Quiver\'s time, runs made back to back; "best vs best" pairs each one\'s best batch size)');
  if (gpu?.isCpu) console.log(`(the GPU is ${gpu.name.split(':')[0]}, a CPU: its f16 is no faster than f32, and the WebGPU figures say little about a real GPU)`);
}

// ---- Results: JSON (every run), SVG and PNG charts.
const base = join(outDir, 'kernels');
mkdirSync(outDir, { recursive: true });
writeFileSync(`${base}.json`, JSON.stringify({
  date: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavgAtStart: loadavg()[0] },
  gpu, contenders: contenders.present.map((c) => ({ id: c.id, description: c.description, agreement: agreement.get(c.id) })), missing: contenders.missing,
  mlp: { model: FMNIST_MLP_SIZES, images, runs, series }, sweep,
}, null, 1));
const caption = `${new Date().toISOString().slice(0, 10)}: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; GPU ${gpu?.name.split(':')[0] ?? 'none'}; MLP over ${images.toLocaleString()} images, medians of ${runs} runs; sweep medians of ${sweepRuns}`;
const charts = await renderChart(kernelMlpCharts(sweep, series.map((s) => ({ contender: s.id, batch: s.batch, imagesPerSecond: images / median(s.times) })), caption), base);
console.log(`\nwrote ${base}.json, ${charts.join(', ')}`);
await contenders.close();
// A live Dawn instance (tfjs's) can keep the process from exiting.
process.exit(0);

function fmtRatio(x: number): string {
  return Number.isNaN(x) ? '-' : `${x.toFixed(2)}x`;
}
