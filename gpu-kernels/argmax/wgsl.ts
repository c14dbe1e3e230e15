// argmax and top-k in WGSL: one invocation per row, ranking NaN first, then by value, ties to the lower index.
import type { GpuDevice } from '../device/index.ts';
import { expectLength, type Precision } from '../kernel.ts';
import { WGSL_NAN, WG_1D, groups1d } from '../wgsl-util.ts';
import type { ArgmaxArgs, Ranked, TopkArgs } from './contract.ts';

/**
 * WGSL: `better(va, ia, vb, ib)` is true when (va, ia) ranks before (vb, ib) in the contract's
 * order. Shared with the MLP head so both rank alike. Comparisons are written so that NaN
 * never reaches `>` (whose NaN result WGSL leaves to the implementation).
 */
export const WGSL_RANK = /* wgsl */ `${WGSL_NAN}
fn better(va: f32, ia: u32, vb: f32, ib: u32) -> bool {
  let na = is_nan(va);
  let nb = is_nan(vb);
  if (na != nb) { return na; }
  if (!na && va != vb) { return va > vb; }
  return ia < ib;
}`;

/**
 * WGSL body fragment: ranks `k` best of a row read through `val(j)`, calling `emit(r, j, v)`
 * for r = 0..k-1. Selection by k passes (O(k n)): each pass takes the best entry ranked after
 * the previous one, so no per-row scratch array is needed (k is a runtime value).
 */
export function wgslSelectTopK(n: string, k: string): string {
  return /* wgsl */ `
  var pv = 0.0;
  var pi = 0xffffffffu;
  for (var r = 0u; r < ${k}; r++) {
    var bv = 0.0;
    var bi = 0xffffffffu;
    for (var j = 0u; j < ${n}; j++) {
      let v = val(row, j);
      if (r > 0u && !better(pv, pi, v, j)) { continue; }
      if (bi == 0xffffffffu || better(v, j, bv, bi)) { bv = v; bi = j; }
    }
    emit(row, r, bi, bv);
    pv = bv;
    pi = bi;
  }`;
}

const SHADER = /* wgsl */ `${WGSL_RANK}
struct Params { m: u32, n: u32, k: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out_index: array<i32>;
@group(0) @binding(2) var<storage, read_write> out_value: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
fn val(row: u32, j: u32) -> f32 { return x[row * params.n + j]; }
fn emit(row: u32, r: u32, j: u32, v: f32) { out_index[row * params.k + r] = i32(j); out_value[row * params.k + r] = v; }
@compute @workgroup_size(${WG_1D})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let row = (wg.y * nwg.x + wg.x) * ${WG_1D}u + li;
  if (row >= params.m) { return; }
  ${wgslSelectTopK('params.n', 'params.k')}
}`;

/** The backend's topk (argmax is k = 1). Values are copied from x on the device, so they are x's bits (NaN stays NaN). */
export async function topkWebgpu(gd: GpuDevice, a: TopkArgs, _precision: Precision): Promise<Ranked> {
  const { m, n, k } = a;
  expectLength('topk', 'x', a.x, m * n, '[m x n]');
  if (!(n >= 1)) throw new RangeError(`topk: n = ${n}, expected n >= 1`);
  if (!(k >= 1 && k <= n)) throw new RangeError(`topk: k = ${k}, expected 1 <= k <= n (${n})`);
  if (m === 0) return { index: new Int32Array(0), value: new Float32Array(0) };
  const pipe = await gd.pipeline('topk', () => SHADER);
  const job = gd.job('topk');
  const x = job.upload(a.x);
  const idx = job.buffer(m * k * 4);
  const val = job.buffer(m * k * 4);
  job.dispatch(pipe, [x, idx, val, job.uniform([m, n, k, 0])], groups1d(m));
  job.read(idx, m * k * 4);
  job.read(val, m * k * 4);
  const [i, v] = await job.submit();
  return { index: new Int32Array(i), value: new Float32Array(v) };
}

export function argmaxWebgpu(gd: GpuDevice, a: ArgmaxArgs, precision: Precision): Promise<Ranked> {
  return topkWebgpu(gd, { ...a, k: 1 }, precision);
}
