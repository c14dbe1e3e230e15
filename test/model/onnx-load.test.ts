// loadOnnx reads what a model declares (opset, input and output shapes, metadata, initializers in either encoding), and compileOnnx picks outputs and makes plain-data programs.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { int, ints, OnnxGraph, str } from '../../bench/lib/onnx-graph.ts';
import { rng } from '../../examples/data/access-log.ts';
import { createReferenceProgramRunner } from '../../gpu-kernels/program/cpu.ts';
import type { TensorProgram } from '../../gpu-kernels/program/contract.ts';
import { compileOnnx, loadOnnx } from '../../ops/model/onnx/index.ts';

const randoms = (n: number, seed: number): Float32Array => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => 2 * r() - 1);
};

function classifier(opset = 13, encoding: 'raw' | 'typed' = 'raw', batch: string | number = 'batch'): OnnxGraph {
  return new OnnxGraph({ opset })
    .input('pixels', [batch, 2, 6, 6])
    .initializer('w', [4, 2, 3, 3], randoms(72, 1), 'float32', { encoding })
    .initializer('b', [4], randoms(4, 2), 'float32', { encoding })
    .initializer('fc', [3, 4 * 3 * 3], randoms(108, 3), 'float32', { encoding })
    .initializer('shape', [2], [0, -1], 'int64', { encoding })
    .node('Conv', ['pixels', 'w', 'b'], ['conv'], { strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) })
    .node('Relu', ['conv'], ['feat'])
    .node('Reshape', ['feat', 'shape'], ['flat'])
    .node('Gemm', ['flat', 'fc'], ['logits'], { transB: int(1) })
    .node('Softmax', ['logits'], ['probs'], { axis: int(-1) })
    .output('probs', [batch, 3])
    .metadata('quiver.labels', '["a","b","c"]')
    .metadata('author', 'quiver tests');
}

describe('loadOnnx', () => {
  it('reads opset, IR version, producer, inputs, outputs and metadata', () => {
    const m = loadOnnx(classifier(13).toBytes(), 'cls.onnx');
    expect(m).toMatchObject({ file: 'cls.onnx', opset: 13, irVersion: 7, producer: 'quiver' });
    expect(m.inputs).toEqual([{ name: 'pixels', dtype: 'float32', shape: [2, 6, 6] }]);
    expect(m.outputs).toEqual([{ name: 'probs', dtype: 'float32', shape: [3] }]);
    expect(m.metadata).toEqual({ 'quiver.labels': '["a","b","c"]', author: 'quiver tests' });
    expect(m.values.conv.shape).toEqual([4, 3, 3]);
    expect(m.steps.map((s) => s.kind)).toEqual(['conv2d', 'activation', 'reshape', 'gemm', 'softmax']);
  });

  it('takes -1, 0 and a fixed number as the batch dim', () => {
    for (const batch of [-1, 0, 1]) expect(loadOnnx(classifier(13, 'raw', batch).toBytes(), 'cls.onnx').inputs[0].shape).toEqual([2, 6, 6]);
  });

  it('reads initializers from raw_data and from float_data / int64_data alike', () => {
    const raw = compileOnnx(loadOnnx(classifier(13, 'raw').toBytes(), 'a.onnx'));
    const typed = compileOnnx(loadOnnx(classifier(13, 'typed').toBytes(), 'b.onnx'));
    expect(typed.constants).toEqual(raw.constants);
    expect(typed.steps).toEqual(raw.steps);
  });

  it('reads every opset from 7 to 21', () => {
    for (let opset = 7; opset <= 21; opset++) {
      const g = new OnnxGraph({ opset }).input('x', ['N', 3]).node('Relu', ['x'], ['y']).output('y');
      expect(loadOnnx(g.toBytes(), 'relu.onnx').opset).toBe(opset);
    }
  });
});

