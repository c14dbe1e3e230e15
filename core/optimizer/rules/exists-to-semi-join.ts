// ExistsToSemiJoin: a Filter's [NOT] EXISTS (subquery) conjunct becomes a semi (anti) join on the correlation keys.
import { filter } from '../../plan/filter.ts';
import { join } from '../../plan/join.ts';
import { conjoin, splitConjuncts } from '../expr-utils.ts';
import { unchanged, type OptimizerRule } from '../rule.ts';
import { decorrelate, subqueryConjunct } from '../subquery.ts';
import type { ExprNode } from '../../../ops/expr/node.ts';

/** Join key of an uncorrelated EXISTS: every row matches every row. */
const TRUE: ExprNode = { kind: 'literal', value: true, type: 'bool' };

/**
 * `WHERE EXISTS (select ... where inner.k = outer.k and p)` keeps the rows with a match:
 * Join(semi, input, Filter(p, ...), outer.k = inner.k); NOT EXISTS is the anti join. Nulls need
 * no care here: a null key matches nothing, so EXISTS is false and NOT EXISTS true, as in SQL.
 */
export const ExistsToSemiJoin: OptimizerRule = {
  name: 'ExistsToSemiJoin',
  rewrite(node) {
    if (node.kind !== 'filter') return unchanged(node);
    const conjuncts = splitConjuncts(node.predicate);
    const i = conjuncts.findIndex((c) => subqueryConjunct(c, 'exists') !== null);
    if (i < 0) return unchanged(node);
    const sub = subqueryConjunct(conjuncts[i], 'exists')!;
    const { plan, outerKeys, innerKeys } = decorrelate(sub);
    const keyed = outerKeys.length > 0;
    const joined = join(node.input, plan, sub.negated ? 'anti' : 'semi', keyed ? outerKeys : [TRUE], keyed ? innerKeys : [TRUE], false);
    const rest = conjoin(conjuncts.filter((_, j) => j !== i));
    return { node: rest ? filter(joined, rest) : joined, changed: true };
  },
};
