// Public surface of the logical optimizer.
export { optimize, optimizeWithTrace, DEFAULT_BROADCAST_THRESHOLD_BYTES, DEFAULT_MAX_PASSES } from './optimizer.ts';
export type { OptimizeOptions, OptimizeTrace, RuleFiring } from './optimizer.ts';
export type { ApplyOrder, OptimizerContext, OptimizerRule, RewriteResult } from './rule.ts';
export { planToString, nodeToString } from './display.ts';
export { rebuildNode, withChildren } from './rebuild.ts';
export { createEstimator, estimateStats, maxRows } from './stats.ts';
export type { Statistics } from './stats.ts';
export {
  OPTIMIZER_RULES, ChooseJoinStrategy, CombineFilters, FoldConstants, PruneColumns, PushDownFilter, PushDownLimit,
} from './rules/index.ts';
