// compileOnnx: an OnnxModel -> TensorProgram (outputs chosen, steps pruned, BatchNormalization folded, activations fused, an image-to-tensor step in front on request).
import type { ImageToTensorStep, ProgramStep, TensorProgram } from '../../../gpu-kernels/program/contract.ts';
import { checkProgram } from '../../../gpu-kernels/program/validate.ts';
import { InternalError, PlanError } from '../../errors.ts';
import type { OnnxModel } from './model.ts';
import type { CompilePass, Draft } from './passes/draft.ts';
import { DropIdentity } from './passes/drop-identity.ts';
import { FoldBatchNorm } from './passes/fold-batch-norm.ts';
import { FuseActivation } from './passes/fuse-activation.ts';
import { Prune } from './passes/prune.ts';

/** uint8 HWC images in: y = (x * scale - mean[ch]) / std[ch], fed to the model's [N, c, h, w] input (the image-to-tensor step's fields). */
export type ImageInput = Pick<ImageToTensorStep, 'h' | 'w' | 'c' | 'scale' | 'mean' | 'std'>;

export interface CompileOptions {
  /** Take uint8 images [N, h, w, c] instead of the model's float32 input. */
  readonly image?: ImageInput;
  /** Tensors to return, by ONNX name (graph outputs or any intermediate activation); the graph's outputs by default. */
  readonly outputs?: readonly string[];
}

/**
 * The passes, in order: Prune first (nothing is folded for a branch no output needs);
 * DropIdentity before FoldBatchNorm (so Conv -> Identity -> BN still folds); FoldBatchNorm
 * before FuseActivation (the Relu after Conv -> BN fuses into the folded Conv); Prune last
 * (drops the constants folding replaced).
 */
const PASSES: readonly CompilePass[] = [Prune, DropIdentity, FoldBatchNorm, FuseActivation, Prune];

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

function imageStep(model: OnnxModel, image: ImageInput, inputId: string): ProgramStep {
  const input = model.inputs[0];
  const { h, w, c } = image;
  if (![h, w, c].every((v) => Number.isInteger(v) && v >= 1)) throw new PlanError(`${model.file}: image h, w and c must be integers >= 1, got ${h} x ${w} x ${c}`);
  if (!same(input.shape, [c, h, w])) {
    const nhwc = same(input.shape, [h, w, c]) ? ' (it looks like NHWC; Quiver feeds NCHW, as PyTorch exports)' : '';
    throw new PlanError(`${model.file}: input '${input.name}' has shape [N, ${input.shape.join(', ')}], but ${h} x ${w} images of ${c} channels give [N, ${c}, ${h}, ${w}]${nhwc}`);
  }
  if (image.mean.length !== c || image.std.length !== c) throw new PlanError(`${model.file}: image mean and std need ${c} entries (one per channel), got ${image.mean.length} and ${image.std.length}`);
  if (!image.std.every((v) => v !== 0 && Number.isFinite(v))) throw new PlanError(`${model.file}: image std [${image.std.join(', ')}] must be finite and non-zero`);
  if (!Number.isFinite(image.scale) || !image.mean.every(Number.isFinite)) throw new PlanError(`${model.file}: image scale and mean must be finite`);
  return { kind: 'image-to-tensor', x: inputId, y: input.name, h, w, c, scale: image.scale, mean: [...image.mean], std: [...image.std] };
}

/** Compiles `model` into a program the runners of gpu-kernels/program run; the model is not changed. */
export function compileOnnx(model: OnnxModel, opts: CompileOptions = {}): TensorProgram {
  const outputs = [...(opts.outputs ?? model.outputs.map((o) => o.name))];
  if (outputs.length === 0) throw new PlanError(`${model.file}: no outputs requested`);
  for (const o of outputs) {
    if (!Object.hasOwn(model.values, o)) {
      throw new PlanError(`${model.file}: '${o}' is not a tensor the model computes; its outputs are ${model.outputs.map((x) => `'${x.name}'`).join(', ')} (any intermediate activation may be named too)`);
    }
  }
  const taken = new Set([...Object.keys(model.values), ...Object.keys(model.constants)]);
  const freshId = (base: string): string => {
    let id = base, k = 1;
    while (taken.has(id)) id = `${base}_${k++}`;
    taken.add(id);
    return id;
  };
  const d: Draft = { steps: [...model.steps], constants: { ...model.constants }, values: { ...model.values }, outputs, freshId };
  for (const pass of PASSES) {
    try {
      pass.run(d);
    } catch (e) {
      if (e instanceof PlanError) throw e;
      throw new InternalError(`${model.file}: compile pass '${pass.name}' failed: ${(e as Error).message}`, { cause: e });
    }
  }
  const input = model.inputs[0];
  const values: Record<string, { shape: readonly number[] }> = { ...d.values, [input.name]: { shape: input.shape } };
  const constants = Object.fromEntries(Object.entries(d.constants).map(([id, t]) => [id, { shape: t.shape, data: t.data }]));
  const steps: ProgramStep[] = d.steps.map((s) => {
    if (s.kind === 'batch-norm') throw new InternalError(`${model.file}: batch-norm step '${s.y}' survived folding`);
    return s;
  });
  let programInput: TensorProgram['input'] = { id: input.name, dtype: 'float32', shape: input.shape };
  if (opts.image) {
    const id = freshId('image');
    steps.unshift(imageStep(model, opts.image, id));
    values[id] = { shape: [opts.image.h, opts.image.w, opts.image.c] };
    programInput = { id, dtype: 'uint8', shape: [opts.image.h, opts.image.w, opts.image.c] };
  }
  const program: TensorProgram = { input: programInput, values, constants, steps, outputs };
  try {
    checkProgram(program);
  } catch (e) {
    throw new InternalError(`${model.file}: the compiled program is invalid: ${(e as Error).message}`, { cause: e });
  }
  return program;
}
