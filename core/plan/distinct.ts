// Distinct: one row per distinct combination of all columns.
import type { FieldJSON } from '../../ops/types.ts';
import type { LogicalPlan } from './node.ts';

export interface Distinct {
  readonly kind: 'distinct';
  readonly input: LogicalPlan;
  readonly schema: readonly FieldJSON[];
}

export function distinct(input: LogicalPlan): Distinct {
  return Object.freeze({ kind: 'distinct', input, schema: input.schema });
}
