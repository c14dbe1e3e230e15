// Aggregation whose outputs are expressions over aggregates (sum(a) / count(*)): an Aggregate of the distinct aggregate calls under a Project.
import { PlanError } from '../../ops/errors.ts';
import { containsAgg, containsWindow, exprChildren, exprName, exprToString, withExprChildren, type ExprNode } from '../../ops/expr/node.ts';
import { aggregate } from './aggregate.ts';
import type { LogicalPlan } from './node.ts';
import { project } from './project.ts';

/**
 * groupBy(keys).agg(exprs). When every expression is an aggregate call (optionally aliased) this
 * is one Aggregate, exactly as before. Otherwise the plan is
 *   Project[keys..., exprs with each aggregate call and group key replaced by its column]
 *     Aggregate[keys; the distinct aggregate calls, each computed once]
 * and each expression keeps the output name it would have had (its alias or its rendering).
 * Inside an expression, outside the aggregate calls, only group keys (as written in groupBy)
 * and literals may appear; any other column is a PlanError naming it. Nested aggregates
 * (sum(max(x))) are a PlanError.
 */
export function aggregateExprs(input: LogicalPlan, groupBy: readonly ExprNode[], exprs: readonly ExprNode[]): LogicalPlan {
  for (const e of [...groupBy, ...exprs]) {
    if (containsWindow(e)) throw new PlanError(`agg: window expression in ${exprToString(e)} is not allowed in groupBy(...).agg(...); aggregate first, then compute it with select(...) or withColumn(...)`);
  }
  if (exprs.every(isAggCall)) return aggregate(input, groupBy, exprs);
  for (const g of groupBy) {
    if (containsAgg(g)) throw new PlanError(`groupBy: ${exprToString(g)} contains an aggregate; group keys must be plain expressions`);
  }
  const keyNames = new Map(groupBy.map((g) => [canonicalKey(g.kind === 'alias' ? g.arg : g), exprName(g)]));
  const taken = new Set(groupBy.map(exprName));
  const calls = new Map<string, { node: ExprNode; name: string }>();
  const inputNames = input.schema.map((f) => f.name);

  const rewrite = (e: ExprNode, top: ExprNode): ExprNode => {
    const keyName = e.kind === 'literal' ? undefined : keyNames.get(canonicalKey(e));
    if (keyName !== undefined) return { kind: 'column', name: keyName };
    if (e.kind === 'agg') {
      if (e.arg && containsAgg(e.arg)) {
        throw new PlanError(`agg: nested aggregate ${exprToString(e)} in ${exprToString(top)} is not allowed; aggregate in two steps (groupBy(...).agg(...), then agg(...) over its result)`);
      }
      const k = canonicalKey(e);
      let call = calls.get(k);
      if (!call) {
        call = { node: e, name: freshName(exprName(e), taken) };
        calls.set(k, call);
      }
      return { kind: 'column', name: call.name };
    }
    if (e.kind === 'column') {
      if (!inputNames.includes(e.name)) throw new PlanError(`agg: unknown column '${e.name}' in ${exprToString(top)}: valid columns are ${inputNames.join(', ')}`);
      const keys = groupBy.length ? `group keys are ${groupBy.map(exprToString).join(', ')}` : 'there are no group keys';
      throw new PlanError(`agg: column '${e.name}' in ${exprToString(top)} is neither grouped nor aggregated (${keys}): add it to groupBy(...) or aggregate it, e.g. fn.first('${e.name}')`);
    }
    const kids = exprChildren(e);
    return kids.length ? withExprChildren(e, kids.map((c) => rewrite(c, top))) : e;
  };

  const outputs = exprs.map((e) => {
    const r = rewrite(e, e);
    const name = exprName(e);
    return r.kind === 'alias' || (r.kind === 'column' && r.name === name) ? r : { kind: 'alias', arg: r, name } as ExprNode;
  });
  for (const o of outputs) {
    const name = exprName(o);
    if (groupBy.some((g) => exprName(g) === name)) {
      throw new PlanError(`agg: output '${name}' has the name of a group key, and the group keys already come first in the result: leave it out or give it another name with .alias('...')`);
    }
  }
  const aggs = [...calls.values()].map(({ node, name }) => (name === exprName(node) ? node : { kind: 'alias', arg: node, name } as ExprNode));
  // Without keys or calls the Aggregate would have no column; count(*) gives it its one row.
  if (aggs.length === 0 && groupBy.length === 0) aggs.push({ kind: 'agg', fn: 'countStar', arg: null });
  const agg = aggregate(input, groupBy, aggs);
  return project(agg, [...groupBy.map((g): ExprNode => ({ kind: 'column', name: exprName(g) })), ...outputs]);
}

/** An aggregate call, optionally under one alias: what an Aggregate node computes itself. */
function isAggCall(e: ExprNode): boolean {
  return (e.kind === 'alias' ? e.arg : e).kind === 'agg';
}

/** `name`, or `name#2`, `name#3`, ... when taken; the result is then taken. */
function freshName(name: string, taken: Set<string>): string {
  let n = name;
  for (let i = 2; taken.has(n); i++) n = `${name}#${i}`;
  taken.add(n);
  return n;
}

/** Structural identity of an expression, whatever order its builder wrote the fields in. */
function canonicalKey(e: unknown): string {
  return JSON.stringify(e, (_, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v));
}
