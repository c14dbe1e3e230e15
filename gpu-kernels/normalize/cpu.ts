// normalize on the CPU: the plain-JS reference and the fast path (WebAssembly SIMD, 16 bytes per step).
import { loadWasmModule, WasmHeap } from '../wasm/load.ts';
import type { NormalizeArgs } from './contract.ts';

interface NormalizeExports extends WebAssembly.Exports {
  normalize(src: number, n: number, dst: number, scale: number, shift: number): void;
}

let heap: WasmHeap<NormalizeExports> | null = null;

/** The reference: y[i] = fround(fround(x[i] * scale) + shift). */
export function normalizeReference(a: NormalizeArgs): Float32Array {
  const y = new Float32Array(a.x.length);
  for (let i = 0; i < a.x.length; i++) y[i] = Math.fround(Math.fround(a.x[i] * a.scale) + a.shift);
  return y;
}

/**
 * WebAssembly SIMD (normalize.wat): widen 16 bytes to four f32x4, multiply and add in f32
 * (scale and shift rounded to f32 first, within the contract's tolerance).
 */
export function normalizeCpu(a: NormalizeArgs): Float32Array {
  const n = a.x.length;
  if (n === 0) return new Float32Array(0);
  heap ??= new WasmHeap<NormalizeExports>(loadWasmModule(new URL('./normalize.wasm', import.meta.url)));
  const h = heap;
  const outAt = (n + 16 + 63) & ~63; // after the bytes and the 15 the last step over-reads
  h.reserve(outAt + 4 * n + 64); // the last step writes up to 60 bytes past the end
  h.u8.set(a.x, 0);
  h.fns.normalize(0, n, outAt, a.scale, a.shift);
  return new Float32Array(h.memory.buffer, outAt, n).slice();
}
