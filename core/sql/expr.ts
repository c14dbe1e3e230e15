// SQL expressions (sqlparser AST) -> ExprNode over the plan columns a Scope names.
import { floatLiteralValue, type BinaryOp, type ExprNode, type SubqueryKind } from '../../ops/expr/node.ts';
import type { TypeJSON } from '../../ops/types.ts';
import { API } from './api-map.ts';
import { notSupported, sqlError } from './errors.ts';
import { buildFunction, type FunctionArgs } from './functions.ts';
import { isWindowOnlyName, windowFunction, windowSpec } from './window.ts';
import type { Ast } from './parse.ts';
import type { Scope } from './scope.ts';
import { addInterval, parseInterval, type Interval } from './dates.ts';
import { compoundIdentifier, fieldAccess, mapLiteral, structLiteral } from './nested.ts';

/** Builds a subquery expression (see subquery.ts); null where the clause allows none. */
export type SubqueryBuilder = (kind: SubqueryKind, query: Ast, arg: ExprNode | null, negated: boolean, node: Ast) => ExprNode;

export interface ExprContext {
  readonly scope: Scope;
  readonly subquery: SubqueryBuilder | null;
  /** The clause being translated ('WHERE', 'SELECT', ...), for messages. */
  readonly clause: string;
}

const BINARY: Readonly<Record<string, BinaryOp>> = {
  Plus: 'add', Minus: 'sub', Multiply: 'mul', Divide: 'div', Modulo: 'mod',
  Eq: 'eq', NotEq: 'neq', Lt: 'lt', LtEq: 'lte', Gt: 'gt', GtEq: 'gte', And: 'and', Or: 'or',
};

const lit = (value: string | number | boolean | null, type: TypeJSON): ExprNode => ({ kind: 'literal', value, type });
const bin = (op: BinaryOp, left: ExprNode, right: ExprNode): ExprNode => ({ kind: 'binary', op, left, right });
const not = (arg: ExprNode): ExprNode => ({ kind: 'unary', op: 'not', arg });

/** The single kind of a sqlparser enum value: `{ Identifier: {...} }` -> ['Identifier', {...}]. */
export function variant(ast: Ast): [string, Ast] {
  if (typeof ast === 'string') return [ast, null];
  const keys = Object.keys(ast);
  return [keys[0], ast[keys[0]]];
}

