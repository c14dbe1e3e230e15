// ExtractJoinKeys: a join condition's equalities between the sides become hash keys, its one-side conjuncts move into that input.
import type { ExprNode } from '../../../ops/expr/node.ts';
import { join } from '../../plan/join.ts';
import { splitJoinCondition } from '../../plan/join-condition.ts';
import { filter } from '../../plan/filter.ts';
import type { LogicalPlan } from '../../plan/node.ts';
import { conjoin } from '../expr-utils.ts';
import { unchanged, type OptimizerRule } from '../rule.ts';

/**
 * For a join with a residual condition (join.filter): each conjunct `l = r` with l over the
 * left input and r over the right one (types a hash join compares) becomes a key pair, so the
 * join runs as a hash join instead of testing every pair. A conjunct over one input only is
 * pushed into that input where it cannot change which rows the join keeps: either input of an
 * inner join, the null-supplying input of an outer join (the ON clause of Q13's `left join
 * orders on ... and o_comment not like ...`), both inputs of a semi join and the right one of an
 * anti join. The rest stays in the join, evaluated on candidate pairs.
 */
export const ExtractJoinKeys: OptimizerRule = {
  name: 'ExtractJoinKeys',
  rewrite(node) {
    if (node.kind !== 'join' || node.filter === null || node.using) return unchanged(node);
    const j = node;
    const split = splitJoinCondition(j.filter, j.left.schema, j.right.schema);
    const pushLeft = j.how === 'inner' || j.how === 'right' || j.how === 'semi';
    const pushRight = j.how === 'inner' || j.how === 'left' || j.how === 'semi' || j.how === 'anti';
    if (split.leftKeys.length === 0 && !(pushLeft && split.leftOnly.length) && !(pushRight && split.rightOnly.length)) return unchanged(node);
    const kept = [...split.residual, ...(pushLeft ? [] : split.leftOnly.map((c) => c.pair)), ...(pushRight ? [] : split.rightOnly.map((c) => c.pair))];
    const left = withFilter(j.left, pushLeft ? split.leftOnly.map((c) => c.input) : []);
    const right = withFilter(j.right, pushRight ? split.rightOnly.map((c) => c.input) : []);
    return {
      node: join(left, right, j.how, [...j.leftKeys, ...split.leftKeys], [...j.rightKeys, ...split.rightKeys], false, j.strategy, conjoin(kept)),
      changed: true,
    };
  },
};

function withFilter(input: LogicalPlan, conjuncts: readonly ExprNode[]): LogicalPlan {
  const p = conjoin(conjuncts);
  return p === null ? input : filter(input, p);
}
