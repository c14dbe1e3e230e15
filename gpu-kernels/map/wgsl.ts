// map in WGSL: one elementwise function over a Float32Array, with the contract's NaN, inf and saturation rules.
import type { GpuDevice } from '../device/index.ts';
import type { Precision } from '../kernel.ts';
import { WGSL_NAN, WG_1D, groups1d } from '../wgsl-util.ts';
import type { MapArgs, MapOp } from './contract.ts';

/**
 * WGSL expression of `v` per op. Builtins are not trusted at the edges: WGSL leaves exp/log/
 * tanh of out-of-range values and NaN propagation through min/max/clamp to the implementation,
 * so the edges the contract names are spelled out (relu by select, tanh clamped then NaN put
 * back, log of 0 and of negatives explicit).
 */
function body(fn: MapOp): string {
  switch (fn.op) {
    case 'relu': return 'select(v, 0.0, v < 0.0)';
    case 'abs': return 'abs(v)';
    case 'neg': return '-v';
    case 'square': return 'v * v';
    case 'sqrt': return 'select(sqrt(v), nan_f32(), v < 0.0)';
    case 'exp': return 'exp_acc(v)';
    // Subnormal inputs are scaled by 2^24 first: lavapipe's log loses digits below 2^-126.
    case 'log': return 'select(select(select(log(v), log(v * 16777216.0) - 16.635532333438686, v < 1.1754944e-38), -inf_f32(), v == 0.0), nan_f32(), v < 0.0)';
    case 'sigmoid': return 'select(1.0 / (1.0 + exp_acc(-clamp(v, -88.0, 88.0))), v, is_nan(v))';
    case 'tanh': return 'select(tanh_safe(v), v, is_nan(v))';
    case 'affine': return 'fma(v, params.a, params.b)';
  }
}

function shader(fn: MapOp): string {
  return /* wgsl */ `${WGSL_NAN}
struct Params { n: u32, a: f32, b: f32, pad: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
// exp with range reduction: lavapipe's builtin exp loses ~|v| ulps for large v (3e38 came out
// 1e-5 off). v = n ln2 + r with |r| <= ln2/2 (ln2 split in two for an exact n ln2), then 2^n exp(r).
fn exp_acc(v: f32) -> f32 {
  if (v > 88.72284) { return inf_f32(); }
  if (v < -104.0) { return 0.0; }
  let n = round(v * 1.4426950408889634);
  let r = (v - n * 0.693145751953125) - n * 1.428606765330187e-6;
  let ni = i32(n);
  // two steps: 2^n alone would overflow for n = 128 or underflow for n < -126
  let h = ni / 2;
  return ldexp(ldexp(exp(r), h), ni - h);
}
// tanh via exp of a clamped argument: |v| > 9 is +-1 in f32, and the builtin may return NaN for large |v|.
fn tanh_safe(v: f32) -> f32 {
  let c = clamp(v, -9.0, 9.0);
  if (abs(c) < 0.125) { let c2 = c * c; return c * (1.0 + c2 * (-1.0 / 3.0 + c2 * (2.0 / 15.0 + c2 * (-17.0 / 315.0)))); }
  let e = exp(2.0 * c);
  return (e - 1.0) / (e + 1.0);
}
@compute @workgroup_size(${WG_1D})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wg.y * nwg.x + wg.x) * ${WG_1D}u + li;
  if (i >= params.n) { return; }
  let v = x[i];
  ${fn.op === 'affine' || fn.op === 'neg' || fn.op === 'abs' || fn.op === 'square' ? '' : 'if (is_nan(v)) { y[i] = v; return; }'}
  y[i] = ${body(fn)};
}`;
}

/** The backend's map. Computed in f32 for both precisions (within the f16 tolerance too). */
export async function mapWebgpu(gd: GpuDevice, a: MapArgs, _precision: Precision): Promise<Float32Array> {
  const n = a.x.length;
  if (n === 0) return new Float32Array(0);
  const pipe = await gd.pipeline(`map:${a.fn.op}`, () => shader(a.fn));
  const job = gd.job('map');
  const x = job.upload(a.x);
  const y = job.buffer(n * 4);
  const [pa, pb] = a.fn.op === 'affine' ? [a.fn.a, a.fn.b] : [0, 0];
  job.dispatch(pipe, [x, y, job.uniform([n, pa, pb, 0], [false, true, true, false])], groups1d(n));
  job.read(y, n * 4);
  const [out] = await job.submit();
  return new Float32Array(out);
}
