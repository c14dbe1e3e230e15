// Plan-time folding agrees with the runtime evaluator on random expressions.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ExprNode } from '../../ops/expr/node.ts';
import { typeOf } from '../../ops/expr/typecheck.ts';
import { typeToString, type TypeJSON } from '../../ops/types.ts';
import { foldExpr } from '../../core/optimizer/rules/fold-constants.ts';
import { foldLiteralExpr } from '../../core/optimizer/scalar.ts';
import { evalRows, f, lit, type Row } from './helpers.ts';

const FIELDS = [f('i', 'int32'), f('j', 'int64'), f('x', 'float64'), f('s', 'utf8'), f('b', 'bool')];
const ROWS: Row[] = [
  { i: 3, j: 2 ** 40, x: 2.5, s: 'Hello', b: true },
  { i: -7, j: -1, x: -0.5, s: ' 12 ', b: false },
  { i: null, j: null, x: null, s: null, b: null },
  { i: 0, j: 0, x: 0, s: '', b: true },
  { i: 2147483647, j: 9007199254740991, x: 1e300, s: 'é😀', b: false },
];

type T = 'int32' | 'int64' | 'float64' | 'utf8' | 'bool';
const COLUMN: Record<T, string> = { int32: 'i', int64: 'j', float64: 'x', utf8: 's', bool: 'b' };

const literals: Record<T, fc.Arbitrary<ExprNode>> = {
  int32: fc.constantFrom(0, 1, 2, -3, 7, 100, 2147483647, -2147483648, null).map((v) => lit(v, 'int32')),
  int64: fc.constantFrom(0, 5, -9, 2 ** 40, 9007199254740991, null).map((v) => lit(v, 'int64')),
  // Non-finite values in their JSON form (node.ts LiteralValue).
  float64: fc.constantFrom(0, 0.5, -1.5, 2.25, 1e308, -1e-300, 3, 'Infinity', '-Infinity', 'NaN', null).map((v) => lit(v, 'float64')),
  utf8: fc.constantFrom('', 'a', 'AbC', ' x ', '\tt', 'é', '😀z', '12', '-3', '1.5e3', '7.', 'true', null).map((v) => lit(v, 'utf8')),
  bool: fc.constantFrom(true, false, null).map((v) => lit(v, v === null ? 'null' : 'bool')),
};

const bin = (op: (ExprNode & { kind: 'binary' })['op'], left: ExprNode, right: ExprNode): ExprNode => ({ kind: 'binary', op, left, right });
const un = (op: (ExprNode & { kind: 'unary' })['op'], arg: ExprNode): ExprNode => ({ kind: 'unary', op, arg });
const call = (fn: (ExprNode & { kind: 'call' })['fn'], ...args: ExprNode[]): ExprNode => ({ kind: 'call', fn, args });
const cast = (arg: ExprNode, to: TypeJSON): ExprNode => ({ kind: 'cast', arg, to });

const NUM: T[] = ['int32', 'int64', 'float64'];

/** Well-typed expressions of type `t`; leaves are mostly literals so that folding has work. */
function expr(t: T, depth: number): fc.Arbitrary<ExprNode> {
  const leaf = fc.oneof({ weight: 4, arbitrary: literals[t] }, { weight: 1, arbitrary: fc.constant<ExprNode>({ kind: 'column', name: COLUMN[t] }) });
  if (depth <= 0) return leaf;
  const sub = (u: T) => expr(u, depth - 1);
  const anyNum = fc.constantFrom(...NUM).chain(sub);
  const cases: fc.Arbitrary<ExprNode>[] = [
    leaf,
    fc.tuple(sub('bool'), sub(t), sub(t)).map(([w, a, b]) => ({ kind: 'case', branches: [{ when: w, then: a }], otherwise: b }) as ExprNode),
    fc.tuple(sub(t), sub(t)).map(([a, b]) => call('coalesce', a, b)),
  ];
  switch (t) {
    case 'int32':
      cases.push(
        fc.tuple(fc.constantFrom('add', 'sub', 'mul', 'mod' as const), sub('int32'), sub('int32')).map(([op, a, b]) => bin(op, a, b)),
        sub('int32').map((a) => un('negate', a)), sub('int32').map((a) => call('abs', a)),
        sub('utf8').map((a) => call('length', a)),
        fc.constantFrom<T>('float64', 'utf8', 'bool', 'int64').chain(sub).map((a) => cast(a, 'int32')),
      );
      break;
    case 'int64':
      cases.push(
        fc.tuple(fc.constantFrom('add', 'sub', 'mul', 'mod' as const), sub('int64'), sub('int32')).map(([op, a, b]) => bin(op, a, b)),
        fc.tuple(fc.constantFrom('floor', 'ceil' as const), sub('float64')).map(([fn, a]) => call(fn, a)),
        fc.constantFrom<T>('float64', 'utf8', 'int32').chain(sub).map((a) => cast(a, 'int64')),
      );
      break;
    case 'float64':
      cases.push(
        fc.tuple(fc.constantFrom('add', 'sub', 'mul', 'div', 'mod' as const), anyNum, sub('float64')).map(([op, a, b]) => bin(op, a, b)),
        fc.tuple(anyNum, anyNum).map(([a, b]) => bin('div', a, b)),
        fc.tuple(fc.constantFrom('sqrt', 'exp', 'ln' as const), anyNum).map(([fn, a]) => call(fn, a)),
        fc.constantFrom<T>('int32', 'int64', 'utf8', 'bool').chain(sub).map((a) => cast(a, 'float64')),
        sub('float64').map((a) => cast(cast(a, 'float32'), 'float64')),
      );
      break;
    case 'utf8':
      cases.push(
        fc.tuple(fc.constantFrom('lower', 'upper', 'trim' as const), sub('utf8')).map(([fn, a]) => call(fn, a)),
        fc.tuple(sub('utf8'), sub('utf8')).map(([a, b]) => call('concat', a, b)),
        fc.tuple(sub('utf8'), fc.integer({ min: -1, max: 4 }), fc.option(fc.integer({ min: -1, max: 3 }))).map(([a, s, n]) =>
          n === null ? call('substr', a, lit(s, 'int32')) : call('substr', a, lit(s, 'int32'), lit(n, 'int32'))),
        fc.constantFrom<T>('int32', 'int64', 'bool', 'float64').chain(sub).map((a) => cast(a, 'utf8')),
      );
      break;
    case 'bool':
      cases.push(
        fc.tuple(fc.constantFrom('and', 'or' as const), sub('bool'), sub('bool')).map(([op, a, b]) => bin(op, a, b)),
        sub('bool').map((a) => un('not', a)),
        fc.tuple(fc.constantFrom('isNull', 'isNotNull' as const), fc.constantFrom(...NUM, 'utf8' as T).chain(sub)).map(([op, a]) => un(op, a)),
        fc.tuple(fc.constantFrom('eq', 'neq', 'lt', 'lte', 'gt', 'gte' as const), anyNum, anyNum).map(([op, a, b]) => bin(op, a, b)),
        fc.tuple(fc.constantFrom('eq', 'neq', 'lt', 'lte', 'gt', 'gte' as const), sub('utf8'), sub('utf8')).map(([op, a, b]) => bin(op, a, b)),
        fc.tuple(fc.constantFrom('eq', 'lt' as const), sub('bool'), sub('bool')).map(([op, a, b]) => bin(op, a, b)),
        fc.tuple(fc.constantFrom('startsWith', 'endsWith', 'contains' as const), sub('utf8'), sub('utf8')).map(([fn, a, b]) => call(fn, a, b)),
        fc.constantFrom<T>('int32', 'float64').chain(sub).map((a) => cast(a, 'bool')),
      );
      break;
  }
  return fc.oneof(...cases);
}

