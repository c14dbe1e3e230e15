// Plan-time evaluation of one expression node over literal operands (used by FoldConstants).
import { exprChildren, floatLiteralNumber, type ExprNode, type LiteralValue } from '../../ops/expr/node.ts';
import { typeOf } from '../../ops/expr/typecheck.ts';
import { evalDateCall, evalTemporalCast } from './scalar-dates.ts';
import { test as cmpTest } from '../../ops/expr/compare.ts';
import { isFloat, isInteger, isNumeric, isTemporal, typeEquals, type TypeJSON } from '../../ops/types.ts';

export type Literal = Extract<ExprNode, { kind: 'literal' }>;

/** "Leave this node alone": the evaluator cannot be sure it matches the runtime exactly. */
const NO = Symbol('no-fold');
type Out = LiteralValue | typeof NO;

const INT_RANGE: Record<string, readonly [number, number]> = {
  int8: [-(2 ** 7), 2 ** 7 - 1], int16: [-(2 ** 15), 2 ** 15 - 1], int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint8: [0, 2 ** 8 - 1], uint16: [0, 2 ** 16 - 1], uint32: [0, 2 ** 32 - 1], uint64: [0, Number.MAX_SAFE_INTEGER],
};

export const isLiteral = (e: ExprNode): e is Literal => e.kind === 'literal';

/**
 * The literal that `e` evaluates to when all its children are literals, or null when it cannot
 * be folded. The result has exactly `inferField(e).type`. Folding is conservative: anything whose
 * runtime result could differ (division by zero, overflow, NaN, float formatting, locale-aware
 * string functions, regular expressions, rounding modes) is left for the runtime. Results MUST
 * survive JSON (no NaN, Infinity or -0 numbers), since plans cross the network; a non-finite float
 * literal passes through (coalesce, CASE) only in its named form ('Infinity').
 */
export function foldLiteralExpr(e: ExprNode): Literal | null {
  // A UDF is user code: it runs in tasks, never at plan time.
  if (e.kind === 'literal' || e.kind === 'column' || e.kind === 'alias' || e.kind === 'sort' || e.kind === 'agg' || e.kind === 'udf') return null;
  const kids = exprChildren(e);
  if (!kids.every(isLiteral)) return null;
  const type = typeOf(e, []).type;
  let v: Out;
  switch (e.kind) {
    case 'binary': v = evalBinary(e.op, kids[0], kids[1], type); break;
    case 'unary': v = evalUnary(e.op, kids[0]); break;
    case 'cast': v = evalCast(kids[0], e.to); break;
    case 'call': v = evalCall(e.fn, kids, type); break;
    case 'case': v = evalCase(e.branches.length, kids, e.otherwise !== null); break;
    default: v = NO;
  }
  if (v === NO) return null;
  const value = normalize(v, type);
  return value === NO ? null : { kind: 'literal', value, type };
}

/** `v` as a valid JSON literal of `type`, or NO. */
function normalize(v: LiteralValue, type: TypeJSON): Out {
  if (v === null) return null;
  if (type === 'bool') return typeof v === 'boolean' ? v : NO;
  if (type === 'utf8') return typeof v === 'string' ? v : NO;
  if (isInteger(type)) {
    if (typeof v === 'string') return (type === 'int64' || type === 'uint64') && /^[+-]?\d+$/.test(v) ? v : NO;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return NO;
    const [lo, hi] = INT_RANGE[type as string];
    return v < lo || v > hi ? NO : v === 0 ? 0 : v;
  }
  if (isFloat(type)) {
    if (typeof v === 'string') return floatLiteralNumber(v) === null ? NO : v;
    if (typeof v !== 'number' || !Number.isFinite(v) || Object.is(v, -0)) return NO;
    return type === 'float32' && Math.fround(v) !== v ? NO : v;
  }
  if (isTemporal(type)) return typeof v === 'number' || typeof v === 'string' ? v : NO;
  return NO;
}

