// Tensor programs: the reference runner on hand-computed steps, program validation, and (below) every backend's runner against the reference on a small CNN.
import { describe, expect, it } from 'vitest';
import { rng } from '../../examples/data/access-log.ts';
import { referenceBackend } from '../../gpu-kernels/cpu-backend.ts';
import { close } from '../../gpu-kernels/kernel.ts';
import type { Activation, ProgramStep, TensorProgram } from '../../gpu-kernels/program/contract.ts';
import { createReferenceProgramRunner } from '../../gpu-kernels/program/cpu.ts';
import { createCpuProgramRunner } from '../../gpu-kernels/program/cpu-fast.ts';
import { testBackends } from './backends.ts';

type Shapes = Record<string, number[]>;

/** A program over float32 input 'x' from steps, value shapes and constants given as [shape, data]. */
function prog(steps: ProgramStep[], values: Shapes, constants: Record<string, [number[], number[]]> = {}, outputs = [steps[steps.length - 1].y], input: TensorProgram['input'] = { id: 'x', dtype: 'float32', shape: values.x }): TensorProgram {
  return {
    input,
    values: Object.fromEntries(Object.entries(values).map(([k, shape]) => [k, { shape }])),
    constants: Object.fromEntries(Object.entries(constants).map(([k, [shape, data]]) => [k, { shape, data: Float32Array.from(data) }])),
    steps,
    outputs,
  };
}

async function run1(p: TensorProgram, x: number[], n = 1): Promise<number[]> {
  const out = await createReferenceProgramRunner(p).run(Float32Array.from(x), n);
  return [...out[p.outputs[0]]].map((v) => +v.toFixed(5));
}

const none: Activation = { op: 'none' };
const conv = (over: Partial<Extract<ProgramStep, { kind: 'conv2d' }>> = {}): ProgramStep => ({
  kind: 'conv2d', x: 'x', w: 'w', b: 'b', y: 'y', strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1, act: none, ...over,
});
const x3x3 = [1, 2, 3, 4, 5, 6, 7, 8, 9];
const ones2x2: Record<string, [number[], number[]]> = { w: [[1, 1, 2, 2], [1, 1, 1, 1]], b: [[1], [1]] };

describe('reference program runner: conv2d', () => {
  it('sums each 2x2 window plus the bias', async () => {
    expect(await run1(prog([conv()], { x: [1, 3, 3], y: [1, 2, 2] }, ones2x2), x3x3)).toEqual([13, 17, 25, 29]);
  });
  it('pads with zeros and strides', async () => {
    expect(await run1(prog([conv({ pads: [1, 1, 1, 1], strides: [2, 2] })], { x: [1, 3, 3], y: [1, 2, 2] }, ones2x2), x3x3)).toEqual([2, 6, 12, 29]);
  });
  it('dilates the kernel', async () => {
    expect(await run1(prog([conv({ dilations: [2, 2] })], { x: [1, 3, 3], y: [1, 1, 1] }, ones2x2), x3x3)).toEqual([21]);
  });
  it('keeps groups apart (depthwise) and mixes channels without groups', async () => {
    const x = { x: [2, 1, 1], y: [2, 1, 1] };
    expect(await run1(prog([conv({ group: 2, b: null })], x, { w: [[2, 1, 1, 1], [10, 100]] }), [2, 3])).toEqual([20, 300]);
    expect(await run1(prog([conv({ b: null })], { x: [2, 1, 1], y: [1, 1, 1] }, { w: [[1, 2, 1, 1], [10, 100]] }), [2, 3])).toEqual([320]);
    // Two samples: the batch axis is outside the per-sample shapes.
    expect(await run1(prog([conv({ group: 2, b: null })], x, { w: [[2, 1, 1, 1], [10, 100]] }), [2, 3, -1, 1], 2)).toEqual([20, 300, -10, 100]);
  });
  it('applies the fused activation after the bias', async () => {
    const p = (act: Activation) => prog([conv({ act })], { x: [1, 1, 4], y: [1, 1, 4] }, { w: [[1, 1, 1, 1], [1]], b: [[1], [-1]] });
    const x = [-3, 0, 1, 9];
    expect(await run1(p({ op: 'relu' }), x)).toEqual([0, 0, 0, 8]);
    expect(await run1(p({ op: 'clip', min: 0, max: 6 }), x)).toEqual([0, 0, 0, 6]);
    expect(await run1(p({ op: 'sigmoid' }), x)).toEqual([0.01799, 0.26894, 0.5, 0.99966]);
    // hardswish(v) = v relu6(v + 3) / 6: -4 -> 0, -1 -> -1/3, 0 -> 0, 8 -> 8
    expect(await run1(p({ op: 'hardswish' }), x)).toEqual([0, -0.33333, 0, 8]);
  });
});

