// Schema derivation and plan-time checks shared by the logical plan constructors.
import { PlanError } from '../../ops/errors.ts';
import { containsAgg, exprName, exprToString, type ExprNode } from '../../ops/expr/node.ts';
import { inferField } from '../../ops/expr/typecheck.ts';
import { typeToString, type FieldJSON } from '../../ops/types.ts';
import type { JoinType } from './join.ts';

/** Output fields of a projection; duplicate output names are a PlanError. */
export function outputFields(exprs: readonly ExprNode[], input: readonly FieldJSON[]): FieldJSON[] {
  const out = exprs.map((e) => inferField(e, input));
  const seen = new Set<string>();
  for (const f of out) {
    if (seen.has(f.name)) throw new PlanError(`duplicate output column '${f.name}': give one of them another name with .alias('...')`);
    seen.add(f.name);
  }
  return out;
}

export function checkExprs(exprs: readonly ExprNode[], input: readonly FieldJSON[]): void {
  for (const e of exprs) inferField(e, input);
}

export function checkPredicate(e: ExprNode, input: readonly FieldJSON[], where: string): void {
  if (containsAgg(e)) throw new PlanError(`${where}: aggregate ${exprToString(e)} is not allowed here; use groupBy(...).agg(...) and filter its result`);
  const f = inferField(e, input);
  if (f.type !== 'bool' && f.type !== 'null') {
    throw new PlanError(`${where}: predicate ${exprToString(e)} has type ${typeToString(f.type)}, expected bool (compare it, e.g. col('x').gt(0))`);
  }
}

export function checkAggregates(groupBy: readonly ExprNode[], aggs: readonly ExprNode[], input: readonly FieldJSON[]): void {
  for (const g of groupBy) {
    if (containsAgg(g)) throw new PlanError(`groupBy: ${exprToString(g)} contains an aggregate; group keys must be plain expressions`);
  }
  for (const a of aggs) {
    const inner = a.kind === 'alias' ? a.arg : a;
    if (inner.kind !== 'agg') {
      throw new PlanError(`agg: ${exprToString(a)} is not an aggregate; use fn.count(), fn.sum(...), fn.avg(...), fn.min(...), fn.max(...), fn.countDistinct(...), fn.first(...) or fn.last(...)`);
    }
    if (inner.arg && containsAgg(inner.arg)) throw new PlanError(`agg: nested aggregate in ${exprToString(a)} is not allowed`);
  }
}

/** Output fields of a join. Non-key names that clash between sides are a PlanError. */
export function joinFields(left: readonly FieldJSON[], right: readonly FieldJSON[], how: JoinType,
  leftKeys: readonly ExprNode[], rightKeys: readonly ExprNode[], using: boolean): FieldJSON[] {
  if (leftKeys.length !== rightKeys.length || leftKeys.length === 0) {
    throw new PlanError(`join: needs the same, non-zero number of keys on both sides (got ${leftKeys.length} and ${rightKeys.length})`);
  }
  leftKeys.forEach((k, i) => {
    const lf = inferField(k, left);
    const rf = inferField(rightKeys[i], right);
    const comparable = typeToString(lf.type) === typeToString(rf.type) || (isNum(lf.type) && isNum(rf.type));
    if (!comparable) {
      throw new PlanError(`join: key ${exprToString(k)} (${typeToString(lf.type)}) cannot be compared with ${exprToString(rightKeys[i])} (${typeToString(rf.type)}); cast one side`);
    }
  });
  const nullableLeft = how === 'right' || how === 'full';
  const nullableRight = how === 'left' || how === 'full';
  const leftOut = left.map((f) => ({ ...f, nullable: f.nullable || nullableLeft }));
  if (how === 'semi' || how === 'anti') return leftOut;
  const usingNames = new Set(using ? leftKeys.map((k) => exprName(k)) : []);
  if (using && how === 'full') {
    for (const f of leftOut) if (usingNames.has(f.name)) f.nullable = left.find((l) => l.name === f.name)!.nullable && right.find((r) => r.name === f.name)!.nullable;
  }
  if (using && how === 'right') {
    for (const f of leftOut) if (usingNames.has(f.name)) f.nullable = right.find((r) => r.name === f.name)!.nullable;
  }
  const leftNames = new Set(left.map((f) => f.name));
  const rightOut: FieldJSON[] = [];
  for (const f of right) {
    if (usingNames.has(f.name)) continue;
    if (leftNames.has(f.name)) {
      throw new PlanError(`join: column '${f.name}' exists on both sides; rename one side first (e.g. other.withColumnRenamed('${f.name}', '${f.name}_right')) or join on it by name`);
    }
    rightOut.push({ ...f, nullable: f.nullable || nullableRight });
  }
  return [...leftOut, ...rightOut];
}

const isNum = (t: FieldJSON['type']) => typeof t === 'string' && /^(u?int|float)/.test(t);

/** Union inputs must have the same number of columns with compatible types. */
export function unionFields(inputs: readonly (readonly FieldJSON[])[]): FieldJSON[] {
  if (inputs.length === 0) throw new PlanError('union: needs at least one input');
  const first = inputs[0];
  inputs.forEach((s, i) => {
    if (s.length !== first.length) {
      throw new PlanError(`union: input ${i} has ${s.length} columns but the first has ${first.length}; select matching columns first`);
    }
    s.forEach((f, j) => {
      if (typeToString(f.type) !== typeToString(first[j].type)) {
        throw new PlanError(`union: column ${j} ('${first[j].name}') is ${typeToString(first[j].type)} in the first input but ${typeToString(f.type)} in input ${i}; cast it`);
      }
    });
  });
  return first.map((f, j) => ({ ...f, nullable: inputs.some((s) => s[j].nullable) }));
}
