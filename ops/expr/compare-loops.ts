// Comparison loops that write packed bits a byte (8 rows) at a time. `+(a < b)` turns each
// test into 0 or 1 without a branch, so random data costs no mispredictions: several times
// faster than a branch per row. NaN is left to the caller's fix-up pass.
import { byteLen } from './bits.ts';
import type { NumArray } from './num.ts';

export type CmpOp = 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte';

/** Bit i set where `A[i] op s`, for the first n rows. */
export function scalarBits(op: CmpOp, A: NumArray, s: number, n: number): Uint8Array {
  const out = new Uint8Array(byteLen(n));
  const full = n >> 3;
  switch (op) {
    case 'eq':
      for (let k = 0, i = 0; k < full; k++, i += 8) {
        out[k] = +(A[i] === s) | +(A[i + 1] === s) << 1 | +(A[i + 2] === s) << 2 | +(A[i + 3] === s) << 3
          | +(A[i + 4] === s) << 4 | +(A[i + 5] === s) << 5 | +(A[i + 6] === s) << 6 | +(A[i + 7] === s) << 7;
      }
      break;
    case 'neq':
      for (let k = 0, i = 0; k < full; k++, i += 8) {
        out[k] = +(A[i] !== s) | +(A[i + 1] !== s) << 1 | +(A[i + 2] !== s) << 2 | +(A[i + 3] !== s) << 3
          | +(A[i + 4] !== s) << 4 | +(A[i + 5] !== s) << 5 | +(A[i + 6] !== s) << 6 | +(A[i + 7] !== s) << 7;
      }
      break;
    case 'lt':
      for (let k = 0, i = 0; k < full; k++, i += 8) {
        out[k] = +(A[i] < s) | +(A[i + 1] < s) << 1 | +(A[i + 2] < s) << 2 | +(A[i + 3] < s) << 3
          | +(A[i + 4] < s) << 4 | +(A[i + 5] < s) << 5 | +(A[i + 6] < s) << 6 | +(A[i + 7] < s) << 7;
      }
      break;
    case 'lte':
      for (let k = 0, i = 0; k < full; k++, i += 8) {
        out[k] = +(A[i] <= s) | +(A[i + 1] <= s) << 1 | +(A[i + 2] <= s) << 2 | +(A[i + 3] <= s) << 3
          | +(A[i + 4] <= s) << 4 | +(A[i + 5] <= s) << 5 | +(A[i + 6] <= s) << 6 | +(A[i + 7] <= s) << 7;
      }
      break;
    case 'gt':
      for (let k = 0, i = 0; k < full; k++, i += 8) {
        out[k] = +(A[i] > s) | +(A[i + 1] > s) << 1 | +(A[i + 2] > s) << 2 | +(A[i + 3] > s) << 3
          | +(A[i + 4] > s) << 4 | +(A[i + 5] > s) << 5 | +(A[i + 6] > s) << 6 | +(A[i + 7] > s) << 7;
      }
      break;
    case 'gte':
      for (let k = 0, i = 0; k < full; k++, i += 8) {
        out[k] = +(A[i] >= s) | +(A[i + 1] >= s) << 1 | +(A[i + 2] >= s) << 2 | +(A[i + 3] >= s) << 3
          | +(A[i + 4] >= s) << 4 | +(A[i + 5] >= s) << 5 | +(A[i + 6] >= s) << 6 | +(A[i + 7] >= s) << 7;
      }
      break;
  }
  for (let i = full << 3; i < n; i++) if (holds(op, A[i], s)) out[i >> 3] |= 1 << (i & 7);
  return out;
}

