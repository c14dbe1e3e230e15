// pool2d on the CPU: the plain-JS reference (f64 sums) and the fast path (2x2 stride-2 max pooling in WebAssembly SIMD, a global-average special case, tight loops).
import { expectLength } from '../kernel.ts';
import { simdHeap } from '../cpu/heap.ts';
import { align64, type SimdHeap } from '../cpu/module.ts';
import { poolOutShape, type Pool2dArgs } from './contract.ts';

export function checkPool2d(a: Pool2dArgs): [number, number] {
  if (a.mode !== 'max' && a.mode !== 'avg') throw new RangeError(`pool2d: mode must be 'max' or 'avg', got ${String(a.mode)}`);
  for (const d of ['n', 'c', 'h', 'w'] as const) {
    const min = d === 'n' ? 0 : 1;
    if (!Number.isInteger(a[d]) || a[d] < min) throw new RangeError(`pool2d: ${d} must be an integer >= ${min}, got ${a[d]}`);
  }
  if (!a.kernel.every((s) => Number.isInteger(s) && s >= 1)) throw new RangeError(`pool2d: kernel [${a.kernel.join(', ')}] must be integers >= 1`);
  if (!a.strides.every((s) => Number.isInteger(s) && s >= 1)) throw new RangeError(`pool2d: strides [${a.strides.join(', ')}] must be integers >= 1`);
  if (a.pads.length !== 4 || !a.pads.every((p, i) => Number.isInteger(p) && p >= 0 && p < a.kernel[i % 2])) {
    throw new RangeError(`pool2d: pads [${a.pads.join(', ')}] must be integers >= 0 and smaller than the kernel [${a.kernel.join(', ')}]`);
  }
  const [oh, ow] = poolOutShape(a);
  if (oh < 1 || ow < 1) throw new RangeError(`pool2d: the output would be ${oh} x ${ow}: the ${a.kernel.join(' x ')} window does not fit the padded ${a.h} x ${a.w} input`);
  expectLength('pool2d', 'x', a.x, a.n * a.c * a.h * a.w, `[n, c, h, w] = [${a.n}, ${a.c}, ${a.h}, ${a.w}]`);
  return [oh, ow];
}

/** The reference: each window scanned in order (max: NaN wins, then the largest; avg: an f64 sum over the cells inside, divided per countIncludePad). */
export function pool2dReference(a: Pool2dArgs): Float32Array {
  const [oh, ow] = checkPool2d(a);
  const { x, h, w } = a, [kh, kw] = a.kernel, [sh, sw] = a.strides, pt = a.pads[0], pl = a.pads[1];
  const y = new Float32Array(a.n * a.c * oh * ow);
  let o = 0;
  for (let p = 0; p < a.n * a.c; p++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let acc = a.mode === 'max' ? -Infinity : 0, cnt = 0;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pl + kx;
            if (ix < 0 || ix >= w) continue;
            const v = x[(p * h + iy) * w + ix];
            if (a.mode === 'avg') acc += v;
            else if (v > acc || Number.isNaN(v)) acc = Number.isNaN(acc) ? acc : v;
            cnt++;
          }
        }
        y[o++] = a.mode === 'max' ? acc : acc / (a.countIncludePad ? kh * kw : cnt);
      }
    }
  }
  return y;
}

/** Whether simd.wat's maxpool2 runs this pool: max, 2x2, stride 2, no padding, output rows of 4 or more. */
export function isMaxPool2(a: Omit<Pool2dArgs, 'x' | 'n'>): boolean {
  const [, ow] = poolOutShape(a as Pool2dArgs);
  return a.mode === 'max' && a.kernel[0] === 2 && a.kernel[1] === 2 && a.strides[0] === 2 && a.strides[1] === 2 && a.pads.every((p) => p === 0) && ow >= 4;
}

/** maxpool2 over `planes` planes in `heap` (x and y byte offsets); the caller checked isMaxPool2. */
export function runMaxPool2(heap: SimdHeap, x: number, y: number, planes: number, h: number, w: number): void {
  if (planes > 0) heap.fns.maxpool2(x, planes, h, w, y, h >> 1, w >> 1);
}

/** The fast path: maxpool2 in WebAssembly where it applies; a window covering the whole plane (global average pool) is one run per plane; otherwise the reference's loops. */
export function pool2dCpu(a: Pool2dArgs): Float32Array {
  const [oh, ow] = checkPool2d(a);
  const { x, h, w } = a;
  const planes = a.n * a.c;
  if (isMaxPool2(a)) {
    const y = new Float32Array(planes * oh * ow);
    if (planes === 0) return y;
    const heap = simdHeap(), yAt = align64(4 * x.length);
    heap.reserve(yAt + 4 * y.length);
    heap.f32.set(x, 0);
    runMaxPool2(heap, 0, yAt, planes, h, w);
    y.set(heap.f32.subarray(yAt >> 2, (yAt >> 2) + y.length));
    return y;
  }
  if (oh === 1 && ow === 1 && a.kernel[0] === h && a.kernel[1] === w && a.pads.every((p) => p === 0)) {
    const y = new Float32Array(planes), hw = h * w;
    for (let p = 0; p < planes; p++) {
      const o = p * hw;
      if (a.mode === 'avg') {
        let s = 0;
        for (let i = o; i < o + hw; i++) s += x[i];
        y[p] = s / hw;
      } else {
        let m = -Infinity;
        for (let i = o; i < o + hw; i++) { const v = x[i]; if (v > m) m = v; else if (v !== v) { m = NaN; break; } }
        y[p] = m;
      }
    }
    return y;
  }
  return pool2dReference(a);
}
