// The fluent expression builder: `col('a').gt(1).and(col('b').isNotNull())`, plus col, lit, when.
import { PlanError } from '../../ops/errors.ts';
import { exprToString, floatLiteralValue, type BinaryOp, type ExprNode, type LiteralValue, type ScalarFn, type UnaryOp } from '../../ops/expr/node.ts';
import { isFloat, type TypeJSON } from '../../ops/types.ts';
import { intervalArithmetic, isIntervalNode } from './interval.ts';
import { WindowSpec } from './window.ts';

/** Anything accepted where an expression is expected: an Expr, a column name, or a plain value (for operands). */
export type ColumnLike = Expr | string;
export type Operand = Expr | LiteralValue | bigint | Date;

/** An immutable expression. Every method returns a new Expr around a new frozen node. */
export class Expr {
  readonly node: ExprNode;
  constructor(node: ExprNode) {
    this.node = Object.freeze(node);
  }

  // arithmetic
  add(o: Operand): Expr { return this.bin('add', o); }
  plus(o: Operand): Expr { return this.bin('add', o); }
  sub(o: Operand): Expr { return this.bin('sub', o); }
  minus(o: Operand): Expr { return this.bin('sub', o); }
  mul(o: Operand): Expr { return this.bin('mul', o); }
  times(o: Operand): Expr { return this.bin('mul', o); }
  div(o: Operand): Expr { return this.bin('div', o); }
  mod(o: Operand): Expr { return this.bin('mod', o); }
  negate(): Expr { return this.un('negate'); }

  // comparison
  eq(o: Operand): Expr { return this.bin('eq', o); }
  neq(o: Operand): Expr { return this.bin('neq', o); }
  lt(o: Operand): Expr { return this.bin('lt', o); }
  lte(o: Operand): Expr { return this.bin('lte', o); }
  gt(o: Operand): Expr { return this.bin('gt', o); }
  gte(o: Operand): Expr { return this.bin('gte', o); }
  between(lo: Operand, hi: Operand): Expr { return this.gte(lo).and(this.lte(hi)); }
  /**
   * SQL IN: true when equal to one of the values (given as arguments or as one array); null when
   * this is null, or when nothing matches and a value is null. NOT IN is `.isin(...).not()`.
   */
  isin(...values: (Operand | readonly Operand[])[]): Expr {
    const list = (values.length === 1 && Array.isArray(values[0]) ? values[0] : values) as Operand[];
    if (list.length === 0) throw new PlanError('isin() needs at least one value');
    return call('in', this, ...list);
  }

  // boolean
  and(o: Operand): Expr { return this.bin('and', o); }
  or(o: Operand): Expr { return this.bin('or', o); }
  not(): Expr { return this.un('not'); }

  // nulls
  isNull(): Expr { return this.un('isNull'); }
  isNotNull(): Expr { return this.un('isNotNull'); }
  /** This value, or `other` where this is null. */
  fillNull(other: Operand): Expr { return call('coalesce', this, other); }

  cast(to: TypeJSON): Expr { return new Expr({ kind: 'cast', arg: this.node, to }); }
  alias(name: string): Expr {
    if (typeof name !== 'string' || name.length === 0) throw new PlanError(`alias: name must be a non-empty string, got ${JSON.stringify(name)}`);
    return new Expr({ kind: 'alias', arg: this.node, name });
  }
  as(name: string): Expr { return this.alias(name); }

  // ordering
  asc(): Expr { return new Expr({ kind: 'sort', arg: this.node, ascending: true, nullsFirst: true }); }
  desc(): Expr { return new Expr({ kind: 'sort', arg: this.node, ascending: false, nullsFirst: false }); }
  ascNullsFirst(): Expr { return new Expr({ kind: 'sort', arg: this.node, ascending: true, nullsFirst: true }); }
  ascNullsLast(): Expr { return new Expr({ kind: 'sort', arg: this.node, ascending: true, nullsFirst: false }); }
  descNullsFirst(): Expr { return new Expr({ kind: 'sort', arg: this.node, ascending: false, nullsFirst: true }); }
  descNullsLast(): Expr { return new Expr({ kind: 'sort', arg: this.node, ascending: false, nullsFirst: false }); }

