// withImageInput: an ONNX model rewritten to take uint8 HWC images, with the image-to-tensor step (HWC -> CHW, then scale, mean, std) as ONNX nodes in front of its graph.
//
// Why: a runtime that runs ONNX itself (onnxruntime) then does the preprocessing with its own
// vectorized, multi-threaded kernels, and is fed uint8 pixels (a quarter of the bytes of the
// float tensor). Done in JavaScript before every call it cost about a third of the model's own
// time for a small CNN (28x28): a lookup per element plus an 800 KB float buffer per batch.
import onnxProto from 'onnx-proto';
import type { ImageToTensorStep } from '../../../gpu-kernels/program/contract.ts';
import { DataError } from '../../errors.ts';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

/** The new graph input's name: uint8 [N, h, w, c]. */
export const IMAGE_INPUT = 'quiver_image_uint8_nhwc';

/** Where the image nodes write (the model's float NCHW input) and what they compute: the image-to-tensor step's fields. */
export type ImageInputSpec = { readonly input: string } & Pick<ImageToTensorStep, 'h' | 'w' | 'c' | 'scale' | 'mean' | 'std'>;

function floats(name: string, dims: number[], values: number[]): onnxProto.onnx.ITensorProto {
  return { name, dims, dataType: FLOAT, floatData: values };
}

/**
 * `bytes` (an ONNX model whose input `spec.input` is float [N, c, h, w]) with that input replaced
 * by IMAGE_INPUT and Cast -> Transpose (or Reshape) -> Mul -> Add nodes computing it, as
 * x * (scale / std[c]) + (-mean[c] / std[c]). The result equals
 * Quiver's image-to-tensor step to within one float32 rounding (it multiplies and adds where the
 * step subtracts and divides).
 */
export function withImageInput(bytes: Uint8Array, spec: ImageInputSpec, file: string): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph;
  if (!g) throw new DataError('not an ONNX model: it has no graph', { file });
  const at = (g.input ?? []).findIndex((v) => v.name === spec.input);
  if (at < 0) throw new DataError(`the model has no graph input '${spec.input}'`, { file });
  const taken = new Set<string>([...(g.node ?? []).flatMap((n) => [...(n.input ?? []), ...(n.output ?? [])]), ...(g.initializer ?? []).map((t) => t.name ?? '')]);
  const name = (base: string) => {
    let s = `quiver_${base}`;
    for (let i = 1; taken.has(s); i++) s = `quiver_${base}_${i}`;
    taken.add(s);
    return s;
  };
  const cast = name('image_f32'), nchw = name('image_nchw'), mul = name('image_scaled'), scaleT = name('image_scale'), shiftT = name('image_shift'), shapeT = name('image_shape');
  const { h, w, c } = spec;
  g.input!.splice(at, 1, {
    name: IMAGE_INPUT,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.UINT8, shape: { dim: [{ dimParam: 'N' }, { dimValue: h }, { dimValue: w }, { dimValue: c }] } } },
  });
  // The affine step runs on NCHW with [1, c, 1, 1] constants: onnxruntime broadcasts those as
  // whole h x w planes, where [c] against NHWC's last dim goes element by element (5x slower
  // than the model's first conv).
  g.initializer = [
    ...(g.initializer ?? []),
    floats(scaleT, [1, c, 1, 1], spec.std.map((s) => spec.scale / s)),
    floats(shiftT, [1, c, 1, 1], spec.mean.map((mu, i) => -mu / spec.std[i])),
    ...(c === 1 ? [{ name: shapeT, dims: [4], dataType: onnx.TensorProto.DataType.INT64, int64Data: [-1, c, h, w] }] : []),
  ];
  g.node = [
    { opType: 'Cast', input: [IMAGE_INPUT], output: [cast], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }], name: name('cast') },
    // One channel: HWC is CHW already, and a Reshape is free where a Transpose copies.
    c === 1
      ? { opType: 'Reshape', input: [cast, shapeT], output: [nchw], name: name('nchw') }
      : { opType: 'Transpose', input: [cast], output: [nchw], attribute: [{ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 3, 1, 2] }], name: name('nchw') },
    { opType: 'Mul', input: [nchw, scaleT], output: [mul], name: name('mul') },
    { opType: 'Add', input: [mul, shiftT], output: [spec.input], name: name('add') },
    ...(g.node ?? []),
  ];
  return onnx.ModelProto.encode(m).finish();
}