const anyExpr = fc.constantFrom<T>('int32', 'int64', 'float64', 'utf8', 'bool').chain((t) => expr(t, 3));

const tryEval = (e: ExprNode): { ok: true; values: unknown[] } | { ok: false; error: unknown } => {
  try {
    return { ok: true, values: evalRows(e, FIELDS, ROWS) };
  } catch (error) {
    return { ok: false, error };
  }
};

describe('plan-time folding vs the runtime evaluator', () => {
  it('a folded expression evaluates to the same values, with the same type', () => {
    fc.assert(fc.property(anyExpr, (e) => {
      const folded = foldExpr(e, FIELDS);
      expect(typeToString(typeOf(folded, FIELDS).type)).toBe(typeToString(typeOf(e, FIELDS).type));
      // JSON-safe: plans cross the network.
      expect(JSON.parse(JSON.stringify(folded))).toEqual(folded);
      const before = tryEval(e);
      const after = tryEval(folded);
      // Folding may drop an erroring operand (false AND x), never add an error.
      if (before.ok && !after.ok) expect(before.values).toBe(`folded form threw ${String(after.error)}`);
      if (before.ok && after.ok) expect(after.values).toEqual(before.values);
    }), { numRuns: 800 });
  });

  it('literal-only expressions that fold become one literal of the inferred type', () => {
    const cases: [ExprNode, unknown][] = [
      [bin('add', lit(1), lit(2)), 3],
      [bin('mul', lit(2147483647), lit(2)), undefined], // int32 overflow: left to the runtime
      [bin('div', lit(1), lit(0)), undefined], // division by zero: left to the runtime
      [bin('div', lit(7), lit(2)), 3.5],
      [bin('and', lit(null), lit(false)), false],
      [bin('or', lit(null), lit(false)), null],
      [cast(lit('42', 'utf8'), 'int32'), 42],
      [cast(lit(1.5, 'float64'), 'utf8'), undefined], // float formatting differs between engines
      [call('upper', lit('abc')), 'ABC'],
      [call('length', lit('😀')), undefined], // code points vs UTF-16 units
      // Non-finite floats are named in JSON; they compare as numbers and pass through by name.
      [bin('lt', lit(1e308), lit('Infinity', 'float64')), true],
      [bin('gt', lit('-Infinity', 'float64'), lit(-1e308)), false],
      [bin('eq', lit('NaN', 'float64'), lit('NaN', 'float64')), undefined], // NaN equality is Spark's, left to the runtime
      [call('coalesce', lit(null, 'float64'), lit('-Infinity', 'float64')), '-Infinity'],
      [un('negate', lit('Infinity', 'float64')), undefined], // a computed non-finite result stays unfolded
      [bin('add', lit('Infinity', 'float64'), lit(1)), undefined],
    ];
    for (const [e, want] of cases) {
      const r = foldLiteralExpr(e);
      if (want === undefined) expect(r, JSON.stringify(e)).toBeNull();
      else {
        expect(r?.value).toEqual(want);
        expect(r?.type).toEqual(typeOf(e, []).type);
      }
    }
  });
});
