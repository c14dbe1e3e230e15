// InSubqueryToSemiJoin: a Filter's `x [NOT] IN (subquery)` conjunct becomes a semi (anti) join on x and the correlation keys.
import type { ExprNode, SubqueryExpr } from '../../../ops/expr/node.ts';
import { typeOf } from '../../../ops/expr/typecheck.ts';
import { aggregate } from '../../plan/aggregate.ts';
import { filter } from '../../plan/filter.ts';
import type { LogicalPlan } from '../../plan/node.ts';
import { project } from '../../plan/project.ts';
import { colRef, conjoin, splitConjuncts } from '../expr-utils.ts';
import { unchanged, type OptimizerRule } from '../rule.ts';
import { decorrelate, findSubquery, keyedJoin, subqueryConjunct } from '../subquery.ts';

const lit0: ExprNode = { kind: 'literal', value: 0, type: 'int32' };
const bin = (op: 'eq' | 'or' | 'and' | 'sub', left: ExprNode, right: ExprNode): ExprNode => ({ kind: 'binary', op, left, right });

/** An uncorrelated scalar subquery over `plan` computing `value` from count(*) `n` and count(v) `nv`. */
function countOf(plan: LogicalPlan, v: string, value: (n: ExprNode, nv: ExprNode) => ExprNode): SubqueryExpr {
  const counts = aggregate(plan, [], [
    { kind: 'alias', arg: { kind: 'agg', fn: 'countStar', arg: null }, name: 'n' },
    { kind: 'alias', arg: { kind: 'agg', fn: 'count', arg: colRef(v) }, name: 'nv' },
  ]);
  const one = project(counts, [{ kind: 'alias', arg: value(colRef('n'), colRef('nv')), name: 'c' }]);
  return { kind: 'subquery', subquery: 'scalar', plan: one, arg: null, negated: false, outerRefs: [], type: one.schema[0].type };
}

/**
 * A correlated `x NOT IN (...)` where x or v may be null: a row goes when some row of its
 * subquery has `x = v` not false (equal, or either side null), so the anti join's condition is
 * `x = v OR x IS NULL OR v IS NULL` beside the correlation keys. x joins the outer values read
 * through outerRef, so keyedJoin's renaming of inner columns never touches it.
 */
function nullAwareAnti(input: LogicalPlan, plan: LogicalPlan, sub: SubqueryExpr, outerKeys: ExprNode[], innerKeys: ExprNode[], residual: ExprNode[]): LogicalPlan {
  const t = typeOf(sub.arg!, input.schema);
  const x: ExprNode = { kind: 'outerRef', index: sub.outerRefs.length, name: '__notInValue', type: t.type, nullable: t.nullable };
  const v = colRef(plan.schema[0].name);
  const unknown = bin('or', bin('or', bin('eq', x, v), { kind: 'unary', op: 'isNull', arg: x }), { kind: 'unary', op: 'isNull', arg: v });
  return keyedJoin(input, plan, 'anti', outerKeys, innerKeys, [...residual, unknown], [...sub.outerRefs, sub.arg!]);
}

/**
 * `x IN (select v ... where inner.k = outer.k)`: Join(semi, input, sub, [x, outer.k] = [v, inner.k]).
 * `x NOT IN (...)` is the anti join only when neither x nor v can be null; otherwise SQL's three
 * values apply (one null v makes every row unknown, a null x is unknown unless the subquery is
 * empty): uncorrelated, the filter above the anti join says so with two scalar subqueries
 * (which ScalarSubqueryToJoin then plans); correlated, nullAwareAnti's condition does.
 */
export const InSubqueryToSemiJoin: OptimizerRule = {
  name: 'InSubqueryToSemiJoin',
  rewrite(node) {
    if (node.kind !== 'filter') return unchanged(node);
    // Every IN of this filter at once: a later rule or pass might move what is left.
    const conjuncts = splitConjuncts(node.predicate);
    const subs = conjuncts.map((c) => subqueryConjunct(c, 'in'));
    if (subs.every((x) => x === null)) return unchanged(node);
    // The other conjuncts without subqueries go under the joins, right over the input (see
    // ExistsToSemiJoin); those with one (TPC-H Q20's scalar subquery) and the null tests a NOT IN
    // adds go above them, so a scalar subquery's join sees the rows the semi joins keep.
    const plain = (c: ExprNode) => findSubquery(c, () => true) === null;
    const others = conjoin(conjuncts.filter((c, j) => subs[j] === null && plain(c)));
    const rest: ExprNode[] = conjuncts.filter((c, j) => subs[j] === null && !plain(c));
    let joined = others ? filter(node.input, others) : node.input;
    for (const sub of subs) {
      if (sub === null) continue;
      const { plan, outerKeys, innerKeys, residual } = decorrelate(sub);
      const v = plan.schema[0];
      const arg = sub.arg!;
      const nullable = sub.negated && (typeOf(arg, node.input.schema).nullable || v.nullable);
      if (nullable && (outerKeys.length > 0 || residual.length > 0)) {
        joined = nullAwareAnti(joined, plan, sub, outerKeys, innerKeys, residual);
        continue;
      }
      const leftKeys = [arg, ...outerKeys], rightKeys = [colRef(v.name), ...innerKeys];
      joined = keyedJoin(joined, plan, sub.negated ? 'anti' : 'semi', leftKeys, rightKeys, residual, sub.outerRefs);
      if (!nullable) continue;
      const noNulls = bin('eq', countOf(plan, v.name, (n, nv) => bin('sub', n, nv)), lit0);
      if (!typeOf(arg, node.input.schema).nullable) { rest.push(noNulls); continue; }
      const empty = bin('eq', countOf(plan, v.name, (n) => n), lit0);
      rest.push(bin('and', noNulls, bin('or', { kind: 'unary', op: 'isNotNull', arg }, empty)));
    }
    const p = conjoin(rest);
    return { node: p ? filter(joined, p) : joined, changed: true };
  },
};
