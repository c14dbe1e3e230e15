// map on the CPU: the plain-JS reference (f64, rounded once) and the fast path (plain JS over f32).
import type { MapArgs, MapOp } from './contract.ts';

/** The function of one op on one f64 value (the result is rounded to f32 by the caller). */
export function mapFn(fn: MapOp): (v: number) => number {
  switch (fn.op) {
    case 'relu': return (v) => (v < 0 ? 0 : v); // NaN < 0 is false: NaN stays NaN
    case 'sigmoid': return (v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))); // no inf / inf
    case 'tanh': return Math.tanh;
    case 'exp': return Math.exp;
    case 'log': return Math.log;
    case 'abs': return Math.abs;
    case 'neg': return (v) => -v;
    case 'sqrt': return Math.sqrt;
    case 'square': return (v) => v * v;
    case 'affine': {
      const { a, b } = fn;
      return (v) => v * a + b;
    }
    default: {
      const never: never = fn;
      throw new RangeError(`map: unknown op ${JSON.stringify(never)}`);
    }
  }
}

/** The reference: y[i] = fround(fn(x[i])) computed in f64. */
export function mapReference(a: MapArgs): Float32Array {
  const f = mapFn(a.fn);
  return Float32Array.from(a.x, (v) => f(v));
}

/**
 * The fast path: the same f64 functions in a tight loop (one specialised per op by V8).
 * WebAssembly would not pay here: the transcendental ops are Math calls either way and the
 * others are memory-bound.
 */
export function mapCpu(a: MapArgs): Float32Array {
  const { x } = a;
  const y = new Float32Array(x.length);
  const f = mapFn(a.fn);
  for (let i = 0; i < x.length; i++) y[i] = f(x[i]);
  return y;
}
