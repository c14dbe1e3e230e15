// CombineFilters: stacked filters become one.
import { describe, expect, it } from 'vitest';
import { filter } from '../../core/plan/filter.ts';
import { planToString } from '../../core/optimizer/display.ts';
import { optimizeWithTrace } from '../../core/optimizer/optimizer.ts';
import { CombineFilters } from '../../core/optimizer/rules/combine-filters.ts';
import { col, eq, expectSchemaKept, gt, lit, xScan } from './helpers.ts';

const run = (p: Parameters<typeof optimizeWithTrace>[0]) => optimizeWithTrace(p, { rules: [CombineFilters] });

describe('CombineFilters', () => {
  it('merges a chain of filters into one, innermost predicate first', () => {
    const p = filter(filter(filter(xScan(), gt(col('a'), lit(1))), eq(col('b'), lit('x'))), col('d'));
    const t = run(p);
    expect(planToString(t.plan)).toBe([
      "Filter: (((a > 1) AND (b = 'x')) AND d)",
      '  Scan: csv [/x.csv]',
    ].join('\n'));
    expectSchemaKept(p, t.plan);
    expect(t.fired).toEqual([{ pass: 1, rule: 'CombineFilters' }]);
  });

  it('drops a conjunct that appears twice', () => {
    const p = filter(filter(xScan(), gt(col('a'), lit(1))), gt(col('a'), lit(1)));
    expect(planToString(run(p).plan)).toBe('Filter: (a > 1)\n  Scan: csv [/x.csv]');
  });

  it('leaves a single filter alone', () => {
    const t = run(filter(xScan(), gt(col('a'), lit(1))));
    expect(t.fired).toEqual([]);
  });
});