export function translateExpr(ast: Ast, ctx: ExprContext): ExprNode {
  const [kind, v] = variant(ast);
  switch (kind) {
    case 'Identifier': return ctx.scope.resolve(null, v.value, ast);
    case 'CompoundIdentifier': return compoundIdentifier(v.map((p: Ast) => p.value), ctx.scope, ast);
    case 'CompoundFieldAccess': return fieldAccess(v, (x) => translateExpr(x, ctx), ctx.scope, ast);
    case 'Map': return mapLiteral(v, (x) => translateExpr(x, ctx));
    case 'Dictionary': return structLiteral(v, (x) => translateExpr(x, ctx));
    case 'Value': return literal(v.value, ast);
    case 'TypedString': return typedString(v, ast);
    case 'Nested': return translateExpr(v, ctx);
    case 'BinaryOp': return binary(v, ctx, ast);
    case 'UnaryOp': {
      const arg = translateExpr(v.expr, ctx);
      if (v.op === 'Not') return not(arg);
      if (v.op === 'Minus') return arg.kind === 'literal' && typeof arg.value === 'number' ? { ...arg, value: floatOrInt(-arg.value, arg.type) } : { kind: 'unary', op: 'negate', arg };
      if (v.op === 'Plus') return arg;
      throw notSupported(ast, `unary operator ${v.op}`);
    }
    case 'IsNull': return { kind: 'unary', op: 'isNull', arg: translateExpr(v, ctx) };
    case 'IsNotNull': return { kind: 'unary', op: 'isNotNull', arg: translateExpr(v, ctx) };
    case 'IsTrue': return bin('eq', translateExpr(v, ctx), lit(true, 'bool'));
    case 'IsFalse': return bin('eq', translateExpr(v, ctx), lit(false, 'bool'));
    case 'Between': {
      const e = translateExpr(v.expr, ctx);
      const test = bin('and', bin('gte', e, translateExpr(v.low, ctx)), bin('lte', e, translateExpr(v.high, ctx)));
      return v.negated ? not(test) : test;
    }
    case 'InList': {
      const e = translateExpr(v.expr, ctx);
      if (v.list.length === 0) throw sqlError(ast, 'IN () needs at least one value');
      return API.inList(e, v.list.map((x: Ast) => translateExpr(x, ctx)), v.negated, ast);
    }
    case 'Like': case 'ILike': {
      const value = translateExpr(v.expr, ctx);
      const pattern = translateExpr(v.pattern, ctx);
      if (v.any) throw notSupported(ast, `${kind.toUpperCase()} ANY`);
      if (v.escape_char) throw notSupported(ast, `${kind.toUpperCase()} ... ESCAPE`);
      if (pattern.kind !== 'literal' || typeof pattern.value !== 'string') throw notSupported(v.pattern, 'a LIKE pattern that is not a string literal');
      return API.like(value, pattern.value, v.negated, kind === 'ILike', ast);
    }
    case 'Case': return caseExpr(v, ctx);
    case 'Cast': {
      if (v.kind !== 'Cast' && v.kind !== 'DoubleColon') throw notSupported(ast, v.kind.toUpperCase());
      if (v.format) throw notSupported(ast, 'CAST ... FORMAT');
      const arg = translateExpr(v.expr, ctx);
      return { kind: 'cast', arg, to: sqlType(v.data_type, ast) };
    }
    case 'Extract': return API.extract(String(variant(v.field)[0]).toLowerCase(), translateExpr(v.expr, ctx), ast);
    case 'Substring': {
      const args = [translateExpr(v.expr, ctx), v.substring_from ? translateExpr(v.substring_from, ctx) : lit(1, 'int32')];
      if (v.substring_for) args.push(translateExpr(v.substring_for, ctx));
      return { kind: 'call', fn: 'substr', args };
    }
    case 'Trim': {
      if (v.trim_where || v.trim_what || v.trim_characters) throw notSupported(ast, 'TRIM with BOTH/LEADING/TRAILING or characters');
      return { kind: 'call', fn: 'trim', args: [translateExpr(v.expr, ctx)] };
    }
    case 'Function': return functionCall(v, ctx, ast);
    case 'Exists': return subquery(ctx, 'exists', v.subquery, null, v.negated, ast);
    case 'InSubquery': return subquery(ctx, 'in', v.subquery, translateExpr(v.expr, ctx), v.negated, ast);
    case 'Subquery': return subquery(ctx, 'scalar', v, null, false, ast);
    case 'Interval': throw notSupported(ast, 'an INTERVAL outside date arithmetic (date ± interval)');
    default: throw notSupported(ast, `expression ${kind}`);
  }
}

function subquery(ctx: ExprContext, kind: SubqueryKind, query: Ast, arg: ExprNode | null, negated: boolean, node: Ast): ExprNode {
  if (!ctx.subquery) throw notSupported(node, `a subquery in ${ctx.clause}`, 'subqueries are planned in WHERE and HAVING');
  return ctx.subquery(kind, query, arg, negated, node);
}

function floatOrInt(x: number, type: TypeJSON): number | string {
  return type === 'float64' || type === 'float32' ? floatLiteralValue(x) : x;
}

function literal(value: Ast, node: Ast): ExprNode {
  const [kind, v] = variant(value);
  switch (kind) {
    case 'Number': {
      const text = String(v[0]);
      if (/^\d+$/.test(text)) {
        const n = Number(text);
        if (n < 2 ** 31) return lit(n, 'int32');
        return lit(Number.isSafeInteger(n) ? n : text, 'int64');
      }
      const x = Number(text);
      if (!Number.isFinite(x)) throw sqlError(node, `number ${text} is out of range`);
      return lit(x, 'float64');
    }
    case 'SingleQuotedString': case 'DoubleQuotedString': return lit(v, 'utf8');
    case 'Boolean': return lit(v, 'bool');
    case 'Null': return lit(null, 'null');
    default: throw notSupported(node, `literal ${kind}`);
  }
}

