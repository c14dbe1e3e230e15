// The backends of the CNN kernels' shared tests: the reference, the fast CPU path and WebGPU (f32) on the test device, each as one table of host-array functions.
import type { ConcatArgs } from '../../gpu-kernels/concat/contract.ts';
import { concatCpu, concatReference } from '../../gpu-kernels/concat/cpu.ts';
import { concatWebgpu } from '../../gpu-kernels/concat/wgsl.ts';
import type { Conv2dArgs } from '../../gpu-kernels/conv2d/contract.ts';
import { conv2dCpu, conv2dReference } from '../../gpu-kernels/conv2d/cpu.ts';
import { conv2dWebgpu } from '../../gpu-kernels/conv2d/wgsl.ts';
import type { ActivationArgs, BinaryArgs } from '../../gpu-kernels/eltwise/contract.ts';
import { activationCpu, binaryCpu, binaryReference } from '../../gpu-kernels/eltwise/cpu.ts';
import { activationWebgpu, binaryWebgpu } from '../../gpu-kernels/eltwise/wgsl.ts';
import type { ImageToTensorArgs } from '../../gpu-kernels/image-to-tensor/contract.ts';
import { imageToTensorCpu, imageToTensorReference } from '../../gpu-kernels/image-to-tensor/cpu.ts';
import { imageToTensorWebgpu } from '../../gpu-kernels/image-to-tensor/wgsl.ts';
import type { Precision } from '../../gpu-kernels/kernel.ts';
import type { Pool2dArgs } from '../../gpu-kernels/pool2d/contract.ts';
import { pool2dCpu, pool2dReference } from '../../gpu-kernels/pool2d/cpu.ts';
import { pool2dWebgpu } from '../../gpu-kernels/pool2d/wgsl.ts';
import { getGpuDevice } from '../../gpu-kernels/device/index.ts';

export interface CnnKernels {
  description: string;
  precision: Precision;
  conv2d(a: Conv2dArgs): Promise<Float32Array>;
  pool2d(a: Pool2dArgs): Promise<Float32Array>;
  binary(a: BinaryArgs): Promise<Float32Array>;
  activation(a: ActivationArgs): Promise<Float32Array>;
  imageToTensor(a: ImageToTensorArgs): Promise<Float32Array>;
  concat(a: ConcatArgs): Promise<Float32Array>;
}

/** 'require' as in webgpu-backends.ts: no adapter fails the test instead of skipping the GPU half. */
export async function cnnBackends(): Promise<CnnKernels[]> {
  const gd = await getGpuDevice({ gpu: 'require' });
  if (!gd) throw new Error('unreachable: getGpuDevice with gpu: require returned null');
  return [
    {
      description: 'reference', precision: 'f32',
      conv2d: async (a) => conv2dReference(a), pool2d: async (a) => pool2dReference(a), binary: async (a) => binaryReference(a).y,
      activation: async (a) => activationCpu(a), imageToTensor: async (a) => imageToTensorReference(a), concat: async (a) => concatReference(a),
    },
    {
      description: 'cpu (wasm simd128)', precision: 'f32',
      conv2d: async (a) => conv2dCpu(a), pool2d: async (a) => pool2dCpu(a), binary: async (a) => binaryCpu(a).y,
      activation: async (a) => activationCpu(a), imageToTensor: async (a) => imageToTensorCpu(a), concat: async (a) => concatCpu(a),
    },
    {
      description: `webgpu (${gd.info.name}, f32)`, precision: 'f32',
      conv2d: (a) => conv2dWebgpu(gd, a, 'f32'), pool2d: (a) => pool2dWebgpu(gd, a, 'f32'), binary: (a) => binaryWebgpu(gd, a, 'f32'),
      activation: (a) => activationWebgpu(gd, a, 'f32'), imageToTensor: (a) => imageToTensorWebgpu(gd, a, 'f32'), concat: (a) => concatWebgpu(gd, a, 'f32'),
    },
  ];
}
