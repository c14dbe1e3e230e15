// Subqueries in expressions (scalar, EXISTS, IN) -> SubqueryExpr nodes, correlated through outerRefs.
import type { ExprNode, SubqueryExpr, SubqueryKind } from '../../ops/expr/node.ts';
import type { LogicalPlan } from '../plan/node.ts';
import type { SqlContext } from './context.ts';
import { notSupported, sqlError } from './errors.ts';
import type { SubqueryBuilder } from './expr.ts';
import type { Ast } from './parse.ts';
import { Scope } from './scope.ts';

/** Translates a query nested in an expression, whose names may reach `outer`. */
export type NestedQueryTranslator = (query: Ast, ctx: SqlContext, outer: Scope) => LogicalPlan;

/**
 * Builds subquery expressions for a clause over `scope`. The plan stays inside the expression;
 * the optimizer's decorrelation rules (core/optimizer/rules/*subquery*) turn it into a join.
 */
export function subqueryBuilder(scope: Scope, ctx: SqlContext, nested: NestedQueryTranslator): SubqueryBuilder {
  return (kind: SubqueryKind, query: Ast, arg: ExprNode | null, negated: boolean, node: Ast): ExprNode => {
    const boundary = new Scope([], scope, true);
    const plan = nested(query, ctx, boundary);
    if (kind !== 'exists' && plan.schema.length !== 1) {
      throw sqlError(node, `${kind === 'in' ? 'an IN' : 'a scalar'} subquery must return one column, this one returns ${plan.schema.length} (${plan.schema.map((f) => f.name).join(', ')})`);
    }
    const e: SubqueryExpr = {
      kind: 'subquery', subquery: kind, plan, arg, negated, outerRefs: boundary.outerRefs,
      type: kind === 'scalar' ? plan.schema[0].type : 'bool',
    };
    return e;
  };
}

/** A builder that plans only scalar subqueries: EXISTS and IN are refused with `clause` named. */
export function scalarOnly(build: SubqueryBuilder, clause: string): SubqueryBuilder {
  return (kind, query, arg, negated, node) => {
    if (kind !== 'scalar') throw notSupported(node, `${kind === 'exists' ? 'EXISTS' : 'IN (subquery)'} in ${clause}`, 'use it in WHERE, or select a scalar subquery such as (select count(*) ...) > 0');
    return build(kind, query, arg, negated, node);
  };
}
