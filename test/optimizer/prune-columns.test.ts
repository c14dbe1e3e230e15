// PruneColumns: scans read, and exchanges carry, only the columns used above.
import { describe, expect, it } from 'vitest';
import { aggregate } from '../../core/plan/aggregate.ts';
import { distinct } from '../../core/plan/distinct.ts';
import { filter } from '../../core/plan/filter.ts';
import { join } from '../../core/plan/join.ts';
import { limit } from '../../core/plan/limit.ts';
import { mapBatches } from '../../core/plan/map-batches.ts';
import { predict } from '../../core/plan/predict.ts';
import type { LogicalPlan } from '../../core/plan/node.ts';
import { project } from '../../core/plan/project.ts';
import { scan } from '../../core/plan/scan.ts';
import { sort } from '../../core/plan/sort.ts';
import { union } from '../../core/plan/union.ts';
import { planToString } from '../../core/optimizer/display.ts';
import { optimizeWithTrace } from '../../core/optimizer/optimizer.ts';
import { PruneColumns } from '../../core/optimizer/rules/prune-columns.ts';
import { add, agg, alias, asc, col, eq, expectSchemaKept, gt, lit, PREDICT_SPEC, source, X_FIELDS, xScan, yValues } from './helpers.ts';

function pruned(p: LogicalPlan): string {
  const t = optimizeWithTrace(p, { rules: [PruneColumns] });
  expectSchemaKept(p, t.plan);
  // A second pass finds nothing left to prune.
  expect(t.fired.filter((x) => x.pass > 1)).toEqual([]);
  return planToString(t.plan);
}

const lines = (...ls: string[]) => ls.join('\n');

describe('PruneColumns', () => {
  it('outputs only the columns used above, in file order; a pushed filter\'s own columns are not output (the scan reads them to filter)', () => {
    const s = scan(source('/x.csv', 1e9), X_FIELDS, null, [gt(col('c'), lit(0))]);
    const p = project(filter(s, eq(col('b'), lit('x'))), [col('a')]);
    expect(pruned(p)).toBe(lines(
      'Project: a',
      "  Filter: (b = 'x')",
      '    Scan: csv [/x.csv] projection=[a, b] filters=[(c > 0)]',
    ));
    const q = project(filter(s, eq(col('b'), lit('x'))), [col('b')]);
    expect(pruned(q)).toBe(lines(
      'Project: b',
      "  Filter: (b = 'x')",
      '    Scan: csv [/x.csv] projection=[b] filters=[(c > 0)]',
    ));
  });

  it('keeps the order of an existing scan projection', () => {
    const p = project(scan(source('/x.csv', 1e9), X_FIELDS, ['d', 'b', 'a']), [col('a'), col('d')]);
    expect(pruned(p)).toBe(lines('Project: a, d', '  Scan: csv [/x.csv] projection=[d, a]'));
  });

  it('drops unused outputs of inner projections and keeps sort keys', () => {
    const inner = project(xScan(), [col('a'), col('b'), alias(add(col('c'), lit(1)), 'z')]);
    const p = project(sort(inner, [asc(col('z'))]), [col('b')]);
    expect(pruned(p)).toBe(lines(
      'Project: b',
      '  Sort: z ASC NULLS FIRST',
      '    Project: b, (c + 1) AS z',
      '      Scan: csv [/x.csv] projection=[b, c]',
    ));
  });

  it('projects join inputs down to the keys and used columns', () => {
    const p = project(join(xScan(), yValues(), 'inner', [col('a')], [col('k')], false), [col('b'), col('v')]);
    expect(pruned(p)).toBe(lines(
      'Project: b, v',
      '  Join: inner on [a = k] strategy=auto',
      '    Scan: csv [/x.csv] projection=[a, b]',
      '    Project: k, v',
      '      Values: y [k, v, w] rows=10 partitions=1',
    ));
  });

  it('semi joins need only the right keys', () => {
    const p = project(join(xScan(), yValues(), 'semi', [col('a')], [col('k')], false), [col('b')]);
    expect(pruned(p)).toBe(lines(
      'Project: b',
      '  Join: semi on [a = k] strategy=auto',
      '    Scan: csv [/x.csv] projection=[a, b]',
      '    Project: k',
      '      Values: y [k, v, w] rows=10 partitions=1',
    ));
  });

  it('aggregates read what keys and used aggregates need; count(*) keeps the narrowest column', () => {
    const a = aggregate(xScan(), [col('b')], [agg('sum', col('c'), 's'), agg('max', col('a'), 'm')]);
    expect(pruned(project(a, [col('b'), col('s')]))).toBe(lines(
      'Project: b, s',
      '  Aggregate: groupBy=[b] aggs=[sum(c) AS s]',
      '    Scan: csv [/x.csv] projection=[b, c]',
    ));
    expect(pruned(aggregate(xScan(), [], [agg('countStar', null, 'n')]))).toBe(lines(
      'Aggregate: groupBy=[] aggs=[count(*) AS n]',
      '  Scan: csv [/x.csv] projection=[d]',
    ));
    expect(pruned(aggregate(yValues(), [], [agg('countStar', null, 'n')]))).toBe(lines(
      'Aggregate: groupBy=[] aggs=[count(*) AS n]',
      '  Project: k',
      '    Values: y [k, v, w] rows=10 partitions=1',
    ));
  });

  it('prunes union inputs at the same positions, whatever their names', () => {
    const second = project(yValues(), [alias(col('k'), 'a2'), alias(col('v'), 'b2'), alias(add(col('k'), lit(1)), 'k1')]);
    const first = project(xScan(), [col('a'), col('b'), alias(add(col('a'), lit(0)), 'w0')]);
    const p = project(union([first, second]), [col('b')]);
    expect(pruned(p)).toBe(lines(
      'Project: b',
      '  Union',
      '    Project: b',
      '      Scan: csv [/x.csv] projection=[b]',
      '    Project: v AS b2',
      '      Values: y [k, v, w] rows=10 partitions=1',
    ));
  });

  it('keeps Predict\'s input column and asks nothing of its input for the columns it adds', () => {
    const p = project(predict(xScan(), PREDICT_SPEC), [col('label'), col('score'), col('b')]);
    expect(pruned(p)).toBe(lines(
      'Project: label, score, b',
      `  Predict: model=m (sha256 ${'ab'.repeat(6)}) input=a device=auto batchSize=256 topK=2`,
      '    Scan: csv [/x.csv] projection=[a, b]',
    ));
  });

  it('never prunes what a UDF or a Distinct sees', () => {
    const m = project(mapBatches(project(xScan(), [col('a'), col('b')]), { module: '/udf.js', export: 'f' }, X_FIELDS), [col('c')]);
    expect(pruned(m)).toBe(lines(
      'Project: c',
      '  MapBatches: /udf.js#f -> [a, b, c, d]',
      '    Project: a, b',
      '      Scan: csv [/x.csv] projection=[a, b]',
    ));
    const d = project(distinct(project(xScan(), [col('a'), col('b')])), [col('a')]);
    expect(pruned(d)).toBe(lines(
      'Project: a',
      '  Distinct',
      '    Project: a, b',
      '      Scan: csv [/x.csv] projection=[a, b]',
    ));
  });

  it('leaves a plan that needs every column unchanged', () => {
    const p = limit(filter(xScan(), gt(col('a'), lit(1))), 5);
    expect(optimizeWithTrace(p, { rules: [PruneColumns] }).fired).toEqual([]);
  });
});
