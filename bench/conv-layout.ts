// Benchmark: the shipped NCHW WGSL conv2d against its NHWC twin (bench/lib/conv-nhwc-wgsl.ts) on the conv layers of MobileNetV2 at 224x224 and of the Fashion-MNIST CNN.
//
//   npm run bench:conv-layout -- [--runs N] [--mobilenet-batch N] [--fmnist-batch N] [--target-ms T] [--out DIR]
//
// Three variants per layer: the shipped kernel, the NHWC twin, and the twin with every load
// and store scalar (what the layout gives without vec4 access). The input, weights and outputs
// live on the GPU; each timed run encodes `reps` dispatches of one variant into one submission and takes the wall clock around submit and
// onSubmittedWorkDone, divided by reps (reps is set once per layer so a run lasts about --target-ms,
// the same for every variant). The variants take turns run by run, the first rotating; the
// table gives medians of --runs runs (default 7) and the medians of the per-run ratios. Before
// timing, each layer's outputs are read back and compared (NHWC transposed to NCHW).
// MobileNetV2 weights are random (seeded, He scale), the Fashion-MNIST CNN's come from its
// ONNX file (models/fmnist-cnn); every layer fuses bias and ReLU.
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { rng } from '../examples/data/access-log.ts';
import { conv2dPipeline, encodeConv2d, isDepthwise, type ConvGeometry } from '../gpu-kernels/conv2d/wgsl.ts';
import { closeGpuDevice, getGpuDevice, writePadded, type GpuDevice, type GpuJob } from '../gpu-kernels/device/index.ts';
import { windowOut, type Activation } from '../gpu-kernels/program/contract.ts';
import { Usage } from '../gpu-kernels/wgsl-util.ts';
import { loadOnnx } from '../ops/model/onnx/index.ts';
import { convNhwcPipeline, encodeConvNhwc, nchwToNhwc, nhwcToNchw, packNhwcWeights } from './lib/conv-nhwc-wgsl.ts';
import { renderChart, stackedPanels } from './lib/chart.ts';
import { arg, median, printTable } from './util.ts';

const runs = Number(arg('runs', '7'));
const mobilenetBatch = Number(arg('mobilenet-batch', '8'));
const fmnistBatch = Number(arg('fmnist-batch', '256'));
const targetMs = Number(arg('target-ms', '40'));
const outDir = arg('out', 'bench/results');
const relu: Activation = { op: 'relu' };

interface Layer {
  model: string;
  name: string;
  g: ConvGeometry;
  weight: Float32Array;
  bias: Float32Array;
}

function random(len: number, scale: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: len }, () => (r() * 2 - 1) * scale);
}

/** A square conv with "same" padding (k odd), as MobileNetV2 has them; weights at He scale. */
function layer(model: string, name: string, n: number, c: number, hw: number, m: number, k: number, stride: number, depthwise: boolean, seed: number): Layer {
  const group = depthwise ? c : 1, p = (k - 1) >> 1, fanIn = (c / group) * k * k;
  const g: ConvGeometry = { n, c, h: hw, w: hw, m, kh: k, kw: k, strides: [stride, stride], pads: [p, p, p, p], dilations: [1, 1], group };
  return { model, name, g, weight: random(m * fanIn, Math.sqrt(6 / fanIn), seed), bias: new Float32Array(m).fill(0.01) };
}

/** A representative slice of MobileNetV2 (torchvision's features.i): the stem, each kind of layer at each resolution, the head. */
function mobilenetLayers(n: number): Layer[] {
  const mb = 'mobilenetv2';
  const L = (name: string, c: number, hw: number, m: number, k: number, s: number, dw: boolean, seed: number) => layer(mb, name, n, c, hw, m, k, s, dw, seed);
  return [
    L('features.0 stem 3x3 s2', 3, 224, 32, 3, 2, false, 1),
    L('features.1 dw 3x3 s1', 32, 112, 32, 3, 1, true, 2),
    L('features.1 project 1x1', 32, 112, 16, 1, 1, false, 3),
    L('features.2 expand 1x1', 16, 112, 96, 1, 1, false, 4),
    L('features.2 dw 3x3 s2', 96, 112, 96, 3, 2, true, 5),
    L('features.2 project 1x1', 96, 56, 24, 1, 1, false, 6),
    L('features.3 expand 1x1', 24, 56, 144, 1, 1, false, 7),
    L('features.3 dw 3x3 s1', 144, 56, 144, 3, 1, true, 8),
    L('features.4 dw 3x3 s2', 144, 56, 144, 3, 2, true, 9),
    L('features.5 expand 1x1', 32, 28, 192, 1, 1, false, 10),
    L('features.8 expand 1x1', 64, 14, 384, 1, 1, false, 11),
    L('features.8 dw 3x3 s1', 384, 14, 384, 3, 1, true, 12),
    L('features.14 dw 3x3 s2', 576, 14, 576, 3, 2, true, 13),
    L('features.15 expand 1x1', 160, 7, 960, 1, 1, false, 14),
    L('features.18 head 1x1', 320, 7, 1280, 1, 1, false, 15),
  ];
}

