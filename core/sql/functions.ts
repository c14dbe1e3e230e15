// The SQL function-name table: each name -> the aggregate or scalar expression it builds.
import type { AggFn, ExprNode, ScalarFn } from '../../ops/expr/node.ts';
import { Expr } from '../api/column.ts';
import { fn } from '../api/functions.ts';
import { at, sqlError } from './errors.ts';

export interface FunctionArgs {
  readonly args: readonly ExprNode[];
  /** count(*) */
  readonly star: boolean;
  readonly distinct: boolean;
  /** The call's AST node, for error positions. */
  readonly node: unknown;
}

type Builder = (a: FunctionArgs, name: string) => ExprNode;

function arity(a: FunctionArgs, name: string, min: number, max = min): void {
  if (a.star) throw sqlError(a.node, `${name}(*) is not valid; only count(*) takes *`);
  if (a.args.length < min || a.args.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw sqlError(a.node, `${name}() takes ${want} argument${max === 1 ? '' : 's'}, got ${a.args.length}`);
  }
}

/** An aggregate of one argument; `distinctFn`: what name(DISTINCT x) computes, when it exists. */
function agg(fn: AggFn, distinctFn?: AggFn): Builder {
  const b: Builder = (a, name) => {
    arity(a, name, 1);
    if (a.distinct && !distinctFn) throw sqlError(a.node, `${name}(DISTINCT ...) is not supported; count, sum and avg take DISTINCT`);
    return { kind: 'agg', fn: a.distinct ? distinctFn! : fn, arg: a.args[0] };
  };
  AGGREGATES.add(b);
  return b;
}

const AGGREGATES = new Set<Builder>();

function scalar(fn: ScalarFn, min: number, max = min): Builder {
  return (a, name) => {
    arity(a, name, min, max);
    if (a.distinct) throw sqlError(a.node, `DISTINCT is only valid in aggregate functions, not ${name}()`);
    return { kind: 'call', fn, args: a.args };
  };
}

/** A date part through the fluent API (fn.year, ...). */
function datePart(part: 'year' | 'quarter' | 'month' | 'day' | 'dayofweek' | 'dayofyear' | 'hour' | 'minute' | 'second'): Builder {
  return (a, name) => { arity(a, name, 1); return at(a.node, () => fn[part](new Expr(a.args[0])).node); };
}

/** date_trunc('month', d): the unit MUST be a string constant. */
const dateTrunc: Builder = (a, name) => {
  arity(a, name, 2);
  const unit = a.args[0];
  if (unit.kind !== 'literal' || typeof unit.value !== 'string') throw sqlError(a.node, `${name}(): the unit must be a string constant such as 'month'`);
  return at(a.node, () => fn.dateTrunc(unit.value as string, new Expr(a.args[1])).node);
};

/** named_struct('a', x, 'b', y): the names MUST be string constants. */
function namedPairs(a: FunctionArgs, name: string): (string | Expr)[] {
  return a.args.map((x, i) => {
    if (i % 2 === 1) return new Expr(x);
    if (x.kind !== 'literal' || typeof x.value !== 'string') throw sqlError(a.node, `${name}(): argument ${i + 1} must be a field name (a string constant)`);
    return x.value;
  });
}

const count: Builder = (a, name) => {
  // count() counts rows: DuckDB accepts it as count(*).
  if (a.args.length === 0 && !a.distinct) return { kind: 'agg', fn: 'countStar', arg: null };
  if (a.star) return { kind: 'agg', fn: 'countStar', arg: null };
  arity(a, name, 1);
  return { kind: 'agg', fn: a.distinct ? 'countDistinct' : 'count', arg: a.args[0] };
};


/** Lower-case SQL name -> builder. Aggregates are those building an `agg` node. */
const FUNCTIONS: Readonly<Record<string, Builder>> = Object.freeze({
  count,
  sum: agg('sum', 'sumDistinct'), avg: agg('avg', 'avgDistinct'), mean: agg('avg', 'avgDistinct'), min: agg('min', 'min'), max: agg('max', 'max'),
  first: agg('first'), last: agg('last'), any_value: agg('first'),
  stddev: agg('stddevSamp'), stddev_samp: agg('stddevSamp'), stddev_pop: agg('stddevPop'),
  variance: agg('varSamp'), var_samp: agg('varSamp'), var_pop: agg('varPop'),
  list: agg('collectList'), array_agg: agg('collectList'), collect_list: agg('collectList'), collect_set: agg('collectSet'),
  coalesce: scalar('coalesce', 1, Infinity), ifnull: scalar('coalesce', 2),
  abs: scalar('abs', 1), round: scalar('round', 1, 2), floor: scalar('floor', 1), ceil: scalar('ceil', 1), ceiling: scalar('ceil', 1),
  sqrt: scalar('sqrt', 1), exp: scalar('exp', 1), ln: scalar('ln', 1),
  lower: scalar('lower', 1), upper: scalar('upper', 1), lcase: scalar('lower', 1), ucase: scalar('upper', 1),
  length: scalar('length', 1), char_length: scalar('length', 1), character_length: scalar('length', 1),
  trim: scalar('trim', 1), substr: scalar('substr', 2, 3), substring: scalar('substr', 2, 3), concat: scalar('concat', 1, Infinity),
  starts_with: scalar('startsWith', 2), ends_with: scalar('endsWith', 2), contains: scalar('contains', 2),
  regexp_extract: scalar('regexpExtract', 2, 3), regexp_matches: scalar('rlike', 2),
  year: datePart('year'), quarter: datePart('quarter'), month: datePart('month'), day: datePart('day'), dayofmonth: datePart('day'),
  dayofweek: datePart('dayofweek'), dayofyear: datePart('dayofyear'), hour: datePart('hour'), minute: datePart('minute'), second: datePart('second'),
  date_trunc: dateTrunc,
  struct: scalar('struct', 1, Infinity), struct_pack: scalar('struct', 1, Infinity), row: scalar('struct', 1, Infinity),
  named_struct: (a, name) => { arity(a, name, 2, Infinity); return at(a.node, () => fn.namedStruct(...namedPairs(a, name)).node); },
  map: scalar('createMap', 2, Infinity), map_keys: scalar('mapKeys', 1), map_values: scalar('mapValues', 1),
  element_at: scalar('elementAt', 2), cardinality: scalar('size', 1), size: scalar('size', 1), array_length: scalar('size', 1), to_json: scalar('toJson', 1), last_day: (a, name) => { arity(a, name, 1); return at(a.node, () => fn.lastDay(new Expr(a.args[0])).node); },
});

/** True when `name` is an aggregate function (decides whether a SELECT aggregates). */
export function isAggregateName(name: string): boolean {
  const b = FUNCTIONS[name.toLowerCase()];
  return b === count || (b !== undefined && AGGREGATES.has(b));
}

/** The expression for `name(args)`; an unknown name is a SqlError listing the known ones. */
export function buildFunction(name: string, a: FunctionArgs): ExprNode {
  const key = name.toLowerCase();
  const b = Object.hasOwn(FUNCTIONS, key) ? FUNCTIONS[key] : undefined;
  if (!b) throw sqlError(a.node, `unknown function '${name}': known functions are ${Object.keys(FUNCTIONS).sort().join(', ')}`);
  const out = b(a, key);
  // regexp_extract's group defaults to 0, as the DataFrame API's.
  if (out.kind === 'call' && out.fn === 'regexpExtract' && out.args.length === 2) return { ...out, args: [...out.args, { kind: 'literal', value: 0, type: 'int32' }] };
  return out;
}
