// The optimizer driver: fixpoint, trace, error context, schema check; display and estimates.
import { describe, expect, it } from 'vitest';
import { DataError, InternalError, PlanError, QuiverError } from '../../core/errors.ts';
import { aggregate } from '../../core/plan/aggregate.ts';
import { distinct } from '../../core/plan/distinct.ts';
import { filter } from '../../core/plan/filter.ts';
import { join } from '../../core/plan/join.ts';
import { limit } from '../../core/plan/limit.ts';
import { mapBatches } from '../../core/plan/map-batches.ts';
import { predict } from '../../core/plan/predict.ts';
import type { LogicalPlan } from '../../core/plan/node.ts';
import { project } from '../../core/plan/project.ts';
import { repartition } from '../../core/plan/repartition.ts';
import { scan } from '../../core/plan/scan.ts';
import { sort } from '../../core/plan/sort.ts';
import { union } from '../../core/plan/union.ts';
import { planToString } from '../../core/optimizer/display.ts';
import { optimize, optimizeWithTrace } from '../../core/optimizer/optimizer.ts';
import type { OptimizerRule } from '../../core/optimizer/rule.ts';
import { OPTIMIZER_RULES } from '../../core/optimizer/rules/index.ts';
import { estimateStats, maxRows } from '../../core/optimizer/stats.ts';
import { add, agg, alias, and, asc, col, eq, expectSchemaKept, gt, kindsOf, lit, PREDICT_SPEC, roundTrip, source, X_FIELDS, xScan, yValues } from './helpers.ts';

const lines = (...ls: string[]) => ls.join('\n');

/** A plan with every node kind. */
function everyKind(): LogicalPlan {
  const s = scan(source('/x.csv', 1e9), X_FIELDS, ['a', 'b', 'c'], [gt(col('c'), lit(0.5))], null);
  const y = project(yValues(), [alias(col('k'), 'a'), col('v'), alias(add(col('k'), lit(1)), 'k1')]);
  const j = join(filter(s, eq(col('b'), lit('x'))), y, 'left', [col('a')], [col('a')], true);
  const a = aggregate(j, [col('b')], [agg('countStar', null, 'n'), agg('sum', col('c'), 's')]);
  const u = union([a, project(a, [alias(col('b'), 'b2'), alias(col('n'), 'n2'), alias(col('s'), 's2')])]);
  const m = mapBatches(repartition(distinct(u), 4, [col('b')]), { module: '/udf.js', export: 'tag' }, [...u.schema, { name: 'tag', type: 'utf8', nullable: true }], { threshold: 0.5 });
  return limit(sort(predict(m, { ...PREDICT_SPEC, inputCol: 'b' }), [asc(col('n'))]), 10, 2);
}