/** The conv layers of models/fmnist-cnn, shapes and weights as its ONNX file has them. */
function fmnistLayers(n: number): Layer[] {
  const file = 'models/fmnist-cnn/model.onnx';
  const m = loadOnnx(new Uint8Array(readFileSync(file)), file);
  const out: Layer[] = [];
  for (const s of m.steps) {
    if (s.kind !== 'conv2d') continue;
    const [c, h, w] = m.values[s.x].shape, wt = m.constants[s.w];
    const [mo, , kh, kw] = wt.shape;
    const g: ConvGeometry = { n, c, h, w, m: mo, kh, kw, strides: s.strides, pads: s.pads, dilations: s.dilations, group: s.group };
    const kind = isDepthwise(g) ? 'dw' : 'conv';
    out.push({ model: 'fmnist-cnn', name: `${s.y.split('/').filter(Boolean)[0] ?? s.y} ${kind} ${kh}x${kw}`, g, weight: wt.data, bias: s.b ? m.constants[s.b].data : new Float32Array(mo) });
  }
  return out;
}

function buffer(gd: GpuDevice, data: Float32Array | number): GPUBuffer {
  const bytes = typeof data === 'number' ? data * 4 : data.byteLength;
  const b = gd.device.createBuffer({ size: Math.max(4, bytes), usage: Usage.Storage | Usage.CopySrc | Usage.CopyDst });
  if (typeof data !== 'number') writePadded(gd.device.queue, b, data);
  return b;
}

/** Milliseconds per dispatch: `reps` dispatches in one submission, the wall clock around submit and onSubmittedWorkDone. */
async function timeRun(gd: GpuDevice, encode: (job: GpuJob) => void, reps: number): Promise<number> {
  const job = gd.job('bench-conv-layout');
  for (let i = 0; i < reps; i++) encode(job);
  const t0 = performance.now();
  await Promise.all([job.submit(), gd.device.queue.onSubmittedWorkDone()]);
  return (performance.now() - t0) / reps;
}

async function readBack(gd: GpuDevice, encode: (job: GpuJob) => void, y: GPUBuffer, floats: number): Promise<Float32Array> {
  const job = gd.job('bench-conv-layout-check');
  encode(job);
  job.read(y, floats * 4);
  const [out] = await job.submit();
  return new Float32Array(out);
}

/** What is timed per layer: the shipped kernel, the NHWC twin, and the twin with scalar loads and stores (the layout without vec4 access). */
enum Variant {
  Nchw = 'nchw',
  Nhwc = 'nhwc',
  NhwcScalar = 'nhwc-scalar',
}
const VARIANTS = [Variant.Nchw, Variant.Nhwc, Variant.NhwcScalar];

interface Result {
  model: string;
  layer: string;
  shape: string;
  gflop: number;
  reps: number;
  /** Milliseconds per dispatch, run by run. */
  ms: Record<Variant, number[]>;
  /** max |nchw - nhwc| over the layer's outputs (both NHWC variants), relative to max |nchw|. */
  relDiff: number;
}

