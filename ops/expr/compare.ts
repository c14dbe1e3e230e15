// Vectorized comparisons (numeric, temporal, bool, utf8 bytes) and three-valued boolean logic.
import * as arrow from 'apache-arrow';
import { andValidity, boolBits, byteLen, makeValues, validity, type Bits } from './bits.ts';
import { columnBits, scalarBits, type CmpOp } from './compare-loops.ts';
import { numbersOf, type NumArray } from './num.ts';

export type { CmpOp };

const BOOL = new arrow.Bool();

/** Bool Data from packed bits and a validity. */
export function boolData(bits: Uint8Array, n: number, valid: Bits | null): arrow.Data {
  return makeValues(BOOL, n, bits, valid);
}

/** Compares two numeric (or bool, date, timestamp) columns row by row. */
export function compareNumbers(op: CmpOp, a: arrow.Data, b: arrow.Data): arrow.Data {
  const n = a.length;
  const A = numbersOf(a), B = numbersOf(b);
  const out = columnBits(op, A, B, n);
  if (isFloatArray(A) || isFloatArray(B)) fixNaN(op, A, B, 0, out, n);
  return boolData(out, n, andValidity(validity(a), validity(b), n));
}

const isFloatArray = (x: NumArray): boolean => x instanceof Float64Array || x instanceof Float32Array;

/**
 * Spark orders NaN above every other number and makes NaN = NaN true; the IEEE loops above
 * do not, so rows with a NaN operand are recomputed here (a cheap scan when there is none).
 */
function fixNaN(op: CmpOp, A: NumArray, B: NumArray | null, s: number, out: Uint8Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const a = A[i], b = B ? B[i] : s;
    if (a === a && b === b) continue;
    const c = a !== a ? (b !== b ? 0 : 1) : -1;
    if (test(op, c)) out[i >> 3] |= 1 << (i & 7);
    else out[i >> 3] &= ~(1 << (i & 7));
  }
}

/** Compares a numeric column with one number. */
export function compareNumberScalar(op: CmpOp, a: arrow.Data, s: number): arrow.Data {
  const n = a.length;
  const A = numbersOf(a);
  const out = scalarBits(op, A, s, n);
  if (isFloatArray(A) || s !== s) fixNaN(op, A, null, s, out, n);
  const v = validity(a);
  return boolData(out, n, v ? v.slice() : null);
}

/** Lexicographic comparison of byte ranges (UTF-8 byte order is code point order). */
function cmpBytes(x: Uint8Array, a0: number, a1: number, y: Uint8Array, b0: number, b1: number): number {
  const la = a1 - a0, lb = b1 - b0;
  const m = la < lb ? la : lb;
  for (let k = 0; k < m; k++) {
    const d = x[a0 + k] - y[b0 + k];
    if (d !== 0) return d;
  }
  return la - lb;
}

/** Whether a three-way comparison result `c` (<0, 0, >0) satisfies `op`. */
export const test = (op: CmpOp, c: number): boolean => {
  switch (op) {
    case 'eq': return c === 0;
    case 'neq': return c !== 0;
    case 'lt': return c < 0;
    case 'lte': return c <= 0;
    case 'gt': return c > 0;
    case 'gte': return c >= 0;
  }
};

/** Compares two utf8 columns by bytes. */
export function compareUtf8(op: CmpOp, a: arrow.Data, b: arrow.Data): arrow.Data {
  const n = a.length;
  const ao = a.valueOffsets as Int32Array, bo = b.valueOffsets as Int32Array;
  const ab = a.values as Uint8Array, bb = b.values as Uint8Array;
  const out = new Uint8Array(byteLen(n));
  for (let i = 0; i < n; i++) {
    if (test(op, cmpBytes(ab, ao[i], ao[i + 1], bb, bo[i], bo[i + 1]))) out[i >> 3] |= 1 << (i & 7);
  }
  return boolData(out, n, andValidity(validity(a), validity(b), n));
}

