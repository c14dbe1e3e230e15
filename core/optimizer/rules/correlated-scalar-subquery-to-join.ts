// CorrelatedScalarSubqueryToJoin: a correlated scalar subquery in a Filter becomes an aggregate grouped by the correlation keys, left-joined.
import { join } from '../../plan/join.ts';
import { colRef } from '../expr-utils.ts';
import { unchanged, type OptimizerRule } from '../rule.ts';
import { regroupScalar, scalarSubqueriesToJoins } from '../subquery.ts';

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
    const out = scalarSubqueriesToJoins(node, (s) => s.subquery === 'scalar' && s.outerRefs.length > 0, (joined, sub, name) => {
      const { plan, outerKeys, keyNames } = regroupScalar(sub, (i) => `${name}_k${i}`, name);
      return join(joined, plan, 'left', outerKeys, keyNames.map(colRef), false);
    });
    return out ? { node: out, changed: true } : unchanged(node);
  },
};
