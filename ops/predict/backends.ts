// Predict's backends: Quiver's WebAssembly SIMD CPU kernels ('wasm'), onnxruntime-node on the CPU ('onnxruntime'), Quiver's WGSL kernels on WebGPU ('webgpu'); a runner for a model on each.
import { PlanError } from '../errors.ts';
import type { LoadedModel } from '../model/any-model.ts';
import { compileArtifact } from '../model/onnx-artifact.ts';
import type { Predictor } from './predictor.ts';
import { programPredictor } from './program-predictor.ts';

export type PredictBackend = 'wasm' | 'onnxruntime' | 'webgpu';
export const PREDICT_BACKENDS: readonly PredictBackend[] = ['wasm', 'onnxruntime', 'webgpu'];

export type ResolvedDevice = 'cpu' | 'gpu';

/** Where a backend runs. */
export function backendDevice(b: PredictBackend): ResolvedDevice {
  return b === 'webgpu' ? 'gpu' : 'cpu';
}

/** The backends that can run a model of this kind (the MLP format has no ONNX graph for onnxruntime). */
export function backendsFor(m: Pick<LoadedModel, 'kind'>): PredictBackend[] {
  return m.kind === 'mlp' ? ['wasm', 'webgpu'] : ['wasm', 'onnxruntime', 'webgpu'];
}

/** A PlanError unless `backend` can run a model of this kind. */
export function checkBackend(m: Pick<LoadedModel, 'kind'>, backend: string): void {
  if (!(PREDICT_BACKENDS as readonly string[]).includes(backend)) throw new PlanError(`predict: backend must be one of ${PREDICT_BACKENDS.join(', ')}, got ${JSON.stringify(backend)}`);
  if (!backendsFor(m).includes(backend as PredictBackend)) throw new PlanError(`predict: backend '${backend}' runs ONNX models; a model.json (MLP) model runs on ${backendsFor(m).join(' or ')}`);
}

/**
 * Makes `model` resident on `backend` in this thread. `threads` is what one runner may use on
 * the CPU (1 in a worker pool, which already runs one worker per core). `outputs` names graph
 * outputs of an ONNX model to return besides the ranked one (checked at plan time by
 * checkModelOutputs); without them the model runs exactly as it always has.
 */
export async function createPredictRunner(model: LoadedModel, backend: PredictBackend, threads = 1, outputs: readonly string[] = []): Promise<{ runner: Predictor; description: string }> {
  if (model.kind === 'mlp') {
    if (outputs.length) throw new PlanError(`predict: outputs names ONNX graph outputs; the model.json (MLP) model at ${model.dir} has none to give`);
    if (backend === 'webgpu') {
      const { gpuMlpRunner } = await import('./gpu-runner.ts');
      return gpuMlpRunner(model);
    }
    checkBackend(model, backend);
    const { createCpuMlp } = await import('../../gpu-kernels/mlp/cpu.ts');
    return { runner: createCpuMlp(model.weights, { threads }), description: `cpu (wasm simd128, ${threads} thread${threads > 1 ? 's' : ''} per worker)` };
  }
  const out = { name: model.output.name, classes: model.numClasses, kind: model.output.kind };
  if (backend === 'onnxruntime') {
    const { createOrtRunner } = await import('./ort-runner.ts');
    const r = await createOrtRunner(model, threads, outputs);
    return { runner: programPredictor(r, out, outputs), description: r.description };
  }
  const program = compileArtifact(model, outputs);
  if (backend === 'webgpu') {
    const { gpuProgramRunner } = await import('./gpu-runner.ts');
    const r = await gpuProgramRunner(program);
    return { runner: programPredictor(r, out, outputs), description: r.description };
  }
  const { cpuBackend } = await import('../../gpu-kernels/cpu-backend.ts');
  const r = await cpuBackend.program(program);
  return { runner: programPredictor(r, out, outputs), description: r.description };
}
