// matmul in WGSL: y = act(x . w^T + bias), register-blocked (each invocation an R x C block, vec4 loads along k), shape-specialized.
import type { GpuDevice, GpuJob } from '../device/index.ts';
import type { Precision } from '../kernel.ts';
import { expectLength } from '../kernel.ts';
import { WG_1D, dispatch2d, enableF16 } from '../wgsl-util.ts';
import type { Activation } from '../program/contract.ts';
import { activationKey, activationWgsl } from '../eltwise/wgsl.ts';
import { type MatmulArgs } from './contract.ts';

/**
 * Block shape per invocation. Measured on lavapipe (2 shared cores, Mesa 25, LLVM 15):
 * matmul m=1024 k=784 n=300 with vec4 accumulators: 1x1 ~0.9, 2x2 ~1.0, 4x4 ~1.4-2.5 GFLOP/s
 * per CPU-second; layouts that make one operand uniform across lanes were slower (0.7).
 * In the MLP (784-300-100-10, batch 2048), images per CPU-second: 4x4 vec4 acc 2.6k, 4x4
 * scalar acc 3.5k, 8x4 scalar 4.5-7.1k, 16x4 scalar 5.9k, 8x8 scalar 3.9k. llvmpipe keeps each
 * lane's values in SIMD registers, so a vec4 accumulator costs 4 registers: scalar fma chains
 * spill less. Shared-memory tiles are several times slower there (barriers switch coroutines).
 * So on CPU adapters: no shared memory, 8x4 blocks, vec4 loads, scalar accumulators.
 * GPUs get 4x4 (not tuned here: no GPU on this machine).
 */
export interface MatmulTile {
  r: number;
  c: number;
  /** 'scalar': one f32 accumulator per output (fma chains; 4x fewer registers than 'vec4', which keeps a vec4 per output and sums it at the end). */
  acc?: 'vec4' | 'scalar';
}
export const CPU_TILE: MatmulTile = { r: 8, c: 4, acc: 'scalar' };
export const GPU_TILE: MatmulTile = { r: 4, c: 4, acc: 'scalar' };
export const DEFAULT_TILE = GPU_TILE;

/** The measured tile for a device (see above). */
export function tileFor(gd: GpuDevice): MatmulTile {
  return gd.info.isCpu ? CPU_TILE : GPU_TILE;
}

/** How the x operand is stored: f32 / f16 vectors, or u8 bytes packed 4 per u32 (normalized in the shader). */
export type MatmulInput = 'f32' | 'f16' | 'u8';

export interface MatmulShape {
  /** k padded to a multiple of 4: x rows and w rows are k4 vec4s long. */
  k4: number;
  /** Valid output columns. */
  n: number;
  /** Output row stride in elements (>= n; the MLP pads it to 4 so the next layer reads vec4s). */
  ldy: number;
  input: MatmulInput;
  /** Storage of w. */
  wStore: Precision;
  /** 'f16': both operands rounded to f16 and multiplied in f16 (sums stay f32). */
  precision: Precision;
  /** Storage of y. */
  out: Precision;
  activation: 'none' | 'relu';
  /** Any program activation, applied after the bias; when set it replaces `activation` (gemm steps with clip, sigmoid, hardswish). */
  act?: Activation;
  bias: boolean;
  tile: MatmulTile;
  /** k4, n and ldy from the params uniform instead of constants: one pipeline for every shape (compiling one per shape costs ~0.1-0.5 s each on lavapipe), a little slower. */
  dynamic?: boolean;
}

export function matmulKey(s: MatmulShape): string {
  if (s.act) return `${matmulKey({ ...s, act: undefined })}:act=${activationKey(s.act)}`;
  if (s.dynamic) return `matmul:dyn:${s.input}:${s.wStore}:${s.precision}:${s.out}:${s.activation}:${s.bias}:${s.tile.r}x${s.tile.c}${s.tile.acc ?? 'vec4'}`;
  return `matmul:k4=${s.k4}:n=${s.n}:ldy=${s.ldy}:${s.input}:${s.wStore}:${s.precision}:${s.out}:${s.activation}:${s.bias}:${s.tile.r}x${s.tile.c}${s.tile.acc ?? 'vec4'}`;
}

