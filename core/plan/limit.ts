// Limit: the first n rows (after skipping offset).
import type { FieldJSON } from '../../ops/types.ts';
import type { LogicalPlan } from './node.ts';

export interface Limit {
  readonly kind: 'limit';
  readonly input: LogicalPlan;
  readonly n: number;
  readonly offset: number;
  readonly schema: readonly FieldJSON[];
}

export function limit(input: LogicalPlan, n: number, offset = 0): Limit {
  return Object.freeze({ kind: 'limit', input, n, offset, schema: input.schema });
}