describe('reference program runner: other steps', () => {
  it('max-pools and average-pools, with and without the padding in the count', async () => {
    const x4 = Array.from({ length: 16 }, (_, i) => i);
    const pool = (mode: 'max' | 'avg', kernel: [number, number], strides: [number, number], pads: [number, number, number, number], countIncludePad: boolean): ProgramStep =>
      ({ kind: 'pool2d', mode, x: 'x', y: 'y', kernel, strides, pads, countIncludePad });
    expect(await run1(prog([pool('max', [2, 2], [2, 2], [0, 0, 0, 0], false)], { x: [1, 4, 4], y: [1, 2, 2] }), x4)).toEqual([5, 7, 13, 15]);
    expect(await run1(prog([pool('avg', [2, 2], [2, 2], [0, 0, 0, 0], false)], { x: [1, 4, 4], y: [1, 2, 2] }), x4)).toEqual([2.5, 4.5, 10.5, 12.5]);
    const padded = (cip: boolean) => prog([pool('avg', [3, 3], [1, 1], [1, 1, 1, 1], cip)], { x: [1, 2, 2], y: [1, 2, 2] });
    expect(await run1(padded(false), [1, 2, 3, 4])).toEqual([2.5, 2.5, 2.5, 2.5]);
    expect(await run1(padded(true), [1, 2, 3, 4])).toEqual([1.11111, 1.11111, 1.11111, 1.11111]);
    expect(await run1(prog([pool('max', [3, 3], [1, 1], [1, 1, 1, 1], false)], { x: [1, 2, 2], y: [1, 2, 2] }), [-1, -2, -3, -4])).toEqual([-1, -1, -1, -1]);
  });
  it('gemm flattens x and computes act(x w^T + b)', async () => {
    const p = prog([{ kind: 'gemm', x: 'x', w: 'w', b: 'b', y: 'y', act: { op: 'relu' } }], { x: [1, 2], y: [2] }, { w: [[2, 2], [1, 2, 3, 4]], b: [[2], [0.5, -100]] });
    expect(await run1(p, [1, 1, 2, 0], 2)).toEqual([3.5, 0, 2.5, 0]);
  });
  it('binary broadcasts a per-channel constant and a scalar, and adds two values', async () => {
    const bin = (op: 'add' | 'mul', a: string, b: string, act: Activation = none): ProgramStep => ({ kind: 'binary', op, a, b, y: 'y', act });
    const values = { x: [2, 1, 2], y: [2, 1, 2] };
    expect(await run1(prog([bin('add', 'x', 'c')], values, { c: [[2, 1, 1], [10, 20]] }), [1, 2, 3, 4, 5, 6, 7, 8], 2)).toEqual([11, 12, 23, 24, 15, 16, 27, 28]);
    expect(await run1(prog([bin('mul', 'c', 'x')], values, { c: [[1, 2, 1, 1], [10, 20]] }), [1, 2, 3, 4])).toEqual([10, 20, 60, 80]);
    expect(await run1(prog([bin('mul', 'x', 's', { op: 'relu' })], values, { s: [[1], [-2]] }), [1, -2, 3, -4])).toEqual([0, 4, 0, 8]);
    const res = prog([{ kind: 'activation', x: 'x', y: 'r', act: { op: 'relu' } }, bin('add', 'x', 'r')], { x: [3], r: [3], y: [3] });
    expect(await run1(res, [-1, 2, 0])).toEqual([-1, 4, 0]);
  });
  it('concatenates along channels and along a later axis', async () => {
    const values = { x: [1, 2], z: [2, 2], y: [3, 2] };
    const p = prog([{ kind: 'activation', x: 'x', y: 'z', act: none }, { kind: 'concat', xs: ['x', 'z'], y: 'y', axis: 1 }], { ...values, z: [1, 2], y: [2, 2] });
    expect(await run1(p, [1, 2, 3, 4], 2)).toEqual([1, 2, 1, 2, 3, 4, 3, 4]);
    const q = prog([{ kind: 'activation', x: 'x', y: 'z', act: none }, { kind: 'concat', xs: ['x', 'z'], y: 'y', axis: 2 }], { x: [1, 2], z: [1, 2], y: [1, 4] });
    expect(await run1(q, [1, 2, 3, 4], 2)).toEqual([1, 2, 1, 2, 3, 4, 3, 4]);
  });
  it('softmax over the last axis, reshape, image-to-tensor', async () => {
    expect(await run1(prog([{ kind: 'softmax', x: 'x', y: 'y' }], { x: [2, 2], y: [2, 2] }), [0, Math.log(3), 1, 1])).toEqual([0.25, 0.75, 0.5, 0.5]);
    const r = prog([{ kind: 'reshape', x: 'x', y: 'y' }, { kind: 'softmax', x: 'y', y: 's' }], { x: [1, 2, 1], y: [2], s: [2] });
    expect(await run1(r, [0, 0])).toEqual([0.5, 0.5]);
    const img = prog([{ kind: 'image-to-tensor', x: 'x', y: 'y', h: 1, w: 2, c: 3, scale: 1 / 255, mean: [0, 0.5, 1], std: [1, 0.5, 2] }], { x: [1, 2, 3], y: [3, 1, 2] }, {}, ['y'], { id: 'x', dtype: 'uint8', shape: [1, 2, 3] });
    const out = await createReferenceProgramRunner(img).run(Uint8Array.from([0, 255, 51, 255, 0, 102]), 1);
    expect([...out.y].map((v) => +v.toFixed(5))).toEqual([0, 1, 1, -1, -0.4, -0.3]);
  });
  it('takes n = 0 and returns empty outputs; rejects after dispose()', async () => {
    const p = prog([conv({ act: { op: 'relu' } })], { x: [1, 3, 3], y: [1, 2, 2] }, ones2x2);
    const r = createReferenceProgramRunner(p);
    expect((await r.run(new Float32Array(0), 0)).y).toEqual(new Float32Array(0));
    r.dispose();
    await expect(r.run(new Float32Array(9), 1)).rejects.toThrow(/dispose/);
  });
  it('rejects an input of the wrong type or length', async () => {
    const r = createReferenceProgramRunner(prog([conv()], { x: [1, 3, 3], y: [1, 2, 2] }, ones2x2));
    await expect(r.run(new Float32Array(10), 1)).rejects.toThrow(/input has 10 elements, expected n x 9 = 9/);
    await expect(r.run(new Uint8Array(9), 1)).rejects.toThrow(TypeError);
  });
});

