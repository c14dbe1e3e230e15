// An NHWC twin of the shipped WGSL conv2d (implicit GEMM, 4 output channels x 4 pixels per invocation; a depthwise shader), bias and activation fused: bench-only, to measure the activation layout.
import type { Conv2dArgs } from '../../gpu-kernels/conv2d/contract.ts';
import { checkConv2d } from '../../gpu-kernels/conv2d/cpu.ts';
import { isDepthwise, type ConvGeometry } from '../../gpu-kernels/conv2d/wgsl.ts';
import type { GpuDevice, GpuJob } from '../../gpu-kernels/device/index.ts';
import { activationKey, activationWgsl } from '../../gpu-kernels/eltwise/wgsl.ts';
import { windowOut, type Activation } from '../../gpu-kernels/program/contract.ts';
import { WG_1D, dispatch2d } from '../../gpu-kernels/wgsl-util.ts';

/** Output channels and pixels per invocation of the GEMM shader; channels per invocation of the depthwise one. */
const RB = 4, PB = 4;

const PARAMS = 'struct Params { n: u32, C: u32, H: u32, W: u32, M: u32, oh: u32, ow: u32, kh: u32, kw: u32, sh: u32, sw: u32, pt: u32, pl: u32, dh: u32, dw: u32, Cg: u32, Mg: u32, P: u32, nmb: u32, npb: u32, G: u32, nwr: u32, p0: u32, p1: u32 }';

/**
 * How a geometry maps onto the shaders. Channels are innermost in NHWC, so a run of 4 channels
 * is one vec4 when the count allows: `xv` reads the input 4 channels at a time (GEMM: c / group
 * a multiple of 4; depthwise: c a multiple of 4), `yv` writes 4 output channels as one vec4.
 */
export interface NhwcVariant {
  readonly depthwise: boolean;
  readonly xv: boolean;
  readonly yv: boolean;
}

/** `vec4: false` keeps every load and store scalar (what the layout gives without vector access, for comparison). */
export function nhwcVariant(g: ConvGeometry, vec4 = true): NhwcVariant {
  const dw = isDepthwise(g), cg = g.c / g.group, mg = g.m / g.group;
  if (!vec4) return { depthwise: dw, xv: false, yv: false };
  return dw ? { depthwise: true, xv: g.c % 4 === 0, yv: g.c % 4 === 0 } : { depthwise: false, xv: cg % 4 === 0, yv: mg % 4 === 0 };
}

/** Weights as the NHWC shaders read them: vec4 rows of 4 output channels (zero past the last), and the bias the same way. */
export interface NhwcWeights {
  /** GEMM: [group][ky][kx][ci][mb] vec4 (mb = block of 4 of the group's channels); depthwise: [ky][kx][cb] vec4. */
  readonly w: Float32Array;
  /** [group][mb] vec4 (zeros without a bias). */
  readonly bias: Float32Array;
}

/** Repacks ONNX weights [m, c / group, kh, kw] (and bias [m]) for the NHWC shaders: done once per model, like any weight layout. */
export function packNhwcWeights(g: ConvGeometry, weight: Float32Array, bias: Float32Array | null): NhwcWeights {
  const { kh, kw, group } = g, taps = kh * kw;
  if (isDepthwise(g)) {
    const nmb = Math.ceil(g.c / RB), w = new Float32Array(taps * nmb * 4), b = new Float32Array(nmb * 4);
    for (let ch = 0; ch < g.c; ch++) {
      for (let t = 0; t < taps; t++) w[t * nmb * 4 + ch] = weight[ch * taps + t];
      if (bias) b[ch] = bias[ch];
    }
    return { w, bias: b };
  }
  const cg = g.c / group, mg = g.m / group, nmb = Math.ceil(mg / RB), rows = taps * cg;
  const w = new Float32Array(group * rows * nmb * 4), b = new Float32Array(group * nmb * 4);
  for (let gi = 0; gi < group; gi++) {
    for (let j = 0; j < mg; j++) {
      const oc = gi * mg + j;
      for (let ci = 0; ci < cg; ci++) {
        for (let t = 0; t < taps; t++) w[((gi * taps + t) * cg + ci) * nmb * 4 + j] = weight[(oc * cg + ci) * taps + t];
      }
      if (bias) b[gi * nmb * 4 + j] = bias[oc];
    }
  }
  return { w, bias: b };
}

const header = (act: Activation, v: NhwcVariant): string => /* wgsl */ `${activationWgsl(act)}
${PARAMS}
fn act4(v: vec4<f32>) -> vec4<f32> { return vec4<f32>(act(v.x), act(v.y), act(v.z), act(v.w)); }
@group(0) @binding(0) var<storage, read> x: array<${v.xv ? 'vec4<f32>' : 'f32'}>;
@group(0) @binding(1) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<${v.yv ? 'vec4<f32>' : 'f32'}>;
@group(0) @binding(4) var<uniform> q: Params;
@compute @workgroup_size(${WG_1D})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {`;

