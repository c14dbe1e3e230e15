// The distributed sort against DuckDB's ORDER BY in a local session (2 workers, inputs in 4 partitions), and a sort over user code.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStage } from '../../core/cluster/stage-schema.ts';
import { col, Quiver } from '../../core/index.ts';
import { distributedSortSuite } from './sort-suite.ts';

distributedSortSuite('distributed sort vs DuckDB, local', () => Quiver.local({ workers: 2, batchSize: 500, singleTaskSortBytes: 0 }));

describe('distributed sort: user code below it, its stages as executors check them', () => {
  const UDF = resolve(import.meta.dirname, '../fixtures/engine/udf.ts');
  let q: Quiver;
  beforeAll(async () => { q = await Quiver.local({ workers: 2, batchSize: 100, singleTaskSortBytes: 0 }); });
  afterAll(async () => { await q?.close(); });

  it('runs the UDF once (its output is kept for the sample and the range shuffle) and gives the order', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ id: (i * 7919) % 1000 }));
    const df = q.createDataFrame(rows, { partitions: 4 })
      .mapBatches({ module: UDF, export: 'shiftIds' }, { schema: [{ name: 'id', type: 'int32', nullable: false }, { name: 'thread', type: 'int32', nullable: false }], options: { offset: 5 } })
      .orderBy(col('id').desc());
    const plan = await df.explain();
    expect(plan.split('\n').filter((l) => l.includes('MapBatchesExec'))).toHaveLength(1);
    expect(plan).toMatch(/range shuffle \d+: \[id DESC NULLS LAST\] into 4 partitions/);
    expect((await df.toArray()).map((r) => r.id)).toEqual(Array.from({ length: 1000 }, (_, i) => 1004 - i));
  }, 60_000);

  it("its stages pass the executors' stage schema unchanged; a range flag that is not `true` is refused", async () => {
    const df = q.createDataFrame([{ a: 1 }, { a: 2 }], { partitions: 2 }).orderBy(col('a').desc());
    const { physical } = await q.session.physical(df.plan);
    expect(physical.stages.map((s) => [s.root.op, s.output.kind === 'shuffle' && s.output.range === true])).toEqual([['sample', false], ['rangePartition', true], ['sort', false]]);
    for (const stage of physical.stages) {
      const d = decodeStage(JSON.stringify(stage));
      expect(d.ok ? d.stage : d.reason).toEqual(JSON.parse(JSON.stringify(stage)));
    }
    const bad = JSON.parse(JSON.stringify(physical.stages[1]));
    bad.output.range = 'yes';
    expect(decodeStage(JSON.stringify(bad))).toMatchObject({ ok: false, reason: expect.stringMatching(/output\.range/) });
  });

  it('plans more range partitions than input partitions where the input, as estimated, would spill: each then sorts in memory', async () => {
    const df = q.createDataFrame([{ a: 1 }, { a: 2 }], { partitions: 2 }).orderBy(col('a'));
    const ranges = async (bytes: number) => {
      // The same plan over a table said to hold `bytes` (planning reads no rows).
      type Node = { kind: string; input?: Node };
      const sized = (n: Node): Node => (n.kind === 'values' ? { ...n, bytes } as Node : { ...n, input: sized(n.input!) });
      const { physical } = await q.session.physical(sized(df.plan as unknown as Node) as unknown as typeof df.plan);
      return physical.stages.map((s) => (s.output.kind === 'shuffle' ? s.output.partitions : null)).filter((n) => n !== null);
    };
    // Default budget 256 MB: a partition is planned to hold 0.35 x 256 MB (a sort spills past half of it).
    expect(await ranges(10 * 2 ** 20)).toEqual([2]);
    expect(await ranges(2 ** 30)).toEqual([Math.ceil(2 ** 30 / (0.35 * 256 * 2 ** 20))]);
    expect(await ranges(2 ** 50)).toEqual([1024]);
  });
});

describe('a small orderBy', () => {
  let q: Quiver;
  beforeAll(async () => { q = await Quiver.local({ workers: 2, ui: false, quiet: true }); });
  afterAll(async () => { await q?.close(); });

  it('sorts in one task when its input is estimated small (singleTaskSortBytes): no sample, no range shuffle, the same order', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => ({ k: (i * 7919) % 2000, g: i % 7 }));
    const df = () => q.createDataFrame(rows, { partitions: 4 }).groupBy('g').count().orderBy(col('g').desc());
    const text = await df().explain();
    expect(text).not.toMatch(/range shuffle/);
    expect(text).not.toMatch(/Sample/);
    expect((await df().toArray()).map((r) => [r.g, Number(r.count)])).toEqual([6, 5, 4, 3, 2, 1, 0].map((g) => [g, rows.filter((r) => r.g === g).length]));
    const big = await Quiver.local({ workers: 2, ui: false, quiet: true, singleTaskSortBytes: 0 });
    try {
      const d = big.createDataFrame(rows, { partitions: 4 }).groupBy('g').count().orderBy(col('g').desc());
      expect(await d.explain()).toMatch(/range shuffle/);
      expect((await d.toArray()).map((r) => [r.g, Number(r.count)])).toEqual((await df().toArray()).map((r) => [r.g, Number(r.count)]));
    } finally {
      await big.close();
    }
  });
});
