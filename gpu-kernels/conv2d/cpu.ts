// conv2d on the CPU: the plain-JS reference (f64 sums) and the fast path (im2col + the WebAssembly SIMD dense kernel; depthwise as a JS loop).
import { expectLength } from '../kernel.ts';
import { align64 } from '../cpu/module.ts';
import { simdHeap } from '../cpu/heap.ts';
import { packBias, packPanels, padded8 } from '../cpu/pack.ts';
import { activate, activateInPlace, checkActivation } from '../eltwise/cpu.ts';
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
 * The fast path. Depthwise (group = c = m): a JS loop per channel. Otherwise, per sample, group
 * and block of 64 output pixels: the im2col rows written in the interleaved layout simd.wat's
 * dense reads (four pixels per group, [k][4]), one dense call (bias and ReLU fused), and the
 * [pixel x channel] result transposed into NCHW (other activations applied there).
 */
export function conv2dCpu(a: Conv2dArgs, packed?: PackedConv2d): Float32Array {
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
