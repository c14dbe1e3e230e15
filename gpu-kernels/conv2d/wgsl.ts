// conv2d in WGSL: an implicit GEMM (output channels x output pixels, register-blocked 4 x 4, im2col indexing on the fly) and a depthwise kernel (4 pixels per invocation); bias and activation fused.
//
// Loop order, measured on lavapipe (bench/conv-layout.ts: MobileNetV2 layers at batch 8, 2 x
// EPYC): the GEMM walks the filter taps (ky, kx) outside and the input channels inside, so a
// tap's bounds and padding checks and its index math are paid once for all its channels
// instead of once per channel. Channels outside, the 96 -> 24 pointwise projection at 56x56
// took 49 ms and the 320 -> 1280 head 123 ms; taps outside, 20 and 53 ms. The depthwise kernel
// computes 4 output pixels per invocation and loads each weight once for all four: 112x112
// depthwise-32 went from 94 to 52 ms. Over the 15 layers, 961 -> 503 ms; the NHWC twin
// (bench/lib/conv-nhwc-wgsl.ts) went from 2.25x faster to 1.17x (0.93-1.36x per layer), not
// worth switching the engine's layout (transposes, and every other kernel is NCHW).
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
 * loads) and read neighbouring input cells. The reduction runs tap by tap with the input
 * channels innermost (see the top of the file): per tap, each pixel's validity and its offset
 * in channel 0 are computed once, then the channel loop only steps both by a plane. No
 * workgroup memory: on lavapipe barriers are coroutine switches and shared tiles were several
 * times slower (see matmul/wgsl.ts); loads are clamped in bounds and stores guarded, so the
 * loop has no branch on validity. With one input channel per group (an image's first layer)
 * the channel loop is left out: a one-trip loop per tap cost 15-20% on fmnist-cnn conv1.
 */
function gemmShader(act: Activation, bias: boolean, oneChannel: boolean): string {
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
  let khw = q.kh * q.kw;
  ${js.map((j) => `let p${j} = min(pb * ${PB}u + ${j}u, q.P - 1u); let b${j} = p${j} / ohw; let r${j} = p${j} - b${j} * ohw; let oy${j} = r${j} / q.ow; let ox${j} = r${j} - oy${j} * q.ow;
  let iy0_${j} = i32(oy${j} * q.sh) - i32(q.pt); let ix0_${j} = i32(ox${j} * q.sw) - i32(q.pl); let xc${j} = (b${j} * q.C + g * q.Cg) * hw;`).join('\n  ')}
  ${rs.map((r) => `let m${r} = g * q.Mg + min(mb * ${RB}u + ${r}u, q.Mg - 1u); let wr${r} = m${r} * q.K;`).join('\n  ')}
  ${rs.map((r) => js.map((j) => `var a${r}_${j} = 0.0;`).join(' ')).join('\n  ')}
  for (var ky = 0u; ky < q.kh; ky++) {
    let dy = i32(ky * q.dh);
    ${js.map((j) => `let iy${j} = iy0_${j} + dy; let rok${j} = iy${j} >= 0 && iy${j} < i32(q.H); let row${j} = xc${j} + u32(iy${j}) * q.W;`).join('\n    ')}
    for (var kx = 0u; kx < q.kw; kx++) {
      let dx = i32(kx * q.dw);
      ${js.map((j) => `let ix${j} = ix0_${j} + dx; let ok${j} = rok${j} && ix${j} >= 0 && ix${j} < i32(q.W); var xi${j} = select(0u, row${j} + u32(ix${j}), ok${j});`).join('\n      ')}
      var kk = ky * q.kw + kx;
      ${oneChannel ? '{' : 'for (var ci = 0u; ci < q.Cg; ci++) {'}
        ${js.map((j) => `let x${j} = select(0.0, x[xi${j}], ok${j});`).join(' ')}
        ${rs.map((r) => `let w${r} = w[wr${r} + kk];`).join(' ')}
        ${rs.map((r) => js.map((j) => `a${r}_${j} = fma(x${j}, w${r}, a${r}_${j});`).join(' ')).join('\n        ')}
        ${js.map((j) => `xi${j} += hw;`).join(' ')}
        kk += khw;
      }
    }
  }
  ${rs.map((r) => `let mv${r} = mb * ${RB}u + ${r}u < q.Mg;`).join(' ')}
  ${js.map((j) => `let pv${j} = pb * ${PB}u + ${j}u < q.P;`).join(' ')}
  ${rs.map((r) => js.map((j) => `if (mv${r} && pv${j}) { y[(b${j} * q.M + m${r}) * ohw + r${j}] = act(a${r}_${j}${bias ? ` + bias[m${r}]` : ''}); }`).join('\n  ')).join('\n  ')}
}`;
}

/**
 * Depthwise: each invocation owns 4 consecutive output pixels of one (image, channel) plane
 * (row-major, so a block may wrap onto the next row; the plane's last block is clamped and its
 * extra stores dropped) and loads each of the channel's kh x kw weights once for all four.
 * Blocks are per plane (q.npb = ceil(oh * ow / 4)), so the 4 pixels share the channel.
 */
function depthwiseShader(act: Activation, bias: boolean): string {
  const js = [...Array(PB).keys()];
  return /* wgsl */ `${header(act)}
  let i = (wg.y * nwg.x + wg.x) * ${WG_1D}u + li;
  let ohw = q.oh * q.ow;
  if (i >= q.n * q.M * q.npb) { return; }
  let plane = i / q.npb;
  let pb = i - plane * q.npb;
  let m = plane % q.M;
  let xc = plane * q.H * q.W;
  ${js.map((j) => `let r${j} = min(pb * ${PB}u + ${j}u, ohw - 1u); let oy${j} = r${j} / q.ow; let ox${j} = r${j} - oy${j} * q.ow;
  let iy0_${j} = i32(oy${j} * q.sh) - i32(q.pt); let ix0_${j} = i32(ox${j} * q.sw) - i32(q.pl); var a${j} = 0.0;`).join('\n  ')}
  var wi = m * q.kh * q.kw;
  for (var ky = 0u; ky < q.kh; ky++) {
    let dy = i32(ky * q.dh);
    ${js.map((j) => `let iy${j} = iy0_${j} + dy; let rok${j} = iy${j} >= 0 && iy${j} < i32(q.H); let row${j} = xc + u32(iy${j}) * q.W;`).join('\n    ')}
    for (var kx = 0u; kx < q.kw; kx++) {
      let dx = i32(kx * q.dw);
      let wv = w[wi];
      ${js.map((j) => `let ix${j} = ix0_${j} + dx; let ok${j} = rok${j} && ix${j} >= 0 && ix${j} < i32(q.W); a${j} = fma(select(0.0, x[select(0u, row${j} + u32(ix${j}), ok${j})], ok${j}), wv, a${j});`).join('\n      ')}
      wi++;
    }
  }
  ${js.map((j) => `if (pb * ${PB}u + ${j}u < ohw) { y[plane * ohw + r${j}] = act(a${j}${bias ? ' + bias[m]' : ''}); }`).join('\n  ')}
}`;
}

export function conv2dPipeline(gd: GpuDevice, g: ConvGeometry, act: Activation, bias: boolean): Promise<GPUComputePipeline> {
  const dw = isDepthwise(g), oneChannel = g.c === g.group;
  return gd.pipeline(`conv2d:${dw ? `depthwise${PB}` : `gemm${RB}x${PB}:taps-outer:${oneChannel ? 'cg1' : 'cg'}`}:${activationKey(act)}:${bias}`, () => (dw ? depthwiseShader(act, bias) : gemmShader(act, bias, oneChannel)));
}

/** Encodes one convolution (x [n, c, h, w], w [m, c / group, kh, kw], y [n, m, oh, ow] on the device). Synchronous: see encodeMatmul. */
export function encodeConv2d(job: GpuJob, pipe: GPUComputePipeline, g: ConvGeometry, bufs: { x: GPUBuffer; w: GPUBuffer; bias: GPUBuffer | null; y: GPUBuffer }): void {
  const oh = windowOut(g.h, g.kh, g.strides[0], g.pads[0], g.pads[2], g.dilations[0]), ow = windowOut(g.w, g.kw, g.strides[1], g.pads[1], g.pads[3], g.dilations[1]);
  const dw = isDepthwise(g), cg = g.c / g.group, mg = g.m / g.group, P = g.n * oh * ow;
  // Depthwise pixel blocks never span two planes: they count per plane, the GEMM's over all n * oh * ow pixels.
  const nmb = Math.ceil(mg / RB), npb = Math.ceil((dw ? oh * ow : P) / PB);
  const words = [g.n, g.c, g.h, g.w, g.m, oh, ow, g.kh, g.kw, g.strides[0], g.strides[1], g.pads[0], g.pads[1], g.dilations[0], g.dilations[1], cg, mg, P, nmb, npb, g.group, cg * g.kh * g.kw, 0, 0];
  const invocations = dw ? g.n * g.m * npb : g.group * nmb * npb;
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
