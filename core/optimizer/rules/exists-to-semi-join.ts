// ExistsToSemiJoin: a Filter's [NOT] EXISTS (subquery) conjunct becomes a semi (anti) join on the correlation keys.
import { filter } from '../../plan/filter.ts';
import { conjoin, splitConjuncts } from '../expr-utils.ts';
import { unchanged, type OptimizerRule } from '../rule.ts';
import { decorrelate, findSubquery, keyedJoin, subqueryConjunct } from '../subquery.ts';
import type { ExprNode } from '../../../ops/expr/node.ts';

/** Join key of an uncorrelated EXISTS: every row matches every row. */
const TRUE: ExprNode = { kind: 'literal', value: true, type: 'bool' };

/**
 * `WHERE EXISTS (select ... where inner.k = outer.k and p)` keeps the rows with a match:
 * Join(semi, input, Filter(p, ...), outer.k = inner.k); NOT EXISTS is the anti join. Correlated
 * conditions other than equalities (`l2.l_suppkey <> l1.l_suppkey`) become the join's condition. Nulls need
 * no care here: a null key matches nothing, so EXISTS is false and NOT EXISTS true, as in SQL.
 */
export const ExistsToSemiJoin: OptimizerRule = {
  name: 'ExistsToSemiJoin',
  rewrite(node) {
    if (node.kind !== 'filter') return unchanged(node);
    // Every EXISTS of this filter at once: a later rule or pass might move what is left.
    const conjuncts = splitConjuncts(node.predicate);
    const subs = conjuncts.map((c) => subqueryConjunct(c, 'exists'));
    if (subs.every((x) => x === null)) return unchanged(node);
    // The other conjuncts without subqueries go under the joins, right over the input:
    // EliminateCrossJoin then sees a FROM clause's joins with their conditions in one Filter
    // (TPC-H Q21), as without subqueries. Those with one stay above the semi joins.
    const plain = (c: ExprNode) => findSubquery(c, () => true) === null;
    const below = conjoin(conjuncts.filter((c, j) => subs[j] === null && plain(c)));
    const above = conjoin(conjuncts.filter((c, j) => subs[j] === null && !plain(c)));
    let joined = below ? filter(node.input, below) : node.input;
    for (const sub of subs) {
      if (sub === null) continue;
      const { plan, outerKeys, innerKeys, residual } = decorrelate(sub);
      // Without keys or a condition (an uncorrelated EXISTS) every row matches every row.
      const keyed = outerKeys.length > 0 || residual.length > 0;
      joined = keyedJoin(joined, plan, sub.negated ? 'anti' : 'semi', keyed ? outerKeys : [TRUE], keyed ? innerKeys : [TRUE], residual, sub.outerRefs);
    }
    return { node: above ? filter(joined, above) : joined, changed: true };
  },
};
