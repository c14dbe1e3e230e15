// WebGPU backends for the shared kernel tests: f32, and f16 when the adapter has shader-f16. No adapter fails (CI installs lavapipe).
import type { KernelBackend } from '../../gpu-kernels/backend.ts';
import { getGpuDevice } from '../../gpu-kernels/device/index.ts';
import { createWebgpuBackend } from '../../gpu-kernels/webgpu-backend.ts';

/**
 * 'require': a machine without a Vulkan adapter fails here with a GpuError that says to run
 * `sudo bash scripts/setup.sh` (it installs lavapipe), instead of skipping the GPU half of
 * every kernel test silently.
 */
export async function webgpuTestBackends(): Promise<KernelBackend[]> {
  const gd = await getGpuDevice({ gpu: 'require' });
  if (!gd) throw new Error('unreachable: getGpuDevice with gpu: require returned null');
  const out = [createWebgpuBackend(gd, 'f32')];
  if (gd.info.hasF16) out.push(createWebgpuBackend(gd, 'f16'));
  return out;
}
