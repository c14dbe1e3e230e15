// Predict: model inference over an image column, adding labelId, label, score (top-k, and extra graph outputs) to every row.
import { PlanError } from '../../ops/errors.ts';
import type { ModelOutput } from '../../ops/model/any-model.ts';
import type { FieldJSON } from '../../ops/types.ts';
import type { LogicalPlan } from './node.ts';

export type PredictDevice = 'auto' | 'cpu' | 'gpu';

/** A graph output predict returns as a column of its name: fixed_size_list<float32>[size], size = its values per image. */
export type PredictOutput = ModelOutput;

export interface PredictSpec {
  /** Absolute path of the model directory every executor loads (once) and verifies. */
  readonly modelPath: string;
  readonly modelName: string;
  /** SHA-256 of the weights: the model's identity for lineage and executor caches. */
  readonly modelSha256: string;
  /**
   * SHA-256 of model.json as q.model() read it. With modelSha256 it pins the whole model: every
   * worker MUST load exactly this model.json and these weights, else an edit made after
   * q.model() would be used silently.
   */
  readonly modelJsonSha256: string;
  readonly inputCol: string;
  readonly device: PredictDevice;
  /** Images per kernel call. */
  readonly batchSize: number;
  /** 0: no top-k columns; k >= 1: topIds and topScores (fixed_size_list of k). */
  readonly topK: number;
  readonly numClasses: number;
  /** 'mlp' (model.json; the default) or 'onnx'. */
  readonly modelFormat?: 'mlp' | 'onnx';
  /** A backend the user forced ('wasm', 'onnxruntime', 'webgpu'), or absent: chosen by device. */
  readonly backend?: 'wasm' | 'onnxruntime' | 'webgpu';
  /** False when the model names no classes: no `label` column (default true). */
  readonly hasLabels?: boolean;
  /**
   * The class names and uint8 values per image, as q.model() read them (pinned with the
   * hashes): a task whose inference runs in the process's inference thread needs no model copy.
   */
  readonly labels?: readonly string[];
  readonly inputSize?: number;
  /** A row whose image is null or whose scores are not finite: 'fail' (default), 'skip' (dropped), 'null' (null tags). */
  readonly onError?: 'fail' | 'skip' | 'null';
  /** ONNX graph outputs to return besides the ranked one, each checked against the model's graph by DataFrame.predict (absent: none). */
  readonly outputs?: readonly PredictOutput[];
  /**
   * Set when the input column is binary: each row holds an encoded image file (JPEG, PNG, WebP,
   * ...) that the task decodes to the model's input (height x width x channels uint8, fitted as
   * `fit` says), as q.read.images would. Absent: the column already holds the pixels.
   */
  readonly decode?: PredictDecode;
}

export interface PredictDecode {
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
  readonly fit: 'cover' | 'contain' | 'fill';
}

export interface Predict {
  readonly kind: 'predict';
  readonly input: LogicalPlan;
  readonly spec: PredictSpec;
  readonly schema: readonly FieldJSON[];
}

/** The columns predict adds, in order (`label` only when the model names its classes; the extra outputs last). */
export function predictOutputFields(topK: number, hasLabels = true, nullable = false, outputs: readonly PredictOutput[] = []): FieldJSON[] {
  const out: FieldJSON[] = [
    { name: 'labelId', type: 'int32', nullable },
    ...(hasLabels ? [{ name: 'label', type: 'utf8', nullable } as FieldJSON] : []),
    { name: 'score', type: 'float32', nullable },
  ];
  if (topK > 0) {
    out.push({ name: 'topIds', type: { fixedList: 'int32', size: topK }, nullable });
    out.push({ name: 'topScores', type: { fixedList: 'float32', size: topK }, nullable });
  }
  for (const o of outputs) out.push({ name: o.name, type: { fixedList: 'float32', size: o.size }, nullable });
  return out;
}

/** Each extra output well formed, and named apart from the columns predict adds itself. */
function checkOutputs(outputs: readonly PredictOutput[], own: readonly FieldJSON[]): void {
  if (!Array.isArray(outputs)) throw new PlanError(`predict: outputs must be an array of graph output names, got ${JSON.stringify(outputs)}`);
  const seen = new Set<string>();
  for (const o of outputs) {
    if (typeof o?.name !== 'string' || o.name === '' || !Number.isSafeInteger(o.size) || o.size < 1) throw new PlanError(`predict: an output needs a name and a size >= 1 (values per image), got ${JSON.stringify(o)}`);
    if (own.some((f) => f.name === o.name)) {
      throw new PlanError(`predict: the graph output '${o.name}' has the name of a column predict adds itself (${own.map((f) => f.name).join(', ')}); export the model with another name for that output`);
    }
    if (seen.has(o.name)) throw new PlanError(`predict: outputs names '${o.name}' twice; each output becomes one column`);
    seen.add(o.name);
  }
}

export function predict(input: LogicalPlan, spec: PredictSpec): Predict {
  if (spec.onError !== undefined && !['fail', 'skip', 'null'].includes(spec.onError)) throw new PlanError(`predict: onError must be 'fail', 'skip' or 'null', got ${JSON.stringify(spec.onError)}`);
  const outputs = spec.outputs ?? [];
  checkOutputs(outputs, predictOutputFields(spec.topK, spec.hasLabels));
  const added = predictOutputFields(spec.topK, spec.hasLabels, spec.onError === 'null', outputs);
  for (const f of added) {
    if (input.schema.some((g) => g.name === f.name)) {
      throw new PlanError(`predict: the input already has a column '${f.name}', which predict adds; rename it first, e.g. df.withColumnRenamed('${f.name}', 'true_${f.name}')`);
    }
  }
  if (!Number.isSafeInteger(spec.batchSize) || spec.batchSize < 1) throw new PlanError(`predict: batchSize must be a positive integer, got ${spec.batchSize}`);
  if (!Number.isSafeInteger(spec.topK) || spec.topK < 0 || spec.topK > spec.numClasses) throw new PlanError(`predict: topK must be an integer from 0 to ${spec.numClasses} (the model's classes), got ${spec.topK}`);
  if (!['auto', 'cpu', 'gpu'].includes(spec.device)) throw new PlanError(`predict: device must be 'auto', 'cpu' or 'gpu', got ${JSON.stringify(spec.device)}`);
  if (spec.backend !== undefined && !['wasm', 'onnxruntime', 'webgpu'].includes(spec.backend)) throw new PlanError(`predict: backend must be 'wasm', 'onnxruntime' or 'webgpu', got ${JSON.stringify(spec.backend)}`);
  if (spec.backend === 'onnxruntime' && spec.modelFormat !== 'onnx') throw new PlanError("predict: backend 'onnxruntime' runs ONNX models; a model.json (MLP) model runs on 'wasm' or 'webgpu'");
  return Object.freeze({ kind: 'predict', input, spec: Object.freeze({ ...spec }), schema: Object.freeze([...input.schema, ...added]) });
}
