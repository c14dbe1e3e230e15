// Property test: vectorized compileExpr against a row-at-a-time reference interpreter.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Buffer } from 'node:buffer';
import { exprToString, type ExprNode } from '../../ops/expr/node.ts';
import { inferField } from '../../ops/expr/typecheck.ts';
import type { FieldJSON, TypeJSON } from '../../ops/types.ts';
import { batchOf, run, type Cols } from './helpers.ts';

type V = null | number | boolean | string | V[];
type Row = Record<string, V>;

// ---- The oracle: plain, row-at-a-time semantics written from the spec, not from the kernels.

function ref(e: ExprNode, row: Row, fields: FieldJSON[]): V {
  const typeOf = (x: ExprNode) => inferField(x, fields).type;
  switch (e.kind) {
    case 'column': return row[e.name];
    case 'literal': return e.value as V;
    case 'alias': return ref(e.arg, row, fields);
    case 'binary': {
      const a = ref(e.left, row, fields), b = ref(e.right, row, fields);
      if (e.op === 'and') return a === false || b === false ? false : a === null || b === null ? null : true;
      if (e.op === 'or') return a === true || b === true ? true : a === null || b === null ? null : false;
      if (a === null || b === null) return null;
      if (['eq', 'neq', 'lt', 'lte', 'gt', 'gte'].includes(e.op)) {
        // Spark: NaN equals NaN and sorts above every other number.
        const x = Number(a), y = Number(b);
        const c = typeof a === 'string' ? Buffer.compare(Buffer.from(a), Buffer.from(b as string))
          : x !== x || y !== y ? (x !== x ? (y !== y ? 0 : 1) : -1) : x - y;
        return { eq: c === 0, neq: c !== 0, lt: c < 0, lte: c <= 0, gt: c > 0, gte: c >= 0 }[e.op as 'eq'];
      }
      const x = a as number, y = b as number;
      const t = typeOf(e);
      if ((e.op === 'div' || e.op === 'mod') && y === 0) return null;
      if (t === 'int32') {
        if (e.op === 'mul') return Math.imul(x, y);
        return ({ add: x + y, sub: x - y, mod: x % y } as Record<string, number>)[e.op] | 0;
      }
      const r = ({ add: x + y, sub: x - y, mul: x * y, div: x / y, mod: x % y } as Record<string, number>)[e.op];
      return t === 'int64' ? wrap64(r) : r;
    }
    case 'unary': {
      const a = ref(e.arg, row, fields);
      if (e.op === 'isNull') return a === null;
      if (e.op === 'isNotNull') return a !== null;
      if (a === null) return null;
      if (e.op === 'not') return !a;
      const t = typeOf(e), x = -(a as number);
      return t === 'int8' ? (x << 24) >> 24 : t === 'int32' ? x | 0 : t === 'int64' ? wrap64(x) : x;
    }
    case 'cast': {
      const a = ref(e.arg, row, fields);
      if (a === null) return null;
      const from = typeOf(e.arg);
      // An int64 holds an integer exactly (a product past 2^53 is rounded once, to the stored integer): its digits, not the double's shortest form.
      if (e.to === 'utf8') return from === 'int64' && typeof a === 'number' ? BigInt(a).toString() : String(a);
      if (from === 'utf8') {
        const m = /^\s*([+-]?\d+)(\.\d*)?\s*$/.exec(a as string);
        if (!m) return null;
        const v = Number(m[1]);
        return v < -(2 ** 31) || v > 2 ** 31 - 1 ? null : v;
      }
      if (e.to === 'int32') {
        const x = a as number;
        return Number.isNaN(x) ? 0 : Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.trunc(x))) + 0;
      }
      return a;
    }
    case 'call': {
      const args = e.args.map((x) => ref(x, row, fields));
      if (e.fn === 'coalesce') return args.find((x) => x !== null) ?? null;
      if (args.some((x) => x === null)) return null;
      const s = args[0] as string;
      switch (e.fn) {
        case 'upper': return s.toUpperCase();
        case 'lower': return s.toLowerCase();
        case 'length': return [...s].length;
        case 'trim': return s.replace(/^ +| +$/g, '');
        case 'concat': return args.join('');
        case 'startsWith': return s.startsWith(args[1] as string);
        case 'endsWith': return s.endsWith(args[1] as string);
        case 'contains': return s.includes(args[1] as string);
        case 'split': return args[1] === '' ? (s === '' ? [''] : [...s]) : s.split(args[1] as string);
        case 'at': {
          const list = args[0] as V[], k = args[1] as number;
          return k >= 0 && k < list.length ? list[k] : null;
        }
        case 'substr': {
          const chars = [...s];
          const pos = args[1] as number;
          let start = pos > 0 ? pos - 1 : pos < 0 ? chars.length + pos : 0;
          const end = args.length > 2 ? start + (args[2] as number) : Infinity;
          start = Math.max(start, 0);
          return start >= end ? '' : chars.slice(start, Math.min(end, chars.length)).join('');
        }
        case 'abs': return Math.abs(args[0] as number);
        default: throw new Error(`reference: ${e.fn}`);
      }
    }
    case 'case': {
      for (const b of e.branches) if (ref(b.when, row, fields) === true) return ref(b.then, row, fields);
      return e.otherwise ? ref(e.otherwise, row, fields) : null;
    }
    default: throw new Error(`reference: ${e.kind}`);
  }
}

