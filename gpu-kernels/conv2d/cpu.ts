// conv2d on the CPU: the plain-JS reference (f64 sums) and the fast path (direct convolution in WebAssembly SIMD over zero-padded, column-phased planes; im2col + dense where rows are narrower than 8).
import { expectLength } from '../kernel.ts';
import { align64 } from '../cpu/module.ts';
import { simdHeap } from '../cpu/heap.ts';
import type { SimdHeap } from '../cpu/module.ts';
import { packBias, packPanels, padded8 } from '../cpu/pack.ts';
import { activate, activateInPlace, checkActivation, clipBounds } from '../eltwise/cpu.ts';
import { convOutShape, type Conv2dArgs } from './contract.ts';

export function checkConv2d(a: Conv2dArgs): [number, number] {
  for (const d of ['n', 'c', 'h', 'w', 'm', 'kh', 'kw', 'group'] as const) {
    const min = d === 'n' ? 0 : 1;
    if (!Number.isInteger(a[d]) || a[d] < min) throw new RangeError(`conv2d: ${d} must be an integer >= ${min}, got ${a[d]}`);
  }
  if (a.c % a.group !== 0 || a.m % a.group !== 0) throw new RangeError(`conv2d: group ${a.group} must divide c = ${a.c} and m = ${a.m}`);
  if (!a.strides.every((s) => Number.isInteger(s) && s >= 1)) throw new RangeError(`conv2d: strides [${a.strides.join(', ')}] must be integers >= 1`);
  if (!a.dilations.every((s) => Number.isInteger(s) && s >= 1)) throw new RangeError(`conv2d: dilations [${a.dilations.join(', ')}] must be integers >= 1`);
  if (a.pads.length !== 4 || !a.pads.every((s) => Number.isInteger(s) && s >= 0)) throw new RangeError(`conv2d: pads [${a.pads.join(', ')}] must be 4 integers >= 0`);
  checkActivation('conv2d', a.act);
  const [oh, ow] = convOutShape(a);
  if (oh < 1 || ow < 1) throw new RangeError(`conv2d: the output would be ${oh} x ${ow}: the ${a.kh} x ${a.kw} kernel (dilated) does not fit the padded ${a.h} x ${a.w} input`);
  expectLength('conv2d', 'x', a.x, a.n * a.c * a.h * a.w, `[n, c, h, w] = [${a.n}, ${a.c}, ${a.h}, ${a.w}]`);
  expectLength('conv2d', 'weight', a.weight, a.m * (a.c / a.group) * a.kh * a.kw, `[m, c / group, kh, kw] = [${a.m}, ${a.c / a.group}, ${a.kh}, ${a.kw}]`);
  if (a.bias) expectLength('conv2d', 'bias', a.bias, a.m, `[m] = [${a.m}]`);
  return [oh, ow];
}

/** The reference: every output a sum in f64 over its window (cells in the padding skipped), plus bias, then act, rounded once. */
export function conv2dReference(a: Conv2dArgs): Float32Array {
  const [oh, ow] = checkConv2d(a);
  const { x, weight, bias, n, c, h, w, m, kh, kw, group } = a;
  const [sh, sw] = a.strides, [dh, dw] = a.dilations, pt = a.pads[0], pl = a.pads[1];
  const cg = c / group, mg = m / group;
  const y = new Float32Array(n * m * oh * ow);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < m; oc++) {
      const g = Math.floor(oc / mg);
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          let s = bias ? bias[oc] : 0;
          for (let ci = 0; ci < cg; ci++) {
            const xc = ((b * c + g * cg + ci) * h) * w, wc = ((oc * cg + ci) * kh) * kw;
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * sh - pt + ky * dh;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * sw - pl + kx * dw;
                if (ix < 0 || ix >= w) continue;
                s += x[xc + iy * w + ix] * weight[wc + ky * kw + kx];
              }
            }
          }
          y[o++] = activate(a.act, Math.fround(s));
        }
      }
    }
  }
  return y;
}


/** Weights of a non-depthwise conv packed for simd.wat dense: per group, panels of 8 output channels over K = (c / group) kh kw inputs. */
export interface PackedConv2d {
  readonly k: number;
  /** Output channels per group, padded to a multiple of 8. */
  readonly n8: number;
  /** Group g's panels at g * n8 * k. */
  readonly panels: Float32Array;
  /** Group g's bias at g * n8 (zeros without a bias). */
  readonly bias: Float32Array;
}

