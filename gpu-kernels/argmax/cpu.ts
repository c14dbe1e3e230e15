// argmax and top-k on the CPU: the plain-JS reference, and the fast path (WebAssembly SIMD argmax, JS top-k).
import { expectLength } from '../kernel.ts';
import { loadWasmModule, WasmHeap } from '../wasm/load.ts';
import type { ArgmaxArgs, Ranked, TopkArgs } from './contract.ts';

interface ArgmaxExports extends WebAssembly.Exports {
  argmax_rows(x: number, m: number, n: number, out: number): void;
}

let heap: WasmHeap<ArgmaxExports> | null = null;

/** Whether a (at column ai) ranks before b (at column bi): NaN above all, then larger, then lower column. */
export function ranksBefore(a: number, ai: number, b: number, bi: number): boolean {
  const an = Number.isNaN(a), bn = Number.isNaN(b);
  if (an !== bn) return an;
  if (!an && a !== b) return a > b; // -0 === 0, so they fall through to the column
  return ai < bi;
}

function checkShape(kernel: string, a: ArgmaxArgs, k: number): void {
  if (!Number.isInteger(a.m) || a.m < 0) throw new RangeError(`${kernel}: m must be an integer >= 0, got ${a.m}`);
  if (!Number.isInteger(a.n) || a.n < 1) throw new RangeError(`${kernel}: n must be an integer >= 1, got ${a.n}`);
  if (!Number.isInteger(k) || k < 1 || k > a.n) throw new RangeError(`${kernel}: k must be an integer in [1, n = ${a.n}], got ${k}`);
  expectLength(kernel, 'x', a.x, a.m * a.n, `m x n = ${a.m} x ${a.n}`);
}

/** The reference: every row's columns sorted by the contract's order, first k kept. */
export function topkReference(a: TopkArgs): Ranked {
  checkShape('topk', a, a.k);
  const { x, m, n, k } = a;
  const index = new Int32Array(m * k), value = new Float32Array(m * k);
  for (let i = 0; i < m; i++) {
    const cols = Array.from({ length: n }, (_, j) => j);
    cols.sort((p, q) => (ranksBefore(x[i * n + p], p, x[i * n + q], q) ? -1 : 1));
    for (let t = 0; t < k; t++) {
      index[i * k + t] = cols[t];
      value[i * k + t] = x[i * n + cols[t]];
    }
  }
  return { index, value };
}

export function argmaxReference(a: ArgmaxArgs): Ranked {
  checkShape('argmax', a, 1);
  return topkReference({ ...a, k: 1 });
}

/** argmax in WebAssembly SIMD (argmax.wat); values picked from x by index. */
export function argmaxCpu(a: ArgmaxArgs): Ranked {
  checkShape('argmax', a, 1);
  const { x, m, n } = a;
  const index = new Int32Array(m), value = new Float32Array(m);
  if (m === 0) return { index, value };
  heap ??= new WasmHeap<ArgmaxExports>(loadWasmModule(new URL('./argmax.wasm', import.meta.url)));
  const h = heap;
  const outAt = (4 * m * n + 63) & ~63;
  h.reserve(outAt + 4 * m);
  new Float32Array(h.memory.buffer, 0, m * n).set(x);
  h.fns.argmax_rows(0, m, n, outAt);
  index.set(h.i32.subarray(outAt >> 2, (outAt >> 2) + m));
  for (let i = 0; i < m; i++) value[i] = x[i * n + index[i]];
  return { index, value };
}

/**
 * top-k in JS: each row keeps its best k in a sorted list with insertion (k small, the usual
 * case), or sorts its columns when k is over a quarter of n.
 */
export function topkCpu(a: TopkArgs): Ranked {
  checkShape('topk', a, a.k);
  const { x, m, n, k } = a;
  if (k === 1) return argmaxCpu(a);
  if (4 * k > n) return topkReference(a);
  const index = new Int32Array(m * k), value = new Float32Array(m * k);
  for (let i = 0; i < m; i++) {
    const row = i * n, o = i * k;
    let len = 0;
    for (let j = 0; j < n; j++) {
      const v = x[row + j];
      // Columns come in ascending order, so a later column ties below every kept one.
      if (len === k && !ranksBefore(v, j, value[o + k - 1], index[o + k - 1])) continue;
      let t = len < k ? len++ : k - 1;
      while (t > 0 && ranksBefore(v, j, value[o + t - 1], index[o + t - 1])) {
        value[o + t] = value[o + t - 1];
        index[o + t] = index[o + t - 1];
        t--;
      }
      value[o + t] = v;
      index[o + t] = j;
    }
  }
  return { index, value };
}