describe('program validation', () => {
  const good = () => prog([conv()], { x: [1, 3, 3], y: [1, 2, 2] }, ones2x2);
  it.each<[string, (p: TensorProgram) => TensorProgram, RegExp]>([
    ['an unknown input tensor', (p) => ({ ...p, steps: [conv({ x: 'nope' })] }), /step 0 \(conv2d -> 'y'\): x 'nope' is not in values/],
    ['a value declared with the wrong shape', (p) => ({ ...p, values: { ...p.values, y: { shape: [1, 3, 3] } } }), /step 0 \(conv2d -> 'y'\): output 'y' is declared \[1, 3, 3\] but the step makes \[1, 2, 2\]/],
    ['a constant of the wrong size', (p) => ({ ...p, constants: { ...p.constants, w: { shape: [1, 1, 2, 2], data: new Float32Array(3) } } }), /constant 'w' has 3 elements, expected 4/],
    ['a bias of the wrong shape', (p) => ({ ...p, constants: { ...p.constants, b: { shape: [2], data: new Float32Array(2) } } }), /step 0 .*b 'b' has shape \[2\], expected \[1\]/],
    ['a weight that is not a constant', (p) => ({ ...p, steps: [conv({ w: 'x' })] }), /step 0 .*w 'x' is not a constant/],
    ['a group that does not divide C', (p) => ({ ...p, values: { x: { shape: [3, 3, 3] }, y: p.values.y }, input: { ...p.input, shape: [3, 3, 3] }, steps: [conv({ group: 2 })] }), /group 2 must divide C = 3/],
    ['a second writer of a tensor', (p) => ({ ...p, steps: [conv(), conv()] }), /step 1 \(conv2d -> 'y'\): output 'y' is already written/],
    ['an id both value and constant', (p) => ({ ...p, values: { ...p.values, w: { shape: [1] } } }), /id 'w' is both a value and a constant/],
    ['an output nobody writes', (p) => ({ ...p, values: { ...p.values, z: { shape: [1] } }, outputs: ['z'] }), /output 'z' is written by no step/],
    ['a read before the write', (p) => ({ ...p, values: { ...p.values, z: { shape: [1, 2, 2] } }, steps: [{ kind: 'activation', x: 'z', y: 'q', act: none }, ...p.steps], outputs: ['y'] }), /step 0 .*output 'q' is not in values/],
    ['a pool pad as large as the kernel', (p) => ({ ...p, steps: [{ kind: 'pool2d', mode: 'max', x: 'x', y: 'y', kernel: [2, 2], strides: [1, 1], pads: [2, 0, 0, 0], countIncludePad: false }] }), /step 0 \(pool2d -> 'y'\): pads \[2, 0, 0, 0\]/],
    ['a constant over the batch axis', (p) => ({ ...p, constants: { ...p.constants, c: { shape: [2, 1, 2, 2], data: new Float32Array(8) } }, steps: [{ kind: 'binary', op: 'add', a: 'x', b: 'c', y: 'y', act: none }], values: { x: p.values.x, y: { shape: [1, 3, 3] } } }), /constant 'c' \[2, 1, 2, 2\] would broadcast over the batch axis/],
    ['shapes that do not broadcast', (p) => ({ ...p, constants: { c: { shape: [2], data: new Float32Array(2) } }, steps: [{ kind: 'binary', op: 'add', a: 'x', b: 'c', y: 'y', act: none }], values: { x: p.values.x, y: { shape: [1, 3, 3] } } }), /step 0 \(binary -> 'y'\): eltwise: shapes \[1, 3, 3\] and \[2\] do not broadcast/],
    ['a uint8 input read by conv2d', (p) => ({ ...p, input: { ...p.input, dtype: 'uint8' } }), /step 0 .*x 'x' is the uint8 input; only image-to-tensor reads it/],
  ])('rejects %s with a RangeError naming it', (_, edit, msg) => {
    expect(() => createReferenceProgramRunner(good())).not.toThrow();
    expect(() => createReferenceProgramRunner(edit(good()))).toThrow(RangeError);
    expect(() => createReferenceProgramRunner(edit(good()))).toThrow(msg);
  });
});


