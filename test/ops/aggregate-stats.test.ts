// HashAggregateExec with stddev/variance, collectList/collectSet, percentileApprox and sum/avg of distinct values: single, partial -> final and spilling runs against a JS reference.
import type * as arrow from 'apache-arrow';
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { HashAggregateExec } from '../../ops/aggregate/hash-aggregate-exec.ts';
import { splitByPartition } from '../../ops/compute/partition.ts';
import { PlanError } from '../../ops/errors.ts';
import type { AggFn, AggParams, ExprNode } from '../../ops/expr/node.ts';
import { inferField } from '../../ops/expr/typecheck.ts';
import { fromArrowSchema } from '../../ops/types.ts';
import { randomTable, source } from './aggregate-support.ts';
import { col, collect, makeContext, SourceExec } from './stream-support.ts';

interface Spec { fn: AggFn; arg: string; name: string; params?: AggParams }
const SPECS: Spec[] = [
  { fn: 'stddevSamp', arg: 'f', name: 'sdf' }, { fn: 'stddevPop', arg: 'v', name: 'sdpv' },
  { fn: 'varSamp', arg: 'big', name: 'vbig' }, { fn: 'varPop', arg: 'f', name: 'vpf' },
  { fn: 'collectList', arg: 's', name: 'ls' }, { fn: 'collectList', arg: 'v', name: 'lv' },
  { fn: 'collectSet', arg: 'v', name: 'setv' }, { fn: 'collectSet', arg: 's', name: 'sets' },
  { fn: 'percentileApprox', arg: 'v', name: 'medv', params: { percentage: 0.5, accuracy: 10000 } },
  { fn: 'percentileApprox', arg: 'f', name: 'pf', params: { percentage: [0, 0.1, 0.9, 1], accuracy: 10000 } },
  { fn: 'percentileApprox', arg: 'big', name: 'pbig', params: { percentage: 0.25, accuracy: 10000 } },
  { fn: 'percentileApprox', arg: 'ts', name: 'pts', params: { percentage: 0.75, accuracy: 10000 } },
  { fn: 'sumDistinct', arg: 'v', name: 'sdv' }, { fn: 'sumDistinct', arg: 'f', name: 'sdff' }, { fn: 'avgDistinct', arg: 'big', name: 'adbig' },
];
const node = (s: Spec): ExprNode => ({ kind: 'alias', name: s.name, arg: { kind: 'agg', fn: s.fn, arg: col(s.arg), ...(s.params ? { params: s.params } : {}) } });
const aggs = SPECS.map(node);

type Row = Record<string, unknown>;

/** Plain JS values: vectors -> arrays, bigints -> numbers. */
function plain(x: unknown): unknown {
  if (typeof x === 'bigint') return Number(x);
  if (x !== null && typeof x === 'object' && 'toArray' in x) return Array.from(x as unknown as Iterable<unknown>, plain);
  return x ?? null;
}

function rowsOf(batches: readonly arrow.RecordBatch[]): Row[] {
  return batches.flatMap((b) => b.toArray().map((r) => Object.fromEntries(b.schema.fields.map((f) => [f.name, plain(r[f.name])]))));
}

const cmp = (a: unknown, b: unknown) => (typeof a === 'string' ? (a < (b as string) ? -1 : a > (b as string) ? 1 : 0) : (a as number) - (b as number));

/** The answers a user would compare: lists whose order is unspecified are sorted; keys make the row key. */
function normalize(rows: Row[], keys: string[]): Map<string, Row> {
  const out = new Map<string, Row>();
  for (const r of rows) {
    const n = { ...r };
    for (const s of SPECS) if (s.fn === 'collectList' || s.fn === 'collectSet') n[s.name] = [...(r[s.name] as unknown[])].sort(cmp);
    out.set(JSON.stringify(keys.map((k) => r[k])), n);
  }
  return out;
}

