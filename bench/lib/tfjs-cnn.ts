// tfjsProgramRunner: a CNN (a TensorProgram compiled from ONNX, e.g. models/fmnist-cnn) rebuilt from its weights with TensorFlow.js ops and run on tfjs-webgpu (Dawn in Node), as a ProgramRunner.
//
// What a tfjs user porting a PyTorch CNN would write: NHWC activations (tfjs's native layout),
// filters transposed once to [kH, kW, in, out], fused conv2d/depthwiseConv2d + bias + relu,
// maxPool/avgPool, fused matMul for the dense layers, weights uploaded once, one tf.tidy per
// batch, logits read back with data(). The first dense layer after a flatten gets its input
// columns permuted once from PyTorch's CHW order to HWC, so no transpose runs per batch.
// Supported: image-to-tensor, conv2d (dense or depthwise), pool2d, gemm, binary add/mul,
// activation, reshape (flatten), softmax; anything else throws when the runner is built.
import type * as TfCore from '@tensorflow/tfjs-core';
import type { Activation, ProgramRunner, TensorProgram } from '../../gpu-kernels/program/contract.ts';
import { loadTfjsWebgpu } from './tfjs-mlp.ts';

type Tf = typeof TfCore;
type T = TfCore.Tensor;
type FusedAct = 'linear' | 'relu' | 'relu6' | 'sigmoid';

/** The fused activation tfjs has for `a`, or null when it must run as a separate op. */
function fusedAct(a: Activation): FusedAct | null {
  switch (a.op) {
    case 'none': return 'linear';
    case 'relu': return 'relu';
    case 'sigmoid': return 'sigmoid';
    case 'clip': return a.min === 0 && a.max === 6 ? 'relu6' : null;
    case 'hardswish': return null;
  }
}

function applyAct(tf: Tf, x: T, a: Activation): T {
  switch (a.op) {
    case 'none': return x;
    case 'relu': return tf.relu(x);
    case 'sigmoid': return tf.sigmoid(x);
    case 'clip': return tf.clipByValue(x, a.min, a.max);
    case 'hardswish': return tf.div(tf.mul(x, tf.relu6(tf.add(x, 3))), 6);
  }
}

/** tfjs's padding argument for ONNX pads [top, left, bottom, right]. */
function padArg(p: readonly [number, number, number, number]): 'valid' | number | [[number, number], [number, number], [number, number], [number, number]] {
  if (p.every((v) => v === 0)) return 'valid';
  if (p.every((v) => v === p[0])) return p[0];
  return [[0, 0], [p[0], p[2]], [p[1], p[3]], [0, 0]];
}

