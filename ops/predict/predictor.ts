// Predictor: what PredictExec drives (a model resident in this thread, or the inference thread's): images in, the ranked classes and the extra outputs it was made for out.
import type { MlpResult } from '../../gpu-kernels/mlp/contract.ts';

export interface Prediction extends MlpResult {
  /**
   * The extra graph outputs the predictor was made for, by ONNX name: float32
   * [m x values per image], row i from image i. Absent when none were asked for.
   */
  readonly outputs?: Readonly<Record<string, Float32Array>>;
}

/**
 * A model made ready to tag images. A predictor made for extra outputs MUST return each of them
 * on every run, row-aligned with the images (PredictExec turns them into columns; a missing or
 * misshapen one is an InternalError there). An MlpRunner is a Predictor with none.
 */
export interface Predictor {
  run(images: Uint8Array, m: number, topK?: number): Promise<Prediction>;
  dispose(): void;
}
