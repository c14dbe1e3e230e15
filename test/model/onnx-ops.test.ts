// ONNX ops compiled by compileOnnx and run by the reference runner agree with onnxruntime-node on random inputs, op by op and as a MobileNet-like block.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { float, int, ints, OnnxGraph } from '../../bench/lib/onnx-graph.ts';
import { rng } from '../../examples/data/access-log.ts';
import { createReferenceProgramRunner } from '../../gpu-kernels/program/cpu.ts';
import type { TensorProgram } from '../../gpu-kernels/program/contract.ts';
import { compileOnnx, loadOnnx, type CompileOptions } from '../../ops/model/onnx/index.ts';

const product = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function randoms(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** A graph builder with a seeded source of weights. */
function graph(opset = 13, seed = 1): { g: OnnxGraph; weights: (name: string, dims: number[], lo?: number, hi?: number) => void } {
  const g = new OnnxGraph({ opset });
  let s = seed * 1000;
  return { g, weights: (name, dims, lo = -1, hi = 1) => void g.initializer(name, dims, randoms(product(dims), ++s, lo, hi)) };
}

/** max |got - want| / (atol + rtol |want|) over all elements; <= 1 passes. */
function worst(got: Float32Array, want: Float32Array, atol = 1e-4, rtol = 1e-4): number {
  expect(got.length).toBe(want.length);
  let w = 0;
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(got[i]) || Number.isNaN(want[i])) { w = Math.max(w, Number.isNaN(got[i]) === Number.isNaN(want[i]) ? 0 : Infinity); continue; }
    w = Math.max(w, Math.abs(got[i] - want[i]) / (atol + rtol * Math.abs(want[i])));
  }
  return w;
}

/**
 * Compiles `g`, runs it on n random samples of the input `inputShape` (per sample) with the
 * reference runner and with ORT, and expects every output to agree. Returns the program.
 */
async function agree(g: OnnxGraph, inputShape: number[], opts: CompileOptions & { n?: number; seed?: number; atol?: number } = {}): Promise<TensorProgram> {
  const bytes = g.toBytes();
  const model = loadOnnx(bytes, 'case.onnx');
  const program = compileOnnx(model, opts);
  const n = opts.n ?? 3;
  const x = randoms(n * product(inputShape), opts.seed ?? 99, -2, 2);
  const session = await ort.InferenceSession.create(bytes);
  const runner = createReferenceProgramRunner(program);
  try {
    const want = await session.run({ [model.inputs[0].name]: new ort.Tensor('float32', x, [n, ...inputShape]) }, [...program.outputs]);
    const got = await runner.run(x, n);
    for (const o of program.outputs) {
      expect(want[o].dims, `output '${o}' shape`).toEqual([n, ...program.values[o].shape]);
      const w = worst(got[o], want[o].data as Float32Array, opts.atol);
      expect(w, `output '${o}': worst error ratio`).toBeLessThanOrEqual(1);
    }
  } finally {
    runner.dispose();
    await session.release();
  }
  return program;
}

const kinds = (p: TensorProgram) => p.steps.map((s) => s.kind);

