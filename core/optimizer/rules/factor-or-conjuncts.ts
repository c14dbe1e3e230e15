// FactorOrConjuncts: conditions common to every branch of an OR in a Filter move out of it, `(a and b) or (a and c)` -> `a and (b or c)`.
import type { ExprNode } from '../../../ops/expr/node.ts';
import { filter } from '../../plan/filter.ts';
import { conjoin, exprKey, or, splitConjuncts, splitDisjuncts } from '../expr-utils.ts';
import { unchanged, type OptimizerRule } from '../rule.ts';


/** `c` with the conjuncts every branch shares factored out; null when there are none. */
function factor(c: ExprNode): ExprNode[] | null {
  const branches = splitDisjuncts(c).map(splitConjuncts);
  if (branches.length < 2) return null;
  const common = branches[0].filter((x) => branches.every((b) => b.some((y) => exprKey(y) === exprKey(x))));
  if (common.length === 0) return null;
  const keys = new Set(common.map(exprKey));
  const rests = branches.map((b) => b.filter((x) => !keys.has(exprKey(x))));
  // A branch with nothing left is just `common`, which absorbs the others (a or (a and c) = a).
  if (rests.some((r) => r.length === 0)) return common;
  return [...common, rests.map((r) => conjoin(r)!).reduce(or)];
}

/**
 * Distributivity and absorption hold in SQL's three-valued logic, so the rewrite keeps which
 * rows pass. It lets the join rules see a join key written in every branch (TPC-H Q19's
 * `p_partkey = l_partkey`), which would otherwise leave a cross join under the OR.
 */
export const FactorOrConjuncts: OptimizerRule = {
  name: 'FactorOrConjuncts',
  rewrite(node) {
    if (node.kind !== 'filter') return unchanged(node);
    let changed = false;
    const out: ExprNode[] = [];
    for (const c of splitConjuncts(node.predicate)) {
      const f = factor(c);
      if (f) { changed = true; out.push(...f); } else out.push(c);
    }
    return changed ? { node: filter(node.input, conjoin(out)!), changed: true } : unchanged(node);
  },
};
