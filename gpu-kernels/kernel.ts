// The shape every kernel shares: a contract (argument types, a tolerance check) and its backends.
//
// Layouts: matrices are row-major Float32Array; a weight matrix is [out x in] as
// torch.nn.Linear stores it, so y = act(x . w^T + b). Lengths MUST match the stated shapes;
// kernels throw a RangeError naming the argument otherwise (never read out of bounds).

/** Numeric precision of a GPU path. 'f16' is used only where the adapter has `shader-f16`. */
export type Precision = 'f32' | 'f16';

/** Where a kernel runs: the plain-JS reference, the fast CPU path, or WebGPU. */
export type BackendName = 'reference' | 'cpu' | 'webgpu';

/**
 * One kernel's contract. `check(args, got, want)` returns null when `got` is within the
 * contract's tolerance of the reference result `want`, else a one-line description of the
 * first difference (index, values, tolerance) for test failures.
 */
export interface KernelContract<A, R> {
  readonly name: string;
  check(args: A, got: R, want: R, precision?: Precision): string | null;
}

/** f32 machine epsilon (2^-23). */
export const EPS32 = 2 ** -23;
/** f16 machine epsilon (2^-10). */
export const EPS16 = 2 ** -10;

/** Same NaN-ness, same infinities, else |a - b| <= tol. */
export function close(a: number, b: number, tol: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= tol;
}

/** Throws a RangeError unless `arr` has exactly `len` elements. */
export function expectLength(kernel: string, arg: string, arr: { length: number }, len: number, shape: string): void {
  if (arr.length !== len) throw new RangeError(`${kernel}: ${arg} has ${arr.length} elements, expected ${len} (${shape})`);
}
