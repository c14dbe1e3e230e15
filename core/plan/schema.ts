// Schema derivation and plan-time checks shared by the logical plan constructors.
import { PlanError } from '../../ops/errors.ts';
import { columnsOf, containsAgg, exprName, exprToString, type ExprNode } from '../../ops/expr/node.ts';
import { inferField } from '../../ops/expr/typecheck.ts';
import { typeToString, type FieldJSON } from '../../ops/types.ts';
import type { JoinType } from './join.ts';
import { baseName } from './resolve.ts';

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

/**
 * The fields a join's condition sees for a (left row, right row) pair: every left field, then
 * every right field (a USING join's right keys left out), a base name both sides share renamed
 * `qualifier.base` on each side that has a qualifier (core/plan/resolve.ts). Names that still
 * clash (neither side aliased) are renamed `<left>.name` and `<right>.name`: a semi/anti join
 * outputs the left side only, so they only matter if its condition names them, which
 * checkJoinCondition refuses; every other join refuses them in joinFields.
 */
export function joinPairFields(left: readonly FieldJSON[], right: readonly FieldJSON[], usingNames: ReadonlySet<string> = new Set()): FieldJSON[] {
  const leftBases = new Set(left.filter((f) => !usingNames.has(f.name)).map(baseName));
  const rightKept = right.filter((f) => !usingNames.has(f.name));
  const shared = new Set(rightKept.map(baseName).filter((b) => leftBases.has(b)));
  const rename = (f: FieldJSON): FieldJSON => (usingNames.has(f.name) || !shared.has(baseName(f)) || f.qualifier === undefined
    ? f : { ...f, name: `${f.qualifier}.${baseName(f)}` });
  const l = left.map(rename), r = rightKept.map(rename);
  const clashes = new Set(r.map((f) => f.name).filter((n) => l.some((x) => x.name === n)));
  if (clashes.size === 0) return [...l, ...r];
  const hide = (side: string) => (f: FieldJSON): FieldJSON => (clashes.has(f.name) ? { ...f, name: `<${side}>.${f.name}` } : f);
  return [...l.map(hide('left')), ...r.map(hide('right'))];
}

/** The PlanError for names both sides of a join still share after joinPairFields' renaming; null when none. */
export function joinClash(left: readonly FieldJSON[], right: readonly FieldJSON[], usingNames: ReadonlySet<string> = new Set(), only?: ReadonlySet<string>): PlanError | null {
  for (const f of joinPairFields(left, right, usingNames)) {
    if (!f.name.startsWith('<left>.')) continue;
    const name = f.name.slice('<left>.'.length);
    if (only && !only.has(name) && !only.has(baseName({ ...f, name }))) continue;
    const hint = f.qualifier !== undefined && right.some((x) => x.qualifier === f.qualifier)
      ? `both sides are aliased '${f.qualifier}': give them different names with .alias(...)`
      : `give the sides names with .alias('l') and .alias('r') and refer to col('l.${name}') and col('r.${name}'), rename one side (e.g. other.withColumnRenamed('${name}', '${name}_right')), or join on it by name`;
    return new PlanError(`join: column '${name}' exists on both sides; ${hint}`);
  }
  return null;
}

/** A join condition MUST NOT name a column both sides have under that name (see joinPairFields). */
export function checkJoinCondition(condition: ExprNode, left: readonly FieldJSON[], right: readonly FieldJSON[]): void {
  const err = joinClash(left, right, new Set(), columnsOf(condition));
  if (err) throw err;
}

/**
 * Output fields of a join: joinPairFields, with a USING join's keys once (left, right or
 * coalesced) and outer joins' null-padded sides nullable; semi/anti joins output the left
 * fields as they are. Keys MUST already be resolved (core/plan/join.ts does it).
 */
export function joinFields(left: readonly FieldJSON[], right: readonly FieldJSON[], how: JoinType,
  leftKeys: readonly ExprNode[], rightKeys: readonly ExprNode[], using: boolean): FieldJSON[] {
  if (leftKeys.length !== rightKeys.length) {
    throw new PlanError(`join: needs the same number of keys on both sides (got ${leftKeys.length} and ${rightKeys.length})`);
  }
  if (using && leftKeys.length === 0) throw new PlanError('join: a USING join needs at least one key column');
  leftKeys.forEach((k, i) => {
    const lf = inferField(k, left);
    const rf = inferField(rightKeys[i], right);
    if (!joinKeysComparable(lf.type, rf.type)) {
      throw new PlanError(`join: key ${exprToString(k)} (${typeToString(lf.type)}) cannot be compared with ${exprToString(rightKeys[i])} (${typeToString(rf.type)}); cast one side`);
    }
  });
  const nullableLeft = how === 'right' || how === 'full';
  const nullableRight = how === 'left' || how === 'full';
  if (how === 'semi' || how === 'anti') return [...left];
  const usingNames = new Set(using ? leftKeys.map((k) => exprName(k)) : []);
  const clash = joinClash(left, right, usingNames);
  if (clash) throw clash;
  const pair = joinPairFields(left, right, usingNames);
  const out = pair.map((f, i) => ({ ...f, nullable: f.nullable || (i < left.length ? nullableLeft : nullableRight) }));
  if (using && how === 'full') {
    for (const f of out) if (usingNames.has(f.name)) f.nullable = left.find((l) => l.name === f.name)!.nullable && right.find((r) => r.name === f.name)!.nullable;
  }
  if (using && how === 'right') {
    for (const f of out) if (usingNames.has(f.name)) f.nullable = right.find((r) => r.name === f.name)!.nullable;
  }
  return out;
}

/** Whether two key types can be hash-joined: the same type, or both numeric (compared by value). */
export function joinKeysComparable(a: FieldJSON['type'], b: FieldJSON['type']): boolean {
  return typeToString(a) === typeToString(b) || (isNum(a) && isNum(b));
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
