import * as arrow from 'apache-arrow';
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { HashAggregateExec } from '../../ops/aggregate/hash-aggregate-exec.ts';
import { splitByPartition } from '../../ops/compute/partition.ts';
import { PlanError } from '../../ops/errors.ts';
import type { ExecPlan } from '../../ops/exec-plan.ts';
import type { AggFn, ExprNode } from '../../ops/expr/node.ts';
import { agg, batchesOf, randomTable, referenceAggregate, rowsOf, run, sortRows, source } from './aggregate-support.ts';
import { col, collect, makeContext, SourceExec } from './stream-support.ts';

const EVERY: { fn: AggFn; arg: string | null; name: string }[] = [
  { fn: 'countStar', arg: null, name: 'n' },
  { fn: 'count', arg: 'v', name: 'nv' },
  { fn: 'sum', arg: 'v', name: 'sv' },
  { fn: 'sum', arg: 'f', name: 'sf' },
  { fn: 'sum', arg: 'big', name: 'sbig' },
  { fn: 'avg', arg: 'v', name: 'av' },
  { fn: 'min', arg: 'f', name: 'minf' },
  { fn: 'max', arg: 'v', name: 'maxv' },
  { fn: 'min', arg: 's', name: 'mins' },
  { fn: 'max', arg: 's', name: 'maxs' },
  { fn: 'min', arg: 'big', name: 'minbig' },
  { fn: 'max', arg: 'ts', name: 'maxts' },
  { fn: 'min', arg: 'b', name: 'minb' },
  { fn: 'max', arg: 'b', name: 'maxb' },
  { fn: 'countDistinct', arg: 's', name: 'ds' },
  { fn: 'countDistinct', arg: 'v', name: 'dv' },
  { fn: 'first', arg: 'v', name: 'fv' },
  { fn: 'last', arg: 's', name: 'ls' },
  { fn: 'first', arg: 'big', name: 'fbig' },
];
const aggExprs = (specs = EVERY) => specs.map((a) => agg(a.fn, a.arg, a.name));
const tableRows = (t: arrow.Table) => rowsOf(t.batches);

function aggregate(mode: 'single' | 'partial' | 'final', child: ExecPlan, groupBy: string[], aggs = aggExprs()): HashAggregateExec {
  return new HashAggregateExec({ mode, groupBy: groupBy.map(col), aggs }, child);
}

/**
 * partial on each input partition -> hash shuffle on the group columns into `reducers`
 * partitions (blocks kept in map order) -> final on each; returns all output rows.
 */
async function twoPhase(t: arrow.Table, groupBy: string[], aggs: ExprNode[], opts: { maps: number; reducers: number; budget?: number }) {
  const src = source(t, opts.maps, 100);
  const partial = new HashAggregateExec({ mode: 'partial', groupBy: groupBy.map(col), aggs }, src);
  const blocks: arrow.RecordBatch[][] = Array.from({ length: opts.reducers }, () => []);
  let flushes = 0;
  for (let p = 0; p < opts.maps; p++) {
    const ctx = await makeContext({ batchSize: 64, memoryBudget: opts.budget });
    for await (const b of partial.execute(p, ctx)) {
      splitByPartition(b, groupBy.map(col), opts.reducers).forEach((s, r) => { if (s.numRows) blocks[r].push(s); });
    }
    flushes += ctx.counters.get('partialFlushes') ?? 0;
  }
  const final = new HashAggregateExec({ mode: 'final', groupBy: groupBy.map(col), aggs }, new SourceExec(partial.schema, blocks));
  const out: Record<string, unknown>[] = [];
  for (let r = 0; r < opts.reducers; r++) out.push(...(await run(final, { partition: r })).rows);
  return { rows: out, flushes, final };
}

