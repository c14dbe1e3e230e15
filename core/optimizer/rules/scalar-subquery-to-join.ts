// ScalarSubqueryToJoin: an uncorrelated scalar subquery (in a Filter or a select list) becomes a column of a one-row left join.
import { assertNever } from '../../../ops/errors.ts';
import type { ExprNode } from '../../../ops/expr/node.ts';
import { aggregate } from '../../plan/aggregate.ts';
import { join } from '../../plan/join.ts';
import type { LogicalPlan } from '../../plan/node.ts';
import { project } from '../../plan/project.ts';
import { colRef } from '../expr-utils.ts';
import { unchanged, type OptimizerRule } from '../rule.ts';
import { scalarSubqueriesToJoins, singleValueOf } from '../subquery.ts';

const TRUE: ExprNode = { kind: 'literal', value: true, type: 'bool' };

/** Whether a plan gives at most one row whatever its input (a global aggregate, LIMIT 1). */
function atMostOneRow(p: LogicalPlan): boolean {
  switch (p.kind) {
    case 'aggregate': return p.groupBy.length === 0;
    case 'limit': return p.n <= 1 || atMostOneRow(p.input);
    case 'values': return p.rows <= 1;
    case 'project': case 'filter': case 'sort': case 'subqueryAlias': case 'sample': case 'distinct': case 'repartition': case 'cache': case 'watermark': return atMostOneRow(p.input);
    case 'scan': case 'streamScan': case 'join': case 'union': case 'mapBatches': case 'predict': case 'generate': case 'window': return false;
    default: return assertNever(p, 'plan node');
  }
}

/**
 * `WHERE x > (select avg(y) from t)`: Project(input columns, Filter(x > __sq0,
 * Join(left, input, Project(__sq0, subquery), true = true))). The left join keeps every row
 * when the subquery has none (its value is then null, as in SQL). A subquery that may return
 * more rows is wrapped in a global singleValue aggregate: its one value, or null, or a run-time
 * error for more than one row.
 */
export const ScalarSubqueryToJoin: OptimizerRule = {
  name: 'ScalarSubqueryToJoin',
  rewrite(node) {
    const out = scalarSubqueriesToJoins(node, (s) => s.subquery === 'scalar' && s.outerRefs.length === 0, (joined, sub, name) => {
      const plan = sub.plan as LogicalPlan;
      const v = plan.schema[0].name;
      const right = atMostOneRow(plan) ? project(plan, [{ kind: 'alias', arg: colRef(v), name }]) : aggregate(plan, [], [singleValueOf(v, name)]);
      return { plan: join(joined, right, 'left', [TRUE], [TRUE], false), value: colRef(name) };
    });
    return out ? { node: out, changed: true } : unchanged(node);
  },
};