  // strings
  /** A list of the parts between `sep`; take one with `.at(i)` (0-based). */
  split(sep: string): Expr { return call('split', this, lit(sep)); }
  /** Element `i` (0-based) of a list; null when out of range. */
  at(i: number): Expr {
    if (!Number.isInteger(i)) throw new PlanError(`at(): index must be an integer, got ${i}`);
    return call('at', this, lit(i));
  }
  /** Substring from 1-based `start` (as in Spark and SQL), `length` characters (default: to the end). */
  substr(start: number, length?: number): Expr {
    return length === undefined ? call('substr', this, lit(start)) : call('substr', this, lit(start), lit(length));
  }
  lower(): Expr { return call('lower', this); }
  upper(): Expr { return call('upper', this); }
  trim(): Expr { return call('trim', this); }
  length(): Expr { return call('length', this); }
  startsWith(prefix: Operand): Expr { return call('startsWith', this, prefix); }
  endsWith(suffix: Operand): Expr { return call('endsWith', this, suffix); }
  contains(needle: Operand): Expr { return call('contains', this, needle); }
  /** Group `group` of the first match of `pattern` (a JS regular expression source); '' when none. */
  regexpExtract(pattern: string, group = 0): Expr { return call('regexpExtract', this, lit(pattern), lit(group)); }
  concat(...others: Operand[]): Expr { return call('concat', this, ...others); }

  // patterns (null in, null out)
  /**
   * SQL LIKE over the whole string: `%` any run of characters, `_` one character, `escape`
   * (backslash by default; '' for none) before %, _ or itself makes it literal. NOT LIKE is `.like(p).not()`.
   */
  like(pattern: Operand, escape?: string): Expr { return this.pattern('like', pattern, escape); }
  /** LIKE ignoring case: lower(this) LIKE lower(pattern). */
  ilike(pattern: Operand, escape?: string): Expr { return this.pattern('ilike', pattern, escape); }
  /** True when the regular expression (JS syntax) matches anywhere in the string, as Spark's rlike. */
  rlike(regex: Operand): Expr { return call('rlike', this, regex); }

  // structs, maps, lists
  /** Field `name` of a struct (col('s.name') reads the same field). */
  getField(name: string): Expr {
    if (typeof name !== 'string' || name.length === 0) throw new PlanError(`getField(): name must be a non-empty string, got ${JSON.stringify(name)}`);
    return call('getField', this, lit(name));
  }
  /** A map's value under `key` (null when absent), or a list's element `key` (0-based, as Spark's getItem; null out of range). */
  getItem(key: Operand): Expr { return call('getItem', this, key); }

  // math
  abs(): Expr { return call('abs', this); }
  round(digits = 0): Expr { return call('round', this, lit(digits)); }
  floor(): Expr { return call('floor', this); }
  ceil(): Expr { return call('ceil', this); }
  sqrt(): Expr { return call('sqrt', this); }
  exp(): Expr { return call('exp', this); }
  /** Natural logarithm. */
  ln(): Expr { return call('ln', this); }

  /**
   * This window function (fn.rowNumber(), fn.lag(...), ...) or aggregate (fn.sum(...), ...)
   * computed over `window` (Window.partitionBy(...).orderBy(...)); only in select/withColumn.
   */
  over(window: WindowSpec): Expr {
    if (!(window instanceof WindowSpec)) throw new PlanError('over(): pass a window spec such as Window.partitionBy(\'k\').orderBy(\'v\')');
    if (this.node.kind !== 'agg' && this.node.kind !== 'windowFn') {
      throw new PlanError(`over(): ${exprToString(this.node)} is not a window function or an aggregate; use fn.rowNumber(), fn.rank(), fn.denseRank(), fn.ntile(n), fn.percentRank(), fn.cumeDist(), fn.lag(...), fn.lead(...), or fn.count/sum/avg/min/max/first/last`);
    }
    return new Expr({ kind: 'over', arg: this.node, spec: window.spec });
  }

