// The reference ProgramRunner: every step by its kernel's plain-JS reference (f64 sums); the ground truth every other runner is tested against.
import { concatReference } from '../concat/cpu.ts';
import { conv2dReference } from '../conv2d/cpu.ts';
import { activationCpu, activateInPlace, binaryReference } from '../eltwise/cpu.ts';
import { imageToTensorReference } from '../image-to-tensor/cpu.ts';
import { matmulReference } from '../matmul/cpu.ts';
import { pool2dReference } from '../pool2d/cpu.ts';
import { softmaxReference } from '../softmax/cpu.ts';
import type { ProgramRunner, TensorProgram } from './contract.ts';
import { hostRunner, type HostKernels } from './host.ts';

export const referenceKernels: HostKernels = {
  imageToTensor: imageToTensorReference,
  conv2d: conv2dReference,
  pool2d: pool2dReference,
  gemm(a, act) {
    const y = matmulReference({ ...a, activation: 'none' });
    activateInPlace(act, y);
    return y;
  },
  binary: (a) => binaryReference(a).y,
  activation: activationCpu,
  concat: concatReference,
  softmax: softmaxReference,
};

/** Validates `program` (RangeError naming the step otherwise) and returns a runner over the reference kernels. */
export function createReferenceProgramRunner(program: TensorProgram): ProgramRunner {
  return hostRunner(program, 'reference (plain JS, f64 sums)', referenceKernels);
}
