// A compiled model (a ProgramRunner) as a predictor: images in, the ranked output's argmax class, its score and the top k out.
import { argmaxCpu, topkCpu } from '../../gpu-kernels/argmax/cpu.ts';
import type { MlpResult, MlpRunner } from '../../gpu-kernels/mlp/contract.ts';
import type { ProgramRunner } from '../../gpu-kernels/program/contract.ts';
import { softmaxCpu } from '../../gpu-kernels/softmax/cpu.ts';
import { InternalError } from '../errors.ts';

export interface RankedOutput {
  /** The output tensor's id, [n, classes]. */
  readonly name: string;
  readonly classes: number;
  /** 'logits' get a softmax so that `score` is a probability, as the MLP's is. */
  readonly kind: 'logits' | 'probabilities';
}

/** Wraps `runner` so PredictExec drives it as it drives the MLP. dispose() disposes the runner. */
export function programPredictor(runner: ProgramRunner, out: RankedOutput): MlpRunner {
  return {
    async run(images: Uint8Array, m: number, topK = 0): Promise<MlpResult> {
      const outs = await runner.run(images, m);
      const raw = outs[out.name];
      if (!raw || raw.length !== m * out.classes) throw new InternalError(`predict: the model's runner returned ${raw?.length ?? 'no'} values for '${out.name}', expected ${m} x ${out.classes}`);
      const n = out.classes;
      const p = out.kind === 'logits' ? softmaxCpu({ x: raw, m, n }) : raw;
      const best = argmaxCpu({ x: p, m, n });
      return { labels: best.index, scores: best.value, top: topK > 0 ? topkCpu({ x: p, m, n, k: topK }) : undefined };
    },
    dispose() {
      runner.dispose();
    },
  };
}
