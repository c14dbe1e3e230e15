// Expression trees as plain JSON data: built by the fluent API (core), evaluated by operators (ops).
import type { TypeJSON } from '../types.ts';
import { frameToString, WINDOW_FN_SQL, type WindowFnName, type WindowSpecJSON } from './window-spec.ts';

export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'mod'
  | 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte'
  | 'and' | 'or';

export type UnaryOp = 'not' | 'negate' | 'isNull' | 'isNotNull';

/**
 * Scalar functions. Argument conventions (all literal options are literal ExprNodes):
 *  split(str, sep)             -> list<utf8>
 *  at(list, index)             -> element type; 0-based; out of range -> null
 *  substr(str, start, length?) -> utf8; start is 1-based as in Spark/SQL, length optional
 *  lower(str), upper(str), length(str) (characters, int32)
 *  startsWith(str, prefix), endsWith(str, suffix), contains(str, needle) -> bool
 *  regexpExtract(str, pattern, group) -> utf8 ('' when no match, as in Spark)
 *  coalesce(a, b, ...)         -> first non-null
 *  abs(x), round(x, digits?), floor(x), ceil(x), sqrt(x), exp(x), ln(x)
 *  concat(a, b, ...)           -> utf8
 *  sequence(start, stop)       -> list<int32>: start, start + 1, ..., stop (empty when stop < start)
 * Patterns and sets (null in -> null out):
 *  like(str, pattern, escape?), ilike(...) -> bool; SQL LIKE (% _ and an escape, '\\' by default), whole string
 *  rlike(str, regex)           -> bool; a JS regular expression found anywhere in the string
 *  in(x, v1, v2, ...)          -> bool; SQL IN: null when x is null, or when nothing matches and a value is null
 * Dates and times (date32 days or timestamp_ms, UTC):
 *  year(t) quarter month day dayOfWeek (1 = Sunday) dayOfYear weekOfYear (ISO) hour minute second -> int32
 *  dateAdd(t, days), dateSub(t, days), addMonths(t, months) -> type of t (months clamp to the month's end)
 *  addMillis(t, ms)            -> timestamp_ms (time units of an interval)
 *  lastDay(t)                  -> date32, the last day of t's month
 *  dateFormat(t, format)       -> utf8; format a literal pattern (yyyy-MM-dd HH:mm ...)
 *  datediff(end, start)        -> int32 days between the dates
 *  dateTrunc(unit, t)          -> type of t; unit a literal: year quarter month week day hour minute second
 *  toDate(x, format?), toTimestamp(x, format?) -> date32 / timestamp_ms; format a literal pattern (yyyy-MM-dd ...)
 *  interval(n, unit)           -> no value of its own: only an operand of add/sub on a date or timestamp
 *  windowStart(t, slideMs, k)  -> timestamp_ms: the start of the k-th event-time window (0 = the latest) holding t,
 *                                 floor(t / slide) * slide - k * slide; slideMs a positive integer literal (fn.window)
 * Structs, maps and lists (see NestedFn).
 */
export type ScalarFn =
  | 'split' | 'at' | 'substr' | 'lower' | 'upper' | 'length'
  | 'startsWith' | 'endsWith' | 'contains' | 'regexpExtract' | 'concat' | 'trim' | 'sequence'
  | 'coalesce' | 'abs' | 'round' | 'floor' | 'ceil' | 'sqrt' | 'exp' | 'ln'
  | PatternFn | DatePartFn | DateFn | NestedFn | GeneratorFn;

/**
 * Structs, maps and lists (null in -> null out):
 *  getField(struct, name)      -> the field's type; name a utf8 literal (col('s.a') resolves to it)
 *  getItem(map, key)           -> value type; null when the key is absent (a map read from a file with a key twice: the first)
 *  getItem(list, index)        -> element type; 0-based as Spark's getItem, out of range -> null
 *  elementAt(map, key)         -> as getItem; elementAt(list, index): 1-based, negative counts from the end
 *  struct(a, b, ...)           -> struct<...>; a field per argument, named by its alias, column or field name (else colN)
 *  createMap(k1, v1, ...)      -> map<K, V>; a null key, or a key given twice in a row, is a DataError (as Spark's default)
 *  mapKeys(map), mapValues(map) -> list<K>, list<V> in entry order
 *  size(map | list)            -> int32 number of entries or elements
 *  toJson(struct | map | list) -> utf8 JSON text
 */