const wrap64 = (x: number): number => Number(BigInt.asIntN(64, BigInt(x)));

// ---- Generators: schemas, rows with nulls, and well-typed expression trees over them.

const COL_TYPES = ['int32', 'int64', 'int8', 'float64', 'bool', 'utf8'] as const;
type ColType = (typeof COL_TYPES)[number];

const str = fc.array(fc.constantFrom('a', 'b', 'B', ' ', 'é', 'ß', '\u{1F600}', 'x y'), { maxLength: 6 }).map((a) => a.join(''));
const valueOf: Record<ColType, fc.Arbitrary<V>> = {
  int32: fc.oneof(fc.integer({ min: -20, max: 20 }), fc.integer()),
  int64: fc.oneof(fc.integer({ min: -20, max: 20 }), fc.integer()),
  int8: fc.integer({ min: -128, max: 127 }),
  float64: fc.oneof(fc.integer({ min: -8, max: 8 }).map((x) => x / 4), fc.double({ noNaN: true, noDefaultInfinity: true })),
  bool: fc.boolean(),
  utf8: str,
};

const schemaArb = fc.uniqueArray(fc.constantFrom(...COL_TYPES), { minLength: 1, maxLength: 5 })
  .map((types) => types.map((t, i) => ({ name: `c${i}_${t}`, type: t as ColType })));

type Cat = 'int' | 'float' | 'bool' | 'str';
const catOf = (t: ColType): Cat => (t === 'float64' ? 'float' : t === 'bool' ? 'bool' : t === 'utf8' ? 'str' : 'int');

const C = (name: string): ExprNode => ({ kind: 'column', name });
const L = (value: V, type: TypeJSON): ExprNode => ({ kind: 'literal', value: value as never, type });
const B = (op: string, left: ExprNode, right: ExprNode): ExprNode => ({ kind: 'binary', op: op as never, left, right });
const F = (fn: string, ...args: ExprNode[]): ExprNode => ({ kind: 'call', fn: fn as never, args });