/** Compares a utf8 column with literal bytes; eq/neq check the length first. */
export function compareUtf8Scalar(op: CmpOp, a: arrow.Data, lit: Uint8Array): arrow.Data {
  const n = a.length;
  const ao = a.valueOffsets as Int32Array;
  const ab = a.values as Uint8Array;
  const out = new Uint8Array(byteLen(n));
  const m = lit.length;
  if (op === 'eq' || op === 'neq') {
    // A byte of the result (8 rows) is put together in a register and stored once; a one-byte
    // literal (a flag or status code, TPC-H's l_returnflag = 'R') is one length and one byte test.
    const flip = op === 'eq' ? 0 : 0xff;
    const c0 = lit[0];
    for (let base = 0; base < n; base += 8) {
      const lim = Math.min(8, n - base);
      let bits = 0;
      if (m === 1) {
        for (let b = 0; b < lim; b++) {
          const s = ao[base + b];
          if (ao[base + b + 1] - s === 1 && ab[s] === c0) bits |= 1 << b;
        }
      } else {
        for (let b = 0; b < lim; b++) {
          const s = ao[base + b];
          let eq = ao[base + b + 1] - s === m;
          for (let k = 0; eq && k < m; k++) eq = ab[s + k] === lit[k];
          if (eq) bits |= 1 << b;
        }
      }
      out[base >> 3] = (bits ^ flip) & ((1 << lim) - 1);
    }
  } else {
    for (let i = 0; i < n; i++) {
      if (test(op, cmpBytes(ab, ao[i], ao[i + 1], lit, 0, m))) out[i >> 3] |= 1 << (i & 7);
    }
  }
  const v = validity(a);
  return boolData(out, n, v ? v.slice() : null);
}

/** The operator with its operands swapped (lit < col  <=>  col > lit). */
export function flipCmp(op: CmpOp): CmpOp {
  switch (op) {
    case 'lt': return 'gt';
    case 'lte': return 'gte';
    case 'gt': return 'lt';
    case 'gte': return 'lte';
    default: return op;
  }
}

/**
 * SQL three-valued AND / OR over bool columns, a byte (8 rows) at a time:
 * false AND null = false, true OR null = true, otherwise null when either side is null.
 */
export function logic(op: 'and' | 'or', a: arrow.Data, b: arrow.Data): arrow.Data {
  const n = a.length;
  const x = boolBits(a), y = boolBits(b);
  const vx = validity(a), vy = validity(b);
  const nb = byteLen(n);
  const out = new Uint8Array(nb);
  if (!vx && !vy) {
    if (op === 'and') for (let k = 0; k < nb; k++) out[k] = x[k] & y[k];
    else for (let k = 0; k < nb; k++) out[k] = x[k] | y[k];
    return boolData(out, n, null);
  }
  const valid = new Uint8Array(nb);
  for (let k = 0; k < nb; k++) {
    const va = vx ? vx[k] : 0xff, vb = vy ? vy[k] : 0xff;
    const xa = x[k] & va, yb = y[k] & vb;
    if (op === 'and') {
      // Known false on either side decides the row even when the other is null.
      const v = (va & vb) | (va & ~x[k]) | (vb & ~y[k]);
      valid[k] = v;
      out[k] = xa & yb & v;
    } else {
      const v = (va & vb) | xa | yb;
      valid[k] = v;
      out[k] = (xa | yb) & v;
    }
  }
  return boolData(out, n, valid);
}

/** NOT: flips the values, keeps the validity. */
export function not(a: arrow.Data): arrow.Data {
  const n = a.length;
  const x = boolBits(a);
  const nb = byteLen(n);
  const out = new Uint8Array(nb);
  for (let k = 0; k < nb; k++) out[k] = ~x[k] & 0xff;
  const v = validity(a);
  return boolData(out, n, v ? v.slice() : null);
}

/** IS NULL / IS NOT NULL: never null itself. */
export function isNull(a: arrow.Data, negate: boolean): arrow.Data {
  const n = a.length;
  const v = validity(a);
  const nb = byteLen(n);
  const out = new Uint8Array(nb);
  if (v) {
    if (negate) out.set(v.subarray(0, nb));
    else for (let k = 0; k < nb; k++) out[k] = ~v[k] & 0xff;
  } else if (negate) out.fill(0xff);
  return boolData(out, n, null);
}
