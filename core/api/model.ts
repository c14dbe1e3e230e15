// ModelRef: a model (Quiver's MLP directory, or an ONNX file or directory) loaded and verified on the driver, ready for df.predict(model, ...).
import { loadAnyModel, modelClasses, modelLabels, modelName, type LoadedModel } from '../../ops/model/any-model.ts';
import type { ModelCard, ModelJSON } from '../../ops/model/model.ts';

export class ModelRef {
  private constructor(private readonly m: LoadedModel) {}

  /**
   * Loads and validates a model: a directory with model.json (safetensors weights, card; a test
   * forward pass), or an ONNX model (a .onnx file, or a directory with model.onnx and card.json)
   * checked and compiled into Quiver's kernels.
   */
  static load(path: string): ModelRef {
    return new ModelRef(loadAnyModel(path));
  }

  get path(): string { return this.m.dir; }
  get name(): string { return modelName(this.m); }
  /** 'mlp' (Quiver's model.json format) or 'onnx'. */
  get format(): 'mlp' | 'onnx' { return this.m.kind; }
  /** SHA-256 of the weights (the .onnx file for ONNX): the model's identity in lineage records. */
  get sha256(): string { return this.m.sha256; }
  /** SHA-256 of model.json (card.json for ONNX) as loaded: jobs pin it with the weights' (an edit afterwards is refused). */
  get modelJsonSha256(): string { return this.m.metaSha256; }
  /** model.json of an MLP model; null for ONNX. */
  get meta(): ModelJSON | null { return this.m.kind === 'mlp' ? this.m.meta : null; }
  /** The model card (card.json), as written by the training script. */
  get card(): ModelCard | null { return this.m.card as ModelCard | null; }
  /** Class names ([] when the model names none: predict then adds no `label` column). */
  get labels(): readonly string[] { return modelLabels(this.m) ?? []; }
  get numClasses(): number { return modelClasses(this.m); }
  /** The images an ONNX model takes (read them at this size: q.read.images(path, { size: [height, width], channels })); null for an MLP (flat vectors). */
  get input(): { height: number; width: number; channels: number } | null {
    return this.m.kind === 'onnx' ? { height: this.m.image.h, width: this.m.image.w, channels: this.m.image.c } : null;
  }
  /** The ONNX graph's outputs, each with its per-image shape (the batch dim left out): what predict's `outputs` may name. [] for an MLP. */
  get outputs(): { name: string; shape: readonly number[] }[] {
    return this.m.kind === 'onnx' ? this.m.onnx.outputs.map((o) => ({ name: o.name, shape: o.shape })) : [];
  }
  /** The loaded model (weights included). */
  get model(): LoadedModel { return this.m; }
}
