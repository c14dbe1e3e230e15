// WindowExec: frames and functions against a brute-force reference, across batch boundaries, with nulls, ties and non-finite values.
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { makeBatch } from '../../ops/compute/batch.ts';
import type { ExprNode } from '../../ops/expr/node.ts';
import type { WindowFrame, WindowFnName } from '../../ops/expr/window-spec.ts';
import { WindowExec } from '../../ops/window/index.ts';
import { rng } from './aggregate-support.ts';
import { col, collect, makeContext, SourceExec, sortKey } from './stream-support.ts';

type Row = { k: number | null; o: number | null; x: number | null };

/** Rows sorted by (k, o) with nulls first, as the planner's SortExec hands them over; o has many ties. */
function sortedRows(n: number, seed: number): Row[] {
  const r = rng(seed);
  const maybe = (v: number, p: number) => (r() < p ? null : v);
  const rows = Array.from({ length: n }, () => ({ k: maybe(Math.floor(r() * 4), 0.1), o: maybe(Math.floor(r() * 12), 0.15), x: maybe(Math.round(r() * 200) - 100, 0.2) }));
  const cmp = (a: number | null, b: number | null) => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a - b);
  return rows.sort((a, b) => cmp(a.k, b.k) || cmp(a.o, b.o));
}

const SCHEMA = new arrow.Schema([new arrow.Field('k', new arrow.Int32(), true), new arrow.Field('o', new arrow.Int32(), true), new arrow.Field('x', new arrow.Float64(), true)]);

function batches(rows: Row[], size: number): arrow.RecordBatch[] {
  const column = (vs: (number | null)[], t: arrow.DataType) => arrow.vectorFromArray(vs, t).data[0];
  const whole = makeBatch(SCHEMA, [column(rows.map((r) => r.k), new arrow.Int32()), column(rows.map((r) => r.o), new arrow.Int32()), column(rows.map((r) => r.x), new arrow.Float64())]);
  const out: arrow.RecordBatch[] = [];
  for (let i = 0; i < rows.length; i += size) out.push(whole.slice(i, Math.min(rows.length, i + size)));
  return out;
}

const ORDER = [sortKey('o', true, true)];
const over = (arg: ExprNode, frame: WindowFrame | null, name: string): ExprNode =>
  ({ kind: 'alias', name, arg: { kind: 'over', arg, spec: { partitionBy: [col('k')], orderBy: ORDER, frame } } });
const agg = (fn: 'sum' | 'min' | 'max' | 'count' | 'avg' | 'first' | 'last', arg: string | null): ExprNode => ({ kind: 'agg', fn: arg === null ? 'countStar' : fn, arg: arg === null ? null : col(arg) });
const wfn = (fn: WindowFnName, ...args: ExprNode[]): ExprNode => ({ kind: 'windowFn', fn, args });
const num = (v: number): ExprNode => ({ kind: 'literal', value: v, type: 'int32' });

async function run(rows: Row[], exprs: ExprNode[], size: number, batchSize = 64): Promise<Record<string, unknown>[]> {
  const exec = new WindowExec({ partitionBy: [col('k')], orderBy: ORDER, exprs }, new SourceExec(SCHEMA, [batches(rows, size)]));
  const out = await collect(exec.execute(0, await makeContext({ batchSize })));
  for (const b of out) expect(b.numRows).toBeLessThanOrEqual(batchSize);
  return out.flatMap((b) => b.toArray().map((r) => r.toJSON() as Record<string, unknown>));
}

/** Brute force: each row's window partition, peers and frame by scanning every row. */
function reference(rows: Row[]) {
  const part = (i: number) => rows.map((_, j) => j).filter((j) => rows[j].k === rows[i].k);
  const frameRows = (i: number, lo: number, hi: number) => {
    const p = part(i), at = p.indexOf(i);
    return p.slice(Math.max(0, at + lo), Math.max(0, at + hi + 1));
  };
  const frameRange = (i: number, lo: number, hi: number) => part(i).filter((j) => {
    const v = rows[i].o, w = rows[j].o;
    if (v === null || w === null) return v === w;
    return w >= v + lo && w <= v + hi;
  });
  const xs = (js: number[]) => js.map((j) => rows[j].x).filter((x): x is number => x !== null);
  return {
    sum: (js: number[]) => (xs(js).length ? xs(js).reduce((a, b) => a + b, 0) : null),
    min: (js: number[]) => (xs(js).length ? Math.min(...xs(js)) : null),
    max: (js: number[]) => (xs(js).length ? Math.max(...xs(js)) : null),
    rank: (i: number) => part(i).filter((j) => rows[j].o !== rows[i].o && (rows[i].o === null ? false : rows[j].o === null || rows[j].o! < rows[i].o!)).length + 1,
    lag: (i: number) => { const p = part(i), at = p.indexOf(i); return at > 0 ? rows[p[at - 1]].x : null; },
    frameRows, frameRange,
  };
}

