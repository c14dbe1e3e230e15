// Random valid logical plans (with their input tables) for property tests of the optimizer.
import fc from 'fast-check';
import type { ExprNode } from '../../ops/expr/node.ts';
import { isInteger, isNumeric, type FieldJSON } from '../../ops/types.ts';
import { aggregate } from '../../core/plan/aggregate.ts';
import { distinct } from '../../core/plan/distinct.ts';
import { filter } from '../../core/plan/filter.ts';
import { join, type JoinType } from '../../core/plan/join.ts';
import { limit } from '../../core/plan/limit.ts';
import { mapBatches } from '../../core/plan/map-batches.ts';
import type { LogicalPlan } from '../../core/plan/node.ts';
import { project } from '../../core/plan/project.ts';
import { repartition } from '../../core/plan/repartition.ts';
import { scan } from '../../core/plan/scan.ts';
import { sort } from '../../core/plan/sort.ts';
import { union } from '../../core/plan/union.ts';
import { values } from '../../core/plan/values.ts';
import { add, agg, alias, and, col, eq, f, gt, lit, or, source, type Row } from './helpers.ts';
import { IDENTITY_UDF, type Tables } from './reference.ts';

const X_FIELDS: FieldJSON[] = [f('a', 'int32'), f('b', 'utf8'), f('c', 'float64'), f('d', 'bool'), f('e', 'int64', false)];
const Y_FIELDS: FieldJSON[] = [f('k', 'int32'), f('v', 'utf8'), f('w', 'int64')];

const xRow = fc.record({
  a: fc.option(fc.integer({ min: -2, max: 5 }), { freq: 5 }),
  b: fc.option(fc.constantFrom('p', 'q', 'qr', ''), { freq: 5 }),
  c: fc.option(fc.constantFrom(-1.5, 0, 2.5, 10), { freq: 5 }),
  d: fc.option(fc.boolean(), { freq: 5 }),
  e: fc.integer({ min: 0, max: 3 }),
});
const yRow = fc.record({
  k: fc.option(fc.integer({ min: -2, max: 5 }), { freq: 5 }),
  v: fc.option(fc.constantFrom('p', 'q', 'z'), { freq: 5 }),
  w: fc.option(fc.integer({ min: 0, max: 3 }), { freq: 5 }),
});

const OPS = ['filter', 'filter', 'project', 'sort', 'limit', 'distinct', 'repartition', 'aggregate', 'join', 'join', 'union', 'mapBatches'] as const;
type Op = (typeof OPS)[number];
const step = fc.record({ op: fc.constantFrom(...OPS), r: fc.array(fc.nat(10_000), { minLength: 8, maxLength: 8 }) });

export interface Case {
  plan: LogicalPlan;
  tables: Tables;
  steps: string[];
}

/** Plans of up to `maxSteps` operations over a scan of /x.csv (or values 'y'), with their rows. */
export function planCase(maxSteps = 9): fc.Arbitrary<Case> {
  return fc.record({
    xRows: fc.array(xRow, { maxLength: 12 }),
    yRows: fc.array(yRow, { maxLength: 8 }),
    xBytes: fc.constantFrom(1e3, 1e9),
    yBytes: fc.constantFrom(1e3, 1e9),
    fromValues: fc.boolean(),
    steps: fc.array(step, { maxLength: maxSteps }),
  }).map(({ xRows, yRows, xBytes, yBytes, fromValues, steps }) => {
    const b = new Builder(yBytes, yRows.length);
    let plan: LogicalPlan = fromValues ? b.y('') : scan(source('/x.csv', xBytes), X_FIELDS);
    const done: string[] = [];
    for (const s of steps) {
      let next = b.apply(plan, s.op, s.r);
      if (!next) continue;
      done.push(s.op);
      // A filter right above a join, aggregate, union or projection is where push-down works.
      if (s.op !== 'filter' && s.r[7] % 2 === 0) {
        next = b.apply(next, 'filter', [s.r[6], s.r[5], s.r[4], s.r[3], s.r[2], s.r[1], s.r[0], s.r[7]]);
        done.push('filter');
      }
      plan = next!;
    }
    return { plan, tables: { '/x.csv': xRows as Row[], y: yRows as Row[] }, steps: done };
  });
}

class Builder {
  private n = 0;
  constructor(readonly yBytes: number, readonly yRows: number) {}

  /** Table y with its columns renamed by `suffix` (and key k optionally named `keyName`). */
  y(suffix: string, keyName?: string): LogicalPlan {
    const base = values('y', Y_FIELDS, 1, this.yRows, this.yBytes);
    if (!suffix) return base;
    return project(base, [alias(col('k'), keyName ?? `k${suffix}`), alias(col('v'), `v${suffix}`), alias(col('w'), `w${suffix}`)]);
  }

