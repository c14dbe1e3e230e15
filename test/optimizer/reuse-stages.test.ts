// A subtree the plan needs twice, cut the same way, is one stage both read (as Spark's ReuseExchange): a dimension joined in two branches is scanned and broadcast once.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, fn, Quiver } from '../../core/index.ts';

describe('stages reused within a plan', () => {
  let q: Quiver;
  let dimPath: string;
  beforeAll(async () => {
    q = await Quiver.local({ workers: 2, ui: false, quiet: true });
    dimPath = join(mkdtempSync(join(tmpdir(), 'quiver-reuse-')), 'dim');
    await q.createDataFrame(Array.from({ length: 10 }, (_, k) => ({ k, name: `n${k}` }))).write.parquet(dimPath);
  });
  afterAll(async () => { await q?.close(); });

  it('scans and broadcasts a dimension joined in two branches once, with the rows of both joins', async () => {
    const dim = () => q.read.parquet(dimPath);
    const a = q.createDataFrame(Array.from({ length: 300 }, (_, i) => ({ k: i % 10, x: i })), { partitions: 3 });
    const b = q.createDataFrame(Array.from({ length: 200 }, (_, i) => ({ k: (i * 3) % 10, x: -i })), { partitions: 2 });
    const df = a.join(dim(), 'k').union(b.join(dim(), 'k')).groupBy('name').agg(fn.count().alias('n'), fn.sum(col('x')).alias('s'));
    const text = await df.explain();
    const physical = text.slice(text.indexOf('== Physical Plan =='));
    expect(physical.match(/ScanExec: parquet/g)).toHaveLength(1);
    expect(physical.match(/-> broadcast/g)).toHaveLength(1);
    const got = (await df.orderBy('name').toArray()).map((r) => [r.name, Number(r.n), Number(r.s)]);
    const want = new Map<string, [number, number]>();
    for (let i = 0; i < 300; i++) { const e = want.get(`n${i % 10}`) ?? [0, 0]; want.set(`n${i % 10}`, [e[0] + 1, e[1] + i]); }
    for (let i = 0; i < 200; i++) { const e = want.get(`n${(i * 3) % 10}`) ?? [0, 0]; want.set(`n${(i * 3) % 10}`, [e[0] + 1, e[1] - i]); }
    expect(got).toEqual([...want].sort((x, y) => (x[0] < y[0] ? -1 : 1)).map(([name, [n, s]]) => [name, n, s]));
  });
});