describe('Conv against onnxruntime', () => {
  const cases: { name: string; x: number[]; w: number[]; attrs: Record<string, ReturnType<typeof int>>; bias?: boolean }[] = [
    { name: '3x3, pads 1, bias', x: [3, 7, 6], w: [4, 3, 3, 3], attrs: { pads: ints([1, 1, 1, 1]) }, bias: true },
    { name: 'stride 2, asymmetric pads', x: [2, 9, 8], w: [5, 2, 3, 3], attrs: { strides: ints([2, 2]), pads: ints([1, 0, 2, 1]) } },
    { name: 'strides 1x2, 1x3 kernel', x: [2, 5, 9], w: [3, 2, 1, 3], attrs: { strides: ints([1, 2]) }, bias: true },
    { name: 'dilation 2', x: [2, 9, 9], w: [3, 2, 3, 3], attrs: { dilations: ints([2, 2]), pads: ints([2, 2, 2, 2]) } },
    { name: 'groups 2', x: [4, 6, 6], w: [6, 2, 3, 3], attrs: { group: int(2), pads: ints([1, 1, 1, 1]) }, bias: true },
    { name: 'depthwise', x: [5, 7, 7], w: [5, 1, 3, 3], attrs: { group: int(5), pads: ints([1, 1, 1, 1]), strides: ints([2, 2]) }, bias: true },
    { name: 'depthwise, multiplier 2', x: [3, 6, 6], w: [6, 1, 3, 3], attrs: { group: int(3) } },
    { name: 'auto_pad VALID', x: [2, 7, 7], w: [3, 2, 3, 3], attrs: { auto_pad: { type: 'string', value: 'VALID' } as never, strides: ints([2, 2]) } },
    { name: 'auto_pad SAME_UPPER, even kernel', x: [2, 7, 6], w: [3, 2, 4, 4], attrs: { auto_pad: { type: 'string', value: 'SAME_UPPER' } as never } },
    { name: 'auto_pad SAME_LOWER, even kernel', x: [2, 7, 6], w: [3, 2, 4, 4], attrs: { auto_pad: { type: 'string', value: 'SAME_LOWER' } as never } },
    { name: 'auto_pad SAME_UPPER, stride 2', x: [2, 7, 8], w: [3, 2, 3, 3], attrs: { auto_pad: { type: 'string', value: 'SAME_UPPER' } as never, strides: ints([2, 2]) }, bias: true },
    { name: '1x1 pointwise, kernel_shape given', x: [8, 4, 4], w: [4, 8, 1, 1], attrs: { kernel_shape: ints([1, 1]) } },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { g, weights } = graph();
      weights('w', c.w);
      if (c.bias) weights('b', [c.w[0]]);
      g.input('x', ['N', ...c.x]).node('Conv', ['x', 'w', ...(c.bias ? ['b'] : [])], ['y'], c.attrs).output('y');
      const p = await agree(g, c.x);
      expect(kinds(p)).toEqual(['conv2d']);
    });
  }
});

describe('BatchNormalization', () => {
  function bn(g: OnnxGraph, weights: ReturnType<typeof graph>['weights'], x: string, y: string, c: number, prefix: string): void {
    weights(`${prefix}_s`, [c], 0.5, 1.5);
    weights(`${prefix}_b`, [c]);
    weights(`${prefix}_m`, [c]);
    weights(`${prefix}_v`, [c], 0.1, 2);
    g.node('BatchNormalization', [x, `${prefix}_s`, `${prefix}_b`, `${prefix}_m`, `${prefix}_v`], [y], { epsilon: float(1e-3) });
  }

  it('folds into the Conv before it (compared with ORT running the unfolded graph), and the Relu after fuses too', async () => {
    const { g, weights } = graph();
    weights('w', [4, 3, 3, 3]);
    weights('b', [4]);
    g.input('x', ['N', 3, 6, 6]).node('Conv', ['x', 'w', 'b'], ['c'], { pads: ints([1, 1, 1, 1]) });
    bn(g, weights, 'c', 'n', 4, 'bn');
    g.node('Relu', ['n'], ['y']).output('y');
    const p = await agree(g, [3, 6, 6]);
    expect(kinds(p)).toEqual(['conv2d']);
    expect(p.steps[0]).toMatchObject({ act: { op: 'relu' }, y: 'y' });
  });

  it('folds into a Conv without bias and into a Gemm', async () => {
    const { g, weights } = graph();
    weights('w', [4, 2, 3, 3]);
    weights('fc', [5, 4 * 4 * 4]);
    g.input('x', ['N', 2, 6, 6]).node('Conv', ['x', 'w'], ['c']);
    bn(g, weights, 'c', 'n', 4, 'bn1');
    g.node('Flatten', ['n'], ['f']).node('Gemm', ['f', 'fc'], ['z'], { transB: int(1) });
    bn(g, weights, 'z', 'y', 5, 'bn2');
    g.output('y');
    const p = await agree(g, [2, 6, 6]);
    expect(kinds(p)).toEqual(['conv2d', 'reshape', 'gemm']);
  });

  it('becomes a per-channel mul and add when no Conv feeds it alone', async () => {
    const { g, weights } = graph();
    weights('w', [3, 3, 1, 1]);
    g.input('x', ['N', 3, 4, 5]).node('Conv', ['x', 'w'], ['c']);
    bn(g, weights, 'x', 'n0', 3, 'bn0'); // straight on the input
    bn(g, weights, 'c', 'n1', 3, 'bn1'); // the conv output is also a graph output
    g.node('Add', ['n0', 'n1'], ['y']).output('y').output('c');
    const p = await agree(g, [3, 4, 5]);
    expect(kinds(p).filter((k) => k === 'binary')).toHaveLength(5);
    expect(kinds(p)).toContain('conv2d');
  });
});

