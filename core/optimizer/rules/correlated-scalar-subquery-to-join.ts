// CorrelatedScalarSubqueryToJoin: a correlated scalar subquery in a Filter becomes an aggregate grouped by the correlation keys, left-joined.
import type { SubqueryExpr } from '../../../ops/expr/node.ts';
import { filter } from '../../plan/filter.ts';
import { join } from '../../plan/join.ts';
import { project } from '../../plan/project.ts';
import { colRef } from '../expr-utils.ts';
import { unchanged, type OptimizerRule } from '../rule.ts';
import { findSubquery, freshName, regroupScalar, replaceNode } from '../subquery.ts';

/**
 * `WHERE l_quantity < (select 0.2 * avg(l_quantity) from lineitem where l_partkey = p_partkey)`:
 * the subquery's aggregate is grouped by its side of the correlation (l_partkey), one row per
 * key, and left-joined on p_partkey; the filter then reads the joined value, and a projection
 * restores the input's columns. A key with no rows gets null, which is what the subquery gives;
 * counting aggregates (0 for no rows) are refused by regroupScalar.
 */
export const CorrelatedScalarSubqueryToJoin: OptimizerRule = {
  name: 'CorrelatedScalarSubqueryToJoin',
  rewrite(node) {
    if (node.kind !== 'filter') return unchanged(node);
    // Every one in this filter at once: a later rule or pass might move what is left.
    const test = (s: SubqueryExpr): boolean => s.subquery === 'scalar' && s.outerRefs.length > 0;
    if (!findSubquery(node.predicate, test)) return unchanged(node);
    const input = node.input;
    const taken = new Set(input.schema.map((f) => f.name));
    let joined = input, predicate = node.predicate;
    for (let sub = findSubquery(predicate, test); sub; sub = findSubquery(predicate, test)) {
      const name = freshName('__sq', taken);
      taken.add(name);
      const { plan, outerKeys, keyNames } = regroupScalar(sub, (i) => `${name}_k${i}`, name);
      joined = join(joined, plan, 'left', outerKeys, keyNames.map(colRef), false);
      predicate = replaceNode(predicate, sub, colRef(name));
    }
    return { node: project(filter(joined, predicate), input.schema.map((f) => colRef(f.name))), changed: true };
  },
};