/** Packs a's weights once (a runner keeps the result for every batch). */
export function packConv2d(a: Pick<Conv2dArgs, 'weight' | 'bias' | 'c' | 'm' | 'kh' | 'kw' | 'group'>): PackedConv2d {
  const k = (a.c / a.group) * a.kh * a.kw, mg = a.m / a.group, n8 = padded8(mg);
  const panels = new Float32Array(a.group * n8 * k), bias = new Float32Array(a.group * n8);
  for (let g = 0; g < a.group; g++) {
    packPanels(a.weight.subarray(g * mg * k, (g + 1) * mg * k), mg, k, panels, g * n8 * k);
    packBias(a.bias ? a.bias.subarray(g * mg, (g + 1) * mg) : null, mg, bias, g * n8);
  }
  return { k, n8, panels, bias };
}

/** Output pixels per call of dense: their im2col rows (PIXELS * k floats) stay in L2 while every panel passes over them. */
const PIXELS = 64;

/**
 * The path for output rows narrower than 8 pixels. Depthwise (group = c = m): a JS loop per
 * channel. Otherwise, per sample, group and block of 64 output pixels: the im2col rows written
 * in the interleaved layout simd.wat's dense reads (four pixels per group, [k][4]), one dense
 * call (bias and ReLU fused), and the [pixel x channel] result transposed into NCHW (other
 * activations applied there).
 */
export function conv2dIm2col(a: Conv2dArgs, packed?: PackedConv2d): Float32Array {
  const [oh, ow] = checkConv2d(a);
  if (a.group === a.c && a.group === a.m) return depthwiseCpu(a, oh, ow);
  const p = packed ?? packConv2d(a);
  const { n, c, h, w, m, kh, kw, group } = a, { k, n8 } = p;
  const [sh, sw] = a.strides, [dh, dw] = a.dilations, pt = a.pads[0], pl = a.pads[1];
  const cg = c / group, mg = m / group, P = oh * ow, hw = h * w;
  const y = new Float32Array(n * m * P);
  if (y.length === 0) return y;
  const heap = simdHeap();
  const wAt = 0, bAt = align64(wAt + 4 * p.panels.length), xAt = align64(bAt + 4 * p.bias.length), yAt = align64(xAt + 16 * (PIXELS / 4) * k);
  heap.reserve(yAt + 4 * PIXELS * n8);
  const f32 = heap.f32, x = a.x;
  f32.set(p.panels, wAt >> 2);
  f32.set(p.bias, bAt >> 2);
  const relu = a.act.op === 'relu' ? 1 : 0, post = a.act.op !== 'none' && a.act.op !== 'relu';
  const x4 = xAt >> 2, y4 = yAt >> 2;
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < group; g++) {
      const xg = (b * c + g * cg) * hw;
      for (let p0 = 0; p0 < P; p0 += PIXELS) {
        const cnt = Math.min(PIXELS, P - p0), groups = (cnt + 3) >> 2;
        f32.fill(0, x4 + 4 * (cnt >> 2) * k, x4 + 4 * groups * k);
        for (let r = 0; r < cnt; r++) {
          const pix = p0 + r, oy = Math.floor(pix / ow), ox = pix - oy * ow;
          const iy0 = oy * sh - pt, ix0 = ox * sw - pl;
          let dst = x4 + (r >> 2) * 4 * k + (r & 3);
          for (let ci = 0; ci < cg; ci++) {
            const xc = xg + ci * hw;
            for (let ky = 0; ky < kh; ky++) {
              const iy = iy0 + ky * dh;
              if (iy < 0 || iy >= h) {
                for (let kx = 0; kx < kw; kx++, dst += 4) f32[dst] = 0;
                continue;
              }
              const row = xc + iy * w;
              for (let kx = 0; kx < kw; kx++, dst += 4) {
                const ix = ix0 + kx * dw;
                f32[dst] = ix < 0 || ix >= w ? 0 : x[row + ix];
              }
            }
          }
        }
        heap.fns.dense(xAt, 16 * k, groups, k, wAt + 4 * g * n8 * k, bAt + 4 * g * n8, n8, yAt, 4 * n8, relu, 0);
        for (let j = 0; j < mg; j++) {
          const dst = (b * m + g * mg + j) * P + p0;
          for (let r = 0; r < cnt; r++) y[dst + r] = f32[y4 + r * n8 + j];
          if (post) activateInPlace(a.act, y, dst, dst + cnt);
        }
      }
    }
  }
  return y;
}

