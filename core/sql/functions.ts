// The SQL function-name table: each name -> the aggregate or scalar expression it builds.
import type { AggFn, ExprNode, ScalarFn } from '../../ops/expr/node.ts';
import { API } from './api-map.ts';
import { sqlError } from './errors.ts';

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

function agg(fn: AggFn): Builder {
  return (a, name) => {
    arity(a, name, 1);
    if (a.distinct) throw sqlError(a.node, `${name}(DISTINCT ...) is not supported; only count(DISTINCT x) is`);
    return { kind: 'agg', fn, arg: a.args[0] };
  };
}

function scalar(fn: ScalarFn, min: number, max = min): Builder {
  return (a, name) => {
    arity(a, name, min, max);
    if (a.distinct) throw sqlError(a.node, `DISTINCT is only valid in aggregate functions, not ${name}()`);
    return { kind: 'call', fn, args: a.args };
  };
}

const count: Builder = (a, name) => {
  if (a.star) return { kind: 'agg', fn: 'countStar', arg: null };
  arity(a, name, 1);
  return { kind: 'agg', fn: a.distinct ? 'countDistinct' : 'count', arg: a.args[0] };
};

const pendingAgg: Builder = (a, name) => API.pendingAggregate(name, a.node);

/** Lower-case SQL name -> builder. Aggregates are those building an `agg` node. */
const FUNCTIONS: Readonly<Record<string, Builder>> = Object.freeze({
  count,
  sum: agg('sum'), avg: agg('avg'), mean: agg('avg'), min: agg('min'), max: agg('max'),
  first: agg('first'), last: agg('last'),
  stddev: pendingAgg, stddev_samp: pendingAgg, stddev_pop: pendingAgg, variance: pendingAgg, var_samp: pendingAgg,
  var_pop: pendingAgg, list: pendingAgg, array_agg: pendingAgg, approx_quantile: pendingAgg,
  coalesce: scalar('coalesce', 1, Infinity), ifnull: scalar('coalesce', 2),
  abs: scalar('abs', 1), round: scalar('round', 1, 2), floor: scalar('floor', 1), ceil: scalar('ceil', 1), ceiling: scalar('ceil', 1),
  sqrt: scalar('sqrt', 1), exp: scalar('exp', 1), ln: scalar('ln', 1),
  lower: scalar('lower', 1), upper: scalar('upper', 1), lcase: scalar('lower', 1), ucase: scalar('upper', 1),
  length: scalar('length', 1), char_length: scalar('length', 1), character_length: scalar('length', 1),
  trim: scalar('trim', 1), substr: scalar('substr', 2, 3), substring: scalar('substr', 2, 3), concat: scalar('concat', 1, Infinity),
  starts_with: scalar('startsWith', 2), ends_with: scalar('endsWith', 2), contains: scalar('contains', 2),
  regexp_extract: scalar('regexpExtract', 2, 3),
});

/** True when `name` is an aggregate function (decides whether a SELECT aggregates). */
export function isAggregateName(name: string): boolean {
  const b = FUNCTIONS[name.toLowerCase()];
  return b === count || b === pendingAgg || (b !== undefined && /^(sum|avg|mean|min|max|first|last)$/.test(name.toLowerCase()));
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
