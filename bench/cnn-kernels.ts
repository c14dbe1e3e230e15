// Benchmark: images per second of two CNN tensor programs on every program backend (reference, cpu, webgpu): a Fashion-MNIST-sized CNN and a MobileNetV2-like 224x224 block stack.
//
//   npx tsx bench/cnn-kernels.ts [--seconds S] [--no-gpu] [--no-reference]
//
// Weights are random (seeded, He-like scale): this measures throughput, not accuracy. Each
// backend runs one warm-up batch, then batches until S seconds (default 3) have passed; the
// rate is images over wall time. Every backend's first batch is checked against the reference
// (the largest difference is printed).
import { referenceBackend, cpuBackend } from '../gpu-kernels/cpu-backend.ts';
import type { KernelBackend } from '../gpu-kernels/backend.ts';
import { closeGpuDevice, getGpuDevice } from '../gpu-kernels/device/index.ts';
import type { Activation, ProgramStep, TensorProgram } from '../gpu-kernels/program/contract.ts';
import { createReferenceProgramRunner } from '../gpu-kernels/program/cpu.ts';
import { createWebgpuBackend } from '../gpu-kernels/webgpu-backend.ts';
import { rng } from '../examples/data/access-log.ts';
import { arg, printTable } from './util.ts';

const argv = process.argv;
const seconds = Number(arg('seconds', '3'));

/** Builds a uint8-input program step by step, tracking per-sample shapes. */
class Builder {
  readonly steps: ProgramStep[] = [];
  readonly values: Record<string, { shape: number[] }> = {};
  readonly constants: Record<string, { shape: number[]; data: Float32Array }> = {};
  private next = 0;
  private readonly r = rng(7);
  constructor(readonly h: number, readonly w: number, readonly c: number) {
    this.values.img = { shape: [h, w, c] };
    this.values.t0 = { shape: [c, h, w] };
    this.steps.push({ kind: 'image-to-tensor', x: 'img', y: 't0', h, w, c, scale: 1 / 255, mean: Array(c).fill(0.45), std: Array(c).fill(0.225) });
  }
  private id(p: string): string { return `${p}${this.next++}`; }
  private constant(shape: number[], fanIn: number): string {
    const id = this.id('k');
    const s = Math.sqrt(6 / fanIn);
    this.constants[id] = { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (this.r() * 2 - 1) * s) };
    return id;
  }
  shape(x: string): number[] { return this.values[x].shape; }
  conv(x: string, m: number, k: number, stride: number, act: Activation, group = 1): string {
    const [c, h, w] = this.shape(x), p = (k - 1) >> 1;
    const y = this.id('c');
    const oh = Math.floor((h + 2 * p - k) / stride) + 1, ow = Math.floor((w + 2 * p - k) / stride) + 1;
    this.values[y] = { shape: [m, oh, ow] };
    const wId = this.constant([m, c / group, k, k], (c / group) * k * k), b = this.constant([m], 1);
    this.constants[b].data.fill(0.01);
    this.steps.push({ kind: 'conv2d', x, w: wId, b, y, strides: [stride, stride], pads: [p, p, p, p], dilations: [1, 1], group, act });
    return y;
  }
  pool(x: string, mode: 'max' | 'avg', k: number, stride: number): string {
    const [c, h, w] = this.shape(x), y = this.id('p');
    this.values[y] = { shape: [c, Math.floor((h - k) / stride) + 1, Math.floor((w - k) / stride) + 1] };
    this.steps.push({ kind: 'pool2d', mode, x, y, kernel: [k, k], strides: [stride, stride], pads: [0, 0, 0, 0], countIncludePad: false });
    return y;
  }
  add(a: string, b: string): string {
    const y = this.id('a');
    this.values[y] = { shape: this.shape(a) };
    this.steps.push({ kind: 'binary', op: 'add', a, b, y, act: { op: 'none' } });
    return y;
  }
  flatten(x: string): string {
    const y = this.id('f');
    this.values[y] = { shape: [this.shape(x).reduce((a, b) => a * b, 1)] };
    this.steps.push({ kind: 'reshape', x, y });
    return y;
  }
  gemm(x: string, n: number, act: Activation): string {
    const k = this.shape(x)[0], y = this.id('g');
    this.values[y] = { shape: [n] };
    this.steps.push({ kind: 'gemm', x, w: this.constant([n, k], k), b: this.constant([n], 1), y, act });
    return y;
  }
  softmax(x: string): TensorProgram {
    this.values.probs = { shape: this.shape(x) };
    this.steps.push({ kind: 'softmax', x, y: 'probs' });
    return { input: { id: 'img', dtype: 'uint8', shape: [this.h, this.w, this.c] }, values: this.values, constants: this.constants, steps: this.steps, outputs: ['probs'] };
  }
}

