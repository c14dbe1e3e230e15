// One SELECT block: FROM, WHERE, GROUP BY, HAVING, the select list, DISTINCT and ORDER BY -> a plan.
import { containsAgg, containsWindow, exprChildren, withExprChildren, type ExprNode } from '../../ops/expr/node.ts';
import { aggregate } from '../plan/aggregate.ts';
import { distinct } from '../plan/distinct.ts';
import { filter } from '../plan/filter.ts';
import type { LogicalPlan } from '../plan/node.ts';
import { project } from '../plan/project.ts';
import { projectWithWindows } from '../plan/window-exprs.ts';
import { sort } from '../plan/sort.ts';
import { exprKey } from '../optimizer/expr-utils.ts';
import type { SqlContext } from './context.ts';
import { at, notSupported, sqlError } from './errors.ts';
import { translateExpr, variant, type ExprContext } from './expr.ts';
import { translateFrom, type QueryTranslator } from './from.ts';
import type { Ast } from './parse.ts';
import { inlineNamedWindows } from './named-windows.ts';
import { Scope } from './scope.ts';
import { scalarOnly, subqueryBuilder, type NestedQueryTranslator } from './subquery.ts';
import { structStar } from './nested.ts';

interface Item { readonly expr: ExprNode; readonly name: string; readonly node: Ast }
type OrderKey = { readonly output: number; readonly node: Ast; readonly opts: Ast } | { readonly expr: ExprNode; readonly node: Ast; readonly opts: Ast };

const col = (name: string): ExprNode => ({ kind: 'column', name });
const alias = (arg: ExprNode, name: string): ExprNode => (arg.kind === 'column' && arg.name === name ? arg : { kind: 'alias', arg, name });

/** Clauses of a SELECT that have no plan here yet: named so the error says which. */
function rejectUnsupported(sel: Ast): void {
  if (sel.distinct && variant(sel.distinct)[0] === 'On') throw notSupported(sel.distinct, 'DISTINCT ON');
  if (sel.top) throw notSupported(sel.top, 'TOP');
  if (sel.into) throw notSupported(sel.into, 'SELECT INTO');
  if (sel.qualify) throw notSupported(sel.qualify, 'QUALIFY');
  if (sel.prewhere) throw notSupported(sel.prewhere, 'PREWHERE');
  if (sel.lateral_views?.length) throw notSupported(sel.lateral_views, 'LATERAL VIEW');
  if (sel.sort_by?.length || sel.cluster_by?.length || sel.distribute_by?.length) throw notSupported(sel, 'SORT/CLUSTER/DISTRIBUTE BY');
  if (sel.connect_by?.length) throw notSupported(sel.connect_by, 'CONNECT BY');
}

/**
 * A SELECT (with the ORDER BY of its query, which may name columns and aggregates the select
 * list does not) over `outer` (the enclosing query's scope for a subquery; null at top level).
 */