async function measure(gd: GpuDevice, l: Layer): Promise<Result> {
  const { g } = l;
  const oh = windowOut(g.h, g.kh, g.strides[0], g.pads[0], g.pads[2]), ow = windowOut(g.w, g.kw, g.strides[1], g.pads[1], g.pads[3]);
  const outFloats = g.n * g.m * oh * ow;
  const x = random(g.n * g.c * g.h * g.w, 1, 99);
  const packed = packNhwcWeights(g, l.weight, l.bias);
  const nchwBufs = { x: buffer(gd, x), w: buffer(gd, l.weight), bias: buffer(gd, l.bias), y: buffer(gd, outFloats) };
  const nhwcBufs = { x: buffer(gd, nchwToNhwc(x, g.n, g.c, g.h, g.w)), w: buffer(gd, packed.w), bias: buffer(gd, packed.bias), y: buffer(gd, outFloats) };
  try {
    const [pNchw, pNhwc, pScalar] = await Promise.all([conv2dPipeline(gd, g, relu, true), convNhwcPipeline(gd, g, relu), convNhwcPipeline(gd, g, relu, false)]);
    const encode: Record<Variant, (job: GpuJob) => void> = {
      [Variant.Nchw]: (job) => encodeConv2d(job, pNchw, g, nchwBufs),
      [Variant.Nhwc]: (job) => encodeConvNhwc(job, pNhwc, g, nhwcBufs),
      [Variant.NhwcScalar]: (job) => encodeConvNhwc(job, pScalar, g, nhwcBufs),
    };
    const want = await readBack(gd, encode[Variant.Nchw], nchwBufs.y, outFloats);
    let diff = 0, mag = 0;
    for (const v of [Variant.Nhwc, Variant.NhwcScalar]) {
      const got = nhwcToNchw(await readBack(gd, encode[v], nhwcBufs.y, outFloats), g.n, g.m, oh, ow);
      for (let i = 0; i < want.length; i++) {
        diff = Math.max(diff, Math.abs(want[i] - got[i]));
        mag = Math.max(mag, Math.abs(want[i]));
      }
    }
    // One untimed dispatch each (also the warm-up) sets reps, the same for every variant.
    let once = Infinity;
    for (const v of VARIANTS) once = Math.min(once, await timeRun(gd, encode[v], 1));
    const reps = Math.max(1, Math.min(64, Math.round(targetMs / once)));
    const ms: Record<Variant, number[]> = { [Variant.Nchw]: [], [Variant.Nhwc]: [], [Variant.NhwcScalar]: [] };
    for (let r = 0; r < runs; r++) {
      // Rotate who goes first, so no variant always follows the same one.
      for (let i = 0; i < VARIANTS.length; i++) {
        const v = VARIANTS[(i + r) % VARIANTS.length];
        ms[v].push(await timeRun(gd, encode[v], reps));
      }
    }
    const taps = (g.c / g.group) * g.kh * g.kw;
    const shape = `${g.n}x${g.c}x${g.h}x${g.w} -> ${g.m}x${oh}x${ow}, ${g.kh}x${g.kw} s${g.strides[0]}${g.group > 1 ? ` g${g.group}` : ''}`;
    return { model: l.model, layer: l.name, shape, gflop: (2 * outFloats * taps) / 1e9, reps, ms, relDiff: mag > 0 ? diff / mag : diff };
  } finally {
    for (const b of [...Object.values(nchwBufs), ...Object.values(nhwcBufs)]) b.destroy();
  }
}

/** nchw time / `v`'s time per run, median: above 1, `v` is faster. */
const speedup = (r: Result, v: Variant) => median(r.ms[Variant.Nchw].map((t, i) => t / r.ms[v][i]));
const med = (r: Result, v: Variant) => median(r.ms[v]);

const LABELS: Record<Variant, string> = {
  [Variant.Nchw]: 'NCHW (shipped)',
  [Variant.Nhwc]: 'NHWC twin',
  [Variant.NhwcScalar]: 'NHWC twin, scalar loads',
};

function chart(results: Result[], caption: string): TopLevelSpec {
  const label = (r: Result) => `${r.model}: ${r.layer}`;
  const order = results.map(label);
  const y = { field: 'layer', type: 'nominal', title: null, sort: order, axis: { labelLimit: 320 } };
  const color = { field: 'variant', type: 'nominal', title: null, scale: { domain: VARIANTS.map((v) => LABELS[v]), range: ['#1f4e99', '#d9622b', '#e8a33d'] }, legend: { labelLimit: 300 } };
  return stackedPanels([
    {
      title: { text: 'ms per layer (median; lower is better)', anchor: 'start', fontSize: 12 },
      width: 480, height: { step: 7 },
      data: { values: results.flatMap((r) => VARIANTS.map((v) => ({ layer: label(r), variant: LABELS[v], ms: med(r, v) }))) },
      mark: { type: 'bar' },
      // No stacking: stacked bars start at 0, which a log scale cannot draw.
      encoding: { y, yOffset: { field: 'variant', type: 'nominal', sort: VARIANTS.map((v) => LABELS[v]) }, x: { field: 'ms', type: 'quantitative', title: 'ms (log)', scale: { type: 'log' }, stack: null }, color },
    },
    {
      title: { text: 'NCHW time / NHWC time (above 1: NHWC faster)', anchor: 'start', fontSize: 12 },
      width: 480, height: { step: 10 },
      layer: [
        {
          data: { values: results.flatMap((r) => [Variant.Nhwc, Variant.NhwcScalar].map((v) => ({ layer: label(r), variant: LABELS[v], ratio: speedup(r, v) }))) },
          mark: { type: 'bar' },
          encoding: { y, yOffset: { field: 'variant', type: 'nominal' }, x: { field: 'ratio', type: 'quantitative', title: 'ratio (log)', scale: { type: 'log' } }, x2: { datum: 1 }, color },
        },
        { data: { values: [{ one: 1 }] }, mark: { type: 'rule', color: 'black' }, encoding: { x: { field: 'one', type: 'quantitative' } } },
      ],
    },
  ], caption);
}

