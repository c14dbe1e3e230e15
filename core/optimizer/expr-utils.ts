// Expression helpers shared by the rules: conjunct splitting, column substitution, small builders.
import { transformExpr, type ExprNode } from '../../ops/expr/node.ts';
import type { Project } from '../plan/project.ts';

export const colRef = (name: string): ExprNode => ({ kind: 'column', name });
export const and = (left: ExprNode, right: ExprNode): ExprNode => ({ kind: 'binary', op: 'and', left, right });
export const boolLit = (value: boolean): ExprNode => ({ kind: 'literal', value, type: 'bool' });
export const or = (left: ExprNode, right: ExprNode): ExprNode => ({ kind: 'binary', op: 'or', left, right });

/** `a OR (b OR c)` -> [a, b, c], left to right. */
export function splitDisjuncts(e: ExprNode): ExprNode[] {
  return e.kind === 'binary' && e.op === 'or' ? [...splitDisjuncts(e.left), ...splitDisjuncts(e.right)] : [e];
}

/** `a AND (b AND c)` -> [a, b, c], left to right. */
export function splitConjuncts(e: ExprNode): ExprNode[] {
  return e.kind === 'binary' && e.op === 'and' ? [...splitConjuncts(e.left), ...splitConjuncts(e.right)] : [e];
}

/** Left-deep AND of the conjuncts, dropping exact duplicates; null when there are none. */
export function conjoin(conjuncts: readonly ExprNode[]): ExprNode | null {
  const seen = new Set<string>();
  const unique = conjuncts.filter((c) => {
    const k = exprKey(c);
    return seen.has(k) ? false : (seen.add(k), true);
  });
  return unique.length === 0 ? null : unique.reduce((a, b) => and(a, b));
}

/** Structural identity of an expression (field order is fixed by the builders). */
export const exprKey = (e: ExprNode): string => JSON.stringify(e);

/** The expression under a top-level alias. */
export const stripAlias = (e: ExprNode): ExprNode => (e.kind === 'alias' ? e.arg : e);

/** The input column a projection's output column `name` passes on unchanged (perhaps renamed), or null. */
export function passedColumn(p: Project, name: string): string | null {
  const i = p.schema.findIndex((f) => f.name === name);
  const e = i < 0 ? null : stripAlias(p.exprs[i]);
  return e !== null && e.kind === 'column' ? e.name : null;
}

/**
 * Replaces each column reference for which `f` returns an expression. Replacements are not
 * visited again, so a substitution can never recurse.
 */
export function substituteColumns(e: ExprNode, f: (name: string) => ExprNode | undefined): ExprNode {
  return transformExpr(e, (n) => (n.kind === 'column' ? f(n.name) ?? n : n));
}

export function renameColumns(e: ExprNode, names: ReadonlyMap<string, string>): ExprNode {
  return substituteColumns(e, (n) => {
    const to = names.get(n);
    return to === undefined || to === n ? undefined : colRef(to);
  });
}
