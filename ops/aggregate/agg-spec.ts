// What a hash aggregation computes: per-aggregate specs, the partial (shuffle) schema and the output schema.
//
// The partial schema is the contract between a 'partial' HashAggregateExec, the shuffle and the
// 'final' one: group columns named exprName(groupBy[i]) first, then each aggregate's state
// columns in aggregate order. A 'final' operator reads states by position, so the state layout
// below MUST stay in step with the accumulators (accumulators.ts) that write and merge it:
//   count, countStar  -> [count int64]
//   sum               -> [sum (int64 for integer input, float64 for float input), null if no value]
//   avg               -> [sum float64, count int64]
//   min, max          -> [value of the argument's type, null if no value]
//   first, last       -> [value of the argument's type]
//   countDistinct     -> [list<argument type> of the distinct non-null values]
//   collectSet, sumDistinct, avgDistinct
//                     -> [list<argument type> of the distinct non-null values]
//   collectList       -> [list<argument type> of the non-null values]
//   varSamp, varPop, stddevSamp, stddevPop
//                     -> [count int64, mean float64, m2 float64]: the non-null values' count, mean
//                        and sum of squared deviations from the mean (Welford; merged with Chan
//                        et al.'s formula, see variance.ts); count 0 when no value
//   percentileApprox  -> [items list<argument type>, levelSizes list<int32>]: a QuantileSketch
//                        (quantile-sketch.ts): its items, level 0 first, and the number of items
//                        per level; an item at level h stands for 2^h values; empty lists when no value
//   udaf              -> [state]: JSON.stringify of the user's state (utf8), or the state as a value
//                        of the UDAF's stateType when it names one (see udaf.ts)
import * as arrow from 'apache-arrow';
import { assertNever, InternalError, PlanError } from '../errors.ts';
import { exprName, exprToString, type AggFn, type AggParams, type ExprNode, type UdafSpec } from '../expr/node.ts';
import { inferField } from '../expr/typecheck.ts';
import { fromArrowSchema, isFloat, toArrowSchema, type FieldJSON, type TypeJSON } from '../types.ts';

export type AggregateMode = 'partial' | 'final' | 'single';

export interface AggregateOptions {
  /**
   * 'single': raw rows in, final values out. 'partial': raw rows in, partial states out (one
   * row per group seen by this task; may emit a group more than once when it flushes under
   * memory pressure). 'final': partial-state rows in (after a shuffle on the group columns),
   * final values out.
   */
  readonly mode: AggregateMode;
  readonly groupBy: readonly ExprNode[];
  /** `agg` nodes, each optionally wrapped in one `alias`. */
  readonly aggs: readonly ExprNode[];
}

/** One aggregate, resolved against its input. */
export interface AggSpec {
  readonly fn: AggFn;
  /** Output column name: exprName of the (aliased) aggregate. */
  readonly name: string;
  /** The argument expression over raw input (null for countStar; unused in 'final'). */
  readonly arg: ExprNode | null;
  /** Type of the argument (or of the state value, which has the same type). */
  readonly argType: TypeJSON | null;
  /** The final value's field. */
  readonly out: FieldJSON;
  /** This aggregate's state columns in the partial schema. */
  readonly state: readonly FieldJSON[];
  /** Literal parameters (percentileApprox). */
  readonly params?: AggParams;
  /** The user's aggregate (fn 'udaf'). */
  readonly udaf?: UdafSpec;
}

/** The agg node under an optional alias. */
export function unwrapAgg(e: ExprNode): ExprNode & { kind: 'agg' } {
  const inner = e.kind === 'alias' ? e.arg : e;
  if (inner.kind !== 'agg') throw new PlanError(`aggregate: ${exprToString(e)} is not an aggregate; use fn.count(), fn.sum(...), fn.avg(...), fn.min(...), fn.max(...), fn.countDistinct(...), fn.first(...), fn.last(...), fn.stddev(...), fn.variance(...), fn.collectList(...), fn.collectSet(...) or fn.percentileApprox(...)`);
  return inner;
}

/** State columns of one aggregate (names are informative; finals read them by position). */
export function stateFields(fn: AggFn, name: string, argType: TypeJSON | null, out: FieldJSON, udafStateType: TypeJSON = 'utf8'): FieldJSON[] {
  switch (fn) {
    case 'count': case 'countStar': return [{ name: `${name}#count`, type: 'int64', nullable: false }];
    case 'sum': return [{ name: `${name}#sum`, type: out.type, nullable: true }];
    case 'avg': return [{ name: `${name}#sum`, type: 'float64', nullable: false }, { name: `${name}#count`, type: 'int64', nullable: false }];
    case 'min': case 'max': case 'first': case 'last': case 'singleValue': return [{ name: `${name}#${fn}`, type: argType!, nullable: true }];
    case 'countDistinct': case 'collectSet': case 'sumDistinct': case 'avgDistinct': return [{ name: `${name}#distinct`, type: { list: argType! }, nullable: false }];
    case 'collectList': return [{ name: `${name}#list`, type: { list: argType! }, nullable: false }];
    case 'varSamp': case 'varPop': case 'stddevSamp': case 'stddevPop': return [
      { name: `${name}#count`, type: 'int64', nullable: false }, { name: `${name}#mean`, type: 'float64', nullable: false },
      { name: `${name}#m2`, type: 'float64', nullable: false },
    ];
    case 'udaf': return [{ name: `${name}#state`, type: udafStateType, nullable: true }];
    case 'percentileApprox': return [{ name: `${name}#items`, type: { list: argType! }, nullable: false }, { name: `${name}#levels`, type: { list: 'int32' }, nullable: false }];
  }
}