  pred(fields: readonly FieldJSON[], r: number[], depth = 0): ExprNode {
    const fd = fields[r[0] % fields.length];
    const c = col(fd.name);
    let p: ExprNode;
    if (isNumeric(fd.type)) p = { kind: 'binary', op: (['gt', 'lt', 'eq', 'neq', 'gte'] as const)[r[1] % 5], left: c, right: lit(r[2] % 5 - 1) };
    else if (fd.type === 'utf8') p = r[1] % 2 ? { kind: 'binary', op: 'eq', left: c, right: lit('p') } : { kind: 'call', fn: 'startsWith', args: [c, lit('q')] };
    else if (fd.type === 'bool') p = r[1] % 2 ? c : { kind: 'unary', op: 'not', arg: c };
    else p = { kind: 'unary', op: 'isNotNull', arg: c };
    if (depth > 1) return p;
    const rest = [r[3], r[4], r[5], r[6], r[7], r[0], r[1], r[2]];
    switch (r[3] % 8) {
      case 0: return and(p, this.pred(fields, rest, depth + 1));
      case 1: return or(p, this.pred(fields, rest, depth + 1));
      case 2: return and(p, lit(true));
      case 3: return or(lit(false), p);
      case 4: return and(gt(add(lit(1), lit(2)), lit(2)), p);
      case 5: return { kind: 'unary', op: 'isNull', arg: c };
      default: return p;
    }
  }

  apply(plan: LogicalPlan, op: Op, r: number[]): LogicalPlan | null {
    const fields = plan.schema;
    const id = this.n++;
    const pickCol = (i: number, ok: (x: FieldJSON) => boolean = () => true): FieldJSON | null => {
      const cs = fields.filter(ok);
      return cs.length ? cs[r[i] % cs.length] : null;
    };
    switch (op) {
      case 'filter': return filter(plan, this.pred(fields, r));
      case 'project': {
        const exprs: ExprNode[] = fields.filter((_, i) => (r[0] >> (i % 12)) & 1).map((x) => col(x.name));
        if (exprs.length === 0) exprs.push(col(fields[r[1] % fields.length].name));
        const num = pickCol(2, (x) => isNumeric(x.type));
        if (num && r[3] % 2) exprs.push(alias(add(col(num.name), lit(1)), `p${id}`));
        if (r[4] % 3 === 0) exprs.push(add(lit(id), lit(1)));
        if (r[5] % 3 === 0) exprs.push(alias(col(fields[r[6] % fields.length].name), `r${id}`));
        return project(plan, exprs);
      }
      case 'sort': {
        const c = pickCol(0)!;
        return sort(plan, [{ kind: 'sort', arg: col(c.name), ascending: r[1] % 2 === 0, nullsFirst: r[2] % 2 === 0 }]);
      }
      case 'limit': return limit(plan, r[0] % 8, r[1] % 3 === 0 ? r[2] % 3 : 0);
      case 'distinct': return distinct(plan);
      case 'repartition': return repartition(plan, 3, r[0] % 2 ? [col(pickCol(1)!.name)] : []);
      case 'aggregate': {
        const g = r[0] % 3 === 0 ? [] : [pickCol(1)!];
        const groupBy = g.map((x) => (r[2] % 2 ? col(x.name) : alias(col(x.name), `g${id}`)));
        const aggs: ExprNode[] = [agg('countStar', null, `n${id}`)];
        const num = pickCol(3, (x) => isNumeric(x.type));
        if (num) aggs.push(agg('sum', col(num.name), `s${id}`));
        const any = pickCol(4, (x) => x.type !== 'bool');
        if (any && r[5] % 2) aggs.push(agg('max', col(any.name), `m${id}`));
        return aggregate(plan, groupBy, aggs);
      }
      case 'join': {
        const key = pickCol(0, (x) => isInteger(x.type));
        if (!key) return null;
        const how = (['inner', 'left', 'right', 'full', 'semi', 'anti'] as JoinType[])[r[1] % 6];
        const using = r[2] % 3 === 0;
        let right = this.y(`_${id}`, using ? key.name : undefined);
        if (r[3] % 3 === 0) right = filter(right, this.pred(right.schema, [r[4], r[5], r[6], 1, 1, 1, 1, 1]));
        const rk = using ? key.name : `k_${id}`;
        // Joins on conditions: a key equality with a one-side conjunct (keys and pushes for
        // ExtractJoinKeys), or no equality at all (a nested loop).
        if (!using && r[2] % 3 === 1) return join(plan, right, how, [], [], false, 'auto', and(eq(col(key.name), col(rk)), gt(col(rk), lit(r[4] % 5))));
        if (!using && r[2] % 3 === 2 && r[3] % 2 === 1) return join(plan, right, how, [], [], false, 'auto', gt(col(rk), col(key.name)));
        return join(plan, right, how, [col(key.name)], [col(rk)], using);
      }
      case 'union': {
        // The second input has other names (matched by position) and maybe a filter.
        let other: LogicalPlan = project(plan, fields.map((x) => alias(col(x.name), `${x.name}_u${id}`)));
        if (r[0] % 2) other = filter(other, this.pred(other.schema, r));
        return union([plan, other]);
      }
      case 'mapBatches': return mapBatches(plan, IDENTITY_UDF, plan.schema);
    }
  }
}
