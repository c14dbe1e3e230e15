// Join order for a FROM clause (join-order.ts, through EliminateCrossJoin): the fact first, then filtered branches of dimensions; uniqueness from Parquet ranges; selectivity guesses.
import { describe, expect, it } from 'vitest';
import { aggregate } from '../../core/plan/aggregate.ts';
import { filter } from '../../core/plan/filter.ts';
import { join } from '../../core/plan/join.ts';
import type { LogicalPlan } from '../../core/plan/node.ts';
import { project } from '../../core/plan/project.ts';
import { scan } from '../../core/plan/scan.ts';
import { planToString } from '../../core/optimizer/display.ts';
import { orderJoins, type JoinEdge, type JoinRel } from '../../core/optimizer/join-order.ts';
import { optimize } from '../../core/optimizer/optimizer.ts';
import { CombineFilters, EliminateCrossJoin, ExistsToSemiJoin, ExtractJoinKeys, PushDownFilter, PushDownSemiJoin } from '../../core/optimizer/rules/index.ts';
import { guessSelectivity, treeSelectivity } from '../../core/optimizer/selectivity.ts';
import { mayBeUnique } from '../../core/optimizer/stats.ts';
import type { ExprNode } from '../../ops/expr/node.ts';
import { alias, and, bin, col, eq, expectSchemaKept, f, gt, lit } from './helpers.ts';

const rel = (rows: number | null, selectivity = 1): JoinRel => ({ rows, selectivity });
const edge = (a: number, b: number, uniqueA: boolean, uniqueB: boolean): JoinEdge => ({ a, b, uniqueA, uniqueB });

describe('orderJoins', () => {
  it('starts from the biggest relation and joins a dimension with the filtered one hanging off it first, as a branch', () => {
    // lineitem(0), supplier(1), nation(2, filtered), orders(3, filtered): Q21's FROM clause.
    const rels = [rel(6e6, 1 / 3), rel(1e4), rel(25, 0.1), rel(1.5e6, 0.1)];
    const edges = [edge(0, 1, false, true), edge(1, 2, false, true), edge(0, 3, false, true)];
    // Both branches keep a tenth; the smaller root (supplier) goes first.
    expect(orderJoins(rels, edges)).toEqual({ left: { left: 0, right: { left: 1, right: 2 } }, right: 3 });
  });

  it('never pulls a relation into a branch over an edge whose key may repeat on its side', () => {
    // lineitem(0), orders(1, filtered), customer(2), supplier(3), nation(4, filtered); customer and
    // supplier share c_nationkey = s_nationkey, which repeats in both (a many-to-many join).
    const rels = [rel(6e6), rel(1.5e6, 0.25), rel(1.5e5), rel(1e4), rel(25, 0.1)];
    const edges = [edge(0, 1, false, true), edge(1, 2, false, true), edge(0, 3, false, true), edge(2, 3, false, false), edge(3, 4, false, true)];
    expect(orderJoins(rels, edges)).toEqual({ left: { left: 0, right: { left: 3, right: 4 } }, right: { left: 1, right: 2 } });
    // Were that edge unique on supplier's side, orders' branch would take supplier and nation along.
    const pulled = orderJoins(rels, edges.map((e) => (e.a === 2 && e.b === 3 ? edge(2, 3, false, true) : e)));
    expect(pulled).toEqual({ left: 0, right: { left: 1, right: { left: 2, right: { left: 3, right: 4 } } } });
  });

  it('keeps the written order (null) with fewer than three relations, an unknown size, nothing filtered, or no link', () => {
    const edges = [edge(0, 1, false, true), edge(1, 2, false, true)];
    expect(orderJoins([rel(10, 0.1), rel(5)], [edge(0, 1, false, true)])).toBeNull();
    expect(orderJoins([rel(10, 0.1), rel(null), rel(5)], edges)).toBeNull();
    expect(orderJoins([rel(10), rel(5), rel(3)], edges)).toBeNull();
    expect(orderJoins([rel(10, 0.1), rel(5), rel(3)], [edge(0, 1, false, true)])).toBeNull();
  });
});

describe('selectivity guesses', () => {
  const c = col('x');
  it('gives the classic defaults: equality a tenth, a range a third, a BETWEEN a quarter, a pattern a quarter', () => {
    expect(guessSelectivity([eq(c, lit(1))])).toBeCloseTo(0.1);
    expect(guessSelectivity([gt(c, lit(1))])).toBeCloseTo(1 / 3);
    expect(guessSelectivity([bin('gte', c, lit(1)), bin('lt', c, lit(9))])).toBeCloseTo(0.25);
    expect(guessSelectivity([{ kind: 'call', fn: 'like', args: [c, lit('%a%')] }])).toBeCloseTo(0.25);
    expect(guessSelectivity([{ kind: 'call', fn: 'in', args: [c, lit(1), lit(2), lit(3)] }])).toBeCloseTo(0.3);
    expect(guessSelectivity([bin('or', eq(c, lit(1)), eq(c, lit(2)))])).toBeCloseTo(0.2);
    expect(guessSelectivity([])).toBe(1);
  });
});

