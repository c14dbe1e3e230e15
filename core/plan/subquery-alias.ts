// SubqueryAlias: names a relation (df.alias('n1')) so its columns answer to `n1.<column>`.
import { PlanError } from '../../ops/errors.ts';
import type { FieldJSON } from '../../ops/types.ts';
import type { LogicalPlan } from './node.ts';

/**
 * Rows and column names pass through unchanged; every field gets `qualifier: name` (see
 * core/plan/resolve.ts for how qualified references resolve and how joins keep clashing names
 * apart). The physical planner drops the node: operators never see qualifiers.
 */
export interface SubqueryAlias {
  readonly kind: 'subqueryAlias';
  readonly input: LogicalPlan;
  readonly alias: string;
  readonly schema: readonly FieldJSON[];
}

export function subqueryAlias(input: LogicalPlan, alias: string): SubqueryAlias {
  if (typeof alias !== 'string' || !/^[^.\s]+$/.test(alias)) {
    throw new PlanError(`alias: the name must be a non-empty string without dots or spaces, e.g. df.alias('n1'); got ${JSON.stringify(alias)}`);
  }
  // Names stay: a field an earlier join renamed (`n1.n_name`) keeps that name under its new qualifier.
  const schema = input.schema.map((f) => ({ ...f, qualifier: alias }));
  return Object.freeze({ kind: 'subqueryAlias', input, alias, schema });
}
