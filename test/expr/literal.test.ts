// Float literals that are not finite: their JSON form ('Infinity', '-Infinity', 'NaN'), type checking and evaluation.
import { describe, expect, it } from 'vitest';
import { lit as apiLit } from '../../core/api/column.ts';
import { PlanError } from '../../ops/errors.ts';
import { exprToString, floatLiteralNumber, floatLiteralValue, type ExprNode } from '../../ops/expr/node.ts';
import { inferField } from '../../ops/expr/typecheck.ts';
import { batchOf, bin, col, lit, run } from './helpers.ts';

const b = batchOf({
  f: { type: 'float64', values: [1, -1e308, Infinity, -Infinity, NaN, null] },
  g: { type: 'float32', values: [0, Infinity, NaN, -Infinity, 2.5, null] },
});

const json = (e: ExprNode): ExprNode => JSON.parse(JSON.stringify(e)) as ExprNode;

describe('non-finite float literals', () => {
  it('are named in JSON and read back as numbers; other strings are not floats', () => {
    expect([Infinity, -Infinity, NaN, 1.5, -0].map(floatLiteralValue)).toEqual(['Infinity', '-Infinity', 'NaN', 1.5, -0]);
    expect(['Infinity', '-Infinity', 'NaN', 2, null].map(floatLiteralNumber)).toEqual([Infinity, -Infinity, NaN, 2, null]);
    for (const s of ['inf', '+Infinity', 'nan', '1.5', 'toString', '']) expect(floatLiteralNumber(s), s).toBeNull();
  });

  it('lit() stores them by name for float64 and float32, so JSON keeps them', () => {
    for (const [v, type, want] of [[Infinity, undefined, 'Infinity'], [-Infinity, undefined, '-Infinity'], [NaN, undefined, 'NaN'], [Infinity, 'float32', 'Infinity'], [0.25, 'float32', 0.25]] as const) {
      const node = apiLit(v, type).node;
      expect(node, String(v)).toEqual({ kind: 'literal', value: want, type: type ?? 'float64' });
      expect(json(node)).toEqual(node);
    }
  });

  it('evaluate, after a JSON round trip, to the numbers they name', () => {
    expect(run(json(lit('Infinity', 'float64')), b)).toEqual(Array(6).fill(Infinity));
    expect(run(json(lit('NaN', 'float32')), b)).toEqual(Array(6).fill(NaN));
    expect(run(json(bin('lt', col('f'), lit('Infinity', 'float64'))), b)).toEqual([true, true, false, true, false, null]);
    expect(run(json(bin('eq', col('g'), lit('-Infinity', 'float32'))), b)).toEqual([false, false, false, true, false, null]);
    // NaN equals NaN and sorts above every number, as Spark orders it.
    expect(run(json(bin('gte', col('f'), lit('NaN', 'float64'))), b)).toEqual([false, false, false, false, true, null]);
  });

  it('type check as floats; a name on a non-float type, or any other string, is rejected', () => {
    expect(inferField(lit('-Infinity', 'float32'), [])).toEqual({ name: '-Infinity', type: 'float32', nullable: false });
    const message = (e: ExprNode): string => {
      try { inferField(e, []); } catch (err) { expect(err).toBeInstanceOf(PlanError); return (err as Error).message; }
      throw new Error('expected a PlanError');
    };
    expect(message(lit('inf', 'float64'))).toBe(`literal "inf" is not a valid float64: expected a number, or 'Infinity', '-Infinity' or 'NaN'`);
    expect(message(lit('Infinity', 'int32'))).toContain('literal "Infinity" is not a valid int32');
  });

  it('render as their names in explain() and output names', () => {
    expect(exprToString(bin('gt', col('f'), lit('-Infinity', 'float64')))).toBe('(f > -Infinity)');
    expect(exprToString(lit('NaN', 'float32'))).toBe('NaN');
  });
});
