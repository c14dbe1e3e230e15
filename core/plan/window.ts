// Window: appends window expressions computed over partitions of its input, all sharing one PARTITION BY and ORDER BY.
import { PlanError } from '../../ops/errors.ts';
import { exprName, exprToString, type ExprNode } from '../../ops/expr/node.ts';
import { windowExprType } from '../../ops/expr/typecheck-window.ts';
import type { FieldJSON } from '../../ops/types.ts';
import type { LogicalPlan } from './node.ts';
import { resolveExprs } from './resolve.ts';

export interface Window {
  readonly kind: 'window';
  readonly input: LogicalPlan;
  /** The partition keys every expression shares. */
  readonly partitionBy: readonly ExprNode[];
  /** The order (`sort` nodes) every expression shares; frames may differ. */
  readonly orderBy: readonly ExprNode[];
  /** Each `alias(over(...))`: its spec's partitionBy and orderBy MUST be this node's. */
  readonly exprs: readonly ExprNode[];
  /** The input's fields, then one per expression. */
  readonly schema: readonly FieldJSON[];
}

type Over = ExprNode & { kind: 'over' };

/** The `over` node under an expression's alias. */
export function overOf(e: ExprNode): Over {
  const inner = e.kind === 'alias' ? e.arg : e;
  if (inner.kind !== 'over') throw new PlanError(`window: ${exprToString(e)} is not a window expression (expr.over(windowSpec))`);
  return inner;
}

export function window(input: LogicalPlan, exprs: readonly ExprNode[]): Window {
  if (exprs.length === 0) throw new PlanError('window: needs at least one window expression');
  exprs = resolveExprs(exprs, input.schema);
  const first = overOf(exprs[0]).spec;
  const key = (s: Over['spec']) => JSON.stringify([s.partitionBy, s.orderBy]);
  const names = new Set(input.schema.map((f) => f.name));
  const added: FieldJSON[] = exprs.map((e) => {
    const o = overOf(e);
    if (key(o.spec) !== key(first)) throw new PlanError(`window: ${exprToString(e)} has another PARTITION BY / ORDER BY than ${exprToString(exprs[0])}; one Window node computes one of them`);
    const name = exprName(e);
    if (names.has(name)) throw new PlanError(`window: output column '${name}' already exists; give the window expression another name with .alias('...')`);
    names.add(name);
    return { name, ...windowExprType(o, input.schema) };
  });
  return Object.freeze({ kind: 'window', input, partitionBy: first.partitionBy, orderBy: first.orderBy, exprs, schema: [...input.schema, ...added] });
}