const backends = [referenceBackend, ...(await testBackends())];

/** A small CNN over uint8 10x10 RGB images: every step kind, both conv kernels, a residual add, a concat, and a gemm whose k is not a multiple of 4. */
function smallCnn(seed: number): TensorProgram {
  const r = rng(seed);
  const constants: Record<string, [number[], number[]]> = {};
  const add = (id: string, shape: number[], fanIn: number) => {
    constants[id] = [shape, Array.from({ length: shape.reduce((p, v) => p * v, 1) }, () => (r() * 2 - 1) * Math.sqrt(3 / fanIn))];
  };
  add('w1', [8, 3, 3, 3], 27); add('b1', [8], 27);
  add('wd', [8, 1, 3, 3], 9); add('bd', [8], 9);
  add('wp', [8, 8, 1, 1], 8);
  add('sc', [8, 1, 1], 1);
  add('w2', [6, 16, 3, 3], 144); add('b2', [6], 144);
  add('wf', [5, 6], 6); add('bf', [5], 6);
  add('wo', [4, 5], 5);
  const c3 = (x: string, w: string, b: string | null, y: string, act: Activation, over: Partial<Extract<ProgramStep, { kind: 'conv2d' }>> = {}): ProgramStep =>
    ({ kind: 'conv2d', x, w, b, y, strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1, act, ...over });
  const steps: ProgramStep[] = [
    { kind: 'image-to-tensor', x: 'img', y: 't0', h: 10, w: 10, c: 3, scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    c3('t0', 'w1', 'b1', 'c1', { op: 'relu' }),
    c3('c1', 'wd', 'bd', 'd1', { op: 'clip', min: 0, max: 6 }, { group: 8, strides: [2, 2] }),
    c3('d1', 'wp', null, 'p1', none, { pads: [0, 0, 0, 0] }),
    { kind: 'pool2d', mode: 'max', x: 'c1', y: 'm1', kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], countIncludePad: false },
    { kind: 'binary', op: 'add', a: 'p1', b: 'm1', y: 'r1', act: { op: 'relu' } },
    { kind: 'binary', op: 'mul', a: 'r1', b: 'sc', y: 's1', act: none },
    { kind: 'concat', xs: ['r1', 's1'], y: 'cat', axis: 1 },
    c3('cat', 'w2', 'b2', 'c2', { op: 'hardswish' }, { pads: [0, 0, 0, 0] }),
    { kind: 'pool2d', mode: 'avg', x: 'c2', y: 'g', kernel: [3, 3], strides: [1, 1], pads: [0, 0, 0, 0], countIncludePad: false },
    { kind: 'reshape', x: 'g', y: 'f' },
    { kind: 'gemm', x: 'f', w: 'wf', b: 'bf', y: 'h', act: { op: 'sigmoid' } },
    { kind: 'activation', x: 'h', y: 'h2', act: { op: 'clip', min: 0.1, max: 0.9 } },
    { kind: 'gemm', x: 'h2', w: 'wo', b: null, y: 'logits', act: none },
    { kind: 'softmax', x: 'logits', y: 'probs' },
  ];
  const values: Shapes = { img: [10, 10, 3], t0: [3, 10, 10], c1: [8, 10, 10], d1: [8, 5, 5], p1: [8, 5, 5], m1: [8, 5, 5], r1: [8, 5, 5], s1: [8, 5, 5], cat: [16, 5, 5], c2: [6, 3, 3], g: [6, 1, 1], f: [6], h: [5], h2: [5], logits: [4], probs: [4] };
  return prog(steps, values, constants, ['probs', 'f'], { id: 'img', dtype: 'uint8', shape: [10, 10, 3] });
}

