// onnxMlp: an MlpWeights as an ONNX model (protobuf bytes built here, no Python), u8 images in, labels and scores out.
//
// The graph does all the work Quiver's fused MLP does, so that a comparison is fair:
//   images u8 [N, in] -> Cast(float) -> Mul(scale) -> Add(shift)
//     -> per layer: Gemm(transB = 1, weights stay [out x in]) -> Relu | Softmax | nothing
//     -> ArgMax(axis 1) = labels (int64 [N]); ReduceMax(axis 1) = scores (float [N])
//     -> optionally TopK(k) = top_values (float [N, k]), top_indices (int64 [N, k]).
// N is symbolic ('N'), so one model serves every batch size. Opset 13: ReduceMax still takes
// `axes` as an attribute there (opset 18 moved it to an input).
import type { MlpWeights } from '../../gpu-kernels/mlp/contract.ts';
import { ProtoWriter } from './protobuf.ts';

/** onnx.TensorProto.DataType values used here. */
export enum OnnxType {
  Float = 1,
  Uint8 = 2,
  Int64 = 7,
}

/** onnx.AttributeProto.AttributeType values used here. */
enum AttrType {
  Float = 1,
  Int = 2,
  Ints = 7,
}

/** ONNX IR version 7 is the one that goes with opset 13 (ONNX 1.8). */
const IR_VERSION = 7;
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

type Attr = { name: string } & ({ f: number } | { i: number } | { ints: number[] });

interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Attr[];
}

interface Initializer {
  name: string;
  dims: number[];
  type: OnnxType;
  data: Uint8Array;
}

function f32Bytes(a: Float32Array): Uint8Array {
  // raw_data is little-endian; so is every platform Node runs on, so the buffer goes as is.
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function i64Bytes(xs: number[]): Uint8Array {
  const out = new BigInt64Array(xs.map(BigInt));
  return new Uint8Array(out.buffer);
}

function writeTensor(w: ProtoWriter, t: Initializer): void {
  for (const d of t.dims) w.int(1, d); // dims
  w.int(2, t.type); // data_type
  w.string(8, t.name); // name
  w.bytes(9, t.data); // raw_data
}

function writeAttr(w: ProtoWriter, a: Attr): void {
  w.string(1, a.name);
  if ('f' in a) w.float(2, a.f).int(20, AttrType.Float);
  else if ('i' in a) w.int(3, a.i).int(20, AttrType.Int);
  else { for (const v of a.ints) w.int(8, v); w.int(20, AttrType.Ints); }
}

function writeNode(w: ProtoWriter, n: Node, index: number): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, `${n.op.toLowerCase()}_${index}`);
  w.string(4, n.op);
  for (const a of n.attrs ?? []) w.message(5, (aw) => writeAttr(aw, a));
}

/** A ValueInfoProto for a tensor whose dims are numbers or symbolic names. */
function writeValueInfo(w: ProtoWriter, name: string, type: OnnxType, dims: (number | string)[]): void {
  w.string(1, name);
  w.message(2, (tw) => tw.message(1, (tt) => { // TypeProto.tensor_type
    tt.int(1, type); // elem_type
    tt.message(2, (sw) => { // shape
      for (const d of dims) sw.message(1, (dw) => (typeof d === 'number' ? dw.int(1, d) : dw.string(2, d)));
    });
  }));
}

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

  const inits: Initializer[] = [
    { name: 'scale', dims: [], type: OnnxType.Float, data: f32Bytes(new Float32Array([weights.scale])) },
    { name: 'shift', dims: [], type: OnnxType.Float, data: f32Bytes(new Float32Array([weights.shift])) },
  ];
  const nodes: Node[] = [
    { op: 'Cast', inputs: [ONNX_MLP_IO.input], outputs: ['x_f32'], attrs: [{ name: 'to', i: OnnxType.Float }] },
    { op: 'Mul', inputs: ['x_f32', 'scale'], outputs: ['x_scaled'] },
    { op: 'Add', inputs: ['x_scaled', 'shift'], outputs: ['h0'] },
  ];
  let h = 'h0';
  layers.forEach((l, i) => {
    inits.push({ name: `w${i}`, dims: [l.out, l.in], type: OnnxType.Float, data: f32Bytes(l.w) });
    inits.push({ name: `b${i}`, dims: [l.out], type: OnnxType.Float, data: f32Bytes(l.b) });
    const z = `z${i + 1}`;
    nodes.push({ op: 'Gemm', inputs: [h, `w${i}`, `b${i}`], outputs: [z], attrs: [{ name: 'transB', i: 1 }] });
    h = z;
    if (l.activation !== 'none') {
      const op = l.activation === 'relu' ? 'Relu' : 'Softmax';
      nodes.push({ op, inputs: [z], outputs: [`h${i + 1}`], attrs: op === 'Softmax' ? [{ name: 'axis', i: 1 }] : [] });
      h = `h${i + 1}`;
    }
  });
  nodes.push({ op: 'ArgMax', inputs: [h], outputs: [ONNX_MLP_IO.labels], attrs: [{ name: 'axis', i: 1 }, { name: 'keepdims', i: 0 }] });
  nodes.push({ op: 'ReduceMax', inputs: [h], outputs: [ONNX_MLP_IO.scores], attrs: [{ name: 'axes', ints: [1] }, { name: 'keepdims', i: 0 }] });
  if (topK > 0) {
    inits.push({ name: 'k', dims: [1], type: OnnxType.Int64, data: i64Bytes([topK]) });
    nodes.push({ op: 'TopK', inputs: [h, 'k'], outputs: [ONNX_MLP_IO.topValues, ONNX_MLP_IO.topIndices], attrs: [{ name: 'axis', i: 1 }] });
  }

  const model = new ProtoWriter();
  model.int(1, IR_VERSION); // ir_version
  model.string(2, 'quiver-bench'); // producer_name
  model.message(8, (o) => o.string(1, '').int(2, OPSET)); // opset_import: the default domain
  model.message(7, (g) => { // graph
    nodes.forEach((n, i) => g.message(1, (nw) => writeNode(nw, n, i)));
    g.string(2, 'mlp');
    for (const t of inits) g.message(5, (tw) => writeTensor(tw, t));
    g.message(11, (v) => writeValueInfo(v, ONNX_MLP_IO.input, OnnxType.Uint8, ['N', layers[0].in]));
    g.message(12, (v) => writeValueInfo(v, ONNX_MLP_IO.labels, OnnxType.Int64, ['N']));
    g.message(12, (v) => writeValueInfo(v, ONNX_MLP_IO.scores, OnnxType.Float, ['N']));
    if (topK > 0) {
      g.message(12, (v) => writeValueInfo(v, ONNX_MLP_IO.topValues, OnnxType.Float, ['N', topK]));
      g.message(12, (v) => writeValueInfo(v, ONNX_MLP_IO.topIndices, OnnxType.Int64, ['N', topK]));
    }
  });
  return model.finish();
}