/** Depthwise: each output channel reads one input channel; interior rows skip the bounds checks. */
function depthwiseCpu(a: Conv2dArgs, oh: number, ow: number): Float32Array {
  const { x, weight, bias, n, c, h, w, kh, kw } = a;
  const [sh, sw] = a.strides, [dh, dw] = a.dilations, pt = a.pads[0], pl = a.pads[1];
  const P = oh * ow, hw = h * w, kk = kh * kw;
  const y = new Float32Array(n * c * P);
  for (let plane = 0; plane < n * c; plane++) {
    const ch = plane % c, xc = plane * hw, wc = ch * kk, b0 = bias ? bias[ch] : 0;
    let o = plane * P;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - pt;
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * sw - pl;
        let s = 0;
        for (let ky = 0; ky < kh; ky++) {
          const iy = iy0 + ky * dh;
          if (iy < 0 || iy >= h) continue;
          const row = xc + iy * w, wr = wc + ky * kw;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ix0 + kx * dw;
            if (ix >= 0 && ix < w) s += x[row + ix] * weight[wr + kx];
          }
        }
        y[o++] = s + b0;
      }
    }
  }
  activateInPlace(a.act, y);
  return y;
}

/** The shape of a conv without its data: what a plan depends on. */
export type Conv2dGeometry = Omit<Conv2dArgs, 'x' | 'n'>;

/**
 * A conv prepared for simd.wat's direct kernels (conv, depthwise), built once per weights.
 * `consts` holds the packed weights at float 0, the bias at `biasAt` and the taps (i32 byte
 * offsets from an output pixel's input base) at `tapsAt`; a caller copies it into its heap
 * once and passes where it put it.
 */
export interface DirectConv2d {
  readonly kind: 'direct' | 'depthwise';
  readonly g: Conv2dGeometry;
  readonly oh: number;
  readonly ow: number;
  /** Output rows and row width as the kernel walks them: [1, oh * ow] when a plane is one contiguous run (1x1, stride 1, no padding). */
  readonly rows: number;
  readonly width: number;
  /** Taps per output channel: (c / group) kh kw. */
  readonly k: number;
  readonly consts: Float32Array;
  readonly biasAt: number;
  readonly tapsAt: number;
  /** The padded, column-phased layout of one input channel, or null when the kernel reads x as it is. */
  readonly pad: { readonly hp: number; readonly wp: number; readonly wq: number; readonly drow: number; readonly dplane: number } | null;
  /** Bytes between the input bases of consecutive output rows; bytes of one input channel as the kernel reads it. */
  readonly xrow: number;
  readonly xplane: number;
  /** Bytes of scratch one sample's padded input takes (0 without padding). */
  readonly scratch: number;
}

/**
 * Plans conv `g` for the direct kernels, or returns null when its output rows are narrower
 * than 8 pixels (the kernels compute 8 at a time) and conv2dIm2col is the way.
 */
export function planDirectConv2d(g: Conv2dGeometry): DirectConv2d | null {
  const [oh, ow] = convOutShape(g as Conv2dArgs);
  const { c, h, w, m, kh, kw, group } = g;
  const [sh, sw] = g.strides, [dh, dw] = g.dilations, [pt, pl, pb, pr] = g.pads;
  const depthwise = group === c && group === m;
  const cg = c / group, mg = m / group, k = cg * kh * kw;
  const unpadded = pt === 0 && pl === 0 && pb === 0 && pr === 0 && sw === 1;
  const flat = unpadded && kh === 1 && kw === 1 && sh === 1;
  const rows = flat ? 1 : oh, width = flat ? oh * ow : ow;
  if (width < 8) return null;
  let pad: DirectConv2d['pad'] = null, rowBytes: number, planeBytes: number, phase = (kx: number) => kx * dw * 4;
  if (unpadded) {
    rowBytes = w * 4;
    planeBytes = h * w * 4;
  } else {
    const hp = (oh - 1) * sh + (kh - 1) * dh + 1, wp = (ow - 1) * sw + (kw - 1) * dw + 1, wq = Math.ceil(wp / sw);
    const drow = sw * wq * 4;
    pad = { hp, wp, wq, drow, dplane: hp * drow };
    rowBytes = drow;
    planeBytes = hp * drow;
    phase = (kx) => (((kx * dw) % sw) * wq + Math.floor((kx * dw) / sw)) * 4;
  }
  const taps = new Int32Array(k);
  for (let ci = 0; ci < cg; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) taps[(ci * kh + ky) * kw + kx] = ci * planeBytes + ky * dh * rowBytes + phase(kx);
  let weights: Float32Array, bias: Float32Array;
  if (depthwise) {
    weights = g.weight;
    bias = g.bias ?? new Float32Array(c);
  } else {
    // Per group, blocks of 4 output channels, each [k][4] (channels past mg zero).
    const blocks = Math.ceil(mg / 4);
    weights = new Float32Array(group * blocks * 4 * k);
    bias = new Float32Array(group * blocks * 4);
    for (let gi = 0; gi < group; gi++) {
      for (let j = 0; j < mg; j++) {
        const oc = gi * mg + j, blk = gi * blocks + (j >> 2), r = j & 3;
        for (let t = 0; t < k; t++) weights[blk * 4 * k + t * 4 + r] = g.weight[oc * k + t];
        bias[blk * 4 + r] = g.bias ? g.bias[oc] : 0;
      }
    }
  }
  const biasAt = weights.length, tapsAt = biasAt + bias.length;
  const consts = new Float32Array(tapsAt + k);
  consts.set(weights);
  consts.set(bias, biasAt);
  new Int32Array(consts.buffer, tapsAt * 4, k).set(taps);
  return {
    kind: depthwise ? 'depthwise' : 'direct', g, oh, ow, rows, width, k, consts, biasAt, tapsAt, pad,
    xrow: sh * rowBytes, xplane: planeBytes, scratch: pad ? c * pad.dplane : 0,
  };
}

