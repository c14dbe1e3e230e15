// Filter: keep rows where the predicate is true (null counts as false).
import type { ExprNode } from '../../ops/expr/node.ts';
import type { FieldJSON } from '../../ops/types.ts';
import type { LogicalPlan } from './node.ts';
import { resolveExpr } from './resolve.ts';
import { checkPredicate } from './schema.ts';

export interface Filter {
  readonly kind: 'filter';
  readonly input: LogicalPlan;
  readonly predicate: ExprNode;
  readonly schema: readonly FieldJSON[];
}

export function filter(input: LogicalPlan, predicate: ExprNode): Filter {
  const p = resolveExpr(predicate, input.schema);
  checkPredicate(p, input.schema, 'filter');
  return Object.freeze({ kind: 'filter', input, predicate: p, schema: input.schema });
}
