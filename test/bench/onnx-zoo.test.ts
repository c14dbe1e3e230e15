// The ONNX zoo (bench/lib/onnx-zoo.ts): MobileNetV2 and ResNet-18 have torchvision's parameters and ops, and onnxruntime-node runs them to finite logits.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { mobileNetV2, onnxZoo, ZOO_IO, ZOO_MODELS, ZOO_PARAMETERS } from '../../bench/lib/onnx-zoo.ts';

const { onnx } = onnxProto;

const ALLOWED_OPS = new Set(['Conv', 'BatchNormalization', 'Relu', 'Clip', 'Add', 'GlobalAveragePool', 'MaxPool', 'Flatten', 'Gemm']);

// torchvision's counts, written out here so that a change to ZOO_PARAMETERS cannot move the target.
const TORCHVISION_PARAMETERS = { mobilenet_v2: 3_504_872, resnet18: 11_689_512 };

const floats = (t: onnxProto.onnx.ITensorProto): Float32Array => {
  const raw = t.rawData!;
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
};

const shapeOf = (v: onnxProto.onnx.IValueInfoProto): (number | string)[] =>
  v.type!.tensorType!.shape!.dim!.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)));

/** What torch counts as parameters: every initializer but BN running statistics (buffers) and Clip's bounds (constants). */
function parameterCount(graph: onnxProto.onnx.IGraphProto): number {
  const notParams = new Set<string>();
  for (const n of graph.node!) {
    if (n.opType === 'BatchNormalization') { notParams.add(n.input![3]); notParams.add(n.input![4]); }
    if (n.opType === 'Clip') n.input!.slice(1).forEach((i) => notParams.add(i));
  }
  return graph.initializer!.filter((t) => !notParams.has(t.name!)).reduce((s, t) => s + t.dims!.reduce((a: number, d) => a * Number(d), 1), 0);
}

/** Two different images, deterministic: smooth waves with a per-image phase. */
function images(n: number): Float32Array {
  const per = 3 * ZOO_IO.size * ZOO_IO.size;
  const x = new Float32Array(n * per);
  for (let i = 0; i < x.length; i++) x[i] = 2 * Math.sin(i * 0.001 + Math.floor(i / per));
  return x;
}

describe('onnxZoo', () => {
  for (const name of ZOO_MODELS) {
    it(`${name}: torchvision's parameter count and ops, image [N,3,224,224] -> logits [N,1000], finite in onnxruntime`, async () => {
      const bytes = onnxZoo(name);
      const model = onnx.ModelProto.decode(bytes);
      const graph = model.graph!;
      expect(model.opsetImport!.map((o) => [o.domain ?? '', Number(o.version)])).toEqual([['', 13]]);
      expect(parameterCount(graph)).toBe(TORCHVISION_PARAMETERS[name]);
      expect(ZOO_PARAMETERS[name]).toBe(TORCHVISION_PARAMETERS[name]);
      const ops = new Set(graph.node!.map((n) => n.opType!));
      expect([...ops].filter((op) => !ALLOWED_OPS.has(op))).toEqual([]);
      expect(ops.has('BatchNormalization')).toBe(true);
      expect(graph.input!.map((v) => [v.name, shapeOf(v)])).toEqual([['image', ['N', 3, 224, 224]]]);
      expect(graph.output!.map((v) => [v.name, shapeOf(v)])).toEqual([['logits', ['N', 1000]]]);

      // BN statistics are seeded away from the identity, so that folding them is not a no-op.
      const byName = new Map(graph.initializer!.map((t) => [t.name!, t]));
      const bn = graph.node!.find((n) => n.opType === 'BatchNormalization')!;
      const mean = floats(byName.get(bn.input![3])!), variance = floats(byName.get(bn.input![4])!);
      expect(mean.some((v) => Math.abs(v) > 0.01)).toBe(true);
      expect(variance.some((v) => Math.abs(v - 1) > 0.05)).toBe(true);
      expect(variance.every((v) => v > 0)).toBe(true);

      const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 2 });
      try {
        const out = await session.run({ image: new ort.Tensor('float32', images(2), [2, 3, 224, 224]) });
        expect(out.logits.dims).toEqual([2, 1000]);
        const y = out.logits.data as Float32Array;
        expect(y.every(Number.isFinite)).toBe(true);
        // Not a constant function: the two images give different logits, and the logits are spread out.
        expect(y.subarray(0, 1000).some((v, i) => Math.abs(v - y[1000 + i]) > 1e-3)).toBe(true);
        expect(Math.max(...y) - Math.min(...y)).toBeGreaterThan(1);
      } finally {
        await session.release();
      }
    });
  }

  it('gives the same bytes for the same seed and other weights for another', () => {
    const a = mobileNetV2({ seed: 7 });
    expect(Buffer.from(mobileNetV2({ seed: 7 })).equals(Buffer.from(a))).toBe(true);
    const b = mobileNetV2({ seed: 8 });
    expect(b.length).toBe(a.length);
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(false);
  });
});
