// The contract between the optimizer driver and its rules: OptimizerRule and OptimizerContext.
import type { LogicalPlan } from '../plan/node.ts';
import type { Statistics } from './stats.ts';

/** What the rules may read besides the plan: configuration and size estimates. */
export interface OptimizerContext {
  /** Joins whose build side is estimated at most this many bytes are broadcast; < 0 disables. */
  readonly broadcastThresholdBytes: number;
  /** Whether the scheduler adapts 'adaptive' joins at run time, to a broadcast or a probe-side key filter (else ChooseJoinStrategy never chooses it). */
  readonly adaptiveJoins: boolean;
  /** Size estimate of a subtree (memoized by node; nodes are immutable). */
  estimate(node: LogicalPlan): Statistics;
}

export interface RewriteResult {
  readonly node: LogicalPlan;
  /** MUST be true exactly when `node` differs from the input; the driver's fixpoint relies on it. */
  readonly changed: boolean;
}

/**
 * How the driver applies a rule. 'topDown': `rewrite` sees every node, parents before children
 * (the driver recurses into the children of what `rewrite` returned). 'root': `rewrite` is called
 * once per pass on the whole plan and does its own recursion (for rules that need what the
 * parents require, such as column pruning).
 */
export type ApplyOrder = 'topDown' | 'root';

/**
 * One rewrite of the logical plan. `rewrite` MUST return a node with the same output column
 * names and types as its input (the driver checks this and throws InternalError otherwise),
 * MUST NOT widen nullability (a parent's expressions were checked against the old schema), and MUST
 * return the very same object when it changes nothing. Rebuild nodes through the constructors
 * in core/plan so derived schemas stay right.
 */
export interface OptimizerRule {
  readonly name: string;
  /** Defaults to 'topDown'. */
  readonly applyOrder?: ApplyOrder;
  rewrite(node: LogicalPlan, ctx: OptimizerContext): RewriteResult;
}

export const unchanged = (node: LogicalPlan): RewriteResult => ({ node, changed: false });
export const rewritten = (before: LogicalPlan, node: LogicalPlan): RewriteResult => ({ node, changed: node !== before });
