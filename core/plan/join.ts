// Join: equi-join of two inputs on key expressions, of one of six kinds.
import type { ExprNode } from '../../ops/expr/node.ts';
import type { FieldJSON } from '../../ops/types.ts';
import type { LogicalPlan } from './node.ts';
import { joinFields } from './schema.ts';

export type JoinType = 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti';
/** 'auto' until the ChooseJoinStrategy rule decides from size estimates. */
export type JoinStrategy = 'auto' | 'broadcast' | 'shuffle';

export interface Join {
  readonly kind: 'join';
  readonly left: LogicalPlan;
  readonly right: LogicalPlan;
  readonly how: JoinType;
  readonly leftKeys: readonly ExprNode[];
  readonly rightKeys: readonly ExprNode[];
  /**
   * USING join: key columns of the same name appear once in the output (for full joins,
   * as coalesce(left, right)). Otherwise both sides' columns are kept.
   */
  readonly using: boolean;
  readonly strategy: JoinStrategy;
  readonly schema: readonly FieldJSON[];
}

export function join(left: LogicalPlan, right: LogicalPlan, how: JoinType, leftKeys: readonly ExprNode[],
  rightKeys: readonly ExprNode[], using: boolean, strategy: JoinStrategy = 'auto'): Join {
  const schema = joinFields(left.schema, right.schema, how, leftKeys, rightKeys, using);
  return Object.freeze({ kind: 'join', left, right, how, leftKeys, rightKeys, using, strategy, schema });
}