// Parquet scans as the driver records them: rows and integer columns' ranges from the footers.
const table = (name: string, rows: number, cols: Record<string, [number, number] | null>): LogicalPlan => {
  const ranges = Object.fromEntries(Object.entries(cols).filter(([, r]) => r !== null));
  return scan({ format: 'parquet', paths: [`/${name}.parquet`], options: { totalBytes: rows * 8 * Object.keys(cols).length, totalRows: rows, columnRanges: ranges } },
    Object.entries(cols).map(([c, r]) => f(c, r === null ? 'utf8' : 'int32')));
};
const supplier = () => table('supplier', 10_000, { s_suppkey: [1, 10_000], s_nationkey: [0, 24], s_name: null });
const lineitem = () => table('lineitem', 6_000_000, { l_orderkey: [1, 6_000_000], l_suppkey: [1, 10_000], l_receipt: [0, 3000], l_commit: [0, 3000] });
const orders = () => table('orders', 1_500_000, { o_orderkey: [1, 6_000_000], o_status: null });
const nation = () => table('nation', 25, { n_nationkey: [0, 24], n_name: null });
const cross = (a: LogicalPlan, b: LogicalPlan): LogicalPlan => join(a, b, 'inner', [], [], false);
const allOf = (...es: ExprNode[]): ExprNode => es.reduce((x, y) => and(x, y));

describe('mayBeUnique from Parquet ranges', () => {
  it('a key whose range reaches the rows may be unique; one with a narrower range repeats', () => {
    expect(mayBeUnique(supplier(), ['s_suppkey'])).toBe(true);
    expect(mayBeUnique(supplier(), ['s_nationkey'])).toBe(false);
    expect(mayBeUnique(supplier(), ['s_name'])).toBe(false);
    expect(mayBeUnique(orders(), ['o_orderkey'])).toBe(true);
    // Two columns: the product of their ranges.
    expect(mayBeUnique(lineitem(), ['l_suppkey', 'l_receipt'])).toBe(true);
  });

  it('through a filter and a renaming projection, and for an aggregate group key', () => {
    const p = project(filter(supplier(), eq(col('s_nationkey'), lit(3))), [alias(col('s_suppkey'), 'k'), col('s_nationkey')]);
    expect(mayBeUnique(p, ['k'])).toBe(true);
    expect(mayBeUnique(p, ['s_nationkey'])).toBe(false);
    const g = aggregate(supplier(), [col('s_nationkey')], [{ kind: 'agg', fn: 'count', arg: col('s_suppkey') }]);
    expect(mayBeUnique(g, ['s_nationkey'])).toBe(true);
  });
});

describe('EliminateCrossJoin orders a FROM clause by statistics', () => {
  const RULES = [CombineFilters, EliminateCrossJoin, ExtractJoinKeys, PushDownFilter];
  // from supplier, lineitem, orders, nation where ... (TPC-H Q21 without its subqueries)
  const q21 = () => filter(cross(cross(cross(supplier(), lineitem()), orders()), nation()), allOf(
    eq(col('s_suppkey'), col('l_suppkey')), eq(col('o_orderkey'), col('l_orderkey')), eq(col('o_status'), lit('F')),
    gt(col('l_receipt'), col('l_commit')), eq(col('s_nationkey'), col('n_nationkey')), eq(col('n_name'), lit('SAUDI ARABIA'))));

  it('Q21: lineitem first, then supplier joined with its one nation, then orders', () => {
    const p = q21();
    const out = optimize(p, { rules: RULES });
    expectSchemaKept(p, out);
    expect(planToString(out)).toBe([
      'Project: s_suppkey, s_nationkey, s_name, l_orderkey, l_suppkey, l_receipt, l_commit, o_orderkey, o_status, n_nationkey, n_name',
      '  Join: inner on [l_orderkey = o_orderkey] strategy=auto',
      '    Join: inner on [l_suppkey = s_suppkey] strategy=auto',
      '      Scan: parquet [/lineitem.parquet] filters=[(l_receipt > l_commit)]',
      '      Join: inner on [s_nationkey = n_nationkey] strategy=auto',
      '        Scan: parquet [/supplier.parquet]',
      "        Scan: parquet [/nation.parquet] filters=[(n_name = 'SAUDI ARABIA')]",
      "    Scan: parquet [/orders.parquet] filters=[(o_status = 'F')]",
    ].join('\n'));
  });

  it('reorders once: optimizing the result again changes nothing', () => {
    const once = optimize(q21(), { rules: RULES });
    expect(planToString(optimize(once, { rules: RULES }))).toBe(planToString(once));
  });

  it('without statistics (no ranges) the written order stays where nothing is filtered', () => {
    const bare = (p: LogicalPlan): LogicalPlan => (p.kind === 'scan' ? scan({ ...p.source, options: { totalBytes: 1000 } }, p.schema) : p);
    const p = filter(cross(cross(bare(supplier()), bare(lineitem())), bare(nation())), allOf(eq(col('s_suppkey'), col('l_suppkey')), eq(col('s_nationkey'), col('n_nationkey'))));
    const text = planToString(optimize(p, { rules: RULES }));
    expect(text.indexOf('/supplier.parquet')).toBeLessThan(text.indexOf('/lineitem.parquet'));
    expect(text.indexOf('/lineitem.parquet')).toBeLessThan(text.indexOf('/nation.parquet'));
  });
});

