// EliminateCrossJoin and ExtractJoinKeys: plan shapes for SQL-style joins (TPC-H Q2/Q5/Q7/Q13/Q21), aliases and qualified names.
import { describe, expect, it } from 'vitest';
import { filter } from '../../core/plan/filter.ts';
import { join } from '../../core/plan/join.ts';
import type { LogicalPlan } from '../../core/plan/node.ts';
import { project } from '../../core/plan/project.ts';
import { subqueryAlias } from '../../core/plan/subquery-alias.ts';
import { values } from '../../core/plan/values.ts';
import { planToString } from '../../core/optimizer/display.ts';
import { optimize } from '../../core/optimizer/optimizer.ts';
import { CombineFilters, EliminateCrossJoin, ExtractJoinKeys, PushDownFilter } from '../../core/optimizer/rules/index.ts';
import { PlanError } from '../../ops/errors.ts';
import type { ExprNode } from '../../ops/expr/node.ts';
import { and, bin, col, eq, expectSchemaKept, f, gt, lit, roundTrip } from './helpers.ts';

const RULES = [CombineFilters, EliminateCrossJoin, ExtractJoinKeys, PushDownFilter];
function rewritten(p: LogicalPlan): string {
  const out = optimize(p, { rules: RULES });
  expectSchemaKept(p, out);
  return planToString(out);
}
const lines = (...ls: string[]) => ls.join('\n');
const cross = (a: LogicalPlan, b: LogicalPlan): LogicalPlan => join(a, b, 'inner', [], [], false);
const lt = (a: ExprNode, b: ExprNode): ExprNode => bin('lt', a, b);
const neq = (a: ExprNode, b: ExprNode): ExprNode => bin('neq', a, b);
const allOf = (...es: ExprNode[]): ExprNode => es.reduce((x, y) => and(x, y));

const table = (id: string, ...names: string[]): LogicalPlan => values(id, names.map((n) => f(n, n.endsWith('name') ? 'utf8' : 'int32')), 1, 10, 1000);
const nation = () => table('nation', 'n_nationkey', 'n_name', 'n_regionkey');
const region = () => table('region', 'r_regionkey', 'r_name');
const supplier = () => table('supplier', 's_suppkey', 's_nationkey');
const customer = () => table('customer', 'c_custkey', 'c_nationkey');

