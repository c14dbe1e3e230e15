// The backends every shared kernel test runs: the fast CPU path and, where an adapter exists, WebGPU (f32, and f16 when the adapter has it).
import type { KernelBackend } from '../../gpu-kernels/backend.ts';
import { webgpuTestBackends } from './webgpu-backends.ts';

export async function testBackends(): Promise<KernelBackend[]> {
  const { cpuBackend } = await import('../../gpu-kernels/cpu-backend.ts');
  return [cpuBackend, ...(await webgpuTestBackends())];
}
