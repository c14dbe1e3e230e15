// Sort: total order by several keys, each with direction and null placement.
import type { ExprNode } from '../../ops/expr/node.ts';
import type { FieldJSON } from '../../ops/types.ts';
import type { LogicalPlan } from './node.ts';
import { checkKeyTypes } from './key-types.ts';
import { resolveExprs } from './resolve.ts';
import { checkExprs } from './schema.ts';

export interface Sort {
  readonly kind: 'sort';
  readonly input: LogicalPlan;
  /** Each a `sort` ExprNode. */
  readonly keys: readonly ExprNode[];
  readonly schema: readonly FieldJSON[];
}

export function sort(input: LogicalPlan, keys: readonly ExprNode[]): Sort {
  keys = resolveExprs(keys, input.schema);
  checkExprs(keys, input.schema);
  checkKeyTypes('sort by', keys, input.schema);
  return Object.freeze({ kind: 'sort', input, keys, schema: input.schema });
}