/** A literal's numeric value (decoding 'Infinity' floats), or NO (NaN, 64-bit integers as strings, non-integers typed as ints). */
function num(l: Literal): number | typeof NO {
  if (!isNumeric(l.type)) return NO;
  const x = isFloat(l.type) ? floatLiteralNumber(l.value) : typeof l.value === 'number' ? l.value : null;
  if (x === null || Number.isNaN(x)) return NO;
  return isInteger(l.type) && !Number.isInteger(x) ? NO : x;
}

/** UTF-16 order equals code point (and UTF-8 byte) order only without surrogates. */
const plainString = (v: LiteralValue): v is string => typeof v === 'string' && !/[\uD800-\uDFFF]/.test(v);

function evalBinary(op: Extract<ExprNode, { kind: 'binary' }>['op'], l: Literal, r: Literal, type: TypeJSON): Out {
  const a = l.value;
  const b = r.value;
  switch (op) {
    case 'and':
      if (a === false || b === false) return false;
      if (a === null || b === null) return null;
      return typeof a === 'boolean' && typeof b === 'boolean' ? true : NO;
    case 'or':
      if (a === true || b === true) return true;
      if (a === null || b === null) return null;
      return typeof a === 'boolean' && typeof b === 'boolean' ? false : NO;
    case 'add': case 'sub': case 'mul': case 'div': case 'mod': {
      if (a === null || b === null) return null;
      const x = num(l);
      const y = num(r);
      if (x === NO || y === NO) return NO;
      switch (op) {
        case 'add': return x + y;
        case 'sub': return x - y;
        case 'mul': return x * y;
        // By zero: null in Spark, an error or Infinity elsewhere; the runtime decides.
        case 'div': return y === 0 ? NO : x / y;
        case 'mod': return y === 0 ? NO : isInteger(type) || !Object.is(x % y, -0) ? x % y : NO;
      }
      return NO;
    }
    case 'eq': case 'neq': case 'lt': case 'lte': case 'gt': case 'gte': {
      if (a === null || b === null) return null;
      let c: number;
      if (isNumeric(l.type) && isNumeric(r.type)) {
        const x = num(l);
        const y = num(r);
        if (x === NO || y === NO) return NO;
        c = x < y ? -1 : x > y ? 1 : 0;
      } else if (typeof a === 'boolean' && typeof b === 'boolean') {
        c = Number(a) - Number(b);
      } else if (l.type === 'utf8' && r.type === 'utf8' && plainString(a) && plainString(b)) {
        c = a < b ? -1 : a > b ? 1 : 0;
      } else {
        return NO;
      }
      return cmpTest(op, c);
    }
  }
  return NO;
}

function evalUnary(op: Extract<ExprNode, { kind: 'unary' }>['op'], l: Literal): Out {
  const a = l.value;
  switch (op) {
    case 'isNull': return a === null;
    case 'isNotNull': return a !== null;
    case 'not': return a === null ? null : typeof a === 'boolean' ? !a : NO;
    case 'negate': {
      if (a === null) return null;
      const x = num(l);
      return x === NO ? NO : -x;
    }
  }
  return NO;
}

function evalCast(l: Literal, to: TypeJSON): Out {
  const v = l.value;
  const from = l.type;
  if (v === null) return null;
  if (typeEquals(from, to)) return v;
  if (to === 'utf8') {
    // Floats and dates format differently across engines (1.0 vs 1): left to the runtime.
    if (isInteger(from) && typeof v === 'number') return String(v);
    if (isInteger(from) && typeof v === 'string') return BigInt(v).toString();
    if (from === 'bool' && typeof v === 'boolean') return v ? 'true' : 'false';
    return NO;
  }
  if (isNumeric(to)) {
    if (isNumeric(from)) {
      const x = num(l);
      if (x === NO) return NO;
      return isInteger(to) ? Math.trunc(x) : to === 'float32' ? Math.fround(x) : x;
    }
    if (from === 'bool' && typeof v === 'boolean') return v ? 1 : 0;
    if (from === 'utf8' && typeof v === 'string') {
      if (isInteger(to)) return /^-?\d+$/.test(v) ? Number(v) : NO;
      if (!/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(v)) return NO;
      return to === 'float32' ? Math.fround(Number(v)) : Number(v);
    }
    return NO;
  }
  if (to === 'bool' && isNumeric(from)) {
    const x = num(l);
    return x === NO ? NO : x !== 0;
  }
  const t = evalTemporalCast(l, to);
  return t === undefined ? NO : t;
}