export type NestedFn = 'getField' | 'getItem' | 'elementAt' | 'struct' | 'createMap' | 'mapKeys' | 'mapValues' | 'size' | 'toJson';
export const NESTED_FNS: readonly NestedFn[] = ['getField', 'getItem', 'elementAt', 'struct', 'createMap', 'mapKeys', 'mapValues', 'size', 'toJson'];
const NESTED_SET: ReadonlySet<string> = new Set(NESTED_FNS);
export const isNestedFn = (fn: ScalarFn): fn is NestedFn => NESTED_SET.has(fn);

/** The name struct(...) gives the field made from argument `i`: its alias, column or struct field name, else col{i+1}. */
export function structFieldName(e: ExprNode, i: number): string {
  if (e.kind === 'alias' || e.kind === 'column') return e.name;
  if (e.kind === 'call' && e.fn === 'getField') return getFieldName(e);
  return `col${i + 1}`;
}

/** The field a getField call reads (its second argument, a utf8 literal); '?' when malformed (typecheck reports it). */
function getFieldName(e: ExprNode & { kind: 'call' }): string {
  const n = e.args[1];
  return n?.kind === 'literal' && typeof n.value === 'string' ? n.value : '?';
}

/**
 * Generators: one row per list element (explode; posexplode adds the 0-based position; the Outer
 * forms keep a null or empty list as one row of nulls). They are not scalar: DataFrame.select
 * turns a top-level one into a Generate plan node, and anywhere else they are a PlanError.
 */
export type GeneratorFn = 'explode' | 'posexplode' | 'explodeOuter' | 'posexplodeOuter';
const GENERATOR_SET: ReadonlySet<string> = new Set<GeneratorFn>(['explode', 'posexplode', 'explodeOuter', 'posexplodeOuter']);
export const isGeneratorFn = (fn: ScalarFn): fn is GeneratorFn => GENERATOR_SET.has(fn);

export type PatternFn = 'like' | 'ilike' | 'rlike' | 'in';
export type DatePartFn = 'year' | 'quarter' | 'month' | 'day' | 'dayOfWeek' | 'dayOfYear' | 'weekOfYear' | 'hour' | 'minute' | 'second';
export type DateFn = 'dateAdd' | 'dateSub' | 'addMonths' | 'addMillis' | 'datediff' | 'dateTrunc' | 'lastDay' | 'dateFormat' | 'toDate' | 'toTimestamp' | 'interval' | 'windowStart';

const PATTERN_FNS: readonly PatternFn[] = ['like', 'ilike', 'rlike', 'in'];
export const DATE_PART_FNS: readonly DatePartFn[] = ['year', 'quarter', 'month', 'day', 'dayOfWeek', 'dayOfYear', 'weekOfYear', 'hour', 'minute', 'second'];
const DATE_FNS: readonly (DatePartFn | DateFn)[] = [
  ...DATE_PART_FNS, 'dateAdd', 'dateSub', 'addMonths', 'addMillis', 'datediff', 'dateTrunc', 'lastDay', 'dateFormat', 'toDate', 'toTimestamp', 'interval', 'windowStart',
];
/** Every scalar function added with patterns and dates (stage-schema.ts validates plans with them). */
export const PATTERN_AND_DATE_FNS: readonly (PatternFn | DatePartFn | DateFn)[] = [...PATTERN_FNS, ...DATE_FNS];

const PATTERN_SET: ReadonlySet<string> = new Set(PATTERN_FNS);
const DATE_SET: ReadonlySet<string> = new Set(DATE_FNS);
const DATE_PART_SET: ReadonlySet<string> = new Set(DATE_PART_FNS);
export const isPatternFn = (fn: ScalarFn): fn is PatternFn => PATTERN_SET.has(fn);
export const isDateFn = (fn: ScalarFn): fn is DatePartFn | DateFn => DATE_SET.has(fn);
export const isDatePartFn = (fn: ScalarFn): fn is DatePartFn => DATE_PART_SET.has(fn);

export type AggFn =
  | 'count' | 'countStar' | 'sum' | 'avg' | 'min' | 'max' | 'countDistinct' | 'first' | 'last'
  | 'stddevSamp' | 'stddevPop' | 'varSamp' | 'varPop' | 'collectList' | 'collectSet' | 'percentileApprox'
  | 'sumDistinct' | 'avgDistinct' | 'udaf'
  /** A scalar subquery's value: a group's one value, an error (DataError) when it has more rows. */
  | 'singleValue';

/**
 * Where executors load user code from: an absolute path or a package specifier, and an export
 * name. Plans carry the reference, never code.
 */
export interface UdfRef {
  readonly module: string;
  readonly export: string;
}

/**
 * A user-defined aggregate (fn 'udaf'): its module export, the type its finish() returns, and
 * optionally the Arrow type its state is shipped as (default: JSON text; see ops/aggregate/udaf.ts).
 */
