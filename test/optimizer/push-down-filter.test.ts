// PushDownFilter: where filter conjuncts may move, and where they must stay.
import { describe, expect, it } from 'vitest';
import { aggregate } from '../../core/plan/aggregate.ts';
import { distinct } from '../../core/plan/distinct.ts';
import { filter } from '../../core/plan/filter.ts';
import { join, type JoinType } from '../../core/plan/join.ts';
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
import { optimize } from '../../core/optimizer/optimizer.ts';
import { CombineFilters } from '../../core/optimizer/rules/combine-filters.ts';
import { PushDownFilter } from '../../core/optimizer/rules/push-down-filter.ts';
import { add, agg, alias, and, asc, col, eq, expectSchemaKept, gt, lit, PREDICT_SPEC, source, X_FIELDS, xScan, yValues } from './helpers.ts';

function pushed(p: LogicalPlan): string {
  const out = optimize(p, { rules: [CombineFilters, PushDownFilter] });
  expectSchemaKept(p, out);
  return planToString(out);
}

const lines = (...ls: string[]) => ls.join('\n');

describe('PushDownFilter', () => {
  it('moves a filter into the scan, one entry per conjunct, and removes the Filter', () => {
    const p = filter(xScan(), and(gt(col('a'), lit(1)), eq(col('b'), lit('x'))));
    expect(pushed(p)).toBe("Scan: csv [/x.csv] filters=[(a > 1), (b = 'x')]");
  });

  it('does not move a filter into a scan that already has a limit', () => {
    const p = filter(scan(source('/x.csv', 1e9), X_FIELDS, null, [], 5), gt(col('a'), lit(1)));
    expect(pushed(p)).toBe(lines('Filter: (a > 1)', '  Scan: csv [/x.csv] limit=5'));
  });

  it('substitutes projected expressions and aliases through a Project', () => {
    const p = filter(project(xScan(), [alias(add(col('a'), lit(1)), 'x'), col('b')]), and(gt(col('x'), lit(3)), eq(col('b'), lit('k'))));
    expect(pushed(p)).toBe(lines(
      'Project: (a + 1) AS x, b',
      "  Scan: csv [/x.csv] filters=[((a + 1) > 3), (b = 'k')]",
    ));
  });

  it('goes through Sort, Repartition and Distinct', () => {
    const p = filter(distinct(repartition(sort(xScan(), [asc(col('a'))]), 4, [col('b')])), gt(col('a'), lit(1)));
    expect(pushed(p)).toBe(lines(
      'Distinct',
      '  Repartition: 4 by [b]',
      '    Sort: a ASC NULLS FIRST',
      '      Scan: csv [/x.csv] filters=[(a > 1)]',
    ));
  });

  it('stops at Limit and MapBatches', () => {
    const p1 = filter(limit(xScan(), 10), gt(col('a'), lit(1)));
    expect(pushed(p1)).toBe(planToString(p1));
    const p2 = filter(mapBatches(xScan(), { module: '/udf.js', export: 'f' }, X_FIELDS), gt(col('a'), lit(1)));
    expect(pushed(p2)).toBe(planToString(p2));
  });

  it('moves conjuncts over input columns below Predict, keeps those over its outputs above', () => {
    const p = filter(predict(xScan(), PREDICT_SPEC), and(gt(col('c'), lit(1)), gt(col('score'), lit(0.5))));
    expect(pushed(p)).toBe(lines(
      'Filter: (score > 0.5)',
      `  Predict: model=m (sha256 ${'ab'.repeat(6)}) input=a device=auto batchSize=256 topK=2`,
      '    Scan: csv [/x.csv] filters=[(c > 1)]',
    ));
  });

  it('goes into every Union input, renaming columns by position', () => {
    const other = project(yValues(), [alias(col('k'), 'a'), alias(col('v'), 'b')]);
    const first = project(xScan(), [col('a'), col('b')]);
    const renamed = project(yValues(), [col('k'), col('v')]);
    const p = filter(union([first, renamed, other]), gt(col('a'), lit(1)));
    expect(pushed(p)).toBe(lines(
      'Union',
      '  Project: a, b',
      '    Scan: csv [/x.csv] filters=[(a > 1)]',
      '  Project: k, v',
      '    Filter: (k > 1)',
      '      Values: y [k, v, w] rows=10 partitions=1',
      '  Project: k AS a, v AS b',
      '    Filter: (k > 1)',
      '      Values: y [k, v, w] rows=10 partitions=1',
    ));
  });

  describe('through joins', () => {
    const left = () => xScan();
    const right = () => yValues();
    const onJoin = (how: JoinType) => filter(
      join(left(), right(), how, [col('a')], [col('k')], false),
      and(and(gt(col('a'), lit(1)), eq(col('v'), lit('z'))), gt(col('c'), col('w'))),
    );

    it('inner: left-only conjuncts go left, right-only go right, mixed stay', () => {
      expect(pushed(onJoin('inner'))).toBe(lines(
        'Filter: (c > w)',
        '  Join: inner on [a = k] strategy=auto',
        '    Scan: csv [/x.csv] filters=[(a > 1)]',
        "    Filter: (v = 'z')",
        '      Values: y [k, v, w] rows=10 partitions=1',
      ));
    });

    it('left: never filters the null-supplying right side', () => {
      expect(pushed(onJoin('left'))).toBe(lines(
        "Filter: ((v = 'z') AND (c > w))",
        '  Join: left on [a = k] strategy=auto',
        '    Scan: csv [/x.csv] filters=[(a > 1)]',
        '    Values: y [k, v, w] rows=10 partitions=1',
      ));
    });

    it('right: never filters the null-supplying left side', () => {
      expect(pushed(onJoin('right'))).toBe(lines(
        'Filter: ((a > 1) AND (c > w))',
        '  Join: right on [a = k] strategy=auto',
        '    Scan: csv [/x.csv]',
        "    Filter: (v = 'z')",
        '      Values: y [k, v, w] rows=10 partitions=1',
      ));
    });

    it('full: nothing moves', () => {
      const p = onJoin('full');
      expect(pushed(p)).toBe(planToString(p));
    });

    it('semi and anti: the output is the left side, so everything goes left', () => {
      for (const how of ['semi', 'anti'] as const) {
        const p = filter(join(left(), right(), how, [col('a')], [col('k')], false), and(gt(col('a'), lit(1)), col('d')));
        expect(pushed(p)).toBe(lines(
          `Join: ${how} on [a = k] strategy=auto`,
          '  Scan: csv [/x.csv] filters=[(a > 1), d]',
          '  Values: y [k, v, w] rows=10 partitions=1',
        ));
      }
    });

    it('USING keys: the left value for inner joins, the right one for right joins, neither for full', () => {
      const r = project(yValues(), [alias(col('k'), 'a'), col('v')]);
      const on = (how: JoinType) => filter(join(left(), r, how, [col('a')], [col('a')], true), gt(col('a'), lit(1)));
      expect(pushed(on('inner'))).toBe(lines(
        'Join: inner using [a] strategy=auto',
        '  Scan: csv [/x.csv] filters=[(a > 1)]',
        '  Project: k AS a, v',
        '    Values: y [k, v, w] rows=10 partitions=1',
      ));
      expect(pushed(on('right'))).toBe(lines(
        'Join: right using [a] strategy=auto',
        '  Scan: csv [/x.csv]',
        '  Project: k AS a, v',
        '    Filter: (k > 1)',
        '      Values: y [k, v, w] rows=10 partitions=1',
      ));
      const full = on('full');
      expect(pushed(full)).toBe(planToString(full));
    });
  });

  describe('through aggregates', () => {
    it('moves conjuncts on plain group columns (renamed or not), keeps those on aggregates', () => {
      const a = aggregate(xScan(), [col('a'), alias(col('b'), 'g')], [agg('countStar', null, 'n')]);
      const p = filter(a, and(and(gt(col('a'), lit(1)), eq(col('g'), lit('x'))), gt(col('n'), lit(5))));
      expect(pushed(p)).toBe(lines(
        'Filter: (n > 5)',
        '  Aggregate: groupBy=[a, b AS g] aggs=[count(*) AS n]',
        "    Scan: csv [/x.csv] filters=[(a > 1), (b = 'x')]",
      ));
    });

    it('keeps conjuncts on computed group keys and constant conjuncts above', () => {
      const a = aggregate(xScan(), [alias(add(col('a'), lit(1)), 'k')], [agg('countStar', null, 'n')]);
      const p = filter(a, gt(col('k'), lit(1)));
      expect(pushed(p)).toBe(planToString(p));
      // A global aggregate returns one row even from an empty input: a constant filter stays.
      const g = filter(aggregate(xScan(), [], [agg('countStar', null, 'n')]), lit(false));
      expect(pushed(g)).toBe(planToString(g));
    });

    it('does not substitute an aggregate expression out of a Project', () => {
      const p = filter(project(xScan(), [col('a'), agg('max', col('c'), 'm')]), gt(col('m'), lit(0)));
      expect(pushed(p)).toBe(planToString(p));
    });

    it('moves through a Project over an aggregate only as far as the group columns allow', () => {
      const a = aggregate(xScan(), [col('a')], [agg('sum', col('c'), 's')]);
      const p = filter(project(a, [col('a'), alias(col('s'), 't')]), gt(col('t'), lit(0)));
      expect(pushed(p)).toBe(lines(
        'Project: a, s AS t',
        '  Filter: (s > 0)',
        '    Aggregate: groupBy=[a] aggs=[sum(c) AS s]',
        '      Scan: csv [/x.csv]',
      ));
    });
  });
});
