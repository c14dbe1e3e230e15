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

/** Checks that a column can feed the model: fixed_size_list<uint8> (or list<uint8>) of the input's size. */
export function checkModelInput(model: LoadedModel, field: FieldJSON | undefined, column: string, columns: readonly string[]): void {
  const { size, shape } = modelInput(model);
  if (!field) throw new PlanError(`predict: no input column '${column}'; valid columns: ${columns.join(', ')} (set inputCol)`);
  const t = field.type;
  const ok = typeof t === 'object' && (('fixedList' in t && t.fixedList === 'uint8' && t.size === size) || ('list' in t && t.list === 'uint8'));
  if (!ok) {
    const how = model.kind === 'onnx' ? `; read images at the model's size, e.g. q.read.images(path, { size: [${model.image.h}, ${model.image.w}], channels: ${model.image.c} })` : '';
    throw new PlanError(`predict: column '${column}' has type ${JSON.stringify(t)}; model '${modelName(model)}' takes fixed_size_list<uint8>[${size}] (shape ${JSON.stringify(shape)}${model.kind === 'onnx' ? ', HWC' : ''})${how}`);
  }
}
