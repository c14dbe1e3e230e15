// FactorOrConjuncts: conditions shared by every branch of an OR move out of it.
import { describe, expect, it } from 'vitest';
import { filter } from '../../core/plan/filter.ts';
import { planToString } from '../../core/optimizer/display.ts';
import { optimizeWithTrace } from '../../core/optimizer/optimizer.ts';
import { FactorOrConjuncts } from '../../core/optimizer/rules/factor-or-conjuncts.ts';
import { and, col, eq, evalRows, expectSchemaKept, gt, lit, or, X_FIELDS, xScan } from './helpers.ts';

const run = (p: Parameters<typeof optimizeWithTrace>[0]) => optimizeWithTrace(p, { rules: [FactorOrConjuncts] });

describe('FactorOrConjuncts', () => {
  it('takes the conjunct common to every branch out of the OR', () => {
    const key = gt(col('a'), lit(0));
    const p = filter(xScan(), or(and(key, eq(col('b'), lit('x'))), and(eq(col('b'), lit('y')), key)));
    const t = run(p);
    expect(planToString(t.plan)).toBe("Filter: ((a > 0) AND ((b = 'x') OR (b = 'y')))\n  Scan: csv [/x.csv]");
    expectSchemaKept(p, t.plan);
    expect(t.fired).toEqual([{ pass: 1, rule: 'FactorOrConjuncts' }]);
  });

  it('a branch that is only the common part absorbs the others', () => {
    const p = filter(xScan(), or(gt(col('a'), lit(0)), and(gt(col('a'), lit(0)), col('d'))));
    expect(planToString(run(p).plan)).toBe('Filter: (a > 0)\n  Scan: csv [/x.csv]');
  });

  it('leaves an OR without a shared conjunct alone', () => {
    expect(run(filter(xScan(), or(gt(col('a'), lit(0)), col('d')))).fired).toEqual([]);
  });

  it('keeps which rows pass, nulls included (three-valued logic)', () => {
    const before = or(and(gt(col('a'), lit(0)), eq(col('b'), lit('x'))), and(gt(col('a'), lit(0)), col('d')));
    const after = (run(filter(xScan(), before)).plan as { predicate: Parameters<typeof evalRows>[0] }).predicate;
    const rows = [null, -1, 1].flatMap((a) => [null, 'x', 'y'].flatMap((b) => [null, true, false].map((d) => ({ a, b, c: 0, d }))));
    expect(evalRows(after, X_FIELDS, rows)).toEqual(evalRows(before, X_FIELDS, rows));
  });
});