describe('compileOnnx', () => {
  it('fuses the Relu into the Conv and returns the graph outputs by default', () => {
    const p = compileOnnx(loadOnnx(classifier().toBytes(), 'cls.onnx'));
    expect(p.steps.map((s) => s.kind)).toEqual(['conv2d', 'reshape', 'gemm', 'softmax']);
    expect(p.steps[0]).toMatchObject({ x: 'pixels', y: 'feat', act: { op: 'relu' } });
    expect(p.outputs).toEqual(['probs']);
    expect(p.input).toEqual({ id: 'pixels', dtype: 'float32', shape: [2, 6, 6] });
  });

  it('returns intermediate tensors on request, pruning what they do not need and fusing nothing into them', async () => {
    const bytes = classifier().toBytes();
    const p = compileOnnx(loadOnnx(bytes, 'cls.onnx'), { outputs: ['conv', 'logits'] });
    expect(p.steps.map((s) => s.kind)).toEqual(['conv2d', 'activation', 'reshape', 'gemm']);
    expect(p.outputs).toEqual(['conv', 'logits']);
    const x = randoms(2 * 72, 9);
    const got = await createReferenceProgramRunner(p).run(x, 2);
    const session = await ort.InferenceSession.create(bytes);
    try {
      // ORT returns graph outputs only, so compare the logits through softmax against its probs.
      const want = (await session.run({ pixels: new ort.Tensor('float32', x, [2, 2, 6, 6]) })).probs.data as Float32Array;
      for (let i = 0; i < 2; i++) {
        const z = got.logits.slice(i * 3, i * 3 + 3), mx = Math.max(...z);
        const e = Array.from(z, (v) => Math.exp(v - mx)), s = e.reduce((a, b) => a + b);
        for (let j = 0; j < 3; j++) expect(e[j] / s).toBeCloseTo(want[i * 3 + j], 5);
      }
      expect(got.conv.some((v) => v < 0)).toBe(true); // the pre-Relu tensor, not the fused one
    } finally {
      await session.release();
    }
  });

  it('makes a program that survives JSON (constants aside) and runs n = 0', async () => {
    const p = compileOnnx(loadOnnx(classifier().toBytes(), 'cls.onnx'), { image: { h: 6, w: 6, c: 2, scale: 1 / 255, mean: [0.5, 0.5], std: [0.25, 0.25] } });
    const { constants, ...rest } = p;
    const back = { ...JSON.parse(JSON.stringify(rest)), constants } as TensorProgram;
    expect(back).toEqual(p);
    const out = await createReferenceProgramRunner(back).run(new Uint8Array(0), 0);
    expect(out.probs).toEqual(new Float32Array(0));
  });

  it('keeps a Clip without bounds JSON-safe (finite float32 limits)', () => {
    const g = new OnnxGraph({ opset: 13 }).input('x', ['N', 3]).node('Clip', ['x'], ['y']).output('y');
    const p = compileOnnx(loadOnnx(g.toBytes(), 'clip.onnx'));
    const act = (p.steps[0] as { act: { min: number; max: number } }).act;
    expect(Number.isFinite(act.min) && Number.isFinite(act.max)).toBe(true);
    expect(JSON.parse(JSON.stringify(p.steps))).toEqual(p.steps);
  });
});

