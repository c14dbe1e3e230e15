// image-to-tensor on the CPU: the reference (f64, rounded once) and the fast path (per-channel lookup tables: 256 values per channel).
import { expectLength } from '../kernel.ts';
import type { ImageToTensorArgs } from './contract.ts';

export function checkImageToTensor(a: ImageToTensorArgs): void {
  for (const d of ['n', 'h', 'w', 'c'] as const) {
    const min = d === 'n' ? 0 : 1;
    if (!Number.isInteger(a[d]) || a[d] < min) throw new RangeError(`image-to-tensor: ${d} must be an integer >= ${min}, got ${a[d]}`);
  }
  if (a.mean.length !== a.c) throw new RangeError(`image-to-tensor: mean has ${a.mean.length} entries, expected c = ${a.c}`);
  if (a.std.length !== a.c) throw new RangeError(`image-to-tensor: std has ${a.std.length} entries, expected c = ${a.c}`);
  if (!a.std.every((s) => s !== 0 && Number.isFinite(s))) throw new RangeError(`image-to-tensor: std [${a.std.join(', ')}] must be finite and non-zero`);
  if (!Number.isFinite(a.scale) || !a.mean.every(Number.isFinite)) throw new RangeError('image-to-tensor: scale and mean must be finite');
  expectLength('image-to-tensor', 'x', a.x, a.n * a.h * a.w * a.c, `[n, h, w, c] = [${a.n}, ${a.h}, ${a.w}, ${a.c}]`);
}

export function imageToTensorReference(a: ImageToTensorArgs): Float32Array {
  checkImageToTensor(a);
  const { n, h, w, c } = a, hw = h * w;
  const y = new Float32Array(n * c * hw);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < hw; p++) {
      for (let ch = 0; ch < c; ch++) y[(b * c + ch) * hw + p] = (a.x[(b * hw + p) * c + ch] * a.scale - a.mean[ch]) / a.std[ch];
    }
  }
  return y;
}

/** The fast path: the 256 possible outputs of each channel computed once (exactly the reference's values), then a gather. */
export function imageToTensorCpu(a: ImageToTensorArgs): Float32Array {
  checkImageToTensor(a);
  const { n, h, w, c } = a, hw = h * w;
  const lut = new Float32Array(256 * c);
  for (let ch = 0; ch < c; ch++) for (let v = 0; v < 256; v++) lut[ch * 256 + v] = (v * a.scale - a.mean[ch]) / a.std[ch];
  const y = new Float32Array(n * c * hw), x = a.x;
  for (let b = 0; b < n; b++) {
    const src = b * hw * c;
    for (let ch = 0; ch < c; ch++) {
      const dst = (b * c + ch) * hw, t = ch * 256;
      for (let p = 0, s = src + ch; p < hw; p++, s += c) y[dst + p] = lut[t + x[s]];
    }
  }
  return y;
}
