// ortMlpRunner: an MlpWeights run by onnxruntime-node on the CPU (the model from onnx-mlp.ts), as an MlpRunner.
import * as ort from 'onnxruntime-node';
import type { MlpResult, MlpRunner, MlpWeights } from '../../gpu-kernels/mlp/contract.ts';
import { ONNX_MLP_IO, onnxMlp } from './onnx-mlp.ts';

export interface OrtMlpOptions {
  /** intraOpNumThreads: threads one run may use (the machine's cores, for a fair CPU comparison). */
  threads: number;
  /** Build the TopK outputs into the model, so run(..., topK) can return them (up to this k). */
  maxTopK?: number;
}

/** A session over the model; `run` copies nothing on the way in (the u8 images go to ORT as they are). */
export async function ortMlpRunner(weights: MlpWeights, options: OrtMlpOptions): Promise<MlpRunner & { description: string }> {
  const maxTopK = options.maxTopK ?? 0;
  const session = await ort.InferenceSession.create(onnxMlp(weights, { topK: maxTopK }), {
    intraOpNumThreads: options.threads,
    // One run is one batch: inter-op parallelism has nothing to overlap in a chain of layers.
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const inDim = weights.layers[0].in;
  return {
    description: `onnxruntime-node ${ort.env.versions.common} (cpu, ${options.threads} threads)`,
    async run(images: Uint8Array, m: number, topK = 0): Promise<MlpResult> {
      if (images.length !== m * inDim) throw new RangeError(`ortMlpRunner: images has ${images.length} bytes, expected ${m} x ${inDim}`);
      if (topK > maxTopK) throw new RangeError(`ortMlpRunner: topK = ${topK}, but the model was built with maxTopK = ${maxTopK}`);
      // onnxruntime-node 1.30 kills the process (no exception) on a tensor with no elements.
      if (m === 0) return { labels: new Int32Array(0), scores: new Float32Array(0), ...(topK > 0 ? { top: { index: new Int32Array(0), value: new Float32Array(0) } } : {}) };
      const input = new ort.Tensor('uint8', images, [m, inDim]);
      const names: string[] = [ONNX_MLP_IO.labels, ONNX_MLP_IO.scores];
      if (topK > 0) names.push(ONNX_MLP_IO.topValues, ONNX_MLP_IO.topIndices);
      const out = await session.run({ [ONNX_MLP_IO.input]: input }, names);
      const labels = Int32Array.from(out[ONNX_MLP_IO.labels].data as BigInt64Array, Number);
      const scores = out[ONNX_MLP_IO.scores].data as Float32Array;
      if (topK === 0) return { labels, scores };
      // The model's TopK has maxTopK columns; keep the first topK of each row.
      const tv = out[ONNX_MLP_IO.topValues].data as Float32Array, ti = out[ONNX_MLP_IO.topIndices].data as BigInt64Array;
      const index = new Int32Array(m * topK), value = new Float32Array(m * topK);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < topK; j++) {
          index[i * topK + j] = Number(ti[i * maxTopK + j]);
          value[i * topK + j] = tv[i * maxTopK + j];
        }
      }
      return { labels, scores, top: { index, value } };
    },
    dispose() {
      void session.release();
    },
  };
}
