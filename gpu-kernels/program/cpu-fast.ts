// The fast CPU ProgramRunner: convolutions as im2col + the WebAssembly SIMD dense kernel (weights packed once), gemm on the same kernel, the rest as tight JS loops.
import { concatCpu } from '../concat/cpu.ts';
import { conv2dCpu, packConv2d, type PackedConv2d } from '../conv2d/cpu.ts';
import { activationCpu, activateInPlace, binaryCpu } from '../eltwise/cpu.ts';
import { imageToTensorCpu } from '../image-to-tensor/cpu.ts';
import { matmulCpu } from '../matmul/cpu.ts';
import { pool2dCpu } from '../pool2d/cpu.ts';
import { softmaxCpu } from '../softmax/cpu.ts';
import type { ProgramRunner, TensorProgram } from './contract.ts';
import { hostRunner, type HostKernels } from './host.ts';

/**
 * Runs on the calling thread (the WebAssembly heap is the thread's own): a caller that wants
 * several cores runs one runner per worker over parts of its batches.
 */
export function createCpuProgramRunner(program: TensorProgram): ProgramRunner {
  // Packed conv weights, by the weight array (a program's constants do not change).
  const packed = new WeakMap<Float32Array, PackedConv2d>();
  const kernels: HostKernels = {
    imageToTensor: imageToTensorCpu,
    conv2d(a) {
      if (a.group === a.c && a.group === a.m) return conv2dCpu(a);
      let p = packed.get(a.weight);
      if (!p) { p = packConv2d(a); packed.set(a.weight, p); }
      return conv2dCpu(a, p);
    },
    pool2d: pool2dCpu,
    gemm(a, act) {
      const y = matmulCpu({ ...a, activation: act.op === 'relu' ? 'relu' : 'none' });
      if (act.op !== 'relu') activateInPlace(act, y);
      return y;
    },
    binary: (a) => binaryCpu(a).y,
    activation: activationCpu,
    concat: concatCpu,
    softmax: softmaxCpu,
  };
  return hostRunner(program, 'cpu (wasm simd128, 1 thread)', kernels);
}