export interface UdafSpec {
  readonly udf: UdfRef;
  readonly returnType: TypeJSON;
  readonly stateType?: TypeJSON;
}

/**
 * Literal parameters of an aggregate; only percentileApprox has them: `percentage` is a number
 * in [0, 1] (the result is a value) or an array of them (the result is a list, one per
 * percentage), `accuracy` a positive integer (rank error < n / accuracy, see quantile-sketch.ts).
 */
export interface AggParams {
  readonly percentage: number | readonly number[];
  readonly accuracy: number;
}

/**
 * A literal's value in JSON: int64 literals beyond 2^53 are decimal strings, and float32/float64
 * literals that are not finite are the strings 'Infinity', '-Infinity' and 'NaN' (JSON has no such
 * numbers: JSON.stringify writes null, and a stage shipped to a worker would compare with null).
 * Builders MUST store a float value through floatLiteralValue, and readers MUST read it through
 * floatLiteralNumber.
 */
export type LiteralValue = null | boolean | number | string;

const NON_FINITE: Readonly<Record<string, number>> = { Infinity, '-Infinity': -Infinity, NaN };

/** A float literal's JSON value: the number, or String(x) ('Infinity', '-Infinity', 'NaN'), which exprToString prints as is. */
export function floatLiteralValue(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

/** The number a float literal's value stands for (decoding the non-finite names); null when it is not one. */
export function floatLiteralNumber(v: LiteralValue): number | null {
  if (typeof v === 'number') return v;
  return typeof v === 'string' && Object.hasOwn(NON_FINITE, v) ? NON_FINITE[v] : null;
}

export type ExprNode =
  | { readonly kind: 'column'; readonly name: string }
  | { readonly kind: 'literal'; readonly value: LiteralValue; readonly type: TypeJSON }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: ExprNode; readonly right: ExprNode }
  | { readonly kind: 'unary'; readonly op: UnaryOp; readonly arg: ExprNode }
  | { readonly kind: 'cast'; readonly arg: ExprNode; readonly to: TypeJSON }
  | { readonly kind: 'alias'; readonly arg: ExprNode; readonly name: string }
  | { readonly kind: 'call'; readonly fn: ScalarFn; readonly args: readonly ExprNode[] }
  | { readonly kind: 'case'; readonly branches: readonly { readonly when: ExprNode; readonly then: ExprNode }[]; readonly otherwise: ExprNode | null }
  | { readonly kind: 'sort'; readonly arg: ExprNode; readonly ascending: boolean; readonly nullsFirst: boolean }
  | { readonly kind: 'agg'; readonly fn: AggFn; readonly arg: ExprNode | null; readonly params?: AggParams; readonly udaf?: UdafSpec }
  /** A scalar user function, vectorized over Arrow (see udf.ts): never evaluated at plan time. */
  | { readonly kind: 'udf'; readonly udf: UdfRef; readonly args: readonly ExprNode[]; readonly returnType: TypeJSON }
  /**
   * A ranking or offset function, meaningful only as the `arg` of an `over` node. Arguments:
   * ntile(n literal); lag/lead(value, offset int literal, default literal); the others none.
   */
  | { readonly kind: 'windowFn'; readonly fn: WindowFnName; readonly args: readonly ExprNode[] }
  /** `arg` (a windowFn or an agg) computed over a window; only a Window plan node evaluates it. */
  | { readonly kind: 'over'; readonly arg: ExprNode; readonly spec: WindowSpecJSON }
  | SubqueryExpr
  | { readonly kind: 'outerRef'; readonly index: number; readonly name: string; readonly type: TypeJSON; readonly nullable: boolean };

/**
 * What a subquery asks of its rows: 'scalar' (its one value, null when it has no row), 'exists'
 * (whether it has a row) or 'in' (whether `arg` equals one of its values, with SQL's nulls).
 */
export type SubqueryKind = 'scalar' | 'exists' | 'in';

/**
 * A subquery inside an expression (SQL's `(select ...)`, EXISTS, IN (select ...)). `plan` is a
 * core logical plan, opaque to ops; the optimizer's decorrelation rules MUST rewrite every
 * subquery into a join before physical planning (the evaluator refuses one with InternalError).
 * Correlation is by position: `outerRefs[i]` is an expression over the enclosing plan's columns,
 * and inside `plan` an `outerRef` node with index i stands for its value. Because the outer
 * values are ordinary children here, rules that rename or substitute the enclosing plan's
 * columns keep a subquery consistent.
 */
