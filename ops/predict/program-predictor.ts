// A compiled model (a ProgramRunner) as a predictor: images in, the ranked output's argmax class, its score, the top k and any extra outputs out.
import { argmaxCpu, topkCpu } from '../../gpu-kernels/argmax/cpu.ts';
import type { ProgramRunner } from '../../gpu-kernels/program/contract.ts';
import { softmaxCpu } from '../../gpu-kernels/softmax/cpu.ts';
import { InternalError } from '../errors.ts';
import type { Prediction, Predictor } from './predictor.ts';

export interface RankedOutput {
  /** The output tensor's id, [n, classes]. */
  readonly name: string;
  readonly classes: number;
  /** 'logits' get a softmax so that `score` is a probability, as the MLP's is. */
  readonly kind: 'logits' | 'probabilities';
}

/**
 * Wraps `runner` so PredictExec drives it as it drives the MLP. `extra` names the other tensors
 * the runner returns that predict hands back as they are (the runner MUST return each).
 * dispose() disposes the runner.
 */
export function programPredictor(runner: ProgramRunner, out: RankedOutput, extra: readonly string[] = []): Predictor {
  return {
    async run(images: Uint8Array, m: number, topK = 0): Promise<Prediction> {
      const outs = await runner.run(images, m);
      const raw = outs[out.name];
      if (!raw || raw.length !== m * out.classes) throw new InternalError(`predict: the model's runner returned ${raw?.length ?? 'no'} values for '${out.name}', expected ${m} x ${out.classes}`);
      const n = out.classes;
      const p = out.kind === 'logits' ? softmaxCpu({ x: raw, m, n }) : raw;
      const best = argmaxCpu({ x: p, m, n });
      const res: Prediction = { labels: best.index, scores: best.value, top: topK > 0 ? topkCpu({ x: p, m, n, k: topK }) : undefined };
      if (extra.length === 0) return res;
      const outputs: Record<string, Float32Array> = {};
      for (const name of extra) {
        const v = outs[name];
        if (!v || (m > 0 && v.length % m !== 0)) throw new InternalError(`predict: the model's runner returned ${v?.length ?? 'no'} values for output '${name}', not a whole number per image for ${m} images`);
        outputs[name] = v;
      }
      return { ...res, outputs };
    },
    dispose() {
      runner.dispose();
    },
  };
}
