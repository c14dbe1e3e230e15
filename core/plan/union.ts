// Union: rows of all inputs (UNION ALL), matched by position; names from the first input.
import type { FieldJSON } from '../../ops/types.ts';
import type { LogicalPlan } from './node.ts';
import { unionFields } from './schema.ts';

export interface Union {
  readonly kind: 'union';
  readonly inputs: readonly LogicalPlan[];
  readonly schema: readonly FieldJSON[];
}

export function union(inputs: readonly LogicalPlan[]): Union {
  return Object.freeze({ kind: 'union', inputs, schema: unionFields(inputs.map((i) => i.schema)) });
}
