// Partial aggregation that does not reduce its input is skipped, and the final result is unchanged.
import { describe, expect, it } from 'vitest';
import { HashAggregateExec } from '../../ops/aggregate/hash-aggregate-exec.ts';
import { agg, randomTable, referenceAggregate, run, sortRows, source } from './aggregate-support.ts';
import { SourceExec } from './stream-support.ts';

const col = (name: string) => ({ kind: 'column' as const, name });

describe('HashAggregateExec partial skip', () => {
  it('switches to per-batch partial aggregation on mostly unique keys, and final merges to the same answer', async () => {
    const t = randomTable({ rows: 150_000, groups: 140_000, seed: 3 });
    const aggs = [agg('countStar', null, 'n'), agg('sum', 'v', 's'), agg('max', 'v', 'mx')];
    const groupBy = [col('k'), col('g')];
    const partial = new HashAggregateExec({ mode: 'partial', groupBy, aggs }, source(t, 1, 10_000));
    const p = await run(partial, { batchSize: 10_000 });
    expect(p.ctx.counters.get('partialSkips')).toBe(1);
    // After the switch, duplicates across batches stay separate partial rows ...
    const partialRows = p.batches.reduce((s, b) => s + b.numRows, 0);
    const groups = new Set(t.toArray().map((r) => `${r.k}|${r.g}`)).size;
    expect(partialRows).toBeGreaterThan(groups);
    // ... and the final aggregate merges them into the reference answer.
    const final = new HashAggregateExec({ mode: 'final', groupBy, aggs }, new SourceExec(partial.schema, [p.batches]));
    const f = await run(final, { batchSize: 10_000 });
    const rows = t.toArray().map((r) => r.toJSON());
    const want = referenceAggregate(rows, ['k', 'g'], [{ fn: 'countStar', arg: null, name: 'n' }, { fn: 'sum', arg: 'v', name: 's' }, { fn: 'max', arg: 'v', name: 'mx' }]);
    expect(sortRows(f.rows)).toEqual(sortRows(want));
  });

  it('after the switch, each row goes out as its own partial state, for every kind of aggregate, nulls included', async () => {
    const t = randomTable({ rows: 130_000, groups: 120_000, seed: 5, nullRate: 0.2 });
    const specs = [
      { fn: 'countStar', arg: null, name: 'n' }, { fn: 'count', arg: 'v', name: 'c' }, { fn: 'sum', arg: 'big', name: 'sb' },
      { fn: 'avg', arg: 'f', name: 'af' }, { fn: 'min', arg: 's', name: 'ms' }, { fn: 'max', arg: 'ts', name: 'mt' },
      { fn: 'countDistinct', arg: 'v', name: 'dv' },
    ] as const;
    const aggs = specs.map((a) => agg(a.fn, a.arg, a.name));
    const groupBy = [col('g'), col('k')];
    const partial = new HashAggregateExec({ mode: 'partial', groupBy, aggs }, source(t, 1, 5_000));
    const p = await run(partial, { batchSize: 5_000 });
    expect(p.ctx.counters.get('partialSkips')).toBe(1);
    // The first 100,000 rows (20 batches) are one table; every row after them is one state row.
    const partialRows = p.batches.reduce((s, b) => s + b.numRows, 0);
    const probeGroups = new Set(t.toArray().slice(0, 100_000).map((r) => JSON.stringify([r.g, r.k]))).size;
    expect(partialRows).toBe(probeGroups + 30_000);
    const final = new HashAggregateExec({ mode: 'final', groupBy, aggs }, new SourceExec(partial.schema, [p.batches]));
    const f = await run(final, { batchSize: 5_000 });
    const want = referenceAggregate(t.toArray().map((r) => r.toJSON()), ['g', 'k'], specs.map((a) => ({ ...a })));
    expect(sortRows(f.rows)).toEqual(sortRows(want));
  });

  it('keeps one task-wide table when keys repeat', async () => {
    const t = randomTable({ rows: 150_000, groups: 50, seed: 4 });
    const partial = new HashAggregateExec({ mode: 'partial', groupBy: [col('k')], aggs: [agg('countStar', null, 'n')] }, source(t, 1, 10_000));
    const p = await run(partial, { batchSize: 10_000 });
    expect(p.ctx.counters.get('partialSkips')).toBeUndefined();
    expect(p.batches.reduce((s, b) => s + b.numRows, 0)).toBe(new Set(t.getChild('k')!.toArray()).size);
  });
});