/** Naive per-group answers over JS rows. */
function reference(rows: Row[], keys: string[]): Row[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const k = JSON.stringify(keys.map((c) => r[c]));
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.entries()].map(([k, rs]) => {
    const row: Row = {};
    keys.forEach((c, i) => { row[c] = (JSON.parse(k) as unknown[])[i]; });
    for (const s of SPECS) {
      const nn = rs.map((r) => r[s.arg]).filter((x) => x !== null);
      const xs = nn as number[];
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const m2 = xs.reduce((a, x) => a + (x - mean) ** 2, 0);
      const at = (p: number) => [...xs].sort((a, b) => a - b)[Math.max(1, Math.ceil(p * xs.length - 1e-9 * xs.length)) - 1];
      switch (s.fn) {
        case 'stddevSamp': row[s.name] = xs.length < 2 ? null : Math.sqrt(m2 / (xs.length - 1)); break;
        case 'stddevPop': row[s.name] = xs.length < 1 ? null : Math.sqrt(m2 / xs.length); break;
        case 'varSamp': row[s.name] = xs.length < 2 ? null : m2 / (xs.length - 1); break;
        case 'varPop': row[s.name] = xs.length < 1 ? null : m2 / xs.length; break;
        case 'collectList': row[s.name] = nn; break;
        case 'collectSet': row[s.name] = [...new Set(nn)]; break;
        case 'sumDistinct': case 'avgDistinct': {
          const d = [...new Set(xs)];
          row[s.name] = d.length ? d.reduce((a, b) => a + b, 0) / (s.fn === 'avgDistinct' ? d.length : 1) : null;
          break;
        }
        case 'percentileApprox': {
          const p = s.params!.percentage;
          row[s.name] = xs.length === 0 ? null : typeof p === 'number' ? at(p) : p.map(at);
          break;
        }
        default: throw new Error(`no reference for ${s.fn}`);
      }
    }
    return row;
  });
}

