import { describe, expect, it } from 'vitest';
import { PlanError } from '../../ops/errors.ts';
import { inferField } from '../../ops/expr/typecheck.ts';
import type { ExprNode } from '../../ops/expr/node.ts';
import type { FieldJSON } from '../../ops/types.ts';
import { alias, bin, call, cast, col, lit, un } from './helpers.ts';

const fields: FieldJSON[] = [
  { name: 'line', type: 'utf8', nullable: false },
  { name: 'path', type: 'utf8', nullable: true },
  { name: 'i', type: 'int32', nullable: false },
  { name: 'b', type: 'int8', nullable: false },
  { name: 'l', type: 'int64', nullable: true },
  { name: 'f', type: 'float32', nullable: false },
  { name: 'ok', type: 'bool', nullable: false },
  { name: 'd', type: 'date32', nullable: false },
  { name: 't', type: 'timestamp_ms', nullable: false },
];

const infer = (e: ExprNode) => inferField(e, fields);
const planError = (e: ExprNode) => {
  try { infer(e); } catch (err) { expect(err).toBeInstanceOf(PlanError); return (err as Error).message; }
  throw new Error('expected a PlanError');
};

describe('inferField', () => {
  it('names columns, aliases and expressions as Spark does', () => {
    expect(infer(col('i'))).toEqual({ name: 'i', type: 'int32', nullable: false });
    expect(infer(alias(bin('add', col('i'), lit(1, 'int32')), 'j'))).toEqual({ name: 'j', type: 'int32', nullable: false });
    expect(infer(bin('add', col('i'), lit(1, 'int32'))).name).toBe('(i + 1)');
    expect(infer({ kind: 'sort', arg: col('l'), ascending: false, nullsFirst: false })).toEqual({ name: 'l', type: 'int64', nullable: true });
  });

  it('reports an unknown column with the valid ones and a suggestion', () => {
    expect(planError(col('pth'))).toBe(`unknown column 'pth': valid columns are line, path, i, b, l, f, ok, d, t (did you mean 'path'?)`);
    expect(planError(bin('add', col('zzzzzz'), lit(1, 'int32')))).toBe(`unknown column 'zzzzzz': valid columns are line, path, i, b, l, f, ok, d, t`);
    expect(() => inferField(col('x'), [])).toThrow(`unknown column 'x': valid columns are (none)`);
  });

  it('promotes arithmetic like Spark', () => {
    expect(infer(bin('add', col('b'), col('b'))).type).toBe('int32');
    expect(infer(bin('mul', col('i'), col('l')))).toMatchObject({ type: 'int64', nullable: true });
    expect(infer(bin('sub', col('i'), col('f'))).type).toBe('float64');
    expect(infer(bin('div', col('i'), col('i')))).toMatchObject({ type: 'float64', nullable: true });
    expect(infer(bin('mod', col('l'), col('i'))).type).toBe('int64');
    expect(infer(bin('add', col('i'), lit(null, 'null')))).toMatchObject({ type: 'int32', nullable: true });
    expect(infer(un('negate', col('f'))).type).toBe('float32');
  });

  it('rejects ill-typed expressions, naming them and what is expected', () => {
    expect(planError(bin('add', col('line'), lit(1, 'int32')))).toContain('(line + 1): arithmetic needs numeric operands, got utf8 and int32');
    expect(planError(bin('lt', col('line'), col('i')))).toContain('(line < i): cannot compare utf8 with int32');
    expect(planError(bin('eq', col('d'), col('t')))).toContain('cannot compare date32 with timestamp_ms');
    expect(planError(bin('and', col('ok'), col('i')))).toContain('AND needs bool operands');
    expect(planError(un('not', col('i')))).toContain('NOT i: argument has type int32, expected bool');
    expect(planError(call('upper', col('i')))).toContain('upper(i): argument 1 has type int32, expected utf8');
    expect(planError(call('at', col('line'), lit(0, 'int32')))).toContain('at() needs a list');
    expect(planError(call('substr', col('line')))).toContain('substr takes 2 to 3 argument(s), got 1');
    expect(planError(cast(col('d'), 'int32'))).toContain('cannot cast d from date32 to int32');
    expect(planError(call('regexpExtract', col('line'), lit('(a', 'utf8'), lit(1, 'int32')))).toContain('invalid regular expression');
    expect(planError(call('regexpExtract', col('line'), lit('(a)', 'utf8'), lit(2, 'int32')))).toContain('the pattern has 1 group(s)');
    expect(planError(call('regexpExtract', col('line'), col('path'), lit(1, 'int32')))).toContain('the pattern must be a literal');
    expect(planError(lit('x', 'int32'))).toContain('not a valid int32');
    expect(planError({ kind: 'agg', fn: 'sum', arg: col('line') })).toContain('sum(line): argument has type utf8, expected a numeric type');
  });

  it('types comparisons, boolean logic and null tests', () => {
    expect(infer(bin('lt', col('i'), col('f')))).toEqual({ name: '(i < f)', type: 'bool', nullable: false });
    expect(infer(bin('eq', col('path'), lit('x', 'utf8')))).toMatchObject({ type: 'bool', nullable: true });
    expect(infer(bin('gte', col('d'), col('d'))).type).toBe('bool');
    expect(infer(bin('or', col('ok'), lit(null, 'null')))).toMatchObject({ type: 'bool', nullable: true });
    expect(infer(un('isNull', col('path')))).toMatchObject({ type: 'bool', nullable: false });
  });

  it('types casts, with string parsing nullable', () => {
    expect(infer(cast(col('i'), 'utf8'))).toMatchObject({ type: 'utf8', nullable: false });
    expect(infer(cast(col('line'), 'int64'))).toMatchObject({ type: 'int64', nullable: true });
    expect(infer(cast(col('d'), 'timestamp_ms')).type).toBe('timestamp_ms');
    expect(infer(cast(call('split', col('line'), lit(' ', 'utf8')), { list: 'int32' })).type).toEqual({ list: 'int32' });
  });

  it('types string functions as documented in node.ts', () => {
    const parts = call('split', col('path'), lit(' ', 'utf8'));
    expect(infer(parts)).toMatchObject({ type: { list: 'utf8' }, nullable: true });
    expect(infer(call('at', parts, lit(3, 'int32')))).toMatchObject({ type: 'utf8', nullable: true });
    expect(infer(call('length', col('line')))).toMatchObject({ type: 'int32', nullable: false });
    expect(infer(call('startsWith', col('line'), lit('GET', 'utf8')))).toMatchObject({ type: 'bool', nullable: false });
    expect(infer(call('concat', col('line'), col('i')))).toMatchObject({ type: 'utf8', nullable: false });
    expect(infer(call('coalesce', col('l'), col('i')))).toMatchObject({ type: 'int64', nullable: false });
    expect(infer(call('coalesce', col('path'), lit(null, 'null')))).toMatchObject({ type: 'utf8', nullable: true });
    expect(infer(call('floor', col('f'))).type).toBe('int64');
    expect(infer(call('round', col('f'), lit(1, 'int32'))).type).toBe('float32');
  });

  it('types CASE as the common type of its branches', () => {
    const c = (otherwise: ExprNode | null): ExprNode => ({ kind: 'case', branches: [{ when: col('ok'), then: col('i') }, { when: col('ok'), then: lit(null, 'null') }], otherwise });
    expect(infer(c(col('l')))).toMatchObject({ type: 'int64', nullable: true });
    expect(infer({ kind: 'case', branches: [{ when: col('ok'), then: col('i') }], otherwise: col('b') })).toMatchObject({ type: 'int32', nullable: false });
    expect(infer(c(null)).nullable).toBe(true);
    expect(planError({ kind: 'case', branches: [{ when: col('ok'), then: col('i') }], otherwise: col('line') })).toContain('incompatible types int32, utf8');
    expect(planError({ kind: 'case', branches: [{ when: col('i'), then: col('i') }], otherwise: null })).toContain('WHEN i has type int32, expected bool');
  });

  it('types aggregates', () => {
    expect(infer({ kind: 'agg', fn: 'countStar', arg: null })).toEqual({ name: 'count(*)', type: 'int64', nullable: false });
    expect(infer({ kind: 'agg', fn: 'count', arg: col('path') })).toMatchObject({ type: 'int64', nullable: false });
    expect(infer({ kind: 'agg', fn: 'countDistinct', arg: col('path') }).type).toBe('int64');
    expect(infer({ kind: 'agg', fn: 'sum', arg: col('i') }).type).toBe('int64');
    expect(infer({ kind: 'agg', fn: 'sum', arg: col('f') }).type).toBe('float64');
    expect(infer({ kind: 'agg', fn: 'avg', arg: col('i') }).type).toBe('float64');
    expect(infer({ kind: 'agg', fn: 'max', arg: col('line') })).toMatchObject({ type: 'utf8', nullable: true });
    expect(infer(alias({ kind: 'agg', fn: 'first', arg: col('d') }, 'x'))).toEqual({ name: 'x', type: 'date32', nullable: true });
  });
});
