// KernelBackend: every kernel on one device (the reference, the fast CPU path, or WebGPU), called by name.
import type { ArgmaxArgs, Ranked, TopkArgs } from './argmax/contract.ts';
import type { BackendName, Precision } from './kernel.ts';
import type { MapArgs } from './map/contract.ts';
import type { MatmulArgs } from './matmul/contract.ts';
import type { MlpRunner, MlpWeights } from './mlp/contract.ts';
import type { NormalizeArgs } from './normalize/contract.ts';
import type { ProgramRunner, TensorProgram } from './program/contract.ts';
import type { SoftmaxArgs } from './softmax/contract.ts';

/**
 * The kernels of one backend. Inputs are host arrays and results come back to the host (the
 * fused MLP is the exception that keeps everything resident: weights once, activations
 * between layers on the device). Every method MUST honour its kernel's contract.
 */
export interface KernelBackend {
  readonly name: BackendName;
  readonly precision: Precision;
  /** One line for logs and explain(): e.g. "webgpu (llvmpipe, f32)" or "cpu (wasm simd, 2 threads)". */
  readonly description: string;
  normalize(args: NormalizeArgs): Promise<Float32Array>;
  matmul(args: MatmulArgs): Promise<Float32Array>;
  softmax(args: SoftmaxArgs): Promise<Float32Array>;
  argmax(args: ArgmaxArgs): Promise<Ranked>;
  topk(args: TopkArgs): Promise<Ranked>;
  map(args: MapArgs): Promise<Float32Array>;
  /** Makes a model resident on this backend. */
  mlp(weights: MlpWeights): Promise<MlpRunner>;
  /** Makes a tensor program (a CNN) resident on this backend; rejects with a RangeError naming the step when the program is invalid. */
  program(p: TensorProgram): Promise<ProgramRunner>;
}
