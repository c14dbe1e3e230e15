// A tensor program: a model compiled to a straight-line list of kernel steps over named float32 tensors, and the runner contract every backend implements.
//
// Who makes one: ops/model/onnx compiles an ONNX graph into a TensorProgram (BatchNormalization
// already folded into Conv, Reshape/Flatten/trivial Transpose turned into 'reshape', MatMul with a
// constant right side turned into 'gemm'). Who runs one: a ProgramRunner of a backend
// (gpu-kernels/program/cpu.ts is the reference and the fallback; wgsl.ts keeps every tensor
// resident on the GPU between steps). A program is plain data: it serializes to JSON except
// for the constants' Float32Arrays.
//
// Layout: activations are NCHW (PyTorch's export layout) with a dynamic batch dimension N that
// is NOT part of `values[id].shape` (the per-sample shape); constants have full static shapes.
// Every step reads tensors that earlier steps (or the input) wrote, and writes exactly one
// tensor that no other step writes (SSA). Ids are strings, unique across values and constants.

/** An activation fused into the step that produces a tensor (applied last, after bias/residual). */
export type Activation =
  | { readonly op: 'none' }
  | { readonly op: 'relu' }
  /** min(max(x, min), max): Clip, and ReLU6 as clip 0..6. */
  | { readonly op: 'clip'; readonly min: number; readonly max: number }
  | { readonly op: 'sigmoid' }
  /** x * relu6(x + 3) / 6 (ONNX HardSwish). */
  | { readonly op: 'hardswish' };

/** uint8 images [N, h, w, c] (HWC, as decoders give them) -> float32 [N, c, h, w]: y = (x * scale - mean[ch]) / std[ch]. */
export interface ImageToTensorStep {
  readonly kind: 'image-to-tensor';
  readonly x: string;
  readonly y: string;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  /** 1/255 for models that take 0..1, 1 for raw 0..255. */
  readonly scale: number;
  /** Per channel, length c. */
  readonly mean: readonly number[];
  /** Per channel, length c; MUST be non-zero. */
  readonly std: readonly number[];
}

/** 2-D convolution, NCHW, ONNX semantics: w is [M, C/group, kH, kW]; y = act(conv(x, w) + b). */
export interface Conv2dStep {
  readonly kind: 'conv2d';
  readonly x: string;
  /** A constant [M, C/group, kH, kW]. */
  readonly w: string;
  /** A constant [M], or null. */
  readonly b: string | null;
  readonly y: string;
  /** [sH, sW] */
  readonly strides: readonly [number, number];
  /** [top, left, bottom, right], zero padding (ONNX order x1_begin, x2_begin, x1_end, x2_end). */
  readonly pads: readonly [number, number, number, number];
  /** [dH, dW] */
  readonly dilations: readonly [number, number];
  /** C and M are multiples of group; group = C = M is depthwise. */
  readonly group: number;
  readonly act: Activation;
}

/** 2-D max or average pooling, NCHW (GlobalAveragePool is 'avg' with kernel = [H, W]). */
export interface Pool2dStep {
  readonly kind: 'pool2d';
  readonly mode: 'max' | 'avg';
  readonly x: string;
  readonly y: string;
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly pads: readonly [number, number, number, number];
  /** avg only: divide by the full window (true) or by the cells inside the input (false, ONNX's default). */
  readonly countIncludePad: boolean;
}

/** y = act(x . w^T + b) over x flattened to [N, k]: Gemm, and MatMul with a constant right side. */
export interface GemmStep {
  readonly kind: 'gemm';
  readonly x: string;
  /** A constant [n, k] (torch.nn.Linear layout; the compiler transposes ONNX's [k, n] when transB = 0). */
  readonly w: string;
  /** A constant [n], or null. */
  readonly b: string | null;
  readonly y: string;
  readonly act: Activation;
}

/** y = act(a op b), numpy broadcasting over the full shapes [N, ...shape] (a constant operand has no N and broadcasts from the right). */
export interface BinaryStep {
  readonly kind: 'binary';
  readonly op: 'add' | 'mul';
  readonly a: string;
  readonly b: string;
  readonly y: string;
  readonly act: Activation;
}

/** y = act(x), elementwise, for an activation the compiler could not fuse into its producer. */
export interface ActivationStep {
  readonly kind: 'activation';
  readonly x: string;
  readonly y: string;
  readonly act: Activation;
}

/** Concatenation along `axis` of the per-sample shape + 1 (axis 1 is channels in NCHW; axis 0, the batch, is not allowed). */
export interface ConcatStep {
  readonly kind: 'concat';
  readonly xs: readonly string[];
  readonly y: string;
  readonly axis: number;
}

/** Softmax over the last axis (ONNX opset >= 13 semantics; the compiler rejects other axes). */
export interface SoftmaxStep {
  readonly kind: 'softmax';
  readonly x: string;
  readonly y: string;
}

/** Same data, new per-sample shape (Reshape, Flatten, a Transpose that moves only size-1 axes). A runner MAY alias y to x. */
export interface ReshapeStep {
  readonly kind: 'reshape';
  readonly x: string;
  readonly y: string;
}

export type ProgramStep = ImageToTensorStep | Conv2dStep | Pool2dStep | GemmStep | BinaryStep | ActivationStep | ConcatStep | SoftmaxStep | ReshapeStep;

export interface TensorProgram {
  /** The program's input: uint8 images [N, h, w, c] when the first step is image-to-tensor, else float32 [N, ...shape]. */
  readonly input: { readonly id: string; readonly dtype: 'uint8' | 'float32'; readonly shape: readonly number[] };
  /** Per-sample shapes of every activation tensor (the input's included), by id. */
  readonly values: Readonly<Record<string, { readonly shape: readonly number[] }>>;
  /** Weights, with full shapes; data.length MUST equal the product of shape. */
  readonly constants: Readonly<Record<string, { readonly shape: readonly number[]; readonly data: Float32Array }>>;
  readonly steps: readonly ProgramStep[];
  /**
   * Ids of the tensors a run returns (e.g. the logits and an embedding): any value, one that later
   * steps still read included. A runner MUST keep each output's buffer to the end of the run, never
   * reusing it for a later step's tensor (an output would come back overwritten).
   */
  readonly outputs: readonly string[];
}

/**
 * A program made resident on one backend (weights uploaded once, pipelines compiled once).
 * `run` takes n samples laid out as `program.input` says and returns each output as
 * float32 [n, ...values[id].shape]. It MUST give the reference's results within the
 * per-kernel tolerances (see each step's kernel contract), MUST accept any n >= 0 (n = 0 gives
 * empty outputs), and MAY be called again before an earlier call's promise settles (runs are
 * queued or pipelined, never mixed up). After `dispose()`, `run` rejects.
 */
export interface ProgramRunner {
  readonly description: string;
  run(input: Uint8Array | Float32Array, n: number): Promise<Record<string, Float32Array>>;
  dispose(): void;
}

/** Elements per sample of a per-sample shape. */
export function sampleSize(shape: readonly number[]): number {
  let s = 1;
  for (const d of shape) s *= d;
  return s;
}

/** Output height/width of a window op (conv or pool), ONNX floor semantics. */
export function windowOut(inSize: number, kernel: number, stride: number, padBegin: number, padEnd: number, dilation = 1): number {
  return Math.floor((inSize + padBegin + padEnd - dilation * (kernel - 1) - 1) / stride) + 1;
}
