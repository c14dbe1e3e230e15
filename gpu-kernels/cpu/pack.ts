// Weight packing for simd.wat's layers: [n x k] (torch layout) into panels of 8 (dense) or 32 (sparse first layer) transposed columns.

/** Number of output columns once padded to whole panels of 8. */
export const padded8 = (n: number): number => (n + 7) & ~7;
/** Number of output columns once padded to whole panels of 32. */
export const padded32 = (n: number): number => (n + 31) & ~31;

/**
 * Writes w ([n x k], row-major) into `out` at float index `at` as panels of `width` columns,
 * each [k][width] floats (panel p, input q, lane c = w[width * p + c, q]); lanes past n are
 * zero. Takes ceil(n / width) * width * k floats.
 */
export function packPanels(w: Float32Array, n: number, k: number, out: Float32Array, at: number, width: 8 | 32 = 8): void {
  const nw = Math.ceil(n / width) * width;
  out.fill(0, at, at + nw * k);
  for (let j = 0; j < n; j++) {
    const base = at + Math.floor(j / width) * k * width + (j % width);
    const row = j * k;
    for (let q = 0; q < k; q++) out[base + q * width] = w[row + q];
  }
}

/** Writes b ([n], or zeros when null) into `out` at `at`, padded with zeros to `padded` floats. */
export function packBias(b: Float32Array | null, n: number, out: Float32Array, at: number, padded = padded8(n)): void {
  out.fill(0, at, at + padded);
  if (b) out.set(b.subarray(0, n), at);
}
