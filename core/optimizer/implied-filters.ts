// Filters a condition over several relations implies for one of them: `(n1 = 'FRANCE' and n2 = 'GERMANY') or (n1 = 'GERMANY' and n2 = 'FRANCE')` implies `n1 = 'FRANCE' or n1 = 'GERMANY'` for n1's relation.
//
// When every branch of an OR has conjuncts over one relation alone, the OR of those conjuncts
// holds wherever the whole condition does (a row passing the condition passes some branch, and
// so that branch's part). Added as a filter of that relation, it drops rows before any join and
// lets the scan prune row groups; the whole condition stays where it was, so the result is the
// same. TPC-H Q7 (the two nations) and Q19 (part and lineitem bounds per brand) get these;
// Spark's and DuckDB's optimizers derive the same.
import type { ExprNode } from '../../ops/expr/node.ts';
import { conjoin, or, splitConjuncts, splitDisjuncts } from './expr-utils.ts';


/** For each relation `relsOf` finds alone in some conjunct of every branch of `c`, the filter `c` implies for it. */
export function impliedFilters(c: ExprNode, relsOf: (e: ExprNode) => ReadonlySet<number>): { rel: number; filter: ExprNode }[] {
  const branches = splitDisjuncts(c).map(splitConjuncts);
  if (branches.length < 2) return [];
  const alone = (x: ExprNode): number | null => { const s = relsOf(x); return s.size === 1 ? [...s][0] : null; };
  const rels = new Set(branches[0].map(alone).filter((r): r is number => r !== null));
  const out: { rel: number; filter: ExprNode }[] = [];
  for (const rel of rels) {
    const parts = branches.map((b) => conjoin(b.filter((x) => alone(x) === rel)));
    if (parts.every((p) => p !== null)) out.push({ rel, filter: (parts as ExprNode[]).reduce(or) });
  }
  return out;
}