describe('Conv shapes (property, against onnxruntime)', () => {
  it('any group, kernel, stride, dilation, pads and auto_pad agree with ORT', async () => {
    const conv = fc.record({
      groups: fc.integer({ min: 1, max: 3 }),
      cPer: fc.integer({ min: 1, max: 3 }),
      mPer: fc.integer({ min: 1, max: 2 }),
      kh: fc.integer({ min: 1, max: 4 }),
      kw: fc.integer({ min: 1, max: 4 }),
      sh: fc.integer({ min: 1, max: 3 }),
      sw: fc.integer({ min: 1, max: 3 }),
      dh: fc.integer({ min: 1, max: 2 }),
      dw: fc.integer({ min: 1, max: 2 }),
      pads: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
      autoPad: fc.constantFrom('NOTSET', 'NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'),
      h: fc.integer({ min: 1, max: 9 }),
      w: fc.integer({ min: 1, max: 9 }),
      bias: fc.boolean(),
      seed: fc.nat(1000),
    }).filter((c) => {
      // ORT refuses dilations with auto_pad SAME_* ("Dilation not supported"), so the oracle has no answer there.
      if (c.autoPad.startsWith('SAME') && (c.dh > 1 || c.dw > 1)) return false;
      // The padded input must hold one dilated kernel (else ORT and Quiver both refuse the model).
      const p = c.autoPad === 'NOTSET' ? c.pads : [0, 0, 0, 0];
      const fits = (n: number, k: number, d: number, a: number, b: number) => c.autoPad.startsWith('SAME') || n + a + b >= d * (k - 1) + 1;
      return fits(c.h, c.kh, c.dh, p[0], p[2]) && fits(c.w, c.kw, c.dw, p[1], p[3]);
    });
    await fc.assert(fc.asyncProperty(conv, async (c) => {
      const C = c.groups * c.cPer, M = c.groups * c.mPer;
      const attrs = { group: int(c.groups), kernel_shape: ints([c.kh, c.kw]), strides: ints([c.sh, c.sw]), dilations: ints([c.dh, c.dw]), auto_pad: str(c.autoPad), ...(c.autoPad === 'NOTSET' ? { pads: ints(c.pads) } : {}) };
      const g = new OnnxGraph().input('x', ['N', C, c.h, c.w]).initializer('w', [M, c.cPer, c.kh, c.kw], randoms(M * c.cPer * c.kh * c.kw, c.seed));
      if (c.bias) g.initializer('b', [M], randoms(M, c.seed + 1));
      const bytes = g.node('Conv', ['x', 'w', ...(c.bias ? ['b'] : [])], ['y'], attrs).output('y').toBytes();
      const p = compileOnnx(loadOnnx(bytes, 'conv.onnx'));
      const x = randoms(2 * C * c.h * c.w, c.seed + 2);
      const session = await ort.InferenceSession.create(bytes);
      try {
        const want = (await session.run({ x: new ort.Tensor('float32', x, [2, C, c.h, c.w]) })).y;
        expect(want.dims.slice(1)).toEqual(p.values.y.shape);
        const got = (await createReferenceProgramRunner(p).run(x, 2)).y;
        const w = want.data as Float32Array;
        for (let i = 0; i < w.length; i++) expect(Math.abs(got[i] - w[i])).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(w[i]));
      } finally {
        await session.release();
      }
    }), { numRuns: 60, seed: 20261206 });
  });
});

describe('pool shapes (property, against onnxruntime)', () => {
  it('MaxPool and AveragePool with any kernel, stride, pads, ceil_mode and count_include_pad agree with ORT or are refused by name', async () => {
    const pool = fc.record({
      max: fc.boolean(),
      kh: fc.integer({ min: 1, max: 4 }),
      kw: fc.integer({ min: 1, max: 4 }),
      sh: fc.integer({ min: 1, max: 3 }),
      sw: fc.integer({ min: 1, max: 3 }),
      pads: fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.nat(3)),
      ceil: fc.boolean(),
      cip: fc.boolean(),
      h: fc.integer({ min: 1, max: 9 }),
      w: fc.integer({ min: 1, max: 9 }),
      seed: fc.nat(1000),
    }).filter((c) => c.pads[0] < c.kh && c.pads[2] < c.kh && c.pads[1] < c.kw && c.pads[3] < c.kw && c.h + c.pads[0] + c.pads[2] >= c.kh && c.w + c.pads[1] + c.pads[3] >= c.kw);
    let compared = 0;
    await fc.assert(fc.asyncProperty(pool, async (c) => {
      const attrs = { kernel_shape: ints([c.kh, c.kw]), strides: ints([c.sh, c.sw]), pads: ints(c.pads), ceil_mode: int(c.ceil ? 1 : 0), ...(c.max ? {} : { count_include_pad: int(c.cip ? 1 : 0) }) };
      const bytes = new OnnxGraph().input('x', ['N', 2, c.h, c.w]).node(c.max ? 'MaxPool' : 'AveragePool', ['x'], ['y'], attrs).output('y').toBytes();
      let p: TensorProgram;
      try {
        p = compileOnnx(loadOnnx(bytes, 'pool.onnx'));
      } catch (e) {
        // Only ceil_mode = 1 may be refused, and only with a message that says so.
        expect(c.ceil).toBe(true);
        expect((e as Error).message).toMatch(/ceil_mode = 1/);
        return;
      }
      const x = randoms(2 * 2 * c.h * c.w, c.seed);
      const session = await ort.InferenceSession.create(bytes);
      try {
        const want = (await session.run({ x: new ort.Tensor('float32', x, [2, 2, c.h, c.w]) })).y;
        expect(want.dims.slice(1)).toEqual(p.values.y.shape);
        const got = (await createReferenceProgramRunner(p).run(x, 2)).y;
        const w = want.data as Float32Array;
        for (let i = 0; i < w.length; i++) expect(Math.abs(got[i] - w[i])).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(w[i]));
        compared++;
      } finally {
        await session.release();
      }
    }), { numRuns: 80, seed: 7 });
    expect(compared).toBeGreaterThan(40);
  });
});

