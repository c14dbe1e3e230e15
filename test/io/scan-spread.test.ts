// A scan smaller than workers x the split target is still spread over the workers (never below 1 MiB a split).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planSplits } from '../../ops/sources/index.ts';
import { tempDir } from './helpers.ts';

const TPCH = join(import.meta.dirname, '../../../shared/tpch/sf0.1');

describe('scan splits spread over the workers', () => {
  it('a Parquet file of 5 row groups under a 128 MB target gives one split per worker, every row group once', async () => {
    const path = join(TPCH, 'lineitem.parquet');
    const one = await planSplits({ format: 'parquet', paths: [path], options: {} }, 128 << 20, 1);
    expect(one).toHaveLength(1);
    const two = await planSplits({ format: 'parquet', paths: [path], options: {} }, 128 << 20, 2);
    expect(two).toHaveLength(2);
    expect(two.flatMap((s) => s.rowGroups!)).toEqual([0, 1, 2, 3, 4]);
  });

  it('a 4 MiB text file on 2 workers gives 2 splits; a small one stays whole', async () => {
    const dir = await tempDir();
    const big = join(dir, 'big.txt'), small = join(dir, 'small.txt');
    await writeFile(big, 'x'.repeat(63) + '\n'.repeat(1) + ('y'.repeat(63) + '\n').repeat((4 << 20) / 64 - 1));
    await writeFile(small, 'a\nb\n');
    const s = await planSplits({ format: 'text', paths: [big], options: {} }, 128 << 20, 2);
    expect(s).toHaveLength(2);
    expect(s[0].start).toBe(0);
    expect(s[1].end).toBe(4 << 20);
    expect(s[0].end).toBe(s[1].start);
    expect(await planSplits({ format: 'text', paths: [small], options: {} }, 128 << 20, 2)).toHaveLength(1);
  });
});