  toJSON(): ExprNode { return this.node; }

  private bin(op: BinaryOp, o: Operand): Expr {
    const right = toExpr(o).node;
    // date ± fn.interval(...) becomes the date function it stands for.
    if ((op === 'add' || op === 'sub') && (isIntervalNode(this.node) || isIntervalNode(right))) return new Expr(intervalArithmetic(op, this.node, right));
    return new Expr({ kind: 'binary', op, left: this.node, right });
  }
  private pattern(fn: 'like' | 'ilike', pattern: Operand, escape: string | undefined): Expr {
    return escape === undefined ? call(fn, this, pattern) : call(fn, this, pattern, lit(escape));
  }
  private un(op: UnaryOp): Expr {
    return new Expr({ kind: 'unary', op, arg: this.node });
  }
}

function call(fn: ScalarFn, ...args: Operand[]): Expr {
  return new Expr({ kind: 'call', fn, args: args.map((a) => toExpr(a).node) });
}

/** A reference to a column by name. */
export function col(name: string): Expr {
  if (typeof name !== 'string' || name.length === 0) throw new PlanError(`col(): name must be a non-empty string, got ${JSON.stringify(name)}`);
  return new Expr({ kind: 'column', name });
}

/**
 * A literal value; the type is inferred (integers -> int32 or int64, other numbers -> float64) unless
 * given. Infinity, -Infinity and NaN are float64 and stored by name, so they survive JSON.
 */
export function lit(value: LiteralValue | bigint | Date, type?: TypeJSON): Expr {
  if (value instanceof Date) return new Expr({ kind: 'literal', value: value.getTime(), type: type ?? 'timestamp_ms' });
  if (typeof value === 'bigint') return new Expr({ kind: 'literal', value: value.toString(), type: type ?? 'int64' });
  if (type !== undefined) return new Expr({ kind: 'literal', value: typeof value === 'number' && isFloat(type) ? floatLiteralValue(value) : value, type });
  if (value === null) return new Expr({ kind: 'literal', value, type: 'null' });
  switch (typeof value) {
    case 'boolean': return new Expr({ kind: 'literal', value, type: 'bool' });
    case 'string': return new Expr({ kind: 'literal', value, type: 'utf8' });
    case 'number':
      if (Number.isInteger(value)) return new Expr({ kind: 'literal', value, type: value >= -(2 ** 31) && value < 2 ** 31 ? 'int32' : 'int64' });
      return new Expr({ kind: 'literal', value: floatLiteralValue(value), type: 'float64' });
  }
  throw new PlanError(`lit(): unsupported value ${String(value)}`);
}

/** Operands: an Expr stays, anything else becomes a literal (a string is a literal here, not a column). */
export function toExpr(o: Operand): Expr {
  return o instanceof Expr ? o : lit(o as LiteralValue | bigint | Date);
}

/** Column arguments: a string names a column (as in Spark's select('a')). */
export function toColumn(c: ColumnLike): Expr {
  if (c instanceof Expr) return c;
  if (typeof c === 'string') return col(c);
  throw new PlanError(`expected a column name or an expression (col('x')), got ${JSON.stringify(c)}`);
}

/** `when(cond, value).when(...).otherwise(value)` — SQL CASE. */
export class CaseBuilder extends Expr {
  constructor(branches: readonly { when: ExprNode; then: ExprNode }[]) {
    super({ kind: 'case', branches, otherwise: null });
  }
  private get branches() {
    return (this.node as Extract<ExprNode, { kind: 'case' }>).branches;
  }
  when(cond: Expr, value: Operand): CaseBuilder {
    return new CaseBuilder([...this.branches, { when: cond.node, then: toExpr(value).node }]);
  }
  otherwise(value: Operand): Expr {
    return new Expr({ kind: 'case', branches: this.branches, otherwise: toExpr(value).node });
  }
}

export function when(cond: Expr, value: Operand): CaseBuilder {
  return new CaseBuilder([{ when: cond.node, then: toExpr(value).node }]);
}