/** Deep equality with a relative tolerance for non-integers (variance rounding differs by evaluation order). */
function close(got: unknown, want: unknown, path: string): void {
  if (typeof want === 'number' && typeof got === 'number') {
    expect(Math.abs(got - want), `${path}: ${got} vs ${want}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
    return;
  }
  if (Array.isArray(want)) {
    expect(Array.isArray(got), path).toBe(true);
    expect((got as unknown[]).length, `${path} length`).toBe(want.length);
    want.forEach((w, i) => close((got as unknown[])[i], w, `${path}[${i}]`));
    return;
  }
  expect(got, path).toEqual(want);
}

function expectSame(got: Row[], want: Row[], keys: string[]): void {
  const g = normalize(got, keys), w = normalize(want, keys);
  expect([...g.keys()].sort()).toEqual([...w.keys()].sort());
  for (const [k, row] of w) for (const s of SPECS) close(g.get(k)![s.name], row[s.name], `${k}.${s.name}`);
}

async function single(t: arrow.Table, keys: string[], memoryBudget?: number) {
  const a = new HashAggregateExec({ mode: 'single', groupBy: keys.map(col), aggs }, source(t, 1, 500));
  const ctx = await makeContext({ memoryBudget });
  const rows = rowsOf(await collect(a.execute(0, ctx)));
  return { rows, ctx };
}

/** partial on 3 maps (small batches, an optional budget that makes partial flush) -> 2 reducers (1 without keys) -> final (optionally spilling). */
async function twoPhase(t: arrow.Table, keys: string[], opts: { partialBudget?: number; finalBudget?: number } = {}) {
  const partial = new HashAggregateExec({ mode: 'partial', groupBy: keys.map(col), aggs }, source(t, 3, 200));
  // Without keys the planner reads every partial state in one final task.
  const reducers = keys.length ? 2 : 1;
  const blocks: arrow.RecordBatch[][] = Array.from({ length: reducers }, () => []);
  let flushes = 0;
  for (let p = 0; p < 3; p++) {
    const ctx = await makeContext({ batchSize: 64, memoryBudget: opts.partialBudget });
    for await (const b of partial.execute(p, ctx)) splitByPartition(b, keys.map(col), reducers).forEach((s, r) => { if (s.numRows) blocks[r].push(s); });
    flushes += ctx.counters.get('partialFlushes') ?? 0;
  }
  const final = new HashAggregateExec({ mode: 'final', groupBy: keys.map(col), aggs }, new SourceExec(partial.schema, blocks));
  const rows: Row[] = [];
  let spills = 0;
  for (let r = 0; r < reducers; r++) {
    const ctx = await makeContext({ memoryBudget: opts.finalBudget });
    rows.push(...rowsOf(await collect(final.execute(r, ctx))));
    spills += ctx.counters.get('spills') ?? 0;
    expect(await readdir(ctx.spillDir)).toEqual([]);
  }
  return { rows, flushes, spills };
}

describe('stddev, variance, collectList, collectSet and percentileApprox', () => {
  const t = randomTable({ rows: 4000, groups: 300, nullRate: 0.15, seed: 31 });
  const rows = rowsOf(t.batches);

  for (const keys of [['k'], ['k', 'g'], []]) {
    it(`group by [${keys.join(', ')}]: single and partial -> final give the reference`, async () => {
      const want = reference(rows, keys);
      expectSame((await single(t, keys)).rows, want, keys);
      expectSame((await twoPhase(t, keys)).rows, want, keys);
    });
  }

  it('partial flushes under a tiny budget still merge to the reference', async () => {
    const two = await twoPhase(t, ['k', 'g'], { partialBudget: 2048 });
    expect(two.flushes).toBeGreaterThan(0);
    expectSame(two.rows, reference(rows, ['k', 'g']), ['k', 'g']);
  });

  it('spills (single and final) and gives the reference', async () => {
    const many = randomTable({ rows: 12_000, groups: 3000, nullRate: 0.1, seed: 37 });
    const want = reference(rowsOf(many.batches), ['k', 'g']);
    const s = await single(many, ['k', 'g'], 64 * 1024);
    expect(s.ctx.counters.get('spills')).toBeGreaterThan(0);
    expectSame(s.rows, want, ['k', 'g']);
    const two = await twoPhase(many, ['k', 'g'], { finalBudget: 64 * 1024 });
    expect(two.spills).toBeGreaterThan(0);
    expectSame(two.rows, want, ['k', 'g']);
  }, 60_000);

  it('empty input without keys: one row of nulls and empty lists', async () => {
    const empty = randomTable({ rows: 0, groups: 1 });
    const { rows: got } = await single(empty, []);
    expect(got).toEqual([{ sdf: null, sdpv: null, vbig: null, vpf: null, ls: [], lv: [], setv: [], sets: [], medv: null, pf: null, pbig: null, pts: null, sdv: null, sdff: null, adbig: null }]);
  });

  it('output types: float64 for the statistics, list<T> for collections, T or list<T> for percentiles', () => {
    const fields = fromArrowSchema(t.schema);
    const types = Object.fromEntries(aggs.map((a) => [(a as { name: string }).name, inferField(a, fields).type]));
    expect(types).toEqual({
      sdf: 'float64', sdpv: 'float64', vbig: 'float64', vpf: 'float64', ls: { list: 'utf8' }, lv: { list: 'int32' },
      setv: { list: 'int32' }, sets: { list: 'utf8' }, medv: 'int32', pf: { list: 'float64' }, pbig: 'int64', pts: 'timestamp_ms',
      sdv: 'int64', sdff: 'float64', adbig: 'float64',
    });
  });

  it('bad arguments are PlanErrors that say what is expected', () => {
    const fields = fromArrowSchema(t.schema);
    const bad = (fn: AggFn, arg: string, params?: AggParams) => () => inferField({ kind: 'agg', fn, arg: col(arg), ...(params ? { params } : {}) }, fields);
    expect(bad('stddevSamp', 's')).toThrow(PlanError);
    expect(bad('stddevSamp', 's')).toThrow('stddevSamp(s): argument has type utf8, expected a numeric type');
    expect(bad('percentileApprox', 's', { percentage: 0.5, accuracy: 100 })).toThrow(/expected a numeric, date or timestamp type/);
    expect(bad('percentileApprox', 'v', { percentage: 1.5, accuracy: 100 })).toThrow(/percentage must be a number in \[0, 1\] or a non-empty array of them, got 1.5/);
    expect(bad('percentileApprox', 'v', { percentage: [], accuracy: 100 })).toThrow(/percentage must be/);
    expect(bad('percentileApprox', 'v', { percentage: 0.5, accuracy: 0 })).toThrow(/accuracy must be an integer in \[1, 2\^24\], got 0/);
    expect(bad('percentileApprox', 'v')).toThrow(/needs a percentage/);
  });
});