/**
 * Bindings: 0 x, 1 w [n x k4 vec4], 2 bias [n], 3 y, 4 params {m, scale, shift} (u8 input:
 * x = byte * scale + shift). Row and column indices are clamped for loads (the loop stays free
 * of branches; llvmpipe runs 8 lanes in lockstep) and guarded for stores.
 */
export function matmulShader(s: MatmulShape): string {
  const { r: R, c: C } = s.tile;
  const rs = [...Array(R).keys()], cs = [...Array(C).keys()];
  const f16 = s.precision === 'f16' || s.input === 'f16' || s.out === 'f16' || s.wStore === 'f16';
  const wT = s.wStore;
  const xDecl = s.input === 'u8' ? 'array<u32>' : `array<vec4<${s.input}>>`;
  const yT = s.out === 'f16' ? 'f16' : 'f32';
  // f16 products: both operands rounded to f16 and multiplied in f16, summed in f32 (an f16
  // accumulator over k = 784 would lose ~sqrt(k) ulps, beyond the contract's bound).
  const loadX = s.input === 'u8'
    ? (r: number) => `fma(vec4f((vec4u(x[xr${r} + q]) >> vec4u(0u, 8u, 16u, 24u)) & vec4u(255u)), vec4f(params.scale), vec4f(params.shift))`
    : (r: number) => `x[xr${r} + q]`;
  const mul = s.precision === 'f16'
    ? (r: number, c: number) => `vec4f(vec4<f16>(x${r}) * vec4<f16>(w${c}))`
    : (r: number, c: number) => `vec4f(x${r}) * vec4f(w${c})`;
  const xT = s.input === 'u8' ? 'vec4f' : `vec4<${s.input}>`;
  const scalar = s.tile.acc === 'scalar';
  const accum = (r: number, c: number) => scalar
    ? `{ let p = ${mul(r, c)}; a${r}_${c} = fma(1.0, p.x, a${r}_${c}) + p.y + p.z + p.w; }`
    : `a${r}_${c} += ${mul(r, c)};`;
  const accumScalar = (r: number, c: number) => s.precision === 'f16'
    ? accum(r, c)
    : `a${r}_${c} = fma(x${r}.w, w${c}.w, fma(x${r}.z, w${c}.z, fma(x${r}.y, w${c}.y, fma(x${r}.x, w${c}.x, a${r}_${c}))));`;
  return `${enableF16(f16 ? 'f16' : 'f32')}
struct Params { m: u32, scale: f32, shift: f32, pad: u32, k4: u32, n: u32, ldy: u32, nbc: u32 }
@group(0) @binding(0) var<storage, read> x: ${xDecl};
@group(0) @binding(1) var<storage, read> w: array<vec4<${wT}>>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<${yT}>;
@group(0) @binding(4) var<uniform> params: Params;
${s.dynamic ? `// dynamic shape
` : `const K4 = ${s.k4}u;
const N = ${s.n}u;
const LDY = ${s.ldy}u;
const NBC = ${Math.ceil(s.n / C)}u;`}
@compute @workgroup_size(${WG_1D})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  ${s.dynamic ? 'let K4 = params.k4; let N = params.n; let NBC = params.nbc;' : ''}
  let idx = (wg.y * nwg.x + wg.x) * ${WG_1D}u + li;
  let bi = idx / NBC;
  let bj = idx - bi * NBC;
  let i0 = bi * ${R}u;
  let j0 = bj * ${C}u;
  if (i0 >= params.m) { return; }
  let mlast = params.m - 1u;
  ${rs.map((r) => `let xr${r} = min(i0 + ${r}u, mlast) * K4;`).join(' ')}
  ${cs.map((c) => `let wr${c} = min(j0 + ${c}u, N - 1u) * K4;`).join(' ')}
  ${rs.map((r) => cs.map((c) => `var a${r}_${c} = ${scalar ? '0.0' : 'vec4f()'};`).join(' ')).join('\n  ')}
  for (var q = 0u; q < K4; q++) {
    ${rs.map((r) => `let x${r}: ${xT} = ${loadX(r)};`).join(' ')}
    ${cs.map((c) => `let w${c} = w[wr${c} + q];`).join(' ')}
    ${rs.map((r) => cs.map((c) => (scalar ? accumScalar(r, c) : accum(r, c))).join(' ')).join('\n    ')}
  }
  ${rs.map((r) => cs.map((c) => `store(i0 + ${r}u, j0 + ${c}u, ${scalar ? `vec4f(a${r}_${c}, 0.0, 0.0, 0.0)` : `a${r}_${c}`});`).join(' ')).join('\n  ')}
}
fn store(i: u32, j: u32, a: vec4f) {
  ${s.dynamic ? 'let N = params.n; let LDY = params.ldy;' : ''}
  if (i >= params.m || j >= N) { return; }
  var v = (a.x + a.y) + (a.z + a.w)${s.bias ? ' + bias[j]' : ''};
  ${s.act ? 'v = act(v);' : s.activation === 'relu' ? '// select, not max(): relu(NaN) MUST stay NaN\n  v = select(v, 0.0, v < 0.0);' : ''}
  y[i * LDY + j] = ${yT}(v);
}
${s.act ? activationWgsl(s.act) : ''}
`;
}