export function translateSelect(written: Ast, writtenOrderBy: readonly Ast[], ctx: SqlContext, outer: Scope | null,
  query: QueryTranslator, nested: NestedQueryTranslator): LogicalPlan {
  rejectUnsupported(written);
  const { sel, orderBy } = inlineNamedWindows(written, writtenOrderBy);
  const from = translateFrom(sel.from ?? [], ctx, query);
  const scope = new Scope(from.columns, outer);
  const sub = subqueryBuilder(scope, ctx, nested);
  let plan = from.plan;

  if (sel.selection) {
    const p = translateExpr(sel.selection, { scope, subquery: sub, clause: 'WHERE' });
    if (containsAgg(p)) throw sqlError(sel.selection, 'aggregates are not allowed in WHERE; use HAVING');
    if (containsWindow(p)) throw sqlError(sel.selection, 'window functions are not allowed in WHERE; compute them in a subquery and filter its result');
    plan = at(sel.selection, () => filter(plan, p));
  }

  const plain: ExprContext = { scope, subquery: scalarOnly(sub, 'the select list'), clause: 'the select list' };
  const items: Item[] = [];
  for (const p of sel.projection) {
    const [kind, v] = variant(p);
    if (kind === 'Wildcard' || kind === 'QualifiedWildcard') {
      const opts = kind === 'Wildcard' ? v : v[1];
      if (opts && (opts.opt_exclude || opts.opt_except || opts.opt_replace || opts.opt_rename)) throw notSupported(p, '* with EXCLUDE/EXCEPT/REPLACE/RENAME');
      const fields = kind === 'QualifiedWildcard' ? structStar(objectName(v[0]), scope, p) : null;
      if (fields) { for (const f of fields) items.push({ ...f, node: p }); continue; }
      const cols = kind === 'Wildcard' ? scope.columns.filter((c) => !c.hidden) : scope.columnsOf(objectName(v[0]), p);
      if (cols.length === 0) throw sqlError(p, 'SELECT * needs a FROM clause');
      for (const c of cols) items.push({ expr: col(c.planName), name: c.name, node: p });
    } else if (kind === 'UnnamedExpr') {
      items.push({ expr: translateExpr(v, plain), name: nameOf(v), node: p });
    } else if (kind === 'ExprWithAlias') {
      items.push({ expr: translateExpr(v.expr, plain), name: v.alias.value, node: p });
    } else {
      throw notSupported(p, `select item ${kind}`);
    }
  }
  // The expression each item's name stands for, when ORDER BY or GROUP BY name an alias.
  const byName = (name: string): number => items.findIndex((it) => it.name.toLowerCase() === name.toLowerCase());

  const orderKeys: OrderKey[] = orderBy.map((o) => {
    const ordinal = ordinalOf(o.expr);
    if (ordinal !== null) {
      if (ordinal < 1 || ordinal > items.length) throw sqlError(o.expr, `ORDER BY position ${ordinal} is not in the select list (1 to ${items.length})`);
      return { output: ordinal - 1, node: o.expr, opts: o.options };
    }
    const [k, v] = variant(o.expr);
    if (k === 'Identifier' && byName(v.value) >= 0) return { output: byName(v.value), node: o.expr, opts: o.options };
    return { expr: translateExpr(o.expr, { scope, subquery: null, clause: 'ORDER BY' }), node: o.expr, opts: o.options };
  });

  const groupAst = sel.group_by;
  if (groupAst && variant(groupAst)[0] !== 'Expressions') throw notSupported(groupAst, 'GROUP BY ALL');
  const [groupExprs, modifiers] = groupAst ? variant(groupAst)[1] : [[], []];
  if (modifiers?.length) throw notSupported(groupAst, 'GROUP BY modifiers (ROLLUP, CUBE, TOTALS)');
  const groupKeys: ExprNode[] = groupExprs.map((g: Ast) => {
    const ordinal = ordinalOf(g);
    if (ordinal !== null) {
      if (ordinal < 1 || ordinal > items.length) throw sqlError(g, `GROUP BY position ${ordinal} is not in the select list (1 to ${items.length})`);
      const e = items[ordinal - 1].expr;
      if (containsAgg(e)) throw sqlError(g, `GROUP BY position ${ordinal} refers to an aggregate`);
      return e;
    }
    const [k, v] = variant(g);
    // An input column wins over a select alias of the same name (as in DuckDB and Postgres).
    if (k === 'Identifier' && !scope.has(null, v.value) && byName(v.value) >= 0) return items[byName(v.value)].expr;
    const e = translateExpr(g, { scope, subquery: null, clause: 'GROUP BY' });
    if (containsAgg(e)) throw sqlError(g, 'aggregates are not allowed in GROUP BY');
    return e;
  });

  const having = sel.having ? translateExpr(sel.having, { scope, subquery: sub, clause: 'HAVING' }) : null;
  const aggregating = groupKeys.length > 0 || having !== null || items.some((it) => containsAgg(it.expr))
    || orderKeys.some((k) => 'expr' in k && containsAgg(k.expr));

  let outputs = items.map((it) => ({ ...it }));
  let orders = orderKeys;
  if (aggregating) {
    const keyOut = groupKeys.map((k, i) => (k.kind === 'column' ? k : alias(k, `__group${i}`)));
    const keyIndex = new Map(groupKeys.map((k, i) => [exprKey(k), keyOut[i].kind === 'alias' ? (keyOut[i] as { name: string }).name : (k as { name: string }).name]));
    const aggs = new Map<string, { node: ExprNode; name: string }>();
    const rewrite = (e: ExprNode, where: Ast): ExprNode => {
      const key = keyIndex.get(exprKey(e));
      if (key !== undefined) return col(key);
      // A window over the groups: its function's arguments and its keys are over group keys and aggregates.
      if (e.kind === 'over') {
        const inner = e.arg.kind === 'agg' ? (e.arg.arg ? { ...e.arg, arg: rewrite(e.arg.arg, where) } : e.arg) : withExprChildren(e.arg, exprChildren(e.arg).map((c) => rewrite(c, where)));
        return { ...e, arg: inner, spec: { ...e.spec, partitionBy: e.spec.partitionBy.map((c) => rewrite(c, where)), orderBy: e.spec.orderBy.map((c) => rewrite(c, where)) } };
      }
      if (e.kind === 'agg') {
        const k = exprKey(e);
        if (!aggs.has(k)) aggs.set(k, { node: e, name: `__agg${aggs.size}` });
        return col(aggs.get(k)!.name);
      }
      if (e.kind === 'column') {
        throw sqlError(where, `column '${scope.columns.find((c) => c.planName === e.name)?.name ?? e.name}' must appear in GROUP BY or be used in an aggregate function`);
      }
      const kids = exprChildren(e);
      return kids.length ? withExprChildren(e, kids.map((c) => rewrite(c, where))) : e;
    };
    outputs = items.map((it) => ({ ...it, expr: rewrite(it.expr, it.node) }));
    orders = orderKeys.map((k) => ('expr' in k ? { ...k, expr: rewrite(k.expr, k.node) } : k));
    const havingExpr = having ? rewrite(having, sel.having) : null;
    const aggList = [...aggs.values()].map((a) => alias(a.node, a.name));
    if (keyOut.length === 0 && aggList.length === 0) aggList.push(alias({ kind: 'agg', fn: 'countStar', arg: null }, '__agg0'));
    plan = at(sel, () => aggregate(plan, keyOut, aggList));
    if (havingExpr) plan = at(sel.having, () => filter(plan, havingExpr));
  }

  // Output names must be unique in a plan: a repeated one gets _1, _2 (as DuckDB does).
  const taken = new Set<string>();
  outputs = outputs.map((o) => {
    let name = o.name;
    for (let n = 1; taken.has(name.toLowerCase()); n++) name = `${o.name}_${n}`;
    taken.add(name.toLowerCase());
    return { ...o, name };
  });
  const exprs = outputs.map((o) => alias(o.expr, o.name));
  const hidden: ExprNode[] = [];
  const sortKeys = orders.map((k, i) => {
    let target: string;
    if ('output' in k) target = outputs[k.output].name;
    else {
      const match = outputs.findIndex((o) => exprKey(o.expr) === exprKey(k.expr));
      if (match >= 0) target = outputs[match].name;
      else {
        if (sel.distinct) throw sqlError(k.node, 'with SELECT DISTINCT, ORDER BY expressions must appear in the select list');
        target = `__order${i}`;
        hidden.push(alias(k.expr, target));
      }
    }
    return sortKey(col(target), k.opts);
  });
  plan = at(sel, () => projectWithWindows(plan, [...exprs, ...hidden]));
  if (sel.distinct) plan = distinct(plan);
  if (sortKeys.length) plan = at(orderBy[0], () => sort(plan, sortKeys));
  if (hidden.length) plan = project(plan, outputs.map((o) => col(o.name)));
  return plan;
}

