// softmax in WGSL: one invocation per row, max subtracted first; NaN rows, +inf entries and all -inf rows as the contract says.
import type { GpuDevice, GpuJob } from '../device/index.ts';
import { expectLength, type Precision } from '../kernel.ts';
import { WGSL_NAN, WG_1D, groups1d } from '../wgsl-util.ts';
import type { SoftmaxArgs } from './contract.ts';

const SHADER = /* wgsl */ `${WGSL_NAN}
struct Params { m: u32, n: u32, p0: u32, p1: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(${WG_1D})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let row = (wg.y * nwg.x + wg.x) * ${WG_1D}u + li;
  if (row >= params.m) { return; }
  let base = row * params.n;
  var mx = -inf_f32();
  var has_nan = false;
  var ninf = 0.0;
  for (var j = 0u; j < params.n; j++) {
    let v = x[base + j];
    if (is_nan(v)) { has_nan = true; } else { mx = max(mx, v); if (v == inf_f32()) { ninf += 1.0; } }
  }
  if (has_nan || mx == -inf_f32()) {
    for (var j = 0u; j < params.n; j++) { y[base + j] = nan_f32(); }
    return;
  }
  if (ninf > 0.0) {
    for (var j = 0u; j < params.n; j++) { y[base + j] = select(0.0, 1.0 / ninf, x[base + j] == inf_f32()); }
    return;
  }
  var s = 0.0;
  for (var j = 0u; j < params.n; j++) { s += exp(x[base + j] - mx); }
  let inv = 1.0 / s;
  for (var j = 0u; j < params.n; j++) { y[base + j] = exp(x[base + j] - mx) * inv; }
}`;

/** The softmax pipeline, for encoding into a larger job (a program's). */
export const softmaxPipeline = (gd: GpuDevice): Promise<GPUComputePipeline> => gd.pipeline('softmax', () => SHADER);

/** Encodes softmax over the m rows of n values of `x` into `y` within `job` (buffers the caller's). */
export function encodeSoftmax(job: GpuJob, pipe: GPUComputePipeline, m: number, n: number, bufs: { x: GPUBuffer; y: GPUBuffer }): void {
  job.dispatch(pipe, [bufs.x, bufs.y, job.uniform([m, n, 0, 0])], groups1d(m));
}

/** The backend's softmax (f32 arithmetic for both precisions: within the f16 tolerance too). */
export async function softmaxWebgpu(gd: GpuDevice, a: SoftmaxArgs, _precision: Precision): Promise<Float32Array> {
  const { m, n } = a;
  expectLength('softmax', 'x', a.x, m * n, '[m x n]');
  if (!(n >= 1)) throw new RangeError(`softmax: n = ${n}, expected n >= 1`);
  if (m === 0) return new Float32Array(0);
  const pipe = await softmaxPipeline(gd);
  const job = gd.job('softmax');
  const x = job.upload(a.x);
  const y = job.buffer(m * n * 4);
  encodeSoftmax(job, pipe, m, n, { x, y });
  job.read(y, m * n * 4);
  const [out] = await job.submit();
  return new Float32Array(out);
}