describe('HashAggregateExec', () => {
  it('computes every aggregate with nulls, grouped by utf8 and int keys with nulls (single)', async () => {
    const t = randomTable({ rows: 3000, groups: 40, nullRate: 0.15, seed: 7 });
    const { rows, batches } = await run(aggregate('single', source(t, 1, 256), ['k', 'g']), { batchSize: 10 });
    expect(batches.every((b) => b.numRows <= 10)).toBe(true);
    const want = referenceAggregate(tableRows(t), ['k', 'g'], EVERY);
    expect(rows.length).toBe(want.length);
    expect(rows.some((r) => r.k === null)).toBe(true);
    expect(sortRows(rows)).toEqual(sortRows(want));
  });

  it('names and types its output: group columns, then exprName of each aggregate', () => {
    const t = randomTable({ rows: 1, groups: 1 });
    const a = aggregate('single', source(t, 1, 1), ['k'], [agg('sum', 'v'), agg('sum', 'f', 'sf'), agg('avg', 'v', 'a'), agg('countStar', null), agg('min', 's', 'm')]);
    expect(a.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['k:Utf8', 'sum(v):Int64', 'sf:Float64', 'a:Float64', 'count(*):Int64', 'm:Utf8']);
    expect(a.display()).toBe('HashAggregateExec: mode=single, gby=[k], aggr=[sum(v), sum(f) AS sf, avg(v) AS a, count(*), min(s) AS m]');
    expect(HashAggregateExec.partialSchema({ groupBy: [col('k')], aggs: [agg('avg', 'v', 'a'), agg('countDistinct', 'g', 'd')] }, t.schema).fields.map((f) => `${f.name}:${f.type}`))
      .toEqual(['k:Utf8', 'a#sum:Float64', 'a#count:Int64', 'd#distinct:List<Int32>']);
  });

  it('without group keys emits one row, also for empty input', async () => {
    const t = randomTable({ rows: 500, groups: 5, seed: 3 });
    const { rows } = await run(aggregate('single', source(t, 1, 64), []));
    expect(sortRows(rows)).toEqual(sortRows(referenceAggregate(tableRows(t), [], EVERY)));
    const empty = new SourceExec(t.schema, [[]]);
    const out = (await run(aggregate('single', empty, []))).rows;
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ n: 0, nv: 0, sv: null, av: null, minf: null, maxs: null, ds: 0, fv: null });
  });

  it('with group keys emits nothing for empty input, in every mode', async () => {
    const t = randomTable({ rows: 1, groups: 1 });
    const empty = new SourceExec(t.schema, [[t.batches[0].slice(0, 0)]]);
    expect((await run(aggregate('single', empty, ['k']))).rows).toEqual([]);
    expect((await run(aggregate('partial', empty, ['k']))).rows).toEqual([]);
    expect((await run(aggregate('partial', empty, []))).rows).toEqual([]);
  });

  it('first/last keep input order and nulls (first of a group whose first value is null is null)', async () => {
    const t = new arrow.Table({
      k: arrow.vectorFromArray(['a', 'a', 'b', 'a', 'b'], new arrow.Utf8()),
      x: arrow.vectorFromArray([null, 1, 2, 3, null], new arrow.Int32()),
    });
    const a = aggregate('single', source(t, 1, 2), ['k'], [agg('first', 'x', 'f'), agg('last', 'x', 'l')]);
    expect(sortRows((await run(a)).rows)).toEqual(sortRows([{ k: 'a', f: null, l: 3 }, { k: 'b', f: 2, l: null }]));
  });

  it('partial -> shuffle -> final across 3 partitions equals single', async () => {
    const t = randomTable({ rows: 4000, groups: 300, nullRate: 0.1, seed: 11 });
    const single = (await run(aggregate('single', source(t, 1, 100), ['k', 'g']))).rows;
    const two = await twoPhase(t, ['k', 'g'], aggExprs(), { maps: 3, reducers: 2 });
    expect(sortRows(two.rows)).toEqual(sortRows(single));
    const global = await twoPhase(t, [], aggExprs(), { maps: 3, reducers: 1 });
    expect(sortRows(global.rows)).toEqual(sortRows((await run(aggregate('single', source(t, 1, 100), []))).rows));
  });

  it('partial flushes under a tiny budget and final still merges to the single answer', async () => {
    const t = randomTable({ rows: 3000, groups: 500, seed: 5 });
    const two = await twoPhase(t, ['k', 'g'], aggExprs(), { maps: 3, reducers: 2, budget: 4096 });
    expect(two.flushes).toBeGreaterThan(0);
    const single = (await run(aggregate('single', source(t, 1, 100), ['k', 'g']))).rows;
    expect(sortRows(two.rows)).toEqual(sortRows(single));
  });

  it('spills to disk when over budget and gives the no-spill answer (200k rows, 50k groups, 64 KB)', async () => {
    const t = randomTable({ rows: 200_000, groups: 50_000, nullRate: 0.05, seed: 13 });
    const specs = EVERY.filter((a) => ['n', 'sv', 'maxs', 'fv'].includes(a.name));
    const a = aggregate('single', source(t, 1, 4096), ['k', 'g'], aggExprs(specs));
    const free = await run(a, { batchSize: 8192 });
    expect(free.ctx.counters.get('spills') ?? 0).toBe(0);
    const tight = await run(a, { batchSize: 8192, memoryBudget: 64 * 1024 });
    expect(tight.ctx.counters.get('spills')).toBeGreaterThan(1);
    expect(tight.ctx.counters.get('spillBytes')).toBeGreaterThan(0);
    expect(free.rows.length).toBeGreaterThan(40_000);
    expect(sortRows(tight.rows)).toEqual(sortRows(free.rows));
    expect(await readdir(tight.ctx.spillDir)).toEqual([]);
  }, 60_000);

  it('spills with every aggregate and still matches the reference', async () => {
    const t = randomTable({ rows: 20_000, groups: 6000, nullRate: 0.1, seed: 19 });
    const a = aggregate('single', source(t, 1, 1000), ['k', 'g']);
    const tight = await run(a, { memoryBudget: 64 * 1024 });
    expect(tight.ctx.counters.get('spills')).toBeGreaterThan(16);
    expect(sortRows(tight.rows)).toEqual(sortRows(referenceAggregate(tableRows(t), ['k', 'g'], EVERY)));
  }, 60_000);

  it('deletes its spill files when the consumer stops early', async () => {
    const t = randomTable({ rows: 20_000, groups: 6000, seed: 23 });
    const a = aggregate('single', source(t, 1, 1000), ['k', 'g'], [agg('countStar', null, 'n')]);
    const ctx = await makeContext({ memoryBudget: 16 * 1024, batchSize: 10 });
    for await (const b of a.execute(0, ctx)) { expect(b.numRows).toBeGreaterThan(0); break; }
    expect(ctx.counters.get('spills')).toBeGreaterThan(0);
    expect(await readdir(ctx.spillDir)).toEqual([]);
  }, 30_000);

  it('final mode spills too (partial states in, over budget)', async () => {
    const t = randomTable({ rows: 20_000, groups: 5000, seed: 17 });
    const two = await twoPhase(t, ['k', 'g'], aggExprs(), { maps: 2, reducers: 1 });
    const src = source(t, 2, 100);
    const partial = new HashAggregateExec({ mode: 'partial', groupBy: [col('k'), col('g')], aggs: aggExprs() }, src);
    const blocks: arrow.RecordBatch[] = [];
    for (let p = 0; p < 2; p++) blocks.push(...(await collect(partial.execute(p, await makeContext({ batchSize: 500 })))));
    const final = aggregate('final', new SourceExec(partial.schema, [blocks]), ['k', 'g']);
    const tight = await run(final, { memoryBudget: 32 * 1024 });
    expect(tight.ctx.counters.get('spills')).toBeGreaterThan(0);
    expect(sortRows(tight.rows)).toEqual(sortRows(two.rows));
  }, 30_000);

  it('distinct = group by every column with no aggregates', async () => {
    const t = randomTable({ rows: 2000, groups: 20, nullRate: 0.3, seed: 2 });
    const narrow = new arrow.Table({ k: t.getChild('k')!, g: t.getChild('g')!, b: t.getChild('b')! });
    const { rows } = await run(aggregate('single', source(narrow, 1, 128), ['k', 'g', 'b'], []));
    const want = new Set(tableRows(narrow).map((r) => JSON.stringify(r)));
    expect(sortRows(rows)).toEqual([...want].sort());
  });

  it('groups by an expression key and aggregates an expression argument', async () => {
    const t = randomTable({ rows: 1000, groups: 10, seed: 9 });
    const key: ExprNode = { kind: 'alias', name: 'pos', arg: { kind: 'binary', op: 'gt', left: col('v'), right: { kind: 'literal', value: 0, type: 'int32' } } };
    const twice: ExprNode = { kind: 'binary', op: 'mul', left: col('v'), right: { kind: 'literal', value: 2, type: 'int32' } };
    const a = new HashAggregateExec({ mode: 'single', groupBy: [key], aggs: [{ kind: 'alias', name: 's2', arg: { kind: 'agg', fn: 'sum', arg: twice } }] }, source(t, 1, 100));
    const rows = tableRows(t).map((r) => ({ pos: r.v === null ? null : (r.v as number) > 0, v2: r.v === null ? null : (r.v as number) * 2 }));
    const want = referenceAggregate(rows, ['pos'], [{ fn: 'sum', arg: 'v2', name: 's2' }]);
    expect(sortRows((await run(a)).rows)).toEqual(sortRows(want));
  });

  it('rejects a list-typed group key when the plan is built', () => {
    const t = randomTable({ rows: 1, groups: 1 });
    const split: ExprNode = { kind: 'call', fn: 'split', args: [col('s'), { kind: 'literal', value: ',', type: 'utf8' }] };
    expect(() => new HashAggregateExec({ mode: 'single', groupBy: [split], aggs: [] }, source(t, 1, 1))).toThrow(PlanError);
  });

  it('does no work before the first pull and skips empty batches', async () => {
    const t = randomTable({ rows: 10, groups: 2 });
    const src = new SourceExec(t.schema, [[...batchesOf(t, 5), t.batches[0].slice(0, 0)]]);
    const a = aggregate('single', src, ['k']);
    const it = a.execute(0, await makeContext())[Symbol.asyncIterator]();
    expect(src.pulls).toBe(0);
    await it.next();
    expect(src.pulls).toBe(3);
  });
});
