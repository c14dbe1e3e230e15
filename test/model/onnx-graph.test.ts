// OnnxGraph (bench/lib/onnx-graph.ts): onnxruntime-node loads the models it builds and runs them as written.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { float, int, ints, OnnxGraph } from '../../bench/lib/onnx-graph.ts';

const { onnx } = onnxProto;

describe('OnnxGraph', () => {
  it('builds a 2-node graph (Gemm + Clip) that ORT runs over a symbolic batch', async () => {
    // y = clip(x . w^T + b, 0, 1.5), w as [out, in] with transB = 1.
    const w = new Float32Array([1, 2, 3, -1, 0.5, 0.25]); // [2, 3]
    const b = new Float32Array([0.5, -0.25]);
    const bytes = new OnnxGraph({ opset: 13 })
      .input('x', ['N', 3])
      .initializer('w', [2, 3], w)
      .initializer('b', [2], Array.from(b), 'float32', { encoding: 'typed' })
      .initializer('lo', [], [0])
      .initializer('hi', [], [1.5])
      .node('Gemm', ['x', 'w', 'b'], ['z'], { transB: int(1), alpha: float(1), beta: float(1) })
      .node('Clip', ['z', 'lo', 'hi'], ['y'])
      .output('y', ['N', 2])
      .metadata('labels', 'a,b')
      .toBytes();
    const session = await ort.InferenceSession.create(bytes);
    try {
      const x = new Float32Array([0.1, 0.2, 0.3, -1, 0, 1, 0.5, -0.5, 0.25]);
      const out = await session.run({ x: new ort.Tensor('float32', x, [3, 3]) });
      const got = out.y.data as Float32Array;
      expect(out.y.dims).toEqual([3, 2]);
      const want: number[] = [];
      for (let r = 0; r < 3; r++) {
        for (let o = 0; o < 2; o++) {
          let s = b[o];
          for (let k = 0; k < 3; k++) s += x[r * 3 + k] * w[o * 3 + k];
          want.push(Math.min(Math.max(s, 0), 1.5));
        }
      }
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
      // At least one value is clipped at each end, else a dropped Clip would pass.
      expect(want).toContain(0);
      expect(want).toContain(1.5);
    } finally {
      await session.release();
    }
  });

  it('writes opset, IR version, metadata, node attributes and int64 initializers as given', () => {
    const bytes = new OnnxGraph({ opset: 11 })
      .input('x', [-1, 4])
      .initializer('shape', [2], [0, -1], 'int64')
      .node('Reshape', ['x', 'shape'], ['y'], {}, { name: 'r' })
      .node('Transpose', ['y'], ['z'], { perm: ints([1, 0]) })
      .output('z')
      .metadata('k', 'v')
      .toBytes();
    const m = onnx.ModelProto.decode(bytes);
    expect(Number(m.irVersion)).toBe(6);
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 11]]);
    expect(m.metadataProps.map((p) => [p.key, p.value])).toEqual([['k', 'v']]);
    const g = m.graph!;
    expect(g.node!.map((n) => n.name)).toEqual(['r', 'transpose_1']);
    expect(g.node![1].attribute![0].ints!.map(Number)).toEqual([1, 0]);
    const raw = g.initializer![0].rawData!;
    expect(Array.from(new BigInt64Array(Uint8Array.from(raw).buffer), Number)).toEqual([0, -1]);
    expect(Number(g.input![0].type!.tensorType!.shape!.dim![0].dimValue)).toBe(-1);
  });
});
