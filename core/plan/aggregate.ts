// Aggregate: group by key expressions and compute aggregate expressions per group.
import type { ExprNode } from '../../ops/expr/node.ts';
import type { FieldJSON } from '../../ops/types.ts';
import type { LogicalPlan } from './node.ts';
import { checkDistinctAggArgs, checkKeyTypes } from './key-types.ts';
import { carryQualifiers, resolveExprs } from './resolve.ts';
import { checkAggregates, outputFields } from './schema.ts';

export interface Aggregate {
  readonly kind: 'aggregate';
  readonly input: LogicalPlan;
  /** Group keys; output columns come first, named by exprName. */
  readonly groupBy: readonly ExprNode[];
  /** Each is `agg(...)` or `alias(agg(...))`. */
  readonly aggs: readonly ExprNode[];
  readonly schema: readonly FieldJSON[];
}

export function aggregate(input: LogicalPlan, groupBy: readonly ExprNode[], aggs: readonly ExprNode[]): Aggregate {
  groupBy = resolveExprs(groupBy, input.schema);
  aggs = resolveExprs(aggs, input.schema);
  checkAggregates(groupBy, aggs, input.schema);
  checkKeyTypes('group by', groupBy, input.schema);
  checkDistinctAggArgs(aggs, input.schema);
  const schema = carryQualifiers(groupBy, input.schema, outputFields([...groupBy, ...aggs], input.schema));
  return Object.freeze({ kind: 'aggregate', input, groupBy, aggs, schema });
}
