// The calling thread's own instance of the CPU kernels (simd.wat), for the single-call kernels.
import { SimdHeap } from './module.ts';

let heap: SimdHeap | null = null;

/** This thread's scratch heap for normalize, matmul and argmax (lay out from byte 0 each call). */
export function simdHeap(): SimdHeap {
  heap ??= new SimdHeap();
  return heap;
}