/** Where a run of a direct conv finds its data in `heap`, in bytes: consts (the plan's, copied), x and y (n samples, NCHW), scratch (plan.scratch bytes). */
export interface DirectConv2dAt {
  consts: number;
  x: number;
  y: number;
  scratch: number;
}

/** Runs plan `p` over n samples in `heap` (activations other than none, ReLU and clip applied after, in JS). */
export function runDirectConv2d(heap: SimdHeap, p: DirectConv2d, at: DirectConv2dAt, n: number): void {
  const { c, h, w, m, group } = p.g, f = heap.fns, act = clipBounds(p.g.act);
  const cg = c / group, mg = m / group, blocks = Math.ceil(mg / 4);
  const xSample = c * h * w * 4, ySample = m * p.oh * p.ow * 4, yplane = p.oh * p.ow * 4;
  const w0 = at.consts, b0 = at.consts + p.biasAt * 4, taps = at.consts + p.tapsAt * 4;
  for (let b = 0; b < n; b++) {
    let x = at.x + b * xSample;
    const y = at.y + b * ySample;
    if (p.pad) {
      const q = p.pad;
      f.pad_planes(x, c, h, w, at.scratch, q.dplane, p.g.pads[0], p.g.pads[1], q.hp, q.wp, p.g.strides[1], q.wq, q.drow);
      x = at.scratch;
    }
    if (p.kind === 'depthwise') {
      f.depthwise(x, p.xplane, p.xrow, taps, p.k, w0, b0, c, y, yplane, p.width * 4, p.rows, p.width, act.lo, act.hi);
    } else {
      for (let gi = 0; gi < group; gi++) {
        f.conv(x + gi * cg * p.xplane, p.xrow, taps, p.k, w0 + gi * blocks * 16 * p.k, b0 + gi * blocks * 16, mg,
          y + gi * mg * yplane, yplane, p.width * 4, p.rows, p.width, act.lo, act.hi);
      }
    }
  }
  if (act.post) activateInPlace(p.g.act, heap.f32, at.y >> 2, (at.y >> 2) + n * m * p.oh * p.ow);
}

/**
 * The fast path: the direct kernels where rows are 8 pixels or wider (the data copied through
 * this thread's scratch heap), conv2dIm2col otherwise. `plan` (from planDirectConv2d) saves
 * re-packing the weights.
 */
export function conv2dCpu(a: Conv2dArgs, plan?: DirectConv2d | null): Float32Array {
  checkConv2d(a);
  const p = plan === undefined ? planDirectConv2d(a) : plan;
  if (!p) return conv2dIm2col(a);
  const y = new Float32Array(a.n * a.m * p.oh * p.ow);
  if (y.length === 0) return y;
  const heap = simdHeap();
  const consts = 0, x = align64(consts + 4 * p.consts.length), yAt = align64(x + 4 * a.x.length), scratch = align64(yAt + 4 * y.length);
  heap.reserve(scratch + p.scratch);
  heap.f32.set(p.consts, consts >> 2);
  heap.f32.set(a.x, x >> 2);
  runDirectConv2d(heap, p, { consts, x, y: yAt, scratch }, a.n);
  y.set(heap.f32.subarray(yAt >> 2, (yAt >> 2) + y.length));
  return y;
}