describe('EliminateCrossJoin', () => {
  it('turns a filter over a cross join into an equi-join, pushing one-side conjuncts down', () => {
    const p = filter(cross(nation(), region()), allOf(eq(col('n_regionkey'), col('r_regionkey')), eq(col('r_name'), lit('ASIA'))));
    expect(rewritten(p)).toBe(lines(
      'Join: inner on [n_regionkey = r_regionkey] strategy=auto',
      '  Values: nation [n_nationkey, n_name, n_regionkey] rows=10 partitions=1',
      "  Filter: (r_name = 'ASIA')",
      '    Values: region [r_regionkey, r_name] rows=10 partitions=1',
    ));
  });

  it('gives keys to a chain whose equality links a table to one two joins away (from a, b, c)', () => {
    // from supplier, customer, nation where s_nationkey = n_nationkey and c_nationkey = n_nationkey
    const p = filter(cross(cross(supplier(), customer()), nation()),
      allOf(eq(col('s_nationkey'), col('n_nationkey')), eq(col('c_nationkey'), col('n_nationkey'))));
    const text = rewritten(p);
    expect(text).toBe(lines(
      'Project: s_suppkey, s_nationkey, c_custkey, c_nationkey, n_nationkey, n_name, n_regionkey',
      '  Join: inner on [n_nationkey = c_nationkey] strategy=auto',
      '    Join: inner on [s_nationkey = n_nationkey] strategy=auto',
      '      Values: supplier [s_suppkey, s_nationkey] rows=10 partitions=1',
      '      Values: nation [n_nationkey, n_name, n_regionkey] rows=10 partitions=1',
      '    Values: customer [c_custkey, c_nationkey] rows=10 partitions=1',
    ));
    expect(text).not.toContain('cross');
  });

  it('keeps a cartesian product only between relations no condition links, crossing them last', () => {
    const p = filter(cross(cross(nation(), supplier()), region()), eq(col('n_regionkey'), col('r_regionkey')));
    expect(rewritten(p)).toBe(lines(
      'Project: n_nationkey, n_name, n_regionkey, s_suppkey, s_nationkey, r_regionkey, r_name',
      '  Join: inner cross strategy=auto',
      '    Join: inner on [n_regionkey = r_regionkey] strategy=auto',
      '      Values: nation [n_nationkey, n_name, n_regionkey] rows=10 partitions=1',
      '      Values: region [r_regionkey, r_name] rows=10 partitions=1',
      '    Values: supplier [s_suppkey, s_nationkey] rows=10 partitions=1',
    ));
  });

  it('joins a table twice under aliases (Q7: nation n1, nation n2), conditions on the qualified names', () => {
    const n1 = subqueryAlias(nation(), 'n1');
    const n2 = subqueryAlias(nation(), 'n2');
    const p = filter(cross(cross(cross(supplier(), n1), customer()), n2), allOf(
      eq(col('s_nationkey'), col('n1.n_nationkey')), eq(col('c_nationkey'), col('n2.n_nationkey')),
      bin('or', and(eq(col('n1.n_name'), lit('FRANCE')), eq(col('n2.n_name'), lit('GERMANY'))),
        and(eq(col('n1.n_name'), lit('GERMANY')), eq(col('n2.n_name'), lit('FRANCE')))),
    ));
    expect(p.schema.map((x) => x.name)).toEqual(['s_suppkey', 's_nationkey', 'n1.n_nationkey', 'n1.n_name', 'n1.n_regionkey',
      'c_custkey', 'c_nationkey', 'n2.n_nationkey', 'n2.n_name', 'n2.n_regionkey']);
    const text = rewritten(p);
    expect(text).not.toContain('cross');
    expect(text).toContain('Join: inner on [s_nationkey = n1.n_nationkey]');
    expect(text).toMatch(/Join: inner on \[(c_nationkey = n2.n_nationkey|n2.n_nationkey = c_nationkey)\]/);
    // The condition over both nations stays in the join that first has both.
    expect(text).toMatch(/filter=\(\(\(n1\.n_name = 'FRANCE'\) AND \(n2\.n_name = 'GERMANY'\)\) OR/);
  });

  it('moves a cross-side non-equality into the join as its condition', () => {
    const p = filter(cross(supplier(), customer()), lt(col('s_suppkey'), col('c_custkey')));
    expect(rewritten(p)).toBe(lines(
      'Join: inner filter=(s_suppkey < c_custkey) strategy=auto',
      '  Values: supplier [s_suppkey, s_nationkey] rows=10 partitions=1',
      '  Values: customer [c_custkey, c_nationkey] rows=10 partitions=1',
    ));
  });

  it('leaves outer joins and a plan that already has keys alone', () => {
    const left = filter(join(supplier(), customer(), 'left', [], [], false, 'auto', lt(col('s_suppkey'), col('c_custkey'))), gt(col('c_custkey'), lit(1)));
    expect(optimize(left, { rules: [EliminateCrossJoin] })).toBe(left);
    const keyed = join(join(supplier(), nation(), 'inner', [col('s_nationkey')], [col('n_nationkey')], false), customer(), 'inner', [col('n_nationkey')], [col('c_nationkey')], false);
    expect(optimize(keyed, { rules: [EliminateCrossJoin] })).toBe(keyed);
  });
});

describe('ExtractJoinKeys', () => {
  it('Q13: a left join keeps its ON conjunct over the right side, pushed into that side', () => {
    const orders = table('orders', 'o_orderkey', 'o_custkey', 'o_commentname');
    const cond = allOf(eq(col('c_custkey'), col('o_custkey')), neq(col('o_commentname'), lit('special')));
    const p = join(customer(), orders, 'left', [], [], false, 'auto', cond);
    expect(rewritten(p)).toBe(lines(
      'Join: left on [c_custkey = o_custkey] strategy=auto',
      '  Values: customer [c_custkey, c_nationkey] rows=10 partitions=1',
      "  Filter: (o_commentname != 'special')",
      '    Values: orders [o_orderkey, o_custkey, o_commentname] rows=10 partitions=1',
    ));
  });

  it('keeps a left-side ON conjunct of a left join (and of an anti join) in the join', () => {
    for (const how of ['left', 'anti'] as const) {
      const p = join(customer(), supplier(), how, [], [], false, 'auto', allOf(eq(col('c_nationkey'), col('s_nationkey')), gt(col('c_custkey'), lit(3))));
      expect(rewritten(p)).toBe(lines(
        `Join: ${how} on [c_nationkey = s_nationkey] filter=(c_custkey > 3) strategy=auto`,
        '  Values: customer [c_custkey, c_nationkey] rows=10 partitions=1',
        '  Values: supplier [s_suppkey, s_nationkey] rows=10 partitions=1',
      ));
    }
  });

  it('Q21: a semi/anti self-join on an alias keeps the inequality as the residual', () => {
    const lineitem = () => table('lineitem', 'l_orderkey', 'l_suppkey');
    const l1 = subqueryAlias(lineitem(), 'l1');
    const l2 = subqueryAlias(lineitem(), 'l2');
    for (const how of ['semi', 'anti'] as const) {
      const p = join(l1, l2, how, [], [], false, 'auto', allOf(eq(col('l2.l_orderkey'), col('l1.l_orderkey')), neq(col('l2.l_suppkey'), col('l1.l_suppkey'))));
      expect(p.schema.map((x) => x.name)).toEqual(['l_orderkey', 'l_suppkey']);
      expect(rewritten(p)).toBe(lines(
        `Join: ${how} on [l1.l_orderkey = l2.l_orderkey] filter=(l2.l_suppkey != l1.l_suppkey) strategy=auto`,
        '  SubqueryAlias: l1',
        '    Values: lineitem [l_orderkey, l_suppkey] rows=10 partitions=1',
        '  SubqueryAlias: l2',
        '    Values: lineitem [l_orderkey, l_suppkey] rows=10 partitions=1',
      ));
    }
  });
});

describe('qualified names', () => {
  it('an unqualified name on both aliased sides is ambiguous, naming the candidates', () => {
    const p = cross(subqueryAlias(nation(), 'n1'), subqueryAlias(nation(), 'n2'));
    expect(() => project(p, [col('n_name')])).toThrow(PlanError);
    expect(() => project(p, [col('n_name')])).toThrow("column 'n_name' is ambiguous: it could be 'n1.n_name', 'n2.n_name'");
    expect(project(p, [col('n2.n_name')]).schema).toEqual([{ name: 'n2.n_name', type: 'utf8', nullable: true, qualifier: 'n2' }]);
  });

  it('a name on both sides without aliases is still a PlanError saying how to fix it', () => {
    expect(() => cross(nation(), nation())).toThrow(/column 'n_nationkey' exists on both sides; give the sides names with .alias/);
    expect(() => cross(subqueryAlias(nation(), 'n'), subqueryAlias(nation(), 'n'))).toThrow(/both sides are aliased 'n'/);
  });

  it('a semi join on keys between sides with the same names still plans (it outputs the left side only)', () => {
    const p = project(join(nation(), nation(), 'semi', [col('n_nationkey')], [col('n_regionkey')], false), [col('n_name')]);
    const out = optimize(p);
    expectSchemaKept(p, out);
    expect(planToString(out)).toContain('Join: semi on [n_nationkey = n_regionkey]');
  });

  it('a semi join on a condition may have sides sharing names it does not use, but not use them', () => {
    const other = values('other', [f('k', 'int32'), f('n_name', 'utf8')], 1, 10, 1000);
    const p = join(nation(), other, 'semi', [], [], false, 'auto', lt(col('k'), lit(3)));
    expect(p.schema.map((x) => x.name)).toEqual(['n_nationkey', 'n_name', 'n_regionkey']);
    expect(planToString(optimize(p, { rules: RULES }))).toContain('Join: semi cross');
    const q = join(nation(), other, 'anti', [], [], false, 'auto', eq(col('n_regionkey'), col('k')));
    expect(planToString(optimize(q, { rules: RULES }))).toContain('Join: anti on [n_regionkey = k]');
    expect(() => join(nation(), other, 'anti', [], [], false, 'auto', eq(col('n_name'), lit('x')))).toThrow(/join: column 'n_name' exists on both sides; give the sides names with .alias/);
  });

  it('a join with a condition and an alias round-trips through JSON', () => {
    const p = join(subqueryAlias(nation(), 'n1'), subqueryAlias(nation(), 'n2'), 'full', [col('n1.n_regionkey')], [col('n2.n_regionkey')], false, 'auto',
      lt(col('n1.n_nationkey'), col('n2.n_nationkey')));
    const back = roundTrip(p);
    expect(planToString(back)).toBe(planToString(p));
    expect(back.schema).toEqual(p.schema);
  });

  it('pruning a clashing column away keeps the other one under its qualified name', () => {
    const p = project(cross(subqueryAlias(nation(), 'n1'), subqueryAlias(nation(), 'n2')), [col('n2.n_name')]);
    const out = optimize(p);
    expectSchemaKept(p, out);
    expect(out.schema.map((x) => x.name)).toEqual(['n2.n_name']);
  });
});
