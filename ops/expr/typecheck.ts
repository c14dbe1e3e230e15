// Plan-time type checking of expressions: output name, type and nullability (inferField).
import { PlanError, assertNever } from '../errors.ts';
import {
  commonNumericType, isFloat, isInteger, isList, isMap, isNumeric, isStruct, isTemporal, listElement, toArrowType, typeEquals, typeToString,
  type FieldJSON, type TypeJSON,
} from '../types.ts';
import {
  exprName, exprToString, floatLiteralNumber, isDateFn, isGeneratorFn, isNestedFn, isPatternFn,
  type DateFn, type DatePartFn, type ExprNode, type NestedFn, type PatternFn, type ScalarFn,
} from './node.ts';
import { dateCallType } from './typecheck-dates.ts';
import { patternCallType } from './typecheck-patterns.ts';
import { nestedCallType } from './typecheck-nested.ts';

export interface Typed { readonly type: TypeJSON; readonly nullable: boolean }

/**
 * The output field of `e` over input `fields`: name (exprName), type and nullability.
 * Throws PlanError for unknown columns (listing the valid ones) and for ill-typed
 * expressions (naming the expression and what was expected). compileExpr MUST produce
 * exactly this type.
 */
export function inferField(e: ExprNode, fields: readonly FieldJSON[]): FieldJSON {
  const t = typeOf(e, fields);
  return { name: exprName(e), type: t.type, nullable: t.nullable };
}

/** Type of `e`; exported for the evaluator, which needs the types of inner nodes. */
export function typeOf(e: ExprNode, fields: readonly FieldJSON[]): Typed {
  switch (e.kind) {
    case 'column': {
      const f = fields.find((x) => x.name === e.name);
      if (!f) throw unknownColumn(e.name, fields);
      return { type: f.type, nullable: f.nullable };
    }
    case 'literal': return literalType(e);
    case 'alias': return typeOf(e.arg, fields);
    case 'sort': return typeOf(e.arg, fields);
    case 'binary': return binaryType(e, typeOf(e.left, fields), typeOf(e.right, fields));
    case 'unary': {
      const a = typeOf(e.arg, fields);
      const op = e.op;
      switch (op) {
        case 'isNull': case 'isNotNull': return { type: 'bool', nullable: false };
        case 'not': expectType(e, a, isBoolish, 'bool'); return { type: 'bool', nullable: a.nullable };
        case 'negate': expectType(e, a, isNumish, 'a numeric type'); return { type: a.type === 'null' ? 'int32' : a.type, nullable: a.nullable };
        default: return assertNever(op, 'unary op');
      }
    }
    case 'cast': {
      const a = typeOf(e.arg, fields);
      if (!canCast(a.type, e.to)) {
        throw new PlanError(`cannot cast ${exprToString(e.arg)} from ${typeToString(a.type)} to ${typeToString(e.to)}: ${castHint(a.type, e.to)}`);
      }
      return { type: e.to, nullable: a.nullable || castMayFail(a.type, e.to) };
    }
    case 'call': return callType(e, e.args.map((x) => typeOf(x, fields)));
    case 'case': return caseType(e, fields);
    case 'agg': return aggType(e, e.arg ? typeOf(e.arg, fields) : null);
    case 'windowFn':
      throw new PlanError(`${exprToString(e)} is a window function: call .over(...) on it, e.g. fn.rowNumber().over(Window.partitionBy('k').orderBy('v'))`);
    case 'over':
      throw new PlanError(`${exprToString(e)}: a window expression is only allowed in select(...) and withColumn(...); compute it there, then filter or aggregate the column`);
    case 'subquery': {
      // The outer values and the tested value are checked against the enclosing plan's columns.
      for (const r of e.outerRefs) typeOf(r, fields);
      if (e.arg) typeOf(e.arg, fields);
      return { type: e.type, nullable: true };
    }
    case 'outerRef': return { type: e.type, nullable: e.nullable };
    case 'udf': {
      for (const a of e.args) typeOf(a, fields);
      checkUserType(e, e.returnType);
      return { type: e.returnType, nullable: true };
    }
  }
  return assertNever(e, 'expression');
}

function unknownColumn(name: string, fields: readonly FieldJSON[]): PlanError {
  const names = fields.map((f) => f.name);
  const valid = names.length ? names.join(', ') : '(none)';
  const guess = closest(name, names);
  const hint = guess !== null ? ` (did you mean '${guess}'?)` : '';
  return new PlanError(`unknown column '${name}': valid columns are ${valid}${hint}`);
}

