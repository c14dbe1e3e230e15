// eltwise in WGSL: the activation snippet every fused kernel includes, broadcast add/mul (rank <= 6) and a standalone activation.
import type { GpuDevice, GpuJob } from '../device/index.ts';
import type { Precision } from '../kernel.ts';
import type { Activation } from '../program/contract.ts';
import { WGSL_NAN, WG_1D, groups1d } from '../wgsl-util.ts';
import { broadcastShape, type ActivationArgs, type BinaryArgs } from './contract.ts';
import { checkActivation } from './cpu.ts';

/** A key fragment naming an activation (clip bounds included: they are baked into the code). */
export function activationKey(act: Activation): string {
  return act.op === 'clip' ? `clip(${act.min},${act.max})` : act.op;
}

const f32Lit = (v: number): string => {
  if (v === Infinity) return 'inf_f32()';
  if (v === -Infinity) return '-inf_f32()';
  const s = String(Math.fround(v));
  return /[.e]/.test(s) ? s : `${s}.0`;
};

/**
 * WGSL `fn act(v: f32) -> f32` (and the NaN helpers it needs). Selects, not min/max/clamp:
 * WGSL leaves NaN through those to the implementation, and the contract keeps NaN.
 */
export function activationWgsl(act: Activation): string {
  let body: string;
  switch (act.op) {
    case 'none': body = 'return v;'; break;
    case 'relu': body = 'return select(v, 0.0, v < 0.0);'; break;
    case 'clip': body = `return select(select(v, ${f32Lit(act.min)}, v < ${f32Lit(act.min)}), ${f32Lit(act.max)}, v > ${f32Lit(act.max)});`; break;
    // exp of a clamped argument: the builtin may give NaN or lose range beyond +-88.
    case 'sigmoid': body = 'return select(1.0 / (1.0 + exp(-clamp(v, -88.0, 88.0))), v, is_nan(v));'; break;
    case 'hardswish': body = 'let r = v + 3.0; return v * select(select(r, 0.0, r < 0.0), 6.0, r > 6.0) / 6.0;'; break;
  }
  return `${WGSL_NAN}
fn act(v: f32) -> f32 { ${body} }`;
}

const MAX_RANK = 6;

function binaryShader(op: 'add' | 'mul', act: Activation): string {
  return /* wgsl */ `${activationWgsl(act)}
// dims, a's and b's strides (0 where broadcast), right-aligned to rank 6.
struct Params { n: u32, p0: u32, p1: u32, p2: u32, dim: array<vec4u, 2>, sa: array<vec4u, 2>, sb: array<vec4u, 2> }
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
@compute @workgroup_size(${WG_1D})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wg.y * nwg.x + wg.x) * ${WG_1D}u + li;
  if (i >= params.n) { return; }
  var rem = i;
  var ia = 0u;
  var ib = 0u;
  for (var d = ${MAX_RANK - 1}i; d >= 0; d--) {
    let dd = u32(d);
    let size = params.dim[dd / 4u][dd % 4u];
    let q = rem / size;
    let c = rem - q * size;
    rem = q;
    ia += c * params.sa[dd / 4u][dd % 4u];
    ib += c * params.sb[dd / 4u][dd % 4u];
  }
  y[i] = act(a[ia] ${op === 'add' ? '+' : '*'} b[ib]);
}`;
}

function activationShader(act: Activation): string {
  return /* wgsl */ `${activationWgsl(act)}
struct Params { n: u32, p0: u32, p1: u32, p2: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(${WG_1D})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wg.y * nwg.x + wg.x) * ${WG_1D}u + li;
  if (i >= params.n) { return; }
  y[i] = act(x[i]);
}`;
}

export const binaryPipeline = (gd: GpuDevice, op: 'add' | 'mul', act: Activation): Promise<GPUComputePipeline> =>
  gd.pipeline(`binary:${op}:${activationKey(act)}`, () => binaryShader(op, act));
export const activationPipeline = (gd: GpuDevice, act: Activation): Promise<GPUComputePipeline> =>
  gd.pipeline(`activation:${activationKey(act)}`, () => activationShader(act));

/** The uniform words of a broadcast: [n, pad x3, dims, a strides, b strides], each right-aligned to rank 6. */
function binaryWords(aShape: readonly number[], bShape: readonly number[]): { words: number[]; n: number } {
  const out = broadcastShape(aShape, bShape);
  if (out.length > MAX_RANK) throw new RangeError(`binary: rank ${out.length} exceeds the WGSL kernel's ${MAX_RANK}`);
  const dims = new Array<number>(MAX_RANK).fill(1), sa = new Array<number>(MAX_RANK).fill(0), sb = new Array<number>(MAX_RANK).fill(0);
  out.forEach((d, i) => { dims[MAX_RANK - out.length + i] = d; });
  for (const [shape, st] of [[aShape, sa], [bShape, sb]] as const) {
    let s = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
      st[MAX_RANK - shape.length + i] = shape[i] === 1 ? 0 : s;
      s *= shape[i];
    }
  }
  const n = out.reduce((p, v) => p * v, 1);
  return { words: [n, 0, 0, 0, ...dims, 0, 0, ...sa, 0, 0, ...sb, 0, 0], n };
}

/** Encodes y = act(a op b) (buffers on the device). Synchronous: see encodeMatmul. */
export function encodeBinary(job: GpuJob, pipe: GPUComputePipeline, aShape: readonly number[], bShape: readonly number[], bufs: { a: GPUBuffer; b: GPUBuffer; y: GPUBuffer }): void {
  const { words, n } = binaryWords(aShape, bShape);
  job.dispatch(pipe, [bufs.a, bufs.b, bufs.y, job.uniform(words)], groups1d(n));
}

export function encodeActivation(job: GpuJob, pipe: GPUComputePipeline, n: number, bufs: { x: GPUBuffer; y: GPUBuffer }): void {
  job.dispatch(pipe, [bufs.x, bufs.y, job.uniform([n, 0, 0, 0])], groups1d(n));
}

/** The backend's binary op: host arrays in and out (computed in f32 for both precisions). */
export async function binaryWebgpu(gd: GpuDevice, a: BinaryArgs, _precision: Precision): Promise<Float32Array> {
  checkActivation('binary', a.act);
  const { n } = binaryWords(a.aShape, a.bShape);
  if (a.a.length !== a.aShape.reduce((p, v) => p * v, 1) || a.b.length !== a.bShape.reduce((p, v) => p * v, 1)) throw new RangeError('binary: a or b does not match its shape');
  if (n === 0) return new Float32Array(0);
  const pipe = await binaryPipeline(gd, a.op, a.act);
  const job = gd.job('binary');
  const y = job.buffer(n * 4);
  encodeBinary(job, pipe, a.aShape, a.bShape, { a: job.upload(a.a), b: job.upload(a.b), y });
  job.read(y, n * 4);
  const [out] = await job.submit();
  return new Float32Array(out);
}

export async function activationWebgpu(gd: GpuDevice, a: ActivationArgs, _precision: Precision): Promise<Float32Array> {
  checkActivation('activation', a.act);
  const n = a.x.length;
  if (n === 0) return new Float32Array(0);
  const pipe = await activationPipeline(gd, a.act);
  const job = gd.job('activation');
  const y = job.buffer(n * 4);
  encodeActivation(job, pipe, n, { x: job.upload(a.x), y });
  job.read(y, n * 4);
  const [out] = await job.submit();
  return new Float32Array(out);
}
