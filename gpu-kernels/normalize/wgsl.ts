// normalize in WGSL: u8 (read four to a u32) to f32, y = x * scale + shift.
import type { GpuDevice } from '../device/index.ts';
import type { Precision } from '../kernel.ts';
import { WG_1D, groups1d, packU8 } from '../wgsl-util.ts';
import type { NormalizeArgs } from './contract.ts';

/** One invocation per 4 bytes (one u32 of the packed input, four outputs). */
const SHADER = /* wgsl */ `
struct Params { n: u32, scale: f32, shift: f32, pad: u32 }
@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(${WG_1D})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let q = (wg.y * nwg.x + wg.x) * ${WG_1D}u + li;
  if (q * 4u >= params.n) { return; }
  let v = src[q];
  for (var b = 0u; b < 4u; b++) {
    let i = q * 4u + b;
    if (i < params.n) { y[i] = f32((v >> (8u * b)) & 255u) * params.scale + params.shift; }
  }
}`;

/** The backend's normalize. Both precisions compute in f32: the contract is f32-exact and f16 storage would only add a rounding. */
export async function normalizeWebgpu(gd: GpuDevice, a: NormalizeArgs, _precision: Precision): Promise<Float32Array> {
  const n = a.x.length;
  if (n === 0) return new Float32Array(0);
  const pipe = await gd.pipeline('normalize', () => SHADER);
  const job = gd.job('normalize');
  const src = job.upload(packU8(a.x));
  const y = job.buffer(n * 4);
  job.dispatch(pipe, [src, y, job.uniform([n, a.scale, a.shift, 0], [false, true, true, false])], groups1d(Math.ceil(n / 4)));
  job.read(y, n * 4);
  const [out] = await job.submit();
  return new Float32Array(out);
}