function closest(name: string, names: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const n of names) {
    const d = n.toLowerCase() === name.toLowerCase() ? 0 : editDistance(name, n);
    if (d < bestD) { bestD = d; best = n; }
  }
  return best !== null && bestD <= Math.max(1, Math.floor(name.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

function literalType(e: ExprNode & { kind: 'literal' }): Typed {
  const v = e.value;
  const t = e.type;
  const bad = (what: string) => new PlanError(`literal ${JSON.stringify(v)} is not a valid ${typeToString(t)}: ${what}`);
  if (v !== null) {
    if (t === 'null') throw bad('a null-typed literal must have value null');
    if (t === 'bool' && typeof v !== 'boolean') throw bad('expected true or false');
    if (isFloat(t) && floatLiteralNumber(v) === null) throw bad("expected a number, or 'Infinity', '-Infinity' or 'NaN'");
    if (isInteger(t) && typeof v !== 'number' && !(typeof v === 'string' && (t === 'int64' || t === 'uint64') && /^[+-]?\d+$/.test(v))) {
      throw bad('expected a number (64-bit integers beyond 2^53 as a decimal string)');
    }
    if ((t === 'utf8' || t === 'binary') && typeof v !== 'string') throw bad('expected a string');
    if (isTemporal(t) && typeof v !== 'number' && typeof v !== 'string') throw bad('expected a number or an ISO date string');
    if (typeof t === 'object') throw bad('list, struct and map literals are not supported; build them with split(...), fn.struct(...) or fn.createMap(...)');
  }
  return { type: t, nullable: v === null };
}

const isBoolish = (t: TypeJSON) => t === 'bool' || t === 'null';
const isNumish = (t: TypeJSON) => isNumeric(t) || t === 'null';
const isStrish = (t: TypeJSON) => t === 'utf8' || t === 'null';
const isIntish = (t: TypeJSON) => isInteger(t) || t === 'null';

function expectType(e: ExprNode, a: Typed, ok: (t: TypeJSON) => boolean, expected: string, what?: string): void {
  if (!ok(a.type)) {
    throw new PlanError(`${exprToString(e)}: ${what ?? 'argument'} has type ${typeToString(a.type)}, expected ${expected}`);
  }
}

/** Types that can be compared with each other (eq/lt/...), or null when they cannot. */
export function comparableType(a: TypeJSON, b: TypeJSON): TypeJSON | null {
  if (a === 'null') return b;
  if (b === 'null') return a;
  if (isNumeric(a) && isNumeric(b)) return commonNumericType(a, b);
  if (typeof a === 'string' && a === b) return a;
  return null;
}

function binaryType(e: ExprNode & { kind: 'binary' }, l: Typed, r: Typed): Typed {
  const nullable = l.nullable || r.nullable;
  switch (e.op) {
    case 'add': case 'sub': case 'mul': case 'div': case 'mod': {
      const t = commonNumericType(l.type, r.type);
      if (t === null) {
        throw new PlanError(`${exprToString(e)}: arithmetic needs numeric operands, got ${typeToString(l.type)} and ${typeToString(r.type)}; cast them, e.g. col('x').cast('float64')`);
      }
      if (e.op === 'div') return { type: 'float64', nullable: true };
      return { type: t, nullable: nullable || e.op === 'mod' };
    }
    case 'eq': case 'neq': case 'lt': case 'lte': case 'gt': case 'gte':
      if (comparableType(l.type, r.type) === null) {
        throw new PlanError(`${exprToString(e)}: cannot compare ${typeToString(l.type)} with ${typeToString(r.type)}; both sides must be numeric, utf8, bool, or the same date/timestamp type (cast one side)`);
      }
      return { type: 'bool', nullable };
    case 'and': case 'or':
      if (!isBoolish(l.type) || !isBoolish(r.type)) {
        throw new PlanError(`${exprToString(e)}: ${e.op.toUpperCase()} needs bool operands, got ${typeToString(l.type)} and ${typeToString(r.type)}; compare them first, e.g. col('x').gt(0)`);
      }
      return { type: 'bool', nullable };
  }
  return assertNever(e.op, 'binary op');
}

/** Whether `from` can be cast to `to` (Spark rules, restricted to Quiver's types). */
export function canCast(from: TypeJSON, to: TypeJSON): boolean {
  if (from === 'null' || typeEquals(from, to) || to === 'utf8') return true;
  if (typeof to === 'object') {
    if (isStruct(from) && isStruct(to)) return from.struct.length === to.struct.length && from.struct.every((f, i) => canCast(f.type, to.struct[i].type));
    if (isMap(from) && isMap(to)) return canCast(from.map.key, to.map.key) && canCast(from.map.value, to.map.value);
    if (!isList(from) || !isList(to)) return false;
    if ('fixedList' in to && !('fixedList' in from && from.size === to.size)) return false;
    return canCast(listElement(from), listElement(to));
  }
  if (typeof from === 'object') return false;
  if (to === 'null') return false;
  if (from === 'utf8') return true;
  if (to === 'binary') return false;
  if (isNumeric(from) || from === 'bool') return isNumeric(to) || to === 'bool' || to === 'timestamp_ms';
  if (from === 'date32') return to === 'timestamp_ms';
  if (from === 'timestamp_ms') return to === 'date32' || isNumeric(to);
  return false;
}

/** Casts that produce null on some non-null input (string parsing). */
function castMayFail(from: TypeJSON, to: TypeJSON): boolean {
  return from === 'utf8' && to !== 'utf8' && to !== 'binary';
}

function castHint(from: TypeJSON, to: TypeJSON): string {
  if (isTemporal(from) && isNumeric(to)) return 'cast the date to timestamp_ms first';
  if (typeof from === 'object' || typeof to === 'object') {
    return 'lists cast only to lists of castable elements, structs to structs of as many castable fields, maps to maps of castable keys and values, and all of them to utf8';
  }
  return 'cast through utf8 or pick a numeric type';
}

/** The common type of branches (case, coalesce): numeric widen, others must match; null adopts. */
export function commonType(types: readonly TypeJSON[]): TypeJSON | null {
  let t: TypeJSON = 'null';
  for (const u of types) {
    if (u === 'null') continue;
    if (t === 'null') { t = u; continue; }
    if (isNumeric(t) && isNumeric(u)) { t = commonNumericType(t, u)!; continue; }
    if (!typeEquals(t, u)) return null;
  }
  return t;
}

/** A call node of one of the functions `F`. */
export type CallOf<F extends ScalarFn> = ExprNode & { kind: 'call'; fn: F };

/** The argument checks callType gives the typing of a function family in its own file. */
export interface CallChecks {
  readonly args: readonly Typed[];
  /** Whether any argument may be null. */
  readonly anyNull: boolean;
  /** Throws PlanError unless there are min..max arguments. */
  arity(min: number, max?: number): void;
  /** Throws PlanError naming argument i and `expected` unless ok(its type). */
  arg(i: number, ok: (t: TypeJSON) => boolean, expected: string): void;
  /** Argument i as a literal node, or a PlanError saying `what` must be a literal. */
  literalArg(i: number, what: string): ExprNode & { kind: 'literal' };
  comparable(a: TypeJSON, b: TypeJSON): TypeJSON | null;
  /** The common type of branches (commonType). */
  common(types: readonly TypeJSON[]): TypeJSON | null;
}

function callType(e: ExprNode & { kind: 'call' }, a: readonly Typed[]): Typed {
  const anyNull = a.some((x) => x.nullable);
  const arity = (min: number, max = min) => {
    if (a.length < min || a.length > max) {
      const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
      throw new PlanError(`${exprToString(e)}: ${e.fn} takes ${want} argument(s), got ${a.length}`);
    }
  };
  const arg = (i: number, ok: (t: TypeJSON) => boolean, expected: string) =>
    expectType(e, a[i], ok, expected, `argument ${i + 1}`);
  const literalArg = (i: number, what: string) => {
    const x = e.args[i];
    const inner = x.kind === 'alias' ? x.arg : x;
    if (inner.kind !== 'literal') throw new PlanError(`${exprToString(e)}: ${what} must be a literal, got ${exprToString(x)}`);
    return inner;
  };
  if (isGeneratorFn(e.fn)) {
    throw new PlanError(`${exprToString(e)}: ${e.fn} is a generator: use it as a whole item of select(), e.g. df.select('id', fn.${e.fn}('tags'))`);
  }
  if (isPatternFn(e.fn) || isDateFn(e.fn) || isNestedFn(e.fn)) {
    const checks: CallChecks = { args: a, anyNull, arity, arg, literalArg, comparable: comparableType, common: commonType };
    if (isNestedFn(e.fn)) return nestedCallType(e as CallOf<NestedFn>, checks);
    return isPatternFn(e.fn) ? patternCallType(e as CallOf<PatternFn>, checks) : dateCallType(e as CallOf<DateFn | DatePartFn>, checks);
  }
  switch (e.fn) {
    case 'split':
      arity(2); arg(0, isStrish, 'utf8'); arg(1, isStrish, 'utf8');
      return { type: { list: 'utf8' }, nullable: anyNull };
    case 'at': {
      arity(2);
      const lt = a[0].type;
      if (lt === 'null') return { type: 'null', nullable: true };
      if (!isList(lt)) throw new PlanError(`${exprToString(e)}: at() needs a list, got ${typeToString(lt)}; use split(...) to make one`);
      arg(1, isIntish, 'an integer index');
      return { type: listElement(lt), nullable: true };
    }
    case 'substr':
      arity(2, 3); arg(0, isStrish, 'utf8'); arg(1, isIntish, 'an integer (1-based start)');
      if (a.length > 2) arg(2, isIntish, 'an integer length');
      return { type: 'utf8', nullable: anyNull };
    case 'sequence':
      arity(2); arg(0, isIntish, 'an integer start'); arg(1, isIntish, 'an integer stop');
      return { type: { list: 'int32' }, nullable: anyNull };
    case 'lower': case 'upper': case 'trim':
      arity(1); arg(0, isStrish, 'utf8');
      return { type: 'utf8', nullable: anyNull };
    case 'length':
      arity(1); arg(0, isStrish, 'utf8');
      return { type: 'int32', nullable: anyNull };
    case 'startsWith': case 'endsWith': case 'contains':
      arity(2); arg(0, isStrish, 'utf8'); arg(1, isStrish, 'utf8');
      return { type: 'bool', nullable: anyNull };
    case 'regexpExtract': {
      arity(2, 3); arg(0, isStrish, 'utf8'); arg(1, isStrish, 'a utf8 pattern');
      const p = literalArg(1, 'the pattern');
      if (typeof p.value !== 'string') throw new PlanError(`${exprToString(e)}: the pattern must be a non-null string`);
      let groups: number;
      try { groups = new RegExp(`${p.value}|`).exec('')!.length - 1; } catch (err) {
        throw new PlanError(`${exprToString(e)}: invalid regular expression '${p.value}': ${(err as Error).message}`, { cause: err });
      }
      if (a.length > 2) {
        arg(2, isIntish, 'an integer group index');
        const g = literalArg(2, 'the group index').value;
        if (typeof g !== 'number' || !Number.isInteger(g) || g < 0 || g > groups) {
          throw new PlanError(`${exprToString(e)}: group index ${String(g)} is out of range; the pattern has ${groups} group(s) (0 = whole match)`);
        }
      } else if (groups < 1) {
        throw new PlanError(`${exprToString(e)}: the pattern has no group 1; add (...) or pass group 0 for the whole match`);
      }
      return { type: 'utf8', nullable: a[0].nullable };
    }
    case 'concat':
      arity(1, Infinity);
      a.forEach((x, i) => { if (!canCast(x.type, 'utf8')) arg(i, () => false, 'a type castable to utf8'); });
      return { type: 'utf8', nullable: anyNull };
    case 'coalesce': {
      arity(1, Infinity);
      const t = commonType(a.map((x) => x.type));
      if (t === null) throw new PlanError(`${exprToString(e)}: arguments have incompatible types ${a.map((x) => typeToString(x.type)).join(', ')}; cast them to one type`);
      return { type: t, nullable: a.every((x) => x.nullable) };
    }
    case 'abs':
      arity(1); arg(0, isNumish, 'a numeric type');
      return { type: a[0].type === 'null' ? 'int32' : a[0].type, nullable: anyNull };
    case 'round':
      arity(1, 2); arg(0, isNumish, 'a numeric type');
      if (a.length > 1) { arg(1, isIntish, 'an integer number of digits'); literalArg(1, 'the number of digits'); }
      return { type: a[0].type === 'null' ? 'float64' : a[0].type, nullable: anyNull };
    case 'floor': case 'ceil':
      arity(1); arg(0, isNumish, 'a numeric type');
      return { type: 'int64', nullable: anyNull };
    case 'sqrt': case 'exp':
      arity(1); arg(0, isNumish, 'a numeric type');
      return { type: 'float64', nullable: anyNull };
    case 'ln':
      arity(1); arg(0, isNumish, 'a numeric type');
      return { type: 'float64', nullable: true };
  }
  return assertNever(e.fn, 'function');
}

function caseType(e: ExprNode & { kind: 'case' }, fields: readonly FieldJSON[]): Typed {
  if (e.branches.length === 0) throw new PlanError(`${exprToString(e)}: CASE needs at least one WHEN branch`);
  const thens: Typed[] = [];
  for (const b of e.branches) {
    const w = typeOf(b.when, fields);
    if (!isBoolish(w.type)) throw new PlanError(`${exprToString(e)}: WHEN ${exprToString(b.when)} has type ${typeToString(w.type)}, expected bool`);
    thens.push(typeOf(b.then, fields));
  }
  const other = e.otherwise ? typeOf(e.otherwise, fields) : null;
  const all = other ? [...thens, other] : thens;
  const t = commonType(all.map((x) => x.type));
  if (t === null) throw new PlanError(`${exprToString(e)}: branches have incompatible types ${all.map((x) => typeToString(x.type)).join(', ')}; cast them to one type`);
  return { type: t, nullable: other === null || all.some((x) => x.nullable) };
}

function aggType(e: ExprNode & { kind: 'agg' }, a: Typed | null): Typed {
  if (e.fn === 'countStar') return { type: 'int64', nullable: false };
  if (a === null) throw new PlanError(`${exprToString(e)}: ${e.fn} needs an argument`);
  switch (e.fn) {
    case 'count': case 'countDistinct': return { type: 'int64', nullable: false };
    case 'sum': case 'sumDistinct':
      expectType(e, a, isNumish, 'a numeric type');
      return { type: isFloat(a.type) ? 'float64' : 'int64', nullable: true };
    case 'avg': case 'avgDistinct':
      expectType(e, a, isNumish, 'a numeric type');
      return { type: 'float64', nullable: true };
    case 'min': case 'max':
      if (typeof a.type === 'object') throw new PlanError(`${exprToString(e)}: ${e.fn} needs an orderable type, got ${typeToString(a.type)}`);
      return { type: a.type, nullable: true };
    case 'first': case 'last': case 'singleValue': return { type: a.type, nullable: true };
    case 'stddevSamp': case 'stddevPop': case 'varSamp': case 'varPop':
      expectType(e, a, isNumish, 'a numeric type');
      return { type: 'float64', nullable: true };
    case 'collectList': case 'collectSet': return { type: { list: a.type }, nullable: false };
    case 'udaf':
      if (!e.udaf) throw new PlanError(`${exprToString(e)}: a udaf aggregate needs its { udf, returnType }`);
      checkUserType(e, e.udaf.returnType);
      if (e.udaf.stateType !== undefined) checkUserType(e, e.udaf.stateType);
      return { type: e.udaf.returnType, nullable: true };
    case 'percentileApprox': {
      expectType(e, a, (t) => isNumeric(t) || isTemporal(t), 'a numeric, date or timestamp type');
      checkPercentileParams(e);
      return { type: typeof e.params!.percentage === 'number' ? a.type : { list: a.type }, nullable: true };
    }
  }
  return assertNever(e.fn, 'aggregate');
}

/** A user function's promised type MUST be one Quiver plans with (not the null type). */
function checkUserType(e: ExprNode, t: TypeJSON): void {
  try {
    toArrowType(t);
  } catch {
    throw new PlanError(`${exprToString(e)}: returnType ${JSON.stringify(t)} is not a Quiver type; use e.g. 'float64', 'int32', 'utf8' or { list: 'int32' }`);
  }
  if (t === 'null') throw new PlanError(`${exprToString(e)}: returnType cannot be 'null'; name the type the function returns`);
}

/** percentileApprox's literal parameters: percentages in [0, 1] (one, or a non-empty array) and a positive integer accuracy. */
export function checkPercentileParams(e: ExprNode & { kind: 'agg' }): void {
  const p = e.params;
  if (!p) throw new PlanError(`${exprToString(e)}: percentileApprox needs a percentage, e.g. fn.percentileApprox('x', 0.5)`);
  const ps = typeof p.percentage === 'number' ? [p.percentage] : p.percentage;
  if (!Array.isArray(ps) || ps.length === 0 || !ps.every((x) => typeof x === 'number' && x >= 0 && x <= 1)) {
    throw new PlanError(`${exprToString(e)}: percentage must be a number in [0, 1] or a non-empty array of them, got ${JSON.stringify(p.percentage)}`);
  }
  if (!Number.isInteger(p.accuracy) || p.accuracy < 1 || p.accuracy > 2 ** 24) {
    throw new PlanError(`${exprToString(e)}: accuracy must be an integer in [1, 2^24], got ${JSON.stringify(p.accuracy)}`);
  }
}
