// concat in WGSL: each input's rows copied into its column range of y (one dispatch per input).
import type { GpuDevice, GpuJob } from '../device/index.ts';
import type { Precision } from '../kernel.ts';
import { WG_1D, groups1d } from '../wgsl-util.ts';
import type { ConcatArgs } from './contract.ts';
import { checkConcat } from './cpu.ts';

const SHADER = /* wgsl */ `
struct Params { total: u32, inner: u32, ldy: u32, off: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> q: Params;
@compute @workgroup_size(${WG_1D})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wg.y * nwg.x + wg.x) * ${WG_1D}u + li;
  if (i >= q.total) { return; }
  let r = i / q.inner;
  y[r * q.ldy + q.off + (i - r * q.inner)] = x[i];
}`;

export const copyRowsPipeline = (gd: GpuDevice): Promise<GPUComputePipeline> => gd.pipeline('copy-rows', () => SHADER);

/**
 * Copies x [rows, inner] into y's columns [off, off + inner) of rows `ldy` long. Also pads rows
 * (ldy > inner, off 0) for kernels that read vec4s.
 */
export function encodeCopyRows(job: GpuJob, pipe: GPUComputePipeline, rows: number, inner: number, ldy: number, off: number, bufs: { x: GPUBuffer; y: GPUBuffer }): void {
  const total = rows * inner;
  if (total === 0) return;
  job.dispatch(pipe, [bufs.x, bufs.y, job.uniform([total, inner, ldy, off])], groups1d(total));
}

export async function concatWebgpu(gd: GpuDevice, a: ConcatArgs, _precision: Precision): Promise<Float32Array> {
  const total = checkConcat(a);
  const size = a.outer * total;
  if (size === 0) return new Float32Array(0);
  const pipe = await copyRowsPipeline(gd);
  const job = gd.job('concat');
  const y = job.buffer(size * 4);
  let off = 0;
  a.xs.forEach((x, i) => {
    encodeCopyRows(job, pipe, a.outer, a.inners[i], total, off, { x: job.upload(x.length ? x : new Float32Array(1)), y });
    off += a.inners[i];
  });
  job.read(y, size * 4);
  const [out] = await job.submit();
  return new Float32Array(out);
}

const PAD_SHADER = /* wgsl */ `
struct Params { total: u32, inner: u32, ldy: u32, p0: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> q: Params;
@compute @workgroup_size(${WG_1D})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wg.y * nwg.x + wg.x) * ${WG_1D}u + li;
  if (i >= q.total) { return; }
  let r = i / q.ldy;
  let col = i - r * q.ldy;
  y[i] = select(0.0, x[r * q.inner + min(col, q.inner - 1u)], col < q.inner);
}`;

export const padRowsPipeline = (gd: GpuDevice): Promise<GPUComputePipeline> => gd.pipeline('pad-rows', () => PAD_SHADER);

/** x [rows, inner] to y [rows, ldy] with zero columns on the right (pooled buffers hold garbage, and 0 * NaN is NaN, so the padding MUST be written). */
export function encodePadRows(job: GpuJob, pipe: GPUComputePipeline, rows: number, inner: number, ldy: number, bufs: { x: GPUBuffer; y: GPUBuffer }): void {
  const total = rows * ldy;
  if (total === 0) return;
  job.dispatch(pipe, [bufs.x, bufs.y, job.uniform([total, inner, ldy, 0])], groups1d(total));
}
