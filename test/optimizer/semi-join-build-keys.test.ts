// The build side of a broadcast semi or anti join is reduced to its distinct keys before it is broadcast (TPC-H Q22's NOT EXISTS), with the same rows out; a residual condition keeps the whole side.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, Quiver } from '../../core/index.ts';

const physicalOf = (text: string) => text.slice(text.indexOf('== Physical Plan =='));

describe('distinct keys on the build side of a broadcast semi/anti join', () => {
  let q: Quiver;
  beforeAll(async () => { q = await Quiver.local({ workers: 2, ui: false, quiet: true }); });
  afterAll(async () => { await q?.close(); });

  // 40 customers (one with a null key); 600 orders of 12 of them, each key repeated, some null.
  const customers = Array.from({ length: 40 }, (_, i) => ({ c: i === 39 ? null : i, name: `c${i}` }));
  const orders = Array.from({ length: 600 }, (_, i) => ({ o: i % 50 === 0 ? null : (i * 7) % 12, amount: i }));
  const has = new Set(orders.map((r) => r.o).filter((k) => k !== null));

  it('broadcasts each task\'s distinct keys, and gives the rows of the join over all of them', async () => {
    for (const how of ['semi', 'anti'] as const) {
      const df = q.createDataFrame(customers, { partitions: 2 }).join(q.createDataFrame(orders, { partitions: 3 }), col('c').eq(col('o')), how);
      const physical = physicalOf(await df.explain());
      const broadcastStage = physical.split('\nStage').find((s) => s.includes('-> broadcast'))!;
      expect(broadcastStage, how).toMatch(/HashAggregateExec: mode=partial, gby=\[o\], aggr=\[\]/);
      const got = (await df.toArray()).map((r) => r.name).sort();
      // SQL semantics: a null key matches nothing (kept by anti, dropped by semi).
      const want = customers.filter((r) => (how === 'semi' ? r.c !== null && has.has(r.c) : r.c === null || !has.has(r.c))).map((r) => r.name).sort();
      expect(got, how).toEqual(want);
    }
  });

  it('keeps the whole build side when a residual condition relates both sides', async () => {
    const df = q.createDataFrame(customers, { partitions: 2 }).join(q.createDataFrame(orders, { partitions: 3 }), col('c').eq(col('o')).and(col('amount').gt(col('c').mul(40))), 'semi');
    const physical = physicalOf(await df.explain());
    expect(physical).not.toMatch(/HashAggregateExec: mode=partial, gby=\[o\], aggr=\[\]/);
    const got = (await df.toArray()).map((r) => r.name).sort();
    const want = customers.filter((r) => r.c !== null && orders.some((o) => o.o === r.c && o.amount > r.c! * 40)).map((r) => r.name).sort();
    expect(got).toEqual(want);
  });
});
