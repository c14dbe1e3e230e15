// Vectorized arithmetic (+ - * / %) and numeric functions (negate, abs, round, floor, ...).
import * as arrow from 'apache-arrow';
import { InternalError } from '../errors.ts';
import { isFloat, type TypeJSON } from '../types.ts';
import { andValidity, byteLen, clearBit, validity, allValid, type Bits } from './bits.ts';
import { allocNumbers, fromNumbers, numbersOf, type NumArray } from './num.ts';

export type ArithOp = 'add' | 'sub' | 'mul' | 'div' | 'mod';

/**
 * `a op b` with the result in `out` (type from inferField). Integer results wrap as in Spark
 * (non-ANSI); int64 is computed in float64 (exact up to 2^53). Division or modulo by zero
 * yields null, as Spark does.
 */
export function arith(op: ArithOp, out: TypeJSON, a: arrow.Data, b: arrow.Data): arrow.Data {
  const n = a.length;
  const A = numbersOf(a), B = numbersOf(b);
  let valid = andValidity(validity(a), validity(b), n);
  const R = allocNumbers(out, n);
  if (out === 'int32' && op === 'mul') {
    for (let i = 0; i < n; i++) R[i] = Math.imul(A[i], B[i]);
  } else {
    loop(op, A, B, R, n);
  }
  if (op === 'div' || op === 'mod') valid = nullWhereZero(B, valid, n, R);
  return fromNumbers(out, R, n, valid);
}

/**
 * `a op s` (or `s op a` when `scalarLeft`) for a non-null number `s`: arith with a constant
 * operand, without broadcasting it to a column. Division or modulo by zero yields null.
 */
export function arithScalar(op: ArithOp, out: TypeJSON, a: arrow.Data, s: number, scalarLeft: boolean): arrow.Data {
  const n = a.length;
  const A = numbersOf(a);
  let valid = andValidity(validity(a), null, n);
  const R = allocNumbers(out, n);
  if (out === 'int32' && op === 'mul') {
    for (let i = 0; i < n; i++) R[i] = Math.imul(A[i], s);
  } else {
    scalarLoop(op, A, s, scalarLeft, R, n);
  }
  if (op === 'div' || op === 'mod') {
    if (scalarLeft) valid = nullWhereZero(A, valid, n, R);
    else if (s === 0) { valid = new Uint8Array(byteLen(n)); R.fill(0); }
  }
  return fromNumbers(out, R, n, valid);
}

function scalarLoop(op: ArithOp, A: NumArray, s: number, left: boolean, R: NumArray, n: number): void {
  switch (op) {
    case 'add': for (let i = 0; i < n; i++) R[i] = A[i] + s; break;
    case 'sub': if (left) for (let i = 0; i < n; i++) R[i] = s - A[i]; else for (let i = 0; i < n; i++) R[i] = A[i] - s; break;
    case 'mul': for (let i = 0; i < n; i++) R[i] = A[i] * s; break;
    case 'div': if (left) for (let i = 0; i < n; i++) R[i] = s / A[i]; else for (let i = 0; i < n; i++) R[i] = A[i] / s; break;
    case 'mod': if (left) for (let i = 0; i < n; i++) R[i] = s % A[i]; else for (let i = 0; i < n; i++) R[i] = A[i] % s; break;
  }
}

function loop(op: ArithOp, A: NumArray, B: NumArray, R: NumArray, n: number): void {
  switch (op) {
    case 'add': for (let i = 0; i < n; i++) R[i] = A[i] + B[i]; break;
    case 'sub': for (let i = 0; i < n; i++) R[i] = A[i] - B[i]; break;
    case 'mul': for (let i = 0; i < n; i++) R[i] = A[i] * B[i]; break;
    case 'div': for (let i = 0; i < n; i++) R[i] = A[i] / B[i]; break;
    case 'mod': for (let i = 0; i < n; i++) R[i] = A[i] % B[i]; break;
  }
}

/** Clears validity where the divisor is zero (and zeroes the result so it stays storable). */
function nullWhereZero(B: NumArray, valid: Bits | null, n: number, R: NumArray): Bits | null {
  for (let i = 0; i < n; i++) {
    if (B[i] === 0) {
      if (!valid) valid = allValid(n);
      clearBit(valid, i);
      R[i] = 0;
    }
  }
  return valid;
}

export type MathFn = 'negate' | 'abs' | 'floor' | 'ceil' | 'sqrt' | 'exp' | 'ln';

/** Unary numeric functions; `out` is the inferred result type. ln(x <= 0) is null (Spark). */
export function unaryMath(fn: MathFn, out: TypeJSON, a: arrow.Data): arrow.Data {
  const n = a.length;
  const A = numbersOf(a);
  let valid = validity(a);
  const R = allocNumbers(out, n);
  switch (fn) {
    case 'negate': for (let i = 0; i < n; i++) R[i] = -A[i]; break;
    case 'abs': for (let i = 0; i < n; i++) R[i] = Math.abs(A[i]); break;
    case 'floor': for (let i = 0; i < n; i++) R[i] = Math.floor(A[i]); break;
    case 'ceil': for (let i = 0; i < n; i++) R[i] = Math.ceil(A[i]); break;
    case 'sqrt': for (let i = 0; i < n; i++) R[i] = Math.sqrt(A[i]); break;
    case 'exp': for (let i = 0; i < n; i++) R[i] = Math.exp(A[i]); break;
    case 'ln':
      valid = valid ? valid.slice() : null;
      for (let i = 0; i < n; i++) {
        const x = A[i];
        if (x > 0) R[i] = Math.log(x);
        else { if (!valid) valid = allValid(n); clearBit(valid, i); }
      }
      break;
    default: throw new InternalError(`unaryMath: ${String(fn)}`);
  }
  // floor/ceil to int64 convert as Java's (long) does: saturating, NaN -> 0.
  const saturate = fn === 'floor' || fn === 'ceil';
  return fromNumbers(out, R, n, valid ? valid.slice(0, byteLen(n)) : null, saturate);
}

/**
 * round(x, digits) with HALF_UP on the shortest decimal form of x (as Spark's BigDecimal
 * path does: round(2.675, 2) = 2.68). Integers with digits >= 0 are unchanged.
 */
export function round(out: TypeJSON, a: arrow.Data, digits: number): arrow.Data {
  const n = a.length;
  const A = numbersOf(a);
  const R = allocNumbers(out, n);
  const integral = !isFloat(out);
  if (integral && digits >= 0) return a;
  for (let i = 0; i < n; i++) R[i] = roundHalfUp(A[i], digits);
  const v = validity(a);
  return fromNumbers(out, R, n, v ? v.slice() : null);
}

export function roundHalfUp(x: number, d: number): number {
  if (!Number.isFinite(x)) return x;
  const s = x < 0 ? -1 : 1;
  if (d >= 0 && Math.abs(x) >= 2 ** 52) return x;
  // Shift the decimal point in the shortest string form so that no binary error creeps in;
  // Math.round on a non-negative number is HALF_UP.
  const [m, e] = String(Math.abs(x)).split('e');
  const exp = Number(e ?? 0);
  const r = Math.round(Number(`${m}e${exp + d}`));
  const rs = String(r);
  return s * (rs.includes('e') ? r * 10 ** -d : Number(`${rs}e${-d}`));
}