describe('pooling', () => {
  const str = (value: string) => ({ type: 'string', value }) as const;
  const cases: { name: string; op: string; x: number[]; attrs: Record<string, ReturnType<typeof int> | ReturnType<typeof str>> }[] = [
    { name: 'MaxPool 3x3 stride 2 pads 1', op: 'MaxPool', x: [3, 9, 8], attrs: { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) } },
    { name: 'MaxPool 2x2 stride 2', op: 'MaxPool', x: [2, 8, 8], attrs: { kernel_shape: ints([2, 2]), strides: ints([2, 2]) } },
    { name: 'MaxPool ceil_mode 1', op: 'MaxPool', x: [2, 7, 8], attrs: { kernel_shape: ints([3, 3]), strides: ints([2, 2]), ceil_mode: int(1) } },
    { name: 'MaxPool ceil_mode 1 with pads (a window starting in the padding is dropped)', op: 'MaxPool', x: [1, 5, 5], attrs: { kernel_shape: ints([2, 2]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]), ceil_mode: int(1) } },
    { name: 'MaxPool SAME_UPPER', op: 'MaxPool', x: [2, 7, 6], attrs: { kernel_shape: ints([3, 3]), strides: ints([2, 2]), auto_pad: str('SAME_UPPER') } },
    { name: 'AveragePool pads, count_include_pad 0', op: 'AveragePool', x: [2, 7, 7], attrs: { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) } },
    { name: 'AveragePool pads, count_include_pad 1', op: 'AveragePool', x: [2, 7, 7], attrs: { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 0, 1, 2]), count_include_pad: int(1) } },
    { name: 'AveragePool ceil_mode 1', op: 'AveragePool', x: [2, 6, 7], attrs: { kernel_shape: ints([3, 3]), strides: ints([2, 2]), ceil_mode: int(1) } },
    { name: 'GlobalAveragePool', op: 'GlobalAveragePool', x: [4, 5, 3], attrs: {} },
    { name: 'GlobalMaxPool', op: 'GlobalMaxPool', x: [4, 5, 3], attrs: {} },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { g } = graph();
      g.input('x', ['N', ...c.x]).node(c.op, ['x'], ['y'], c.attrs).output('y');
      const p = await agree(g, c.x);
      expect(kinds(p)).toEqual(['pool2d']);
    });
  }
});

describe('activations', () => {
  const acts: { name: string; opset: number; build: (g: OnnxGraph, x: string, y: string) => void; op: string }[] = [
    { name: 'Relu', opset: 13, op: 'relu', build: (g, x, y) => g.node('Relu', [x], [y]) },
    { name: 'ReLU6 as Clip with constant inputs (opset 13)', opset: 13, op: 'clip', build: (g, x, y) => g.initializer('lo', [], [0]).initializer('hi', [], [6]).node('Clip', [x, 'lo', 'hi'], [y]) },
    { name: 'Clip with only a max (opset 12)', opset: 12, op: 'clip', build: (g, x, y) => g.initializer('hi', [], [0.5]).node('Clip', [x, '', 'hi'], [y]) },
    { name: 'Clip with attributes (opset 10)', opset: 10, op: 'clip', build: (g, x, y) => g.node('Clip', [x], [y], { min: float(-0.5), max: float(1) }) },
    { name: 'Sigmoid', opset: 13, op: 'sigmoid', build: (g, x, y) => g.node('Sigmoid', [x], [y]) },
    { name: 'HardSwish (opset 14)', opset: 14, op: 'hardswish', build: (g, x, y) => g.node('HardSwish', [x], [y]) },
  ];
  for (const a of acts) {
    it(`${a.name} fuses into the Conv before it`, async () => {
      const { g, weights } = graph(a.opset);
      weights('w', [3, 2, 3, 3], -2, 2);
      g.input('x', ['N', 2, 5, 5]).node('Conv', ['x', 'w'], ['c']);
      a.build(g, 'c', 'y');
      g.output('y');
      const p = await agree(g, [2, 5, 5]);
      expect(kinds(p)).toEqual(['conv2d']);
      expect(p.steps[0]).toMatchObject({ act: { op: a.op } });
    });
  }

  it('stays a step of its own when its input has another reader or is an output', async () => {
    const { g, weights } = graph();
    weights('w', [3, 2, 3, 3]);
    weights('fc', [4, 3 * 3 * 3]);
    g.input('x', ['N', 2, 5, 5])
      .node('Conv', ['x', 'w'], ['c'])
      .node('Relu', ['c'], ['r'])
      .node('Add', ['r', 'c'], ['s'])
      .node('Flatten', ['s'], ['f'])
      .node('Gemm', ['f', 'fc'], ['z'], { transB: int(1) })
      .node('Sigmoid', ['z'], ['y'])
      .output('y').output('z');
    const p = await agree(g, [2, 5, 5]);
    expect(kinds(p)).toEqual(['conv2d', 'activation', 'binary', 'reshape', 'gemm', 'activation']);
  });

  it('fuses into a residual Add', async () => {
    const { g, weights } = graph();
    weights('w', [2, 2, 3, 3]);
    g.input('x', ['N', 2, 5, 5])
      .node('Conv', ['x', 'w'], ['c'], { pads: ints([1, 1, 1, 1]) })
      .node('Add', ['c', 'x'], ['s'])
      .node('Relu', ['s'], ['y'])
      .output('y');
    const p = await agree(g, [2, 5, 5]);
    expect(kinds(p)).toEqual(['conv2d', 'binary']);
    expect(p.steps[1]).toMatchObject({ op: 'add', act: { op: 'relu' } });
  });
});

