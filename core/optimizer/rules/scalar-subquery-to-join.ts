// ScalarSubqueryToJoin: an uncorrelated scalar subquery in a Filter becomes a column of a one-row left join.
import type { ExprNode } from '../../../ops/expr/node.ts';
import { join } from '../../plan/join.ts';
import { project } from '../../plan/project.ts';
import { colRef } from '../expr-utils.ts';
import { unchanged, type OptimizerRule } from '../rule.ts';
import { scalarSubqueriesToJoins } from '../subquery.ts';

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
    const out = scalarSubqueriesToJoins(node, (s) => s.subquery === 'scalar' && s.outerRefs.length === 0, (joined, sub, name) => {
      const plan = sub.plan as Parameters<typeof project>[0];
      const right = project(plan, [{ kind: 'alias', arg: colRef(plan.schema[0].name), name }]);
      return join(joined, right, 'left', [TRUE], [TRUE], false);
    });
    return out ? { node: out, changed: true } : unchanged(node);
  },
};
