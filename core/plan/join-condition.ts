// Splitting a join condition into equality keys (a hash join) and the residual the join evaluates on pairs.
import { columnsOf, transformExpr, type ExprNode } from '../../ops/expr/node.ts';
import { inferField } from '../../ops/expr/typecheck.ts';
import type { FieldJSON } from '../../ops/types.ts';
import { pairSourcesOf } from './join.ts';
import { resolveExpr } from './resolve.ts';
import { checkJoinCondition, joinKeysComparable, joinPairFields } from './schema.ts';

export interface SplitCondition {
  /** Key expressions in each side's own column names. */
  readonly leftKeys: ExprNode[];
  readonly rightKeys: ExprNode[];
  /** Conjuncts over one side only: over the pair fields, and in that side's column names (to push below). */
  readonly leftOnly: { readonly pair: ExprNode; readonly input: ExprNode }[];
  readonly rightOnly: { readonly pair: ExprNode; readonly input: ExprNode }[];
  /** The other conjuncts, over the pair fields (left, then right). */
  readonly residual: ExprNode[];
  /** Every conjunct that is not a key, over the pair fields, in order (leftOnly, rightOnly and residual together). */
  readonly nonKeys: ExprNode[];
}

/** `a AND (b AND c)` -> [a, b, c]. */
export function conjuncts(e: ExprNode): ExprNode[] {
  return e.kind === 'binary' && e.op === 'and' ? [...conjuncts(e.left), ...conjuncts(e.right)] : [e];
}

/**
 * Classifies the conjuncts of `condition`, an expression over joinPairFields(left, right)
 * (qualified names allowed): `l = r` with l over left columns only and r over right columns
 * only (or the reverse), of types a hash join can compare, becomes a key pair; a conjunct over
 * one side only goes to leftOnly/rightOnly; everything else (and conjuncts over no column) is
 * residual. A key never changes the result: a null key never matches, as `=` is never true on null.
 */
export function splitJoinCondition(condition: ExprNode | null, left: readonly FieldJSON[], right: readonly FieldJSON[]): SplitCondition {
  const out: SplitCondition = { leftKeys: [], rightKeys: [], leftOnly: [], rightOnly: [], residual: [], nonKeys: [] };
  if (condition === null) return out;
  checkJoinCondition(condition, left, right);
  const pair = joinPairFields(left, right);
  const sources = new Map(pairSourcesOf(left, right).map((s) => [s.name, s] as const));
  const sideOf = (e: ExprNode): 'left' | 'right' | 'both' | 'none' => {
    const sides = new Set([...columnsOf(e)].map((n) => sources.get(n)?.side ?? 'both'));
    if (sides.size === 0) return 'none';
    return sides.size === 1 ? [...sides][0] : 'both';
  };
  const below = (e: ExprNode): ExprNode => {
    const to = new Map([...columnsOf(e)].map((n) => [n, sources.get(n)!.input] as const));
    return renameAll(e, to);
  };
  for (const c of conjuncts(resolveExpr(condition, pair))) {
    const side = sideOf(c);
    if (side === 'left') { out.leftOnly.push({ pair: c, input: below(c) }); out.nonKeys.push(c); continue; }
    if (side === 'right') { out.rightOnly.push({ pair: c, input: below(c) }); out.nonKeys.push(c); continue; }
    if (c.kind === 'binary' && c.op === 'eq') {
      const l = sideOf(c.left), r = sideOf(c.right);
      const pairKey = l === 'left' && r === 'right' ? [c.left, c.right] : l === 'right' && r === 'left' ? [c.right, c.left] : null;
      if (pairKey && hashable(pairKey[0], pairKey[1], pair)) {
        out.leftKeys.push(below(pairKey[0]));
        out.rightKeys.push(below(pairKey[1]));
        continue;
      }
    }
    out.residual.push(c);
    out.nonKeys.push(c);
  }
  return out;
}

/** Both sides of a key pair are of one primitive type, or both numeric. */
function hashable(l: ExprNode, r: ExprNode, pair: readonly FieldJSON[]): boolean {
  const lt = inferField(l, pair).type, rt = inferField(r, pair).type;
  return typeof lt === 'string' && typeof rt === 'string' && lt !== 'null' && rt !== 'null' && joinKeysComparable(lt, rt);
}

function renameAll(e: ExprNode, to: ReadonlyMap<string, string>): ExprNode {
  return transformExpr(e, (n) => (n.kind === 'column' && to.has(n.name) && to.get(n.name) !== n.name ? { kind: 'column', name: to.get(n.name)! } : n));
}