describe('WindowExec', () => {
  const rows = sortedRows(400, 5);
  const ref = reference(rows);
  const exprs = [
    over(agg('sum', 'x'), { unit: 'rows', start: -2, end: 1 }, 's'),
    over(agg('min', 'x'), { unit: 'rows', start: -3, end: 0 }, 'mn'),
    over(agg('max', 'x'), { unit: 'rows', start: 1, end: 4 }, 'mx'),
    over(agg('count', null), { unit: 'range', start: -3, end: 2 }, 'n'),
    over(agg('max', 'x'), { unit: 'range', start: -2, end: 0 }, 'mr'),
    over(wfn('rank'), null, 'r'),
    over(wfn('lag', col('x'), num(1), { kind: 'literal', value: null, type: 'null' }), null, 'lag'),
  ];

  for (const size of [1, 7, 1000]) {
    it(`matches a brute-force reference with input batches of ${size} rows`, async () => {
      const got = await run(rows, exprs, size);
      expect(got).toHaveLength(rows.length);
      got.forEach((g, i) => {
        const want = {
          s: ref.sum(ref.frameRows(i, -2, 1)), mn: ref.min(ref.frameRows(i, -3, 0)), mx: ref.max(ref.frameRows(i, 1, 4)),
          n: ref.frameRange(i, -3, 2).length, mr: ref.max(ref.frameRange(i, -2, 0)), r: ref.rank(i), lag: ref.lag(i),
        };
        expect({ k: g.k, o: g.o, s: g.s, mn: g.mn, mx: g.mx, n: Number(g.n), mr: g.mr, r: g.r, lag: g.lag }, `row ${i}`).toEqual({ k: rows[i].k, o: rows[i].o, ...want });
      });
    });
  }

  it('sums over a moving frame exactly once NaN and infinities have left it', async () => {
    const xs = [Infinity, 1, 2, NaN, 3, 4, -Infinity, 0.5, 0.25];
    const rs = xs.map((x, i) => ({ k: 0, o: i, x }));
    const got = await run(rs, [over(agg('sum', 'x'), { unit: 'rows', start: -1, end: 0 }, 's'), over(agg('avg', 'x'), { unit: 'rows', start: -1, end: 0 }, 'a')], 2);
    expect(got.map((r) => r.s)).toEqual([Infinity, Infinity, 3, NaN, NaN, 7, -Infinity, -Infinity, 0.75]);
    expect(got.at(-1)!.a).toBe(0.375);
  });

  it('gives null over empty frames and 0 for their count, and types each column as planned', async () => {
    const rs = [{ k: 1, o: 1, x: 5 }, { k: 1, o: 2, x: null }, { k: 2, o: 1, x: 7 }];
    const exec = new WindowExec({ partitionBy: [col('k')], orderBy: ORDER, exprs: [
      over(agg('sum', 'x'), { unit: 'rows', start: 1, end: 1 }, 'next'), over(agg('count', 'x'), { unit: 'rows', start: 1, end: 1 }, 'c'),
      over(wfn('ntile', num(2)), null, 't'), over(wfn('percentRank'), null, 'pr'),
    ] }, new SourceExec(SCHEMA, [batches(rs, 2)]));
    expect(exec.schema.fields.slice(3).map((f) => `${f.name}: ${String(f.type)} ${f.nullable}`)).toEqual(['next: Float64 true', 'c: Int64 false', 't: Int32 false', 'pr: Float64 false']);
    const out = (await collect(exec.execute(0, await makeContext()))).flatMap((b) => b.toArray().map((r) => r.toJSON()));
    expect(out.map((r) => [r.next, Number(r.c), r.t, r.pr])).toEqual([[null, 0, 1, 0], [null, 0, 2, 1], [null, 0, 1, 0]]);
  });

  it('skips empty batches and holds a window partition that spans many batches until it ends', async () => {
    const rs = Array.from({ length: 50 }, (_, i) => ({ k: i < 45 ? 0 : 1, o: i, x: 1 }));
    const bs = batches(rs, 4);
    const src = new SourceExec(SCHEMA, [[bs[0].slice(0, 0), ...bs.flatMap((b) => [b, b.slice(0, 0)])]]);
    const exec = new WindowExec({ partitionBy: [col('k')], orderBy: ORDER, exprs: [over(agg('count', null), { unit: 'rows', start: 'unbounded', end: 'unbounded' }, 'n')] }, src);
    const out = (await collect(exec.execute(0, await makeContext({ batchSize: 8 })))).flatMap((b) => b.toArray().map((r) => Number(r.toJSON().n)));
    expect(out).toEqual([...Array(45).fill(45), ...Array(5).fill(5)]);
  });
});
