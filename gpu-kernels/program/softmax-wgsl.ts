// Row softmax for programs, encoded into a program's job (softmax/wgsl.ts keeps its shader private and runs only as its own job; same semantics).
import type { GpuDevice, GpuJob } from '../device/index.ts';
import { WGSL_NAN, WG_1D, groups1d } from '../wgsl-util.ts';

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

export const softmaxRowsPipeline = (gd: GpuDevice): Promise<GPUComputePipeline> => gd.pipeline('program-softmax', () => SHADER);

export function encodeSoftmaxRows(job: GpuJob, pipe: GPUComputePipeline, m: number, n: number, bufs: { x: GPUBuffer; y: GPUBuffer }): void {
  job.dispatch(pipe, [bufs.x, bufs.y, job.uniform([m, n, 0, 0])], groups1d(m));
}
