// The WebGPU KernelBackend: every kernel's WGSL on one GpuDevice, at one precision.
import { argmaxWebgpu, topkWebgpu } from './argmax/wgsl.ts';
import type { KernelBackend } from './backend.ts';
import { GpuError, type GpuDevice } from './device/index.ts';
import type { Precision } from './kernel.ts';
import { mapWebgpu } from './map/wgsl.ts';
import { matmulWebgpu } from './matmul/wgsl.ts';
import { WebgpuMlpRunner } from './mlp/wgsl.ts';
import { normalizeWebgpu } from './normalize/wgsl.ts';
import { softmaxWebgpu } from './softmax/wgsl.ts';
import { createWebgpuProgramRunner } from './program/wgsl.ts';

/**
 * precision 'f16' MUST only be asked for when device.info.hasF16 (the shaders `enable f16`).
 * On lavapipe f16 is correct but about 2x slower than f32 (no native f16 arithmetic on x86).
 */
export function createWebgpuBackend(device: GpuDevice, precision: Precision): KernelBackend {
  if (precision === 'f16' && !device.info.hasF16) throw new GpuError('validation', `the adapter '${device.info.name}' has no shader-f16: use precision 'f32'`);
  return {
    name: 'webgpu',
    precision,
    description: `webgpu (${device.info.name}${device.info.isCpu ? ', CPU' : ''}, ${precision})`,
    normalize: (a) => normalizeWebgpu(device, a, precision),
    matmul: (a) => matmulWebgpu(device, a, precision),
    softmax: (a) => softmaxWebgpu(device, a, precision),
    argmax: (a) => argmaxWebgpu(device, a, precision),
    topk: (a) => topkWebgpu(device, a, precision),
    map: (a) => mapWebgpu(device, a, precision),
    mlp: (w) => WebgpuMlpRunner.create(device, w, precision),
    // Programs run in f32 at either precision (their kernels have no f16 variant yet).
    program: (p) => createWebgpuProgramRunner(device, p),
  };
}