describe('a semi join stays above an inner join that filters the side it tests', () => {
  it('over lineitem joined with the suppliers of one nation: not pushed; over an unfiltered dimension: pushed', () => {
    const dims = join(supplier(), filter(nation(), eq(col('n_name'), lit('X'))), 'inner', [col('s_nationkey')], [col('n_nationkey')], false);
    const probe = (right: LogicalPlan) => join(join(lineitem(), right, 'inner', [col('l_suppkey')], [col('s_suppkey')], false),
      project(orders(), [alias(col('o_orderkey'), 'ok')]), 'semi', [col('l_orderkey')], [col('ok')], false);
    expect(treeSelectivity(dims)).toBeCloseTo(0.1);
    const kept = optimize(probe(dims), { rules: [PushDownSemiJoin] });
    expect(planToString(kept).split('\n')[0]).toBe('Join: semi on [l_orderkey = ok] strategy=auto');
    const pushed = optimize(probe(supplier()), { rules: [PushDownSemiJoin] });
    expect(planToString(pushed).split('\n')[0]).toBe('Join: inner on [l_suppkey = s_suppkey] strategy=auto');
    expect(planToString(pushed)).toContain('  Join: semi on [l_orderkey = ok]');
  });

  it('ExistsToSemiJoin puts the other conjuncts under the semi join, on the FROM clause', () => {
    const p = filter(cross(supplier(), nation()), allOf(eq(col('s_nationkey'), col('n_nationkey')),
      { kind: 'subquery', subquery: 'exists', arg: null, negated: false, type: 'bool', outerRefs: [col('s_suppkey')],
        plan: filter(orders(), eq(col('o_orderkey'), { kind: 'outerRef', index: 0, name: 's_suppkey', type: 'int32', nullable: true })) }));
    const out = optimize(p, { rules: [ExistsToSemiJoin] });
    expect(out.kind).toBe('join');
    expect(out.kind === 'join' && out.how).toBe('semi');
    expect(out.kind === 'join' && out.left.kind).toBe('filter');
  });
});

describe('filters implied for one relation by a condition over several (implied-filters.ts)', () => {
  const RULES = [CombineFilters, EliminateCrossJoin, ExtractJoinKeys, PushDownFilter];
  const n1 = () => table('n1', 25, { a_key: [0, 24], a_name: null });
  const n2 = () => table('n2', 25, { b_key: [0, 24], b_name: null });
  const pair = (x: string, y: string) => and(eq(col('a_name'), lit(x)), eq(col('b_name'), lit(y)));

  it('Q7: each nation gets the OR of its own names; the whole condition stays on the join', () => {
    const p = filter(cross(cross(supplier(), n1()), n2()), allOf(eq(col('s_nationkey'), col('a_key')), eq(col('s_suppkey'), col('b_key')),
      bin('or', pair('FRANCE', 'GERMANY'), pair('GERMANY', 'FRANCE'))));
    const out = optimize(p, { rules: RULES });
    expectSchemaKept(p, out);
    const text = planToString(out);
    expect(text).toContain("Scan: parquet [/n1.parquet] filters=[((a_name = 'FRANCE') OR (a_name = 'GERMANY'))]");
    expect(text).toContain("Scan: parquet [/n2.parquet] filters=[((b_name = 'GERMANY') OR (b_name = 'FRANCE'))]");
    expect(text).toContain("filter=(((a_name = 'FRANCE') AND (b_name = 'GERMANY')) OR ((a_name = 'GERMANY') AND (b_name = 'FRANCE')))");
    // Once: optimizing again adds nothing.
    expect(planToString(optimize(out, { rules: RULES }))).toBe(text);
  });

  it('nothing for a relation some branch says nothing about alone', () => {
    const p = filter(cross(n1(), n2()), allOf(eq(col('a_key'), col('b_key')), bin('or', pair('X', 'Y'), eq(col('b_name'), lit('Z')))));
    const text = planToString(optimize(p, { rules: RULES }));
    expect(text).toContain("Scan: parquet [/n2.parquet] filters=[((b_name = 'Y') OR (b_name = 'Z'))]");
    expect(text).toContain('Scan: parquet [/n1.parquet]\n');
  });
});