function images(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  return Uint8Array.from({ length: n * 300 }, () => Math.floor(r() * 256));
}

/** Steps compound their kernels' rounding: 1e-4 of max(1, |ref|) is far above f32 noise here and far below any indexing mistake. */
function differs(got: Record<string, Float32Array>, want: Record<string, Float32Array>): string | null {
  for (const id of Object.keys(want)) {
    if (got[id].length !== want[id].length) return `${id}: length ${got[id].length}, expected ${want[id].length}`;
    for (let i = 0; i < want[id].length; i++) if (!close(got[id][i], want[id][i], 1e-4 * Math.max(1, Math.abs(want[id][i])))) return `${id}[${i}] = ${got[id][i]}, expected ${want[id][i]}`;
  }
  return null;
}

describe.each(backends.map((b) => [b.description, b] as const))('a small CNN program on %s', (_, backend) => {
  const p = smallCnn(1);
  const ref = createReferenceProgramRunner(p);
  it('matches the reference for batches of 0, 1 and 7', async () => {
    const runner = await backend.program(p);
    for (const n of [0, 1, 7]) {
      const x = images(n, 10 + n);
      expect(differs(await runner.run(x, n), await ref.run(x, n))).toBeNull();
    }
    runner.dispose();
    await expect(runner.run(images(1, 1), 1)).rejects.toThrow(/dispose/);
  });
  it('keeps overlapping runs apart, and reads images from a SharedArrayBuffer', async () => {
    const runner = await backend.program(p);
    const xs = [3, 1, 5].map((n, i) => images(n, 30 + i));
    const got = await Promise.all(xs.map((x) => runner.run(x, x.length / 300)));
    for (const [i, x] of xs.entries()) expect(differs(got[i], await ref.run(x, x.length / 300))).toBeNull();
    const shared = new Uint8Array(new SharedArrayBuffer(xs[2].length));
    shared.set(xs[2]);
    expect(differs(await runner.run(shared, 5), await ref.run(xs[2], 5))).toBeNull();
    runner.dispose();
  });
  it('returns intermediate tensors that later steps still read as outputs too (their buffers kept to the end)', async () => {
    const q: TensorProgram = { ...p, outputs: ['probs', 'c1', 'r1', 'h', 'f'] };
    const runner = await backend.program(q);
    const x = images(5, 70);
    const got = await runner.run(x, 5);
    expect(Object.keys(got).sort()).toEqual(['c1', 'f', 'h', 'probs', 'r1']);
    expect(differs(got, await createReferenceProgramRunner(q).run(x, 5))).toBeNull();
    runner.dispose();
  });
  it('runs a float32-input program (no image step) and rejects an invalid one naming the step', async () => {
    const q = prog([{ kind: 'gemm', x: 'x', w: 'w', b: 'b', y: 'y', act: { op: 'hardswish' } }], { x: [2, 3], y: [3] }, { w: [[3, 6], Array.from({ length: 18 }, (_, i) => (i % 7) - 3)], b: [[3], [0.5, -1, 2]] });
    const runner = await backend.program(q);
    const x = Float32Array.from({ length: 5 * 6 }, (_, i) => Math.sin(i));
    expect(differs(await runner.run(x, 5), await createReferenceProgramRunner(q).run(x, 5))).toBeNull();
    runner.dispose();
    await expect(backend.program({ ...q, values: { ...q.values, y: { shape: [4] } } })).rejects.toThrow(/step 0 \(gemm -> 'y'\): output 'y' is declared \[4\] but the step makes \[3\]/);
  });
});

describe('the fast CPU runner', () => {
  it('runs a batch in several chunks (3 samples each, the last partial) and across runs of other sizes, as the reference', async () => {
    const p = smallCnn(2);
    const ref = createReferenceProgramRunner(p), runner = createCpuProgramRunner(p, { maxChunk: 3 });
    for (const n of [7, 3, 1, 10]) {
      const x = images(n, 50 + n);
      expect(differs(await runner.run(x, n), await ref.run(x, n))).toBeNull();
    }
    runner.dispose();
  });
  it('returns fresh output arrays: a later run does not change an earlier result', async () => {
    const p = smallCnn(3);
    const runner = createCpuProgramRunner(p);
    const a = images(2, 60), first = await runner.run(a, 2);
    const copy = Float32Array.from(first.probs);
    await runner.run(images(2, 61), 2);
    expect(first.probs).toEqual(copy);
    runner.dispose();
  });
});