function exprArb(cols: { name: string; type: ColType }[]) {
  const leaf = (cat: Cat, lit: fc.Arbitrary<ExprNode>) => {
    const names = cols.filter((c) => catOf(c.type) === cat).map((c) => c.name);
    return names.length ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...names).map(C) }, { weight: 1, arbitrary: lit }) : lit;
  };
  const rare = <T>(a: fc.Arbitrary<T>, nul: T) => fc.oneof({ weight: 8, arbitrary: a }, { weight: 1, arbitrary: fc.constant(nul) });
  const intLit = rare(fc.oneof(fc.integer({ min: -3, max: 5 }).map((v) => L(v, 'int32')), fc.integer({ min: -5, max: 5 }).map((v) => L(v, 'int64'))), L(null, 'int32'));
  const floatLit = rare(fc.integer({ min: -8, max: 8 }).map((v) => L(v / 4, 'float64')), L(null, 'float64'));
  const boolLit = rare(fc.boolean().map((v) => L(v, 'bool')), L(null, 'null'));
  const strLit = rare(str.map((v) => L(v, 'utf8')), L(null, 'utf8'));
  const sepLit = fc.constantFrom(' ', 'b', 'é', '', 'x y').map((v) => L(v, 'utf8'));
  // Bounded depth: past it, oneof takes its first arbitrary (the leaf).
  const DEPTH = { maxDepth: 4, depthIdentifier: 'expr', withCrossShrink: true };
  return fc.letrec<Record<Cat, ExprNode>>((tie) => {
    const int = tie('int'), float = tie('float'), bool = tie('bool'), s = tie('str');
    const num = fc.oneof(int, float);
    const caseOf = (v: fc.Arbitrary<ExprNode>) => fc.tuple(bool, v, bool, v, fc.option(v)).map(([w1, t1, w2, t2, o]): ExprNode =>
      ({ kind: 'case', branches: [{ when: w1, then: t1 }, { when: w2, then: t2 }], otherwise: o }));
    return {
      int: fc.oneof(DEPTH,
        leaf('int', intLit),
        fc.tuple(fc.constantFrom('add', 'sub', 'mul', 'mod'), int, int).map(([op, a, b]) => B(op, a, b)),
        int.map((a): ExprNode => ({ kind: 'unary', op: 'negate', arg: a })),
        s.map((a) => F('length', a)),
        s.map((a): ExprNode => ({ kind: 'cast', arg: a, to: 'int32' })),
        float.map((a): ExprNode => ({ kind: 'cast', arg: a, to: 'int32' })),
        fc.tuple(int, int).map(([a, b]) => F('coalesce', a, b)),
        caseOf(int)),
      float: fc.oneof(DEPTH,
        leaf('float', floatLit),
        fc.tuple(fc.constantFrom('add', 'sub', 'mul', 'div', 'mod'), num, float).map(([op, a, b]) => B(op, a, b)),
        fc.tuple(int, int).map(([a, b]) => B('div', a, b)),
        float.map((a) => F('abs', a)),
        int.map((a): ExprNode => ({ kind: 'cast', arg: a, to: 'float64' })),
        caseOf(float)),
      bool: fc.oneof(DEPTH,
        leaf('bool', boolLit),
        fc.tuple(fc.constantFrom('eq', 'neq', 'lt', 'lte', 'gt', 'gte'), num, num).map(([op, a, b]) => B(op, a, b)),
        fc.tuple(fc.constantFrom('eq', 'neq', 'lt', 'gte'), s, s).map(([op, a, b]) => B(op, a, b)),
        fc.tuple(fc.constantFrom('and', 'or'), bool, bool).map(([op, a, b]) => B(op, a, b)),
        bool.map((a): ExprNode => ({ kind: 'unary', op: 'not', arg: a })),
        fc.tuple(fc.constantFrom('isNull', 'isNotNull'), fc.oneof(int, s, bool)).map(([op, a]): ExprNode => ({ kind: 'unary', op: op as 'isNull', arg: a })),
        fc.tuple(fc.constantFrom('startsWith', 'endsWith', 'contains'), s, fc.oneof(strLit, s)).map(([fn, a, b]) => F(fn, a, b))),
      str: fc.oneof(DEPTH,
        leaf('str', strLit),
        fc.tuple(fc.constantFrom('upper', 'lower', 'trim'), s).map(([fn, a]) => F(fn, a)),
        fc.tuple(s, intLit, fc.option(intLit)).map(([a, p, l]) => (l ? F('substr', a, p, l) : F('substr', a, p))),
        fc.tuple(s, sepLit, fc.oneof(intLit, int)).map(([a, sep, k]) => F('at', F('split', a, sep), k)),
        fc.tuple(s, s).map(([a, b]) => F('concat', a, b)),
        int.map((a): ExprNode => ({ kind: 'cast', arg: a, to: 'utf8' })),
        fc.tuple(s, s).map(([a, b]) => F('coalesce', a, b)),
        caseOf(s)),
    };
  });
}