describe('elementwise with constants, concat, reshape', () => {
  it('Add, Mul, Sub and Div with constants of several broadcast shapes', async () => {
    const { g, weights } = graph();
    weights('c1', [1, 3, 1, 1]);
    weights('c2', [3, 1, 1]);
    weights('c3', [4]);
    weights('c4', [], 0.5, 2);
    g.input('x', ['N', 3, 2, 4])
      .node('Add', ['x', 'c1'], ['a'])
      .node('Mul', ['c2', 'a'], ['b'])
      .node('Sub', ['b', 'c3'], ['c'])
      .node('Div', ['c', 'c4'], ['y'])
      .output('y');
    const p = await agree(g, [3, 2, 4]);
    expect(kinds(p)).toEqual(['binary', 'binary', 'binary', 'binary']);
  });

  it('folds arithmetic on constants only', async () => {
    const { g, weights } = graph();
    weights('k1', [3, 1, 1]);
    weights('k2', [1]);
    g.input('x', ['N', 3, 2, 2]).node('Mul', ['k1', 'k2'], ['k']).node('Add', ['x', 'k'], ['y']).output('y');
    const p = await agree(g, [3, 2, 2]);
    expect(kinds(p)).toEqual(['binary']);
  });

  it('Concat along channels and along the last axis', async () => {
    const { g, weights } = graph();
    weights('w1', [2, 3, 1, 1]);
    weights('w2', [4, 3, 3, 3]);
    g.input('x', ['N', 3, 4, 4])
      .node('Conv', ['x', 'w1'], ['a'])
      .node('Conv', ['x', 'w2'], ['b'], { pads: ints([1, 1, 1, 1]) })
      .node('Concat', ['a', 'b', 'x'], ['c'], { axis: int(1) })
      .node('Concat', ['c', 'c'], ['y'], { axis: int(-1) })
      .output('y');
    const p = await agree(g, [3, 4, 4]);
    expect(p.values.y.shape).toEqual([9, 4, 8]);
  });

  it('Reshape (0 and -1, an int64 initializer and a Constant node), Flatten, Squeeze, Unsqueeze, trivial Transpose', async () => {
    const { g } = graph(13);
    g.input('x', ['N', 2, 3, 4])
      .initializer('s1', [3], [0, 6, -1], 'int64', { encoding: 'typed' })
      .node('Reshape', ['x', 's1'], ['r1'])
      .node('Constant', [], ['s2'], { value: { type: 'tensor', value: { dims: [2], dtype: 'int64', data: [-1, 24] } } })
      .node('Reshape', ['r1', 's2'], ['r2'])
      .initializer('ax', [2], [2, 3], 'int64')
      .node('Unsqueeze', ['r2', 'ax'], ['u'])
      .node('Transpose', ['u'], ['t'], { perm: ints([0, 2, 1, 3]) })
      .initializer('ax2', [1], [1], 'int64')
      .node('Squeeze', ['t', 'ax2'], ['q'])
      .node('Flatten', ['q'], ['y'])
      .output('y');
    const p = await agree(g, [2, 3, 4]);
    expect(p.values.y.shape).toEqual([24]);
    expect(new Set(kinds(p))).toEqual(new Set(['reshape']));
  });

  it("x.view(x.size(0), -1) as PyTorch exports it: Shape -> Gather -> Unsqueeze -> Concat -> Reshape, folded at load", async () => {
    const { g, weights } = graph(13);
    weights('fc', [5, 36]);
    g.input('x', ['N', 4, 3, 3])
      .node('Shape', ['x'], ['shape'])
      .initializer('zero', [], [0], 'int64')
      .node('Gather', ['shape', 'zero'], ['batch'], { axis: int(0) })
      .initializer('axes0', [1], [0], 'int64')
      .node('Unsqueeze', ['batch', 'axes0'], ['batch1'])
      .node('Constant', [], ['minus1'], { value: { type: 'tensor', value: { dims: [1], dtype: 'int64', data: [-1] } } })
      .node('Concat', ['batch1', 'minus1'], ['target'], { axis: int(0) })
      .node('Reshape', ['x', 'target'], ['flat'])
      .node('Gemm', ['flat', 'fc'], ['y'], { transB: int(1) })
      .output('y');
    const p = await agree(g, [4, 3, 3]);
    expect(kinds(p)).toEqual(['reshape', 'gemm']);
  });

  it('Identity and Dropout vanish', async () => {
    const { g, weights } = graph(13);
    weights('w', [3, 2, 3, 3]);
    g.input('x', ['N', 2, 5, 5])
      .node('Identity', ['x'], ['i'])
      .node('Conv', ['i', 'w'], ['c'])
      .initializer('ratio', [], [0.5])
      .rawInitializer({ name: 'training', dims: [], dataType: 9, rawData: Uint8Array.of(0) })
      .node('Dropout', ['c', 'ratio', 'training'], ['d', 'mask'])
      .node('Relu', ['d'], ['y'])
      .output('y');
    const p = await agree(g, [2, 5, 5]);
    expect(kinds(p)).toEqual(['conv2d']);
  });
});

