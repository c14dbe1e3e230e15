// WebGPU backends for the shared kernel tests. IN PROGRESS: the WebGPU backend is being written; until then none.
import type { KernelBackend } from '../../gpu-kernels/backend.ts';

export async function webgpuTestBackends(): Promise<KernelBackend[]> {
  return [];
}
