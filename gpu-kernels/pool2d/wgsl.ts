// pool2d in WGSL: one invocation per output scanning its window (max: NaN wins; avg: f32 sum, divided per countIncludePad).
import type { GpuDevice, GpuJob } from '../device/index.ts';
import type { Precision } from '../kernel.ts';
import { WGSL_NAN, WG_1D, groups1d } from '../wgsl-util.ts';
import { poolOutShape, type Pool2dArgs } from './contract.ts';
import { checkPool2d } from './cpu.ts';

export type PoolGeometry = Omit<Pool2dArgs, 'x'>;

/**
 * A window that is the whole plane with no padding (GlobalAveragePool) is 'global': the loop
 * runs over one contiguous plane without bounds checks.
 */
const isGlobal = (g: PoolGeometry): boolean => g.kernel[0] === g.h && g.kernel[1] === g.w && g.pads.every((p) => p === 0);

function shader(mode: 'max' | 'avg', global: boolean): string {
  const max = mode === 'max';
  const update = max ? 'if (is_nan(v)) { nan = true; } acc = max(acc, v);' : 'acc += v;';
  const body = global
    ? `let base = plane * q.h * q.w;
  for (var k = 0u; k < q.h * q.w; k++) { let v = x[base + k]; ${update} cnt += 1.0; }`
    : `for (var ky = 0u; ky < q.kh; ky++) {
    let iy = i32(oy * q.sh + ky) - i32(q.pt);
    if (iy < 0 || iy >= i32(q.h)) { continue; }
    for (var kx = 0u; kx < q.kw; kx++) {
      let ix = i32(ox * q.sw + kx) - i32(q.pl);
      if (ix < 0 || ix >= i32(q.w)) { continue; }
      let v = x[(plane * q.h + u32(iy)) * q.w + u32(ix)];
      ${update}
      cnt += 1.0;
    }
  }`;
  return /* wgsl */ `${WGSL_NAN}
struct Params { total: u32, h: u32, w: u32, oh: u32, ow: u32, kh: u32, kw: u32, sh: u32, sw: u32, pt: u32, pl: u32, include_pad: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> q: Params;
@compute @workgroup_size(${WG_1D})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wg.y * nwg.x + wg.x) * ${WG_1D}u + li;
  if (i >= q.total) { return; }
  let ohw = q.oh * q.ow;
  let plane = i / ohw;
  let r = i - plane * ohw;
  let oy = r / q.ow;
  let ox = r - oy * q.ow;
  var acc = ${max ? '-inf_f32()' : '0.0'};
  var nan = false;
  var cnt = 0.0;
  ${body}
  ${max ? 'y[i] = select(acc, nan_f32(), nan);' : 'y[i] = acc / select(cnt, f32(q.kh * q.kw), q.include_pad != 0u);'}
}`;
}

export function pool2dPipeline(gd: GpuDevice, g: PoolGeometry): Promise<GPUComputePipeline> {
  const global = isGlobal(g);
  return gd.pipeline(`pool2d:${g.mode}:${global ? 'global' : 'window'}`, () => shader(g.mode, global));
}

export function encodePool2d(job: GpuJob, pipe: GPUComputePipeline, g: PoolGeometry, bufs: { x: GPUBuffer; y: GPUBuffer }): void {
  const [oh, ow] = poolOutShape(g as Pool2dArgs);
  const total = g.n * g.c * oh * ow;
  const words = [total, g.h, g.w, oh, ow, g.kernel[0], g.kernel[1], g.strides[0], g.strides[1], g.pads[0], g.pads[1], g.countIncludePad ? 1 : 0];
  job.dispatch(pipe, [bufs.x, bufs.y, job.uniform(words)], groups1d(total));
}

export async function pool2dWebgpu(gd: GpuDevice, a: Pool2dArgs, _precision: Precision): Promise<Float32Array> {
  const [oh, ow] = checkPool2d(a);
  const size = a.n * a.c * oh * ow;
  if (size === 0) return new Float32Array(0);
  const pipe = await pool2dPipeline(gd, a);
  const job = gd.job('pool2d');
  const y = job.buffer(size * 4);
  encodePool2d(job, pipe, a, { x: job.upload(a.x), y });
  job.read(y, size * 4);
  const [out] = await job.submit();
  return new Float32Array(out);
}
