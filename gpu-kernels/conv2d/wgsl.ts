// conv2d in WGSL: an implicit GEMM (output channels x output pixels, register-blocked 4 x 4, im2col indexing on the fly) and a depthwise kernel; bias and activation fused.
import type { GpuDevice, GpuJob } from '../device/index.ts';
import type { Precision } from '../kernel.ts';
import { windowOut, type Activation } from '../program/contract.ts';
import { WG_1D, dispatch2d } from '../wgsl-util.ts';
import { activationKey, activationWgsl } from '../eltwise/wgsl.ts';
import type { Conv2dArgs } from './contract.ts';
import { checkConv2d } from './cpu.ts';

/** The per-call geometry of a convolution (the batch n included); everything a dispatch needs besides the buffers. */
export interface ConvGeometry {
  n: number; c: number; h: number; w: number; m: number; kh: number; kw: number;
  strides: readonly [number, number]; pads: readonly [number, number, number, number]; dilations: readonly [number, number]; group: number;
}

/** Output channels and pixels per invocation of the GEMM kernel. */
const RB = 4, PB = 4;

/** group = c = m: one input channel per output channel, where a GEMM would waste its 4-channel block. */
export const isDepthwise = (g: ConvGeometry): boolean => g.group === g.c && g.group === g.m;

const PARAMS = 'struct Params { n: u32, C: u32, H: u32, W: u32, M: u32, oh: u32, ow: u32, kh: u32, kw: u32, sh: u32, sw: u32, pt: u32, pl: u32, dh: u32, dw: u32, Cg: u32, Mg: u32, P: u32, nmb: u32, npb: u32, G: u32, K: u32, p0: u32, p1: u32 }';

/** What both conv shaders open with: the activation, the parameters, the bindings and main's signature. */
const header = (act: Activation): string => /* wgsl */ `${activationWgsl(act)}
${PARAMS}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> q: Params;
@compute @workgroup_size(${WG_1D})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {`;

/**
 * The implicit GEMM: y[b, m, p] = act(sum_k w[m, k] x_col[k, (b, p)] + bias[m]) with k over
 * (ci, ky, kx) and x_col read straight from x (zero outside the input). Each invocation owns 4
 * channels of one group x 4 consecutive pixels (16 fma per 8 loads); pixel blocks vary fastest
 * within a workgroup, so the 64 invocations of a workgroup share their weight rows (uniform
 * loads) and read neighbouring input cells. No workgroup memory: on lavapipe barriers are
 * coroutine switches and shared tiles were several times slower (see matmul/wgsl.ts); loads
 * are clamped in bounds and stores guarded, so the loop has no branch on validity.
 */
function gemmShader(act: Activation, bias: boolean): string {
  const rs = [...Array(RB).keys()], js = [...Array(PB).keys()];
  return /* wgsl */ `${header(act)}
  let idx = (wg.y * nwg.x + wg.x) * ${WG_1D}u + li;
  let rest = idx / q.npb;
  let pb = idx - rest * q.npb;
  let g = rest / q.nmb;
  let mb = rest - g * q.nmb;
  if (g >= q.G) { return; }
  let ohw = q.oh * q.ow;
  let hw = q.H * q.W;
  ${js.map((j) => `let p${j} = min(pb * ${PB}u + ${j}u, q.P - 1u); let b${j} = p${j} / ohw; let r${j} = p${j} - b${j} * ohw; let oy${j} = r${j} / q.ow; let ox${j} = r${j} - oy${j} * q.ow;
  let iy0_${j} = i32(oy${j} * q.sh) - i32(q.pt); let ix0_${j} = i32(ox${j} * q.sw) - i32(q.pl); var xc${j} = (b${j} * q.C + g * q.Cg) * hw;`).join('\n  ')}
  ${rs.map((r) => `let m${r} = g * q.Mg + min(mb * ${RB}u + ${r}u, q.Mg - 1u); let wr${r} = m${r} * q.K;`).join('\n  ')}
  ${rs.map((r) => js.map((j) => `var a${r}_${j} = 0.0;`).join(' ')).join('\n  ')}
  var kk = 0u;
  for (var ci = 0u; ci < q.Cg; ci++) {
    for (var ky = 0u; ky < q.kh; ky++) {
      let dy = i32(ky * q.dh);
      ${js.map((j) => `let iy${j} = iy0_${j} + dy; let rok${j} = iy${j} >= 0 && iy${j} < i32(q.H); let row${j} = xc${j} + u32(iy${j}) * q.W;`).join('\n      ')}
      for (var kx = 0u; kx < q.kw; kx++) {
        let dx = i32(kx * q.dw);
        ${js.map((j) => `let ix${j} = ix0_${j} + dx; let ok${j} = rok${j} && ix${j} >= 0 && ix${j} < i32(q.W); let x${j} = select(0.0, x[select(0u, row${j} + u32(ix${j}), ok${j})], ok${j});`).join('\n        ')}
        ${rs.map((r) => `let w${r} = w[wr${r} + kk];`).join(' ')}
        ${rs.map((r) => js.map((j) => `a${r}_${j} = fma(x${j}, w${r}, a${r}_${j});`).join(' ')).join('\n        ')}
        kk++;
      }
    }
    ${js.map((j) => `xc${j} += hw;`).join(' ')}
  }
  ${rs.map((r) => `let mv${r} = mb * ${RB}u + ${r}u < q.Mg;`).join(' ')}
  ${js.map((j) => `let pv${j} = pb * ${PB}u + ${j}u < q.P;`).join(' ')}
  ${rs.map((r) => js.map((j) => `if (mv${r} && pv${j}) { y[(b${j} * q.M + m${r}) * ohw + r${j}] = act(a${r}_${j}${bias ? ` + bias[m${r}]` : ''}); }`).join('\n  ')).join('\n  ')}
}`;
}

