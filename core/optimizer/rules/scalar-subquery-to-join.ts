// ScalarSubqueryToJoin: an uncorrelated scalar subquery in a Filter becomes a column of a one-row left join.
import type { ExprNode, SubqueryExpr } from '../../../ops/expr/node.ts';
import { filter } from '../../plan/filter.ts';
import { join } from '../../plan/join.ts';
import { project } from '../../plan/project.ts';
import { colRef } from '../expr-utils.ts';
import { unchanged, type OptimizerRule } from '../rule.ts';
import { findSubquery, freshName, replaceNode } from '../subquery.ts';

const TRUE: ExprNode = { kind: 'literal', value: true, type: 'bool' };

/**
 * `WHERE x > (select avg(y) from t)`: Project(input columns, Filter(x > __sq0,
 * Join(left, input, Project(__sq0, subquery), true = true))). The left join keeps every row
 * when the subquery has none (its value is then null, as in SQL). A subquery returning more than
 * one row is not detected: each row is then repeated per value.
 */
export const ScalarSubqueryToJoin: OptimizerRule = {
  name: 'ScalarSubqueryToJoin',
  rewrite(node) {
    if (node.kind !== 'filter') return unchanged(node);
    // Every one in this filter at once: a later rule or pass might move what is left.
    const test = (s: SubqueryExpr): boolean => s.subquery === 'scalar' && s.outerRefs.length === 0;
    if (!findSubquery(node.predicate, test)) return unchanged(node);
    const input = node.input;
    const taken = new Set(input.schema.map((f) => f.name));
    let joined = input, predicate = node.predicate;
    for (let sub = findSubquery(predicate, test); sub; sub = findSubquery(predicate, test)) {
      const name = freshName('__sq', taken);
      taken.add(name);
      const plan = sub.plan as Parameters<typeof project>[0];
      const right = project(plan, [{ kind: 'alias', arg: colRef(plan.schema[0].name), name }]);
      joined = join(joined, right, 'left', [TRUE], [TRUE], false);
      predicate = replaceNode(predicate, sub, colRef(name));
    }
    return { node: project(filter(joined, predicate), input.schema.map((f) => colRef(f.name))), changed: true };
  },
};
