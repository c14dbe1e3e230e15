// The loaded ONNX model (OnnxModel): the graph lowered to kernel steps over per-sample shapes, before output selection, folding and fusion.
import type { ProgramStep } from '../../../gpu-kernels/program/contract.ts';

/** A float32 constant with its full static shape. */
export interface FloatTensor {
  readonly dtype: 'float32';
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * An int64 constant (shapes, axes), held as numbers since every value used here is a small
 * index. null stands for the batch size, which only the run knows: Shape of an activation
 * gives [null, ...per-sample dims], so `x.view(x.size(0), -1)` exports can still reshape.
 */
export interface IntTensor {
  readonly dtype: 'int64';
  readonly shape: readonly number[];
  readonly data: readonly (number | null)[];
}

/** A bool constant (Dropout's training_mode), 0 or 1 per element. */
export interface BoolTensor {
  readonly dtype: 'bool';
  readonly shape: readonly number[];
  readonly data: readonly number[];
}

export type ConstTensor = FloatTensor | IntTensor | BoolTensor;

/**
 * y = x * scale[c] + shift[c] over the channel axis (axis 1 of the full shape): a
 * BatchNormalization with its statistics already combined. compileOnnx folds it into the Conv
 * that produces x, or lowers it to a binary mul and add; no runner sees it.
 */
export interface BatchNormStep {
  readonly kind: 'batch-norm';
  readonly x: string;
  readonly y: string;
  readonly scale: Float32Array;
  readonly shift: Float32Array;
}

/** A step of the loaded graph: a program step (never image-to-tensor) or a BatchNormStep still to fold. */
export type IrStep = Exclude<ProgramStep, { kind: 'image-to-tensor' }> | BatchNormStep;

/** A graph input or output: per-sample shape, the batch dimension (dim 0) excluded. */
export interface OnnxTensorInfo {
  readonly name: string;
  readonly dtype: 'float32';
  readonly shape: readonly number[];
}

export interface OnnxModel {
  /** The file name given to loadOnnx, for messages. */
  readonly file: string;
  readonly irVersion: number;
  /** Opset of the default domain (ai.onnx). */
  readonly opset: number;
  readonly producer: string;
  /** The model's one float32 input (graph inputs that are initializers excluded). */
  readonly inputs: readonly OnnxTensorInfo[];
  readonly outputs: readonly OnnxTensorInfo[];
  /** metadata_props, key -> value (a later duplicate key wins). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Per-sample shapes of every activation tensor, the input included, by ONNX name. */
  readonly values: Readonly<Record<string, { readonly shape: readonly number[] }>>;
  /** float32 constants the steps read, by name (initializers, Constant nodes, and constants made while lowering). */
  readonly constants: Readonly<Record<string, FloatTensor>>;
  /** In graph order; each writes one tensor (SSA). */
  readonly steps: readonly IrStep[];
}
