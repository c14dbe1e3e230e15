// Project: compute one output column per expression (select / withColumn / drop).
import type { ExprNode } from '../../ops/expr/node.ts';
import type { FieldJSON } from '../../ops/types.ts';
import type { LogicalPlan } from './node.ts';
import { carryQualifiers, resolveExprs } from './resolve.ts';
import { outputFields } from './schema.ts';

export interface Project {
  readonly kind: 'project';
  readonly input: LogicalPlan;
  readonly exprs: readonly ExprNode[];
  readonly schema: readonly FieldJSON[];
}

export function project(input: LogicalPlan, exprs: readonly ExprNode[]): Project {
  const resolved = resolveExprs(exprs, input.schema);
  const schema = carryQualifiers(resolved, input.schema, outputFields(resolved, input.schema));
  return Object.freeze({ kind: 'project', input, exprs: resolved, schema });
}
