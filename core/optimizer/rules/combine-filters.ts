// CombineFilters: a chain Filter(Filter(...(x))) becomes one Filter with the predicates ANDed.
import { filter } from '../../plan/filter.ts';
import type { LogicalPlan } from '../../plan/node.ts';
import { conjoin, splitConjuncts } from '../expr-utils.ts';
import { unchanged, type OptimizerRule } from '../rule.ts';
import type { ExprNode } from '../../../ops/expr/node.ts';

export const CombineFilters: OptimizerRule = {
  name: 'CombineFilters',
  rewrite(node) {
    if (node.kind !== 'filter' || node.input.kind !== 'filter') return unchanged(node);
    // Innermost predicate first, as the rows met them; duplicates collapse.
    const stack: ExprNode[][] = [];
    let base: LogicalPlan = node;
    while (base.kind === 'filter') {
      stack.push(splitConjuncts(base.predicate));
      base = base.input;
    }
    const predicate = conjoin(stack.reverse().flat())!;
    return { node: filter(base, predicate), changed: true };
  },
};