describe('optimize', () => {
  it('runs the rule list to a fixpoint and says which rules fired', () => {
    const p = project(filter(filter(join(xScan(), yValues(), 'inner', [col('a')], [col('k')], false), and(gt(col('a'), add(lit(1), lit(2))), lit(true))), eq(col('v'), lit('z'))), [col('b'), col('v')]);
    const t = optimizeWithTrace(p);
    expect(planToString(t.plan)).toBe(lines(
      'Project: b, v',
      '  Join: inner on [a = k] strategy=broadcast',
      '    Scan: csv [/x.csv] projection=[a, b] filters=[(a > 3)]',
      '    Project: k, v',
      "      Filter: (v = 'z')",
      '        Values: y [k, v, w] rows=10 partitions=1',
    ));
    expect(t.fired.map((f) => `${f.pass}:${f.rule}`)).toEqual([
      '1:FoldConstants', '1:CombineFilters', '1:PushDownFilter', '1:PruneColumns', '1:ChooseJoinStrategy',
    ]);
    expect(t.converged).toBe(true);
    expect(t.passes).toBe(2);
    expectSchemaKept(p, t.plan);
  });

  it('optimizes a plan with every node kind, keeping its schema', () => {
    const p = everyKind();
    expect(kindsOf(p).size).toBe(13);
    const out = optimize(p);
    expectSchemaKept(p, out);
    expect(planToString(out)).toBe(lines(
      'Limit: 10 offset=2',
      '  Sort: n ASC NULLS FIRST',
      '    Predict: model=m (sha256 abababababab) input=b device=auto batchSize=256 topK=2',
      '      MapBatches: /udf.js#tag -> [b, n, s, tag]',
      '        Repartition: 4 by [b]',
      '          Distinct',
      '            Union',
      '              Aggregate: groupBy=[b] aggs=[count(*) AS n, sum(c) AS s]',
      '                Project: b, c',
      '                  Join: left using [a] strategy=broadcast',
      "                    Scan: csv [/x.csv] projection=[a, b, c] filters=[(c > 0.5), (b = 'x')]",
      '                    Project: k AS a',
      '                      Values: y [k, v, w] rows=10 partitions=1',
      '              Project: b AS b2, n AS n2, s AS s2',
      '                Aggregate: groupBy=[b] aggs=[count(*) AS n, sum(c) AS s]',
      '                  Project: b, c',
      '                    Join: left using [a] strategy=broadcast',
      "                      Scan: csv [/x.csv] projection=[a, b, c] filters=[(c > 0.5), (b = 'x')]",
      '                      Project: k AS a',
      '                        Values: y [k, v, w] rows=10 partitions=1',
    ));
  });

  it('round-trips plans through JSON for every node kind, before and after optimizing', () => {
    const p = everyKind();
    expect(roundTrip(p)).toEqual(p);
    const out = optimize(p);
    expect(roundTrip(out)).toEqual(out);
  });

  it('applies topDown rules to parents before children and root rules once per pass', () => {
    const seen: string[] = [];
    const spy: OptimizerRule = { name: 'Spy', rewrite: (n) => { seen.push(n.kind); return { node: n, changed: false }; } };
    let rootCalls = 0;
    const root: OptimizerRule = { name: 'Root', applyOrder: 'root', rewrite: (n) => { rootCalls++; return { node: n, changed: false }; } };
    optimize(limit(filter(join(xScan(), yValues(), 'inner', [col('a')], [col('k')], false), col('d')), 1), { rules: [spy, root] });
    expect(seen).toEqual(['limit', 'filter', 'join', 'scan', 'values']);
    expect(rootCalls).toBe(1);
  });

  it('stops after maxPasses when rules keep changing the plan', () => {
    const flip: OptimizerRule = {
      name: 'Flip',
      rewrite: (n) => (n.kind === 'limit' ? { node: limit(n.input, n.n === 1 ? 2 : 1), changed: true } : { node: n, changed: false }),
    };
    const t = optimizeWithTrace(limit(xScan(), 1), { rules: [flip], maxPasses: 3 });
    expect(t.converged).toBe(false);
    expect(t.passes).toBe(3);
    expect(t.fired).toHaveLength(3);
  });
});

