// A TensorProgram run on the host: one interpreter over a table of CPU kernels (the references, or the fast paths).
import type { ActivationArgs, BinaryArgs } from '../eltwise/contract.ts';
import type { ConcatArgs } from '../concat/contract.ts';
import type { Conv2dArgs } from '../conv2d/contract.ts';
import type { ImageToTensorArgs } from '../image-to-tensor/contract.ts';
import type { MatmulArgs } from '../matmul/contract.ts';
import type { Pool2dArgs } from '../pool2d/contract.ts';
import type { SoftmaxArgs } from '../softmax/contract.ts';
import { sampleSize, type Activation, type ProgramRunner, type TensorProgram } from './contract.ts';
import { checkProgram, stepInputs, type CheckedProgram } from './validate.ts';

/** The kernels a host runner calls; each MUST honour its kernel's contract. */
export interface HostKernels {
  imageToTensor(a: ImageToTensorArgs): Float32Array;
  conv2d(a: Conv2dArgs): Float32Array;
  pool2d(a: Pool2dArgs): Float32Array;
  /** matmul with any activation (MatmulArgs.activation is ignored). */
  gemm(a: MatmulArgs, act: Activation): Float32Array;
  binary(a: BinaryArgs): Float32Array;
  activation(a: ActivationArgs): Float32Array;
  concat(a: ConcatArgs): Float32Array;
  softmax(a: SoftmaxArgs): Float32Array;
}

/** Checks a run's arguments against the program's input; shared by every runner. */
export function checkRunInput(p: TensorProgram, input: Uint8Array | Float32Array, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`program: n must be an integer >= 0, got ${n}`);
  const want = p.input.dtype === 'uint8' ? Uint8Array : Float32Array;
  if (!(input instanceof want)) throw new TypeError(`program: the input '${p.input.id}' is ${p.input.dtype}; pass a ${want.name}, got ${input?.constructor?.name}`);
  const len = n * sampleSize(p.input.shape);
  if (input.length !== len) throw new RangeError(`program: input has ${input.length} elements, expected n x ${sampleSize(p.input.shape)} = ${len}`);
}

/** Runs every step of `c` for n samples with `k`, dropping each tensor after its last reader. */
export function runOnHost(c: CheckedProgram, k: HostKernels, input: Uint8Array | Float32Array, n: number): Record<string, Float32Array> {
  const p = c.program;
  checkRunInput(p, input, n);
  const env = new Map<string, Float32Array | Uint8Array>([[p.input.id, input]]);
  const get = (id: string): Float32Array => (c.isConstant(id) ? p.constants[id].data : (env.get(id) as Float32Array));
  p.steps.forEach((s, i) => {
    let y: Float32Array;
    switch (s.kind) {
      case 'image-to-tensor':
        y = k.imageToTensor({ x: env.get(s.x) as Uint8Array, n, h: s.h, w: s.w, c: s.c, scale: s.scale, mean: s.mean, std: s.std });
        break;
      case 'conv2d': {
        const [C, H, W] = c.shape(s.x), [M, , kh, kw] = c.shape(s.w);
        y = k.conv2d({ x: get(s.x), n, c: C, h: H, w: W, weight: get(s.w), m: M, kh, kw, bias: s.b ? get(s.b) : null, strides: s.strides, pads: s.pads, dilations: s.dilations, group: s.group, act: s.act });
        break;
      }
      case 'pool2d': {
        const [C, H, W] = c.shape(s.x);
        y = k.pool2d({ mode: s.mode, x: get(s.x), n, c: C, h: H, w: W, kernel: s.kernel, strides: s.strides, pads: s.pads, countIncludePad: s.countIncludePad });
        break;
      }
      case 'gemm': {
        const [nOut, kIn] = c.shape(s.w);
        y = k.gemm({ x: get(s.x), w: get(s.w), bias: s.b ? get(s.b) : null, m: n, k: kIn, n: nOut, activation: 'none' }, s.act);
        break;
      }
      case 'binary': {
        const full = (id: string) => (c.isConstant(id) ? c.shape(id) : [n, ...c.shape(id)]);
        y = k.binary({ op: s.op, a: get(s.a), aShape: full(s.a), b: get(s.b), bShape: full(s.b), act: s.act });
        break;
      }
      case 'activation':
        y = k.activation({ x: get(s.x), act: s.act });
        break;
      case 'concat': {
        const shapes = s.xs.map((id) => c.shape(id));
        let outer = n;
        for (let d = 0; d < s.axis - 1; d++) outer *= shapes[0][d];
        y = k.concat({ xs: s.xs.map(get), outer, inners: shapes.map((sh) => sampleSize(sh.slice(s.axis - 1))) });
        break;
      }
      case 'softmax': {
        const sh = c.shape(s.x), last = sh[sh.length - 1];
        y = k.softmax({ x: get(s.x), m: (n * sampleSize(sh)) / last, n: last });
        break;
      }
      case 'reshape':
        y = get(s.x);
        break;
    }
    env.set(s.y, y);
    for (const id of new Set(stepInputs(s))) if (c.lastRead.get(id) === i) env.delete(id);
  });
  const out: Record<string, Float32Array> = {};
  for (const id of p.outputs) out[id] = get(id);
  return out;
}

/** A ProgramRunner around a synchronous host interpreter: runs one at a time (they cannot interleave), rejects after dispose(). */
export function hostRunner(program: TensorProgram, description: string, k: HostKernels): ProgramRunner {
  const c = checkProgram(program);
  let disposed = false;
  return {
    description,
    async run(input, n) {
      if (disposed) throw new Error('program: run() after dispose(); create a new runner');
      return runOnHost(c, k, input, n);
    },
    dispose() {
      disposed = true;
    },
  };
}