const gd = (await getGpuDevice({ gpu: 'require' }))!;
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average ${loadavg()[0].toFixed(1)} at start`);
console.log(`GPU: ${gd.info.description}${gd.info.isCpu ? ' (a CPU implementation: timings say little about a real GPU)' : ''}`);
console.log(`${runs} alternating runs per layer, ~${targetMs} ms each; MobileNetV2 batch ${mobilenetBatch}, Fashion-MNIST CNN batch ${fmnistBatch}; bias + ReLU fused\n`);

const results: Result[] = [];
const t0 = performance.now();
for (const l of [...mobilenetLayers(mobilenetBatch), ...fmnistLayers(fmnistBatch)]) {
  const r = await measure(gd, l);
  results.push(r);
  console.log(`  ${r.model} ${r.layer}: ${VARIANTS.map((v) => `${v} ${med(r, v).toFixed(2)} ms`).join(', ')} (${r.reps} per run)`);
}
const seconds = (performance.now() - t0) / 1000;

const bad = results.filter((r) => !(r.relDiff < 1e-4));
const rows: Record<string, string>[] = results.map((r) => ({
  model: r.model, layer: r.layer, shape: r.shape,
  GFLOP: r.gflop.toFixed(3),
  'nchw ms': med(r, Variant.Nchw).toFixed(2),
  'nhwc ms': med(r, Variant.Nhwc).toFixed(2),
  'nchw/nhwc': `${speedup(r, Variant.Nhwc).toFixed(2)}x`,
  'nhwc-scalar ms': med(r, Variant.NhwcScalar).toFixed(2),
  'nchw/nhwc-scalar': `${speedup(r, Variant.NhwcScalar).toFixed(2)}x`,
}));
for (const model of [...new Set(results.map((r) => r.model))]) {
  const rs = results.filter((r) => r.model === model);
  const sum = (v: Variant) => rs.reduce((s, r) => s + med(r, v), 0);
  rows.push({
    model, layer: 'sum of the layers above', shape: '', GFLOP: rs.reduce((s, r) => s + r.gflop, 0).toFixed(3),
    'nchw ms': sum(Variant.Nchw).toFixed(2), 'nhwc ms': sum(Variant.Nhwc).toFixed(2), 'nchw/nhwc': `${(sum(Variant.Nchw) / sum(Variant.Nhwc)).toFixed(2)}x`,
    'nhwc-scalar ms': sum(Variant.NhwcScalar).toFixed(2), 'nchw/nhwc-scalar': `${(sum(Variant.Nchw) / sum(Variant.NhwcScalar)).toFixed(2)}x`,
  });
}
console.log();
printTable(rows);
console.log(`(nchw/x: the median over runs of NCHW time / x's time, runs back to back; above 1, x is faster. Sums: of the medians. ${seconds.toFixed(0)} s of measuring)`);
if (bad.length) console.log(`DISAGREE (relative max difference >= 1e-4): ${bad.map((r) => `${r.model} ${r.layer} ${r.relDiff.toExponential(1)}`).join('; ')}`);
else console.log(`the layouts agree on every layer (relative max difference <= ${Math.max(...results.map((r) => r.relDiff)).toExponential(1)})`);
if (gd.info.isCpu) console.log(`(the GPU is ${gd.info.name}, a CPU: a real GPU may rank the layouts differently)`);

const base = join(outDir, 'conv-layout');
mkdirSync(outDir, { recursive: true });
writeFileSync(`${base}.json`, JSON.stringify({
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavgAtStart: loadavg()[0] },
  gpu: { name: gd.info.description, isCpu: gd.info.isCpu },
  method: { runs, targetMs, mobilenetBatch, fmnistBatch, act: 'relu', timing: 'wall clock around submit + onSubmittedWorkDone of reps dispatches, divided by reps; variants take turns run by run, the first rotating' },
  layers: results.map((r) => ({ ...r, medianMs: Object.fromEntries(VARIANTS.map((v) => [v, med(r, v)])), nchwOverNhwc: speedup(r, Variant.Nhwc), nchwOverNhwcScalar: speedup(r, Variant.NhwcScalar) })),
}, null, 1));
const caption = `${new Date().toISOString().slice(0, 10)}: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; GPU ${gd.info.name}${gd.info.isCpu ? ' (a CPU rasterizer)' : ''}; medians of ${runs} runs`;
const charts = await renderChart(chart(results, caption), base);
console.log(`\nwrote ${base}.json, ${charts.join(', ')}`);
await closeGpuDevice();
process.exit(bad.length ? 1 : 0);