function evalCall(fn: Extract<ExprNode, { kind: 'call' }>['fn'], args: readonly Literal[], type: TypeJSON): Out {
  const vals = args.map((a) => a.value);
  const anyNull = vals.some((v) => v === null);
  switch (fn) {
    case 'coalesce': {
      const first = args.find((a) => a.value !== null);
      if (!first) return null;
      // A value of another numeric type is the same number in the widened type.
      return typeof first.value === 'string' && !typeEquals(first.type, type) ? NO : first.value;
    }
    case 'lower': case 'upper': {
      if (anyNull) return null;
      const s = vals[0];
      // Only ASCII: Unicode case mapping differs between engines.
      if (typeof s !== 'string' || !/^[\x00-\x7f]*$/.test(s)) return NO;
      return fn === 'lower' ? s.toLowerCase() : s.toUpperCase();
    }
    case 'length': return anyNull ? null : plainString(vals[0]) ? vals[0].length : NO;
    case 'trim': {
      if (anyNull) return null;
      const s = vals[0];
      if (typeof s !== 'string') return NO;
      // Spark trims spaces, JavaScript all whitespace: fold only where both agree.
      const spaces = s.replace(/^ +| +$/g, '');
      return spaces === s.trim() ? spaces : NO;
    }
    case 'startsWith': case 'endsWith': case 'contains': {
      if (anyNull) return null;
      const [s, t] = vals;
      if (typeof s !== 'string' || typeof t !== 'string') return NO;
      return fn === 'startsWith' ? s.startsWith(t) : fn === 'endsWith' ? s.endsWith(t) : s.includes(t);
    }
    case 'concat':
      if (anyNull) return null;
      return args.every((a) => a.type === 'utf8') ? (vals as string[]).join('') : NO;
    case 'substr': {
      if (anyNull) return null;
      const s = vals[0];
      const start = num(args[1]);
      const len = args.length > 2 ? num(args[2]) : null;
      // Start <= 0 and negative lengths have engine-specific meanings.
      if (!plainString(s) || start === NO || start < 1 || len === NO || (len !== null && len < 0)) return NO;
      return len === null ? s.slice(start - 1) : s.slice(start - 1, start - 1 + len);
    }
    case 'abs': case 'floor': case 'ceil': case 'sqrt': case 'exp': case 'ln': {
      if (anyNull) return null;
      const x = num(args[0]);
      if (x === NO) return NO;
      switch (fn) {
        case 'abs': return Math.abs(x);
        case 'floor': return Math.floor(x);
        case 'ceil': return Math.ceil(x);
        case 'sqrt': return x >= 0 ? Math.sqrt(x) : NO;
        case 'exp': return Math.exp(x);
        case 'ln': return x > 0 ? Math.log(x) : NO;
      }
      return NO;
    }
    // round (half-up vs half-even), split (lists), at, regexpExtract: left to the runtime.
    default: {
      const v = evalDateCall(fn, args, type);
      return v === undefined ? NO : v;
    }
  }
}

/** Children are [when0, then0, when1, then1, ..., otherwise?]. */
function evalCase(branches: number, kids: readonly Literal[], hasOtherwise: boolean): Out {
  for (let i = 0; i < branches; i++) {
    if (kids[2 * i].value === true) return kids[2 * i + 1].value;
  }
  return hasOtherwise ? kids[2 * branches].value : null;
}