describe('an opset 7 model', () => {
  it('Conv, BatchNormalization (spatial), Clip with attributes, MaxPool, Flatten, Gemm with a [1, n] bias and Softmax agree with ORT', async () => {
    const bytes = new OnnxGraph({ opset: 7 })
      .input('x', [-1, 2, 6, 6])
      .initializer('w', [3, 2, 3, 3], randoms(54, 11))
      .initializer('s', [3], [1.5, 0.5, 1]).initializer('b', [3], [0.1, -0.2, 0]).initializer('m', [3], [0.2, 0, -0.1]).initializer('v', [3], [1, 0.5, 2])
      .initializer('fc', [4, 12], randoms(48, 12)).initializer('c', [1, 4], randoms(4, 13))
      .node('Conv', ['x', 'w'], ['c1'], { pads: ints([1, 1, 1, 1]) })
      .node('BatchNormalization', ['c1', 's', 'b', 'm', 'v'], ['n1'], { spatial: int(1), epsilon: { type: 'float', value: 1e-5 } })
      .node('Clip', ['n1'], ['r1'], { min: { type: 'float', value: 0 }, max: { type: 'float', value: 6 } })
      .node('MaxPool', ['r1'], ['p1'], { kernel_shape: ints([3, 3]), strides: ints([3, 3]) })
      .node('Flatten', ['p1'], ['f'])
      .node('Gemm', ['f', 'fc', 'c'], ['z'], { transB: int(1), broadcast: int(1) })
      .node('Softmax', ['z'], ['y'])
      .output('y')
      .toBytes();
    // Gemm-7 has no broadcast attribute (Gemm-6 had): Quiver refuses what it does not read.
    expect(() => loadOnnx(bytes, 'old.onnx')).toThrow(/attribute 'broadcast' is not supported/);
    const m = onnxProto.onnx.ModelProto.decode(bytes);
    m.graph!.node!.find((n) => n.opType === 'Gemm')!.attribute = m.graph!.node!.find((n) => n.opType === 'Gemm')!.attribute!.filter((a) => a.name !== 'broadcast');
    const fixed = onnxProto.onnx.ModelProto.encode(m).finish();
    const p = compileOnnx(loadOnnx(fixed, 'old.onnx'));
    expect(p.steps.map((s) => s.kind)).toEqual(['conv2d', 'pool2d', 'reshape', 'gemm', 'softmax']);
    const x = randoms(3 * 72, 14);
    const session = await ort.InferenceSession.create(fixed);
    try {
      const want = (await session.run({ x: new ort.Tensor('float32', x, [3, 2, 6, 6]) })).y.data as Float32Array;
      const got = (await createReferenceProgramRunner(p).run(x, 3)).y;
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-5);
    } finally {
      await session.release();
    }
  });
});