export interface SubqueryExpr {
  readonly kind: 'subquery';
  readonly subquery: SubqueryKind;
  readonly plan: unknown;
  /** The tested value of an 'in' subquery; null otherwise. */
  readonly arg: ExprNode | null;
  /** NOT EXISTS, NOT IN. */
  readonly negated: boolean;
  readonly outerRefs: readonly ExprNode[];
  /** Result type: the single column's for 'scalar', bool otherwise. */
  readonly type: TypeJSON;
}

export type ExprKind = ExprNode['kind'];

/** Children of a node, in a fixed order (used by every generic walker). */
export function exprChildren(e: ExprNode): readonly ExprNode[] {
  switch (e.kind) {
    case 'column': case 'literal': return [];
    case 'binary': return [e.left, e.right];
    case 'unary': case 'cast': case 'alias': case 'sort': return [e.arg];
    case 'call': case 'udf': return e.args;
    case 'case': return [...e.branches.flatMap((b) => [b.when, b.then]), ...(e.otherwise ? [e.otherwise] : [])];
    case 'agg': return e.arg ? [e.arg] : [];
    case 'windowFn': return e.args;
    case 'over': return [e.arg, ...e.spec.partitionBy, ...e.spec.orderBy];
    case 'subquery': return e.arg ? [e.arg, ...e.outerRefs] : e.outerRefs;
    case 'outerRef': return [];
  }
}

/** Rebuilds `e` with new children (same order as exprChildren). */
export function withExprChildren(e: ExprNode, c: readonly ExprNode[]): ExprNode {
  switch (e.kind) {
    case 'column': case 'literal': case 'outerRef': return e;
    case 'binary': return { ...e, left: c[0], right: c[1] };
    case 'unary': case 'cast': case 'alias': case 'sort': return { ...e, arg: c[0] };
    case 'call': case 'udf': return { ...e, args: c };
    case 'case': {
      const branches = e.branches.map((_, i) => ({ when: c[2 * i], then: c[2 * i + 1] }));
      return { ...e, branches, otherwise: e.otherwise ? c[2 * e.branches.length] : null };
    }
    case 'agg': return { ...e, arg: e.arg ? c[0] : null };
    case 'windowFn': return { ...e, args: c };
    case 'over': {
      const p = e.spec.partitionBy.length;
      return { ...e, arg: c[0], spec: { ...e.spec, partitionBy: c.slice(1, 1 + p), orderBy: c.slice(1 + p) } };
    }
    case 'subquery': return e.arg ? { ...e, arg: c[0], outerRefs: c.slice(1) } : { ...e, outerRefs: c };
  }
}

/** Bottom-up rewrite: `f` sees each node after its children were rewritten. */
export function transformExpr(e: ExprNode, f: (n: ExprNode) => ExprNode): ExprNode {
  const kids = exprChildren(e);
  const next = kids.length ? withExprChildren(e, kids.map((k) => transformExpr(k, f))) : e;
  return f(next);
}

/** Names of all columns referenced by `e`. */
export function columnsOf(e: ExprNode, out = new Set<string>()): Set<string> {
  if (e.kind === 'column') out.add(e.name);
  for (const k of exprChildren(e)) columnsOf(k, out);
  return out;
}

/** An aggregate call outside any window (an aggregate under `over` is a window function, not a group's). */
export function containsAgg(e: ExprNode): boolean {
  if (e.kind === 'over') return false;
  return e.kind === 'agg' || exprChildren(e).some(containsAgg);
}

/** Whether `e` calls user code (a scalar UDF or a UDAF): such nodes MUST NOT be evaluated at plan time. */
export function containsUdf(e: ExprNode): boolean {
  return e.kind === 'udf' || (e.kind === 'agg' && e.fn === 'udaf') || exprChildren(e).some(containsUdf);
}

/** Whether `e` holds a window expression (`over`) or a window function outside one. */
export function containsWindow(e: ExprNode): boolean {
  return e.kind === 'over' || e.kind === 'windowFn' || exprChildren(e).some(containsWindow);
}

/** The output name Spark would give: alias, column name, or a rendering of the expression. */
export function exprName(e: ExprNode): string {
  switch (e.kind) {
    case 'alias': return e.name;
    case 'column': return e.name;
    case 'sort': return exprName(e.arg);
    // col('s.a') is named a, as Spark and DuckDB name a struct field.
    case 'call': return e.fn === 'getField' ? getFieldName(e) : exprToString(e);
    default: return exprToString(e);
  }
}

const OP_TEXT: Record<BinaryOp, string> = {
  add: '+', sub: '-', mul: '*', div: '/', mod: '%', eq: '=', neq: '!=', lt: '<', lte: '<=',
  gt: '>', gte: '>=', and: 'AND', or: 'OR',
};