/**
 * The implicit GEMM over NHWC: y[b, oy, ox, m] = act(sum over (ky, kx, ci) of x[b, iy, ix, ci]
 * w[ky, kx, ci, m] + bias[m]). Each invocation owns 4 channels of one group (one vec4 of
 * weights per input channel) x 4 consecutive pixels; the reduction runs tap by tap with the
 * input channels innermost, so each pixel's loads walk contiguous memory (4 channels per load
 * when xv), and the bounds checks of a tap are paid once for all its channels. Channel blocks
 * vary fastest within a workgroup: neighbouring invocations read neighbouring weight vectors
 * and the same input cells (on lavapipe 10-30% faster than pixel blocks fastest, the shipped
 * kernel's order, except on 7x7 x 1280). As in the shipped kernel: no workgroup memory, loads
 * clamped in bounds and selected, stores guarded.
 */
function gemmShader(act: Activation, v: NhwcVariant): string {
  const js = [...Array(PB).keys()], cv = v.xv ? 4 : 1;
  const lanes = ['x', 'y', 'z', 'w'];
  const load = v.xv
    ? `${[0, 1, 2, 3].map((k) => `let w${k} = w[wi + ${k}u * q.nmb];`).join(' ')} wi += 4u * q.nmb;
          ${js.map((j) => `let x${j} = select(vec4<f32>(0.0), x[base${j} + ci], ok${j}); acc${j} = fma(vec4<f32>(x${j}.x), w0, fma(vec4<f32>(x${j}.y), w1, fma(vec4<f32>(x${j}.z), w2, fma(vec4<f32>(x${j}.w), w3, acc${j}))));`).join('\n          ')}`
    : `let w0 = w[wi]; wi += q.nmb;
          ${js.map((j) => `let x${j} = select(0.0, x[base${j} + ci], ok${j}); acc${j} = fma(vec4<f32>(x${j}), w0, acc${j});`).join('\n          ')}`;
  const store = (j: number) => v.yv
    ? `if (pv${j}) { y[(p${j} * q.M + g * q.Mg) / 4u + mb] = act4(acc${j} + bv); }`
    : lanes.map((l, r) => `if (pv${j} && mb * ${RB}u + ${r}u < q.Mg) { y[p${j} * q.M + g * q.Mg + mb * ${RB}u + ${r}u] = act(acc${j}.${l} + bv.${l}); }`).join('\n  ');
  return /* wgsl */ `${header(act, v)}
  let idx = (wg.y * nwg.x + wg.x) * ${WG_1D}u + li;
  let rest = idx / q.nmb;
  let mb = idx - rest * q.nmb;
  let g = rest / q.npb;
  let pb = rest - g * q.npb;
  if (g >= q.G) { return; }
  let ohw = q.oh * q.ow;
  let c0 = g * q.Cg;
  ${js.map((j) => `let p${j} = min(pb * ${PB}u + ${j}u, q.P - 1u); let b${j} = p${j} / ohw; let r${j} = p${j} - b${j} * ohw; let oy${j} = r${j} / q.ow; let ox${j} = r${j} - oy${j} * q.ow;
  let iy0_${j} = i32(oy${j} * q.sh) - i32(q.pt); let ix0_${j} = i32(ox${j} * q.sw) - i32(q.pl); var acc${j} = vec4<f32>(0.0);`).join('\n  ')}
  let cs = q.Cg / ${cv}u;
  var wi = g * q.nwr * q.nmb + mb;
  for (var ky = 0u; ky < q.kh; ky++) {
    let dy = i32(ky * q.dh);
    ${js.map((j) => `let iy${j} = iy0_${j} + dy; let rok${j} = iy${j} >= 0 && iy${j} < i32(q.H); let row${j} = (b${j} * q.H + u32(iy${j})) * q.W;`).join('\n    ')}
    for (var kx = 0u; kx < q.kw; kx++) {
      let dx = i32(kx * q.dw);
      ${js.map((j) => `let ix${j} = ix0_${j} + dx; let ok${j} = rok${j} && ix${j} >= 0 && ix${j} < i32(q.W); let base${j} = select(0u, ((row${j} + u32(ix${j})) * q.C + c0) / ${cv}u, ok${j});`).join('\n      ')}
      for (var ci = 0u; ci < cs; ci++) {
          ${load}
      }
    }
  }
  let bv = bias[g * q.nmb + mb];
  ${js.map((j) => `let pv${j} = pb * ${PB}u + ${j}u < q.P;`).join(' ')}
  ${js.map(store).join('\n  ')}
}`;
}

