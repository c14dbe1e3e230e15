// A shuffled inner, semi or anti join builds its table on the left where that side looks at least twice smaller, and gives the same rows.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, lit, Quiver } from '../../core/index.ts';

const physicalOf = (text: string) => text.slice(text.indexOf('== Physical Plan =='));

describe('the build side of a shuffled semi/anti join', () => {
  let q: Quiver, dir: string;
  // 2,000 orders; 9,000 lines, each of an order (some of orders that do not exist), some null.
  const orders = Array.from({ length: 2000 }, (_, i) => ({ o: i, status: i % 10 === 0 ? 'F' : 'O' }));
  const lines = Array.from({ length: 9000 }, (_, i) => ({ l: i % 97 === 0 ? null : (i * 7) % 2600, qty: i % 50 }));
  beforeAll(async () => {
    // No broadcasts: every join is shuffled.
    q = await Quiver.local({ workers: 2, ui: false, quiet: true, broadcastThresholdBytes: 0 });
    dir = await mkdtemp(join(tmpdir(), 'quiver-semi-build-'));
    await q.createDataFrame(orders, { partitions: 2 }).write.parquet(join(dir, 'orders'));
    await q.createDataFrame(lines, { partitions: 3 }).write.parquet(join(dir, 'lines'));
  });
  afterAll(async () => { await q?.close(); if (dir) await rm(dir, { recursive: true, force: true }); });

  it('builds on the filtered left side (Parquet row counts and filters say it is smaller); same rows as building on the right', async () => {
    for (const how of ['semi', 'anti'] as const) {
      const left = q.read.parquet(join(dir, 'orders')).filter(col('status').eq(lit('F')));
      const right = q.read.parquet(join(dir, 'lines'));
      const df = left.join(right, col('o').eq(col('l')).and(col('qty').gt(col('o').mod(lit(50)))), how);
      expect(physicalOf(await df.explain()), how).toMatch(new RegExp(`how=${how}, .*build=left`));
      const got = (await df.toArray()).map((r) => r.o as number).sort((a, b) => a - b);
      const match = (o: number) => lines.some((r) => r.l === o && r.qty > o % 50);
      const want = orders.filter((r) => r.status === 'F' && (how === 'semi' ? match(r.o) : !match(r.o))).map((r) => r.o);
      expect(got, how).toEqual(want);
    }
  });

  it('an inner join builds on the smaller left side too, with the left columns first', async () => {
    const left = q.read.parquet(join(dir, 'orders')).filter(col('status').eq(lit('F')));
    const df = left.join(q.read.parquet(join(dir, 'lines')), col('o').eq(col('l')), 'inner');
    expect(physicalOf(await df.explain())).toMatch(/how=inner, .*build=left/);
    const rows = await df.toArray();
    expect(Object.keys(rows[0] ?? {})).toEqual(['o', 'status', 'l', 'qty']);
    const key = (r: Record<string, unknown>) => `${r.o},${r.l},${r.qty}`;
    const want = orders.filter((o) => o.status === 'F').flatMap((o) => lines.filter((r) => r.l === o.o).map((r) => ({ ...o, ...r })));
    expect(rows.map(key).sort()).toEqual(want.map(key).sort());
  });

  it('keeps building on the right where the left is not smaller', async () => {
    const df = q.read.parquet(join(dir, 'lines')).join(q.read.parquet(join(dir, 'orders')), col('l').eq(col('o')), 'semi');
    expect(physicalOf(await df.explain())).toMatch(/how=semi, .*build=right/);
  });
});
