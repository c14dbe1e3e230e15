// FoldConstants: evaluates literal-only subexpressions at plan time and simplifies AND/OR with literals.
import { assertNever } from '../../../ops/errors.ts';
import { exprName, transformExpr, type ExprNode } from '../../../ops/expr/node.ts';
import { canCast, typeOf } from '../../../ops/expr/typecheck.ts';
import { typeEquals, type FieldJSON } from '../../../ops/types.ts';
import { aggregate } from '../../plan/aggregate.ts';
import { filter } from '../../plan/filter.ts';
import { project } from '../../plan/project.ts';
import { repartition } from '../../plan/repartition.ts';
import { scan } from '../../plan/scan.ts';
import { sort } from '../../plan/sort.ts';
import { boolLit, exprKey } from '../expr-utils.ts';
import { unchanged, type OptimizerRule } from '../rule.ts';
import { foldLiteralExpr, isLiteral } from '../scalar.ts';

type Fields = readonly FieldJSON[];

const isTrue = (e: ExprNode): boolean => e.kind === 'literal' && e.value === true;
const sameList = (a: readonly ExprNode[], b: readonly ExprNode[]): boolean => a.every((x, i) => x === b[i]);

export const FoldConstants: OptimizerRule = {
  name: 'FoldConstants',
  rewrite(node) {
    switch (node.kind) {
      case 'filter': {
        const p = fold(node.predicate, node.input.schema);
        if (isTrue(p)) return { node: node.input, changed: true };
        // Filter(false) stays: replacing it by an empty table would need a resource to read.
        return exprKey(p) === exprKey(node.predicate) ? unchanged(node) : { node: filter(node.input, p), changed: true };
      }
      case 'project': {
        const exprs = node.exprs.map((e) => foldNamed(e, node.input.schema));
        return sameList(exprs, node.exprs) ? unchanged(node) : { node: project(node.input, exprs), changed: true };
      }
      case 'aggregate': {
        const groupBy = node.groupBy.map((e) => foldNamed(e, node.input.schema));
        const aggs = node.aggs.map((e) => foldAgg(e, node.input.schema));
        if (sameList(groupBy, node.groupBy) && sameList(aggs, node.aggs)) return unchanged(node);
        return { node: aggregate(node.input, groupBy, aggs), changed: true };
      }
      case 'sort': {
        const keys = node.keys.map((k) => (k.kind === 'sort' ? withArg(k, foldTyped(k.arg, node.input.schema)) : foldTyped(k, node.input.schema)));
        return sameList(keys, node.keys) ? unchanged(node) : { node: sort(node.input, keys), changed: true };
      }
      case 'repartition': {
        const keys = node.keys.map((k) => foldTyped(k, node.input.schema));
        return sameList(keys, node.keys) ? unchanged(node) : { node: repartition(node.input, node.n, keys), changed: true };
      }
      case 'scan': {
        const folded = node.filters.map((f) => fold(f, node.fileSchema));
        const filters = folded.filter((f) => !isTrue(f));
        if (filters.length === node.filters.length && folded.every((f, i) => exprKey(f) === exprKey(node.filters[i]))) return unchanged(node);
        return { node: scan(node.source, node.fileSchema, node.projection, filters, node.limit), changed: true };
      }
      // Join keys are columns in practice; folding them would only risk the USING names.
      case 'join': case 'values': case 'streamScan': case 'limit': case 'distinct': case 'union': case 'mapBatches': case 'predict': case 'cache': case 'subqueryAlias': case 'sample': case 'generate': case 'window': case 'watermark': return unchanged(node);
      default: return assertNever(node, 'plan node');
    }
  },
};

function withArg<T extends ExprNode & { arg: ExprNode }>(e: T, arg: ExprNode): ExprNode {
  return arg === e.arg ? e : ({ ...e, arg } as ExprNode);
}

/**
 * Bottom-up: literal-only nodes become literals, AND/OR with a literal operand simplify. `fields`
 * are the columns `e` reads. The result has the type of `e`.
 */
export function foldExpr(e: ExprNode, fields: Fields): ExprNode {
  return fold(e, fields);
}

function fold(e: ExprNode, fields: Fields): ExprNode {
  return transformExpr(e, (n) => foldLiteralExpr(n) ?? simplifyBoolean(n, fields) ?? n);
}

/**
 * `x AND true` -> x, `x AND false` -> false, `x OR false` -> x, `x OR true` -> true (either
 * order). Kleene logic makes the false/true cases hold even when x is null. `x` replaces the
 * whole only when it is itself bool (not the null type), so the type stays.
 */
function simplifyBoolean(n: ExprNode, fields: Fields): ExprNode | null {
  if (n.kind !== 'binary' || (n.op !== 'and' && n.op !== 'or')) return null;
  const [lit, other] = isLiteral(n.left) ? [n.left, n.right] : isLiteral(n.right) ? [n.right, n.left] : [null, null];
  if (lit === null || other === null || typeof lit.value !== 'boolean') return null;
  const absorbing = n.op === 'and' ? false : true;
  if (lit.value === absorbing) return boolLit(absorbing);
  return typeEquals(typeOf(other, fields).type, 'bool') ? other : null;
}

/** Folded, with a cast back when the type moved (it should not; this keeps the schema exact). */
function foldTyped(e: ExprNode, fields: Fields): ExprNode {
  const f = fold(e, fields);
  if (exprKey(f) === exprKey(e)) return e;
  const t = typeOf(e, fields).type;
  if (typeEquals(typeOf(f, fields).type, t)) return f;
  return canCast(typeOf(f, fields).type, t) ? { kind: 'cast', arg: f, to: t } : e;
}

/** An output expression (project, group key) keeps its output name: aliased when it would change. */
function foldNamed(e: ExprNode, fields: Fields): ExprNode {
  if (e.kind === 'alias') return withArg(e, foldTyped(e.arg, fields));
  const f = foldTyped(e, fields);
  return f === e || exprName(f) === exprName(e) ? f : { kind: 'alias', arg: f, name: exprName(e) };
}

/** `agg(arg)` or `alias(agg(arg))`: only the argument folds; the output name stays. */
function foldAgg(e: ExprNode, fields: Fields): ExprNode {
  const inner = e.kind === 'alias' ? e.arg : e;
  if (inner.kind !== 'agg' || inner.arg === null) return e;
  const arg = foldTyped(inner.arg, fields);
  if (arg === inner.arg) return e;
  const agg: ExprNode = { ...inner, arg };
  return e.kind === 'alias' ? { ...e, arg: agg } : { kind: 'alias', arg: agg, name: exprName(e) };
}
