// Any model predict can run: Quiver's own MLP format (model.json + safetensors) or an ONNX model; loading by path and what predict asks of both.
import { PlanError } from '../errors.ts';
import type { FieldJSON } from '../types.ts';
import { isOnnxPath, loadOnnxArtifact, type OnnxArtifact } from './onnx-artifact.ts';
import { loadModel, type Model, type ModelPin } from './model.ts';

export type LoadedModel = Model | OnnxArtifact;

/** A model directory (model.json: the MLP format; model.onnx: ONNX) or a .onnx file; `pin` as loadModel's. */
export function loadAnyModel(path: string, pin?: ModelPin): LoadedModel {
  return isOnnxPath(path) ? loadOnnxArtifact(path, pin) : loadModel(path, pin);
}

export function modelName(m: LoadedModel): string {
  return m.kind === 'mlp' ? m.meta.name : m.name;
}

/** Class names, or null when the model names none (predict then adds no `label` column). */
export function modelLabels(m: LoadedModel): readonly string[] | null {
  return m.kind === 'mlp' ? m.meta.labels : m.labels;
}

export function modelClasses(m: LoadedModel): number {
  return m.kind === 'mlp' ? m.meta.labels.length : m.numClasses;
}

/** uint8 values per image the model takes, and the shape to quote in messages. */
export function modelInput(m: LoadedModel): { size: number; shape: readonly number[] } {
  if (m.kind === 'mlp') return { size: m.meta.input.shape.reduce((a, b) => a * b, 1), shape: m.meta.input.shape };
  const { h, w, c } = m.image;
  return { size: h * w * c, shape: [h, w, c] };
}

/**
 * The image a binary input column's files are decoded to: the model's height, width and channels
 * (an ONNX model's HWC input; a model.json MLP's input shape [h, w] is one gray channel, [h, w, c]
 * has c). A PlanError when the model's input is not an image (a flat vector).
 */
export function modelImage(model: LoadedModel): { height: number; width: number; channels: 1 | 3 } {
  if (model.kind !== 'mlp') {
    const { h, w, c } = model.image;
    if (c === 1 || c === 3) return { height: h, width: w, channels: c };
  } else {
    const s = model.meta.input.shape;
    const c = s.length === 2 ? 1 : s.length === 3 ? s[2] : 0;
    if (c === 1 || c === 3) return { height: s[0], width: s[1], channels: c };
  }
  throw new PlanError(`predict: model '${modelName(model)}' takes input of shape ${JSON.stringify(modelInput(model).shape)}, not an image of 1 or 3 channels, so encoded image bytes cannot be decoded for it; give it a fixed_size_list<uint8>[${modelInput(model).size}] column`);
}

/**
 * Checks that a column can feed the model: fixed_size_list<uint8> (or list<uint8>) of the input's
 * size, or binary (encoded image files, decoded by the task; see PredictSpec.decode).
 */
export function checkModelInput(model: LoadedModel, field: FieldJSON | undefined, column: string, columns: readonly string[]): void {
  const { size, shape } = modelInput(model);
  if (!field) throw new PlanError(`predict: no input column '${column}'; valid columns: ${columns.join(', ')} (set inputCol)`);
  const t = field.type;
  if (t === 'binary') { modelImage(model); return; }
  const ok = typeof t === 'object' && (('fixedList' in t && t.fixedList === 'uint8' && t.size === size) || ('list' in t && t.list === 'uint8'));
  if (!ok) {
    const how = model.kind === 'onnx' ? `; read images at the model's size, e.g. q.read.images(path, { size: [${model.image.h}, ${model.image.w}], channels: ${model.image.c} })` : '';
    throw new PlanError(`predict: column '${column}' has type ${JSON.stringify(t)}; model '${modelName(model)}' takes fixed_size_list<uint8>[${size}] (shape ${JSON.stringify(shape)}${model.kind === 'onnx' ? ', HWC' : ''}), or a binary column of encoded image files${how}`);
  }
}

/** An extra output predict returns as a column: a graph output's name and its float32 values per image (the list size). */
export interface ModelOutput {
  readonly name: string;
  readonly size: number;
}

/**
 * Checks `names` (predict's `outputs` option) against the model's ONNX graph outputs and returns
 * each with its values per image (the product of its dims, the batch excluded). A PlanError
 * names the file and lists the graph outputs for an unknown name; an MLP model has none to give.
 */
export function checkModelOutputs(model: LoadedModel, names: unknown): ModelOutput[] {
  if (names === undefined) return [];
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || n === '')) throw new PlanError(`predict: outputs must be an array of graph output names, e.g. ['embedding'], got ${JSON.stringify(names)}`);
  if (names.length === 0) return [];
  if (model.kind === 'mlp') throw new PlanError(`predict: outputs names ONNX graph outputs; model '${modelName(model)}' is a model.json (MLP) model, which gives only its ranked classes (${model.dir})`);
  const graph = model.onnx.outputs;
  const seen = new Set<string>();
  return (names as string[]).map((name) => {
    if (seen.has(name)) throw new PlanError(`predict: outputs names '${name}' twice; each output becomes one column`);
    seen.add(name);
    const o = graph.find((g) => g.name === name);
    if (!o) throw new PlanError(`predict: model '${modelName(model)}' has no graph output '${name}'; its outputs are ${graph.map((g) => `'${g.name}' [N, ${g.shape.join(', ')}]`).join(', ')} (${model.file})`);
    const size = o.shape.reduce((a, b) => a * b, 1);
    if (size < 1) throw new PlanError(`predict: graph output '${name}' has shape [N, ${o.shape.join(', ')}], no values per image to return (${model.file})`);
    return { name, size };
  });
}
