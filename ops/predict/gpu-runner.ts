// The GPU side of predict: the thread's GpuDevice running the fused WGSL MLP (f16 where the adapter has it).
import { getGpuDevice } from '../../gpu-kernels/device/index.ts';
import { WebgpuMlpRunner } from '../../gpu-kernels/mlp/wgsl.ts';
import type { MlpRunner } from '../../gpu-kernels/mlp/contract.ts';
import { ResourceError } from '../errors.ts';
import type { Model } from '../model/model.ts';

/** A resident runner on this thread's GPU; ResourceError (retried on the CPU) when there is none. */
export async function gpuMlpRunner(model: Model): Promise<{ runner: MlpRunner; description: string }> {
  const gd = await getGpuDevice({ gpu: 'require' }).catch((e) => {
    throw new ResourceError(`predict on the GPU: ${(e as Error).message}`, { cause: e });
  });
  if (!gd) throw new ResourceError('predict on the GPU: no GPU device on this executor');
  // f32: the committed model's accuracy is measured in f32; f16 is opt-in through the kernel API.
  const runner = await WebgpuMlpRunner.create(gd, model.weights, 'f32');
  return { runner, description: `webgpu (${gd.info.name}, f32)` };
}
