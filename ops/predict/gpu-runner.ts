// The GPU side of predict: the thread's GpuDevice running a model through the WebGPU kernel backend (f32).
import { getGpuDevice, type GpuDevice } from '../../gpu-kernels/device/index.ts';
import type { MlpRunner } from '../../gpu-kernels/mlp/contract.ts';
import type { ProgramRunner, TensorProgram } from '../../gpu-kernels/program/contract.ts';
import { createWebgpuBackend } from '../../gpu-kernels/webgpu-backend.ts';
import { ResourceError } from '../errors.ts';
import type { Model } from '../model/model.ts';

async function device(): Promise<GpuDevice> {
  const gd = await getGpuDevice({ gpu: 'require' }).catch((e) => {
    throw new ResourceError(`predict on the GPU: ${(e as Error).message}`, { cause: e });
  });
  if (!gd) throw new ResourceError('predict on the GPU: no GPU device on this executor');
  return gd;
}

/** A resident MLP on this thread's GPU; ResourceError (retried on the CPU) when there is none. */
export async function gpuMlpRunner(model: Model): Promise<{ runner: MlpRunner; description: string }> {
  const gd = await device();
  // f32: the committed model's accuracy is measured in f32; f16 is opt-in through the kernel API.
  const backend = createWebgpuBackend(gd, 'f32');
  return { runner: await backend.mlp(model.weights), description: backend.description };
}

/** A resident tensor program (a compiled ONNX model) on this thread's GPU. */
export async function gpuProgramRunner(program: TensorProgram): Promise<ProgramRunner> {
  const backend = createWebgpuBackend(await device(), 'f32');
  return backend.program(program);
}