const relu: Activation = { op: 'relu' }, relu6: Activation = { op: 'clip', min: 0, max: 6 }, none: Activation = { op: 'none' };

function fmnistCnn(): TensorProgram {
  const b = new Builder(28, 28, 1);
  let x = b.pool(b.conv('t0', 16, 3, 1, relu), 'max', 2, 2);
  x = b.pool(b.conv(x, 32, 3, 1, relu), 'max', 2, 2);
  return b.softmax(b.gemm(b.gemm(b.flatten(x), 128, relu), 10, none));
}

/** MobileNetV2's stem and first inverted-residual stages (to 28x28x32), then a classifier head. */
function mobilenetStack(): TensorProgram {
  const b = new Builder(224, 224, 3);
  let x = b.conv('t0', 32, 3, 2, relu6);
  const block = (cin: number, cout: number, t: number, stride: number) => {
    let h = t === 1 ? x : b.conv(x, cin * t, 1, 1, relu6);
    h = b.conv(h, cin * t, 3, stride, relu6, cin * t);
    h = b.conv(h, cout, 1, 1, none);
    x = stride === 1 && cin === cout ? b.add(x, h) : h;
  };
  block(32, 16, 1, 1);
  block(16, 24, 6, 2);
  block(24, 24, 6, 1);
  block(24, 32, 6, 2);
  block(32, 32, 6, 1);
  block(32, 32, 6, 1);
  x = b.pool(x, 'avg', b.shape(x)[1], 1);
  return b.softmax(b.gemm(b.flatten(x), 10, none));
}

const backends: KernelBackend[] = [];
if (!argv.includes('--no-reference')) backends.push(referenceBackend);
backends.push(cpuBackend);
const gd = argv.includes('--no-gpu') ? null : await getGpuDevice({ gpu: 'auto' });
if (gd) backends.push(createWebgpuBackend(gd, 'f32'));

const rows: Record<string, string | number>[] = [];
for (const [name, program, batch] of [['fmnist-cnn 1x28x28', fmnistCnn(), 256], ['mobilenetv2-stack 3x224x224', mobilenetStack(), 8]] as const) {
  const per = program.input.shape.reduce((a, v) => a * v, 1);
  const r = rng(3);
  const images = Uint8Array.from({ length: batch * per }, () => Math.floor(r() * 256));
  const checkN = Math.min(batch, 4);
  const want = await createReferenceProgramRunner(program).run(images.subarray(0, checkN * per), checkN);
  for (const backend of backends) {
    // The reference is slow: it runs smaller batches.
    const n = backend.name === 'reference' ? Math.max(1, batch >> 4) : batch;
    const runner = await backend.program(program);
    const first = await runner.run(images.subarray(0, checkN * per), checkN);
    let maxDiff = 0;
    for (let i = 0; i < want.probs.length; i++) maxDiff = Math.max(maxDiff, Math.abs(first.probs[i] - want.probs[i]));
    await runner.run(images.subarray(0, n * per), n); // warm-up
    let done = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000 || done === 0) {
      await runner.run(images.subarray(0, n * per), n);
      done += n;
    }
    const s = (performance.now() - t0) / 1000;
    runner.dispose();
    rows.push({ model: name, backend: runner.description, batch: String(n), 'img/s': (done / s).toFixed(1), 'max |p - ref|': maxDiff.toExponential(1) });
    console.log(`${name} on ${runner.description}: ${(done / s).toFixed(1)} img/s (batch ${n}, ${done} images in ${s.toFixed(1)} s)`);
  }
}
printTable(rows);
await closeGpuDevice();