describe('Gemm, MatMul, Softmax', () => {
  for (const transB of [0, 1]) {
    it(`Gemm transB = ${transB}, alpha and beta, bias [n] and [1, n]`, async () => {
      const { g, weights } = graph();
      weights('b1', transB ? [5, 7] : [7, 5]);
      weights('c1', [5]);
      weights('b2', transB ? [3, 5] : [5, 3]);
      weights('c2', [1, 3]);
      g.input('x', ['N', 7])
        .node('Gemm', ['x', 'b1', 'c1'], ['h'], { transB: int(transB) })
        .node('Gemm', ['h', 'b2', 'c2'], ['y'], { transB: int(transB), alpha: float(0.5), beta: float(2) })
        .output('y');
      const p = await agree(g, [7], { n: 4 });
      expect(kinds(p)).toEqual(['gemm', 'gemm']);
    });
  }

  it('MatMul with a constant right side, then Add of a bias', async () => {
    const { g, weights } = graph();
    weights('w', [6, 4]);
    weights('b', [4]);
    g.input('x', ['N', 6]).node('MatMul', ['x', 'w'], ['m']).node('Add', ['m', 'b'], ['y']).output('y');
    const p = await agree(g, [6], { n: 5 });
    expect(kinds(p)).toEqual(['gemm', 'binary']);
  });

  it('Softmax over the last axis (opset 13)', async () => {
    const { g } = graph(13);
    g.input('x', ['N', 3, 5]).node('Softmax', ['x'], ['y'], { axis: int(2) }).output('y');
    const p = await agree(g, [3, 5]);
    expect(kinds(p)).toEqual(['softmax']);
  });

  it('Softmax axis 1 over [N, C, H, W] in opset 11 (the axes from 1 on, flattened)', async () => {
    const { g } = graph(11);
    g.input('x', ['N', 2, 3, 2]).node('Softmax', ['x'], ['y'], { axis: int(1) }).output('y');
    const p = await agree(g, [2, 3, 2]);
    expect(kinds(p)).toEqual(['reshape', 'softmax', 'reshape']);
  });

  it('Softmax axis 1 over [N, C, 1, 1] (opset 13: trailing size-1 axes)', async () => {
    const { g } = graph(13);
    g.input('x', ['N', 6, 1, 1]).node('Softmax', ['x'], ['y'], { axis: int(1) }).output('y');
    await agree(g, [6, 1, 1]);
  });
});

