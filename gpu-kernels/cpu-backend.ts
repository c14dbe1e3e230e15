// The CPU backends: `cpuBackend` (the fast paths: WebAssembly SIMD, the MLP on worker threads) and `referenceBackend` (the plain-JS references).
import { availableParallelism } from 'node:os';
import { argmaxCpu, argmaxReference, topkCpu, topkReference } from './argmax/cpu.ts';
import type { KernelBackend } from './backend.ts';
import { mapCpu, mapReference } from './map/cpu.ts';
import { matmulCpu, matmulReference } from './matmul/cpu.ts';
import { checkWeights, createCpuMlp, mlpReference } from './mlp/cpu.ts';
import type { MlpResult } from './mlp/contract.ts';
import { normalizeCpu, normalizeReference } from './normalize/cpu.ts';
import { softmaxCpu, softmaxReference } from './softmax/cpu.ts';
import { createReferenceProgramRunner } from './program/cpu.ts';
import { createCpuProgramRunner } from './program/cpu-fast.ts';

const threads = Math.min(2, availableParallelism());

export const cpuBackend: KernelBackend = {
  name: 'cpu',
  precision: 'f32',
  description: `cpu (wasm simd128, ${threads} thread${threads > 1 ? 's' : ''})`,
  normalize: async (a) => normalizeCpu(a),
  matmul: async (a) => matmulCpu(a),
  softmax: async (a) => softmaxCpu(a),
  argmax: async (a) => argmaxCpu(a),
  topk: async (a) => topkCpu(a),
  map: async (a) => mapCpu(a),
  mlp: async (w) => createCpuMlp(w, { threads }),
  program: async (p) => createCpuProgramRunner(p),
};

export const referenceBackend: KernelBackend = {
  name: 'reference',
  precision: 'f32',
  description: 'reference (plain JS, f64 sums)',
  normalize: async (a) => normalizeReference(a),
  matmul: async (a) => matmulReference(a),
  softmax: async (a) => softmaxReference(a),
  argmax: async (a) => argmaxReference(a),
  topk: async (a) => topkReference(a),
  map: async (a) => mapReference(a),
  program: async (p) => createReferenceProgramRunner(p),
  async mlp(weights) {
    checkWeights(weights);
    let disposed = false;
    return {
      async run(images: Uint8Array, m: number, topK?: number): Promise<MlpResult> {
        if (disposed) throw new Error('mlp: this runner was disposed');
        return mlpReference({ weights, images, m, topK });
      },
      dispose() {
        disposed = true;
      },
    };
  },
};
