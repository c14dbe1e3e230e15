// Weight packing for simd.wat's dense layer: [n x k] (torch layout) into panels of 8 transposed columns.

/** Number of output columns once padded to whole panels of 8. */
export const padded8 = (n: number): number => (n + 7) & ~7;

/**
 * Writes w ([n x k], row-major) into `out` at float index `at` as ceil(n / 8) panels of
 * [k][8] floats (panel p, input q, lane c = w[8p + c, q]); lanes past n are zero. Takes
 * padded8(n) * k floats.
 */
export function packPanels(w: Float32Array, n: number, k: number, out: Float32Array, at: number): void {
  const n8 = padded8(n);
  out.fill(0, at, at + n8 * k);
  for (let j = 0; j < n; j++) {
    const base = at + (j >> 3) * k * 8 + (j & 7);
    const row = j * k;
    for (let q = 0; q < k; q++) out[base + q * 8] = w[row + q];
  }
}

/** Writes b ([n], or zeros when null) into `out` at `at`, padded with zeros to padded8(n). */
export function packBias(b: Float32Array | null, n: number, out: Float32Array, at: number): void {
  out.fill(0, at, at + padded8(n));
  if (b) out.set(b.subarray(0, n), at);
}
