// softmax on the CPU: the plain-JS reference (in f64) and the fast path (one pass per row over f32, plain JS).
import { expectLength } from '../kernel.ts';
import type { SoftmaxArgs } from './contract.ts';

function checkShape(a: SoftmaxArgs): void {
  if (!Number.isInteger(a.m) || a.m < 0) throw new RangeError(`softmax: m must be an integer >= 0, got ${a.m}`);
  if (!Number.isInteger(a.n) || a.n < 1) throw new RangeError(`softmax: n must be an integer >= 1, got ${a.n}`);
  expectLength('softmax', 'x', a.x, a.m * a.n, `m x n = ${a.m} x ${a.n}`);
}

/**
 * The reference, row by row in f64: a NaN makes the row NaN; +inf entries share the mass
 * (the rest 0); all -inf is NaN (0 / 0); otherwise exp(x - max) / sum, so 1e30 cannot overflow.
 */
export function softmaxReference(a: SoftmaxArgs): Float32Array {
  checkShape(a);
  const { x, m, n } = a;
  const y = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    const row = Array.from(x.subarray(i * n, i * n + n));
    let out: number[];
    if (row.some(Number.isNaN)) out = row.map(() => NaN);
    else if (row.includes(Infinity)) {
      const count = row.filter((v) => v === Infinity).length;
      out = row.map((v) => (v === Infinity ? 1 / count : 0));
    } else {
      const max = Math.max(...row);
      const e = row.map((v) => Math.exp(v - max)); // all -inf: max = -inf, -inf - -inf = NaN
      const sum = e.reduce((s, v) => s + v, 0);
      out = e.map((v) => v / sum);
    }
    y.set(out, i * n);
  }
  return y;
}

/** Row scratch: the exponentials stay in f64 until divided. */
let e64 = new Float64Array(64);

/** softmax of x[xo, xo + n) into y[yo, yo + n) (f64 sums, f32 out); shared with the MLP's last layer. */
export function softmaxRow(x: Float32Array, xo: number, n: number, y: Float32Array, yo: number): void {
  let max = -Infinity, nan = false, infs = 0;
  for (let j = 0; j < n; j++) {
    const v = x[xo + j];
    if (v > max) max = v;
    else if (v !== v) nan = true;
    if (v === Infinity) infs++;
  }
  if (nan) y.fill(NaN, yo, yo + n);
  else if (infs > 0) for (let j = 0; j < n; j++) y[yo + j] = x[xo + j] === Infinity ? 1 / infs : 0;
  else {
    if (e64.length < n) e64 = new Float64Array(n);
    let sum = 0;
    for (let j = 0; j < n; j++) sum += e64[j] = Math.exp(x[xo + j] - max); // all -inf: NaN, as the reference
    for (let j = 0; j < n; j++) y[yo + j] = e64[j] / sum;
  }
}

/** The fast path: plain JS (the time is in exp, which WebAssembly has no instruction for). */
export function softmaxCpu(a: SoftmaxArgs): Float32Array {
  checkShape(a);
  const { x, m, n } = a;
  const y = new Float32Array(m * n);
  for (let i = 0; i < m; i++) softmaxRow(x, i * n, n, y, i * n);
  return y;
}