const caseArb = schemaArb.chain((cols) => {
  const rowArb = fc.record(Object.fromEntries(cols.map((c) => [c.name, fc.option(valueOf[c.type], { freq: 4 })])) as Record<string, fc.Arbitrary<V>>);
  const tree = exprArb(cols);
  return fc.record({
    cols: fc.constant(cols),
    rows: fc.array(rowArb, { minLength: 1, maxLength: 40, size: 'medium' }),
    slice: fc.tuple(fc.nat(12), fc.nat(40)),
    expr: fc.oneof(tree.int, tree.float, tree.bool, tree.str),
  });
});

describe('compileExpr agrees with a row-at-a-time reference interpreter', () => {
  it('on random schemas, batches (with nulls, sliced) and expression trees', () => {
    fc.assert(fc.property(caseArb, ({ cols, rows, slice, expr }) => {
      const spec: Cols = Object.fromEntries(cols.map((c) => [c.name, { type: c.type, values: rows.map((r) => r[c.name]) }]));
      const full = batchOf(spec);
      const start = Math.min(slice[0], rows.length);
      const batch = full.slice(start, Math.min(rows.length, start + slice[1]));
      const fields: FieldJSON[] = cols.map((c) => ({ name: c.name, type: c.type, nullable: true }));
      const field = inferField(expr, fields);
      const got = run(expr, batch);
      const want = rows.slice(start, start + batch.numRows).map((r) => ref(expr, r, fields));
      if (!field.nullable) expect(got).not.toContain(null);
      expect(got, exprToString(expr)).toEqual(want);
    }), { numRuns: 400 });
  });
});

describe('string kernels agree with the reference on random utf8 columns', () => {
  const word = fc.array(fc.constantFrom('a', 'b', ' ', '  ', 'é', '\u{1F600}', 'ab', 'GET', '/'), { maxLength: 10 }).map((a) => a.join(''));
  const s = C('s');
  const sep = fc.constantFrom(' ', 'a', 'é', '\u{1F600}', 'ab', '', '  ').map((v) => L(v, 'utf8'));
  const k = fc.integer({ min: -1, max: 6 }).map((v) => L(v, 'int32'));
  const opArb: fc.Arbitrary<ExprNode> = fc.oneof(
    fc.tuple(sep, k).map(([p, i]) => F('at', F('split', s, p), i)),
    fc.tuple(sep, k).map(([p, i]) => F('at', F('split', s, p), B('add', i, C('n')))),
    sep.map((p) => F('split', s, p)),
    fc.tuple(fc.constantFrom('startsWith', 'endsWith', 'contains'), sep).map(([fn, p]) => F(fn, s, p)),
    fc.tuple(fc.constantFrom('eq', 'neq', 'lt', 'gte'), sep).map(([op, p]) => B(op, s, p)),
    fc.tuple(k, fc.option(k)).map(([p, l]) => (l ? F('substr', s, p, l) : F('substr', s, p))),
    fc.constantFrom('upper', 'lower', 'trim', 'length').map((fn) => F(fn, s)),
  );
  it('split/at (fused and general), matching, substr, case, trim, length', () => {
    fc.assert(fc.property(fc.array(fc.option(word, { freq: 5 }), { minLength: 1, maxLength: 60 }), fc.nat(20), opArb, (rows, start0, expr) => {
      const full = batchOf({ s: { type: 'utf8', values: rows }, n: { type: 'int32', values: rows.map((_, i) => i % 3) } });
      const start = Math.min(start0, rows.length);
      const batch = full.slice(start, rows.length);
      const fields: FieldJSON[] = [{ name: 's', type: 'utf8', nullable: true }, { name: 'n', type: 'int32', nullable: false }];
      const want = rows.slice(start).map((r, i) => ref(expr, { s: r, n: (start + i) % 3 }, fields));
      expect(run(expr, batch), exprToString(expr)).toEqual(want);
    }), { numRuns: 300 });
  });
});
