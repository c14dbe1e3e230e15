// Distinct: one row per distinct combination of all columns.
import type { FieldJSON } from '../../ops/types.ts';
import { checkKeyTypes } from './key-types.ts';
import type { LogicalPlan } from './node.ts';

export interface Distinct {
  readonly kind: 'distinct';
  readonly input: LogicalPlan;
  readonly schema: readonly FieldJSON[];
}

export function distinct(input: LogicalPlan): Distinct {
  checkKeyTypes('deduplicate (distinct) by', input.schema.map((f) => ({ kind: 'column', name: f.name })), input.schema);
  return Object.freeze({ kind: 'distinct', input, schema: input.schema });
}
