// FROM: tables, CTEs, derived tables and joins -> a plan and the Scope of its columns.
import { columnsOf, type ExprNode } from '../../ops/expr/node.ts';
import { project } from '../plan/project.ts';
import { filter } from '../plan/filter.ts';
import { join, type JoinType } from '../plan/join.ts';
import type { LogicalPlan } from '../plan/node.ts';
import { conjoin, splitConjuncts } from '../optimizer/expr-utils.ts';
import { API } from './api-map.ts';
import type { SqlContext } from './context.ts';
import { at, notSupported, sqlError } from './errors.ts';
import { translateExpr, variant } from './expr.ts';
import type { Ast } from './parse.ts';
import { Scope, type ScopeColumn } from './scope.ts';

export interface FromResult {
  readonly plan: LogicalPlan;
  readonly columns: readonly ScopeColumn[];
}

/** Translates a query (CTE or derived table body); provided by query.ts to break the import circle. */
export type QueryTranslator = (query: Ast, ctx: SqlContext) => LogicalPlan;

/**
 * The FROM list, joined left to right. Every column gets a plan name unique in the result: its
 * own name, or `qualifier.name` when an earlier relation already has that name (a self-join).
 */
export function translateFrom(from: readonly Ast[], ctx: SqlContext, query: QueryTranslator): FromResult {
  const used = new Set<string>();
  let acc: FromResult | null = null;
  for (const item of from) {
    let cur = relation(item.relation, ctx, query, used);
    for (const j of item.joins ?? []) cur = joined(cur, j, ctx, query, used);
    acc = acc === null ? cur : { plan: API.crossJoin(acc.plan, cur.plan, item.relation), columns: [...acc.columns, ...cur.columns] };
  }
  if (acc === null) return { plan: ctx.oneRow(), columns: [] };
  return acc;
}

function relation(r: Ast, ctx: SqlContext, query: QueryTranslator, used: Set<string>): FromResult {
  const [kind, v] = variant(r);
  switch (kind) {
    case 'Table': {
      if (v.args) throw notSupported(r, 'table functions');
      const parts: string[] = v.name.map((p: Ast) => variant(p)[1].value);
      const name = parts[parts.length - 1];
      const plan = (parts.length === 1 ? ctx.ctes.get(name.toLowerCase()) : undefined) ?? ctx.catalog.lookup(name);
      if (!plan) throw sqlError(r, `unknown table '${parts.join('.')}': ${ctx.catalog.describe()}${ctx.ctes.size ? `; WITH defines ${[...ctx.ctes.keys()].join(', ')}` : ''}`);
      return named(plan, v.alias, name, used, r);
    }
    case 'Derived': {
      if (v.lateral) throw notSupported(r, 'LATERAL subqueries');
      if (!v.alias) throw sqlError(r, 'a subquery in FROM needs an alias: (select ...) AS name');
      return named(query(v.subquery, ctx), v.alias, v.alias.name.value, used, r);
    }
    case 'NestedJoin': {
      if (v.alias) throw notSupported(r, 'an alias on a parenthesized join');
      let cur = relation(v.table_with_joins.relation, ctx, query, used);
      for (const j of v.table_with_joins.joins ?? []) cur = joined(cur, j, ctx, query, used);
      return cur;
    }
    default: throw notSupported(r, `${kind} in FROM`);
  }
}

/** A relation's columns under its qualifier (and alias column list), renamed where a name is taken. */
function named(plan: LogicalPlan, alias: Ast, defaultQualifier: string, used: Set<string>, node: Ast): FromResult {
  const qualifier: string = alias?.name?.value ?? defaultQualifier;
  const aliasCols: string[] = (alias?.columns ?? []).map((c: Ast) => (c.name ?? c).value);
  if (aliasCols.length > plan.schema.length) {
    throw sqlError(node, `${qualifier} has ${plan.schema.length} columns but ${aliasCols.length} column aliases were given`);
  }
  const columns: ScopeColumn[] = plan.schema.map((f, i) => {
    const name = aliasCols[i] ?? f.name;
    let planName = name;
    for (let n = 1; used.has(planName); n++) planName = n === 1 ? `${qualifier}.${name}` : `${qualifier}.${name}_${n}`;
    used.add(planName);
    return { name, qualifier, planName, type: f.type, nullable: f.nullable };
  });
  const renamed = columns.some((c, i) => c.planName !== plan.schema[i].name);
  const out = renamed
    ? project(plan, plan.schema.map((f, i) => (columns[i].planName === f.name
      ? { kind: 'column', name: f.name } as ExprNode
      : { kind: 'alias', arg: { kind: 'column', name: f.name }, name: columns[i].planName } as ExprNode)))
    : plan;
  return { plan: out, columns };
}

