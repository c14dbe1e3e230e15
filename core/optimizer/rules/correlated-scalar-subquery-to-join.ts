// CorrelatedScalarSubqueryToJoin: a correlated scalar subquery (in a Filter or a select list) becomes a value per correlation key, left-joined.
import { join } from '../../plan/join.ts';
import { colRef } from '../expr-utils.ts';
import { unchanged, type OptimizerRule } from '../rule.ts';
import { regroupScalar, scalarSubqueriesToJoins } from '../subquery.ts';

/**
 * `WHERE l_quantity < (select 0.2 * avg(l_quantity) from lineitem where l_partkey = p_partkey)`:
 * the subquery's aggregate is grouped by its side of the correlation (l_partkey), one row per
 * key, and left-joined on p_partkey; the filter (or the select list) then reads the joined
 * value. A key with no rows gets what the subquery gives over no rows: null, or 0 for a count
 * (regroupScalar's marker). A subquery without an aggregate keeps one value per key and fails
 * at run time where a key has more than one.
 */
export const CorrelatedScalarSubqueryToJoin: OptimizerRule = {
  name: 'CorrelatedScalarSubqueryToJoin',
  rewrite(node) {
    const out = scalarSubqueriesToJoins(node, (s) => s.subquery === 'scalar' && s.outerRefs.length > 0, (joined, sub, name) => {
      const { plan, outerKeys, keyNames, value } = regroupScalar(sub, (i) => `${name}_k${i}`, name);
      return { plan: join(joined, plan, 'left', outerKeys, keyNames.map(colRef), false), value };
    });
    return out ? { node: out, changed: true } : unchanged(node);
  },
};