/** An ORDER BY key with SQL's options; DuckDB's default puts nulls last in both directions. */
export function sortKey(e: ExprNode, opts: Ast): ExprNode {
  const ascending = opts?.asc !== false;
  const nullsFirst = opts?.nulls_first === true;
  return { kind: 'sort', arg: e, ascending, nullsFirst };
}

/** `ORDER BY 2` / `GROUP BY 1`: the position, or null when the key is not an integer literal. */
export function ordinalOf(e: Ast): number | null {
  const [k, v] = variant(e);
  if (k !== 'Value') return null;
  const [vk, vv] = variant(v.value);
  return vk === 'Number' && /^\d+$/.test(String(vv[0])) ? Number(vv[0]) : null;
}

export function objectName(n: Ast): string {
  const parts = n.ObjectName ?? n;
  return parts.map((p: Ast) => variant(p)[1].value).join('.');
}

/** The output name of an unaliased select item: a column's name, else the expression's text. */
function nameOf(e: Ast): string {
  const [k, v] = variant(e);
  if (k === 'Identifier') return v.value;
  if (k === 'CompoundIdentifier') return v[v.length - 1].value;
  if (k === 'Nested') return nameOf(v);
  return sqlText(e);
}

const OPS: Record<string, string> = { Plus: '+', Minus: '-', Multiply: '*', Divide: '/', Modulo: '%', Eq: '=', NotEq: '<>', Lt: '<', LtEq: '<=', Gt: '>', GtEq: '>=', And: 'AND', Or: 'OR', StringConcat: '||' };

/** A compact rendering of an expression's source, for output names (`sum(x)`, `count(*)`). */
function sqlText(e: Ast): string {
  const [k, v] = variant(e);
  if (k === 'Function') {
    const name = v.name.map((p: Ast) => variant(p)[1].value).join('.');
    const [ak, list] = variant(v.args);
    if (ak !== 'List') return `${name}()`;
    const args = list.args.map((a: Ast) => { const [ik, x] = variant(variant(a)[1]); return ik === 'Wildcard' ? '*' : sqlText(x); });
    return `${name}(${list.duplicate_treatment === 'Distinct' ? 'DISTINCT ' : ''}${args.join(', ')})`;
  }
  if (k === 'Identifier') return v.value;
  if (k === 'CompoundIdentifier') return v.map((p: Ast) => p.value).join('.');
  if (k === 'Value') { const [vk, vv] = variant(v.value); return vk === 'Number' ? String(vv[0]) : vk === 'SingleQuotedString' ? `'${vv}'` : String(vv); }
  if (k === 'Nested') return `(${sqlText(v)})`;
  if (k === 'BinaryOp') return `${sqlText(v.left)} ${OPS[v.op] ?? v.op} ${sqlText(v.right)}`;
  return k.toLowerCase();
}

