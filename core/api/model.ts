// ModelRef: a model directory loaded and verified on the driver, ready for df.predict(model, ...).
import { loadModel, type Model, type ModelCard, type ModelJSON } from '../../ops/model/model.ts';

export class ModelRef {
  private constructor(private readonly m: Model) {}

  /** Loads and validates a model directory (model.json, safetensors weights, card), with a test forward pass. */
  static load(path: string): ModelRef {
    return new ModelRef(loadModel(path));
  }

  get path(): string { return this.m.dir; }
  get name(): string { return this.m.meta.name; }
  /** SHA-256 of the weights file: the model's identity in lineage records. */
  get sha256(): string { return this.m.sha256; }
  /** SHA-256 of model.json as loaded: jobs pin it with the weights' (an edit afterwards is refused). */
  get modelJsonSha256(): string { return this.m.metaSha256; }
  get meta(): ModelJSON { return this.m.meta; }
  get card(): ModelCard | null { return this.m.card; }
  get labels(): readonly string[] { return this.m.meta.labels; }
  /** The loaded model (weights included). */
  get model(): Model { return this.m; }
}
