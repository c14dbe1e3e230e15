// FoldConstants on dates: a date literal ± an interval becomes one literal, so the bound reaches the scan as a constant.
import { describe, expect, it } from 'vitest';
import { col, lit } from '../../core/api/column.ts';
import { fn } from '../../core/api/functions.ts';
import { planToString } from '../../core/optimizer/display.ts';
import { optimize } from '../../core/optimizer/optimizer.ts';
import { foldLiteralExpr } from '../../core/optimizer/scalar.ts';
import { foldExpr } from '../../core/optimizer/rules/fold-constants.ts';
import { filter } from '../../core/plan/filter.ts';
import { scan } from '../../core/plan/scan.ts';
import type { ExprNode } from '../../ops/expr/node.ts';
import { f, source } from './helpers.ts';

const FIELDS = [f('d', 'date32'), f('t', 'timestamp_ms'), f('s', 'utf8')];
const fold = (e: ExprNode) => foldExpr(e, FIELDS);

describe('FoldConstants on dates and intervals', () => {
  it('date literal ± interval folds to a date32 literal (month ends clamp)', () => {
    expect(fold(fn.date('1998-12-01').sub(fn.interval(90, 'day')).node)).toEqual({ kind: 'literal', value: '1998-09-02', type: 'date32' });
    expect(fold(fn.date('1994-01-01').add(fn.interval(1, 'year')).node)).toEqual({ kind: 'literal', value: '1995-01-01', type: 'date32' });
    expect(fold(fn.date('2024-01-31').add(fn.interval(1, 'month')).node)).toEqual({ kind: 'literal', value: '2024-02-29', type: 'date32' });
    expect(fold(fn.date('1995-03-15').add(fn.interval(3, 'quarter')).node)).toEqual({ kind: 'literal', value: '1995-12-15', type: 'date32' });
    expect(fold(fn.date('2000-01-01').add(fn.interval(2, 'week')).node)).toEqual({ kind: 'literal', value: '2000-01-15', type: 'date32' });
    expect(fold(fn.date('2000-01-01').add(fn.interval(90, 'minute')).node)).toEqual({ kind: 'literal', value: Date.UTC(2000, 0, 1, 1, 30), type: 'timestamp_ms' });
    expect(fold(lit('2000-01-01 10:00:00', 'timestamp_ms').sub(fn.interval(1, 'day')).node)).toEqual({ kind: 'literal', value: Date.UTC(1999, 11, 31, 10), type: 'timestamp_ms' });
  });

  it('parts, datediff, dateTrunc and ISO parsing of literals fold; nulls fold to null', () => {
    expect(fold(fn.year(fn.date('1998-12-01')).node)).toEqual({ kind: 'literal', value: 1998, type: 'int32' });
    expect(fold(fn.lastDay(fn.date('2100-02-03')).node)).toEqual({ kind: 'literal', value: '2100-02-28', type: 'date32' });
    expect(fold(fn.weekofyear(fn.date('2021-01-03')).node)).toEqual({ kind: 'literal', value: 53, type: 'int32' });
    expect(fold(fn.dayofweek(fn.date('2024-03-03')).node)).toEqual({ kind: 'literal', value: 1, type: 'int32' });
    expect(fold(fn.datediff(fn.date('2024-03-01'), fn.date('2024-02-01')).node)).toEqual({ kind: 'literal', value: 29, type: 'int32' });
    expect(fold(fn.dateTrunc('quarter', fn.date('2024-05-17')).node)).toEqual({ kind: 'literal', value: '2024-04-01', type: 'date32' });
    expect(fold(fn.toDate(lit(' 2024-02-29 ')).node)).toEqual({ kind: 'literal', value: '2024-02-29', type: 'date32' });
    expect(fold(fn.toDate(lit('2023-02-29')).node)).toEqual({ kind: 'literal', value: null, type: 'date32' });
    expect(fold(fn.dateAdd(lit(null, 'date32'), 3).node)).toEqual({ kind: 'literal', value: null, type: 'date32' });
    // With a format, the runtime parses.
    expect(foldLiteralExpr(fn.toDate(lit('01/02/2024'), 'dd/MM/yyyy').node)).toBeNull();
  });

  it('a filter on d <= date - interval reaches the scan with a literal bound', () => {
    const p = filter(scan(source('/l.csv', 1e6), FIELDS), col('d').lte(fn.date('1998-12-01').sub(fn.interval(90, 'day'))).node);
    expect(planToString(optimize(p))).toBe("Scan: csv [/l.csv] filters=[(d <= 1998-09-02)]");
  });
});

describe('FoldConstants on casts to dates', () => {
  it('text, dates and timestamps cast to date32 / timestamp_ms fold as the runtime casts', () => {
    expect(fold(lit(' 1998-12-01 ').cast('date32').sub(fn.interval(1, 'month')).node)).toEqual({ kind: 'literal', value: '1998-11-01', type: 'date32' });
    expect(fold(lit('1998-12-01T10:00:00Z').cast('timestamp_ms').node)).toEqual({ kind: 'literal', value: Date.UTC(1998, 11, 1, 10), type: 'timestamp_ms' });
    expect(fold(lit('nope').cast('date32').node)).toEqual({ kind: 'literal', value: null, type: 'date32' });
    expect(fold(fn.date('1969-12-31').cast('timestamp_ms').node)).toEqual({ kind: 'literal', value: -86_400_000, type: 'timestamp_ms' });
    expect(fold(lit(-1, 'timestamp_ms').cast('date32').node)).toEqual({ kind: 'literal', value: '1969-12-31', type: 'date32' });
  });
});