/** Depthwise over NHWC: each invocation owns 4 consecutive channels of one output pixel (one vec4 of input, weights and output when xv). */
function depthwiseShader(act: Activation, v: NhwcVariant): string {
  const lanes = ['x', 'y', 'z', 'w'];
  const load = v.xv
    ? 'let xv = select(vec4<f32>(0.0), x[select(0u, (row + u32(ix)) * q.nmb + cb, ok)], ok);'
    : `let base = select(0u, (row + u32(ix)) * q.C, ok); let xv = select(vec4<f32>(0.0), vec4<f32>(${[0, 1, 2, 3].map((r) => `x[base + min(cb * 4u + ${r}u, q.C - 1u)]`).join(', ')}), ok);`;
  const store = v.yv
    ? 'y[i] = act4(a + bias[cb]);'
    : `let bv = bias[cb];
  ${lanes.map((l, r) => `if (cb * 4u + ${r}u < q.C) { y[pix * q.C + cb * 4u + ${r}u] = act(a.${l} + bv.${l}); }`).join('\n  ')}`;
  return /* wgsl */ `${header(act, v)}
  let i = (wg.y * nwg.x + wg.x) * ${WG_1D}u + li;
  let ohw = q.oh * q.ow;
  if (i >= q.P * q.nmb) { return; }
  let pix = i / q.nmb;
  let cb = i - pix * q.nmb;
  let b = pix / ohw;
  let r = pix - b * ohw;
  let oy = r / q.ow;
  let ox = r - oy * q.ow;
  let iy0 = i32(oy * q.sh) - i32(q.pt);
  let ix0 = i32(ox * q.sw) - i32(q.pl);
  var wi = cb;
  var a = vec4<f32>(0.0);
  for (var ky = 0u; ky < q.kh; ky++) {
    let iy = iy0 + i32(ky * q.dh);
    let rok = iy >= 0 && iy < i32(q.H);
    let row = (b * q.H + u32(iy)) * q.W;
    for (var kx = 0u; kx < q.kw; kx++) {
      let ix = ix0 + i32(kx * q.dw);
      let ok = rok && ix >= 0 && ix < i32(q.W);
      ${load}
      a = fma(xv, w[wi], a);
      wi += q.nmb;
    }
  }
  ${store}
}`;
}

export function convNhwcPipeline(gd: GpuDevice, g: ConvGeometry, act: Activation, vec4 = true): Promise<GPUComputePipeline> {
  const v = nhwcVariant(g, vec4);
  const key = `bench-conv2d-nhwc:${v.depthwise ? 'depthwise' : `gemm${RB}x${PB}`}:xv${+v.xv}:yv${+v.yv}:${activationKey(act)}`;
  return gd.pipeline(key, () => (v.depthwise ? depthwiseShader(act, v) : gemmShader(act, v)));
}

/** Encodes one NHWC convolution: x [n, h, w, c], weights from packNhwcWeights, y [n, oh, ow, m]. Synchronous, like encodeConv2d. */
export function encodeConvNhwc(job: GpuJob, pipe: GPUComputePipeline, g: ConvGeometry, bufs: { x: GPUBuffer; w: GPUBuffer; bias: GPUBuffer; y: GPUBuffer }): void {
  const oh = windowOut(g.h, g.kh, g.strides[0], g.pads[0], g.pads[2], g.dilations[0]), ow = windowOut(g.w, g.kw, g.strides[1], g.pads[1], g.pads[3], g.dilations[1]);
  const dw = isDepthwise(g), cg = g.c / g.group, mg = g.m / g.group, P = g.n * oh * ow;
  const nmb = Math.ceil((dw ? g.c : mg) / RB), npb = Math.ceil(P / PB);
  const words = [g.n, g.c, g.h, g.w, g.m, oh, ow, g.kh, g.kw, g.strides[0], g.strides[1], g.pads[0], g.pads[1], g.dilations[0], g.dilations[1], cg, mg, P, nmb, npb, g.group, cg * g.kh * g.kw, 0, 0];
  const invocations = dw ? P * nmb : g.group * nmb * npb;
  job.dispatch(pipe, [bufs.x, bufs.w, bufs.bias, bufs.y, job.uniform(words)], dispatch2d(Math.ceil(invocations / WG_1D)));
}

/** One NHWC convolution with host arrays: `a.x` holds [n, h, w, c] (the other fields as Conv2dArgs); returns y [n, oh, ow, m]. `vec4` as in nhwcVariant. */
export async function conv2dNhwcWebgpu(gd: GpuDevice, a: Conv2dArgs, vec4 = true): Promise<Float32Array> {
  const [oh, ow] = checkConv2d(a);
  const size = a.n * a.m * oh * ow;
  if (size === 0) return new Float32Array(0);
  const packed = packNhwcWeights(a, a.weight, a.bias);
  const pipe = await convNhwcPipeline(gd, a, a.act, vec4);
  const job = gd.job('bench-conv2d-nhwc');
  const y = job.buffer(size * 4);
  encodeConvNhwc(job, pipe, a, { x: job.upload(a.x), w: job.upload(packed.w), bias: job.upload(packed.bias), y });
  job.read(y, size * 4);
  const [out] = await job.submit();
  return new Float32Array(out);
}

/** [n, c, h, w] -> [n, h, w, c]. */
export function nchwToNhwc(x: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(n * c * h * w), hw = h * w;
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < hw; p++) out[(b * hw + p) * c + ch] = x[(b * c + ch) * hw + p];
  return out;
}

/** [n, h, w, c] -> [n, c, h, w]. */
export function nhwcToNchw(x: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(n * c * h * w), hw = h * w;
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < hw; p++) out[(b * c + ch) * hw + p] = x[(b * hw + p) * c + ch];
  return out;
}