/** Depthwise: one output per invocation, its kh x kw window of one channel. */
function depthwiseShader(act: Activation, bias: boolean): string {
  return /* wgsl */ `${header(act)}
  let i = (wg.y * nwg.x + wg.x) * ${WG_1D}u + li;
  let ohw = q.oh * q.ow;
  if (i >= q.n * q.M * ohw) { return; }
  let plane = i / ohw;
  let r = i - plane * ohw;
  let m = plane % q.M;
  let oy = r / q.ow;
  let ox = r - oy * q.ow;
  let iy0 = i32(oy * q.sh) - i32(q.pt);
  let ix0 = i32(ox * q.sw) - i32(q.pl);
  let xc = plane * q.H * q.W;
  var wi = m * q.kh * q.kw;
  var a = 0.0;
  for (var ky = 0u; ky < q.kh; ky++) {
    let iy = iy0 + i32(ky * q.dh);
    let rok = iy >= 0 && iy < i32(q.H);
    let row = xc + u32(iy) * q.W;
    for (var kx = 0u; kx < q.kw; kx++) {
      let ix = ix0 + i32(kx * q.dw);
      let ok = rok && ix >= 0 && ix < i32(q.W);
      a = fma(select(0.0, x[select(0u, row + u32(ix), ok)], ok), w[wi], a);
      wi++;
    }
  }
  y[i] = act(a${bias ? ' + bias[m]' : ''});
}`;
}

export function conv2dPipeline(gd: GpuDevice, g: ConvGeometry, act: Activation, bias: boolean): Promise<GPUComputePipeline> {
  const dw = isDepthwise(g);
  return gd.pipeline(`conv2d:${dw ? 'depthwise' : `gemm${RB}x${PB}`}:${activationKey(act)}:${bias}`, () => (dw ? depthwiseShader(act, bias) : gemmShader(act, bias)));
}

/** Encodes one convolution (x [n, c, h, w], w [m, c / group, kh, kw], y [n, m, oh, ow] on the device). Synchronous: see encodeMatmul. */
export function encodeConv2d(job: GpuJob, pipe: GPUComputePipeline, g: ConvGeometry, bufs: { x: GPUBuffer; w: GPUBuffer; bias: GPUBuffer | null; y: GPUBuffer }): void {
  const oh = windowOut(g.h, g.kh, g.strides[0], g.pads[0], g.pads[2], g.dilations[0]), ow = windowOut(g.w, g.kw, g.strides[1], g.pads[1], g.pads[3], g.dilations[1]);
  const cg = g.c / g.group, mg = g.m / g.group, P = g.n * oh * ow;
  const nmb = Math.ceil(mg / RB), npb = Math.ceil(P / PB);
  const words = [g.n, g.c, g.h, g.w, g.m, oh, ow, g.kh, g.kw, g.strides[0], g.strides[1], g.pads[0], g.pads[1], g.dilations[0], g.dilations[1], cg, mg, P, nmb, npb, g.group, cg * g.kh * g.kw, 0, 0];
  const invocations = isDepthwise(g) ? P * g.m : g.group * nmb * npb;
  job.dispatch(pipe, [bufs.x, bufs.w, bufs.bias, bufs.y, job.uniform(words)], dispatch2d(Math.ceil(invocations / WG_1D)));
}

/** The backend's conv2d: host arrays in and out (f32 arithmetic for both precisions). */
export async function conv2dWebgpu(gd: GpuDevice, a: Conv2dArgs, _precision: Precision): Promise<Float32Array> {
  const [oh, ow] = checkConv2d(a);
  const size = a.n * a.m * oh * ow;
  if (size === 0) return new Float32Array(0);
  const pipe = await conv2dPipeline(gd, a, a.act, a.bias !== null);
  const job = gd.job('conv2d');
  const y = job.buffer(size * 4);
  encodeConv2d(job, pipe, a, { x: job.upload(a.x), w: job.upload(a.weight), bias: a.bias ? job.upload(a.bias) : null, y });
  job.read(y, size * 4);
  const [out] = await job.submit();
  return new Float32Array(out);
}
