// concat on the CPU: row-by-row copies (the reference and the fast path are the same: set() of subarrays).
import type { ConcatArgs } from './contract.ts';

export function checkConcat(a: ConcatArgs): number {
  if (a.xs.length === 0 || a.xs.length !== a.inners.length) throw new RangeError(`concat: ${a.xs.length} inputs and ${a.inners.length} inners; expected the same number, at least 1`);
  if (!Number.isInteger(a.outer) || a.outer < 0) throw new RangeError(`concat: outer must be an integer >= 0, got ${a.outer}`);
  let total = 0;
  a.xs.forEach((x, i) => {
    const inner = a.inners[i];
    if (!Number.isInteger(inner) || inner < 0) throw new RangeError(`concat: inners[${i}] must be an integer >= 0, got ${inner}`);
    if (x.length !== a.outer * inner) throw new RangeError(`concat: x${i} has ${x.length} elements, expected ${a.outer} x ${inner}`);
    total += inner;
  });
  return total;
}

export function concatCpu(a: ConcatArgs): Float32Array {
  const total = checkConcat(a);
  const y = new Float32Array(a.outer * total);
  let off = 0;
  a.xs.forEach((x, i) => {
    const inner = a.inners[i];
    for (let r = 0; r < a.outer; r++) y.set(x.subarray(r * inner, r * inner + inner), r * total + off);
    off += inner;
  });
  return y;
}

export const concatReference = concatCpu;