const JOIN_KINDS: Readonly<Record<string, JoinType>> = {
  Join: 'inner', Inner: 'inner', Left: 'left', LeftOuter: 'left', Right: 'right', RightOuter: 'right', FullOuter: 'full',
  Semi: 'semi', LeftSemi: 'semi', Anti: 'anti', LeftAnti: 'anti',
};

function joined(left: FromResult, j: Ast, ctx: SqlContext, query: QueryTranslator, used: Set<string>): FromResult {
  const right = relation(j.relation, ctx, query, used);
  const [opKind, constraint] = variant(j.join_operator);
  if (opKind === 'CrossJoin') return { plan: API.crossJoin(left.plan, right.plan, j.relation), columns: [...left.columns, ...right.columns] };
  const how = JOIN_KINDS[opKind];
  if (!how) throw notSupported(j.relation, `${opKind} joins`);
  const [cKind, c] = variant(constraint);
  const visible = how === 'semi' || how === 'anti' ? left.columns : [...left.columns, ...right.columns];
  if (cKind === 'Using') {
    if (how === 'full') throw notSupported(j.relation, 'FULL JOIN ... USING', 'write the ON condition and coalesce the keys');
    const names: string[] = c.map((n: Ast) => (Array.isArray(n) ? variant(n[0])[1].value : variant(n)[1]?.value ?? n.value));
    const ls = new Scope(left.columns), rs = new Scope(right.columns);
    const leftKeys = names.map((n) => ls.resolve(null, n, j.relation));
    const rightKeys = names.map((n) => rs.resolve(null, n, j.relation));
    const hide = new Set(rightKeys.map((k) => (k as { name: string }).name));
    const leftHide = how === 'right' ? new Set(leftKeys.map((k) => (k as { name: string }).name)) : new Set<string>();
    const columns = visible.map((col) => (hide.has(col.planName) && how !== 'right') || leftHide.has(col.planName) ? { ...col, hidden: true } : col);
    return { plan: at(j.relation, () => join(left.plan, right.plan, how, leftKeys, rightKeys, false)), columns };
  }
  if (cKind === 'Natural') throw notSupported(j.relation, 'NATURAL joins');
  if (cKind !== 'On') throw notSupported(j.relation, `a ${how} join without ON or USING`);
  const cond = translateExpr(c, { scope: new Scope([...left.columns, ...right.columns]), subquery: null, clause: 'ON' });
  const leftNames = new Set(left.columns.map((x) => x.planName));
  const rightNames = new Set(right.columns.map((x) => x.planName));
  const side = (e: ExprNode): 'left' | 'right' | 'both' | 'none' => {
    const cols = [...columnsOf(e)];
    const l = cols.some((n) => leftNames.has(n)), r = cols.some((n) => rightNames.has(n));
    return l && r ? 'both' : l ? 'left' : r ? 'right' : 'none';
  };
  const leftKeys: ExprNode[] = [], rightKeys: ExprNode[] = [], onlyLeft: ExprNode[] = [], onlyRight: ExprNode[] = [], mixed: ExprNode[] = [];
  for (const e of splitConjuncts(cond)) {
    if (e.kind === 'binary' && e.op === 'eq') {
      const a = side(e.left), b = side(e.right);
      if (a === 'left' && b === 'right') { leftKeys.push(e.left); rightKeys.push(e.right); continue; }
      if (a === 'right' && b === 'left') { leftKeys.push(e.right); rightKeys.push(e.left); continue; }
    }
    const s = side(e);
    (s === 'left' ? onlyLeft : s === 'right' ? onlyRight : mixed).push(e);
  }
  // Conditions on the side whose rows are not preserved filter that side before the join.
  let l = left.plan, r = right.plan;
  const residual: ExprNode[] = [...mixed];
  if (how === 'inner' || how === 'semi' || how === 'anti' || how === 'left') { if (onlyRight.length) r = at(c, () => filter(r, conjoin(onlyRight)!)); } else residual.push(...onlyRight);
  if (how === 'inner' || how === 'right') { if (onlyLeft.length) l = at(c, () => filter(l, conjoin(onlyLeft)!)); } else residual.push(...onlyLeft);
  const rest = conjoin(residual);
  if (how === 'inner') {
    const base = leftKeys.length ? at(c, () => join(l, r, 'inner', leftKeys, rightKeys, false)) : API.crossJoin(l, r, c);
    return { plan: rest ? at(c, () => filter(base, rest)) : base, columns: visible };
  }
  if (rest || leftKeys.length === 0) return { plan: API.residualJoin(l, r, how, leftKeys, rightKeys, rest ?? { kind: 'literal', value: true, type: 'bool' }, c), columns: visible };
  return { plan: at(c, () => join(l, r, how, leftKeys, rightKeys, false)), columns: visible };
}