describe('optimize: rule errors', () => {
  const throwing = (e: unknown): OptimizerRule => ({ name: 'Boom', rewrite: (n) => { if (n.kind === 'filter') throw e; return { node: n, changed: false }; } });
  const plan = () => limit(filter(xScan(), col('d')), 5);

  it('rethrows a Quiver error with the rule name, keeping its class and code', () => {
    const err = (() => { try { optimize(plan(), { rules: [throwing(new PlanError('bad column'))] }); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(PlanError);
    expect((err as PlanError).code).toBe('PLAN_ERROR');
    expect((err as Error).message).toBe("rule 'Boom' failed: bad column");
    const d = (() => { try { optimize(plan(), { rules: [throwing(new DataError('odd', { file: 'f.csv', line: 3 }))] }); } catch (e) { return e; } })();
    expect(d).toBeInstanceOf(DataError);
    expect((d as DataError).location).toEqual({ file: 'f.csv', line: 3 });
  });

  it('turns any other error into an InternalError naming the rule', () => {
    expect(() => optimize(plan(), { rules: [throwing(new TypeError('x is undefined'))] })).toThrowError(InternalError);
    expect(() => optimize(plan(), { rules: [throwing(new TypeError('x is undefined'))] })).toThrow(/rule 'Boom' failed: x is undefined/);
  });

  it('rejects a rewrite that changes the output schema', () => {
    const dropColumn: OptimizerRule = {
      name: 'DropColumn',
      rewrite: (n) => (n.kind === 'filter' ? { node: project(n, [col('a')]), changed: true } : { node: n, changed: false }),
    };
    const err = (() => { try { optimize(plan(), { rules: [dropColumn] }); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(InternalError);
    expect(err).toBeInstanceOf(QuiverError);
    expect((err as Error).message).toMatch(/rule 'DropColumn' changed the output schema of filter from \[a: int32, b: utf8, c: float64, d: bool\] to \[a: int32\]/);
  });

  it('rejects a rule whose changed flag does not match what it returned', () => {
    const liar: OptimizerRule = { name: 'Liar', rewrite: (n) => ({ node: n, changed: true }) };
    expect(() => optimize(plan(), { rules: [liar] })).toThrow(/rule 'Liar' reported changed=true but returned the same limit node/);
  });
});

describe('planToString', () => {
  it('prints one node per line, children indented', () => {
    const s = scan({ format: 'parquet', paths: ['/a', '/b', '/c', '/d'], options: {} }, X_FIELDS, ['a'], [gt(col('a'), lit(1))], 7);
    expect(planToString(limit(sort(repartition(s, 2, []), [asc(col('a'))]), 3))).toBe(lines(
      'Limit: 3',
      '  Sort: a ASC NULLS FIRST',
      '    Repartition: 2 round-robin',
      '      Scan: parquet [/a, /b, /c, ... (4 files)] projection=[a] filters=[(a > 1)] limit=7',
    ));
  });
});

describe('size estimates', () => {
  it('scale scans by projected width and filters, and bound limits and global aggregates', () => {
    const s = scan(source('/x.csv', 33_000), X_FIELDS);
    // Widths: a int32 4, b utf8 20, c float64 8, d bool 1 -> 33 bytes a row.
    expect(estimateStats(s)).toEqual({ rows: null, bytes: 33_000 });
    expect(estimateStats(scan(source('/x.csv', 33_000), X_FIELDS, ['a', 'c'])).bytes).toBe(12_000);
    expect(estimateStats(filter(s, col('d'))).bytes).toBe(16_500);
    expect(estimateStats(limit(s, 10))).toEqual({ rows: 10, bytes: 330 });
    expect(estimateStats(aggregate(s, [], [agg('countStar', null, 'n')]))).toEqual({ rows: 1, bytes: 8 });
    expect(estimateStats(yValues(500, 5))).toEqual({ rows: 5, bytes: 500 });
    expect(estimateStats(join(s, yValues(500, 5), 'inner', [col('a')], [col('k')], false)).bytes).toBe(33_000);
    expect(estimateStats(scan({ format: 'csv', paths: ['/u'], options: {} }, X_FIELDS)).bytes).toBeNull();
  });

  it('maxRows knows values, limits and global aggregates, and nothing of scans', () => {
    expect(maxRows(yValues(1, 7))).toBe(7);
    expect(maxRows(limit(xScan(), 5, 2))).toBe(5);
    expect(maxRows(limit(yValues(1, 4), 5, 2))).toBe(2);
    expect(maxRows(xScan())).toBeNull();
    expect(maxRows(aggregate(xScan(), [], [agg('countStar', null, 'n')]))).toBe(1);
  });
});

describe('the rule list', () => {
  it('has each rule once, in the documented order', () => {
    expect(OPTIMIZER_RULES.map((r) => r.name)).toEqual([
      'ExistsToSemiJoin', 'InSubqueryToSemiJoin', 'ScalarSubqueryToJoin', 'CorrelatedScalarSubqueryToJoin',
      'FoldConstants', 'CombineFilters', 'FactorOrConjuncts', 'EliminateCrossJoin', 'ExtractJoinKeys', 'PushDownFilter', 'PushDownSemiJoin', 'JoinKeysIntoAggregate', 'PushDownLimit', 'PruneColumns', 'ChooseJoinStrategy',
    ]);
  });
});