/** Number of invocations (blocks) for m rows, and the dispatch for them. */
export function matmulDispatch(m: number, n: number, tile: MatmulTile): [number, number] {
  const blocks = Math.ceil(m / tile.r) * Math.ceil(n / tile.c);
  return dispatch2d(Math.ceil(blocks / WG_1D));
}

/** The compiled pipeline for a shape (cached on the device). */
export function matmulPipeline(gd: GpuDevice, s: MatmulShape): Promise<GPUComputePipeline> {
  return gd.pipeline(matmulKey(s), () => matmulShader(s));
}

/**
 * Encodes one matmul into `job` (buffers already on the device). Synchronous on purpose: a job
 * MUST NOT await between gd.job() and submit(), or another job's error scopes interleave.
 */
export function encodeMatmul(job: GpuJob, pipe: GPUComputePipeline, s: MatmulShape, m: number, bufs: { x: GPUBuffer; w: GPUBuffer; bias: GPUBuffer | null; y: GPUBuffer }, scale = 1, shift = 0): void {
  const params = job.uniform([m, scale, shift, 0, s.k4, s.n, s.ldy, Math.ceil(s.n / s.tile.c)], [false, true, true, false]);
  job.dispatch(pipe, [bufs.x, bufs.w, s.bias ? bufs.bias : null, bufs.y, params], matmulDispatch(m, s.n, s.tile));
}

/** Copies rows of `k` floats into rows of `kp` floats (zero tail) so the shader can load vec4s. */
export function padRows(a: Float32Array, rows: number, k: number, kp: number): Float32Array {
  if (k === kp) return a;
  const out = new Float32Array(rows * kp);
  for (let i = 0; i < rows; i++) out.set(a.subarray(i * k, i * k + k), i * kp);
  return out;
}

/** The backend's matmul: host arrays in, host array out. f16 rounds the f32 operands in the shader (no host f16 type on Node 20). */
export async function matmulWebgpu(gd: GpuDevice, a: MatmulArgs, precision: Precision, tile: MatmulTile = tileFor(gd)): Promise<Float32Array> {
  const { m, k, n } = a;
  expectLength('matmul', 'x', a.x, m * k, '[m x k]');
  expectLength('matmul', 'w', a.w, n * k, '[n x k]');
  if (a.bias) expectLength('matmul', 'bias', a.bias, n, '[n]');
  if (m === 0 || n === 0) return new Float32Array(m * n);
  const kp = Math.max(4, Math.ceil(k / 4) * 4);
  // One dynamic pipeline serves every shape. f16 is computed as f32 here: rounding host f32
  // operands to f16 would only lose range (1e38 overflows f16) and, without a host f16 type,
  // saves no transfer; the f16 storage path pays off in the MLP, whose weights stay resident.
  void precision;
  const s: MatmulShape = { k4: kp / 4, n, ldy: n, input: 'f32', wStore: 'f32', precision: 'f32', out: 'f32', activation: a.activation, bias: a.bias !== null, tile, dynamic: true };
  const pipe = await matmulPipeline(gd, s);
  const job = gd.job('matmul');
  const x = job.upload(padRows(a.x, m, k, kp));
  const w = job.upload(padRows(a.w, n, k, kp));
  const bias = a.bias ? job.upload(a.bias) : null;
  const y = job.buffer(m * n * 4);
  encodeMatmul(job, pipe, s, m, { x, w, bias, y });
  job.read(y, m * n * 4);
  const [out] = await job.submit();
  return new Float32Array(out);
}