describe('a MobileNet-like network', () => {
  /** stem conv -> inverted residual (1x1 expand, BN, ReLU6, 3x3 depthwise, BN, ReLU6, 1x1 project, BN, + input) -> pool -> classifier. */
  function mobileNet(opset: number): OnnxGraph {
    const { g, weights } = graph(opset, 7);
    const bn = (x: string, y: string, c: number, p: string) => {
      weights(`${p}_s`, [c], 0.5, 1.5);
      weights(`${p}_b`, [c], -0.2, 0.2);
      weights(`${p}_m`, [c], -0.2, 0.2);
      weights(`${p}_v`, [c], 0.5, 1.5);
      g.node('BatchNormalization', [x, `${p}_s`, `${p}_b`, `${p}_m`, `${p}_v`], [y]);
    };
    const relu6 = (x: string, y: string) => g.node('Clip', [x, 'zero', 'six'], [y]);
    g.input('input', ['batch', 3, 12, 12]).initializer('zero', [], [0]).initializer('six', [], [6]);
    weights('stem_w', [8, 3, 3, 3], -0.5, 0.5);
    g.node('Conv', ['input', 'stem_w'], ['stem'], { strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) });
    bn('stem', 'stem_bn', 8, 'bn0');
    relu6('stem_bn', 'h0');
    weights('exp_w', [24, 8, 1, 1], -0.5, 0.5);
    g.node('Conv', ['h0', 'exp_w'], ['exp']);
    bn('exp', 'exp_bn', 24, 'bn1');
    relu6('exp_bn', 'h1');
    weights('dw_w', [24, 1, 3, 3], -0.5, 0.5);
    g.node('Conv', ['h1', 'dw_w'], ['dw'], { group: int(24), pads: ints([1, 1, 1, 1]) });
    bn('dw', 'dw_bn', 24, 'bn2');
    relu6('dw_bn', 'h2');
    weights('proj_w', [8, 24, 1, 1], -0.5, 0.5);
    g.node('Conv', ['h2', 'proj_w'], ['proj']);
    bn('proj', 'proj_bn', 8, 'bn3');
    g.node('Add', ['proj_bn', 'h0'], ['res']);
    g.node('GlobalAveragePool', ['res'], ['pool']).node('Flatten', ['pool'], ['feat']);
    weights('fc_w', [10, 8]);
    weights('fc_b', [10]);
    g.node('Gemm', ['feat', 'fc_w', 'fc_b'], ['logits'], { transB: int(1) });
    g.node('Softmax', ['logits'], ['probs'], { axis: int(1) });
    return g.output('probs', ['batch', 10]).output('logits', ['batch', 10]);
  }

  it('compiles to 7 steps with every BN folded and every ReLU6 fused, and agrees with ORT', async () => {
    const p = await agree(mobileNet(13), [3, 12, 12], { n: 4 });
    expect(kinds(p)).toEqual(['conv2d', 'conv2d', 'conv2d', 'conv2d', 'binary', 'pool2d', 'reshape', 'gemm', 'softmax']);
    expect(p.steps.filter((s) => s.kind === 'conv2d').map((s) => (s as { act: { op: string } }).act.op)).toEqual(['clip', 'clip', 'clip', 'none']);
  });

  it('takes uint8 HWC images through an image-to-tensor step', async () => {
    const bytes = mobileNet(13).toBytes();
    const image = { h: 12, w: 12, c: 3, scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
    const p = compileOnnx(loadOnnx(bytes, 'mobile.onnx'), { image, outputs: ['probs'] });
    expect(p.input).toMatchObject({ dtype: 'uint8', shape: [12, 12, 3] });
    expect(p.steps[0].kind).toBe('image-to-tensor');
    const n = 3, r = rng(5);
    const u8 = Uint8Array.from({ length: n * 12 * 12 * 3 }, () => Math.floor(r() * 256));
    const f = new Float32Array(u8.length);
    for (let i = 0; i < n; i++) for (let y = 0; y < 12; y++) for (let x = 0; x < 12; x++) for (let c = 0; c < 3; c++) {
      f[((i * 3 + c) * 12 + y) * 12 + x] = (u8[((i * 12 + y) * 12 + x) * 3 + c] / 255 - image.mean[c]) / image.std[c];
    }
    const session = await ort.InferenceSession.create(bytes);
    const runner = createReferenceProgramRunner(p);
    try {
      const want = await session.run({ input: new ort.Tensor('float32', f, [n, 3, 12, 12]) }, ['probs']);
      const got = await runner.run(u8, n);
      expect(worst(got.probs, want.probs.data as Float32Array)).toBeLessThanOrEqual(1);
    } finally {
      runner.dispose();
      await session.release();
    }
  });
});