function typedString(v: Ast, node: Ast): ExprNode {
  const type = typeof v.data_type === 'string' ? v.data_type : variant(v.data_type)[0];
  const text = variant(v.value.value)[1];
  if (type === 'Date') {
    if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(`${text}T00:00:00Z`))) {
      throw sqlError(node, `DATE '${text}' is not a date; write DATE 'YYYY-MM-DD'`);
    }
    return lit(text, 'date32');
  }
  if (type === 'Timestamp' || type === 'Datetime') return { kind: 'cast', arg: lit(String(text), 'utf8'), to: 'timestamp_ms' };
  throw notSupported(node, `${type} '...' literals`);
}

function binary(v: Ast, ctx: ExprContext, node: Ast): ExprNode {
  const interval = v.right && variant(v.right)[0] === 'Interval' ? parseInterval(variant(v.right)[1], v.right) : null;
  if (interval && (v.op === 'Plus' || v.op === 'Minus')) return dateArithmetic(v.op === 'Plus' ? 'add' : 'sub', translateExpr(v.left, ctx), interval, node);
  if (v.left && variant(v.left)[0] === 'Interval' && v.op === 'Plus') {
    return dateArithmetic('add', translateExpr(v.right, ctx), parseInterval(variant(v.left)[1], v.left), node);
  }
  if (v.op === 'StringConcat') return { kind: 'call', fn: 'concat', args: [translateExpr(v.left, ctx), translateExpr(v.right, ctx)] };
  const op = BINARY[v.op];
  if (!op) throw notSupported(node, `operator ${v.op}`);
  const left = translateExpr(v.left, ctx), right = translateExpr(v.right, ctx);
  return (op === 'add' || op === 'sub' || op === 'mul') ? foldDecimal(op, left, right) ?? bin(op, left, right) : bin(op, left, right);
}

/**
 * `0.06 + 0.01` with SQL's exact decimal literals: 0.07, not the double 0.06999999999999999
 * (which would drop the rows equal to 0.07 from a BETWEEN, as TPC-H Q6 has). Numbers written
 * with a decimal point are DECIMAL in SQL; here they are float64, so constant +, - and * of
 * them are computed exactly in decimal and rounded once.
 */
function foldDecimal(op: 'add' | 'sub' | 'mul', a: ExprNode, b: ExprNode): ExprNode | null {
  if (a.kind !== 'literal' || b.kind !== 'literal' || typeof a.value !== 'number' || typeof b.value !== 'number') return null;
  if (a.type !== 'float64' && b.type !== 'float64') return null;
  const da = decimalOf(a.value), db = decimalOf(b.value);
  if (!da || !db) return null;
  let digits: bigint, scale: number;
  if (op === 'mul') { digits = da.digits * db.digits; scale = da.scale + db.scale; } else {
    scale = Math.max(da.scale, db.scale);
    const x = da.digits * 10n ** BigInt(scale - da.scale), y = db.digits * 10n ** BigInt(scale - db.scale);
    digits = op === 'add' ? x + y : x - y;
  }
  const neg = digits < 0n;
  const text = (neg ? -digits : digits).toString().padStart(scale + 1, '0');
  const value = Number(`${neg ? '-' : ''}${text.slice(0, text.length - scale)}.${text.slice(text.length - scale) || '0'}`);
  return Number.isFinite(value) ? lit(value, 'float64') : null;
}

/** A finite number's shortest decimal form as digits × 10^-scale; null for exponent forms. */
function decimalOf(x: number): { digits: bigint; scale: number } | null {
  const s = String(x);
  if (!/^-?\d+(\.\d+)?$/.test(s)) return null;
  const [int, frac = ''] = s.split('.');
  return { digits: BigInt(int + frac), scale: frac.length };
}

/** A constant date ± interval is folded here to a date; anything else needs the date API. */
function dateArithmetic(op: 'add' | 'sub', value: ExprNode, interval: Interval, node: Ast): ExprNode {
  if (value.kind === 'literal' && value.type === 'date32' && typeof value.value === 'string') {
    return lit(addInterval(value.value, op === 'add' ? interval.amount : -interval.amount, interval.unit), 'date32');
  }
  return API.dateArithmetic(op, value, interval.amount, interval.unit, node);
}