/** The program run by tfjs on its WebGPU backend over `gpu` (a Dawn GPU object). Output tensors MUST be [N, k] (logits, embeddings). */
export async function tfjsProgramRunner(program: TensorProgram, gpu: GPU): Promise<ProgramRunner> {
  const tf = await loadTfjsWebgpu(gpu);
  const shapes = program.values;
  const consts = program.constants;
  const weights: T[] = [];
  const keep = <X extends T>(t: X): X => { weights.push(t); return t; };
  // Per-sample shape of a value in tfjs layout: [c, h, w] becomes [h, w, c].
  const rank = (id: string) => shapes[id]?.shape.length ?? 0;
  // Values that are a flatten of a [c, h, w] activation, stored in HWC order; only gemm may read them.
  const flattenedFrom = new Map<string, readonly number[]>();

  type Op = (env: Map<string, T>, n: number) => void;
  const ops: Op[] = [];
  for (const s of program.steps) {
    switch (s.kind) {
      case 'image-to-tensor': {
        const { h, w, c } = s;
        const mul = keep(tf.tensor1d(s.std.map((d) => s.scale / d)));
        const add = keep(tf.tensor1d(s.mean.map((m, i) => -m / s.std[i])));
        // tfjs has no uint8 dtype: the bytes become int32 (converted on the host), then float.
        ops.push((env, n) => env.set(s.y, tf.add(tf.mul(tf.cast(tf.reshape(env.get(s.x)!, [n, h, w, c]), 'float32'), mul), add)));
        break;
      }
      case 'conv2d': {
        const w = consts[s.w];
        const [m, cg, kh, kw] = w.shape;
        const cin = cg * s.group;
        const depthwise = s.group > 1 && s.group === cin && m === cin;
        if (s.group > 1 && !depthwise) throw new Error(`tfjsProgramRunner: grouped conv '${s.y}' (group ${s.group} of ${cin} channels) has no tfjs op`);
        if (s.dilations.some((d) => d !== 1)) throw new Error(`tfjsProgramRunner: dilated conv '${s.y}' is not ported`);
        // ONNX [M, C/g, kH, kW] -> tfjs conv2d [kH, kW, C, M]; depthwise [kH, kW, C, 1].
        const filter = keep(tf.tidy(() => {
          const t = tf.tensor4d(w.data, [m, cg, kh, kw]);
          return depthwise ? tf.transpose(t, [2, 3, 0, 1]) : tf.transpose(t, [2, 3, 1, 0]);
        }) as TfCore.Tensor4D);
        const bias = s.b ? keep(tf.tensor1d(consts[s.b].data)) : undefined;
        const fa = fusedAct(s.act);
        const pad = padArg(s.pads);
        const strides = [s.strides[0], s.strides[1]] as [number, number];
        ops.push((env) => {
          const x = env.get(s.x)! as TfCore.Tensor4D;
          const args = { x, filter, strides, pad, bias, activation: fa ?? 'linear' } as const;
          const y = depthwise ? tf.fused.depthwiseConv2d(args as Parameters<typeof tf.fused.depthwiseConv2d>[0]) : tf.fused.conv2d(args as Parameters<typeof tf.fused.conv2d>[0]);
          env.set(s.y, fa ? y : applyAct(tf, y, s.act));
        });
        break;
      }
      case 'pool2d': {
        const k = [s.kernel[0], s.kernel[1]] as [number, number];
        const st = [s.strides[0], s.strides[1]] as [number, number];
        const [, h, w] = shapes[s.x].shape;
        const global = s.mode === 'avg' && k[0] === h && k[1] === w && s.pads.every((p) => p === 0);
        if (s.mode === 'avg' && !global && s.pads.some((p) => p !== 0)) throw new Error(`tfjsProgramRunner: padded average pool '${s.y}' is not ported`);
        const pad = padArg(s.pads);
        ops.push((env) => {
          const x = env.get(s.x)! as TfCore.Tensor4D;
          env.set(s.y, global ? tf.mean(x, [1, 2], true) : s.mode === 'max' ? tf.maxPool(x, k, st, pad as never) : tf.avgPool(x, k, st, pad as never));
        });
        break;
      }
      case 'reshape': {
        const from = shapes[s.x].shape;
        const to = shapes[s.y].shape;
        if (from.length === 3 && to.length === 1 && from[1] * from[2] > 1) flattenedFrom.set(s.y, from);
        else if (rank(s.x) !== 1 && to.length !== 1) throw new Error(`tfjsProgramRunner: reshape '${s.y}' from [${from}] to [${to}] is not ported (only flatten)`);
        ops.push((env, n) => env.set(s.y, tf.reshape(env.get(s.x)!, [n, to.reduce((a, b) => a * b, 1)])));
        break;
      }
      case 'gemm': {
        const w = consts[s.w];
        const [nOut, k] = w.shape;
        let data = w.data;
        const chw = flattenedFrom.get(s.x);
        if (chw) {
          // Columns in PyTorch's flatten order (c, h, w) -> this runner's (h, w, c).
          const [c, h, ww] = chw;
          data = new Float32Array(w.data.length);
          for (let o = 0; o < nOut; o++) {
            for (let ci = 0; ci < c; ci++) for (let y = 0; y < h; y++) for (let x = 0; x < ww; x++) {
              data[o * k + (y * ww + x) * c + ci] = w.data[o * k + (ci * h + y) * ww + x];
            }
          }
        }
        const wt = keep(tf.tensor2d(data, [nOut, k]));
        const bias = s.b ? keep(tf.tensor1d(consts[s.b].data)) : undefined;
        const fa = fusedAct(s.act);
        ops.push((env, n) => {
          const x = tf.reshape(env.get(s.x)!, [n, k]) as TfCore.Tensor2D;
          const y = tf.fused.matMul({ a: x, b: wt, transposeB: true, bias, activation: fa ?? 'linear' });
          env.set(s.y, fa ? y : applyAct(tf, y, s.act));
        });
        break;
      }
      case 'binary': {
        const operand = (id: string): ((env: Map<string, T>) => T) => {
          const c = consts[id];
          if (!c) return (env) => env.get(id)!;
          // A constant [c, h, w] (or [c, 1, 1]) broadcasts over NCHW: move its channels last.
          const t = keep(c.shape.length === 3 ? tf.tidy(() => tf.transpose(tf.tensor3d(c.data, c.shape as [number, number, number]), [1, 2, 0])) : tf.tensor(c.data, [...c.shape]));
          return () => t;
        };
        const a = operand(s.a), b = operand(s.b);
        ops.push((env) => env.set(s.y, applyAct(tf, s.op === 'add' ? tf.add(a(env), b(env)) : tf.mul(a(env), b(env)), s.act)));
        break;
      }
      case 'activation':
        ops.push((env) => env.set(s.y, applyAct(tf, env.get(s.x)!, s.act)));
        break;
      case 'softmax':
        if (rank(s.x) !== 1) throw new Error(`tfjsProgramRunner: softmax '${s.y}' over a rank-${rank(s.x)} sample is not ported`);
        ops.push((env) => env.set(s.y, tf.softmax(env.get(s.x)!)));
        break;
      case 'concat':
        throw new Error(`tfjsProgramRunner: concat '${s.y}' is not ported`);
    }
  }
  for (const o of program.outputs) if (rank(o) !== 1) throw new Error(`tfjsProgramRunner: output '${o}' has per-sample shape [${shapes[o].shape}]; only [k] outputs are supported`);
  const inShape = program.input.shape;
  const inSize = inShape.reduce((a, b) => a * b, 1);
  if (program.input.dtype !== 'uint8') throw new Error('tfjsProgramRunner: the program must take uint8 images (start with image-to-tensor)');
  let disposed = false;
  const backend = tf.backend() as unknown as { adapterInfo?: { vendor?: string } };
  return {
    description: `tfjs ${tf.version_core} (webgpu${backend.adapterInfo?.vendor ? `, ${backend.adapterInfo.vendor}` : ''}, NHWC, fused conv/matMul)`,
    async run(input: Uint8Array | Float32Array, n: number): Promise<Record<string, Float32Array>> {
      if (disposed) throw new Error('tfjsProgramRunner: run after dispose()');
      if (!(input instanceof Uint8Array) || input.length !== n * inSize) throw new RangeError(`tfjsProgramRunner: expected ${n} x ${inSize} uint8, got ${input.length} ${input.constructor.name}`);
      if (n === 0) return Object.fromEntries(program.outputs.map((o) => [o, new Float32Array(0)]));
      const outs = tf.tidy(() => {
        const env = new Map<string, T>([[program.input.id, tf.tensor(input, [n, ...inShape], 'int32')]]);
        for (const op of ops) op(env, n);
        return program.outputs.map((o) => env.get(o)!);
      });
      try {
        const data = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
        return Object.fromEntries(program.outputs.map((o, i) => [o, data[i]]));
      } finally {
        tf.dispose(outs);
      }
    },
    dispose() {
      disposed = true;
      tf.dispose(weights);
    },
  };
}
