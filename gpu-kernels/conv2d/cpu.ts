// conv2d on the CPU: the plain-JS reference (f64 sums) and the fast path (im2col + the WebAssembly SIMD dense kernel; depthwise as a JS loop).
import { expectLength } from '../kernel.ts';
import { activate, checkActivation } from '../eltwise/cpu.ts';
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

