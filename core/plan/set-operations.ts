// INTERSECT and EXCEPT [ALL] (df.intersect, intersectAll, subtract, exceptAll) built from existing nodes: a tagged union counted per distinct row.
import type { ExprNode } from '../../ops/expr/node.ts';
import { aggregate } from './aggregate.ts';
import { filter } from './filter.ts';
import { generate } from './generate.ts';
import type { LogicalPlan } from './node.ts';
import { project } from './project.ts';
import { unionFields } from './schema.ts';
import { union } from './union.ts';

export type SetOperation = 'intersect' | 'except';

const col = (name: string): ExprNode => ({ kind: 'column', name });
const alias = (arg: ExprNode, name: string): ExprNode => ({ kind: 'alias', arg, name });
const int = (value: number): ExprNode => ({ kind: 'literal', value, type: 'int32' });
const bin = (op: 'gt' | 'lt' | 'eq' | 'and' | 'sub', left: ExprNode, right: ExprNode): ExprNode => ({ kind: 'binary', op, left, right });

/**
 * `left INTERSECT|EXCEPT [ALL] right`, columns matched by position (names from `left`, types
 * equal as for union), rows compared as SQL's set operations do: nulls equal one another.
 *
 * One shuffle, as Spark plans the ALL forms: both inputs tagged (1, 0) and (0, 1), unioned, and
 * aggregated by every column into counts `l` and `r` of each distinct row. Then INTERSECT keeps
 * rows with l > 0 and r > 0, EXCEPT rows with l > 0 and r = 0; the ALL forms repeat each row
 * min(l, r) times (INTERSECT ALL) or l - r times (EXCEPT ALL, where l > r) through a Generate
 * over sequence(1, n). Group keys compare nulls equal, which is the semantics wanted here.
 */
export function setOperation(op: SetOperation, all: boolean, left: LogicalPlan, right: LogicalPlan): LogicalPlan {
  const names = unionFields([left.schema, right.schema]).map((f) => f.name);
  const fresh = (base: string): string => { let n = base; while (names.includes(n)) n = `_${n}`; return n; };
  const l = fresh('__l'), r = fresh('__r'), copy = fresh('__copy');
  const tagged = (p: LogicalPlan, inLeft: number): LogicalPlan => project(p, [
    ...p.schema.map((f, i) => (f.name === names[i] ? col(f.name) : alias(col(f.name), names[i]))),
    alias(int(inLeft), l), alias(int(1 - inLeft), r),
  ]);
  const sum = (name: string): ExprNode => alias({ kind: 'agg', fn: 'sum', arg: col(name) }, name);
  const counts = aggregate(union([tagged(left, 1), tagged(right, 0)]), names.map(col), [sum(l), sum(r)]);
  const cl = col(l), cr = col(r);
  const keep = op === 'intersect' ? bin('and', bin('gt', cl, int(0)), bin('gt', cr, int(0)))
    : all ? bin('gt', cl, cr) : bin('and', bin('gt', cl, int(0)), bin('eq', cr, int(0)));
  let out: LogicalPlan = filter(counts, keep);
  if (all) {
    const times: ExprNode = op === 'intersect' ? { kind: 'case', branches: [{ when: bin('lt', cl, cr), then: cl }], otherwise: cr } : bin('sub', cl, cr);
    out = generate(out, { kind: 'call', fn: 'sequence', args: [int(1), times] }, false, null, copy);
  }
  return project(out, names.map(col));
}
