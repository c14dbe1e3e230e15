import { describe, expect, it } from 'vitest';
import { Quiver, col, fn } from '../core/index.ts';

describe('end to end smoke', () => {
  it('runs a filter/aggregate/sort over createDataFrame', async () => {
    const q = await Quiver.local({ workers: 2 });
    try {
      const df = q.createDataFrame([{ a: 1, b: 'x' }, { a: 2, b: 'y' }, { a: 3, b: 'x' }, { a: null, b: 'z' }]);
      expect(await df.count()).toBe(4);
      const r = await df.groupBy('b').agg(fn.sum('a').alias('s'), fn.count().alias('n')).orderBy(col('s').desc()).toArray();
      expect(r).toEqual([{ b: 'x', s: 4, n: 2 }, { b: 'y', s: 2, n: 1 }, { b: 'z', s: null, n: 1 }]);
      console.log(await df.filter(col('a').gt(1)).groupBy('b').count().explain());
    } finally {
      await q.close();
    }
  });
});
