// onnxMlp: an MlpWeights as an ONNX model (built with OnnxGraph, no Python), u8 images in, labels and scores out.
//
// The graph does all the work Quiver's fused MLP does, so that a comparison is fair:
//   images u8 [N, in] -> Cast(float) -> Mul(scale) -> Add(shift)
//     -> per layer: Gemm(transB = 1, weights stay [out x in]) -> Relu | Softmax | nothing
//     -> ArgMax(axis 1) = labels (int64 [N]); ReduceMax(axis 1) = scores (float [N])
//     -> optionally TopK(k) = top_values (float [N, k]), top_indices (int64 [N, k]).
// N is symbolic ('N'), so one model serves every batch size. Opset 13: ReduceMax still takes
// `axes` as an attribute there (opset 18 moved it to an input).
import type { MlpWeights } from '../../gpu-kernels/mlp/contract.ts';
import { int, ints, OnnxGraph } from './onnx-graph.ts';

/** onnx.TensorProto.DataType.FLOAT, Cast's `to`. */
const FLOAT = 1;
const OPSET = 13;

export interface OnnxMlpOptions {
  /** Also output `top_values` / `top_indices` [N x topK] (classes best first). 0: no TopK. */
  topK?: number;
}

/** Names of the graph's input and outputs, for `session.run`. */
export const ONNX_MLP_IO = {
  input: 'images',
  labels: 'labels',
  scores: 'scores',
  topValues: 'top_values',
  topIndices: 'top_indices',
} as const;

/** Throws a RangeError unless the layers chain (each `in` is the previous `out`) and the arrays have their stated sizes. */
export function validateMlp(weights: MlpWeights): void {
  const { layers } = weights;
  if (layers.length === 0) throw new RangeError('onnxMlp: the model has no layers');
  layers.forEach((l, i) => {
    if (i > 0 && l.in !== layers[i - 1].out) throw new RangeError(`onnxMlp: layer ${i} takes ${l.in} inputs, but layer ${i - 1} gives ${layers[i - 1].out}`);
    if (l.w.length !== l.in * l.out) throw new RangeError(`onnxMlp: layer ${i} w has ${l.w.length} elements, expected ${l.out} x ${l.in}`);
    if (l.b.length !== l.out) throw new RangeError(`onnxMlp: layer ${i} b has ${l.b.length} elements, expected ${l.out}`);
    if (i < layers.length - 1 && l.activation === 'softmax') throw new RangeError(`onnxMlp: softmax is only allowed on the last layer (layer ${i} of ${layers.length})`);
  });
}

/** The serialized ModelProto, ready for `InferenceSession.create(bytes)`. */
export function onnxMlp(weights: MlpWeights, options: OnnxMlpOptions = {}): Uint8Array {
  validateMlp(weights);
  const { layers } = weights;
  const topK = options.topK ?? 0;
  const classes = layers[layers.length - 1].out;
  if (!Number.isInteger(topK) || topK < 0 || topK > classes) throw new RangeError(`onnxMlp: topK = ${topK}, expected an integer in 0..${classes}`);

  const g = new OnnxGraph({ opset: OPSET, name: 'mlp', producer: 'quiver-bench' })
    .input(ONNX_MLP_IO.input, ['N', layers[0].in], 'uint8')
    .initializer('scale', [], [weights.scale])
    .initializer('shift', [], [weights.shift])
    .node('Cast', [ONNX_MLP_IO.input], ['x_f32'], { to: int(FLOAT) })
    .node('Mul', ['x_f32', 'scale'], ['x_scaled'])
    .node('Add', ['x_scaled', 'shift'], ['h0']);
  let h = 'h0';
  layers.forEach((l, i) => {
    g.initializer(`w${i}`, [l.out, l.in], l.w).initializer(`b${i}`, [l.out], l.b);
    const z = `z${i + 1}`;
    g.node('Gemm', [h, `w${i}`, `b${i}`], [z], { transB: int(1) });
    h = z;
    if (l.activation !== 'none') {
      g.node(l.activation === 'relu' ? 'Relu' : 'Softmax', [z], [`h${i + 1}`], l.activation === 'relu' ? {} : { axis: int(1) });
      h = `h${i + 1}`;
    }
  });
  g.node('ArgMax', [h], [ONNX_MLP_IO.labels], { axis: int(1), keepdims: int(0) })
    .node('ReduceMax', [h], [ONNX_MLP_IO.scores], { axes: ints([1]), keepdims: int(0) })
    .output(ONNX_MLP_IO.labels, ['N'], 'int64')
    .output(ONNX_MLP_IO.scores, ['N'], 'float32');
  if (topK > 0) {
    g.initializer('k', [1], [topK], 'int64')
      .node('TopK', [h, 'k'], [ONNX_MLP_IO.topValues, ONNX_MLP_IO.topIndices], { axis: int(1) })
      .output(ONNX_MLP_IO.topValues, ['N', topK], 'float32')
      .output(ONNX_MLP_IO.topIndices, ['N', topK], 'int64');
  }
  return g.toBytes();
}