/** Specs from raw input fields ('single' and 'partial'): output types come from inferField. */
export function specsFromInput(aggs: readonly ExprNode[], input: readonly FieldJSON[]): AggSpec[] {
  return aggs.map((a) => {
    const agg = unwrapAgg(a);
    const name = exprName(a);
    const argType = agg.arg ? inferField(agg.arg, input).type : null;
    const out = { ...inferField(agg, input), name };
    return { fn: agg.fn, name, arg: agg.arg, argType, out, state: stateFields(agg.fn, name, argType, out, agg.udaf?.stateType), ...extras(agg) };
  });
}

/** Number of state columns an aggregate function uses. */
export function stateWidth(fn: AggFn): number {
  switch (fn) {
    case 'avg': case 'percentileApprox': return 2;
    case 'varSamp': case 'varPop': case 'stddevSamp': case 'stddevPop': return 3;
    case 'count': case 'countStar': case 'sum': case 'min': case 'max': case 'first': case 'last': case 'singleValue': case 'udaf':
    case 'countDistinct': case 'collectSet': case 'collectList': case 'sumDistinct': case 'avgDistinct': return 1;
    default: return assertNever(fn, 'aggregate function');
  }
}

/** Specs from a partial schema ('final'): types are read back from the state columns. */
export function specsFromPartial(aggs: readonly ExprNode[], nGroup: number, partial: readonly FieldJSON[]): AggSpec[] {
  let at = nGroup;
  const specs = aggs.map((a) => {
    const agg = unwrapAgg(a);
    const name = exprName(a);
    const state = partial.slice(at, at + stateWidth(agg.fn));
    at += state.length;
    if (state.length !== stateWidth(agg.fn)) throw new InternalError(`final aggregate: partial input lacks the state of ${name}`);
    const t = state[0].type;
    let argType: TypeJSON | null = null;
    let out: FieldJSON;
    switch (agg.fn) {
      case 'count': case 'countStar': out = { name, type: 'int64', nullable: false }; break;
      case 'countDistinct':
        argType = listElement(t, name);
        out = { name, type: 'int64', nullable: false };
        break;
      case 'sumDistinct':
        argType = listElement(t, name);
        out = { name, type: isFloat(argType) ? 'float64' : 'int64', nullable: true };
        break;
      case 'avgDistinct':
        argType = listElement(t, name);
        out = { name, type: 'float64', nullable: true };
        break;
      case 'collectList': case 'collectSet':
        argType = listElement(t, name);
        out = { name, type: t, nullable: false };
        break;
      case 'percentileApprox':
        argType = listElement(t, name);
        out = { name, type: typeof agg.params?.percentage === 'number' ? argType : { list: argType }, nullable: true };
        break;
      case 'varSamp': case 'varPop': case 'stddevSamp': case 'stddevPop': out = { name, type: 'float64', nullable: true }; break;
      case 'sum': out = { name, type: t, nullable: true }; break;
      case 'avg': out = { name, type: 'float64', nullable: true }; break;
      case 'min': case 'max': case 'first': case 'last': case 'singleValue': argType = t; out = { name, type: t, nullable: true }; break;
      case 'udaf':
        if (!agg.udaf) throw new InternalError(`final aggregate: ${name} lacks its UDAF`);
        out = { name, type: agg.udaf.returnType, nullable: true };
        break;
      default: return assertNever(agg.fn, 'aggregate function');
    }
    return { fn: agg.fn, name, arg: agg.arg, argType, out, state, ...extras(agg) };
  });
  if (at !== partial.length) throw new InternalError(`final aggregate: partial input has ${partial.length} columns, expected ${at}`);
  return specs;
}

/** The literal parameters and user aggregate an agg node carries into its spec. */
function extras(agg: ExprNode & { kind: 'agg' }): { params?: AggParams; udaf?: UdafSpec } {
  return { ...(agg.params ? { params: agg.params } : {}), ...(agg.udaf ? { udaf: agg.udaf } : {}) };
}

/** The element type of a list-typed state column. */
function listElement(t: TypeJSON, name: string): TypeJSON {
  if (typeof t !== 'object' || !('list' in t)) throw new InternalError(`final aggregate: state of ${name} is not a list`);
  return t.list;
}

/** Group output fields over raw input. */
export function groupFieldsFromInput(groupBy: readonly ExprNode[], input: readonly FieldJSON[]): FieldJSON[] {
  return groupBy.map((g) => ({ ...inferField(g, input), name: exprName(g) }));
}

/**
 * The schema a 'partial' HashAggregateExec emits (and a 'final' one reads) for `input`, the
 * schema of the raw rows. The planner uses it to type the shuffle between the two.
 */
export function partialSchema(opts: Pick<AggregateOptions, 'groupBy' | 'aggs'>, input: arrow.Schema): arrow.Schema {
  const fields = fromArrowSchema(input);
  const specs = specsFromInput(opts.aggs, fields);
  return toArrowSchema([...groupFieldsFromInput(opts.groupBy, fields), ...specs.flatMap((s) => s.state)]);
}