/** Bit i set where `A[i] op B[i]`, for the first n rows. */
export function columnBits(op: CmpOp, A: NumArray, B: NumArray, n: number): Uint8Array {
  const out = new Uint8Array(byteLen(n));
  const full = n >> 3;
  switch (op) {
    case 'eq':
      for (let k = 0, i = 0; k < full; k++, i += 8) {
        out[k] = +(A[i] === B[i]) | +(A[i + 1] === B[i + 1]) << 1 | +(A[i + 2] === B[i + 2]) << 2 | +(A[i + 3] === B[i + 3]) << 3
          | +(A[i + 4] === B[i + 4]) << 4 | +(A[i + 5] === B[i + 5]) << 5 | +(A[i + 6] === B[i + 6]) << 6 | +(A[i + 7] === B[i + 7]) << 7;
      }
      break;
    case 'neq':
      for (let k = 0, i = 0; k < full; k++, i += 8) {
        out[k] = +(A[i] !== B[i]) | +(A[i + 1] !== B[i + 1]) << 1 | +(A[i + 2] !== B[i + 2]) << 2 | +(A[i + 3] !== B[i + 3]) << 3
          | +(A[i + 4] !== B[i + 4]) << 4 | +(A[i + 5] !== B[i + 5]) << 5 | +(A[i + 6] !== B[i + 6]) << 6 | +(A[i + 7] !== B[i + 7]) << 7;
      }
      break;
    case 'lt':
      for (let k = 0, i = 0; k < full; k++, i += 8) {
        out[k] = +(A[i] < B[i]) | +(A[i + 1] < B[i + 1]) << 1 | +(A[i + 2] < B[i + 2]) << 2 | +(A[i + 3] < B[i + 3]) << 3
          | +(A[i + 4] < B[i + 4]) << 4 | +(A[i + 5] < B[i + 5]) << 5 | +(A[i + 6] < B[i + 6]) << 6 | +(A[i + 7] < B[i + 7]) << 7;
      }
      break;
    case 'lte':
      for (let k = 0, i = 0; k < full; k++, i += 8) {
        out[k] = +(A[i] <= B[i]) | +(A[i + 1] <= B[i + 1]) << 1 | +(A[i + 2] <= B[i + 2]) << 2 | +(A[i + 3] <= B[i + 3]) << 3
          | +(A[i + 4] <= B[i + 4]) << 4 | +(A[i + 5] <= B[i + 5]) << 5 | +(A[i + 6] <= B[i + 6]) << 6 | +(A[i + 7] <= B[i + 7]) << 7;
      }
      break;
    case 'gt':
      for (let k = 0, i = 0; k < full; k++, i += 8) {
        out[k] = +(A[i] > B[i]) | +(A[i + 1] > B[i + 1]) << 1 | +(A[i + 2] > B[i + 2]) << 2 | +(A[i + 3] > B[i + 3]) << 3
          | +(A[i + 4] > B[i + 4]) << 4 | +(A[i + 5] > B[i + 5]) << 5 | +(A[i + 6] > B[i + 6]) << 6 | +(A[i + 7] > B[i + 7]) << 7;
      }
      break;
    case 'gte':
      for (let k = 0, i = 0; k < full; k++, i += 8) {
        out[k] = +(A[i] >= B[i]) | +(A[i + 1] >= B[i + 1]) << 1 | +(A[i + 2] >= B[i + 2]) << 2 | +(A[i + 3] >= B[i + 3]) << 3
          | +(A[i + 4] >= B[i + 4]) << 4 | +(A[i + 5] >= B[i + 5]) << 5 | +(A[i + 6] >= B[i + 6]) << 6 | +(A[i + 7] >= B[i + 7]) << 7;
      }
      break;
  }
  for (let i = full << 3; i < n; i++) if (holds(op, A[i], B[i])) out[i >> 3] |= 1 << (i & 7);
  return out;
}

function holds(op: CmpOp, a: number, b: number): boolean {
  switch (op) {
    case 'eq': return a === b;
    case 'neq': return a !== b;
    case 'lt': return a < b;
    case 'lte': return a <= b;
    case 'gt': return a > b;
    case 'gte': return a >= b;
  }
}
