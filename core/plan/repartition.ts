// Repartition: hash-partition by keys into n partitions (round-robin when no keys).
import type { ExprNode } from '../../ops/expr/node.ts';
import type { FieldJSON } from '../../ops/types.ts';
import type { LogicalPlan } from './node.ts';
import { checkKeyTypes } from './key-types.ts';
import { resolveExprs } from './resolve.ts';
import { checkExprs } from './schema.ts';

export interface Repartition {
  readonly kind: 'repartition';
  readonly input: LogicalPlan;
  readonly n: number;
  readonly keys: readonly ExprNode[];
  readonly schema: readonly FieldJSON[];
}

export function repartition(input: LogicalPlan, n: number, keys: readonly ExprNode[]): Repartition {
  keys = resolveExprs(keys, input.schema);
  checkExprs(keys, input.schema);
  checkKeyTypes('partition by', keys, input.schema);
  return Object.freeze({ kind: 'repartition', input, n, keys, schema: input.schema });
}