/** Compact SQL-like rendering used by explain() and default output names. */
export function exprToString(e: ExprNode): string {
  switch (e.kind) {
    case 'column': return e.name;
    case 'literal': return e.value === null ? 'NULL' : typeof e.value === 'string' && e.type === 'utf8' ? `'${e.value}'` : String(e.value);
    case 'binary': return `(${exprToString(e.left)} ${OP_TEXT[e.op]} ${exprToString(e.right)})`;
    case 'unary':
      switch (e.op) {
        case 'not': return `NOT ${exprToString(e.arg)}`;
        case 'negate': return `-${exprToString(e.arg)}`;
        case 'isNull': return `${exprToString(e.arg)} IS NULL`;
        case 'isNotNull': return `${exprToString(e.arg)} IS NOT NULL`;
      }
      break;
    case 'cast': return `CAST(${exprToString(e.arg)} AS ${typeof e.to === 'string' ? e.to : JSON.stringify(e.to)})`;
    case 'alias': return `${exprToString(e.arg)} AS ${e.name}`;
    case 'call': return callToString(e);
    case 'case': return `CASE ${e.branches.map((b) => `WHEN ${exprToString(b.when)} THEN ${exprToString(b.then)}`).join(' ')}${e.otherwise ? ` ELSE ${exprToString(e.otherwise)}` : ''} END`;
    case 'sort': return `${exprToString(e.arg)} ${e.ascending ? 'ASC' : 'DESC'} NULLS ${e.nullsFirst ? 'FIRST' : 'LAST'}`;
    case 'udf': return `${e.udf.export}(${e.args.map(exprToString).join(', ')})`;
    case 'agg': {
      if (e.fn === 'countStar') return 'count(*)';
      if (e.fn === 'udaf' && e.udaf) return `${e.udaf.udf.export}(${e.arg ? exprToString(e.arg) : ''})`;
      const arg = e.arg ? exprToString(e.arg) : '';
      if (!e.params) return `${e.fn}(${arg})`;
      const p = e.params.percentage;
      return `${e.fn}(${arg}, ${typeof p === 'number' ? p : `array(${p.join(', ')})`}, ${e.params.accuracy})`;
    }
    case 'windowFn': return `${WINDOW_FN_SQL[e.fn]}(${e.args.map(exprToString).join(', ')})`;
    case 'over': {
      const parts: string[] = [];
      if (e.spec.partitionBy.length) parts.push(`PARTITION BY ${e.spec.partitionBy.map(exprToString).join(', ')}`);
      if (e.spec.orderBy.length) parts.push(`ORDER BY ${e.spec.orderBy.map(exprToString).join(', ')}`);
      if (e.spec.frame) parts.push(frameToString(e.spec.frame));
      return `${exprToString(e.arg)} OVER (${parts.join(' ')})`;
    }
    case 'subquery': {
      const refs = e.outerRefs.length ? ` correlated on ${e.outerRefs.map(exprToString).join(', ')}` : '';
      const what = e.subquery === 'scalar' ? 'SUBQUERY' : e.subquery === 'exists' ? 'EXISTS' : `${exprToString(e.arg!)} IN`;
      return `${e.negated ? 'NOT ' : ''}${what}(<subquery>${refs})`;
    }
    case 'outerRef': return `outer(${e.name})`;
  }
  return '?';
}

/**
 * A window expression without the PARTITION BY / ORDER BY its Window node already shows:
 * `sum(x) ROWS BETWEEN 1 PRECEDING AND CURRENT ROW AS s`.
 */
export function windowExprBrief(e: ExprNode): string {
  const o = e.kind === 'alias' ? e.arg : e;
  if (o.kind !== 'over') return exprToString(e);
  const s = `${exprToString(o.arg)}${o.spec.frame ? ` ${frameToString(o.spec.frame)}` : ''}`;
  return e.kind === 'alias' ? `${s} AS ${e.name}` : s;
}

/** SQL's infix forms for LIKE and IN, function syntax for the rest. */
function callToString(e: ExprNode & { kind: 'call' }): string {
  const args = e.args.map(exprToString);
  switch (e.fn) {
    case 'like': case 'ilike': case 'rlike':
      return `(${args[0]} ${e.fn.toUpperCase()} ${args[1]}${args.length > 2 ? ` ESCAPE ${args[2]}` : ''})`;
    case 'in': return `(${args[0]} IN (${args.slice(1).join(', ')}))`;
    case 'getField': return `${args[0]}.${getFieldName(e)}`;
    case 'getItem': return `${args[0]}[${args[1]}]`;
    default: return `${e.fn}(${args.join(', ')})`;
  }
}
