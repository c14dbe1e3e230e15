// A query: WITH, the body (SELECT, VALUES, or UNION / INTERSECT / EXCEPT [ALL]), ORDER BY, LIMIT/OFFSET -> a logical plan.
import { distinct } from '../plan/distinct.ts';
import { limit } from '../plan/limit.ts';
import type { LogicalPlan } from '../plan/node.ts';
import { project } from '../plan/project.ts';
import { sort } from '../plan/sort.ts';
import { union } from '../plan/union.ts';
import { setOperation } from '../plan/set-operations.ts';
import type { ExprNode } from '../../ops/expr/node.ts';
import { withCtes, type SqlContext } from './context.ts';
import { at, notSupported, sqlError } from './errors.ts';
import { variant } from './expr.ts';
import type { Ast } from './parse.ts';
import type { Scope } from './scope.ts';
import { translateValues } from './values.ts';
import { ordinalOf, sortKey, translateSelect } from './select.ts';

const col = (name: string): ExprNode => ({ kind: 'column', name });

/** Translates a query; `outer` is the enclosing query's scope for a subquery in an expression. */
export function translateQuery(q: Ast, ctx: SqlContext, outer: Scope | null): LogicalPlan {
  if (q.fetch) throw notSupported(q.fetch, 'FETCH');
  if (q.for_clause) throw notSupported(q.for_clause, 'FOR clauses');
  let inner = ctx;
  if (q.with) {
    if (q.with.recursive) throw notSupported(q.with, 'WITH RECURSIVE');
    const ctes = new Map(ctx.ctes);
    for (const cte of q.with.cte_tables) {
      const name: string = cte.alias.name.value;
      let plan = translateQuery(cte.query, withCtes(ctx, ctes), null);
      const cols: string[] = (cte.alias.columns ?? []).map((c: Ast) => (c.name ?? c).value);
      if (cols.length > plan.schema.length) throw sqlError(cte.alias.name, `WITH ${name} names ${cols.length} columns but its query returns ${plan.schema.length}`);
      if (cols.length) {
        const source = plan;
        plan = at(cte.alias.name, () => project(source, source.schema.map((f, i) => (i < cols.length && cols[i] !== f.name ? { kind: 'alias', arg: col(f.name), name: cols[i] } : col(f.name)))));
      }
      ctes.set(name.toLowerCase(), plan);
    }
    inner = withCtes(ctx, ctes);
  }
  const orderBy: Ast[] = q.order_by ? orderByExprs(q.order_by) : [];
  const [bodyKind, body] = variant(q.body);
  let plan: LogicalPlan;
  if (bodyKind === 'Select') {
    plan = translateSelect(body, orderBy, inner, outer, (sub, c) => translateQuery(sub, c, null), translateQuery);
  } else {
    plan = setExpr(q.body, inner, outer);
    if (orderBy.length) {
      const names = plan.schema.map((f) => f.name);
      const keys = orderBy.map((o) => {
        const ordinal = ordinalOf(o.expr);
        const [k, v] = variant(o.expr);
        const i = ordinal !== null ? ordinal - 1 : k === 'Identifier' ? names.findIndex((n) => n.toLowerCase() === String(v.value).toLowerCase()) : -1;
        if (i < 0 || i >= names.length) throw sqlError(o.expr, `ORDER BY after UNION must name an output column or position: ${names.join(', ')}`);
        return sortKey(col(names[i]), o.options);
      });
      const input = plan;
      plan = at(orderBy[0], () => sort(input, keys));
    }
  }
  return q.limit_clause ? limitClause(plan, q.limit_clause) : plan;
}

function orderByExprs(o: Ast): Ast[] {
  const [k, v] = variant(o.kind);
  if (k !== 'Expressions') throw notSupported(o, 'ORDER BY ALL');
  if (o.interpolate) throw notSupported(o, 'INTERPOLATE');
  for (const e of v) if (e.with_fill) throw notSupported(e.expr, 'WITH FILL');
  return v;
}

function setExpr(body: Ast, ctx: SqlContext, outer: Scope | null): LogicalPlan {
  const [k, v] = variant(body);
  switch (k) {
    case 'Select': return translateSelect(v, [], ctx, outer, (sub, c) => translateQuery(sub, c, null), translateQuery);
    case 'Query': return translateQuery(v, ctx, outer);
    case 'SetOperation': {
      const quant = String(v.set_quantifier);
      if (quant !== 'All' && quant !== 'Distinct' && quant !== 'None') throw notSupported(body, `${String(v.op).toUpperCase()} ${quant.toUpperCase()}`);
      const all = quant === 'All';
      const left = setExpr(v.left, ctx, outer), right = setExpr(v.right, ctx, outer);
      switch (v.op) {
        case 'Union': {
          const rows = at(body, () => union([left, right]));
          return all ? rows : distinct(rows);
        }
        case 'Intersect': return at(body, () => setOperation('intersect', all, left, right));
        case 'Except': case 'Minus': return at(body, () => setOperation('except', all, left, right));
        default: throw notSupported(body, String(v.op).toUpperCase());
      }
    }
    case 'Values': return translateValues(v, body, ctx);
    default: throw notSupported(body, k);
  }
}

function limitClause(plan: LogicalPlan, clause: Ast): LogicalPlan {
  const [k, v] = variant(clause);
  if (k !== 'LimitOffset') throw notSupported(clause, 'LIMIT offset, count');
  if (v.limit_by?.length) throw notSupported(clause, 'LIMIT BY');
  const n = v.limit ? count(v.limit, 'LIMIT') : Number.MAX_SAFE_INTEGER;
  const offset = v.offset ? count(v.offset.value, 'OFFSET') : 0;
  return limit(plan, n, offset);
}

function count(e: Ast, what: string): number {
  const n = ordinalOf(e);
  if (n === null) throw sqlError(e, `${what} must be a non-negative integer constant`);
  return n;
}
