// PushDownLimit: limits below projections, into union inputs and scans, merged.
import { describe, expect, it } from 'vitest';
import { filter } from '../../core/plan/filter.ts';
import { limit } from '../../core/plan/limit.ts';
import type { LogicalPlan } from '../../core/plan/node.ts';
import { project } from '../../core/plan/project.ts';
import { scan } from '../../core/plan/scan.ts';
import { sort } from '../../core/plan/sort.ts';
import { union } from '../../core/plan/union.ts';
import { planToString } from '../../core/optimizer/display.ts';
import { optimizeWithTrace } from '../../core/optimizer/optimizer.ts';
import { PushDownLimit } from '../../core/optimizer/rules/push-down-limit.ts';
import { add, alias, asc, col, expectSchemaKept, gt, lit, source, X_FIELDS, xScan, yValues } from './helpers.ts';

function limited(p: LogicalPlan): string {
  const t = optimizeWithTrace(p, { rules: [PushDownLimit] });
  expectSchemaKept(p, t.plan);
  expect(t.converged).toBe(true);
  return planToString(t.plan);
}

const lines = (...ls: string[]) => ls.join('\n');

describe('PushDownLimit', () => {
  it('moves a limit below a projection and into the scan, keeping the Limit above it', () => {
    const p = limit(project(xScan(), [alias(add(col('a'), lit(1)), 'x')]), 10, 5);
    expect(limited(p)).toBe(lines(
      'Project: (a + 1) AS x',
      '  Limit: 10 offset=5',
      '    Scan: csv [/x.csv] limit=15',
    ));
  });

  it('merges stacked limits, offsets included', () => {
    expect(limited(limit(limit(yValues(), 10), 5))).toBe(lines('Limit: 5', '  Values: y [k, v, w] rows=10 partitions=1'));
    expect(limited(limit(limit(yValues(), 5), 10))).toBe(lines('Limit: 5', '  Values: y [k, v, w] rows=10 partitions=1'));
    // Rows [2, 2+10) of rows [3, 3+6): rows 5..8 -> 4 rows from offset 5.
    expect(limited(limit(limit(yValues(), 6, 3), 10, 2))).toBe(lines('Limit: 4 offset=5', '  Values: y [k, v, w] rows=10 partitions=1'));
    expect(limited(limit(limit(yValues(), 2), 10, 3))).toBe(lines('Limit: 0 offset=3', '  Values: y [k, v, w] rows=10 partitions=1'));
  });

  it('limits each union input to n + offset and keeps the outer limit', () => {
    const other = project(yValues(), [alias(col('k'), 'a')]);
    const p = limit(union([project(xScan(), [col('a')]), other, limit(other, 2)]), 3, 1);
    expect(limited(p)).toBe(lines(
      'Limit: 3 offset=1',
      '  Union',
      '    Project: a',
      '      Limit: 4',
      '        Scan: csv [/x.csv] limit=4',
      '    Project: k AS a',
      '      Limit: 4',
      '        Values: y [k, v, w] rows=10 partitions=1',
      '    Project: k AS a',
      '      Limit: 2',
      '        Values: y [k, v, w] rows=10 partitions=1',
    ));
  });

  it('leaves small union inputs alone (a values table of 3 rows under Limit 5)', () => {
    const p = limit(union([yValues(1_000, 3), yValues(1_000, 2)]), 5);
    expect(optimizeWithTrace(p, { rules: [PushDownLimit] }).fired).toEqual([]);
  });

  it('does not pass a Sort, a Filter, or into a scan with filters', () => {
    for (const p of [
      limit(sort(xScan(), [asc(col('a'))]), 3),
      limit(filter(xScan(), gt(col('a'), lit(1))), 3),
      limit(scan(source('/x.csv', 1e9), X_FIELDS, null, [gt(col('a'), lit(1))]), 3),
    ]) {
      expect(optimizeWithTrace(p, { rules: [PushDownLimit] }).fired).toEqual([]);
    }
  });
});
