// PushDownSemiJoin: a semi or anti join moves below an inner join (or a projection) when its left
// side only needs one input of it: rows drop before the join instead of after it.
//
// A semi/anti join keeps or drops each left row by that row's own columns. When those columns all
// come from input A of `A join B`, a row of the join survives exactly when its A part does:
// (A ⋈ B) ⋉ S = (A ⋉ S) ⋈ B, and the same for ▷. SQL's `x IN (subquery)` and EXISTS become such
// joins above the whole FROM clause (TPC-H Q18, Q20, Q21, Q22); here they reach the table they test.
import { columnsOf, type ExprNode } from '../../../ops/expr/node.ts';
import type { FieldJSON } from '../../../ops/types.ts';
import { join, pairSources, type Join } from '../../plan/join.ts';
import type { LogicalPlan } from '../../plan/node.ts';
import { project, type Project } from '../../plan/project.ts';
import { joinPairFields } from '../../plan/schema.ts';
import { passedColumn, renameColumns } from '../expr-utils.ts';
import { unchanged, type OptimizerRule } from '../rule.ts';
import { treeSelectivity } from '../selectivity.ts';

export const PushDownSemiJoin: OptimizerRule = {
  name: 'PushDownSemiJoin',
  rewrite(node) {
    if (node.kind !== 'join' || (node.how !== 'semi' && node.how !== 'anti') || node.using) return unchanged(node);
    const below = node.left;
    if (below.kind === 'join') return throughJoin(node, below);
    if (below.kind === 'project') return throughProject(node, below);
    return unchanged(node);
  },
};

/** The left columns a semi/anti join reads: its left keys' and those its condition takes from the left. */
function leftColumns(s: Join): Set<string> | null {
  const cols = new Set<string>();
  for (const k of s.leftKeys) for (const c of columnsOf(k)) cols.add(c);
  if (s.filter !== null) {
    const pair = joinPairFields(s.left.schema, s.right.schema);
    for (const c of columnsOf(s.filter)) {
      const i = pair.findIndex((f) => f.name === c);
      if (i < 0) return null;
      if (i < s.left.schema.length) cols.add(s.left.schema[i].name);
    }
  }
  return cols;
}

/**
 * `s` rebuilt over `input`, whose columns are the left columns of `s` renamed by `names`, its
 * condition renamed to match; null when a name there would be ambiguous.
 */
function moved(s: Join, input: LogicalPlan, names: ReadonlyMap<string, string>): Join | null {
  let cond = s.filter;
  if (cond !== null) {
    const before = joinPairFields(s.left.schema, s.right.schema);
    const after = joinPairFields(input.schema, s.right.schema);
    const rename = new Map<string, string>();
    for (const c of columnsOf(cond)) {
      const i = before.findIndex((f) => f.name === c);
      if (i < 0) return null;
      const j = i < s.left.schema.length
        ? input.schema.findIndex((f) => f.name === names.get(s.left.schema[i].name))
        : input.schema.length + i - s.left.schema.length;
      // A name both sides still share there (`<left>.x`) is one a condition may not use.
      if (j < 0 || after[j].name.startsWith('<')) return null;
      rename.set(c, after[j].name);
    }
    cond = renameColumns(cond, rename);
  }
  const keys: ExprNode[] = s.leftKeys.map((k) => renameColumns(k, names));
  return join(input, s.right, s.how, keys, s.rightKeys, false, s.strategy, cond);
}

function throughJoin(s: Join, j: Join): ReturnType<OptimizerRule['rewrite']> {
  if (j.using || j.how === 'semi' || j.how === 'anti' || j.how === 'full') return unchanged(s);
  const cols = leftColumns(s);
  if (cols === null || cols.size === 0) return unchanged(s);
  const sources = new Map(pairSources(j).map((p) => [p.name, p] as const));
  const sides = new Set([...cols].map((c) => sources.get(c)?.side));
  if (sides.size !== 1) return unchanged(s);
  const side = [...sides][0];
  // Only the side whose rows the join preserves as they are: not one an outer join pads with nulls.
  if (side === undefined || (side === 'left' && j.how === 'right') || (side === 'right' && j.how === 'left')) return unchanged(s);
  // An inner join with a filtered relation drops rows of the side tested (Q21: lineitem joined
  // with the suppliers of one nation): the semi join then probes what is left, after it.
  if (j.how === 'inner' && treeSelectivity(side === 'left' ? j.right : j.left) < 1) return unchanged(s);
  const names = new Map([...cols].map((c) => [c, sources.get(c)!.input] as const));
  const semi = moved(s, side === 'left' ? j.left : j.right, names);
  if (semi === null) return unchanged(s);
  const left = side === 'left' ? semi : j.left, right = side === 'right' ? semi : j.right;
  const out = join(left, right, j.how, j.leftKeys, j.rightKeys, false, j.strategy, j.filter);
  return sameFields(out.schema, s.schema) ? { node: out, changed: true } : unchanged(s);
}

/**
 * Through a projection whose columns the semi join reads are plain input columns, and only on
 * to a join below it: a projection over a scan is where PruneColumns puts one, and moving below
 * that would undo its work every pass.
 */
function throughProject(s: Join, p: Project): ReturnType<OptimizerRule['rewrite']> {
  if (p.input.kind !== 'join') return unchanged(s);
  const cols = leftColumns(s);
  if (cols === null || cols.size === 0) return unchanged(s);
  const names = new Map<string, string>();
  for (const c of cols) {
    const inner = passedColumn(p, c);
    if (inner === null) return unchanged(s);
    names.set(c, inner);
  }
  const semi = moved(s, p.input, names);
  if (semi === null) return unchanged(s);
  const below = throughJoin(semi, p.input);
  if (!below.changed) return unchanged(s);
  const out = project(below.node, p.exprs);
  return sameFields(out.schema, s.schema) ? { node: out, changed: true } : unchanged(s);
}

function sameFields(a: readonly FieldJSON[], b: readonly FieldJSON[]): boolean {
  return a.length === b.length && a.every((f, i) => f.name === b[i].name);
}
