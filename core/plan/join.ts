// Join: two inputs joined on equality keys and/or a residual condition, of one of six kinds.
//
// A (left row, right row) pair matches when every leftKeys[i] = rightKeys[i] (a null key never
// matches) and `filter` is true on the pair (null counts as false). Keys run as a hash join;
// the filter is evaluated inside the join operator on the pairs the keys admit, so for outer,
// semi and anti joins it decides matching (it is not a filter after the join). No keys: a
// nested-loop join (no keys and no filter: the cartesian product, df.crossJoin).
import { checkKeyTypes } from './key-types.ts';
import type { ExprNode } from '../../ops/expr/node.ts';
import type { FieldJSON } from '../../ops/types.ts';
import { PlanError } from '../../ops/errors.ts';
import type { LogicalPlan } from './node.ts';
import { resolveExpr, resolveExprs } from './resolve.ts';
import { checkJoinCondition, checkPredicate, joinFields, joinPairFields } from './schema.ts';

export type JoinType = 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti';
/**
 * 'auto' until the ChooseJoinStrategy rule decides from size estimates. 'shuffle' for a join
 * without keys gathers both inputs into one partition. 'adaptive' (only ChooseJoinStrategy
 * chooses it): planned as 'shuffle', but the scheduler runs it as a broadcast join when the build
 * side's shuffle output turns out small (core/scheduler/adaptive-join.ts).
 */
export type JoinStrategy = 'auto' | 'broadcast' | 'shuffle' | 'adaptive';

export interface Join {
  readonly kind: 'join';
  readonly left: LogicalPlan;
  readonly right: LogicalPlan;
  readonly how: JoinType;
  /** Equality keys, over the left and the right input; may be empty. */
  readonly leftKeys: readonly ExprNode[];
  readonly rightKeys: readonly ExprNode[];
  /** Residual condition over joinPairFields(left, right) (left columns, then right); null = none. */
  readonly filter: ExprNode | null;
  /**
   * USING join: key columns of the same name appear once in the output (for full joins,
   * as coalesce(left, right)). Otherwise both sides' columns are kept.
   */
  readonly using: boolean;
  readonly strategy: JoinStrategy;
  readonly schema: readonly FieldJSON[];
}

export function join(left: LogicalPlan, right: LogicalPlan, how: JoinType, leftKeys: readonly ExprNode[],
  rightKeys: readonly ExprNode[], using: boolean, strategy: JoinStrategy = 'auto', filter: ExprNode | null = null): Join {
  // USING keys are names present on both sides: resolving them against one side is enough.
  const lk = using ? leftKeys : resolveExprs(leftKeys, left.schema);
  const rk = using ? rightKeys : resolveExprs(rightKeys, right.schema);
  const schema = joinFields(left.schema, right.schema, how, lk, rk, using);
  checkKeyTypes('join on', lk, left.schema);
  let f: ExprNode | null = null;
  if (filter !== null) {
    if (using) throw new PlanError('join: a USING join (join on column names) cannot have a further condition; join on an expression instead');
    checkJoinCondition(filter, left.schema, right.schema);
    const pair = joinPairFields(left.schema, right.schema);
    f = resolveExpr(filter, pair);
    checkPredicate(f, pair, 'join condition');
  }
  return Object.freeze({ kind: 'join', left, right, how, leftKeys: lk, rightKeys: rk, filter: f, using, strategy, schema });
}

/** A join with neither keys nor a condition: every left row with every right row. */
export const isCrossJoin = (j: Join): boolean => j.leftKeys.length === 0 && j.filter === null;

/** Where a field of a join's pair fields comes from: its side and its name there. */
export interface PairSource {
  readonly name: string;
  readonly side: 'left' | 'right';
  readonly input: string;
}

/** Where each field of joinPairFields(j.left, j.right) comes from. */
export function pairSources(j: Join): PairSource[] {
  const usingNames = new Set(j.using ? j.leftKeys.map((k) => (k.kind === 'column' ? k.name : '')) : []);
  return pairSourcesOf(j.left.schema, j.right.schema, usingNames);
}

/** Where each field of joinPairFields(left, right, usingNames) comes from. */
export function pairSourcesOf(left: readonly FieldJSON[], right: readonly FieldJSON[], usingNames: ReadonlySet<string> = new Set()): PairSource[] {
  const rightKept = right.filter((f) => !usingNames.has(f.name));
  const pair = joinPairFields(left, right, usingNames);
  return pair.map((f, i) => (i < left.length
    ? { name: f.name, side: 'left' as const, input: left[i].name }
    : { name: f.name, side: 'right' as const, input: rightKept[i - left.length].name }));
}