function caseExpr(v: Ast, ctx: ExprContext): ExprNode {
  const operand = v.operand ? translateExpr(v.operand, ctx) : null;
  const branches = v.conditions.map((c: Ast) => {
    const cond = translateExpr(c.condition, ctx);
    return { when: operand ? bin('eq', operand, cond) : cond, then: translateExpr(c.result, ctx) };
  });
  return { kind: 'case', branches, otherwise: v.else_result ? translateExpr(v.else_result, ctx) : null };
}

function functionCall(v: Ast, ctx: ExprContext, node: Ast): ExprNode {
  const name = v.name.map((p: Ast) => variant(p)[1].value).join('.');
  if (v.filter) throw notSupported(node, `${name}(...) FILTER (WHERE ...)`);
  const [argKind, list] = variant(v.args);
  if (argKind === 'None') return call(name, v, { args: [], star: false, distinct: false, node }, ctx);
  if (argKind !== 'List') throw notSupported(node, `${name}(${argKind})`);
  if (list.clauses?.length) throw notSupported(node, `${name}(... ${variant(list.clauses[0])[0]})`);
  let star = false;
  const args: ExprNode[] = [];
  for (const a of list.args) {
    const [k, inner] = variant(a);
    // DuckDB's struct_pack(a := 1, b := x) names its fields; no other function takes names.
    const named = k === 'Named' && name.toLowerCase() === 'struct_pack';
    if (k !== 'Unnamed' && !named) throw notSupported(node, `named arguments in ${name}()`);
    const [ik, e] = variant(named ? inner.arg : inner);
    if (ik === 'Wildcard') { star = true; continue; }
    if (ik !== 'Expr') throw notSupported(node, `${ik} arguments in ${name}()`);
    const arg = translateExpr(e, ctx);
    args.push(named ? { kind: 'alias', arg, name: inner.name.value } : arg);
  }
  return call(name, v, { args, star, distinct: list.duplicate_treatment === 'Distinct', node }, ctx);
}

/** A function call, or with OVER (...) a window expression; a window-only function without OVER is an error. */
function call(name: string, v: Ast, a: FunctionArgs, ctx: ExprContext): ExprNode {
  if (!v.over) {
    if (isWindowOnlyName(name)) throw sqlError(a.node, `${name}() is a window function: add OVER (PARTITION BY ... ORDER BY ...)`);
    return buildFunction(name, a);
  }
  const arg = windowFunction(name, a, () => buildFunction(name, a));
  const spec = windowSpec(v.over, { translate: (e) => translateExpr(e, ctx), sortKey: orderKey, columnType: (e) => ctx.scope.typeOf(e).type }, a.node);
  return { kind: 'over', arg, spec };
}

/** An ORDER BY key with SQL's options; DuckDB's default puts nulls last in both directions. */
function orderKey(e: ExprNode, opts: Ast): ExprNode {
  return { kind: 'sort', arg: e, ascending: opts?.asc !== false, nullsFirst: opts?.nulls_first === true };
}

/** SQL type names -> Quiver types (DECIMAL is read as DOUBLE, as the TPC-H files store it). */
export function sqlType(dataType: Ast, node: Ast): TypeJSON {
  const name = String(typeof dataType === 'string' ? dataType : variant(dataType)[0]).toLowerCase();
  const map: Record<string, TypeJSON> = {
    int: 'int32', integer: 'int32', int4: 'int32', smallint: 'int16', int2: 'int16', tinyint: 'int8',
    bigint: 'int64', int8: 'int64', double: 'float64', doubleprecision: 'float64', float8: 'float64', real: 'float32', float4: 'float32',
    float: 'float64', decimal: 'float64', numeric: 'float64', dec: 'float64',
    varchar: 'utf8', text: 'utf8', string: 'utf8', char: 'utf8', charactervarying: 'utf8', character: 'utf8', nvarchar: 'utf8',
    boolean: 'bool', bool: 'bool', date: 'date32', timestamp: 'timestamp_ms', datetime: 'timestamp_ms',
  };
  const t = map[name];
  if (!t) throw notSupported(node, `CAST to ${name.toUpperCase()}`);
  return t;
}
