// FoldConstants: literal-only subexpressions and AND/OR with literals, names and types kept.
import { describe, expect, it } from 'vitest';
import type { ExprNode } from '../../ops/expr/node.ts';
import { aggregate } from '../../core/plan/aggregate.ts';
import { filter } from '../../core/plan/filter.ts';
import type { LogicalPlan } from '../../core/plan/node.ts';
import { project } from '../../core/plan/project.ts';
import { scan } from '../../core/plan/scan.ts';
import { planToString } from '../../core/optimizer/display.ts';
import { optimizeWithTrace } from '../../core/optimizer/optimizer.ts';
import { FoldConstants } from '../../core/optimizer/rules/fold-constants.ts';
import { add, agg, alias, and, bin, col, expectSchemaKept, gt, lit, or, source, X_FIELDS, xScan } from './helpers.ts';

function folded(p: LogicalPlan): LogicalPlan {
  const t = optimizeWithTrace(p, { rules: [FoldConstants] });
  expectSchemaKept(p, t.plan);
  return t.plan;
}

const lines = (...ls: string[]) => ls.join('\n');

describe('FoldConstants', () => {
  it('evaluates literal-only subexpressions and drops AND true', () => {
    const p = filter(xScan(), and(gt(col('a'), add(lit(1), lit(2))), lit(true)));
    expect(planToString(folded(p))).toBe(lines('Filter: (a > 3)', '  Scan: csv [/x.csv]'));
  });

  it('simplifies OR false, AND false and OR true', () => {
    const a = gt(col('a'), lit(1));
    expect(planToString(folded(filter(xScan(), or(lit(false), a))))).toBe(lines('Filter: (a > 1)', '  Scan: csv [/x.csv]'));
    expect(planToString(folded(filter(xScan(), and(a, lit(false)))))).toBe(lines('Filter: false', '  Scan: csv [/x.csv]'));
    // x OR true is true: the filter keeps every row and goes away.
    expect(planToString(folded(filter(xScan(), or(a, lit(true)))))).toBe('Scan: csv [/x.csv]');
  });

  it('removes Filter(true) but keeps Filter(false) and Filter(null)', () => {
    expect(planToString(folded(filter(xScan(), bin('lt', lit(1), lit(2)))))).toBe('Scan: csv [/x.csv]');
    const f = filter(xScan(), bin('gt', lit(1), lit(2)));
    expect(planToString(folded(f))).toBe(lines('Filter: false', '  Scan: csv [/x.csv]'));
    const n = filter(xScan(), and(lit(null), lit(true)));
    expect(planToString(folded(n))).toBe(lines('Filter: NULL', '  Scan: csv [/x.csv]'));
  });

  it('keeps output names and types: a folded unaliased column is aliased to its old name', () => {
    const p = project(xScan(), [add(lit(1), lit(2)), alias(bin('mul', col('c'), add(lit(1), lit(1))), 'c2'), col('b')]);
    const out = folded(p);
    expect(planToString(out)).toBe(lines('Project: 3 AS (1 + 2), (c * 2) AS c2, b', '  Scan: csv [/x.csv]'));
    expect(out.schema[0]).toEqual({ name: '(1 + 2)', type: 'int32', nullable: false });
  });

  it('folds aggregate arguments and keeps the aggregate output name', () => {
    const p = aggregate(xScan(), [col('b')], [agg('sum', bin('mul', col('a'), add(lit(2), lit(3))))]);
    expect(planToString(folded(p))).toBe(lines(
      'Aggregate: groupBy=[b] aggs=[sum((a * 5)) AS sum((a * (2 + 3)))]',
      '  Scan: csv [/x.csv]',
    ));
  });

  it('folds pushed scan filters and drops the ones that became true', () => {
    const s = scan(source('/x.csv', 1e9), X_FIELDS, null, [gt(col('a'), add(lit(1), lit(1))), gt(lit(2), lit(1))]);
    expect(planToString(folded(s))).toBe('Scan: csv [/x.csv] filters=[(a > 2)]');
  });

  it('leaves what the runtime must decide: division by zero, overflow, float formatting', () => {
    const cases: ExprNode[] = [
      bin('div', lit(1), lit(0)),
      bin('mul', lit(2 ** 30), lit(4)),
      { kind: 'cast', arg: lit(0.1), to: 'utf8' },
      { kind: 'call', fn: 'round', args: [lit(2.5), lit(0)] },
    ];
    for (const e of cases) {
      const p = project(xScan(), [alias(e, 'x')]);
      expect(optimizeWithTrace(p, { rules: [FoldConstants] }).fired).toEqual([]);
    }
  });

  it('changes nothing in a plan without constants', () => {
    const p = filter(xScan(), gt(col('a'), col('c')));
    expect(optimizeWithTrace(p, { rules: [FoldConstants] }).fired).toEqual([]);
  });
});
